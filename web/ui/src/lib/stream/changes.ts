/**
 * Configuration lists that follow the `changes` topic: the server sends only
 * `{version, area, id}` when something of an area is committed (ids, never data),
 * and the page refetches its list over REST, which applies the caller's scoping.
 *
 * `onChanges(area, refetch)` calls `refetch` once per burst of that area's
 * notifications (trailing debounce, 250 ms; at most 1 s late under a steady
 * stream), and also after a fresh snapshot that follows the first one (a
 * reconnect too far behind to replay: something may have been missed). Returns
 * the cleanup, so a page calls it from `$effect`.
 */
import { connection } from './live.svelte';

export type ChangeArea =
	| 'maintenance'
	| 'teams'
	| 'api-keys'
	| 'integrations'
	| 'escalation-policies'
	| 'schedules'
	| 'routing-rules';

export interface ChangesOptions {
	/** Quiet time after the last notification before `callback` runs (ms). */
	delay?: number;
	/** The longest a notification waits under a steady stream (ms). */
	maxWait?: number;
}

export function onChanges(
	area: ChangeArea | readonly ChangeArea[],
	callback: () => void,
	{ delay = 250, maxWait = 1000 }: ChangesOptions = {}
): () => void {
	const areas = new Set<string>(typeof area === 'string' ? [area] : area);
	let timer: ReturnType<typeof setTimeout> | null = null;
	let first = 0; // when the pending burst began
	let snapshots = 0;
	let stopped = false;

	const fire = () => {
		timer = null;
		if (!stopped) callback();
	};
	const poke = () => {
		const now = Date.now();
		if (timer === null) first = now;
		else clearTimeout(timer);
		timer = setTimeout(fire, Math.max(0, Math.min(delay, first + maxWait - now)));
	};

	const sub = connection().subscribe(
		'changes',
		{},
		{
			snapshot: () => {
				if (snapshots++ > 0) poke();
			},
			event: (_version, delta) => {
				if (delta.topic === 'changes' && areas.has(delta.area)) poke();
			}
		}
	);
	return () => {
		stopped = true;
		if (timer !== null) clearTimeout(timer);
		sub.unsubscribe();
	};
}
