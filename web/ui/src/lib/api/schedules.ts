/** /api/v1/schedules: schedules, who is on call, the final timeline, overrides. */
import { api } from './client';
import type { OnCalls, OverrideList, ScheduleList, ScheduleOne, Timeline } from './types.gen';

const path = (id: string) => `/schedules/${encodeURIComponent(id)}`;

/** One page of schedules by name (at most 100), from `cursor` (the answer's `next_cursor`). */
export const listSchedules = (cursor?: string | null) => api.get<ScheduleList>('/schedules', { query: { cursor } });

export const getSchedule = (id: string) => api.get<ScheduleOne>(path(id));

export const onCalls = (id: string) => api.get<OnCalls>(`${path(id)}/on-calls`);

/** The final timeline (rotations with overrides applied) over `interval` units from `date`. */
export const timeline = (
	id: string,
	date: string,
	interval: number,
	intervalUnit: 'days' | 'weeks' | 'months'
) => api.get<Timeline>(`${path(id)}/timeline`, { query: { date, interval, intervalUnit } });

export const listOverrides = (id: string) => api.get<OverrideList>(`${path(id)}/overrides`);
