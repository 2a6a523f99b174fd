/**
 * A team's simple routing rule: conditions on priority, tags or message, and a
 * target (a policy, a schedule or nobody). The API takes Opsgenie's full model;
 * the page offers the common part of it and shows any rule it cannot edit as text.
 */
import type { RoutingCondition, RoutingRule, RoutingRuleInput } from '$lib/paging-types';

export type ConditionField = 'priority' | 'tags' | 'message';

/** The operations offered per field (a subset of engine/routing CONDITION_OPERATIONS). */
export const OPERATIONS: Record<ConditionField, readonly (readonly [string, string])[]> = {
	priority: [
		['equals', 'is'],
		['greater-than', 'is higher than'],
		['less-than', 'is lower than']
	],
	tags: [
		['contains', 'include'],
		['is-empty', 'are empty']
	],
	message: [
		['contains', 'contains'],
		['equals', 'is'],
		['starts-with', 'starts with'],
		['ends-with', 'ends with'],
		['matches', 'matches the regex'],
		['is-empty', 'is empty']
	]
};

export const MATCH_TYPES = [
	['match-all', 'All alerts'],
	['match-all-conditions', 'Alerts matching all conditions'],
	['match-any-condition', 'Alerts matching any condition']
] as const;

export interface ConditionDraft {
	key: number;
	field: ConditionField;
	operation: string;
	not: boolean;
	value: string;
}

export interface RoutingDraft {
	name: string;
	match: string;
	conditions: ConditionDraft[];
	/** `escalation:<id>`, `schedule:<id>` or `none`. */
	target: string;
}

let keys = 0;

export function newCondition(field: ConditionField = 'priority'): ConditionDraft {
	const first = OPERATIONS[field][0]?.[0] ?? 'equals';
	return { key: ++keys, field, operation: first, not: false, value: field === 'priority' ? 'P1' : '' };
}

export function emptyRouting(): RoutingDraft {
	return { name: '', match: 'match-all-conditions', conditions: [newCondition()], target: '' };
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

export const needsValue = (operation: string) => operation !== 'is-empty';

/** The create body of a draft, or the errors by field (`name`, `conditions[i]`, `notify`). */
export function routingBody(
	draft: RoutingDraft
): { body: RoutingRuleInput; errors: null } | { body: null; errors: Record<string, string> } {
	const errors: Record<string, string> = {};
	if (!draft.name.trim()) errors.name = 'A rule needs a name.';
	const conditional = draft.match !== 'match-all';
	if (conditional && !draft.conditions.length) errors.conditions = 'Add a condition, or route all alerts.';
	const conditions: RoutingCondition[] = conditional
		? draft.conditions.map((c, i) => {
				if (needsValue(c.operation) && !c.value.trim()) errors[`conditions[${i}]`] = 'Enter a value.';
				return {
					field: c.field,
					operation: c.operation,
					not: c.not,
					expectedValue: needsValue(c.operation) ? c.value.trim() : '',
					order: i
				};
			})
		: [];
	let notify: RoutingRuleInput['notify'] = { type: 'none' };
	if (!draft.target) errors.notify = 'Choose where the alerts go.';
	else if (draft.target !== 'none') {
		const [type, ...rest] = draft.target.split(':');
		notify = { type: type ?? '', id: rest.join(':') };
	}
	if (Object.keys(errors).length) return { body: null, errors };
	return {
		body: { name: draft.name.trim(), criteria: { type: draft.match, conditions }, notify },
		errors: null
	};
}

function conditionText(c: RoutingCondition): string {
	const label =
		OPERATIONS[c.field as ConditionField]?.find(([op]) => op === c.operation)?.[1] ?? c.operation;
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
