/** /api/v1/heartbeats: expect a ping every interval, alert when none comes (addressed by name). */
import { api } from './client';
import type { HeartbeatIn, HeartbeatList, HeartbeatOne } from './types.gen';

const path = (name: string) => `/heartbeats/${encodeURIComponent(name)}`;

export const listHeartbeats = () => api.get<HeartbeatList>('/heartbeats');
export const createHeartbeat = (body: HeartbeatIn) => api.post<HeartbeatOne>('/heartbeats', body);
/** Change the given fields; the others stay as they are (a heartbeat cannot be renamed). */
export const updateHeartbeat = (name: string, body: HeartbeatIn) =>
	api.patch<HeartbeatOne>(path(name), body);
export const setHeartbeatEnabled = (name: string, enabled: boolean) =>
	api.post<HeartbeatOne>(`${path(name)}/${enabled ? 'enable' : 'disable'}`);
export const deleteHeartbeat = (name: string) => api.delete<unknown>(path(name));
