import { describe, expect, it } from 'vitest';
import { ApiError } from './api/client';
import type { OverrideOut, RotationOut, ScheduleOut } from './api/types.gen';
import {
	checkOverride,
	checkRotation,
	checkSchedule,
	groupOverrides,
	moved,
	newParticipant,
	nextWindow,
	OVERRIDE_FIELDS,
	overrideBody,
	overrideDraftOf,
	restrictionBody,
	restrictionDraftOf,
	restrictionText,
	ROTATION_FIELDS,
	rotationBody,
	rotationDraftOf,
	SCHEDULE_FIELDS,
	scheduleBody,
	scheduleDraftOf,
	serverErrors,
	turnText,
	workdayWindows
} from './schedule-form';

const ZONE = 'Europe/Amsterdam';

const schedule: ScheduleOut = {
	id: 's1',
	name: 'Platform',
	description: 'the platform people',
	timezone: ZONE,
	enabled: true,
	ownerTeam: { id: 't1', name: 'Ops' }
};

const weekdays = {
	type: 'weekday-and-time-of-day',
	restrictions: [
		{ startDay: 'monday', startHour: 9, startMin: 0, endDay: 'monday', endHour: 17, endMin: 30 },
		{ startDay: 'saturday', startHour: 0, startMin: 0, endDay: 'monday', endHour: 0, endMin: 0 }
	]
};

const rotation: RotationOut = {
	id: 'r1',
	name: 'primary',
	type: 'weekly',
	length: 2,
	startDate: '2030-01-07T08:00:00.000Z',
	endDate: '2030-07-01T07:00:00.000Z',
	participants: [
		{ type: 'user', id: 'u1', username: 'ana@example.com' },
		{ type: 'none' },
		{ type: 'team', id: 't1', name: 'Ops' }
	],
	timeRestriction: weekdays
};

describe('schedule settings', () => {
	it('creates with the owner team only when one is chosen', () => {
		const draft = scheduleDraftOf(null, 'Europe/Paris');
		expect(draft).toEqual({ name: '', description: '', timezone: 'Europe/Paris', ownerTeam: '', enabled: true });
		draft.name = '  Primary ';
		expect(scheduleBody(draft)).toEqual({ name: 'Primary', description: '', timezone: 'Europe/Paris', enabled: true });
		draft.ownerTeam = 't2';
		expect(scheduleBody(draft).ownerTeam).toBe('t2');
	});

	it('patches the owner team only when it changed, and clears it with ""', () => {
		const draft = scheduleDraftOf(schedule);
		expect(scheduleBody(draft, schedule)).not.toHaveProperty('ownerTeam');
		draft.ownerTeam = '';
		expect(scheduleBody(draft, schedule).ownerTeam).toBe('');
	});

	it('checks the name and the time zone before sending', () => {
		const draft = scheduleDraftOf(null);
		draft.timezone = 'Mars/Olympus';
		expect(checkSchedule(draft)).toEqual({
			name: 'A schedule needs a name.',
			timezone: expect.stringContaining('time zone')
		});
		draft.name = 'a/b';
		draft.timezone = 'UTC';
		expect(checkSchedule(draft)).toEqual({ name: 'A name cannot contain “/”.' });
		draft.name = 'x'.repeat(101);
		expect(checkSchedule(draft).name).toBe('At most 100 characters.');
		draft.name = 'ok';
		draft.description = 'd'.repeat(10_001);
		expect(Object.keys(checkSchedule(draft))).toEqual(['description']);
	});
});

describe('rotations', () => {
	it('round-trips a rotation through its draft, in the schedule zone', () => {
		const draft = rotationDraftOf(rotation, ZONE);
		expect(draft.start).toBe('2030-01-07T09:00');
		expect(draft.end).toBe('2030-07-01T09:00');
		expect(draft.participants.map((p) => [p.type, p.id])).toEqual([
			['user', 'u1'],
			['none', ''],
			['team', 't1']
		]);
		expect(rotationBody(draft, ZONE)).toEqual({
			name: 'primary',
			type: 'weekly',
			length: 2,
			customUnit: 'hours',
			startDate: '2030-01-07T09:00:00+01:00',
			endDate: '2030-07-01T09:00:00+02:00',
			participants: [{ type: 'user', id: 'u1' }, { type: 'none' }, { type: 'team', id: 't1' }],
			timeRestriction: weekdays
		});
	});

	it('sends null to remove the end and the restriction', () => {
		const draft = rotationDraftOf(rotation, ZONE);
		draft.hasEnd = false;
		draft.restriction.kind = 'none';
		const body = rotationBody(draft, ZONE);
		expect(body.endDate).toBeNull();
		expect(body.timeRestriction).toBeNull();
	});

	it('starts a new rotation weekly at 09:00 today in the zone and names it after its type', () => {
		const draft = rotationDraftOf(null, 'Asia/Tokyo', new Date('2030-01-07T20:00:00Z'));
		expect(draft).toMatchObject({ type: 'weekly', length: 1, start: '2030-01-08T09:00', hasEnd: false, participants: [] });
		expect(checkRotation(draft, 'Asia/Tokyo')).toEqual({ participants: 'Add at least one participant.' });
		draft.participants = [newParticipant('none', 'ignored')];
		expect(checkRotation(draft, 'Asia/Tokyo')).toEqual({});
		draft.type = 'custom';
		draft.customUnit = 'days';
		expect(rotationBody(draft, 'Asia/Tokyo')).toMatchObject({
			name: 'custom rotation',
			customUnit: 'days',
			startDate: '2030-01-08T09:00:00+09:00',
			participants: [{ type: 'none' }],
			timeRestriction: null
		});
	});

	it('checks lengths, times, picks and windows under the server’s field names', () => {
		const draft = rotationDraftOf(rotation, ZONE);
		draft.length = 521;
		draft.end = '2029-01-01T00:00';
		draft.participants = [newParticipant('user'), newParticipant('team', 't1')];
		draft.restriction.windows[1]!.end = '';
		expect(checkRotation(draft, ZONE)).toEqual({
			length: '1 to 520 whole weeks.',
			endDate: 'The end must come after the start.',
			'participants[0]': 'Choose a user.',
			'timeRestriction[1]': 'Enter both times (HH:MM).'
		});
		draft.type = 'hourly';
		draft.length = 1.5;
		draft.start = '';
		draft.hasEnd = true;
		draft.end = '';
		draft.participants = [];
		draft.restriction = { ...draft.restriction, windows: [] };
		draft.name = 'a/b';
		expect(checkRotation(draft, ZONE)).toEqual({
			name: 'A name cannot contain “/”.',
			length: '1 to 8760 whole hours.',
			startDate: 'Choose when the first turn starts.',
			endDate: 'Choose when the rotation ends (or untick “Ends”).',
			participants: 'Add at least one participant.',
			timeRestriction: 'Add at least one window, or choose “No restriction”.'
		});
		draft.restriction.kind = 'time-of-day';
		draft.restriction.daily = { start: '25:00', end: '10:00' };
		expect(checkRotation(draft, ZONE).timeRestriction).toBe('Enter both times (HH:MM).');
	});

	it('describes turns', () => {
		expect(turnText({ type: 'weekly', length: 1 })).toBe('every week');
		expect(turnText({ type: 'daily', length: 3 })).toBe('every 3 days');
		expect(turnText({ type: 'custom', length: 12, customUnit: 'hours' })).toBe('every 12 hours');
		expect(turnText({ type: 'custom', length: 1, customUnit: 'days' })).toBe('every day');
		expect(turnText({ type: 'hourly', length: 8 })).toBe('every 8 hours');
	});

	it('moves participants and leaves out-of-range moves alone', () => {
		expect(moved(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
		expect(moved(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
		const list = ['a', 'b'];
		expect(moved(list, 0, -1)).toEqual(['a', 'b']);
		expect(moved(list, 1, 1)).toEqual(['a', 'b']);
		expect(list).toEqual(['a', 'b']);
	});
});

describe('time restrictions', () => {
	it('reads and writes one daily window', () => {
		const value = { type: 'time-of-day', restriction: { startHour: 22, startMin: 0, endHour: 6, endMin: 15 } };
		const draft = restrictionDraftOf(value);
		expect(draft.kind).toBe('time-of-day');
		expect(draft.daily).toEqual({ start: '22:00', end: '06:15' });
		expect(restrictionBody(draft)).toEqual(value);
		expect(restrictionText(value)).toBe('every day 22:00–06:15');
	});

	it('reads and writes weekday windows', () => {
		const draft = restrictionDraftOf(weekdays);
		expect(draft.windows.map((w) => [w.startDay, w.start, w.endDay, w.end])).toEqual([
			['monday', '09:00', 'monday', '17:30'],
			['saturday', '00:00', 'monday', '00:00']
		]);
		expect(restrictionBody(draft)).toEqual(weekdays);
		expect(restrictionText(weekdays)).toBe('Mon 09:00–17:30, Sat 00:00–Mon 00:00');
	});

	it('treats nothing or anything unknown as no restriction', () => {
		for (const value of [null, undefined, 'x', [], { type: 'time-of-day' }, { type: 'other', restrictions: [] }]) {
			const draft = restrictionDraftOf(value);
			expect(draft.kind).toBe('none');
			expect(restrictionBody(draft)).toBeNull();
			expect(restrictionText(value)).toBe('');
		}
		const odd = restrictionDraftOf({ type: 'weekday-and-time-of-day', restrictions: [{ startDay: 'funday' }, 3] });
		expect(odd.windows.map((w) => [w.startDay, w.start, w.endDay, w.end])).toEqual([['monday', '00:00', 'monday', '00:00']]);
	});

	it('adds the next day’s window and the working week', () => {
		const first = nextWindow();
		expect([first.startDay, first.start, first.endDay, first.end]).toEqual(['monday', '09:00', 'monday', '17:00']);
		const sunday = { ...first, startDay: 'sunday' as const, endDay: 'sunday' as const };
		const next = nextWindow(sunday);
		expect([next.startDay, next.endDay]).toEqual(['monday', 'monday']);
		expect(next.key).not.toBe(sunday.key);
		const week = workdayWindows('08:00', '16:00');
		expect(week.map((w) => w.startDay)).toEqual(['monday', 'tuesday', 'wednesday', 'thursday', 'friday']);
		expect(new Set(week.map((w) => w.key)).size).toBe(5);
		expect(restrictionBody({ kind: 'weekday-and-time-of-day', daily: { start: '', end: '' }, windows: week })).toMatchObject({
			restrictions: expect.arrayContaining([
				{ startDay: 'friday', endDay: 'friday', startHour: 8, startMin: 0, endHour: 16, endMin: 0 }
			])
		});
	});
});

describe('overrides', () => {
	const nobody: OverrideOut = {
		alias: 'o1',
		user: { type: 'none' },
		startDate: '2030-01-01T08:00:00.000Z',
		endDate: '2030-01-02T08:00:00.000Z',
		rotations: [{ id: 'r1', name: 'primary' }]
	};

	it('round-trips an override of nobody for one rotation', () => {
		const draft = overrideDraftOf(nobody, ZONE);
		expect(draft).toEqual({
			who: 'none',
			id: '',
			start: '2030-01-01T09:00',
			end: '2030-01-02T09:00',
			rotationIds: ['r1'],
			wholeSchedule: false
		});
		expect(overrideBody(draft, ZONE)).toEqual({
			user: { type: 'none' },
			startDate: '2030-01-01T09:00:00+01:00',
			endDate: '2030-01-02T09:00:00+01:00',
			rotations: [{ id: 'r1' }]
		});
		draft.wholeSchedule = true;
		draft.who = 'team';
		draft.id = 't1';
		expect(overrideBody(draft, ZONE)).toMatchObject({ user: { type: 'team', id: 't1' }, rotations: [] });
	});

	it('starts a new override at the next full hour, for 8 hours', () => {
		const draft = overrideDraftOf(null, 'UTC', new Date('2030-01-01T10:20:00Z'));
		expect([draft.start, draft.end, draft.wholeSchedule]).toEqual(['2030-01-01T11:00', '2030-01-01T19:00', true]);
		expect(checkOverride(draft, 'UTC')).toEqual({ user: 'Choose a user.' });
		draft.who = 'none';
		draft.end = draft.start;
		draft.wholeSchedule = false;
		expect(checkOverride(draft, 'UTC')).toEqual({
			endDate: 'The end must come after the start.',
			rotations: 'Choose at least one rotation, or the whole schedule.'
		});
		draft.start = '';
		draft.end = 'x';
		expect(Object.keys(checkOverride(draft, 'UTC'))).toEqual(['startDate', 'endDate', 'rotations']);
	});

	it('groups current and upcoming overrides and counts the past', () => {
		const at = (alias: string, start: string, end: string): OverrideOut => ({
			...nobody,
			alias,
			startDate: `2030-01-0${start}T00:00:00Z`,
			endDate: `2030-01-0${end}T00:00:00Z`
		});
		const groups = groupOverrides(
			[at('later', '7', '8'), at('now-long', '1', '9'), at('soon', '6', '7'), at('done', '1', '2'), at('now-short', '3', '6')],
			new Date('2030-01-05T00:00:00Z')
		);
		expect(groups.current.map((o) => o.alias)).toEqual(['now-short', 'now-long']);
		expect(groups.upcoming.map((o) => o.alias)).toEqual(['soon', 'later']);
		expect(groups.past).toBe(1);
	});
});

describe('server errors', () => {
	it('puts a 422 next to the field it names, a taken name on name, the rest on top', () => {
		const invalid = new ApiError(422, { code: 'invalid_field', message: 'unknown IANA time zone', field: 'timezone' });
		expect(serverErrors(invalid, SCHEDULE_FIELDS)).toEqual({ timezone: 'unknown IANA time zone' });
		const taken = new ApiError(409, { code: 'schedule_exists', message: 'exists' });
		expect(serverErrors(taken, SCHEDULE_FIELDS)).toEqual({ name: 'exists' });
		const participants = new ApiError(422, { code: 'invalid_field', message: 'User x', field: 'participants' });
		expect(serverErrors(participants, ROTATION_FIELDS)).toEqual({ participants: 'User x' });
		const alias = new ApiError(422, { code: 'invalid_field', message: 'alias', field: 'alias' });
		expect(serverErrors(alias, OVERRIDE_FIELDS)).toEqual({ '': 'alias' });
		expect(serverErrors(new ApiError(403, { code: 'forbidden', message: 'no' }), OVERRIDE_FIELDS)).toEqual({ '': 'no' });
		expect(serverErrors(new Error('offline'), SCHEDULE_FIELDS)).toEqual({ '': 'offline' });
		expect(serverErrors('odd', SCHEDULE_FIELDS)).toEqual({ '': 'odd' });
	});
});
