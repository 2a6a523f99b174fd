/**
 * Time restrictions (Opsgenie's `timeRestriction`), as schedules' rotations, team
 * routing rules and notification rules all take them: one daily window
 * (`time-of-day`) or windows from a weekday and time to a weekday and time
 * (`weekday-and-time-of-day`). Times are wall-clock times of the owner's zone (the
 * schedule's, the rule's); a window whose end is not after its start runs past
 * midnight (or the week's end).
 *
 * The draft the restriction editor (`restriction-field.svelte`) binds to, the body
 * sent, the checks made before sending, and a short text.
 */

export const MAX_WINDOWS = 50;

export const WEEKDAYS = [
	'monday',
	'tuesday',
	'wednesday',
	'thursday',
	'friday',
	'saturday',
	'sunday'
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WindowBody {
	startDay?: Weekday;
	endDay?: Weekday;
	startHour: number;
	startMin: number;
	endHour: number;
	endMin: number;
}

export type RestrictionBody =
	| { type: 'time-of-day'; restriction: WindowBody }
	| { type: 'weekday-and-time-of-day'; restrictions: WindowBody[] };

export interface WindowDraft {
	key: number;
	startDay: Weekday;
	/** `HH:MM` (an `<input type="time">` value). */
	start: string;
	endDay: Weekday;
	end: string;
}

export type RestrictionKind = 'none' | 'time-of-day' | 'weekday-and-time-of-day';

export interface RestrictionDraft {
	kind: RestrictionKind;
	/** The one window of `time-of-day` (every day). */
	daily: { start: string; end: string };
	/** The windows of `weekday-and-time-of-day`. */
	windows: WindowDraft[];
}

let keys = 0;
const nextKey = () => ++keys;

/** A window after `last`: the same hours one day later (Monday 09-17 -> Tuesday 09-17). */
export function nextWindow(last?: WindowDraft): WindowDraft {
	if (!last) return { key: nextKey(), startDay: 'monday', start: '09:00', endDay: 'monday', end: '17:00' };
	return { ...last, key: nextKey(), startDay: dayAfter(last.startDay), endDay: dayAfter(last.endDay) };
}

/** Monday to Friday, each day `start`-`end` (a common office-hours restriction). */
export function workdayWindows(start = '09:00', end = '17:00'): WindowDraft[] {
	return WEEKDAYS.slice(0, 5).map((day) => ({ key: nextKey(), startDay: day, start, endDay: day, end }));
}

const dayAfter = (day: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(day) + 1) % 7]!;
const two = (n: number) => String(n).padStart(2, '0');
/** `HH:MM`; the day's end 24:00 (routing rules allow it) reads as 00:00, which means the same. */
const hhmm = (hour: unknown, minute: unknown) => `${two((Number(hour) || 0) % 24)}:${two(Number(minute) || 0)}`;
const isDayEnd = (hour: unknown) => Number(hour) === 24;

function weekday(value: unknown): Weekday {
	const v = String(value ?? '').toLowerCase();
	return (WEEKDAYS as readonly string[]).includes(v) ? (v as Weekday) : 'monday';
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An empty draft (no restriction; 09:00-17:00 ready when a window is chosen). */
export function noRestriction(): RestrictionDraft {
	return { kind: 'none', daily: { start: '09:00', end: '17:00' }, windows: [] };
}

/** The draft of a `timeRestriction` as the API returns it (untyped there). */
export function restrictionDraftOf(value: unknown): RestrictionDraft {
	const draft = noRestriction();
	if (!isRecord(value)) return draft;
	if (value.type === 'time-of-day' && isRecord(value.restriction)) {
		const w = value.restriction;
		return { ...draft, kind: 'time-of-day', daily: { start: hhmm(w.startHour, w.startMin), end: hhmm(w.endHour, w.endMin) } };
	}
	if (value.type === 'weekday-and-time-of-day' && Array.isArray(value.restrictions)) {
		const windows = value.restrictions.filter(isRecord).map((w) => {
			const endDay = weekday(w.endDay);
			return {
				key: nextKey(),
				startDay: weekday(w.startDay),
				start: hhmm(w.startHour, w.startMin),
				endDay: isDayEnd(w.endHour) ? dayAfter(endDay) : endDay,
				end: hhmm(w.endHour, w.endMin)
			};
		});
		return { ...draft, kind: 'weekday-and-time-of-day', windows };
	}
	return draft;
}

/** `HH:MM` as [hour, minute]; null if it is not a time of day. */
export function parseTime(value: string): [number, number] | null {
	const m = /^(\d{1,2}):(\d{2})$/.exec(value.trim());
	if (!m) return null;
	const h = Number(m[1]);
	const min = Number(m[2]);
	return h < 24 && min < 60 ? [h, min] : null;
}

function windowBody(start: string, end: string): WindowBody {
	const [startHour, startMin] = parseTime(start) ?? [0, 0];
	const [endHour, endMin] = parseTime(end) ?? [0, 0];
	return { startHour, startMin, endHour, endMin };
}

/** The `timeRestriction` of a draft; null for none (which also removes one on PATCH). */
export function restrictionBody(draft: RestrictionDraft): RestrictionBody | null {
	if (draft.kind === 'time-of-day') {
		return { type: 'time-of-day', restriction: windowBody(draft.daily.start, draft.daily.end) };
	}
	if (draft.kind === 'weekday-and-time-of-day') {
		return {
			type: 'weekday-and-time-of-day',
			restrictions: draft.windows.map((w) => ({
				startDay: w.startDay,
				endDay: w.endDay,
				...windowBody(w.start, w.end)
			}))
		};
	}
	return null;
}

/** What the server would refuse, under `timeRestriction` (and `timeRestriction[i]` for a window). */
export function checkRestriction(r: RestrictionDraft): Record<string, string> {
	const errors: Record<string, string> = {};
	if (r.kind === 'time-of-day') {
		if (!parseTime(r.daily.start) || !parseTime(r.daily.end)) errors.timeRestriction = 'Enter both times (HH:MM).';
	} else if (r.kind === 'weekday-and-time-of-day') {
		if (r.windows.length === 0) errors.timeRestriction = 'Add at least one window, or choose “No restriction”.';
		else if (r.windows.length > MAX_WINDOWS) errors.timeRestriction = `At most ${MAX_WINDOWS} windows.`;
		r.windows.forEach((w, i) => {
			if (!parseTime(w.start) || !parseTime(w.end)) errors[`timeRestriction[${i}]`] = 'Enter both times (HH:MM).';
		});
	}
	return errors;
}

const SHORT_DAY: Record<Weekday, string> = {
	monday: 'Mon',
	tuesday: 'Tue',
	wednesday: 'Wed',
	thursday: 'Thu',
	friday: 'Fri',
	saturday: 'Sat',
	sunday: 'Sun'
};

export function dayLabel(day: Weekday): string {
	return SHORT_DAY[day];
}

/** "every day 09:00–17:00", "Mon 09:00–Mon 17:00, Sat 00:00–Mon 00:00", or "". */
export function restrictionText(value: unknown): string {
	const r = restrictionDraftOf(value);
	if (r.kind === 'time-of-day') return `every day ${r.daily.start}–${r.daily.end}`;
	if (r.kind === 'weekday-and-time-of-day') {
		return r.windows
			.map((w) =>
				w.startDay === w.endDay && w.start < w.end
					? `${SHORT_DAY[w.startDay]} ${w.start}–${w.end}`
					: `${SHORT_DAY[w.startDay]} ${w.start}–${SHORT_DAY[w.endDay]} ${w.end}`
			)
			.join(', ');
	}
	return '';
}

/** "every day 22:00–06:00 (Europe/Berlin)": a restriction and the zone it is read in; '' for none. */
export function restrictionInZone(value: unknown, zone: string): string {
	const text = restrictionText(value);
	return text ? `${text} (${zone})` : '';
}
