import { describe, expect, it } from 'vitest';
import { addDays, colourOf, dayRows, startOfDay } from './calendar';

const local = (y: number, m: number, d: number, h = 0) => new Date(y, m - 1, d, h);

describe('dayRows', () => {
	it('cuts periods at local midnights and places them within each day', () => {
		const who = (id: string) => ({ id, name: `${id}@example.com`, type: 'user' });
		const period = (from: Date, to: Date, ids: string[], sources: string[]) => ({
			startDate: from.toISOString(),
			endDate: to.toISOString(),
			users: ids,
			participants: ids.map(who),
			sources
		});
		const periods = [
			period(local(2030, 1, 1, 6), local(2030, 1, 2, 12), ['ana'], ['r1']),
			period(local(2030, 1, 2, 12), local(2030, 1, 2, 18), ['bob'], ['ovr']),
			period(local(2030, 1, 2, 18), local(2030, 1, 3, 0), [], []),
			period(local(2030, 1, 3, 12), local(2030, 1, 3, 18), [], ['ovr'])
		];
		const rows = dayRows(periods, local(2030, 1, 1, 15), 3, new Set(['ovr']));
		expect(rows.map((r) => r.day.getDate())).toEqual([1, 2, 3]);
		const [first, second, third] = rows;
		expect(first!.segments).toHaveLength(1);
		expect(first!.segments[0]).toMatchObject({ left: 0.25, width: 0.75, override: false });
		expect(first!.segments[0]!.participants.map((p) => p.id)).toEqual(['ana']);
		expect(second!.segments.map((s) => [s.participants[0]!.id, s.left, s.width, s.override])).toEqual([
			['ana', 0, 0.5, false],
			['bob', 0.5, 0.25, true]
		]);
		// nobody on call is a gap, unless an override (of nobody) says so
		expect(third!.segments.map((s) => [s.participants, s.left, s.width, s.override])).toEqual([
			[[], 0.5, 0.25, true]
		]);
	});

	it('steps by calendar days', () => {
		expect(startOfDay(local(2030, 3, 5, 13)).getHours()).toBe(0);
		expect(addDays(local(2030, 1, 31), 1).getMonth()).toBe(1);
	});

	it('gives the same people the same colour', () => {
		expect(colourOf(['ana'])).toBe(colourOf(['ana']));
	});
});
