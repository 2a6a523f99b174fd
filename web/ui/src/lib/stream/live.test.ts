import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertOut, Delta, SnapshotData } from '$lib/api/types.gen';
import type { LiveConnection, SubscriptionHandlers } from './connection';
import type { Topic } from './protocol';
import { LiveAlerts, useConnection } from './live.svelte';

function alert(id: string, over: Partial<AlertOut> = {}): AlertOut {
	return {
		id,
		tinyId: id.slice(1),
		alias: id,
		message: `message ${id}`,
		status: 'open',
		acknowledged: false,
		snoozed: false,
		count: 1,
		createdAt: `2030-01-01T10:00:0${id.slice(1)}Z`,
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

/** Records subscriptions and lets the test play the server's frames. */
class FakeConnection {
	subs: { topic: Topic; filter: Record<string, unknown>; handlers: SubscriptionHandlers; open: boolean }[] = [];
	subscribe(topic: Topic, filter: Record<string, unknown>, handlers: SubscriptionHandlers) {
		const sub = { topic, filter, handlers, open: true };
		this.subs.push(sub);
		return { id: `s${this.subs.length}`, version: null, unsubscribe: () => (sub.open = false) };
	}
	snapshot(data: SnapshotData, version = 10) {
		this.subs.at(-1)!.handlers.snapshot(version, data);
	}
	delta(delta: Delta) {
		this.subs.at(-1)!.handlers.event(delta.version, delta);
	}
}

/** `fetch` answering the alert list with `page`, when the test releases it. */
function stubList(page: AlertOut[], nextCursor: string | null = null) {
	let release!: () => void;
	const gate = new Promise<void>((resolve) => (release = resolve));
	const fetch = vi.fn(async (_url: string | URL | Request) => {
		await gate;
		return new Response(JSON.stringify({ data: page, next_cursor: nextCursor, request_id: 'r' }), {
			status: 200,
			headers: { 'Content-Type': 'application/json' }
		});
	});
	vi.stubGlobal('fetch', fetch);
	return { fetch, release };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('LiveAlerts', () => {
	let conn: FakeConnection;

	beforeEach(() => {
		conn = new FakeConnection();
		useConnection(conn as unknown as LiveConnection);
	});
	afterEach(() => {
		vi.unstubAllGlobals();
		useConnection(null);
	});

	it('paints the REST page, then follows the snapshot and deltas in place', async () => {
		const rest = stubList([alert('a1'), alert('a2')], 'c1');
		const list = new LiveAlerts({ status: 'open', priority: ['P3'] }, 50);
		const stop = list.start();
		expect(conn.subs[0]).toMatchObject({
			topic: 'alerts',
			filter: { status: 'open', priority: ['P3'], sort: 'createdAt', order: 'desc', limit: 50 }
		});
		expect(String(rest.fetch.mock.calls[0]![0])).toContain('/api/v1/alerts?status=open&priority=P3');
		rest.release();
		await settle();
		expect(list.items.map((a) => a.id)).toEqual(['a2', 'a1']);
		expect(list.nextCursor).toBe('c1');
		expect(list.loading).toBe(false);

		conn.snapshot({ topic: 'alerts', alerts: [alert('a1'), alert('a3')], next_cursor: null });
		expect(list.items.map((a) => a.id)).toEqual(['a3', 'a1']);
		expect(list.nextCursor).toBeNull();

		const acked = alert('a1', { acknowledged: true });
		conn.delta({ topic: 'alerts', version: 11, type: 'AlertAcknowledged', alert_id: 'a1', alert: acked, deleted: false });
		expect(list.byId.get('a1')?.acknowledged).toBe(true);
		conn.delta({ topic: 'alerts', version: 12, type: 'AlertClosed', alert_id: 'a3', alert: null, deleted: false });
		expect(list.items.map((a) => a.id)).toEqual(['a1']);

		stop();
		expect(conn.subs[0]!.open).toBe(false);
	});

	it('ignores a REST answer that arrives after the snapshot', async () => {
		const rest = stubList([alert('a1')]);
		const list = new LiveAlerts({ status: 'open' });
		list.start();
		conn.snapshot({ topic: 'alerts', alerts: [alert('a5')], next_cursor: null });
		rest.release();
		await settle();
		expect(list.items.map((a) => a.id)).toEqual(['a5']);
	});

	it('applies an action’s answer at once, dropping what leaves the filter', async () => {
		stubList([]).release();
		const list = new LiveAlerts({ status: 'open', acknowledged: false });
		list.start();
		conn.snapshot({ topic: 'alerts', alerts: [alert('a1'), alert('a2')], next_cursor: null });
		list.upsert(alert('a1', { acknowledged: true }));
		expect(list.items.map((a) => a.id)).toEqual(['a2']);
	});

	it('keeps what still matches on screen when the filter changes', () => {
		stubList([]);
		const before = new LiveAlerts({ status: 'open' });
		before.start();
		conn.snapshot({
			topic: 'alerts',
			alerts: [alert('a1', { priority: 'P1' }), alert('a2')],
			next_cursor: null
		});
		const after = new LiveAlerts({ status: 'open', priority: ['P1'] }, 100, before);
		expect(after.items.map((a) => a.id)).toEqual(['a1']);
		expect(after.loading).toBe(true); // until its own data arrives
	});
});
