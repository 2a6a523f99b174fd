/**
 * Heartbeats as the page shows them: status, interval, when the next ping is due,
 * the list's fold of the live `heartbeats` topic, the form's draft and body, and the
 * ping URL with a curl line to copy.
 *
 * Limits checked here are the server's (engine/heartbeats/commands.py); the server
 * checks them again and its field errors are shown the same way.
 */
import type { Delta, HeartbeatIn, HeartbeatOut, SnapshotData } from './api/types.gen';

export type HeartbeatStatus = 'active' | 'expired' | 'disabled';
export const INTERVAL_UNITS = ['minutes', 'hours', 'days'] as const;
export type IntervalUnit = (typeof INTERVAL_UNITS)[number];
export const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;

const UNIT_MS: Record<IntervalUnit, number> = {
	minutes: 60_000,
	hours: 3_600_000,
	days: 86_400_000
};
const MAX_INTERVAL_MS = 3650 * UNIT_MS.days;

export function heartbeatStatus(beat: HeartbeatOut): HeartbeatStatus {
	if (!beat.enabled) return 'disabled';
	return beat.expired ? 'expired' : 'active';
}

export const STATUS_LABEL: Record<HeartbeatStatus, string> = {
	active: 'Active',
	expired: 'Expired',
	disabled: 'Disabled'
};

export const STATUS_TONE: Record<HeartbeatStatus, string> = {
	active:
		'bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-500/10 dark:text-emerald-300 dark:ring-emerald-400/30',
	expired: 'bg-red-50 text-red-800 ring-red-600/20 dark:bg-red-500/10 dark:text-red-300 dark:ring-red-400/30',
	disabled: 'bg-zinc-100 text-zinc-600 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-400 dark:ring-zinc-400/20'
};

// --- the live list (pure: a changed list is new, an unchanged one returned as is) -------

/** By name in code-point order, as `GET /heartbeats` and the snapshot list them. */
const byName = (a: HeartbeatOut, b: HeartbeatOut) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The heartbeats of a `heartbeats` snapshot, by name (other topics: none). */
export function snapshotHeartbeats(data: SnapshotData): HeartbeatOut[] {
	return data.topic === 'heartbeats' ? [...data.heartbeats].sort(byName) : [];
}

/** `rows` with `beat` put in place of `name` (added when new), or `name` removed when null. */
export function upsertHeartbeat(
	rows: readonly HeartbeatOut[],
	name: string,
	beat: HeartbeatOut | null
): readonly HeartbeatOut[] {
	const rest = rows.filter((r) => r.name !== name);
	if (beat === null) return rest.length === rows.length ? rows : rest;
	return [...rest, beat].sort(byName);
}

/** `rows` after a delta of the `heartbeats` topic (others leave it as is). */
export function applyHeartbeatDelta(rows: readonly HeartbeatOut[], delta: Delta): readonly HeartbeatOut[] {
	return delta.topic === 'heartbeats' ? upsertHeartbeat(rows, delta.name, delta.heartbeat) : rows;
}

/** "every 25 hours", "every minute". */
export function intervalText(interval: number, unit: string): string {
	const singular = unit.endsWith('s') ? unit.slice(0, -1) : unit;
	return interval === 1 ? `every ${singular}` : `every ${interval} ${unit}`;
}

function unitMs(unit: string): number | null {
	return (UNIT_MS as Record<string, number>)[unit] ?? null;
}

/** When the next ping must arrive (RFC 3339), if it is known: enabled and pinged before. */
export function nextDue(beat: HeartbeatOut): string | null {
	const size = unitMs(beat.intervalUnit);
	if (!beat.enabled || !beat.lastPingTime || size === null) return null;
	const last = Date.parse(beat.lastPingTime);
	return Number.isNaN(last) ? null : new Date(last + beat.interval * size).toISOString();
}

export interface HeartbeatDraft {
	name: string;
	description: string;
	interval: number;
	intervalUnit: IntervalUnit;
	ownerTeam: string;
	alertMessage: string;
	/** Comma-separated. */
	alertTags: string;
	alertPriority: string;
	enabled: boolean;
}

export function emptyHeartbeat(): HeartbeatDraft {
	return {
		name: '',
		description: '',
		interval: 10,
		intervalUnit: 'minutes',
		ownerTeam: '',
		alertMessage: '',
		alertTags: '',
		alertPriority: 'P3',
		enabled: true
	};
}

export function heartbeatDraft(beat: HeartbeatOut): HeartbeatDraft {
	const unit = (INTERVAL_UNITS as readonly string[]).includes(beat.intervalUnit)
		? (beat.intervalUnit as IntervalUnit)
		: 'minutes';
	return {
		name: beat.name,
		description: beat.description,
		interval: beat.interval,
		intervalUnit: unit,
		ownerTeam: beat.ownerTeam ? beat.ownerTeam.name || beat.ownerTeam.id : '',
		alertMessage: beat.alertMessage,
		alertTags: beat.alertTags.join(', '),
		alertPriority: beat.alertPriority,
		enabled: beat.enabled
	};
}

/**
 * The body of a draft (create: every field; edit: no name, no `enabled` — that has its
 * own buttons), or the errors by field (the API's names: `name`, `interval`, …).
 * An empty owner team clears it; an empty alert message is the default "<name> is expired".
 */
export function heartbeatBody(
	draft: HeartbeatDraft,
	mode: 'create' | 'edit'
): { body: HeartbeatIn; errors: null } | { body: null; errors: Record<string, string> } {
	const errors: Record<string, string> = {};
	const name = draft.name.trim();
	if (mode === 'create') {
		if (!name) errors.name = 'A heartbeat needs a name.';
		else if (name.includes('/')) errors.name = 'A name cannot contain “/” (it is part of the ping URL).';
		else if (name.length > 200) errors.name = 'At most 200 characters.';
	}
	const size = unitMs(draft.intervalUnit) ?? UNIT_MS.minutes;
	if (!Number.isInteger(draft.interval) || draft.interval < 1) {
		errors.interval = 'At least 1, a whole number.';
	} else if (draft.interval * size > MAX_INTERVAL_MS) {
		errors.interval = 'At most 3650 days.';
	}
	const ownerTeam = draft.ownerTeam.trim();
	if (ownerTeam.length > 100) errors.ownerTeam = 'At most 100 characters.';
	const alertMessage = draft.alertMessage.trim();
	if (alertMessage.length > 130) errors.alertMessage = 'At most 130 characters.';
	const alertTags = [
		...new Set(
			draft.alertTags
				.split(',')
				.map((t) => t.trim())
				.filter(Boolean)
		)
	];
	if (alertTags.length > 20) errors.alertTags = 'At most 20 tags.';
	else if (alertTags.some((t) => t.length > 50)) errors.alertTags = 'A tag has at most 50 characters.';
	if (Object.keys(errors).length) return { body: null, errors };
	const body: HeartbeatIn = {
		description: draft.description.trim(),
		interval: draft.interval,
		intervalUnit: draft.intervalUnit,
		ownerTeam,
		alertMessage,
		alertTags,
		alertPriority: draft.alertPriority
	};
	if (mode === 'create') {
		body.name = name;
		body.enabled = draft.enabled;
	}
	return { body, errors: null };
}

/** The native ping URL of heartbeat `name` at `origin`. */
export function pingUrl(origin: string, name: string): string {
	return `${origin}/api/v1/heartbeats/${encodeURIComponent(name).replaceAll("'", '%27')}/ping`;
}

/** A curl line a cron job can run (an API key with the create-and-update right). */
export function pingCurl(origin: string, name: string): string {
	return `curl -fsS -X POST '${pingUrl(origin, name)}' -H "Authorization: GenieKey $PULSAR_API_KEY"`;
}
