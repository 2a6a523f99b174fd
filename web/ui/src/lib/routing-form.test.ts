import { describe, expect, it } from 'vitest';
import type { RoutingRule } from './paging-types';
import {
	describeCriteria,
	describeTarget,
	emptyRouting,
	FIELDS,
	newCondition,
	OPERATIONS,
	orderedRules,
	routingBody,
	routingDraftOf,
	withField
} from './routing-form';

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
				timezone: 'UTC',
				timeRestriction: null,
				notify: { type: 'escalation', id: 'p1' }
			},
			errors: null
		});
	});

	it('routes all alerts to nobody without conditions', () => {
		const draft = { ...emptyRouting(), name: 'quiet', match: 'match-all', target: 'none' };
		expect(routingBody(draft).body).toEqual({
			name: 'quiet',
			criteria: { type: 'match-all', conditions: [] },
			timezone: 'UTC',
			timeRestriction: null,
			notify: { type: 'none' }
		});
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

describe('routing form: every field, the time restriction, the default rule', () => {
	const rule: RoutingRule = {
		id: 'r1',
		name: 'db at night',
		order: 0,
		criteria: {
			type: 'match-all-conditions',
			conditions: [
				{ field: 'extra-properties', key: 'region', not: false, operation: 'starts-with', expectedValue: 'eu-', order: 1 },
				{ field: 'details', key: 'env', not: true, operation: 'equals-ignore-whitespace', expectedValue: 'prod', order: 0 },
				{ field: 'details', not: false, operation: 'contains-key', expectedValue: 'service', order: 2 },
				{ field: 'actions', not: false, operation: 'matches', expectedValue: 'restart-.*', order: 3 },
				{ field: 'source', not: false, operation: 'is-empty', expectedValue: '', order: 4 }
			]
		},
		timezone: 'Europe/Berlin',
		timeRestriction: {
			type: 'weekday-and-time-of-day',
			restrictions: [{ startDay: 'friday', startHour: 18, startMin: 0, endDay: 'monday', endHour: 8, endMin: 0 }]
		},
		notify: { type: 'schedule', id: 's1', name: 'primary' }
	};

	it('reads a rule into a draft and writes the same rule back', () => {
		const draft = routingDraftOf(rule, 'Asia/Tokyo');
		expect(draft.conditions.map((c) => [c.field, c.detailKey])).toEqual([
			['detail', 'env'],
			['extra-properties', 'region'],
			['details', ''],
			['actions', ''],
			['source', '']
		]);
		expect(draft.timezone).toBe('Europe/Berlin');
		expect(draft.target).toBe('schedule:s1');
		const sorted = [...rule.criteria.conditions].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
		expect(routingBody(draft).body).toEqual({
			name: 'db at night',
			criteria: {
				type: 'match-all-conditions',
				conditions: sorted.map((c, i) => ({ ...c, order: i }))
			},
			timezone: 'Europe/Berlin',
			timeRestriction: rule.timeRestriction,
			notify: { type: 'schedule', id: 's1' }
		});
	});

	it('offers each field the operations the engine accepts', () => {
		expect(OPERATIONS.details.map(([op]) => op).sort()).toEqual(['contains', 'contains-key', 'contains-value', 'is-empty']);
		expect(OPERATIONS.tags.map(([op]) => op).sort()).toEqual(['contains', 'is-empty', 'matches']);
		expect(OPERATIONS.detail.map(([op]) => op)).toContain('equals-ignore-whitespace');
		expect(FIELDS.map(([f]) => f)).toEqual(expect.arrayContaining(['alias', 'description', 'entity', 'actions']));
		expect(withField({ ...newCondition('details'), operation: 'contains-key' }, 'detail').operation).toBe('contains');
	});

	it('names a missing key, a too long pattern, a bad window and a missing zone', () => {
		const draft = emptyRouting('');
		draft.name = 'x';
		draft.target = 'none';
		draft.conditions = [
			{ ...newCondition('detail'), value: 'prod' },
			{ ...newCondition('message'), operation: 'matches', value: 'a'.repeat(501) },
			{ ...newCondition('tags'), value: 'b'.repeat(1001) }
		];
		draft.restriction = { kind: 'weekday-and-time-of-day', daily: { start: '', end: '' }, windows: [] };
		expect(routingBody(draft).errors).toEqual({
			'conditions[0].key': 'Enter the key.',
			'conditions[1]': 'A regular expression of at most 500 characters.',
			'conditions[2]': 'At most 1000 characters.',
			timeRestriction: 'Add at least one window, or choose “No restriction”.',
			timezone: 'Choose a time zone.'
		});
		draft.match = 'match-any-condition';
		draft.conditions = [];
		expect(routingBody(draft).errors).toMatchObject({ conditions: 'Add a condition, or route all alerts.' });
	});

	it('sends only the name and target of the default rule', () => {
		const fallback: RoutingRule = {
			...rule,
			id: 'd',
			name: 'Default Routing Rule',
			isDefault: true,
			criteria: { type: 'match-all', conditions: [] },
			timeRestriction: null,
			notify: { type: 'escalation', id: 'p', name: 'ops_escalation' }
		};
		const draft = routingDraftOf(fallback);
		draft.target = 'none';
		expect(routingBody(draft, true)).toEqual({
			body: { name: 'Default Routing Rule', notify: { type: 'none' } },
			errors: null
		});
		draft.target = '';
		expect(routingBody(draft, true).errors).toEqual({ notify: 'Choose where the alerts go.' });
		const order = orderedRules([fallback, rule, { ...rule, id: 'r2' }]).map((r) => r.id);
		expect(order).toEqual(['r1', 'r2', 'd']);
	});
});
