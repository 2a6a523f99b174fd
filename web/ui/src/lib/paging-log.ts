/**
 * An alert's paging log as people read it: who was paged when, by what, and
 * whether it reached them (delivered, failed, skipped, withdrawn) and why.
 */
import type { NotificationRecord, PagingLogEntry, PagingRun } from '$lib/paging-types';

/** The event types of engine/paging (logged as the alert's, so they are in its history too). */
export const PAGING_EVENT_TYPES: ReadonlySet<string> = new Set([
	'RoutingDecided',
	'EscalationStarted',
	'EscalationResumed',
	'EscalationRuleFired',
	'NotificationRequested',
	'NotificationSkipped',
	'NotificationDelivered',
	'NotificationFailed',
	'NotificationCancelled'
]);

export type Tone = 'info' | 'ok' | 'fail' | 'skip';

export interface LogLine {
	key: string;
	at: string;
	text: string;
	tone: Tone;
}

/** Display names of ids the log holds (people, policies, schedules, teams). */
export interface Names {
	person(accountId: string): string;
	policy(policyId: string): string;
	team(teamId: string): string;
}

function target(type: string, id: string | null | undefined, names: Names): string {
	if (type === 'escalation') return `policy ${id ? names.policy(id) : '?'}`;
	if (type === 'user') return id ? names.person(id) : 'a user';
	if (type === 'none') return 'nobody';
	if (type === 'members') return 'every team member';
	if (type === 'team' && id) return `team ${names.team(id)}`;
	return id ? `${type} ${id}` : type;
}

/** One line per paging event, oldest first; outcomes name whom and how (by notification id). */
export function pagingLines(log: readonly PagingLogEntry[], names: Names): LogLine[] {
	const requests = new Map<string, { who: string; method: string }>();
	const lines: LogLine[] = [];
	for (const entry of log) {
		const e = entry.event;
		let text: string;
		let tone: Tone = 'info';
		switch (e.type) {
			case 'RoutingDecided': {
				const to = target(e.target_type, e.target_id, names);
				if (e.responder_type === 'team') {
					const how = e.rule_id ? `routing rule “${e.rule_name ?? ''}”` : 'no routing rule matched';
					text = `Team ${names.team(e.responder_id)}: ${to} (${how})`;
				} else {
					text = `Responder ${target(e.responder_type, e.responder_id, names)}: ${to}`;
				}
				if (e.detail) text += ` — ${e.detail}`;
				break;
			}
			case 'EscalationStarted':
				text = e.policy_id
					? `Escalation started: ${names.policy(e.policy_id)} (version ${e.policy_version ?? 1})`
					: `Paging ${target(e.recipient_type ?? '', e.recipient_id, names)} directly`;
				if (e.held_by) text += ', held by a maintenance window';
				break;
			case 'EscalationResumed':
				text = 'Escalation started over: the maintenance window ended';
				break;
			case 'EscalationRuleFired': {
				const rule = `Rule ${e.rule_index + 1}${e.pass_no ? ` (repeat ${e.pass_no})` : ''}`;
				const by = e.manual ? ', escalated by hand' : '';
				if (e.outcome === 'paged') {
					const who = (e.recipients ?? []).map((id) => names.person(id)).join(', ');
					text = `${rule}${by}: paging ${who || 'nobody'}`;
				} else if (e.outcome === 'nobody') {
					text = `${rule}${by}: nobody to page${e.detail ? ` (${e.detail})` : ''}`;
					tone = 'skip';
				} else if (e.outcome === 'closed') {
					text = `Closed after the last repeat`;
				} else {
					text = `${rule} skipped${e.detail ? ` (${e.detail})` : ''}`;
					tone = 'skip';
				}
				if (e.late) text += ' · late';
				break;
			}
			case 'NotificationRequested': {
				const who = names.person(e.account_id);
				requests.set(e.notification_id, { who, method: e.method });
				text = `Paging ${who} by ${e.method} (${e.address})${e.late ? ' · late' : ''}`;
				break;
			}
			case 'NotificationSkipped':
				text = `Not paged ${names.person(e.account_id)}: ${e.reason}`;
				tone = 'skip';
				break;
			case 'NotificationDelivered': {
				const r = requests.get(e.notification_id);
				text = r ? `Delivered to ${r.who} by ${r.method}` : 'Delivered';
				if (e.detail) text += ` (${e.detail})`;
				if (e.possibly_duplicate) text += ' · possibly a duplicate';
				tone = 'ok';
				break;
			}
			case 'NotificationFailed': {
				const r = requests.get(e.notification_id);
				text = `${r ? `Failed to reach ${r.who} by ${r.method}` : 'Failed'}: ${e.reason}`;
				tone = 'fail';
				break;
			}
			case 'NotificationCancelled': {
				const r = requests.get(e.notification_id);
				text = `${r ? `Page to ${r.who} withdrawn` : 'Withdrawn'}: ${e.reason}`;
				tone = 'skip';
				break;
			}
			default:
				text = (e as { type: string }).type;
		}
		lines.push({ key: `${entry.version}`, at: e.at ?? entry.recorded_at, text, tone });
	}
	return lines;
}

/** "Policy Primary v2 · next: rule 2" for an escalation of the alert. */
export function describeRun(run: PagingRun, names: Names): string {
	const what = run.policy
		? `${run.policy.name ?? names.policy(run.policy.id)}${run.policyVersion ? ` v${run.policyVersion}` : ''}`
		: run.recipient
			? target(run.recipient.type, run.recipient.id, names)
			: run.reason;
	if (run.done) return `${what} · finished`;
	if (run.heldBy) return `${what} · held by maintenance`;
	const pass = run.nextPass ? ` (repeat ${run.nextPass})` : '';
	return run.policy ? `${what} · next: rule ${run.nextRule + 1}${pass}` : what;
}

/** The tone of a notification record's status (a person's log). */
export function recordTone(record: NotificationRecord): Tone {
	if (record.status === 'delivered') return 'ok';
	if (record.status === 'failed') return 'fail';
	if (record.status === 'requested') return 'info';
	return 'skip';
}

export const TONE_CLASS: Record<Tone, string> = {
	info: 'bg-zinc-400 dark:bg-zinc-500',
	ok: 'bg-emerald-500',
	fail: 'bg-red-500',
	skip: 'bg-amber-500'
};
