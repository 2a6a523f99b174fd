import { describe, expect, it } from 'vitest';
import {
	checkRestriction,
	nextWindow,
	noRestriction,
	restrictionBody,
	restrictionDraftOf,
	restrictionInZone
} from './restriction';

describe('restrictions shared by rotations, routing and notification rules', () => {
	it('reads the day’s end 24:00 (routing rules allow it) as 00:00, which covers the same time', () => {
		const daily = restrictionDraftOf({
			type: 'time-of-day',
			restriction: { startHour: 18, startMin: 0, endHour: 24, endMin: 0 }
		});
		expect(daily.daily).toEqual({ start: '18:00', end: '00:00' });
		const weekly = restrictionDraftOf({
			type: 'weekday-and-time-of-day',
			restrictions: [
				{ startDay: 'monday', startHour: 9, startMin: 0, endDay: 'monday', endHour: 24, endMin: 0 },
				{ startDay: 'saturday', startHour: 0, startMin: 0, endDay: 'sunday', endHour: 24, endMin: 0 }
			]
		});
		expect(weekly.windows.map((w) => [w.startDay, w.start, w.endDay, w.end])).toEqual([
			['monday', '09:00', 'tuesday', '00:00'],
			['saturday', '00:00', 'monday', '00:00']
		]);
		expect(restrictionBody(weekly)).toMatchObject({
			restrictions: [{ endDay: 'tuesday', endHour: 0 }, { endDay: 'monday', endHour: 0 }]
		});
	});

	it('checks windows under timeRestriction', () => {
		expect(checkRestriction(noRestriction())).toEqual({});
		const draft = { ...noRestriction(), kind: 'weekday-and-time-of-day' as const, windows: [nextWindow()] };
		expect(checkRestriction(draft)).toEqual({});
		draft.windows = Array.from({ length: 51 }, () => nextWindow());
		expect(checkRestriction(draft)).toEqual({ timeRestriction: 'At most 50 windows.' });
		draft.windows = [{ ...nextWindow(), end: '' }];
		expect(checkRestriction(draft)).toEqual({ 'timeRestriction[0]': 'Enter both times (HH:MM).' });
	});

	it('says when, in which zone', () => {
		const value = { type: 'time-of-day', restriction: { startHour: 8, startMin: 0, endHour: 20, endMin: 0 } };
		expect(restrictionInZone(value, 'Europe/Berlin')).toBe('every day 08:00–20:00 (Europe/Berlin)');
		expect(restrictionInZone(null, 'UTC')).toBe('');
	});
});
