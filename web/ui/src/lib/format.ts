/** Times and numbers as people read them. */

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
	['year', 365 * 86_400],
	['month', 30 * 86_400],
	['week', 7 * 86_400],
	['day', 86_400],
	['hour', 3_600],
	['minute', 60]
];

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

/** "3 min. ago", "in 2 hr.", "now". */
export function timeAgo(iso: string, now: number = Date.now()): string {
	const seconds = (Date.parse(iso) - now) / 1000;
	if (Number.isNaN(seconds)) return '';
	if (Math.abs(seconds) < 45) return 'now';
	for (const [unit, size] of UNITS) {
		if (Math.abs(seconds) >= size || unit === 'minute') {
			return relative.format(Math.round(seconds / size), unit);
		}
	}
	return '';
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A full local date and time, for titles and details. */
export function dateTime(iso: string | null | undefined): string {
	if (!iso) return '';
	const ms = Date.parse(iso);
	return Number.isNaN(ms) ? iso : absolute.format(ms);
}

const short = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function clock(iso: string): string {
	const ms = Date.parse(iso);
	return Number.isNaN(ms) ? iso : short.format(ms);
}

/** "1 alert", "3 alerts". */
export function plural(n: number, one: string, many = `${one}s`): string {
	return `${n} ${n === 1 ? one : many}`;
}

/** A duration in ms as "4 min", "2 h 5 min". */
export function duration(ms: number): string {
	if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
	const minutes = Math.round(ms / 60_000);
	if (minutes < 60) return `${minutes} min`;
	const hours = Math.floor(minutes / 60);
	if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
	return `${Math.round(hours / 24)} d`;
}
