/** The maintenance window form: now or later, for a while / until a time / until cancelled. */
import type { MaintenanceInput, MaintenanceStatus } from '$lib/paging-types';

export interface MaintenanceDraft {
	description: string;
	startsNow: boolean;
	/** `<input type="datetime-local">` value, local time. */
	startAt: string;
	endMode: 'duration' | 'at' | 'none';
	durationMinutes: number;
	endAt: string;
	/** `integration:<id>` or `policy:<id>`. */
	entities: string[];
}

export function emptyMaintenance(): MaintenanceDraft {
	return {
		description: '',
		startsNow: true,
		startAt: '',
		endMode: 'duration',
		durationMinutes: 60,
		endAt: '',
		entities: []
	};
}

/** A local `datetime-local` value as an RFC 3339 UTC instant; null if it is not one. */
export function localToIso(value: string): string | null {
	if (!value) return null;
	const ms = new Date(value).getTime();
	return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The body of a draft, or the errors by field (`start`, `end`, `durationMinutes`, `entities`). */
export function maintenanceBody(
	draft: MaintenanceDraft,
	now: Date
): { body: MaintenanceInput; errors: null } | { body: null; errors: Record<string, string> } {
	const errors: Record<string, string> = {};
	const entities = draft.entities.flatMap((ref) => {
		const [type, ...rest] = ref.split(':');
		const id = rest.join(':');
		return (type === 'integration' || type === 'policy') && id ? [{ type, id } as const] : [];
	});
	if (!entities.length) errors.entities = 'Choose at least one integration or policy.';
	const body: MaintenanceInput = { description: draft.description.trim(), entities };
	let start = now.getTime();
	if (!draft.startsNow) {
		const at = localToIso(draft.startAt);
		if (!at) errors.start = 'Choose when it starts.';
		else {
			body.start = at;
			start = Date.parse(at);
		}
	}
	if (draft.endMode === 'duration') {
		const minutes = draft.durationMinutes;
		if (!Number.isInteger(minutes) || minutes < 1) errors.durationMinutes = 'At least 1 whole minute.';
		else body.durationMinutes = minutes;
	} else if (draft.endMode === 'at') {
		const at = localToIso(draft.endAt);
		if (!at) errors.end = 'Choose when it ends.';
		else if (Date.parse(at) <= start) errors.end = 'The end must come after the start.';
		else body.end = at;
	} else {
		body.end = null;
	}
	return Object.keys(errors).length ? { body: null, errors } : { body, errors: null };
}

export const STATUS_LABEL: Record<MaintenanceStatus, string> = {
	active: 'Active',
	planned: 'Planned',
	past: 'Ended',
	cancelled: 'Cancelled'
};

export const STATUS_TONE: Record<MaintenanceStatus, string> = {
	active:
		'bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/20',
	planned: 'bg-sky-50 text-sky-800 ring-sky-600/20 dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/20',
	past: 'bg-zinc-100 text-zinc-600 ring-zinc-500/20 dark:bg-zinc-400/10 dark:text-zinc-400',
	cancelled: 'bg-zinc-100 text-zinc-600 ring-zinc-500/20 dark:bg-zinc-400/10 dark:text-zinc-400'
};

/** Active first, then planned (soonest first), then the rest (latest first). */
export function sortWindows<T extends { status: MaintenanceStatus; start: string }>(list: readonly T[]): T[] {
	const rank: Record<MaintenanceStatus, number> = { active: 0, planned: 1, past: 2, cancelled: 2 };
	return [...list].sort((a, b) => {
		const byRank = rank[a.status] - rank[b.status];
		if (byRank) return byRank;
		const byStart = Date.parse(a.start) - Date.parse(b.start);
		return rank[a.status] === 2 ? -byStart : byStart;
	});
}
