import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditPage } from './api/types.gen';
import {
	actorLabel,
	auditQuery,
	emptyAuditFilter,
	eventSummary,
	fetchAuditPage,
	followsNewEntries,
	humanType,
	mergeNewer
} from './admin-audit';

describe('audit filters', () => {
	it('become the API query, empty fields left out', () => {
		expect(auditQuery(emptyAuditFilter())).toEqual({ query: { limit: 50 }, errors: null });
		const draft = { ...emptyAuditFilter(), actor: ' u1 ', type: 'HeartbeatDisabled, AlertClosed ', since: '2030-01-01T10:00' };
		expect(auditQuery(draft, 10).query).toEqual({
			limit: 10,
			actor: 'u1',
			type: ['HeartbeatDisabled', 'AlertClosed'],
			since: new Date('2030-01-01T10:00').toISOString()
		});
	});

	it('refuse a time range that ends before it starts', () => {
		const draft = { ...emptyAuditFilter(), since: '2030-01-02T00:00', until: '2030-01-01T00:00' };
		expect(auditQuery(draft).errors).toEqual({ until: '“Until” must come after “since”.' });
		expect(auditQuery({ ...emptyAuditFilter(), since: 'soon' }).errors).toEqual({ since: 'Not a date and time.' });
	});
});

describe('audit entries', () => {
	it('read as words', () => {
		expect(humanType('HeartbeatDisabled')).toBe('Heartbeat disabled');
		expect(humanType('ApiKeyCreated')).toBe('API key created');
		expect(humanType('APIKeyCreated')).toBe('API key created');
		expect(eventSummary({ type: 'X', name: 'db', at: 't', role: 'admin', priority: 'P1', note: 'n' })).toBe(
			'name: db · role: admin · priority: P1'
		);
		expect(eventSummary({ message: 'x'.repeat(100) })).toBe(`message: ${'x'.repeat(79)}…`);
		expect(eventSummary({ tiny_id: 7, alias: '' })).toBe('tiny id: 7');
	});

	it('name the actor', () => {
		const nameOf = (a: { id: string }) => ({ u1: 'Ada', k2: 'cron' })[a.id] ?? null;
		const actor = { kind: 'user', id: 'u1', remote_addr: '', user_agent: '' };
		expect(actorLabel(actor, nameOf)).toBe('Ada');
		expect(actorLabel({ ...actor, id: 'u2' }, nameOf)).toBe('user u2');
		expect(actorLabel({ ...actor, kind: 'api_key', id: 'k1' }, nameOf)).toBe('API key k1');
		expect(actorLabel({ ...actor, kind: 'api_key', id: 'k2' }, nameOf)).toBe('API key “cron”');
		expect(actorLabel({ ...actor, kind: 'system', id: 'pulsar' }, nameOf)).toBe('Pulsar');
	});
});

describe('audit paging', () => {
	const entry = (version: number): AuditEntry => ({
		version,
		type: 'X',
		recorded_at: '2030-01-01T00:00:00Z',
		actor: { kind: 'system', id: 'pulsar', remote_addr: '', user_agent: '' },
		request_id: '',
		event: {}
	});
	const page = (versions: number[], next: number | null): AuditPage => ({
		data: versions.map(entry),
		next_cursor: next,
		request_id: 'r'
	});

	it('follows short pages until the page is full', async () => {
		const pages = [page([], 9000), page([8999], 4000), page([3999, 3998], 3998), page([1], null)];
		const calls: [number | null, number][] = [];
		const result = await fetchAuditPage(async (cursor, limit) => (calls.push([cursor, limit]), pages.shift()!), null, 3);
		expect(result.entries.map((e) => e.version)).toEqual([8999, 3999, 3998]);
		expect(result.next).toBe(3998);
		expect(calls).toEqual([
			[null, 3],
			[9000, 3],
			[4000, 2]
		]);
	});

	it('stops at the end, or after a few requests', async () => {
		expect(await fetchAuditPage(async () => page([5], null), 10, 3)).toEqual({ entries: [entry(5)], next: null });
		let calls = 0;
		const empty = await fetchAuditPage(async () => (calls++, page([], 10)), null, 3, 4);
		expect([calls, empty.next]).toEqual([4, 10]);
	});
});

describe('audit entries arriving live', () => {
	const entry = (version: number): AuditEntry => ({
		version,
		type: 'X',
		recorded_at: '2030-01-01T00:00:00Z',
		actor: { kind: 'system', id: 'pulsar', remote_addr: '', user_agent: '' },
		request_id: '',
		event: {}
	});
	const versions = (list: AuditEntry[]) => list.map((e) => e.version);

	it('go on top of what is shown, older pages kept', () => {
		const shown = [9, 8, 5, 4, 3].map(entry); // two pages loaded
		const merged = mergeNewer(shown, [12, 10, 9, 8].map(entry), 8);
		expect(merged.fresh).toBe(false);
		expect(versions(merged.entries)).toEqual([12, 10, 9, 8, 5, 4, 3]);
		expect(versions(shown)).toEqual([9, 8, 5, 4, 3]); // not mutated
		expect(mergeNewer(shown, [9, 8].map(entry), null)).toEqual({ entries: shown, fresh: false });
	});

	it('start the list afresh when more arrived than a page holds (never a gap)', () => {
		const shown = [9, 8].map(entry);
		expect(mergeNewer(shown, [14, 13].map(entry), 13)).toEqual({ entries: [14, 13].map(entry), fresh: true });
		// a narrow filter: the page stops above what is shown, but its cursor is past it
		expect(versions(mergeNewer(shown, [14].map(entry), 10).entries)).toEqual([14, 9, 8]);
		expect(mergeNewer([], [3].map(entry), null)).toEqual({ entries: [entry(3)], fresh: true });
	});

	it('can match no filter that ends in the past', () => {
		const now = Date.parse('2030-01-01T12:00:00Z');
		expect(followsNewEntries({ limit: 50 }, now)).toBe(true);
		expect(followsNewEntries({ since: '2029-01-01T00:00:00Z' }, now)).toBe(true);
		expect(followsNewEntries({ until: '2030-01-01T11:00:00Z' }, now)).toBe(false);
		expect(followsNewEntries({ until: '2030-01-02T00:00:00Z' }, now)).toBe(true);
	});
});
