import { describe, expect, it } from 'vitest';
import { describeCriteria, describeTarget, emptyRouting, newCondition, routingBody, withField } from './routing-form';

describe('routing form', () => {
	it('builds a rule of conditions and a target', () => {
		const draft = emptyRouting();
		draft.name = ' db ';
		draft.match = 'match-any-condition';
		draft.conditions = [
			{ ...newCondition('priority'), operation: 'greater-than', value: 'P3' },
			{ ...newCondition('tags'), value: ' db ', not: true },
			{ ...newCondition('message'), operation: 'is-empty', value: 'ignored' }
		];
		draft.target = 'escalation:p1';
		expect(routingBody(draft)).toEqual({
			body: {
				name: 'db',
				criteria: {
					type: 'match-any-condition',
					conditions: [
						{ field: 'priority', operation: 'greater-than', not: false, expectedValue: 'P3', order: 0 },
						{ field: 'tags', operation: 'contains', not: true, expectedValue: 'db', order: 1 },
						{ field: 'message', operation: 'is-empty', not: false, expectedValue: '', order: 2 }
					]
				},
				notify: { type: 'escalation', id: 'p1' }
			},
			errors: null
		});
	});

	it('routes all alerts to nobody without conditions', () => {
		const draft = { ...emptyRouting(), name: 'quiet', match: 'match-all', target: 'none' };
		expect(routingBody(draft).body).toEqual({ name: 'quiet', criteria: { type: 'match-all', conditions: [] }, notify: { type: 'none' } });
	});

	it('names what is missing', () => {
		const draft = emptyRouting();
		draft.conditions = [{ ...newCondition('message'), value: ' ' }];
		expect(routingBody(draft).errors).toEqual({
			name: 'A rule needs a name.',
			'conditions[0]': 'Enter a value.',
			notify: 'Choose where the alerts go.'
		});
	});

	it('resets what a new field cannot keep', () => {
		const tags = { ...newCondition('tags'), value: 'db' };
		expect(withField(tags, 'message')).toMatchObject({ field: 'message', operation: 'contains', value: 'db' });
		expect(withField(tags, 'priority')).toMatchObject({ field: 'priority', operation: 'equals', value: 'P1' });
		expect(withField({ ...newCondition('message'), operation: 'starts-with' }, 'tags').operation).toBe('contains');
	});

	it('describes rules', () => {
		const criteria = {
			type: 'match-all-conditions',
			conditions: [
				{ field: 'priority', operation: 'less-than', not: false, expectedValue: 'P2' },
				{ field: 'details', key: 'env', operation: 'contains-key', not: true, expectedValue: 'prod' }
			]
		};
		expect(describeCriteria({ criteria })).toBe('priority is lower than “P2” and not: details.env contains-key “prod”');
		expect(describeCriteria({ criteria: { type: 'match-all', conditions: [] } })).toBe('all alerts');
		expect(describeTarget({ notify: { type: 'schedule', id: 's', name: 'primary' } })).toBe('schedule primary');
		expect(describeTarget({ notify: { type: 'none' } })).toBe('nobody');
	});
});
