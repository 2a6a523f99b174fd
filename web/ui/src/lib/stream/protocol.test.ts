import { describe, expect, it } from 'vitest';
import { encodeFrame, parseFrame } from './protocol';

const alertsData = { topic: 'alerts', alerts: [], next_cursor: null };
const change = { topic: 'alerts', version: 8, type: 'AlertAcknowledged', alert_id: 'a1', alert: null, deleted: false };

describe('parseFrame', () => {
	it('reads the frames of web/ws/protocol.py', () => {
		expect(parseFrame('{"type":"ready","org_id":"o","ping_interval":20,"idle_timeout":60}')).toMatchObject({
			type: 'ready',
			ping_interval: 20
		});
		expect(parseFrame(JSON.stringify({ type: 'snapshot', id: 's1', version: 7, data: alertsData }))).toEqual({
			type: 'snapshot',
			id: 's1',
			version: 7,
			data: alertsData
		});
		expect(parseFrame(JSON.stringify({ type: 'event', id: 's1', version: 8, event: change }))).toMatchObject({
			type: 'event',
			event: { alert_id: 'a1' }
		});
		const events = { type: 'events', id: 's1', version: 9, events: [change, { ...change, version: 9 }] };
		expect(parseFrame(JSON.stringify(events))).toEqual(events);
		expect(parseFrame('{"type":"caught_up","id":"s1","version":9,"replayed":2}')).toMatchObject({
			type: 'caught_up'
		});
		expect(parseFrame('{"type":"resync","id":"s1","reason":"overflow"}')).toMatchObject({ type: 'resync' });
		expect(parseFrame('{"type":"ping"}')).toEqual({ type: 'ping' });
		expect(parseFrame('{"type":"error","code":"token_expired","message":"expired"}')).toMatchObject({
			code: 'token_expired'
		});
	});

	it('ignores what it does not know, or what lacks what the client relies on', () => {
		expect(parseFrame('not json')).toBeNull();
		expect(parseFrame('[1,2]')).toBeNull();
		expect(parseFrame('{"type":"hello"}')).toBeNull();
		expect(parseFrame('{"type":"snapshot","id":"s1","data":{}}')).toBeNull(); // no version
		expect(parseFrame('{"type":"event","id":"s1","version":3,"event":{"topic":"alerts"}}')).toBeNull();
		expect(parseFrame('{"type":"events","id":"s1","version":3,"events":[1]}')).toBeNull();
		expect(parseFrame('{"type":"error"}')).toBeNull();
	});
});

describe('encodeFrame', () => {
	it('writes client frames as JSON', () => {
		const frame = { type: 'subscribe', id: 's1', topic: 'alerts', filter: { status: 'open' }, since: 4 } as const;
		expect(JSON.parse(encodeFrame(frame))).toEqual(frame);
	});
});
