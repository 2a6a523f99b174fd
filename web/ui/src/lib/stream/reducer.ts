/**
 * Pure folds of the live topics: a snapshot gives the state, each delta moves it.
 *
 * Nothing here mutates its input: a changed collection is new, an unchanged one
 * is returned as is (so a store can skip re-rendering). Deltas carry the
 * alert's current projection (the REST shape) or `alert: null` for an alert that
 * was deleted or stopped matching the subscription's filter.
 */
import type { AlertFilter, SortField } from '$lib/api/alerts';
import type {
	AlertOut,
	CountsOut,
	Delta,
	HistoryEntry,
	ScheduleOnCall,
	SnapshotData
} from '$lib/api/types.gen';

// --- alert lists -------------------------------------------------------------------------

export function alertMap(alerts: Iterable<AlertOut>): ReadonlyMap<string, AlertOut> {
	return new Map(Array.from(alerts, (alert) => [alert.id, alert] as const));
}

/** The alerts of a snapshot (the `alerts` topic's page, or the `alert` topic's alert). */
export function snapshotAlerts(data: SnapshotData): AlertOut[] {
	if (data.topic === 'alerts') return data.alerts;
	if (data.topic === 'alert') return [data.alert];
	return [];
}

/** Whether `alert` passes the list filters (engine.alerts.queries.alert_filter's meaning). */
export function matchesFilter(alert: AlertOut, filter: AlertFilter): boolean {
	if (filter.status && alert.status !== filter.status) return false;
	if (typeof filter.acknowledged === 'boolean' && alert.acknowledged !== filter.acknowledged)
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
	// A team filter is applied by the server (it resolves team names); trust it here.
	return true;
}

/**
 * `byId` with `alert` upserted, or `id` removed when `alert` is null or no longer
 * passes `filter` (a local action's answer goes through the same door as a delta).
 */
export function upsertAlert(
	byId: ReadonlyMap<string, AlertOut>,
	id: string,
	alert: AlertOut | null,
	filter: AlertFilter | null
): ReadonlyMap<string, AlertOut> {
	if (alert === null || (filter && !matchesFilter(alert, filter))) {
		if (!byId.has(id)) return byId;
		const next = new Map(byId);
		next.delete(id);
		return next;
	}
	const next = new Map(byId);
	next.set(alert.id, alert);
	return next;
}

/** `byId` after a delta of the `alerts` or `alert` topic (others leave it as is). */
export function applyAlertDelta(
	byId: ReadonlyMap<string, AlertOut>,
	delta: Delta,
	filter: AlertFilter | null
): ReadonlyMap<string, AlertOut> {
	if (delta.topic !== 'alerts' && delta.topic !== 'alert') return byId;
	return upsertAlert(byId, delta.alert_id, delta.alert, filter);
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

// --- one alert's history -----------------------------------------------------------------

/** `history` with `entry` appended in version order (a replayed entry is not repeated). */
export function appendHistory(history: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
	if (history.some((e) => e.version === entry.version)) return [...history];
	return [...history, entry].sort((a, b) => a.version - b.version);
}

// --- counts ------------------------------------------------------------------------------

export function snapshotCounts(data: SnapshotData): CountsOut | null {
	return data.topic === 'counts' ? data.counts : null;
}

export function applyCountsDelta(counts: CountsOut | null, delta: Delta): CountsOut | null {
	return delta.topic === 'counts' ? delta.counts : counts;
}

/** Counts of a list of open alerts (the REST stand-in until the snapshot comes). */
export function countOpen(alerts: readonly AlertOut[]): CountsOut {
	const counts: CountsOut = { open: 0, unacked: 0, priority: {}, team: {} };
	for (const p of ['P1', 'P2', 'P3', 'P4', 'P5']) counts.priority[p] = { open: 0, unacked: 0 };
	for (const alert of alerts) {
		if (alert.status !== 'open') continue;
		const unacked = alert.acknowledged ? 0 : 1;
		counts.open += 1;
		counts.unacked += unacked;
		const tally = (counts.priority[alert.priority] ??= { open: 0, unacked: 0 });
		tally.open += 1;
		tally.unacked += unacked;
		for (const r of alert.responders) {
			if (r.type !== 'team') continue;
			const team = (counts.team[r.id] ??= { open: 0, unacked: 0 });
			team.open += 1;
			team.unacked += unacked;
		}
	}
	return counts;
}

// --- on call -----------------------------------------------------------------------------

const byName = (a: ScheduleOnCall, b: ScheduleOnCall) =>
	a.name.localeCompare(b.name) || a.schedule_id.localeCompare(b.schedule_id);

export function snapshotOnCall(data: SnapshotData): ScheduleOnCall[] {
	return data.topic === 'oncall' ? [...data.schedules].sort(byName) : [];
}

/** Rows after a delta: the schedule's entry is replaced, added, or removed (null). */
export function applyOnCallDelta(
	rows: readonly ScheduleOnCall[],
	delta: Delta
): readonly ScheduleOnCall[] {
	if (delta.topic !== 'oncall') return rows;
	const rest = rows.filter((r) => r.schedule_id !== delta.schedule_id);
	return delta.oncall ? [...rest, delta.oncall].sort(byName) : rest;
}
