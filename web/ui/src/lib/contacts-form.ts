/**
 * The Notifications settings: contact methods, notification rules (steps and time
 * restriction), quiet hours.
 */
import { hasErrors, type FieldErrors } from '$lib/field-errors';
import type {
	ContactMethod,
	ContactMethodType,
	NotificationRule,
	NotificationRuleInput,
	QuietHours
} from '$lib/paging-types';
import {
	checkRestriction,
	noRestriction,
	parseTime,
	restrictionBody,
	restrictionDraftOf,
	WEEKDAYS,
	type RestrictionDraft
} from '$lib/restriction';

export { WEEKDAYS };

export const METHODS: readonly (readonly [ContactMethodType, string, string])[] = [
	['email', 'Email', 'you@example.com'],
	['slack', 'Slack', 'https://hooks.slack.com/services/… or a channel/user id (C0123ABCD)'],
	['teams', 'Microsoft Teams', 'https://… (a Teams workflow webhook URL)'],
	['webhook', 'Webhook', 'https://example.com/pulsar-hook']
];

/** A quick check of an address before the server's (which has the final word). */
export function addressProblem(method: ContactMethodType, address: string): string {
	const a = address.trim();
	if (!a) return 'Enter an address.';
	if (method === 'email') return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a) ? '' : 'Not an email address.';
	if (method === 'slack') {
		return /^https:\/\//.test(a) || /^[CDGU][A-Z0-9]{2,}$/.test(a)
			? ''
			: 'A Slack webhook URL (https://…) or a channel or user id.';
	}
	if (method === 'teams') return /^https:\/\//.test(a) ? '' : 'An https:// URL.';
	return /^https?:\/\//.test(a) ? '' : 'An http(s):// URL.';
}

/** "Email: you@x.com", "Slack: C0123ABCD" (the server names methods after their address). */
export function methodLabel(m: Pick<ContactMethod, 'method' | 'address'>): string {
	const kind = METHODS.find(([value]) => value === m.method)?.[1] ?? m.method;
	return `${kind}: ${m.address}`;
}

export interface StepDraft {
	key: number;
	id?: string;
	contactMethodId: string;
	sendAfterMinutes: number;
	enabled: boolean;
}

export interface RuleDraft {
	name: string;
	enabled: boolean;
	priorities: string[];
	steps: StepDraft[];
	restriction: RestrictionDraft;
	/** The zone the restriction is read in. */
	timeZone: string;
}

let keys = 0;

export function newStep(methodId = '', after = 0): StepDraft {
	return { key: ++keys, contactMethodId: methodId, sendAfterMinutes: after, enabled: true };
}

/** The draft of a rule, or of a new one (the account email at once, any time in `zone`). */
export function ruleDraftOf(rule?: NotificationRule | null, zone = 'UTC'): RuleDraft {
	if (!rule) {
		const steps = [newStep('account-email')];
		return { name: '', enabled: true, priorities: [], steps, restriction: noRestriction(), timeZone: zone };
	}
	return {
		name: rule.name,
		enabled: rule.enabled,
		priorities: [...rule.criteria.priorities],
		steps: rule.steps.map((s) => ({ key: ++keys, ...s })),
		restriction: restrictionDraftOf(rule.timeRestriction),
		timeZone: rule.timeZone || zone
	};
}

/** The fields of a rule the form shows (the server's names). */
export const RULE_FIELDS: ReadonlySet<string> = new Set(['name', 'steps', 'timeRestriction', 'timeZone']);

/** The body of a rule draft (the steps replace the rule's), or the errors by field. */
export function ruleBody(
	draft: RuleDraft
): { body: NotificationRuleInput; errors: null } | { body: null; errors: FieldErrors } {
	const errors: FieldErrors = checkRestriction(draft.restriction);
	if (!draft.name.trim()) errors.name = 'A rule needs a name.';
	if (draft.steps.length > 10) errors.steps = 'At most 10 steps.';
	draft.steps.forEach((s, i) => {
		if (!s.contactMethodId) errors[`steps[${i}]`] = 'Choose a contact method.';
		else if (!Number.isInteger(s.sendAfterMinutes) || s.sendAfterMinutes < 0 || s.sendAfterMinutes > 1440) {
			errors[`steps[${i}]`] = '0 to 1440 whole minutes.';
		}
	});
	if (draft.restriction.kind !== 'none' && !draft.timeZone) errors.timeZone = 'Choose a time zone.';
	if (hasErrors(errors)) return { body: null, errors };
	return {
		body: {
			name: draft.name.trim(),
			enabled: draft.enabled,
			criteria: { priorities: [...draft.priorities].sort() },
			timeRestriction: restrictionBody(draft.restriction),
			timeZone: draft.timeZone,
			steps: draft.steps.map((s) => ({
				...(s.id ? { id: s.id } : {}),
				contactMethodId: s.contactMethodId,
				sendAfterMinutes: s.sendAfterMinutes,
				enabled: s.enabled
			}))
		},
		errors: null
	};
}

/** "Mon–Fri", "every day", "Sat, Sun" for quiet hours' days. */
export function daysText(days: readonly string[]): string {
	const set = new Set(days);
	const short = (d: string) => d.slice(0, 1).toUpperCase() + d.slice(1, 3);
	if (WEEKDAYS.every((d) => set.has(d))) return 'every day';
	const chosen = WEEKDAYS.filter((d) => set.has(d));
	if (chosen.length === 0) return 'no day';
	const first = WEEKDAYS.indexOf(chosen[0]!);
	const contiguous = chosen.every((d, i) => WEEKDAYS.indexOf(d) === first + i);
	if (contiguous && chosen.length > 2) return `${short(chosen[0]!)}–${short(chosen.at(-1)!)}`;
	return chosen.map(short).join(', ');
}

/** "22:00–07:00 every day, except P1" (or "Off"). */
export function quietText(q: QuietHours): string {
	if (!q.enabled) return 'Off';
	const overnight = q.end <= q.start && q.end !== q.start ? ' (overnight)' : '';
	const except = q.exceptPriorities.length ? `, except ${q.exceptPriorities.join(', ')}` : '';
	return `${q.start}–${q.end}${overnight} ${daysText(q.days)}${except}`;
}

/** What the server would refuse in quiet hours (its field names). */
export function checkQuietHours(q: QuietHours): FieldErrors {
	const errors: FieldErrors = {};
	if (!parseTime(q.start)) errors.start = 'Enter a time (HH:MM).';
	if (!parseTime(q.end)) errors.end = 'Enter a time (HH:MM).';
	if (q.days.length === 0) errors.days = 'Choose at least one day.';
	return errors;
}

/** The fields of quiet hours the form shows. */
export const QUIET_FIELDS: ReadonlySet<string> = new Set(['start', 'end', 'days', 'exceptPriorities', 'timeZone']);
