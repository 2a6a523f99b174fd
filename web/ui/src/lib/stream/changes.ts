/**
 * Lists that follow the `changes` topic: the server sends only
 * `{version, area, id}` when something of an area is committed (ids, never data),
 * and the page refetches its list over REST, which applies the caller's scoping.
 *
 * `onChanges(area, refetch)` subscribes to the areas named (the server sends only
 * those: `paging` and `audit` come only when named, `audit` needs `audit:read`)
 * and calls `refetch` once per burst of their notifications (trailing debounce,
 * 250 ms; at most 1 s late under a steady stream) with the areas of the burst, and
 * also after a fresh snapshot that follows the first one (a reconnect too far
 * behind to replay: something may have been missed; then with every area). `id`
 * narrows to the notes about one subject (an alert's `paging`). Returns the
 * cleanup, so a page calls it from `$effect`.
 */
import type { ChangeNote, ChangesFilter } from '$lib/api/types.gen';
import { connection } from './live.svelte';

/** `members`: members and invitations; `paging`: an alert's pages (id: the alert);
 * `audit`: the log grew (one note per delivery, no id). */
export type ChangeArea = ChangeNote['area'];

export interface ChangesOptions {
	/** Quiet time after the last notification before `callback` runs (ms). */
	delay?: number;
	/** The longest a notification waits under a steady stream (ms). */
	maxWait?: number;
	/** Only the notes about this subject (e.g. one alert's `paging`). */
	id?: string;
}

export function onChanges(
	area: ChangeArea | readonly ChangeArea[],
	callback: (areas: ReadonlySet<ChangeArea>) => void,
	{ delay = 250, maxWait = 1000, id }: ChangesOptions = {}
): () => void {
	const list: ChangeArea[] = typeof area === 'string' ? [area] : [...area];
	const areas = new Set<string>(list);
	const filter: ChangesFilter = { areas: list };
	let timer: ReturnType<typeof setTimeout> | null = null;
	let first = 0; // when the pending burst began
	let snapshots = 0;
	let stopped = false;
	let fired = new Set<ChangeArea>(); // the areas of the pending burst

	const fire = () => {
		timer = null;
		const areas = fired;
		fired = new Set();
		if (!stopped) callback(areas);
	};
	const poke = (...areas: ChangeArea[]) => {
		for (const one of areas) fired.add(one);
		const now = Date.now();
		if (timer === null) first = now;
		else clearTimeout(timer);
		timer = setTimeout(fire, Math.max(0, Math.min(delay, first + maxWait - now)));
	};

	const sub = connection().subscribe(
		'changes',
		{ ...filter },
		{
			snapshot: () => {
				if (snapshots++ > 0) poke(...list);
			},
			event: (_version, delta) => {
				if (delta.topic !== 'changes' || !areas.has(delta.area)) return;
				if (id === undefined || delta.id === id) poke(delta.area);
			}
		}
	);
	return () => {
		stopped = true;
		if (timer !== null) clearTimeout(timer);
		sub.unsubscribe();
	};
}
