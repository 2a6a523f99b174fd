/** /api/v1/integrations: how monitoring tools send alerts in (the key is shown once). */
import { api } from './client';
import type { CreateIntegrationRequest, IntegrationList, IntegrationOne } from './types.gen';

export const INTEGRATION_TYPES = [
	'alertmanager',
	'grafana',
	'pagerduty',
	'generic',
	'api',
	'opsgenie'
] as const;

const path = (id: string) => `/integrations/${encodeURIComponent(id)}`;

export const listIntegrations = () => api.get<IntegrationList>('/integrations');

export const createIntegration = (body: CreateIntegrationRequest) =>
	api.post<IntegrationOne>('/integrations', body);

export const setIntegrationEnabled = (id: string, enabled: boolean) =>
	api.post<IntegrationOne>(`${path(id)}/${enabled ? 'enable' : 'disable'}`);

export const deleteIntegration = (id: string) => api.delete<unknown>(path(id));
