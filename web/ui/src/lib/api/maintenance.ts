/** /api/v1/maintenance: windows during which new alerts of some integrations or policies do not page. */
import type { Maintenance, MaintenanceInput, Many, One } from '$lib/paging-types';
import { api } from './client';

const path = (id: string) => `/maintenance/${encodeURIComponent(id)}`;

export const listMaintenance = () =>
	api.get<Many<Maintenance>>('/maintenance', { query: { status: 'all' } });
export const createMaintenance = (body: MaintenanceInput) =>
	api.post<One<Maintenance>>('/maintenance', body);
/** End a planned or active window now (it stays listed as cancelled). */
export const cancelMaintenance = (id: string) => api.post<One<Maintenance>>(`${path(id)}/cancel`);
export const deleteMaintenance = (id: string) => api.delete<unknown>(path(id));
