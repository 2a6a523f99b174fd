import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Delta, HeartbeatOut, SnapshotData } from './api/types.gen';
import {
	applyHeartbeatDelta,
	emptyHeartbeat,
	heartbeatBody,
	heartbeatDraft,
	heartbeatStatus,
	intervalText,
	nextDue,
	pingCurl,
	pingUrl,
	snapshotHeartbeats,
	upsertHeartbeat
} from './admin-heartbeats';
import { LiveHeartbeats } from './admin-heartbeats.svelte';
import type { LiveConnection, SubscriptionHandlers } from './stream/connection';
import { useConnection } from './stream/live.svelte';
import type { Topic } from './stream/protocol';

const beat: HeartbeatOut = {
	name: 'nightly backup',
	description: 'db dump',
	interval: 25,
	intervalUnit: 'hours',
	enabled: true,
	expired: false,
	alertMessage: 'nightly backup is expired',
	alertTags: ['backup'],
	alertPriority: 'P2',
	lastPingTime: '2030-01-01T00:00:00Z',
	ownerTeam: { id: '', name: 'Ops' }
};

describe('heartbeat status', () => {
	it('is disabled, expired or active', () => {
		expect(heartbeatStatus(beat)).toBe('active');
		expect(heartbeatStatus({ ...beat, expired: true })).toBe('expired');
		expect(heartbeatStatus({ ...beat, expired: true, enabled: false })).toBe('disabled');
	});

	it('reads the interval and when the next ping is due', () => {
		expect(intervalText(25, 'hours')).toBe('every 25 hours');
		expect(intervalText(1, 'minutes')).toBe('every minute');
		expect(nextDue(beat)).toBe('2030-01-02T01:00:00.000Z');
		expect(nextDue({ ...beat, lastPingTime: null })).toBeNull();
		expect(nextDue({ ...beat, enabled: false })).toBeNull();
	});
});

describe('heartbeat form', () => {
	it('creates with every field, trimmed, tags split and de-duplicated', () => {
		const draft = { ...emptyHeartbeat(), name: ' cron ', alertTags: 'a, b,, a', ownerTeam: ' Ops ' };
		expect(heartbeatBody(draft, 'create')).toEqual({
			body: {
				name: 'cron',
				enabled: true,
				description: '',
				interval: 10,
				intervalUnit: 'minutes',
				ownerTeam: 'Ops',
				alertMessage: '',
				alertTags: ['a', 'b'],
				alertPriority: 'P3'
			},
			errors: null
		});
	});

	it('edits without name or enabled, and an empty owner team clears it', () => {
		const draft = { ...heartbeatDraft(beat), ownerTeam: '' };
		const body = heartbeatBody(draft, 'edit').body;
		expect(body).not.toHaveProperty('name');
		expect(body).not.toHaveProperty('enabled');
		expect(body).toMatchObject({ ownerTeam: '', interval: 25, intervalUnit: 'hours', alertTags: ['backup'] });
	});

	it('names what is wrong, by the API field names', () => {
		const draft = { ...emptyHeartbeat(), name: 'a/b', interval: 0, alertTags: 'x'.repeat(51) };
		expect(heartbeatBody(draft, 'create').errors).toEqual({
			name: 'A name cannot contain “/” (it is part of the ping URL).',
			interval: 'At least 1, a whole number.',
			alertTags: 'A tag has at most 50 characters.'
		});
		expect(heartbeatBody({ ...emptyHeartbeat(), interval: 3651, intervalUnit: 'days' }, 'edit').errors).toEqual({
			interval: 'At most 3650 days.'
		});
		expect(heartbeatBody(emptyHeartbeat(), 'create').errors).toEqual({ name: 'A heartbeat needs a name.' });
	});

	it('gives a ping URL and a curl line safe to paste', () => {
		expect(pingUrl('https://p.example', "it's up")).toBe('https://p.example/api/v1/heartbeats/it%27s%20up/ping');
		expect(pingCurl('https://p.example', 'db')).toBe(
			`curl -fsS -X POST 'https://p.example/api/v1/heartbeats/db/ping' -H "Authorization: GenieKey $PULSAR_API_KEY"`
		);
	});
});

// --- the live list -------------------------------------------------------------------------

const named = (name: string, over: Partial<HeartbeatOut> = {}): HeartbeatOut => ({ ...beat, name, ...over });
const names = (rows: readonly HeartbeatOut[]) => rows.map((r) => r.name);
const change = (version: number, type: string, name: string, heartbeat: HeartbeatOut | null): Delta => ({
	topic: 'heartbeats',
	version,
	type,
	name,
	heartbeat
});

describe('heartbeat list reducer', () => {
	it('takes a snapshot in name order (code points, as the server sorts)', () => {
		const data: SnapshotData = { topic: 'heartbeats', heartbeats: [named('b'), named('B'), named('a')] };
		expect(names(snapshotHeartbeats(data))).toEqual(['B', 'a', 'b']);
		expect(snapshotHeartbeats({ topic: 'oncall', schedules: [] })).toEqual([]);
	});

	it('upserts in place, adds in order and removes on null', () => {
		const rows = [named('a'), named('c')];
		const pinged = applyHeartbeatDelta(rows, change(5, 'HeartbeatPinged', 'c', named('c', { lastPingTime: '2030-01-02T00:00:00Z' })));
		expect(names(pinged)).toEqual(['a', 'c']);
		expect(pinged[1]!.lastPingTime).toBe('2030-01-02T00:00:00Z');
		expect(rows[1]!.lastPingTime).toBe('2030-01-01T00:00:00Z'); // input untouched
		const added = applyHeartbeatDelta(pinged, change(6, 'HeartbeatCreated', 'b', named('b')));
		expect(names(added)).toEqual(['a', 'b', 'c']);
		const expired = applyHeartbeatDelta(added, change(7, 'HeartbeatExpired', 'a', named('a', { expired: true })));
		expect(heartbeatStatus(expired[0]!)).toBe('expired');
		const removed = applyHeartbeatDelta(expired, change(8, 'HeartbeatDeleted', 'b', null));
		expect(names(removed)).toEqual(['a', 'c']);
	});

	it('leaves the list as is for an unknown removal or another topic', () => {
		const rows = [named('a')];
		expect(applyHeartbeatDelta(rows, change(3, 'HeartbeatDeleted', 'zz', null))).toBe(rows);
		const other: Delta = { topic: 'oncall', version: 4, type: 'OnCallChanged', schedule_id: 's', oncall: null };
		expect(applyHeartbeatDelta(rows, other)).toBe(rows);
		expect(upsertHeartbeat(rows, 'a', null)).toEqual([]);
	});
});

/** Records subscriptions and lets the test play the server's frames. */
class FakeConnection {
	subs: { topic: Topic; handlers: SubscriptionHandlers; open: boolean }[] = [];
	subscribe(topic: Topic, _filter: Record<string, unknown>, handlers: SubscriptionHandlers) {
		const sub = { topic, handlers, open: true };
		this.subs.push(sub);
		return { id: `s${this.subs.length}`, version: null, unsubscribe: () => (sub.open = false) };
	}
}

function stubList(page: HeartbeatOut[]) {
	let release!: () => void;
	const gate = new Promise<void>((resolve) => (release = resolve));
	const fetch = vi.fn(async (_url: string | URL | Request) => {
		await gate;
		return new Response(JSON.stringify({ data: page, request_id: 'r' }), {
			status: 200,
			headers: { 'Content-Type': 'application/json' }
		});
	});
	vi.stubGlobal('fetch', fetch);
	return { fetch, release };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('LiveHeartbeats', () => {
	let conn: FakeConnection;

	beforeEach(() => {
		conn = new FakeConnection();
		useConnection(conn as unknown as LiveConnection);
	});
	afterEach(() => {
		vi.unstubAllGlobals();
		useConnection(null);
	});

	it('paints the REST list, then follows the snapshot and deltas without polling', async () => {
		const rest = stubList([named('db')]);
		const live = new LiveHeartbeats();
		const stop = live.start();
		expect(conn.subs[0]).toMatchObject({ topic: 'heartbeats', open: true });
		expect(String(rest.fetch.mock.calls[0]![0])).toContain('/api/v1/heartbeats');
		rest.release();
		await settle();
		expect(names(live.rows)).toEqual(['db']);
		expect(live.loading).toBe(false);

		const { handlers } = conn.subs[0]!;
		handlers.snapshot(10, { topic: 'heartbeats', heartbeats: [named('db'), named('cron')] });
		expect(names(live.rows)).toEqual(['cron', 'db']);
		handlers.event(11, change(11, 'HeartbeatCreated', 'api', named('api')));
		handlers.event(12, change(12, 'HeartbeatDeleted', 'db', null));
		expect(names(live.rows)).toEqual(['api', 'cron']);
		expect(rest.fetch).toHaveBeenCalledTimes(1);

		live.upsert(named('cron', { enabled: false }));
		expect(heartbeatStatus(live.rows[1]!)).toBe('disabled');
		live.remove('api');
		expect(names(live.rows)).toEqual(['cron']);
		stop();
		expect(conn.subs[0]!.open).toBe(false);
	});

	it('ignores a REST answer that arrives after the snapshot', async () => {
		const rest = stubList([named('old')]);
		const live = new LiveHeartbeats();
		live.start();
		conn.subs[0]!.handlers.snapshot(3, { topic: 'heartbeats', heartbeats: [named('new')] });
		rest.release();
		await settle();
		expect(names(live.rows)).toEqual(['new']);
	});
});
