/**
 * A team's routing rule as the page edits it: Opsgenie's criteria (every field and
 * operation `engine/routing` accepts, `not`), a time restriction read in the rule's
 * zone, and a target (a policy, a schedule or nobody). The team's default rule
 * (`isDefault`) keeps match-all at any time: only its name and target change.
 */
import { PRIORITIES } from '$lib/api/alerts';
import { hasErrors, type FieldErrors } from '$lib/field-errors';
import type { RoutingCondition, RoutingRule, RoutingRuleInput } from '$lib/paging-types';
import {
	checkRestriction,
	noRestriction,
	restrictionBody,
	restrictionDraftOf,
	type RestrictionDraft
} from '$lib/restriction';

/**
 * The fields a condition can test. `detail` is the API's `details` with a `key`
 * (one detail's value, compared as text); `details` alone tests all of them.
 */
export type ConditionField =
	| 'message'
	| 'alias'
	| 'description'
	| 'source'
	| 'entity'
	| 'tags'
	| 'actions'
	| 'priority'
	| 'detail'
	| 'details'
	| 'extra-properties';

type Operations = readonly (readonly [string, string])[];

const TEXT: Operations = [
	['contains', 'contains'],
	['equals', 'is'],
	['starts-with', 'starts with'],
	['ends-with', 'ends with'],
	['equals-ignore-whitespace', 'is, ignoring spaces,'],
	['matches', 'matches the regex'],
	['is-empty', 'is empty']
];
const LIST: Operations = [
	['contains', 'include'],
	['matches', 'include one matching the regex'],
	['is-empty', 'are empty']
];

/** The operations of each field, as engine/routing CONDITION_OPERATIONS allows them. */
export const OPERATIONS: Record<ConditionField, Operations> = {
	message: TEXT,
	alias: TEXT,
	description: TEXT,
	source: TEXT,
	entity: TEXT,
	tags: LIST,
	actions: LIST,
	priority: [
		['equals', 'is'],
		['greater-than', 'is higher than'],
		['less-than', 'is lower than']
	],
	detail: TEXT,
	details: [
		['contains-key', 'have the key'],
		['contains-value', 'have the value'],
		['contains', 'have a key or value containing'],
		['is-empty', 'are empty']
	],
	'extra-properties': TEXT
};

export const FIELDS: readonly (readonly [ConditionField, string])[] = [
	['message', 'Message'],
	['alias', 'Alias'],
	['description', 'Description'],
	['source', 'Source'],
	['entity', 'Entity'],
	['tags', 'Tags'],
	['actions', 'Actions'],
	['priority', 'Priority'],
	['detail', 'A detail (by key)'],
	['details', 'Details (any)'],
	['extra-properties', 'An extra property (by key)']
];

export const MATCH_TYPES = [
	['match-all', 'All alerts'],
	['match-all-conditions', 'Alerts matching all conditions'],
	['match-any-condition', 'Alerts matching any condition']
] as const;

export const MAX_CONDITIONS = 50;
export const MAX_VALUE = 1000;
export const MAX_PATTERN = 500;
export const MAX_NAME = 100;

export interface ConditionDraft {
	/** A stable key while editing (not sent). */
	key: number;
	field: ConditionField;
	operation: string;
	not: boolean;
	value: string;
	/** The detail's key (`detail`, `extra-properties`). */
	detailKey: string;
}

export interface RoutingDraft {
	name: string;
	match: string;
	conditions: ConditionDraft[];
	/** `escalation:<id>`, `schedule:<id>` or `none`. */
	target: string;
	restriction: RestrictionDraft;
	timezone: string;
}

let keys = 0;

export const needsValue = (operation: string) => operation !== 'is-empty';
export const needsKey = (field: ConditionField) => field === 'detail' || field === 'extra-properties';

export function newCondition(field: ConditionField = 'priority'): ConditionDraft {
	const first = OPERATIONS[field][0]?.[0] ?? 'equals';
	return { key: ++keys, field, operation: first, not: false, value: field === 'priority' ? 'P1' : '', detailKey: '' };
}

/** A new rule: one priority condition, any time in `zone`, no target yet. */
export function emptyRouting(zone = 'UTC'): RoutingDraft {
	return {
		name: '',
		match: 'match-all-conditions',
		conditions: [newCondition()],
		target: '',
		restriction: noRestriction(),
		timezone: zone
	};
}

function fieldOf(c: Pick<RoutingCondition, 'field' | 'key'>): ConditionField {
	if (c.field === 'details' && c.key) return 'detail';
	return c.field in OPERATIONS ? (c.field as ConditionField) : 'message';
}

export function conditionDraftOf(c: RoutingCondition): ConditionDraft {
	return {
		key: ++keys,
		field: fieldOf(c),
		operation: c.operation,
		not: c.not,
		value: c.expectedValue,
		detailKey: c.key ?? ''
	};
}

function targetOf(notify: RoutingRule['notify']): string {
	return notify.type === 'none' || !notify.id ? 'none' : `${notify.type}:${notify.id}`;
}

/** The draft of an existing rule (its conditions in order). */
export function routingDraftOf(rule: RoutingRule, zone = 'UTC'): RoutingDraft {
	const conditions = [...rule.criteria.conditions]
		.sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
		.map(conditionDraftOf);
	return {
		name: rule.name,
		match: rule.criteria.type,
		conditions: conditions.length ? conditions : [newCondition()],
		target: targetOf(rule.notify),
		restriction: restrictionDraftOf(rule.timeRestriction),
		timezone: rule.timezone || zone
	};
}

/** A field change resets what the new field cannot keep. */
export function withField(condition: ConditionDraft, field: ConditionField): ConditionDraft {
	const keepOp = OPERATIONS[field].some(([op]) => op === condition.operation);
	const fresh = newCondition(field);
	return {
		...condition,
		field,
		operation: keepOp ? condition.operation : fresh.operation,
		value: field === 'priority' || condition.field === 'priority' ? fresh.value : condition.value
	};
}

function checkCondition(c: ConditionDraft, i: number, errors: FieldErrors): RoutingCondition {
	const value = needsValue(c.operation) ? c.value.trim() : '';
	const detailKey = needsKey(c.field) ? c.detailKey.trim() : '';
	if (needsKey(c.field) && !detailKey) errors[`conditions[${i}].key`] = 'Enter the key.';
	if (needsValue(c.operation)) {
		if (!value) errors[`conditions[${i}]`] = 'Enter a value.';
		else if (value.length > MAX_VALUE) errors[`conditions[${i}]`] = `At most ${MAX_VALUE} characters.`;
		else if (c.operation === 'matches' && value.length > MAX_PATTERN) {
			errors[`conditions[${i}]`] = `A regular expression of at most ${MAX_PATTERN} characters.`;
		} else if (c.field === 'priority' && !(PRIORITIES as readonly string[]).includes(value)) {
			errors[`conditions[${i}]`] = 'Choose a priority.';
		}
	}
	return {
		field: c.field === 'detail' ? 'details' : c.field,
		operation: c.operation,
		not: c.not,
		expectedValue: value,
		...(detailKey ? { key: detailKey } : {}),
		order: i
	};
}

function notifyOf(target: string): RoutingRuleInput['notify'] {
	if (target === 'none') return { type: 'none' };
	const [type, ...rest] = target.split(':');
	return { type: type ?? '', id: rest.join(':') };
}

/**
 * The create or PATCH body of a draft (the whole rule: `timeRestriction: null`
 * removes one), or the errors by field (`name`, `conditions`, `conditions[i]`,
 * `conditions[i].key`, `timeRestriction`, `timeRestriction[i]`, `timezone`,
 * `notify`). A default rule sends only its name and target.
 */
export function routingBody(
	draft: RoutingDraft,
	isDefault = false
): { body: RoutingRuleInput; errors: null } | { body: null; errors: FieldErrors } {
	const errors: FieldErrors = isDefault ? {} : checkRestriction(draft.restriction);
	const name = draft.name.trim();
	if (!name) errors.name = 'A rule needs a name.';
	else if (name.length > MAX_NAME) errors.name = `At most ${MAX_NAME} characters.`;
	if (!draft.target) errors.notify = 'Choose where the alerts go.';
	const notify = notifyOf(draft.target);
	if (isDefault) return hasErrors(errors) ? { body: null, errors } : { body: { name, notify }, errors: null };

	const conditional = draft.match !== 'match-all';
	if (conditional && !draft.conditions.length) errors.conditions = 'Add a condition, or route all alerts.';
	else if (conditional && draft.conditions.length > MAX_CONDITIONS) {
		errors.conditions = `At most ${MAX_CONDITIONS} conditions.`;
	}
	const conditions = conditional ? draft.conditions.map((c, i) => checkCondition(c, i, errors)) : [];
	if (draft.restriction.kind !== 'none' && !draft.timezone) errors.timezone = 'Choose a time zone.';
	if (hasErrors(errors)) return { body: null, errors };
	return {
		body: {
			name,
			criteria: { type: draft.match, conditions },
			timezone: draft.timezone,
			timeRestriction: restrictionBody(draft.restriction),
			notify
		},
		errors: null
	};
}

/** The fields the form shows, and the server's names for them. */
export const ROUTING_FIELDS: ReadonlySet<string> = new Set([
	'name',
	'conditions',
	'timeRestriction',
	'timezone',
	'notify'
]);
export const ROUTING_RENAME: Readonly<Record<string, string>> = { criteria: 'conditions' };

function conditionText(c: RoutingCondition): string {
	const label = OPERATIONS[fieldOf(c)].find(([op]) => op === c.operation)?.[1] ?? c.operation;
	const field = c.key ? `${c.field}.${c.key}` : c.field;
	const value = needsValue(c.operation) ? ` “${c.expectedValue}”` : '';
	return `${c.not ? 'not: ' : ''}${field} ${label}${value}`;
}

/** "priority is higher than “P3” or tags include “db”" ("all alerts" for match-all). */
export function describeCriteria(rule: Pick<RoutingRule, 'criteria'>): string {
	const { type, conditions } = rule.criteria;
	if (type === 'match-all' || !conditions.length) return 'all alerts';
	const joiner = type === 'match-any-condition' ? ' or ' : ' and ';
	return conditions.map(conditionText).join(joiner);
}

export function describeTarget(rule: Pick<RoutingRule, 'notify'>): string {
	const n = rule.notify;
	if (n.type === 'escalation') return `policy ${n.name || n.id}`;
	if (n.type === 'schedule') return `schedule ${n.name || n.id}`;
	return 'nobody';
}

/** The rules in the order they are tried, the default rule last (as the server keeps it). */
export function orderedRules<T extends Pick<RoutingRule, 'isDefault'>>(rules: readonly T[]): T[] {
	return [...rules.filter((r) => !r.isDefault), ...rules.filter((r) => r.isDefault)];
}
