/**
 * The final timeline as a calendar: one row per local day, each cut into the
 * periods that overlap it (as fractions of the day, for drawing bars).
 */
import type { PeriodOut, RecipientOut } from '$lib/api/types.gen';

export interface Segment {
	start: Date;
	end: Date;
	/** Position and size within the day, 0..1. */
	left: number;
	width: number;
	/** Who is on call (users and teams). */
	participants: RecipientOut[];
	/** Some override (not only rotations) decides this period. */
	override: boolean;
}

export interface DayRow {
	day: Date;
	segments: Segment[];
}

/** Local midnight of the day holding `date`. */
export function startOfDay(date: Date): Date {
	const d = new Date(date);
	d.setHours(0, 0, 0, 0);
	return d;
}

export function addDays(date: Date, days: number): Date {
	const d = new Date(date);
	d.setDate(d.getDate() + days);
	return d;
}

/**
 * `days` rows from local midnight of `from`. Periods with nobody on call are
 * left out (an empty stretch of the bar), except when an override says so (an
 * override of nobody: a segment with no participants); `overrideIds` names the
 * overrides (a period whose sources include one is drawn as an override).
 */
export function dayRows(
	periods: readonly PeriodOut[],
	from: Date,
	days: number,
	overrideIds: ReadonlySet<string>
): DayRow[] {
	const rows: DayRow[] = [];
	let day = startOfDay(from);
	for (let i = 0; i < days; i++) {
		const next = addDays(day, 1); // DST days are 23 or 25 hours long
		const span = next.getTime() - day.getTime();
		const segments: Segment[] = [];
		for (const period of periods) {
			const override = period.sources.some((s) => overrideIds.has(s));
			if (!period.participants.length && !override) continue;
			const start = Math.max(Date.parse(period.startDate), day.getTime());
			const end = Math.min(Date.parse(period.endDate), next.getTime());
			if (end <= start) continue;
			segments.push({
				start: new Date(start),
				end: new Date(end),
				left: (start - day.getTime()) / span,
				width: (end - start) / span,
				participants: period.participants,
				override
			});
		}
		rows.push({ day, segments });
		day = next;
	}
	return rows;
}

const PALETTE = [
	'bg-sky-200 text-sky-950 dark:bg-sky-500/30 dark:text-sky-100',
	'bg-emerald-200 text-emerald-950 dark:bg-emerald-500/30 dark:text-emerald-100',
	'bg-violet-200 text-violet-950 dark:bg-violet-500/30 dark:text-violet-100',
	'bg-amber-200 text-amber-950 dark:bg-amber-500/30 dark:text-amber-100',
	'bg-rose-200 text-rose-950 dark:bg-rose-500/30 dark:text-rose-100',
	'bg-teal-200 text-teal-950 dark:bg-teal-500/30 dark:text-teal-100'
];

/** A stable colour per set of people. */
export function colourOf(users: readonly string[]): string {
	let hash = 0;
	for (const ch of users.join(',')) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
	return PALETTE[hash % PALETTE.length]!;
}
