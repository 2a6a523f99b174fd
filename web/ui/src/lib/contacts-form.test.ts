import { describe, expect, it } from 'vitest';
import {
	addressProblem,
	checkQuietHours,
	daysText,
	methodLabel,
	newStep,
	quietText,
	ruleBody,
	ruleDraftOf
} from './contacts-form';
import type { NotificationRule } from './paging-types';

describe('contacts form', () => {
	it('checks addresses per method', () => {
		expect(addressProblem('email', 'a@b.co')).toBe('');
		expect(addressProblem('email', 'nope')).not.toBe('');
		expect(addressProblem('slack', 'C0123ABCD')).toBe('');
		expect(addressProblem('slack', 'https://hooks.slack.com/services/x')).toBe('');
		expect(addressProblem('slack', '#ops')).not.toBe('');
		expect(addressProblem('teams', 'http://x')).not.toBe('');
		expect(addressProblem('webhook', 'http://x')).toBe('');
		expect(addressProblem('webhook', ' ')).toBe('Enter an address.');
	});

	it('labels methods', () => {
		expect(methodLabel({ method: 'email', address: 'a@b.co' })).toBe('Email: a@b.co');
		expect(methodLabel({ method: 'teams', address: 'https://t' })).toBe('Microsoft Teams: https://t');
	});

	it('turns a rule draft into its body, keeping step ids', () => {
		const rule: NotificationRule = {
			id: 'r',
			name: 'New alert',
			actionType: 'create-alert',
			enabled: true,
			order: 1,
			criteria: { priorities: ['P2', 'P1'] },
			timeRestriction: null,
			timeZone: 'UTC',
			steps: [{ id: 's1', contactMethodId: 'account-email', sendAfterMinutes: 0, enabled: true }]
		};
		const draft = ruleDraftOf(rule);
		draft.steps.push(newStep('m2', 5));
		expect(ruleBody(draft).body).toEqual({
			name: 'New alert',
			enabled: true,
			criteria: { priorities: ['P1', 'P2'] },
			steps: [
				{ id: 's1', contactMethodId: 'account-email', sendAfterMinutes: 0, enabled: true },
				{ contactMethodId: 'm2', sendAfterMinutes: 5, enabled: true }
			],
			timeRestriction: null,
			timeZone: 'UTC'
		});
	});

	it('reads and writes a rule’s time restriction in its zone (null clears one)', () => {
		const weekdays = {
			type: 'weekday-and-time-of-day',
			restrictions: [{ startDay: 'monday', startHour: 8, startMin: 0, endDay: 'friday', endHour: 18, endMin: 30 }]
		};
		const rule: NotificationRule = {
			id: 'r',
			name: 'Office hours',
			actionType: 'create-alert',
			enabled: true,
			order: 1,
			criteria: { priorities: [] },
			timeRestriction: weekdays,
			timeZone: 'Europe/Berlin',
			steps: []
		};
		const draft = ruleDraftOf(rule, 'Asia/Tokyo');
		expect(draft.timeZone).toBe('Europe/Berlin');
		expect(ruleBody(draft).body).toMatchObject({ timeRestriction: weekdays, timeZone: 'Europe/Berlin' });
		draft.restriction.kind = 'time-of-day';
		draft.restriction.daily = { start: '22:00', end: '06:00' };
		expect(ruleBody(draft).body?.timeRestriction).toEqual({
			type: 'time-of-day',
			restriction: { startHour: 22, startMin: 0, endHour: 6, endMin: 0 }
		});
		draft.restriction.kind = 'none';
		expect(ruleBody(draft).body?.timeRestriction).toBeNull();
	});

	it('starts a new rule in the user’s zone, at any time', () => {
		const draft = ruleDraftOf(null, 'America/Chicago');
		expect(draft.timeZone).toBe('America/Chicago');
		expect(draft.restriction.kind).toBe('none');
		expect(draft.steps.map((s) => s.contactMethodId)).toEqual(['account-email']);
	});

	it('names a bad restriction under the server’s field', () => {
		const draft = { ...ruleDraftOf(null, ''), name: 'n' };
		draft.restriction = { kind: 'weekday-and-time-of-day', daily: { start: '', end: '' }, windows: [] };
		expect(ruleBody(draft).errors).toEqual({
			timeRestriction: 'Add at least one window, or choose “No restriction”.',
			timeZone: 'Choose a time zone.'
		});
		draft.restriction.kind = 'time-of-day';
		draft.timeZone = 'UTC';
		expect(ruleBody(draft).errors).toEqual({ timeRestriction: 'Enter both times (HH:MM).' });
	});

	it('names a rule draft’s problems', () => {
		const draft = ruleDraftOf();
		draft.steps.push(newStep(''), newStep('m', 2000));
		expect(ruleBody(draft).errors).toEqual({
			name: 'A rule needs a name.',
			'steps[1]': 'Choose a contact method.',
			'steps[2]': '0 to 1440 whole minutes.'
		});
	});

	it('describes quiet hours', () => {
		const all = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
		expect(daysText(all)).toBe('every day');
		expect(daysText(all.slice(0, 5))).toBe('Mon–Fri');
		expect(daysText(['sunday', 'saturday'])).toBe('Sat, Sun');
		expect(daysText([])).toBe('no day');
		const quiet = { enabled: true, timeZone: 'UTC', start: '22:00', end: '07:00', days: all, exceptPriorities: ['P1'] };
		expect(quietText(quiet)).toBe('22:00–07:00 (overnight) every day, except P1');
		expect(quietText({ ...quiet, enabled: false })).toBe('Off');
	});

	it('checks quiet hours before sending', () => {
		const quiet = { enabled: true, timeZone: 'UTC', start: '22:00', end: '07:00', days: ['monday'], exceptPriorities: [] };
		expect(checkQuietHours(quiet)).toEqual({});
		expect(checkQuietHours({ ...quiet, start: '', end: '24:00', days: [] })).toEqual({
			start: 'Enter a time (HH:MM).',
			end: 'Enter a time (HH:MM).',
			days: 'Choose at least one day.'
		});
	});
});
