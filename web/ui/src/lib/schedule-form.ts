/**
 * The schedule editors' model: drafts the forms bind to, the bodies they send to
 * `/api/v1/schedules…` (Opsgenie's shapes, README "Schedules"), the checks made
 * before sending, and the server's 422s placed next to the field they name.
 *
 * Times are typed in the schedule's time zone (`schedule-zone`); restriction
 * windows are wall-clock times of that zone too (that is how the server reads them).
 */
import type { OverrideOut, ParticipantOut, RotationOut, ScheduleOut } from '$lib/api/types.gen';
import { serverErrors as fieldErrors, type FieldErrors } from '$lib/field-errors';
import {
	checkRestriction,
	restrictionBody,
	restrictionDraftOf,
	type RestrictionBody,
	type RestrictionDraft
} from '$lib/restriction';
import { isZone, wallAt, wallToIso, wallToMs } from '$lib/schedule-zone';

// The restriction model moved to `$lib/restriction` (routing and notification rules use it too).
export {
	dayLabel,
	MAX_WINDOWS,
	nextWindow,
	parseTime,
	restrictionBody,
	restrictionDraftOf,
	restrictionText,
	WEEKDAYS,
	workdayWindows,
	type RestrictionBody,
	type RestrictionDraft,
	type RestrictionKind,
	type Weekday,
	type WindowBody,
	type WindowDraft
} from '$lib/restriction';

/** Field path (as the server names it, e.g. `startDate`) -> message; '' holds the rest. */
export type { FieldErrors } from '$lib/field-errors';

export const MAX_NAME = 100;
export const MAX_DESCRIPTION = 10_000;
export const MAX_PARTICIPANTS = 200;

// ---------------------------------------------------------------- request bodies

/** `{type, id}` of a user or team, or `{type: 'none'}` (nobody). */
export type WhoIn = { type: 'user' | 'team'; id: string } | { type: 'none' };

export interface ScheduleBody {
	name?: string;
	description?: string;
	timezone?: string;
	enabled?: boolean;
	/** A team id; '' removes the owner team (PATCH). */
	ownerTeam?: string;
}

export interface RotationBody {
	name: string;
	type: RotationType;
	length: number;
	customUnit: CustomUnit;
	startDate: string;
	/** null: no end (also removes one on PATCH). */
	endDate: string | null;
	participants: WhoIn[];
	/** null: no restriction (also removes one on PATCH). */
	timeRestriction: RestrictionBody | null;
}

export interface OverrideBody {
	user: WhoIn;
	startDate: string;
	endDate: string;
	/** Empty: the whole schedule. */
	rotations: { id: string }[];
}

// ---------------------------------------------------------------- schedule settings

export interface ScheduleDraft {
	name: string;
	description: string;
	timezone: string;
	ownerTeam: string; // '' = none
	enabled: boolean;
}

export function scheduleDraftOf(schedule?: ScheduleOut | null, zone = 'UTC'): ScheduleDraft {
	return {
		name: schedule?.name ?? '',
		description: schedule?.description ?? '',
		timezone: schedule?.timezone ?? zone,
		ownerTeam: schedule?.ownerTeam?.id ?? '',
		enabled: schedule?.enabled ?? true
	};
}

/** The create body, or (with `before`) a PATCH body of what changed. */
export function scheduleBody(draft: ScheduleDraft, before?: ScheduleOut | null): ScheduleBody {
	const body: ScheduleBody = {
		name: draft.name.trim(),
		description: draft.description,
		timezone: draft.timezone.trim(),
		enabled: draft.enabled
	};
	if (!before) {
		if (draft.ownerTeam) body.ownerTeam = draft.ownerTeam;
		return body;
	}
	if (draft.ownerTeam !== (before.ownerTeam?.id ?? '')) body.ownerTeam = draft.ownerTeam;
	return body;
}

function checkName(name: string, what: string): string | null {
	const n = name.trim();
	if (!n) return `A ${what} needs a name.`;
	if (n.length > MAX_NAME) return `At most ${MAX_NAME} characters.`;
	if (n.includes('/')) return 'A name cannot contain “/”.';
	return null;
}

export function checkSchedule(draft: ScheduleDraft): FieldErrors {
	const errors: FieldErrors = {};
	const name = checkName(draft.name, 'schedule');
	if (name) errors.name = name;
	if (draft.description.length > MAX_DESCRIPTION) {
		errors.description = `At most ${MAX_DESCRIPTION} characters.`;
	}
	if (!isZone(draft.timezone.trim())) errors.timezone = 'Choose a time zone from the list (e.g. Europe/Amsterdam).';
	return errors;
}

// ---------------------------------------------------------------- rotations

export const ROTATION_TYPES = ['hourly', 'daily', 'weekly', 'custom'] as const;
export type RotationType = (typeof ROTATION_TYPES)[number];
export type CustomUnit = 'hours' | 'days';
/** The longest turn of each type, in its units (the server's limits). */
export const MAX_LENGTH: Record<RotationType, number> = {
	hourly: 8760,
	daily: 3650,
	weekly: 520,
	custom: 8760
};

export type ParticipantType = 'user' | 'team' | 'none';

export interface ParticipantDraft {
	/** A stable key while editing (not sent). */
	key: number;
	type: ParticipantType;
	/** Account id or team id; '' for nobody. */
	id: string;
}

export interface RotationDraft {
	name: string;
	type: RotationType;
	length: number;
	customUnit: CustomUnit;
	/** Wall time in the schedule's zone. */
	start: string;
	hasEnd: boolean;
	end: string;
	participants: ParticipantDraft[];
	restriction: RestrictionDraft;
}

let keys = 0;
const nextKey = () => ++keys;

export function newParticipant(type: ParticipantType = 'user', id = ''): ParticipantDraft {
	return { key: nextKey(), type, id: type === 'none' ? '' : id };
}

function participantDraft(p: ParticipantOut): ParticipantDraft {
	const type: ParticipantType = p.type === 'team' ? 'team' : p.type === 'none' ? 'none' : 'user';
	return newParticipant(type, p.id ?? '');
}

/** The draft of an existing rotation, or of a new one: weekly from 09:00 today in
 * `zone` (the day of `now`), no participants yet. */
export function rotationDraftOf(
	rotation: RotationOut | null | undefined,
	zone: string,
	now: Date = new Date()
): RotationDraft {
	if (rotation) {
		const type = (ROTATION_TYPES as readonly string[]).includes(rotation.type)
			? (rotation.type as RotationType)
			: 'weekly';
		return {
			name: rotation.name,
			type,
			length: rotation.length,
			customUnit: rotation.customUnit === 'days' ? 'days' : 'hours',
			start: wallAt(Date.parse(rotation.startDate), zone),
			hasEnd: !!rotation.endDate,
			end: rotation.endDate ? wallAt(Date.parse(rotation.endDate), zone) : '',
			participants: rotation.participants.map(participantDraft),
			restriction: restrictionDraftOf(rotation.timeRestriction)
		};
	}
	const today = wallAt(now.getTime(), zone).slice(0, 10);
	return {
		name: '',
		type: 'weekly',
		length: 1,
		customUnit: 'hours',
		start: `${today}T09:00`,
		hasEnd: false,
		end: '',
		participants: [],
		restriction: restrictionDraftOf(null)
	};
}

const whole = (n: number) => (Number.isFinite(n) ? Math.trunc(n) : 0);

function who(p: { type: ParticipantType; id: string }): WhoIn {
	return p.type === 'none' ? { type: 'none' } : { type: p.type, id: p.id };
}

/** The POST body of a new rotation, or the PATCH body (the whole rotation) of one. */
export function rotationBody(draft: RotationDraft, zone: string): RotationBody {
	return {
		name: draft.name.trim() || `${draft.type} rotation`,
		type: draft.type,
		length: whole(draft.length),
		customUnit: draft.customUnit,
		startDate: wallToIso(draft.start, zone) ?? draft.start,
		endDate: draft.hasEnd ? (wallToIso(draft.end, zone) ?? draft.end) : null,
		participants: draft.participants.map(who),
		timeRestriction: restrictionBody(draft.restriction)
	};
}

/** What the server would refuse, found before sending (same fields, same limits). */
export function checkRotation(draft: RotationDraft, zone: string): FieldErrors {
	const errors: FieldErrors = {};
	if (draft.name.trim()) {
		const name = checkName(draft.name, 'rotation');
		if (name) errors.name = name;
	}
	const max = MAX_LENGTH[draft.type];
	if (!Number.isInteger(draft.length) || draft.length < 1 || draft.length > max) {
		errors.length = `1 to ${max} whole ${unitOf(draft.type, draft.customUnit, 2)}.`;
	}
	const start = wallToMs(draft.start, zone);
	if (start === null) errors.startDate = 'Choose when the first turn starts.';
	if (draft.hasEnd) {
		const end = wallToMs(draft.end, zone);
		if (end === null) errors.endDate = 'Choose when the rotation ends (or untick “Ends”).';
		else if (start !== null && end <= start) errors.endDate = 'The end must come after the start.';
	}
	if (draft.participants.length === 0) errors.participants = 'Add at least one participant.';
	else if (draft.participants.length > MAX_PARTICIPANTS) {
		errors.participants = `At most ${MAX_PARTICIPANTS} participants.`;
	}
	draft.participants.forEach((p, i) => {
		if (p.type !== 'none' && !p.id) errors[`participants[${i}]`] = `Choose a ${p.type}.`;
	});
	Object.assign(errors, checkRestriction(draft.restriction));
	return errors;
}

/** "hours", "day", "weeks"... the unit of a turn. */
export function unitOf(type: RotationType, customUnit: CustomUnit, n = 1): string {
	const unit = type === 'hourly' ? 'hour' : type === 'daily' ? 'day' : type === 'weekly' ? 'week' : customUnit.slice(0, -1);
	return n === 1 ? unit : `${unit}s`;
}

/** "every week", "every 2 days", "every 12 hours". */
export function turnText(rotation: { type: string; length: number; customUnit?: string | null }): string {
	const type = (ROTATION_TYPES as readonly string[]).includes(rotation.type)
		? (rotation.type as RotationType)
		: 'custom';
	const unit = unitOf(type, rotation.customUnit === 'days' ? 'days' : 'hours', rotation.length);
	return rotation.length === 1 ? `every ${unit}` : `every ${rotation.length} ${unit}`;
}

/** A moved list: the item at `index` by `by` places (out of range: unchanged). */
export function moved<T>(list: readonly T[], index: number, by: number): T[] {
	const to = index + by;
	if (index < 0 || index >= list.length || to < 0 || to >= list.length) return [...list];
	const out = [...list];
	const [item] = out.splice(index, 1);
	out.splice(to, 0, item as T);
	return out;
}

// ---------------------------------------------------------------- overrides

export interface OverrideDraft {
	who: ParticipantType;
	id: string;
	/** Wall times in the schedule's zone. */
	start: string;
	end: string;
	/** Empty: the whole schedule. */
	rotationIds: string[];
	wholeSchedule: boolean;
}

/** The draft of an override, or of a new one from the next full hour for 8 hours. */
export function overrideDraftOf(
	override: OverrideOut | null | undefined,
	zone: string,
	now: Date = new Date()
): OverrideDraft {
	if (override) {
		const type = override.user.type;
		return {
			who: type === 'team' ? 'team' : type === 'none' ? 'none' : 'user',
			id: override.user.id ?? '',
			start: wallAt(Date.parse(override.startDate), zone),
			end: wallAt(Date.parse(override.endDate), zone),
			rotationIds: override.rotations.map((r) => r.id),
			wholeSchedule: override.rotations.length === 0
		};
	}
	const hour = Math.ceil(now.getTime() / 3_600_000) * 3_600_000;
	return {
		who: 'user',
		id: '',
		start: wallAt(hour, zone),
		end: wallAt(hour + 8 * 3_600_000, zone),
		rotationIds: [],
		wholeSchedule: true
	};
}

export function overrideBody(draft: OverrideDraft, zone: string): OverrideBody {
	return {
		user: who({ type: draft.who, id: draft.id }),
		startDate: wallToIso(draft.start, zone) ?? draft.start,
		endDate: wallToIso(draft.end, zone) ?? draft.end,
		rotations: draft.wholeSchedule ? [] : draft.rotationIds.map((id) => ({ id }))
	};
}

export function checkOverride(draft: OverrideDraft, zone: string): FieldErrors {
	const errors: FieldErrors = {};
	if (draft.who !== 'none' && !draft.id) errors.user = `Choose a ${draft.who}.`;
	const start = wallToMs(draft.start, zone);
	const end = wallToMs(draft.end, zone);
	if (start === null) errors.startDate = 'Choose when the override starts.';
	if (end === null) errors.endDate = 'Choose when the override ends.';
	else if (start !== null && end <= start) errors.endDate = 'The end must come after the start.';
	if (!draft.wholeSchedule && draft.rotationIds.length === 0) {
		errors.rotations = 'Choose at least one rotation, or the whole schedule.';
	}
	return errors;
}

export interface OverrideGroups {
	/** In effect now, by end. */
	current: OverrideOut[];
	/** Starting later, by start. */
	upcoming: OverrideOut[];
	/** How many have ended (not shown). */
	past: number;
}

export function groupOverrides(overrides: readonly OverrideOut[], now: Date): OverrideGroups {
	const t = now.getTime();
	const current: OverrideOut[] = [];
	const upcoming: OverrideOut[] = [];
	let past = 0;
	for (const o of overrides) {
		const start = Date.parse(o.startDate);
		const end = Date.parse(o.endDate);
		if (end <= t) past++;
		else if (start <= t) current.push(o);
		else upcoming.push(o);
	}
	current.sort((a, b) => Date.parse(a.endDate) - Date.parse(b.endDate));
	upcoming.sort((a, b) => Date.parse(a.startDate) - Date.parse(b.startDate));
	return { current, upcoming, past };
}

// ---------------------------------------------------------------- server errors

/**
 * The server's refusal as field errors: a 422 names its field (`startDate`,
 * `participants`, `timeRestriction`...); a taken schedule name (409
 * `schedule_exists`) belongs to `name`. A field the form does not show goes to
 * `''` (shown above the form).
 */
export function serverErrors(error: unknown, shown: ReadonlySet<string>): FieldErrors {
	return fieldErrors(error, shown, { schedule_exists: 'name' });
}

export const SCHEDULE_FIELDS: ReadonlySet<string> = new Set([
	'name',
	'description',
	'timezone',
	'ownerTeam',
	'enabled'
]);
export const ROTATION_FIELDS: ReadonlySet<string> = new Set([
	'name',
	'type',
	'length',
	'customUnit',
	'startDate',
	'endDate',
	'participants',
	'timeRestriction'
]);
export const OVERRIDE_FIELDS: ReadonlySet<string> = new Set([
	'user',
	'startDate',
	'endDate',
	'rotations'
]);
