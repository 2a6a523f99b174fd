/** Changes to an integration beyond create/enable/delete (see ./integrations.ts). */
import { api } from './client';
import type { IntegrationOne, UpdateIntegrationRequest } from './types.gen';

/** `PATCH /integrations/{id}`: name, team, priority label or mapping (others unchanged). */
export const updateIntegration = (id: string, body: UpdateIntegrationRequest) =>
	api.patch<IntegrationOne>(`/integrations/${encodeURIComponent(id)}`, body);
