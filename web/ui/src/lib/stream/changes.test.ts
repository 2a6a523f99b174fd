import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Delta, SnapshotData } from '$lib/api/types.gen';
import type { LiveConnection, SubscriptionHandlers } from './connection';
import { onChanges, type ChangeArea } from './changes';
import { useConnection } from './live.svelte';

class FakeConnection {
	subs: { topic: string; filter: Record<string, unknown>; handlers: SubscriptionHandlers; open: boolean }[] = [];
	subscribe(topic: string, filter: Record<string, unknown>, handlers: SubscriptionHandlers) {
		const sub = { topic, filter, handlers, open: true };
		this.subs.push(sub);
		return { id: 's1', version: null, unsubscribe: () => (sub.open = false) };
	}
	snapshot(version = 10) {
		const data: SnapshotData = { topic: 'changes', version };
		this.subs.at(-1)!.handlers.snapshot(version, data);
	}
	note(version: number, area: ChangeArea, id: string | null = 'x') {
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
		expect(conn.subs[0]).toMatchObject({ topic: 'changes', filter: { areas: ['teams'] } });
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

	it('asks the server for its areas only, and with `id` follows one subject', () => {
		const refetch = vi.fn();
		onChanges(['paging'], refetch, { id: 'a1' });
		expect(conn.subs[0]!.filter).toEqual({ areas: ['paging'] });
		conn.note(11, 'paging', 'a2'); // another alert's page
		vi.advanceTimersByTime(1000);
		expect(refetch).not.toHaveBeenCalled();
		conn.note(12, 'paging', 'a1');
		vi.advanceTimersByTime(250);
		expect(refetch).toHaveBeenCalledTimes(1);
	});

	it('hears of audit notes (no id) when it asks for them', () => {
		const refetch = vi.fn();
		onChanges('audit', refetch);
		expect(conn.subs[0]!.filter).toEqual({ areas: ['audit'] });
		conn.note(30, 'audit', null);
		vi.advanceTimersByTime(250);
		expect(refetch).toHaveBeenCalledTimes(1);
	});

	it('tells the callback which areas the burst was about (all of them after a gap)', () => {
		const seen: string[][] = [];
		onChanges(['teams', 'members', 'routing-rules'], (areas) => seen.push([...areas].sort()));
		conn.snapshot(10);
		conn.note(11, 'members');
		conn.note(12, 'teams');
		conn.note(13, 'members');
		vi.advanceTimersByTime(250);
		conn.note(14, 'routing-rules');
		vi.advanceTimersByTime(250);
		conn.snapshot(900);
		vi.advanceTimersByTime(250);
		expect(seen).toEqual([['members', 'teams'], ['routing-rules'], ['members', 'routing-rules', 'teams']]);
	});
});
