/** Lists the API answers a page at a time (`limit`, `cursor` -> `next_cursor`). */

export interface Page<T> {
	data: T[];
	next_cursor?: string | null;
}

/**
 * Every item of a paged list: `fetchPage(null)`, then each `next_cursor` until there
 * is none, at most `maxPages` requests (what came so far is kept).
 */
export async function allPages<T>(
	fetchPage: (cursor: string | null) => Promise<Page<T>>,
	maxPages = 100
): Promise<T[]> {
	const items: T[] = [];
	let cursor: string | null = null;
	for (let i = 0; i < maxPages; i++) {
		const page: Page<T> = await fetchPage(cursor);
		items.push(...page.data);
		cursor = page.next_cursor ?? null;
		if (!cursor) break;
	}
	return items;
}

/** `list` and then the items of `page` it does not hold yet (by `id`): a next page appended. */
export function appendNew<T extends { id: string }>(list: readonly T[], page: readonly T[]): T[] {
	const seen = new Set(list.map((item) => item.id));
	return [...list, ...page.filter((item) => !seen.has(item.id))];
}
