/**
 * The Heartbeats page's list, live: first over REST (so the page paints at once and
 * works while the socket reconnects), then the `heartbeats` topic's snapshot replaces
 * it and each event upserts or removes one heartbeat in place. Expiry comes as an
 * event too (the server's timer), so nothing is polled.
 */
import { listHeartbeats } from './api/admin-heartbeats';
import { describe } from './api/client';
import type { HeartbeatOut } from './api/types.gen';
import { applyHeartbeatDelta, snapshotHeartbeats, upsertHeartbeat } from './admin-heartbeats';
import { connection } from './stream/live.svelte';

export class LiveHeartbeats {
	rows = $state.raw<readonly HeartbeatOut[]>([]);
	loading = $state(true);
	error = $state<string | null>(null);

	/** Load and follow the list; returns the cleanup (call it from `$effect`). */
	start(): () => void {
		let cancelled = false;
		let snapshotSeen = false;
		listHeartbeats()
			.then((list) => {
				if (!cancelled && !snapshotSeen) this.rows = snapshotHeartbeats({ topic: 'heartbeats', heartbeats: list.data });
			})
			.catch((error) => {
				if (!cancelled && !snapshotSeen) this.error = describe(error);
			})
			.finally(() => {
				if (!cancelled) this.loading = false;
			});
		const sub = connection().subscribe(
			'heartbeats',
			{},
			{
				snapshot: (_version, data) => {
					snapshotSeen = true;
					this.rows = snapshotHeartbeats(data);
					this.loading = false;
					this.error = null;
				},
				event: (_version, delta) => {
					this.rows = applyHeartbeatDelta(this.rows, delta);
				},
				error: (_code, message) => {
					this.error = `Live updates refused: ${message}`;
				}
			}
		);
		return () => {
			cancelled = true;
			sub.unsubscribe();
		};
	}

	/** A heartbeat as an action answered it (its event follows with the same state). */
	upsert(beat: HeartbeatOut): void {
		this.rows = upsertHeartbeat(this.rows, beat.name, beat);
	}

	/** A heartbeat the user deleted (its event follows). */
	remove(name: string): void {
		this.rows = upsertHeartbeat(this.rows, name, null);
	}
}
