import { describe, expect, it } from 'vitest';
import { duration, plural, timeAgo } from './format';

describe('format', () => {
	const now = Date.parse('2030-01-01T12:00:00Z');

	it('says how long ago', () => {
		expect(timeAgo('2030-01-01T11:59:50Z', now)).toBe('now');
		expect(timeAgo('2030-01-01T11:57:00Z', now)).toMatch(/3/);
		expect(timeAgo('2030-01-01T09:00:00Z', now)).toMatch(/3/);
		expect(timeAgo('not a date', now)).toBe('');
	});

	it('counts and measures', () => {
		expect(plural(1, 'alert')).toBe('1 alert');
		expect(plural(2, 'alert')).toBe('2 alerts');
		expect(duration(30_000)).toBe('30 s');
		expect(duration(5 * 60_000)).toBe('5 min');
		expect(duration(125 * 60_000)).toBe('2 h 5 min');
		expect(duration(72 * 3_600_000)).toBe('3 d');
	});
});
