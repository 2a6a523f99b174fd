import { describe, expect, it } from 'vitest';
import type { Delta, SnapshotData } from '$lib/api/types.gen';
import { LiveConnection, type LiveStatus, type SocketLike } from './connection';

const READY = { type: 'ready', org_id: 'o1', ping_interval: 20, idle_timeout: 60 };
const DATA = { topic: 'alerts', alerts: [], next_cursor: null };

/** An `alerts` delta with version `version` (the payload does not matter here). */
function delta(version: number, n = version): Delta {
	return { topic: 'alerts', version, type: `T${n}`, alert_id: `a${n}`, alert: null, deleted: false };
}

/** A socket the test plays the server for. */
class FakeSocket implements SocketLike {
	readyState = 0;
	sent: Record<string, unknown>[] = [];
	closed: { code?: number; reason?: string } | null = null;
	onopen: ((event: unknown) => void) | null = null;
	onmessage: ((event: { data: unknown }) => void) | null = null;
	onclose: ((event: { code: number; reason: string }) => void) | null = null;
	onerror: ((event: unknown) => void) | null = null;

	constructor(readonly url: string) {}

	send(data: string): void {
		this.sent.push(JSON.parse(data));
	}
	close(code?: number, reason?: string): void {
		this.closed = { code, reason };
		this.readyState = 3;
	}
	// --- the server's side
	open(): void {
		this.readyState = 1;
		this.onopen?.({});
	}
	frame(frame: unknown): void {
		this.onmessage?.({ data: JSON.stringify(frame) });
	}
	drop(): void {
		this.readyState = 3;
		this.onclose?.({ code: 1006, reason: '' });
	}
	ofType(type: string): Record<string, unknown>[] {
		return this.sent.filter((f) => f.type === type);
	}
}

/** Timers that run only when the test says so. */
class FakeTimers {
	private queue = new Map<number, { fn: () => void; ms: number }>();
	private next = 1;
	set = (fn: () => void, ms: number) => {
		const handle = this.next++;
		this.queue.set(handle, { fn, ms });
		return handle;
	};
	clear = (handle: unknown) => {
		this.queue.delete(handle as number);
	};
	/** Run the pending timers with this delay (the reconnect backoff or the ready timeout). */
	run(ms: number): void {
		for (const [handle, timer] of [...this.queue]) {
			if (timer.ms === ms) {
				this.queue.delete(handle);
				timer.fn();
			}
		}
	}
	delays(): number[] {
		return [...this.queue.values()].map((t) => t.ms);
	}
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function setup(tokens: (string | null)[] = ['t1', 't2', 't3', 't4']) {
	const sockets: FakeSocket[] = [];
	const statuses: LiveStatus[] = [];
	const timers = new FakeTimers();
	const clock = { now: 0 };
	const tokenCalls: boolean[] = [];
	let authFailed = 0;
	const connection = new LiveConnection({
		url: () => 'ws://pulsar/api/v1/ws',
		socket: (url) => {
			const socket = new FakeSocket(url);
			sockets.push(socket);
			return socket;
		},
		token: async (fresh) => {
			tokenCalls.push(fresh);
			return tokens.length > 1 ? (tokens.shift() ?? null) : (tokens[0] ?? null);
		},
		onStatus: (status) => statuses.push(status),
		onAuthFailed: () => authFailed++,
		backoff: () => 100,
		readyTimeoutMs: 5000,
		timers,
		now: () => clock.now
	});
	const last = () => sockets[sockets.length - 1]!;
	/** Open the latest socket, let it authenticate and answer ready. */
	const handshake = async () => {
		last().open();
		await flush();
		last().frame(READY);
	};
	return {
		connection,
		sockets,
		statuses,
		timers,
		tokenCalls,
		last,
		handshake,
		clock,
		authFailed: () => authFailed
	};
}

function recorder() {
	const log: unknown[] = [];
	return {
		log,
		handlers: {
			snapshot: (version: number, data: SnapshotData) => log.push(['snapshot', version, data]),
			event: (version: number, event: Delta) => log.push(['event', version, 'type' in event ? event.type : '']),
			error: (code: string) => log.push(['error', code])
		}
	};
}

describe('LiveConnection', () => {
	it('authenticates first, goes live on ready, then subscribes', async () => {
		const t = setup();
		const r = recorder();
		t.connection.subscribe('alerts', { status: 'open' }, r.handlers);
		t.connection.start();
		expect(t.statuses).toEqual(['connecting']);
		t.last().open();
		await flush();
		expect(t.last().sent).toEqual([{ type: 'auth', token: 't1' }]);
		t.last().frame(READY);
		expect(t.statuses).toEqual(['connecting', 'live']);
		expect(t.last().ofType('subscribe')).toEqual([
			{ type: 'subscribe', id: 's1', topic: 'alerts', filter: { status: 'open' } }
		]);
	});

	it('delivers the snapshot then events in order, skipping versions already applied', async () => {
		const t = setup();
		const r = recorder();
		const sub = t.connection.subscribe('alerts', {}, r.handlers);
		t.connection.start();
		await t.handshake();
		t.last().frame({ type: 'snapshot', id: sub.id, version: 10, data: DATA });
		t.last().frame({ type: 'event', id: sub.id, version: 11, event: delta(11) });
		t.last().frame({ type: 'event', id: sub.id, version: 11, event: delta(11) }); // duplicate
		t.last().frame({ type: 'event', id: sub.id, version: 9, event: delta(9) }); // old
		t.last().frame({ type: 'events', id: sub.id, version: 13, events: [delta(12), delta(13)] });
		t.last().frame({ type: 'event', id: 'other', version: 14, event: delta(14) }); // not ours
		expect(r.log).toEqual([
			['snapshot', 10, DATA],
			['event', 11, 'T11'],
			['event', 12, 'T12'],
			['event', 13, 'T13']
		]);
		expect(sub.version).toBe(13);
	});

	it('subscribing while live sends at once; unsubscribing tells the server', async () => {
		const t = setup();
		t.connection.start();
		await t.handshake();
		const sub = t.connection.subscribe('counts', {}, recorder().handlers);
		expect(t.last().ofType('subscribe')).toHaveLength(1);
		sub.unsubscribe();
		sub.unsubscribe(); // idempotent
		expect(t.last().ofType('unsubscribe')).toEqual([{ type: 'unsubscribe', id: sub.id }]);
	});

	it('after a drop it shows reconnecting, backs off, and resumes with since', async () => {
		const t = setup();
		const r = recorder();
		const sub = t.connection.subscribe('alerts', { status: 'open' }, r.handlers);
		t.connection.start();
		await t.handshake();
		t.last().frame({ type: 'snapshot', id: sub.id, version: 5, data: DATA });
		t.last().frame({ type: 'event', id: sub.id, version: 6, event: delta(6) });

		t.last().drop();
		expect(t.connection.status).toBe('reconnecting');
		expect(t.sockets).toHaveLength(1);
		t.timers.run(100); // backoff over: a new socket
		expect(t.sockets).toHaveLength(2);
		t.last().drop(); // the server is still down
		t.timers.run(100);
		expect(t.sockets).toHaveLength(3);
		expect(t.connection.status).toBe('reconnecting');

		await t.handshake();
		expect(t.connection.status).toBe('live');
		expect(t.last().ofType('subscribe')).toEqual([
			{ type: 'subscribe', id: sub.id, topic: 'alerts', filter: { status: 'open' }, since: 6 }
		]);
		t.last().frame({ type: 'event', id: sub.id, version: 7, event: delta(7) });
		t.last().frame({ type: 'caught_up', id: sub.id, version: 9, replayed: 1 });
		expect(r.log.at(-1)).toEqual(['event', 7, 'T7']);
		expect(sub.version).toBe(9); // events 8-9 did not concern this subscription
		expect(t.statuses).toEqual(['connecting', 'live', 'reconnecting', 'live']);
	});

	it('resync subscribes again from the version it has', async () => {
		const t = setup();
		const r = recorder();
		const sub = t.connection.subscribe('alerts', {}, r.handlers);
		t.connection.start();
		await t.handshake();
		t.last().frame({ type: 'snapshot', id: sub.id, version: 5, data: DATA });
		t.last().frame({ type: 'resync', id: sub.id, reason: 'overflow' });
		const subscribes = t.last().ofType('subscribe');
		expect(subscribes).toHaveLength(2);
		expect(subscribes[1]).toMatchObject({ id: sub.id, since: 5 });
		t.last().frame({ type: 'snapshot', id: sub.id, version: 40, data: DATA });
		expect(r.log.at(-1)).toEqual(['snapshot', 40, DATA]);
	});

	it('answers pings, and hands a refreshed token over without resubscribing', async () => {
		const t = setup();
		t.connection.subscribe('alerts', {}, recorder().handlers);
		t.connection.start();
		await t.handshake();
		t.last().frame({ type: 'ping' });
		expect(t.last().ofType('pong')).toEqual([{ type: 'pong' }]);
		t.connection.reauthenticate('t-new');
		expect(t.last().ofType('auth').at(-1)).toEqual({ type: 'auth', token: 't-new' });
		t.last().frame(READY); // the server accepts the new token
		expect(t.last().ofType('subscribe')).toHaveLength(1);
		expect(t.connection.status).toBe('live');
	});

	it('presumes a silent socket dead and reconnects', async () => {
		const t = setup();
		t.connection.start();
		await t.handshake();
		t.clock.now = 30_000; // 1.5 ping intervals: still fine
		t.timers.run(20_000);
		expect(t.connection.status).toBe('live');
		t.clock.now = 60_000; // 3 intervals without a frame
		t.timers.run(20_000);
		expect(t.sockets[0]!.closed?.code).toBe(4002);
		expect(t.connection.status).toBe('reconnecting');
		t.timers.run(100);
		expect(t.sockets).toHaveLength(2);
	});

	it('a refused auth retries with a fresh token; three refusals end the session', async () => {
		const t = setup();
		t.connection.start();
		t.last().open();
		await flush();
		t.last().frame({ type: 'error', code: 'token_expired' });
		t.last().drop();
		t.timers.run(100);
		t.last().open();
		await flush();
		expect(t.tokenCalls).toEqual([false, true]);
		expect(t.last().sent[0]).toEqual({ type: 'auth', token: 't2' });
		t.last().frame({ type: 'error', code: 'unauthorized' });
		t.last().drop();
		t.timers.run(100);
		t.last().open();
		await flush();
		t.last().frame({ type: 'error', code: 'unauthorized' });
		expect(t.authFailed()).toBe(1);
		expect(t.connection.status).toBe('stopped');
	});

	it('stops without a token (signed out) and never reconnects after stop', async () => {
		const t = setup([null]);
		t.connection.start();
		t.last().open();
		await flush();
		expect(t.authFailed()).toBe(1);
		expect(t.connection.status).toBe('stopped');
		t.last().drop();
		expect(t.timers.delays()).toEqual([]);
	});

	it('a token that cannot be had yet (server restarting) retries instead of signing out', async () => {
		const t = setup();
		let calls = 0;
		const connection = new LiveConnection({
			url: () => 'ws://x',
			socket: (url) => {
				const socket = new FakeSocket(url);
				t.sockets.push(socket);
				return socket;
			},
			token: async () => {
				if (calls++ === 0) throw new TypeError('fetch failed');
				return 'tok';
			},
			backoff: () => 100,
			timers: t.timers
		});
		connection.start();
		t.last().open();
		await flush();
		expect(t.last().closed?.code).toBe(4001);
		t.last().drop();
		expect(connection.status).toBe('reconnecting');
		t.timers.run(100);
		t.last().open();
		await flush();
		expect(t.last().sent).toEqual([{ type: 'auth', token: 'tok' }]);
	});

	it('gives up on a socket that never says ready', async () => {
		const t = setup();
		t.connection.start();
		t.last().open();
		await flush();
		t.timers.run(5000);
		expect(t.last().closed?.code).toBe(4000);
		t.last().drop();
		expect(t.connection.status).toBe('reconnecting');
	});

	it('hands subscription errors to their handler', async () => {
		const t = setup();
		const r = recorder();
		const sub = t.connection.subscribe('oncall', {}, r.handlers);
		t.connection.start();
		await t.handshake();
		t.last().frame({ type: 'error', id: sub.id, code: 'unknown_topic' });
		expect(r.log).toEqual([['error', 'unknown_topic']]);
		expect(t.connection.status).toBe('live');
	});

	it('reconnectNow skips the backoff', async () => {
		const t = setup();
		t.connection.start();
		await t.handshake();
		t.last().drop();
		expect(t.sockets).toHaveLength(1);
		t.connection.reconnectNow();
		expect(t.sockets).toHaveLength(2);
		expect(t.timers.delays()).toEqual([5000]); // only the new socket's ready timeout
	});
});
