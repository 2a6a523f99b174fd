import { describe, expect, it } from 'vitest';
import { allPages, appendNew } from './pages';

describe('paged lists', () => {
	it('follows next_cursor to the end', async () => {
		const pages: Record<string, { data: number[]; next_cursor: string | null }> = {
			'': { data: [1, 2], next_cursor: 'a' },
			a: { data: [3], next_cursor: 'b' },
			b: { data: [], next_cursor: null }
		};
		const asked: (string | null)[] = [];
		const items = await allPages(async (cursor) => (asked.push(cursor), pages[cursor ?? '']!));
		expect(items).toEqual([1, 2, 3]);
		expect(asked).toEqual([null, 'a', 'b']);
	});

	it('stops after maxPages requests', async () => {
		let calls = 0;
		const items = await allPages(async () => (calls++, { data: [calls], next_cursor: 'again' }), 3);
		expect(items).toEqual([1, 2, 3]);
		expect(calls).toBe(3);
	});

	it('appends only what the list does not hold yet', () => {
		const list = [{ id: 'a' }, { id: 'b' }];
		expect(appendNew(list, [{ id: 'b' }, { id: 'c' }])).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
		expect(list).toHaveLength(2);
	});
});
