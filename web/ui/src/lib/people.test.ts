import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Delta } from '$lib/api/types.gen';
import { People } from './people.svelte';
import type { LiveConnection, SubscriptionHandlers } from './stream/connection';
import { useConnection } from './stream/live.svelte';

class FakeConnection {
	subs: { topic: string; filter: Record<string, unknown>; handlers: SubscriptionHandlers; open: boolean }[] = [];
	subscribe(topic: string, filter: Record<string, unknown>, handlers: SubscriptionHandlers) {
		const sub = { topic, filter, handlers, open: true };
		this.subs.push(sub);
		return { id: `s${this.subs.length}`, version: null, unsubscribe: () => (sub.open = false) };
	}
	note(version: number, area: 'members' | 'teams', id = 'x') {
		const delta: Delta = { topic: 'changes', version, area, id };
		this.subs.at(-1)!.handlers.event(version, delta);
	}
}

/** `fetch` answering `/users` with `names()` (as members m0, m1...) and `/teams` with none. */
function stubDirectory(names: () => string[]) {
	const fetch = vi.fn(async (url: string | URL | Request) => {
		const data = String(url).endsWith('/users')
			? names().map((name, i) => ({ id: `m${i}`, email: `${name}@x.com`, name, role: 'member' }))
			: [];
		return new Response(JSON.stringify({ data, request_id: 'r' }), {
			status: 200,
			headers: { 'Content-Type': 'application/json' }
		});
	});
	vi.stubGlobal('fetch', fetch);
	return fetch;
}

const settle = async () => {
	for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('people', () => {
	let conn: FakeConnection;

	beforeEach(() => {
		vi.useFakeTimers();
		conn = new FakeConnection();
		useConnection(conn as unknown as LiveConnection);
	});
	afterEach(() => {
		vi.useRealTimers();
		vi.unstubAllGlobals();
		useConnection(null);
	});

	it('load once, then follow member and team changes in place while a view shows them', async () => {
		let names = ['Ada'];
		const fetch = stubDirectory(() => names);
		const people = new People();
		const first = people.follow();
		const second = people.follow(); // another view: the same subscription
		await people.load(); // the load in flight
		expect(conn.subs).toHaveLength(1);
		expect(conn.subs[0]).toMatchObject({ topic: 'changes', filter: { areas: ['members', 'teams'] } });
		expect(fetch).toHaveBeenCalledTimes(2); // /users and /teams, once
		expect(people.name('m0')).toBe('Ada');

		names = ['Ada', 'Bob'];
		conn.note(11, 'members', 'm1');
		await vi.advanceTimersByTimeAsync(250);
		await people.load(); // the refetch in flight
		expect(fetch).toHaveBeenCalledTimes(4);
		expect(people.name('m1')).toBe('Bob');

		first();
		first(); // a second call changes nothing
		expect(conn.subs[0]!.open).toBe(true);
		second();
		expect(conn.subs[0]!.open).toBe(false);
		people.follow();
		expect(conn.subs).toHaveLength(2); // followed again: a new subscription
	});

	it('keep the newest answer when an older load comes back last', async () => {
		const answers: ((names: string[]) => void)[] = [];
		vi.stubGlobal(
			'fetch',
			vi.fn(async (url: string | URL | Request) => {
				const names = String(url).endsWith('/users')
					? await new Promise<string[]>((resolve) => answers.push(resolve))
					: [];
				const data = names.map((name, i) => ({ id: `m${i}`, email: `${name}@x.com`, name, role: 'member' }));
				return new Response(JSON.stringify({ data, request_id: 'r' }), { status: 200 });
			})
		);
		const people = new People();
		const older = people.load();
		const newer = people.load(true);
		await settle();
		answers[1]!(['New']);
		await newer;
		answers[0]!(['Old']);
		await older;
		expect(people.name('m0')).toBe('New');
	});
});
