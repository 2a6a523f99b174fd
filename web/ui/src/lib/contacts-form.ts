/** The Notifications settings: contact methods, notification rules' steps, quiet hours. */
import type {
	ContactMethod,
	ContactMethodType,
	NotificationRule,
	NotificationRuleInput,
	QuietHours
} from '$lib/paging-types';

export const METHODS: readonly (readonly [ContactMethodType, string, string])[] = [
	['email', 'Email', 'you@example.com'],
	['slack', 'Slack', 'https://hooks.slack.com/services/… or a channel/user id (C0123ABCD)'],
	['teams', 'Microsoft Teams', 'https://… (a Teams workflow webhook URL)'],
	['webhook', 'Webhook', 'https://example.com/pulsar-hook']
];

export const WEEKDAYS = [
	'monday',
	'tuesday',
	'wednesday',
	'thursday',
	'friday',
	'saturday',
	'sunday'
] as const;

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
}

let keys = 0;

export function newStep(methodId = '', after = 0): StepDraft {
	return { key: ++keys, contactMethodId: methodId, sendAfterMinutes: after, enabled: true };
}

export function ruleDraftOf(rule?: NotificationRule | null): RuleDraft {
	if (!rule) return { name: '', enabled: true, priorities: [], steps: [newStep('account-email')] };
	return {
		name: rule.name,
		enabled: rule.enabled,
		priorities: [...rule.criteria.priorities],
		steps: rule.steps.map((s) => ({ key: ++keys, ...s }))
	};
}

/** The body of a rule draft (the steps replace the rule's), or the errors by field. */
export function ruleBody(
	draft: RuleDraft
): { body: NotificationRuleInput; errors: null } | { body: null; errors: Record<string, string> } {
	const errors: Record<string, string> = {};
	if (!draft.name.trim()) errors.name = 'A rule needs a name.';
	if (draft.steps.length > 10) errors.steps = 'At most 10 steps.';
	draft.steps.forEach((s, i) => {
		if (!s.contactMethodId) errors[`steps[${i}]`] = 'Choose a contact method.';
		else if (!Number.isInteger(s.sendAfterMinutes) || s.sendAfterMinutes < 0 || s.sendAfterMinutes > 1440) {
			errors[`steps[${i}]`] = '0 to 1440 whole minutes.';
		}
	});
	if (Object.keys(errors).length) return { body: null, errors };
	return {
		body: {
			name: draft.name.trim(),
			enabled: draft.enabled,
			criteria: { priorities: [...draft.priorities].sort() },
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
