/** /api/v1/audit: the organization's event log, newest first (needs `audit:read`). */
import { api, type Query } from './client';
import type { AuditPage } from './types.gen';

/** One page at `cursor` (absent: the newest); `query` holds the filters and `limit`. */
export const listAudit = (query: Query, cursor?: number | null) =>
	api.get<AuditPage>('/audit', { query: { ...query, cursor: cursor ?? undefined } });
