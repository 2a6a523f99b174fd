import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Delta, SnapshotData } from '$lib/api/types.gen';
import type { LiveConnection, SubscriptionHandlers } from './connection';
import { onChanges } from './changes';
import { useConnection } from './live.svelte';

class FakeConnection {
	subs: { topic: string; handlers: SubscriptionHandlers; open: boolean }[] = [];
	subscribe(topic: string, _filter: Record<string, unknown>, handlers: SubscriptionHandlers) {
		const sub = { topic, handlers, open: true };
		this.subs.push(sub);
		return { id: 's1', version: null, unsubscribe: () => (sub.open = false) };
	}
	snapshot(version = 10) {
		const data: SnapshotData = { topic: 'changes', version };
		this.subs.at(-1)!.handlers.snapshot(version, data);
	}
	note(version: number, area: string, id: string | null = 'x') {
		const delta: Delta = { topic: 'changes', version, area, id };
		this.subs.at(-1)!.handlers.event(version, delta);
	}
}

describe('onChanges', () => {
	let conn: FakeConnection;

	beforeEach(() => {
		vi.useFakeTimers();
		conn = new FakeConnection();
		useConnection(conn as unknown as LiveConnection);
	});
	afterEach(() => {
		vi.useRealTimers();
		useConnection(null);
	});

	it('calls back once per burst of its area, 250 ms after the last notification', () => {
		const refetch = vi.fn();
		const stop = onChanges('teams', refetch);
		expect(conn.subs[0]!.topic).toBe('changes');
		conn.snapshot();
		conn.note(11, 'teams');
		vi.advanceTimersByTime(200);
		conn.note(12, 'teams');
		conn.note(13, 'maintenance'); // another area: ignored
		vi.advanceTimersByTime(200);
		expect(refetch).not.toHaveBeenCalled();
		vi.advanceTimersByTime(50);
		expect(refetch).toHaveBeenCalledTimes(1);
		conn.note(14, 'api-keys');
		vi.advanceTimersByTime(1000);
		expect(refetch).toHaveBeenCalledTimes(1);
		stop();
		expect(conn.subs[0]!.open).toBe(false);
	});

	it('waits at most maxWait under a steady stream', () => {
		const refetch = vi.fn();
		onChanges(['schedules', 'routing-rules'], refetch);
		for (let i = 0; i < 10; i++) {
			conn.note(20 + i, i % 2 ? 'schedules' : 'routing-rules');
			vi.advanceTimersByTime(150);
		}
		expect(refetch).toHaveBeenCalledTimes(1); // at 1 s, not after the stream
	});

	it('refetches after a later snapshot (a gap too big to replay), never after the first', () => {
		const refetch = vi.fn();
		onChanges('integrations', refetch);
		conn.snapshot(10);
		vi.advanceTimersByTime(500);
		expect(refetch).not.toHaveBeenCalled();
		conn.snapshot(900);
		vi.advanceTimersByTime(250);
		expect(refetch).toHaveBeenCalledTimes(1);
	});

	it('never calls back once stopped', () => {
		const refetch = vi.fn();
		const stop = onChanges('maintenance', refetch);
		conn.note(11, 'maintenance');
		stop();
		vi.advanceTimersByTime(1000);
		expect(refetch).not.toHaveBeenCalled();
	});
});
