import { describe, expect, it } from 'vitest';
import { DEFAULTS, paramsSearch, parseParams, toFilter } from './filters';

describe('alert list URL parameters', () => {
	it('default to the open alerts, newest first', () => {
		expect(parseParams(new URLSearchParams(''))).toEqual(DEFAULTS);
		expect(paramsSearch(DEFAULTS)).toBe('');
	});

	it('round-trip through the query string, ignoring junk', () => {
		const params = parseParams(
			new URLSearchParams('status=all&ack=unacknowledged&priority=P1,P9,P2&tag=db,,prod&q=disk&sort=priority&order=asc')
		);
		expect(params).toEqual({
			status: 'all',
			ack: 'unacknowledged',
			priority: ['P1', 'P2'],
			tag: ['db', 'prod'],
			q: 'disk',
			sort: 'priority',
			order: 'asc'
		});
		expect(parseParams(new URLSearchParams(paramsSearch(params).slice(1)))).toEqual(params);
		expect(parseParams(new URLSearchParams('sort=nope&status=x')).sort).toBe('createdAt');
	});

	it('become the API filter', () => {
		expect(toFilter({ ...DEFAULTS, status: 'all', ack: 'acknowledged' })).toMatchObject({
			status: null,
			acknowledged: true
		});
		expect(toFilter(DEFAULTS)).toMatchObject({ status: 'open', acknowledged: null });
	});
});
