/**
 * Wall-clock times in a schedule's IANA time zone, for the schedule editors.
 *
 * A rotation's start (and an override's window) is typed as the schedule's local
 * time (`<input type="datetime-local">`, `YYYY-MM-DDTHH:mm`) and sent as an RFC 3339
 * instant with that zone's offset at that moment (`2030-03-31T09:00:00+02:00`), so
 * the server gets exactly what the person meant whatever the browser's own zone.
 */

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
	let f = formatters.get(zone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', {
			timeZone: zone,
			hourCycle: 'h23',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit'
		});
		formatters.set(zone, f);
	}
	return f;
}

interface Parts {
	year: number;
	month: number;
	day: number;
	hour: number;
	minute: number;
	second: number;
}

function partsAt(ms: number, zone: string): Parts {
	const out: Record<string, number> = {};
	for (const part of formatter(zone).formatToParts(ms)) {
		if (part.type !== 'literal') out[part.type] = Number(part.value);
	}
	return {
		year: out.year ?? 0,
		month: out.month ?? 1,
		day: out.day ?? 1,
		hour: (out.hour ?? 0) % 24,
		minute: out.minute ?? 0,
		second: out.second ?? 0
	};
}

/** Whether `zone` is a time zone this browser knows. */
export function isZone(zone: string): boolean {
	if (!zone.trim()) return false;
	try {
		formatter(zone);
		return true;
	} catch {
		return false;
	}
}

/** Every IANA zone the browser knows, `UTC` first (plus `also`, if it is not listed). */
export function timeZones(also = ''): string[] {
	const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
	const zones = new Set(['UTC', ...known]);
	if (also && isZone(also)) zones.add(also);
	return [...zones];
}

/** The zone's offset from UTC at instant `ms`, in minutes (east positive). */
export function offsetMinutes(ms: number, zone: string): number {
	const p = partsAt(ms, zone);
	const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
	return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

function offsetText(minutes: number): string {
	return `${minutes < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/** `YYYY-MM-DDTHH:mm` of instant `ms` in `zone` (a `datetime-local` value). */
export function wallAt(ms: number, zone: string): string {
	const p = partsAt(ms, zone);
	return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** An RFC 3339 instant (any offset) as wall time in `zone`; '' if it is not one. */
export function isoToWall(iso: string | null | undefined, zone: string): string {
	const ms = iso ? Date.parse(iso) : NaN;
	return Number.isNaN(ms) ? '' : wallAt(ms, zone);
}

/** The instant (ms) at which `zone`'s clocks show `wall`; null if `wall` is malformed.
 * A wall time skipped by a DST jump is read with the offset before the jump (it
 * lands just after the jump, as most calendars do). */
export function wallToMs(wall: string, zone: string): number | null {
	const m = WALL.exec(wall.trim());
	if (!m) return null;
	const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return null;
	const asUtc = Date.UTC(y, mo - 1, d, h, mi);
	const check = new Date(asUtc);
	if (check.getUTCDate() !== d) return null; // 31 April and the like
	const before = offsetMinutes(asUtc - 86_400_000, zone);
	const after = offsetMinutes(asUtc + 86_400_000, zone);
	for (const offset of [before, after]) {
		const ms = asUtc - offset * 60_000;
		if (wallAt(ms, zone) === wall.trim()) return ms;
	}
	return asUtc - before * 60_000; // in a gap
}

/** `wall` in `zone` as RFC 3339 with the zone's offset (`…T09:00:00+02:00`); null if malformed. */
export function wallToIso(wall: string, zone: string): string | null {
	const ms = wallToMs(wall, zone);
	if (ms === null) return null;
	return `${wallAt(ms, zone)}:00${offsetText(offsetMinutes(ms, zone))}`;
}

/** `wall` moved by `minutes` (in `zone`'s real time). */
export function addMinutes(wall: string, minutes: number, zone: string): string {
	const ms = wallToMs(wall, zone);
	return ms === null ? wall : wallAt(ms + minutes * 60_000, zone);
}

const shown = new Map<string, Intl.DateTimeFormat>();

/** "Mon 6 Jan 2030, 09:00" of an instant, in `zone`. */
export function zonedText(iso: string | null | undefined, zone: string): string {
	const ms = iso ? Date.parse(iso) : NaN;
	if (Number.isNaN(ms)) return iso ?? '';
	let f = shown.get(zone);
	if (!f) {
		f = new Intl.DateTimeFormat(undefined, {
			timeZone: zone,
			weekday: 'short',
			day: 'numeric',
			month: 'short',
			year: 'numeric',
			hour: '2-digit',
			minute: '2-digit'
		});
		shown.set(zone, f);
	}
	return f.format(ms);
}
