/**
 * The escalation policy editor's model: a draft the form binds to, the body it
 * sends, checks made before sending, and the server's field errors placed next to
 * the fields they name (`rules[1].recipient`, `repeat.count`, `name`...).
 */
import { ApiError } from '$lib/api/client';
import type { EscalationPolicy, PolicyInput, PolicyRule, RecipientType } from '$lib/paging-types';

export const CONDITIONS = [
	['if-not-acked', 'not acknowledged'],
	['if-not-closed', 'not closed']
] as const;

export const RECIPIENT_TYPES: readonly RecipientType[] = ['user', 'schedule', 'team'];

/** The notify types each recipient type takes (engine/escalations NOTIFY_TYPES). */
export const NOTIFY_TYPES: Record<RecipientType, readonly (readonly [string, string])[]> = {
	user: [['default', 'the user']],
	schedule: [
		['default', 'who is on call'],
		['next', 'who is on call next'],
		['previous', 'who was on call before'],
		['all', 'everyone in the rotations']
	],
	team: [['default', 'the team']]
};

export const MAX_DELAY = 10080;
export const MAX_REPEATS = 20;
export const MAX_RULES = 50;

export interface RuleDraft {
	/** A stable key for the list while editing (not sent). */
	key: number;
	condition: string;
	delayMinutes: number;
	recipientType: RecipientType;
	recipientId: string;
	notifyType: string;
}

export interface PolicyDraft {
	name: string;
	description: string;
	ownerTeam: string; // '' = none
	rules: RuleDraft[];
	repeat: boolean;
	waitIntervalMinutes: number;
	count: number;
	resetRecipientStates: boolean;
	closeAlertAfterAll: boolean;
}

/** Field path (as the server names it) -> message; '' holds errors of no field. */
export type FieldErrors = Record<string, string>;

let keys = 0;

export function newRule(after?: RuleDraft): RuleDraft {
	return {
		key: ++keys,
		condition: after?.condition ?? 'if-not-acked',
		delayMinutes: after ? Math.min(MAX_DELAY, after.delayMinutes + 5) : 0,
		recipientType: after?.recipientType ?? 'user',
		recipientId: '',
		notifyType: 'default'
	};
}

function ruleDraft(rule: PolicyRule): RuleDraft {
	return {
		key: ++keys,
		condition: rule.condition,
		delayMinutes: rule.delayMinutes,
		recipientType: rule.recipient.type,
		recipientId: rule.recipient.id,
		notifyType: rule.notifyType
	};
}

/** The draft of an existing policy, or of a new one (one empty rule). */
export function draftOf(policy?: EscalationPolicy | null): PolicyDraft {
	if (!policy) {
		return {
			name: '',
			description: '',
			ownerTeam: '',
			rules: [newRule()],
			repeat: false,
			waitIntervalMinutes: 10,
			count: 1,
			resetRecipientStates: false,
			closeAlertAfterAll: false
		};
	}
	const r = policy.repeat;
	return {
		name: policy.name,
		description: policy.description,
		ownerTeam: policy.ownerTeam?.id ?? '',
		rules: policy.rules.map(ruleDraft),
		repeat: r.count > 0,
		waitIntervalMinutes: r.count > 0 ? r.waitIntervalMinutes : 10,
		count: r.count > 0 ? r.count : 1,
		resetRecipientStates: r.resetRecipientStates,
		closeAlertAfterAll: r.closeAlertAfterAll
	};
}

/** A recipient type change keeps the notify type only if the new type takes it. */
export function withRecipientType(rule: RuleDraft, type: RecipientType): RuleDraft {
	const allowed = NOTIFY_TYPES[type].some(([value]) => value === rule.notifyType);
	return {
		...rule,
		recipientType: type,
		recipientId: type === rule.recipientType ? rule.recipientId : '',
		notifyType: allowed ? rule.notifyType : 'default'
	};
}

const whole = (n: number) => (Number.isFinite(n) ? Math.trunc(n) : 0);

/** The create/PATCH body of a draft (the full policy: a PATCH replaces the rules). */
export function bodyOf(draft: PolicyDraft): PolicyInput {
	return {
		name: draft.name.trim(),
		description: draft.description,
		ownerTeam: draft.ownerTeam || null,
		rules: draft.rules.map((r) => ({
			condition: r.condition,
			delayMinutes: whole(r.delayMinutes),
			recipient: { type: r.recipientType, id: r.recipientId },
			notifyType: r.recipientType === 'schedule' ? r.notifyType : 'default'
		})),
		repeat: draft.repeat
			? {
					waitIntervalMinutes: whole(draft.waitIntervalMinutes),
					count: whole(draft.count),
					resetRecipientStates: draft.resetRecipientStates,
					closeAlertAfterAll: draft.closeAlertAfterAll
				}
			: { waitIntervalMinutes: 0, count: 0, resetRecipientStates: false, closeAlertAfterAll: false }
	};
}

function isWhole(n: number, low: number, high: number): boolean {
	return Number.isInteger(n) && n >= low && n <= high;
}

/** What the server would refuse, found before sending (same fields, same limits). */
export function checkDraft(draft: PolicyDraft): FieldErrors {
	const errors: FieldErrors = {};
	const name = draft.name.trim();
	if (!name) errors.name = 'A policy needs a name.';
	else if (name.length > 100) errors.name = 'At most 100 characters.';
	else if (name.includes('/')) errors.name = 'A name cannot contain “/”.';
	if (draft.rules.length === 0) errors.rules = 'Add at least one rule.';
	if (draft.rules.length > MAX_RULES) errors.rules = `At most ${MAX_RULES} rules.`;
	draft.rules.forEach((rule, i) => {
		if (!isWhole(rule.delayMinutes, 0, MAX_DELAY)) {
			errors[`rules[${i}].delayMinutes`] = `0 to ${MAX_DELAY} whole minutes.`;
		}
		if (!rule.recipientId) errors[`rules[${i}].recipient`] = `Choose a ${rule.recipientType}.`;
	});
	if (draft.repeat) {
		if (!isWhole(draft.count, 1, MAX_REPEATS)) {
			errors['repeat.count'] = `1 to ${MAX_REPEATS} times.`;
		}
		if (!isWhole(draft.waitIntervalMinutes, 0, MAX_DELAY)) {
			errors['repeat.waitIntervalMinutes'] = `0 to ${MAX_DELAY} whole minutes.`;
		} else if (
			draft.waitIntervalMinutes === 0 &&
			draft.rules.every((r) => whole(r.delayMinutes) === 0)
		) {
			errors['repeat.waitIntervalMinutes'] =
				'A repeating policy needs a wait (or a rule delay) above 0 minutes.';
		}
	}
	return errors;
}

/**
 * The server's refusal as field errors: `invalid_field` names its field; a taken
 * name (409 `escalation_policy_exists`) belongs to `name`; anything else is general.
 * A field the form does not show (e.g. `rules[2]`) falls back to its nearest parent
 * that it does show.
 */
export function serverErrors(error: unknown, shown: (field: string) => boolean): FieldErrors {
	if (!(error instanceof ApiError)) {
		return { '': error instanceof Error ? error.message : String(error) };
	}
	let field = error.field ?? (error.code === 'escalation_policy_exists' ? 'name' : '');
	while (field && !shown(field)) field = field.replace(/(\.[^.[]*|\[\d+\])$/, '');
	return { [field]: error.message };
}

/** Every field path the editor shows an error next to, for `serverErrors`. */
export function shownFields(draft: PolicyDraft): Set<string> {
	const fields = new Set(['name', 'description', 'ownerTeam', 'rules']);
	draft.rules.forEach((_, i) => {
		for (const part of ['condition', 'delayMinutes', 'recipient', 'notifyType']) {
			fields.add(`rules[${i}].${part}`);
		}
	});
	for (const part of ['count', 'waitIntervalMinutes']) fields.add(`repeat.${part}`);
	fields.add('repeat');
	return fields;
}

/** "after 5 min", "at once", "after 1 h 30 min". */
export function delayText(minutes: number): string {
	if (minutes <= 0) return 'at once';
	const h = Math.floor(minutes / 60);
	const m = minutes % 60;
	const parts = [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean);
	return `after ${parts.join(' ')}`;
}

/** One line per rule: "If not acknowledged, after 5 min: schedule Primary (who is on call)". */
export function describeRule(rule: PolicyRule): string {
	const condition = CONDITIONS.find(([value]) => value === rule.condition)?.[1] ?? rule.condition;
	const who = `${rule.recipient.type} ${rule.recipient.name || rule.recipient.id}`;
	const notify =
		rule.recipient.type === 'schedule' && rule.notifyType !== 'default'
			? ` (${NOTIFY_TYPES.schedule.find(([v]) => v === rule.notifyType)?.[1] ?? rule.notifyType})`
			: '';
	return `If ${condition}, ${delayText(rule.delayMinutes)}: ${who}${notify}`;
}

/** "Repeats 2 times, 10 min after the last rule" or "". */
export function describeRepeat(policy: EscalationPolicy): string {
	const r = policy.repeat;
	if (!r.count) return '';
	const times = r.count === 1 ? 'once' : `${r.count} times`;
	return `Repeats ${times}, ${r.waitIntervalMinutes} min after the last rule${
		r.closeAlertAfterAll ? ', then closes the alert' : ''
	}`;
}
