import { describe, expect, it } from 'vitest';
import { encodeFrame, parseFrame } from './protocol';

describe('parseFrame', () => {
	it('reads the frames of the contract', () => {
		expect(parseFrame('{"type":"ready"}')).toEqual({ type: 'ready' });
		expect(parseFrame('{"type":"snapshot","id":"s1","version":7,"data":[1]}')).toEqual({
			type: 'snapshot',
			id: 's1',
			version: 7,
			data: [1]
		});
		expect(parseFrame('{"type":"event","id":"s1","version":8,"event":{"a":1}}')).toEqual({
			type: 'event',
			id: 's1',
			version: 8,
			event: { a: 1 }
		});
		expect(parseFrame('{"type":"resync","id":"s1"}')).toEqual({ type: 'resync', id: 's1' });
	});

	it('gives errors a code and a message, with or without a subscription id', () => {
		expect(parseFrame('{"type":"error","code":"token_expired"}')).toEqual({
			type: 'error',
			id: null,
			code: 'token_expired',
			message: 'token_expired'
		});
		expect(parseFrame('{"type":"error","id":"s2","message":"bad topic"}')).toMatchObject({
			id: 's2',
			code: 'error',
			message: 'bad topic'
		});
	});

	it('ignores what it does not know instead of failing', () => {
		expect(parseFrame('not json')).toBeNull();
		expect(parseFrame('[1,2]')).toBeNull();
		expect(parseFrame('{"type":"pong"}')).toBeNull();
		expect(parseFrame('{"type":"snapshot","id":"s1"}')).toBeNull(); // no version
		expect(parseFrame('{"type":"event","id":"s1","version":"3","event":{}}')).toBeNull();
	});

	it('unrolls batched events in each spelling, keeping versions', () => {
		const versioned = parseFrame(
			'{"type":"events","id":"s1","events":[{"version":3,"event":{"n":1}},{"version":4,"event":{"n":2}}]}'
		);
		expect(versioned).toEqual({
			type: 'events',
			id: 's1',
			events: [
				{ type: 'event', id: 's1', version: 3, event: { n: 1 } },
				{ type: 'event', id: 's1', version: 4, event: { n: 2 } }
			]
		});
		const pairs = parseFrame('{"type":"events","id":"s1","events":[[5,{"n":1}],[6,{"n":2}]]}');
		expect(pairs && pairs.type === 'events' && pairs.events.map((e) => e.version)).toEqual([5, 6]);
		const batch = parseFrame('{"type":"events","id":"s1","version":9,"events":[{"n":1},{"n":2}]}');
		expect(batch && batch.type === 'events' && batch.events.map((e) => e.version)).toEqual([8, 9]);
	});
});

describe('encodeFrame', () => {
	it('writes subscribe frames as JSON', () => {
		const text = encodeFrame({
			type: 'subscribe',
			id: 's1',
			topic: 'alerts',
			filter: { status: 'open' },
			since: 4
		});
		expect(JSON.parse(text)).toEqual({
			type: 'subscribe',
			id: 's1',
			topic: 'alerts',
			filter: { status: 'open' },
			since: 4
		});
	});
});
