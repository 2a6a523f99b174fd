/**
 * Pure folds of the live topics: a snapshot gives the state, each event moves it.
 *
 * Nothing here mutates its input: a changed collection is a new Map, an unchanged
 * one is returned as is (so a store can skip re-rendering). The event payloads of
 * alert topics carry the alert's current projection (the REST shape) or a
 * deletion marker; `alertChange` reads the few spellings the server may use.
 */
import type { AlertFilter, SortField } from '$lib/api/alerts';
import type { AlertOut } from '$lib/api/types.gen';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function looksLikeAlert(value: unknown): value is AlertOut {
	return isObject(value) && typeof value.id === 'string' && typeof value.message === 'string';
}

/** The alerts of a snapshot's `data`: a list, or an object holding one. */
export function snapshotAlerts(data: unknown): AlertOut[] {
	const list = Array.isArray(data)
		? data
		: isObject(data)
			? (data.data ?? data.alerts ?? data.items ?? (looksLikeAlert(data) ? [data] : []))
			: [];
	return Array.isArray(list) ? list.filter(looksLikeAlert) : [];
}

export type AlertChange =
	| { kind: 'upsert'; alert: AlertOut }
	| { kind: 'delete'; id: string }
	| { kind: 'none' };

const DELETED_TYPES = new Set(['AlertDeleted', 'deleted', 'delete', 'removed', 'alert_deleted']);

/** What an event of an alert topic does to the alert it names. */
export function alertChange(event: Json): AlertChange {
	const alert = event.alert ?? event.data ?? event.projection;
	const id =
		(typeof event.alert_id === 'string' && event.alert_id) ||
		(typeof event.alertId === 'string' && event.alertId) ||
		(looksLikeAlert(alert) && alert.id) ||
		(typeof event.id === 'string' && event.id) ||
		null;
	const type = typeof event.type === 'string' ? event.type : '';
	const deleted =
		event.deleted === true || event.removed === true || DELETED_TYPES.has(type) || alert === null;
	if (deleted && id) return { kind: 'delete', id };
	if (looksLikeAlert(alert)) return { kind: 'upsert', alert };
	if (looksLikeAlert(event)) return { kind: 'upsert', alert: event };
	return { kind: 'none' };
}

/** Whether `alert` passes the list filters (engine.alerts.queries.alert_filter's meaning). */
export function matchesFilter(alert: AlertOut, filter: AlertFilter): boolean {
	if (filter.status && alert.status !== filter.status) return false;
	if (
		filter.acknowledged !== null &&
		filter.acknowledged !== undefined &&
		alert.acknowledged !== filter.acknowledged
	)
		return false;
	if (filter.priority?.length && !filter.priority.includes(alert.priority)) return false;
	if (filter.tag?.length && !filter.tag.every((tag) => alert.tags.includes(tag))) return false;
	const text = filter.query?.trim().toLowerCase();
	if (
		text &&
		!alert.message.toLowerCase().includes(text) &&
		!alert.alias.toLowerCase().includes(text)
	)
		return false;
	// A team filter is applied by the server (it resolves names to ids); trust it here.
	return true;
}

/** `byId` after `event`: upserted (if it still matches `filter`), removed, or unchanged. */
export function applyAlertEvent(
	byId: ReadonlyMap<string, AlertOut>,
	event: Json,
	filter: AlertFilter | null
): ReadonlyMap<string, AlertOut> {
	const change = alertChange(event);
	if (change.kind === 'none') return byId;
	if (change.kind === 'delete' || (filter && !matchesFilter(change.alert, filter))) {
		const id = change.kind === 'delete' ? change.id : change.alert.id;
		if (!byId.has(id)) return byId;
		const next = new Map(byId);
		next.delete(id);
		return next;
	}
	const next = new Map(byId);
	next.set(change.alert.id, change.alert);
	return next;
}

export function alertMap(alerts: Iterable<AlertOut>): ReadonlyMap<string, AlertOut> {
	return new Map(Array.from(alerts, (alert) => [alert.id, alert] as const));
}

function sortValue(alert: AlertOut, field: SortField): number | string {
	switch (field) {
		case 'createdAt':
		case 'updatedAt':
		case 'lastOccurredAt':
			return Date.parse(alert[field]);
		case 'tinyId':
			return Number(alert.tinyId);
		case 'count':
			return alert.count;
		default:
			return alert[field];
	}
}

/** The alerts in list order: by the sort field, then by id (as the server orders them). */
export function sortAlerts(
	alerts: Iterable<AlertOut>,
	field: SortField = 'createdAt',
	order: 'asc' | 'desc' = 'desc'
): AlertOut[] {
	const sign = order === 'asc' ? 1 : -1;
	return Array.from(alerts).sort((a, b) => {
		const x = sortValue(a, field);
		const y = sortValue(b, field);
		if (x !== y) return (x < y ? -1 : 1) * sign;
		return (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * sign;
	});
}

// --- counts ----------------------------------------------------------------------------

export type Counts = Readonly<Record<string, number>>;

function numericFields(value: unknown): Counts | null {
	if (!isObject(value)) return null;
	const out: Record<string, number> = {};
	for (const [key, v] of Object.entries(value)) if (typeof v === 'number') out[key] = v;
	return Object.keys(out).length ? out : null;
}

/** The counts in a snapshot's `data` (`{open: 3, …}`, possibly under `counts` or `data`). */
export function snapshotCounts(data: unknown): Counts {
	if (isObject(data)) return numericFields(data.counts ?? data.data ?? data) ?? {};
	return {};
}

/** Counts after an event: a full set replaces them, loose numbers are merged in. */
export function applyCountsEvent(counts: Counts, event: Json): Counts {
	const full = numericFields(event.counts ?? event.data);
	if (full) return full;
	const loose = numericFields(event);
	return loose ? { ...counts, ...loose } : counts;
}

// --- on call ---------------------------------------------------------------------------

export interface OnCallRow {
	scheduleId: string;
	scheduleName: string;
	users: string[];
}

function onCallRow(value: unknown): OnCallRow | null {
	if (!isObject(value)) return null;
	const parent = isObject(value.schedule) ? value.schedule : isObject(value._parent) ? value._parent : value;
	const id = parent.id ?? value.schedule_id ?? value.scheduleId;
	if (typeof id !== 'string') return null;
	const name = typeof parent.name === 'string' ? parent.name : id;
	const raw = value.users ?? value.on_call ?? value.onCall ?? value.onCallParticipants ?? [];
	const users = Array.isArray(raw)
		? raw
				.map((u: unknown) =>
					typeof u === 'string' ? u : isObject(u) ? String(u.name ?? u.username ?? u.id ?? '') : ''
				)
				.filter(Boolean)
		: [];
	return { scheduleId: id, scheduleName: name, users };
}

/** The rows of an on-call snapshot (a list, or an object holding one). */
export function snapshotOnCall(data: unknown): OnCallRow[] {
	const list = Array.isArray(data)
		? data
		: isObject(data)
			? (data.data ?? data.schedules ?? data.items ?? [])
			: [];
	return Array.isArray(list) ? list.map(onCallRow).filter((r) => r !== null) : [];
}

/** Rows after an event: the schedule it names is replaced (or added; removed if deleted). */
export function applyOnCallEvent(rows: readonly OnCallRow[], event: Json): OnCallRow[] {
	if (Array.isArray(event.data) || Array.isArray(event.schedules)) return snapshotOnCall(event);
	const row = onCallRow(isObject(event.row) ? event.row : event);
	if (!row) return [...rows];
	const deleted = event.deleted === true || event.type === 'ScheduleDeleted';
	const rest = rows.filter((r) => r.scheduleId !== row.scheduleId);
	return deleted ? rest : [...rest, row].sort((a, b) => a.scheduleName.localeCompare(b.scheduleName));
}
