import { describe, expect, it } from 'vitest';
import type { AlertOut, Delta, HistoryEntry, ScheduleOnCall } from '$lib/api/types.gen';
import {
	alertMap,
	appendHistory,
	applyAlertDelta,
	applyCountsDelta,
	applyOnCallDelta,
	countOpen,
	matchesFilter,
	snapshotAlerts,
	snapshotCounts,
	snapshotOnCall,
	sortAlerts,
	upsertAlert
} from './reducer';

function alert(id: string, over: Partial<AlertOut> = {}): AlertOut {
	return {
		id,
		tinyId: id.replace(/\D/g, '') || '1',
		alias: `alias-${id}`,
		message: `message ${id}`,
		status: 'open',
		acknowledged: false,
		snoozed: false,
		count: 1,
		createdAt: '2030-01-01T10:00:00Z',
		updatedAt: '2030-01-01T10:00:00Z',
		lastOccurredAt: '2030-01-01T10:00:00Z',
		source: 'test',
		owner: '',
		priority: 'P3',
		tags: [],
		responders: [],
		report: {},
		...over
	};
}

function change(version: number, a: AlertOut | null, id = a?.id ?? 'x', deleted = false): Delta {
	return { topic: 'alerts', version, type: 'AlertChanged', alert_id: id, alert: a, deleted };
}

describe('snapshotAlerts', () => {
	it('reads the alerts topic page and the alert topic alert', () => {
		const a = alert('a1');
		expect(snapshotAlerts({ topic: 'alerts', alerts: [a], next_cursor: null })).toEqual([a]);
		expect(snapshotAlerts({ topic: 'alert', alert: a, history: [] })).toEqual([a]);
		expect(snapshotAlerts({ topic: 'oncall', schedules: [] })).toEqual([]);
	});
});

describe('applyAlertDelta', () => {
	const open = { status: 'open' as const };

	it('inserts and replaces in place without mutating the input', () => {
		const before = alertMap([alert('a1')]);
		const added = applyAlertDelta(before, change(2, alert('a2')), open);
		expect([...added.keys()]).toEqual(['a1', 'a2']);
		expect(before.size).toBe(1);
		const acked = applyAlertDelta(added, change(3, alert('a1', { acknowledged: true })), open);
		expect(acked.get('a1')?.acknowledged).toBe(true);
		expect(added.get('a1')?.acknowledged).toBe(false);
	});

	it('removes an alert that was deleted or stopped matching', () => {
		const before = alertMap([alert('a1'), alert('a2')]);
		const gone = applyAlertDelta(before, change(2, null, 'a1', true), open);
		expect([...gone.keys()]).toEqual(['a2']);
		const left = applyAlertDelta(gone, change(3, null, 'a2'), open);
		expect(left.size).toBe(0);
		// The client checks the filter too (a local action's answer, say).
		const closed = upsertAlert(before, 'a1', alert('a1', { status: 'closed' }), open);
		expect([...closed.keys()]).toEqual(['a2']);
	});

	it('returns the same map when nothing changes', () => {
		const before = alertMap([alert('a1')]);
		expect(applyAlertDelta(before, change(2, null, 'zz'), open)).toBe(before);
		expect(applyAlertDelta(before, change(2, alert('a9', { status: 'closed' })), open)).toBe(before);
		expect(applyAlertDelta(before, { topic: 'counts', version: 3, counts: countOpen([]) }, open)).toBe(before);
	});
});

describe('matchesFilter', () => {
	it('applies status, acknowledged, priority, all tags and text like the server', () => {
		const a = alert('a1', { priority: 'P1', tags: ['db', 'prod'], message: 'Disk FULL', alias: 'db-1' });
		expect(matchesFilter(a, {})).toBe(true);
		expect(matchesFilter(a, { status: 'closed' })).toBe(false);
		expect(matchesFilter(a, { acknowledged: true })).toBe(false);
		expect(matchesFilter(a, { acknowledged: false })).toBe(true);
		expect(matchesFilter(a, { acknowledged: null })).toBe(true);
		expect(matchesFilter(a, { priority: ['P1', 'P2'] })).toBe(true);
		expect(matchesFilter(a, { priority: ['P3'] })).toBe(false);
		expect(matchesFilter(a, { tag: ['db', 'prod'] })).toBe(true);
		expect(matchesFilter(a, { tag: ['db', 'dev'] })).toBe(false);
		expect(matchesFilter(a, { query: 'disk full' })).toBe(true);
		expect(matchesFilter(a, { query: 'DB-1' })).toBe(true);
		expect(matchesFilter(a, { query: 'cpu' })).toBe(false);
	});
});

describe('sortAlerts', () => {
	it('orders by the field then by id, in either direction', () => {
		const a = alert('a1', { createdAt: '2030-01-01T10:00:00Z', priority: 'P2' });
		const b = alert('a2', { createdAt: '2030-01-01T11:00:00+01:00', priority: 'P1' }); // same instant
		const c = alert('a3', { createdAt: '2030-01-02T10:00:00Z', priority: 'P2' });
		expect(sortAlerts([a, b, c]).map((x) => x.id)).toEqual(['a3', 'a2', 'a1']);
		expect(sortAlerts([c, b, a], 'createdAt', 'asc').map((x) => x.id)).toEqual(['a1', 'a2', 'a3']);
		expect(sortAlerts([a, b, c], 'priority', 'asc').map((x) => x.id)).toEqual(['a2', 'a1', 'a3']);
		const t = [alert('x', { tinyId: '10' }), alert('y', { tinyId: '9' })];
		expect(sortAlerts(t, 'tinyId', 'asc').map((x) => x.tinyId)).toEqual(['9', '10']);
	});
});

describe('appendHistory', () => {
	it('appends in version order and never twice', () => {
		const entry = (version: number) => ({ version }) as HistoryEntry;
		const history = appendHistory([entry(1), entry(3)], entry(2));
		expect(history.map((e) => e.version)).toEqual([1, 2, 3]);
		expect(appendHistory(history, entry(3)).map((e) => e.version)).toEqual([1, 2, 3]);
	});
});

describe('counts', () => {
	it('takes the snapshot, replaces on deltas, and can be derived from open alerts', () => {
		const open = countOpen([
			alert('a1', { priority: 'P1' }),
			alert('a2', { priority: 'P1', acknowledged: true, responders: [{ type: 'team', id: 't1' }] }),
			alert('a3', { status: 'closed' })
		]);
		expect(open.open).toBe(2);
		expect(open.unacked).toBe(1);
		expect(open.priority.P1).toEqual({ open: 2, unacked: 1 });
		expect(open.priority.P5).toEqual({ open: 0, unacked: 0 });
		expect(open.team).toEqual({ t1: { open: 1, unacked: 0 } });
		expect(snapshotCounts({ topic: 'counts', counts: open })).toBe(open);
		const next = countOpen([]);
		expect(applyCountsDelta(open, { topic: 'counts', version: 5, counts: next })).toBe(next);
		expect(applyCountsDelta(open, change(6, null))).toBe(open);
	});
});

describe('on call', () => {
	const row = (id: string, name: string, users: string[]): ScheduleOnCall => ({
		schedule_id: id,
		name,
		enabled: true,
		owner_team: null,
		users,
		sources: []
	});

	it('sorts by name and upserts or removes a schedule on deltas', () => {
		const rows = snapshotOnCall({ topic: 'oncall', schedules: [row('s1', 'Ops', ['ana']), row('s2', 'DB', ['bob'])] });
		expect(rows.map((r) => r.name)).toEqual(['DB', 'Ops']);
		const next = applyOnCallDelta(rows, {
			topic: 'oncall',
			version: 4,
			type: 'OnCallChanged',
			schedule_id: 's1',
			oncall: row('s1', 'Ops', ['cy'])
		});
		expect(next.map((r) => [r.name, r.users])).toEqual([
			['DB', ['bob']],
			['Ops', ['cy']]
		]);
		const removed = applyOnCallDelta(next, {
			topic: 'oncall',
			version: 5,
			type: 'ScheduleDeleted',
			schedule_id: 's2',
			oncall: null
		});
		expect(removed.map((r) => r.name)).toEqual(['Ops']);
	});
});
