import { describe, expect, it } from 'vitest';
import { describeRun, pagingLines, recordTone, type Names } from './paging-log';
import type { PagingEvent, PagingLogEntry, PagingRun } from './paging-types';

const names: Names = {
	person: (id) => ({ u1: 'Ada', u2: 'Bob' })[id] ?? id,
	policy: (id) => ({ p1: 'db-oncall' })[id] ?? id,
	team: (id) => ({ t1: 'DB' })[id] ?? id
};

const at = '2030-01-01T12:00:00Z';
let version = 0;
const entry = (event: PagingEvent): PagingLogEntry => ({
	version: ++version,
	type: event.type,
	recorded_at: at,
	event,
	actor: { kind: 'system', id: '' }
});

describe('paging log', () => {
	it('tells who was paged, how, and what came of it', () => {
		const log = [
			entry({ type: 'RoutingDecided', at, responder_type: 'team', responder_id: 't1', target_type: 'escalation', target_id: 'p1', rule_id: 'r', rule_name: 'db' }),
			entry({ type: 'RoutingDecided', at, responder_type: 'schedule', responder_id: 's1', target_type: 'schedule', target_id: 's1' }),
			entry({ type: 'RoutingDecided', at, responder_type: 'team', responder_id: 't2', target_type: 'none', detail: 'no policy' }),
			entry({ type: 'EscalationStarted', at, run_id: 'r1', reason: 'team', policy_id: 'p1', policy_version: 2 }),
			entry({ type: 'EscalationRuleFired', at, run_id: 'r1', pass_no: 0, rule_index: 0, due_at: at, outcome: 'paged', recipients: ['u1', 'u2'] }),
			entry({ type: 'NotificationRequested', at, notification_id: 'n1', account_id: 'u1', contact_method_id: 'm', method: 'email', address: 'ada@x', reason: '' }),
			entry({ type: 'NotificationRequested', at, notification_id: 'n2', account_id: 'u2', contact_method_id: 'm', method: 'slack', address: '#ops', reason: '', late: true }),
			entry({ type: 'NotificationDelivered', at, notification_id: 'n1', detail: '250 OK' }),
			entry({ type: 'NotificationFailed', at, notification_id: 'n2', reason: 'HTTP 404' }),
			entry({ type: 'NotificationSkipped', at, account_id: 'u2', contact_method_id: 'm', reason: 'quiet hours' }),
			entry({ type: 'EscalationRuleFired', at, run_id: 'r1', pass_no: 1, rule_index: 1, due_at: at, outcome: 'nobody', detail: 'nobody on call', manual: true }),
			entry({ type: 'NotificationCancelled', at, notification_id: 'n1', reason: 'acknowledged' })
		];
		const lines = pagingLines(log, names);
		expect(lines.map((l) => [l.tone, l.text])).toEqual([
			['info', 'Team DB: policy db-oncall (routing rule “db”)'],
			['info', 'Responder schedule s1: schedule s1'],
			['info', 'Team t2: nobody (no routing rule matched) — no policy'],
			['info', 'Escalation started: db-oncall (version 2)'],
			['info', 'Rule 1: paging Ada, Bob'],
			['info', 'Paging Ada by email (ada@x)'],
			['info', 'Paging Bob by slack (#ops) · late'],
			['ok', 'Delivered to Ada by email (250 OK)'],
			['fail', 'Failed to reach Bob by slack: HTTP 404'],
			['skip', 'Not paged Bob: quiet hours'],
			['skip', 'Rule 2 (repeat 1), escalated by hand: nobody to page (nobody on call)'],
			['skip', 'Page to Ada withdrawn: acknowledged']
		]);
		expect(new Set(lines.map((l) => l.key)).size).toBe(lines.length);
	});

	it('describes an escalation by its state', () => {
		const run: PagingRun = {
			runId: 'r',
			policy: { id: 'p1', name: 'db-oncall' },
			policyVersion: 2,
			recipient: null,
			startedAt: at,
			reason: '',
			heldBy: null,
			nextPass: 1,
			nextRule: 0,
			done: false
		};
		expect(describeRun(run, names)).toBe('db-oncall v2 · next: rule 1 (repeat 1)');
		expect(describeRun({ ...run, heldBy: 'm1' }, names)).toBe('db-oncall v2 · held by maintenance');
		expect(describeRun({ ...run, done: true }, names)).toBe('db-oncall v2 · finished');
		expect(describeRun({ ...run, policy: null, recipient: { type: 'user', id: 'u1' } }, names)).toBe('Ada');
	});

	it('colours a person’s notification records by status', () => {
		const record = { notificationId: 'n', alertId: 'a', contactMethodId: null, method: null, reason: '', at, late: false, possiblyDuplicate: false };
		expect(recordTone({ ...record, status: 'delivered' })).toBe('ok');
		expect(recordTone({ ...record, status: 'failed' })).toBe('fail');
		expect(recordTone({ ...record, status: 'skipped' })).toBe('skip');
		expect(recordTone({ ...record, status: 'requested' })).toBe('info');
	});
});
