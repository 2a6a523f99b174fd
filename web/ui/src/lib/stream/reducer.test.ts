import { describe, expect, it } from 'vitest';
import type { AlertOut } from '$lib/api/types.gen';
import {
	alertChange,
	alertMap,
	applyAlertEvent,
	applyCountsEvent,
	applyOnCallEvent,
	matchesFilter,
	snapshotAlerts,
	snapshotCounts,
	snapshotOnCall,
	sortAlerts
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

describe('snapshotAlerts', () => {
	it('reads a list, or a list under data/alerts/items, keeping only alerts', () => {
		const a = alert('a1');
		expect(snapshotAlerts([a, { nope: 1 }])).toEqual([a]);
		expect(snapshotAlerts({ data: [a] })).toEqual([a]);
		expect(snapshotAlerts({ alerts: [a] })).toEqual([a]);
		expect(snapshotAlerts({ items: [a], next_cursor: null })).toEqual([a]);
		expect(snapshotAlerts(a)).toEqual([a]); // the "alert" topic: one alert
		expect(snapshotAlerts(null)).toEqual([]);
	});
});

describe('alertChange', () => {
	it('upserts the projection an event carries', () => {
		const a = alert('a1');
		expect(alertChange({ type: 'AlertAcknowledged', alert: a })).toEqual({ kind: 'upsert', alert: a });
		expect(alertChange({ data: a })).toEqual({ kind: 'upsert', alert: a });
	});

	it('reads deletion markers in their spellings', () => {
		expect(alertChange({ type: 'AlertDeleted', alert_id: 'a1' })).toEqual({ kind: 'delete', id: 'a1' });
		expect(alertChange({ deleted: true, id: 'a2' })).toEqual({ kind: 'delete', id: 'a2' });
		expect(alertChange({ removed: true, alert: alert('a3') })).toEqual({ kind: 'delete', id: 'a3' });
		expect(alertChange({ alert_id: 'a4', alert: null })).toEqual({ kind: 'delete', id: 'a4' });
	});

	it('ignores events it cannot read', () => {
		expect(alertChange({ type: 'Something' })).toEqual({ kind: 'none' });
	});
});

describe('applyAlertEvent', () => {
	const open = { status: 'open' as const };

	it('inserts and replaces in place without mutating the input', () => {
		const before = alertMap([alert('a1')]);
		const added = applyAlertEvent(before, { alert: alert('a2') }, open);
		expect([...added.keys()]).toEqual(['a1', 'a2']);
		expect(before.size).toBe(1);
		const acked = applyAlertEvent(added, { alert: alert('a1', { acknowledged: true }) }, open);
		expect(acked.get('a1')?.acknowledged).toBe(true);
		expect(added.get('a1')?.acknowledged).toBe(false);
	});

	it('drops an alert that no longer matches the filter, or was deleted', () => {
		const before = alertMap([alert('a1'), alert('a2')]);
		const closed = applyAlertEvent(before, { alert: alert('a1', { status: 'closed' }) }, open);
		expect([...closed.keys()]).toEqual(['a2']);
		const deleted = applyAlertEvent(closed, { type: 'AlertDeleted', alert_id: 'a2' }, open);
		expect(deleted.size).toBe(0);
	});

	it('returns the same map when nothing changes', () => {
		const before = alertMap([alert('a1')]);
		expect(applyAlertEvent(before, { type: 'x' }, open)).toBe(before);
		expect(applyAlertEvent(before, { deleted: true, id: 'zz' }, open)).toBe(before);
		expect(applyAlertEvent(before, { alert: alert('a9', { status: 'closed' }) }, open)).toBe(before);
	});
});

describe('matchesFilter', () => {
	it('applies status, acknowledged, priority, all tags and text like the server', () => {
		const a = alert('a1', { priority: 'P1', tags: ['db', 'prod'], message: 'Disk FULL', alias: 'db-1' });
		expect(matchesFilter(a, {})).toBe(true);
		expect(matchesFilter(a, { status: 'closed' })).toBe(false);
		expect(matchesFilter(a, { acknowledged: true })).toBe(false);
		expect(matchesFilter(a, { acknowledged: false })).toBe(true);
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

describe('counts', () => {
	it('reads a snapshot and follows events', () => {
		const counts = snapshotCounts({ open: 3, unacknowledged: 2, label: 'x' });
		expect(counts).toEqual({ open: 3, unacknowledged: 2 });
		expect(snapshotCounts({ counts: { open: 1 } })).toEqual({ open: 1 });
		expect(applyCountsEvent(counts, { counts: { open: 4, unacknowledged: 3 } })).toEqual({
			open: 4,
			unacknowledged: 3
		});
		expect(applyCountsEvent(counts, { open: 5 })).toEqual({ open: 5, unacknowledged: 2 });
		expect(applyCountsEvent(counts, { type: 'noop' })).toBe(counts);
	});
});

describe('on call', () => {
	it('reads rows in several spellings and replaces a schedule on events', () => {
		const rows = snapshotOnCall([
			{ schedule: { id: 's1', name: 'Ops' }, users: ['ana'] },
			{ _parent: { id: 's2', name: 'DB' }, users: [{ username: 'bob' }] }
		]);
		expect(rows).toEqual([
			{ scheduleId: 's1', scheduleName: 'Ops', users: ['ana'] },
			{ scheduleId: 's2', scheduleName: 'DB', users: ['bob'] }
		]);
		const next = applyOnCallEvent(rows, { schedule: { id: 's1', name: 'Ops' }, users: ['cy'] });
		expect(next.map((r) => [r.scheduleName, r.users])).toEqual([
			['DB', ['bob']],
			['Ops', ['cy']]
		]);
		expect(applyOnCallEvent(next, { schedule_id: 's2', deleted: true })).toHaveLength(1);
	});
});
