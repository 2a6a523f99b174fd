/** Writes of /api/v1/schedules: schedules, their rotations and overrides (reads: ./schedules). */
import type { OverrideOut, RotationOut, ScheduleOne } from './types.gen';
import { api } from './client';
import type { OverrideBody, RotationBody, ScheduleBody } from '$lib/schedule-form';

/** `{data}` answers of one rotation or override (described in web/api/schedule_json.py). */
export interface RotationOne {
	data: RotationOut;
	request_id: string;
}

export interface OverrideOne {
	data: OverrideOut;
	request_id: string;
}

const path = (id: string) => `/schedules/${encodeURIComponent(id)}`;
const rotation = (id: string, rid: string) => `${path(id)}/rotations/${encodeURIComponent(rid)}`;
const override = (id: string, alias: string) => `${path(id)}/overrides/${encodeURIComponent(alias)}`;

export const createSchedule = (body: ScheduleBody) => api.post<ScheduleOne>('/schedules', body);
export const updateSchedule = (id: string, body: ScheduleBody) => api.patch<ScheduleOne>(path(id), body);
export const deleteSchedule = (id: string) => api.delete<unknown>(path(id));

export const addRotation = (id: string, body: RotationBody) =>
	api.post<RotationOne>(`${path(id)}/rotations`, body);
/** PATCH with the whole rotation (null `endDate`/`timeRestriction` remove them). */
export const updateRotation = (id: string, rid: string, body: RotationBody) =>
	api.patch<RotationOne>(rotation(id, rid), body);
export const deleteRotation = (id: string, rid: string) => api.delete<unknown>(rotation(id, rid));

export const addOverride = (id: string, body: OverrideBody) =>
	api.post<OverrideOne>(`${path(id)}/overrides`, body);
/** PUT replaces the override (same alias). */
export const replaceOverride = (id: string, alias: string, body: OverrideBody) =>
	api.put<OverrideOne>(override(id, alias), body);
export const deleteOverride = (id: string, alias: string) => api.delete<unknown>(override(id, alias));
