/** /api/v1/api-keys: organization keys (the secret is shown once, at creation). */
import { api } from './client';
import type { ApiKeyIn, ApiKeyList, ApiKeyOne } from './types.gen';

export const KEY_RIGHTS = ['read', 'create-and-update', 'delete', 'configuration-access'] as const;

export const listApiKeys = () => api.get<ApiKeyList>('/api-keys');

export const createApiKey = (body: ApiKeyIn) => api.post<ApiKeyOne>('/api-keys', body);

export const revokeApiKey = (id: string) =>
	api.delete<ApiKeyOne>(`/api-keys/${encodeURIComponent(id)}`);
