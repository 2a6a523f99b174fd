import { describe, expect, it } from 'vitest';
import { ApiError } from './api/client';
import type { EscalationPolicy } from './paging-types';
import {
	bodyOf,
	checkDraft,
	delayText,
	describeRepeat,
	describeRule,
	draftOf,
	newRule,
	serverErrors,
	shownFields,
	withRecipientType
} from './policy-form';

const policy: EscalationPolicy = {
	id: 'p1',
	name: 'db-oncall',
	description: 'the database',
	ownerTeam: { id: 't1', name: 'DB' },
	rules: [
		{
			condition: 'if-not-acked',
			delayMinutes: 0,
			recipient: { type: 'schedule', id: 's1', name: 'primary' },
			notifyType: 'next'
		},
		{
			condition: 'if-not-closed',
			delayMinutes: 90,
			recipient: { type: 'user', id: 'u1', name: 'Ada' },
			notifyType: 'default'
		}
	],
	repeat: { waitIntervalMinutes: 10, count: 2, resetRecipientStates: false, closeAlertAfterAll: true },
	version: 3,
	createdAt: '2030-01-01T00:00:00Z',
	updatedAt: '2030-01-01T00:00:00Z'
};

describe('policy form', () => {
	it('round-trips a policy through its draft', () => {
		const body = bodyOf(draftOf(policy));
		expect(body).toEqual({
			name: 'db-oncall',
			description: 'the database',
			ownerTeam: 't1',
			rules: [
				{ condition: 'if-not-acked', delayMinutes: 0, recipient: { type: 'schedule', id: 's1' }, notifyType: 'next' },
				{ condition: 'if-not-closed', delayMinutes: 90, recipient: { type: 'user', id: 'u1' }, notifyType: 'default' }
			],
			repeat: policy.repeat
		});
	});

	it('sends no owner team as null and no repeat as zeros', () => {
		const draft = draftOf();
		draft.name = '  x  ';
		expect(bodyOf(draft)).toMatchObject({
			name: 'x',
			ownerTeam: null,
			repeat: { waitIntervalMinutes: 0, count: 0, resetRecipientStates: false, closeAlertAfterAll: false }
		});
	});

	it('checks what the server would refuse, by field', () => {
		const draft = draftOf();
		draft.rules = [newRule(), { ...newRule(), delayMinutes: -1, recipientId: 'u' }];
		draft.repeat = true;
		draft.count = 21;
		expect(checkDraft(draft)).toEqual({
			name: 'A policy needs a name.',
			'rules[0].recipient': 'Choose a user.',
			'rules[1].delayMinutes': '0 to 10080 whole minutes.',
			'repeat.count': '1 to 20 times.'
		});
		draft.rules = [];
		draft.name = 'a/b';
		draft.repeat = false;
		expect(checkDraft(draft)).toEqual({ name: 'A name cannot contain “/”.', rules: 'Add at least one rule.' });
	});

	it('refuses a repeat that would loop without a pause', () => {
		const draft = draftOf(policy);
		draft.rules.forEach((r) => (r.delayMinutes = 0));
		draft.waitIntervalMinutes = 0;
		expect(Object.keys(checkDraft(draft))).toEqual(['repeat.waitIntervalMinutes']);
	});

	it('places server errors next to the field they name, or its parent', () => {
		const shown = shownFields(draftOf(policy));
		const at = (field: string | undefined, code = 'invalid_field') =>
			serverErrors(new ApiError(422, { code, message: 'm', field }), (f) => shown.has(f));
		expect(at('rules[1].recipient')).toEqual({ 'rules[1].recipient': 'm' });
		expect(at('rules[7].recipient')).toEqual({ rules: 'm' });
		expect(at('repeat.other')).toEqual({ repeat: 'm' });
		expect(at(undefined, 'escalation_policy_exists')).toEqual({ name: 'm' });
		expect(at(undefined)).toEqual({ '': 'm' });
		expect(serverErrors(new Error('offline'), () => true)).toEqual({ '': 'offline' });
	});

	it('keeps a notify type only where the recipient type takes it', () => {
		const rule = { ...newRule(), recipientType: 'schedule' as const, recipientId: 's', notifyType: 'all' };
		expect(withRecipientType(rule, 'user')).toMatchObject({ recipientId: '', notifyType: 'default' });
		expect(withRecipientType(rule, 'schedule')).toMatchObject({ recipientId: 's', notifyType: 'all' });
	});

	it('describes rules and repeats', () => {
		expect(delayText(0)).toBe('at once');
		expect(delayText(90)).toBe('after 1 h 30 min');
		expect(describeRule(policy.rules[0]!)).toBe('If not acknowledged, at once: schedule primary (who is on call next)');
		expect(describeRule(policy.rules[1]!)).toBe('If not closed, after 1 h 30 min: user Ada');
		expect(describeRepeat(policy)).toBe('Repeats 2 times, 10 min after the last rule, then closes the alert');
		expect(describeRepeat({ ...policy, repeat: { ...policy.repeat, count: 0 } })).toBe('');
	});
});
