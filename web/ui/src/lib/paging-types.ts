/**
 * JSON shapes of the paging APIs, written by hand: these routes build their
 * answers as dicts (no msgspec Struct to generate from). Only the fields the web
 * app reads or sends. Server modules: web/api/escalations.py, maintenance.py,
 * contacts.py, routing.py, paging_json.py (alert and user notifications).
 */
import type { DateTime, HistoryActor } from './api/types.gen';
import type { RestrictionBody } from './restriction';

export type RecipientType = 'user' | 'schedule' | 'team';

// --- escalation policies (/api/v1/escalation-policies) ---------------------------------

export interface PolicyRule {
	condition: string; // if-not-acked | if-not-closed
	delayMinutes: number;
	recipient: { type: RecipientType; id: string; name: string };
	notifyType: string; // schedules: default | next | previous | all
}

export interface PolicyRepeat {
	waitIntervalMinutes: number;
	count: number;
	resetRecipientStates: boolean;
	closeAlertAfterAll: boolean;
}

export interface EscalationPolicy {
	id: string;
	name: string;
	description: string;
	ownerTeam: { id: string; name: string } | null;
	rules: PolicyRule[];
	repeat: PolicyRepeat;
	version: number;
	createdAt: DateTime;
	updatedAt: DateTime;
}

/** A create or PATCH body (a PATCH replaces the rules; `ownerTeam: null` removes it). */
export interface PolicyInput {
	name: string;
	description: string;
	ownerTeam: string | null;
	rules: {
		condition: string;
		delayMinutes: number;
		recipient: { type: RecipientType; id: string };
		notifyType: string;
	}[];
	repeat: PolicyRepeat;
}

// --- maintenance windows (/api/v1/maintenance) -----------------------------------------

export type MaintenanceStatus = 'planned' | 'active' | 'past' | 'cancelled';

export interface MaintenanceEntity {
	type: 'integration' | 'policy';
	id: string;
	state: string;
	name: string;
}

export interface Maintenance {
	id: string;
	description: string;
	status: MaintenanceStatus;
	start: DateTime;
	end: DateTime | null;
	timeType: string;
	entities: MaintenanceEntity[];
	createdAt: DateTime;
	cancelledAt: DateTime | null;
}

export interface MaintenanceInput {
	description: string;
	start?: DateTime;
	end?: DateTime | null;
	durationMinutes?: number;
	entities: { type: 'integration' | 'policy'; id: string }[];
}

// --- a person's contacts (/api/v1/users/{id}/contact-methods, notification-rules, quiet-hours)

export type ContactMethodType = 'email' | 'slack' | 'teams' | 'webhook';

export interface ContactMethod {
	id: string;
	method: ContactMethodType;
	address: string;
	name: string;
	enabled: boolean;
	verified: boolean;
	/** The account email (id `account-email`): it cannot be deleted. */
	default: boolean;
	verificationPending: boolean;
	createdAt: DateTime;
	/** Create (and address change) answers: sent | send_failed | smtp_not_configured | not_needed. */
	verification?: string;
	/** A webhook's signing secret, in the create answer only. */
	secret?: string;
}

export interface NotificationStep {
	id: string;
	contactMethodId: string;
	sendAfterMinutes: number;
	enabled: boolean;
}

export interface NotificationRule {
	id: string;
	name: string;
	actionType: string;
	enabled: boolean;
	order: number; // from 1
	criteria: { priorities: string[] };
	/** `timeRestriction` (`$lib/restriction`): null applies at any time. */
	timeRestriction: unknown;
	/** The zone the restriction is read in (default: the user's). */
	timeZone: string;
	steps: NotificationStep[];
}

export interface NotificationRuleInput {
	name?: string;
	enabled?: boolean;
	order?: number;
	criteria?: { priorities: string[] };
	/** null: none (a PATCH removes it). */
	timeRestriction?: RestrictionBody | null;
	timeZone?: string;
	steps?: { id?: string; contactMethodId: string; sendAfterMinutes: number; enabled: boolean }[];
}

export interface QuietHours {
	enabled: boolean;
	timeZone: string;
	start: string; // HH:MM
	end: string; // HH:MM
	days: string[]; // monday..sunday
	exceptPriorities: string[];
}

// --- a team's routing rules (/api/v1/teams/{id}/routing-rules) -------------------------

export interface RoutingCondition {
	field: string;
	not: boolean;
	operation: string;
	expectedValue: string;
	key?: string;
	order?: number;
}

export interface RoutingRule {
	id: string;
	name: string;
	/** The team's "Default Routing Rule": last, match-all, only its name and notify change. */
	isDefault?: boolean;
	order: number; // from 0
	criteria: { type: string; conditions: RoutingCondition[] };
	timezone: string;
	timeRestriction: unknown;
	notify: { type: 'escalation' | 'schedule' | 'none'; id?: string; name?: string };
}

/** A create body, or a PATCH body (absent fields stay; `timeRestriction: null` removes it). */
export interface RoutingRuleInput {
	name: string;
	order?: number;
	criteria?: { type: string; conditions: RoutingCondition[] };
	timezone?: string;
	timeRestriction?: RestrictionBody | null;
	notify: { type: string; id?: string };
}

// --- an alert's paging (/api/v1/alerts/{id}/notifications) -----------------------------

export interface PagingRun {
	runId: string;
	policy: { id: string; name: string | null } | null;
	policyVersion: number | null;
	recipient: { type: string; id: string } | null;
	startedAt: DateTime;
	reason: string;
	heldBy: string | null;
	nextPass: number;
	nextRule: number;
	done: boolean;
}

export interface PendingPage {
	notificationId: string;
	accountId: string;
	contactMethodId: string;
	method: string;
	requestedAt: DateTime;
	late: boolean;
	reason: string;
}

/** The paging events (engine/paging/events.py) as the log shows them. */
export type PagingEvent =
	| {
			type: 'RoutingDecided';
			at: DateTime;
			responder_type: string;
			responder_id: string;
			target_type: string;
			target_id?: string | null;
			rule_id?: string | null;
			rule_name?: string;
			detail?: string;
	  }
	| {
			type: 'EscalationStarted';
			at: DateTime;
			run_id: string;
			reason: string;
			policy_id?: string | null;
			policy_version?: number;
			recipient_type?: string;
			recipient_id?: string;
			held_by?: string | null;
	  }
	| { type: 'EscalationResumed'; at: DateTime; run_id: string }
	| {
			type: 'EscalationRuleFired';
			at: DateTime;
			run_id: string;
			pass_no: number;
			rule_index: number;
			due_at: DateTime;
			outcome: string; // paged | nobody | skipped
			recipients?: string[];
			detail?: string;
			late?: boolean;
			manual?: boolean;
	  }
	| {
			type: 'NotificationRequested';
			at: DateTime;
			notification_id: string;
			account_id: string;
			contact_method_id: string;
			method: string;
			address: string;
			reason: string;
			late?: boolean;
	  }
	| {
			type: 'NotificationSkipped';
			at: DateTime;
			account_id: string;
			contact_method_id: string;
			reason: string;
	  }
	| {
			type: 'NotificationDelivered';
			at: DateTime;
			notification_id: string;
			detail?: string;
			possibly_duplicate?: boolean;
	  }
	| {
			type: 'NotificationFailed';
			at: DateTime;
			notification_id: string;
			reason: string;
			possibly_duplicate?: boolean;
	  }
	| { type: 'NotificationCancelled'; at: DateTime; notification_id: string; reason: string };

export interface PagingLogEntry {
	version: number;
	type: string;
	recorded_at: DateTime;
	event: PagingEvent;
	actor: HistoryActor;
}

export interface AlertPaging {
	escalations: PagingRun[];
	pending: PendingPage[];
	nextDueAt: DateTime | null;
	log: PagingLogEntry[];
}

// --- a person's notification log (/api/v1/users/{id}/notifications) --------------------

export interface NotificationRecord {
	notificationId: string | null;
	alertId: string;
	contactMethodId: string | null;
	method: string | null;
	status: string; // requested | delivered | failed | cancelled | skipped
	reason: string;
	at: DateTime;
	late: boolean;
	possiblyDuplicate: boolean;
}

/** `{data}` envelopes (every answer also carries `request_id`). */
export interface One<T> {
	data: T;
}
export interface Many<T> {
	data: T[];
	next_cursor?: string | null;
}
