/**
 * The audit log page's logic: filters as the API's query, events as a person reads
 * them, and paging that follows the server's cursor.
 *
 * `GET /api/v1/audit` scans at most 5,000 events per request, so a narrow filter can
 * answer a short (even empty) page with a cursor; `fetchAuditPage` keeps following it
 * a few times to fill a page before it shows "Load older".
 */
import type { Query } from './api/client';
import type { AuditActor, AuditEntry, AuditPage } from './api/types.gen';

export interface AuditFilterDraft {
	/** A user, key or integration id. */
	actor: string;
	/** Event type names, comma-separated (`HeartbeatDisabled, AlertClosed`). */
	type: string;
	/** Any id: alert, team, key, schedule, heartbeat… */
	entity: string;
	/** `<input type="datetime-local">` values, local time. */
	since: string;
	until: string;
}

export function emptyAuditFilter(): AuditFilterDraft {
	return { actor: '', type: '', entity: '', since: '', until: '' };
}

function localToIso(value: string): string | null {
	const ms = new Date(value).getTime();
	return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The API query of a filter, or the errors by field. */
export function auditQuery(
	draft: AuditFilterDraft,
	limit = 50
): { query: Query; errors: null } | { query: null; errors: Record<string, string> } {
	const errors: Record<string, string> = {};
	const query: Query = { limit };
	if (draft.actor.trim()) query.actor = draft.actor.trim();
	if (draft.entity.trim()) query.entity = draft.entity.trim();
	const types = draft.type
		.split(/[\s,]+/)
		.map((t) => t.trim())
		.filter(Boolean);
	if (types.length) query.type = types;
	for (const key of ['since', 'until'] as const) {
		if (!draft[key]) continue;
		const iso = localToIso(draft[key]);
		if (iso) query[key] = iso;
		else errors[key] = 'Not a date and time.';
	}
	if (
		typeof query.since === 'string' &&
		typeof query.until === 'string' &&
		query.since > query.until
	) {
		errors.until = '“Until” must come after “since”.';
	}
	return Object.keys(errors).length ? { query: null, errors } : { query, errors: null };
}

/** `HeartbeatDisabled` → "Heartbeat disabled", `ApiKeyCreated` → "API key created". */
export function humanType(type: string): string {
	const words = type
		.replace(/([a-z0-9])([A-Z])/g, '$1 $2')
		.replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
		.split(' ');
	return words
		.map((w) => (w === 'Api' ? 'API' : w))
		.map((w, i) => (i > 0 && !/^[A-Z0-9]+$/.test(w) ? w.toLowerCase() : w))
		.join(' ');
}

/** Fields that name what an event is about, in the order they are shown. */
const SUMMARY_KEYS = [
	'name',
	'message',
	'tiny_id',
	'alias',
	'email',
	'role',
	'priority',
	'note',
	'description'
] as const;

/** A short line of what an event is about: its naming fields, as `key: value`. */
export function eventSummary(event: Record<string, unknown>, max = 3): string {
	const parts: string[] = [];
	for (const key of SUMMARY_KEYS) {
		const value = event[key];
		if (typeof value !== 'string' && typeof value !== 'number') continue;
		if (value === '') continue;
		const text = String(value);
		parts.push(`${key.replace('_', ' ')}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`);
		if (parts.length === max) break;
	}
	return parts.join(' · ');
}

export const ACTOR_KIND: Record<string, string> = {
	user: 'user',
	api_key: 'API key',
	integration: 'integration',
	system: 'Pulsar'
};

/** Who did it: a member's name, or a key's or integration's (via `nameOf`), else the
 * kind and id. */
export function actorLabel(actor: AuditActor, nameOf: (actor: AuditActor) => string | null): string {
	if (actor.kind === 'system') return 'Pulsar';
	const name = nameOf(actor);
	const kind = ACTOR_KIND[actor.kind] ?? actor.kind;
	if (name === null) return `${kind} ${actor.id}`;
	return actor.kind === 'user' ? name : `${kind} “${name}”`;
}

/**
 * One page of at most `limit` entries from `cursor` down, following short pages'
 * cursors at most `maxRequests` times. `next` is where to continue (null: the end).
 */
export async function fetchAuditPage(
	fetchPage: (cursor: number | null, limit: number) => Promise<AuditPage>,
	cursor: number | null,
	limit: number,
	maxRequests = 5
): Promise<{ entries: AuditEntry[]; next: number | null }> {
	const entries: AuditEntry[] = [];
	let next = cursor;
	for (let i = 0; i < maxRequests; i++) {
		const page = await fetchPage(next, limit - entries.length);
		entries.push(...page.data);
		next = page.next_cursor;
		if (next === null || entries.length >= limit) break;
	}
	return { entries, next };
}

/** Whether entries recorded from now on can match `query` (no `until` in the past). */
export function followsNewEntries(query: Query, now: number): boolean {
	return typeof query.until !== 'string' || Date.parse(query.until) > now;
}

/**
 * `shown` (newest first) with the entries of `latest` (the newest page of the same
 * filter, whose continuation is `latestNext`) that are newer than its first one put
 * on top: the log grew, the older pages loaded so far stay. When `latest` does not
 * reach down to what is shown (more new entries than a page), the list starts afresh
 * from `latest` (`fresh`; continue at `latestNext`), so it never shows a gap.
 */
export function mergeNewer(
	shown: readonly AuditEntry[],
	latest: readonly AuditEntry[],
	latestNext: number | null
): { entries: AuditEntry[]; fresh: boolean } {
	const top = shown[0]?.version;
	if (top === undefined) return { entries: [...latest], fresh: true };
	const added = latest.filter((e) => e.version > top);
	const reaches = added.length < latest.length || latestNext === null || latestNext <= top + 1;
	return reaches ? { entries: [...added, ...shown], fresh: false } : { entries: [...latest], fresh: true };
}
