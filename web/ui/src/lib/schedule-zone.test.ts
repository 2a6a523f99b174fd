import { describe, expect, it } from 'vitest';
import {
	addMinutes,
	isoToWall,
	isZone,
	offsetMinutes,
	timeZones,
	wallAt,
	wallToIso,
	wallToMs,
	zonedText
} from './schedule-zone';

describe('wall times in a zone', () => {
	it('reads a wall time with the offset in force then (winter and summer)', () => {
		expect(wallToIso('2030-01-07T09:00', 'Europe/Amsterdam')).toBe('2030-01-07T09:00:00+01:00');
		expect(wallToIso('2030-07-01T09:00', 'Europe/Amsterdam')).toBe('2030-07-01T09:00:00+02:00');
		expect(wallToIso('2030-07-01T09:00', 'America/New_York')).toBe('2030-07-01T09:00:00-04:00');
		expect(wallToIso('2030-07-01T09:30', 'Asia/Kolkata')).toBe('2030-07-01T09:30:00+05:30');
		expect(wallToIso('2030-07-01T00:00', 'UTC')).toBe('2030-07-01T00:00:00+00:00');
	});

	it('round-trips instants through wall time, whatever the browser zone', () => {
		const iso = '2030-03-31T07:15:00.000Z';
		const wall = isoToWall(iso, 'Europe/Berlin');
		expect(wall).toBe('2030-03-31T09:15');
		expect(new Date(wallToMs(wall, 'Europe/Berlin')!).toISOString()).toBe(iso);
		expect(wallAt(Date.parse(iso), 'Pacific/Auckland')).toBe('2030-03-31T20:15');
	});

	it('takes the first of a repeated hour and lands after a skipped one', () => {
		// 2030-10-27 03:00 CEST -> 02:00 CET: 02:30 happens twice; the first is +02:00.
		expect(wallToIso('2030-10-27T02:30', 'Europe/Amsterdam')).toBe('2030-10-27T02:30:00+02:00');
		// 2030-03-31 02:00 CET -> 03:00 CEST: 02:30 does not exist.
		expect(wallToIso('2030-03-31T02:30', 'Europe/Amsterdam')).toBe('2030-03-31T03:30:00+02:00');
	});

	it('refuses what is not a wall time', () => {
		for (const bad of ['', '2030-01-07', '2030-13-01T09:00', '2030-04-31T09:00', '2030-01-01T24:00']) {
			expect(wallToMs(bad, 'UTC')).toBeNull();
			expect(wallToIso(bad, 'UTC')).toBeNull();
		}
		expect(isoToWall('nope', 'UTC')).toBe('');
		expect(isoToWall(null, 'UTC')).toBe('');
	});

	it('knows offsets and adds real minutes across a DST change', () => {
		expect(offsetMinutes(Date.parse('2030-01-01T00:00:00Z'), 'Europe/Amsterdam')).toBe(60);
		expect(offsetMinutes(Date.parse('2030-01-01T00:00:00Z'), 'America/St_Johns')).toBe(-210);
		expect(addMinutes('2030-03-31T01:00', 120, 'Europe/Amsterdam')).toBe('2030-03-31T04:00');
		expect(addMinutes('bad', 5, 'UTC')).toBe('bad');
	});

	it('lists zones with UTC first and tells known from unknown', () => {
		const zones = timeZones();
		expect(zones[0]).toBe('UTC');
		expect(zones).toContain('Europe/Amsterdam');
		expect(new Set(zones).size).toBe(zones.length);
		expect(isZone('Europe/Amsterdam')).toBe(true);
		expect(isZone('Mars/Olympus')).toBe(false);
		expect(isZone(' ')).toBe(false);
		expect(timeZones('Etc/GMT+5')).toContain('Etc/GMT+5');
		expect(timeZones('Mars/Olympus')).not.toContain('Mars/Olympus');
	});

	it('shows an instant in the zone', () => {
		expect(zonedText('2030-01-07T08:00:00Z', 'Europe/Amsterdam')).toContain('09:00');
		expect(zonedText('nope', 'UTC')).toBe('nope');
	});
});
