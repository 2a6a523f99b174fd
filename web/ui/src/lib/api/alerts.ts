/** /api/v1/alerts: list, get, actions, history. */
import { session } from '$lib/session.svelte';
import { api, type Query } from './client';
import type {
	AlertActionResult,
	AlertHistory,
	AlertList,
	AlertOne,
	CreateAlertRequest,
	CreateAlertResult
} from './types.gen';

/** The list filters (README: status, acknowledged, priority, tag, query, team) and sort. */
export interface AlertFilter {
	status?: 'open' | 'closed' | null;
	acknowledged?: boolean | null;
	priority?: string[];
	tag?: string[];
	query?: string;
	team?: string | null;
	sort?: SortField;
	order?: 'asc' | 'desc';
}

export const SORT_FIELDS = [
	'createdAt',
	'updatedAt',
	'lastOccurredAt',
	'tinyId',
	'priority',
	'count',
	'message',
	'status'
] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;

/** The REST query (and WebSocket subscription filter) of `filter`. */
export function filterQuery(filter: AlertFilter): Query {
	return {
		status: filter.status ?? null,
		acknowledged: filter.acknowledged ?? null,
		priority: filter.priority ?? [],
		tag: filter.tag ?? [],
		query: filter.query?.trim() || null,
		team: filter.team ?? null,
		sort: filter.sort ?? 'createdAt',
		order: filter.order ?? 'desc'
	};
}

export const listAlerts = (filter: AlertFilter, limit = 100, cursor?: string | null) =>
	api.get<AlertList>('/alerts', { query: { ...filterQuery(filter), limit, cursor } });

export const getAlert = (id: string) => api.get<AlertOne>(`/alerts/${encodeURIComponent(id)}`);

export const alertHistory = (id: string) =>
	api.get<AlertHistory>(`/alerts/${encodeURIComponent(id)}/history`);

export const createAlert = (body: CreateAlertRequest) =>
	api.post<CreateAlertResult>('/alerts', body);

export type Action = 'acknowledge' | 'unacknowledge' | 'close';

/** Actions name the person acting (`user`, Opsgenie's "display name of the request owner"). */
const by = () => ({ user: session.user?.name || session.user?.email || '', source: 'web' });
const path = (id: string) => `/alerts/${encodeURIComponent(id)}`;

export const act = (id: string, action: Action, note = '') =>
	api.post<AlertActionResult>(`${path(id)}/${action}`, { ...by(), ...(note ? { note } : {}) });

export const addNote = (id: string, note: string) =>
	api.post<AlertActionResult>(`${path(id)}/notes`, { ...by(), note });

export const addTags = (id: string, tags: string[]) =>
	api.post<AlertActionResult>(`${path(id)}/tags`, { ...by(), tags });

export const removeTags = (id: string, tags: string[]) =>
	api.delete<AlertActionResult>(`${path(id)}/tags`, { query: { tags, ...by() } });

export const snooze = (id: string, endTime: string) =>
	api.post<AlertActionResult>(`${path(id)}/snooze`, { ...by(), endTime });

export const setPriority = (id: string, priority: string) =>
	api.put<AlertActionResult>(`${path(id)}/priority`, { ...by(), priority });
