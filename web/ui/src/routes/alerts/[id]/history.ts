/** One line per history event, as a person reads it. */
import type { AlertHistoryEvent, HistoryEntry } from '$lib/api/types.gen';
import { duration } from '$lib/format';

export function describeEvent(event: AlertHistoryEvent): string {
	switch (event.type) {
		case 'AlertCreated':
			return `Created with priority ${event.priority}`;
		case 'AlertDeduplicated':
			return `Occurred again (count ${event.count})`;
		case 'AlertAcknowledged':
			return `Acknowledged after ${duration(event.ack_time)}`;
		case 'AlertUnacknowledged':
			return 'Unacknowledged';
		case 'AlertClosed':
			return `Closed after ${duration(event.close_time)}`;
		case 'AlertSnoozed':
			return `Snoozed until ${new Date(event.end_time).toLocaleString()}`;
		case 'AlertUnsnoozed':
			return 'Snooze ended';
		case 'AlertAssigned':
			return `Assigned to ${event.owner}`;
		case 'AlertNoteAdded':
			return `Note: ${event.note}`;
		case 'AlertTagsAdded':
			return `Tagged ${event.tags.join(', ')}`;
		case 'AlertTagsRemoved':
			return `Untagged ${event.tags.join(', ')}`;
		case 'AlertDetailsAdded':
			return `Details set: ${Object.keys(event.details).join(', ')}`;
		case 'AlertDetailsRemoved':
			return `Details removed: ${event.keys.join(', ')}`;
		case 'AlertPriorityUpdated':
			return `Priority changed to ${event.priority}`;
		case 'AlertMessageUpdated':
			return `Message changed to “${event.message}”`;
		case 'AlertDescriptionUpdated':
			return 'Description changed';
		case 'AlertEscalated':
			return `Escalated to ${event.escalation.id}`;
		case 'AlertResponderAdded':
			return `Responder added: ${event.responder.type} ${event.responder.id}`;
		case 'AlertDeleted':
			return 'Deleted';
		// Paging: shown in full in the paging panel; one line each here.
		case 'RoutingDecided':
			return event.target_type === 'none'
				? `Routed to nobody: ${event.detail}`
				: `Routed to ${event.target_type}${event.rule_name ? ` by rule “${event.rule_name}”` : ''}`;
		case 'EscalationStarted':
			return event.held_by ? 'Escalation held (maintenance)' : 'Escalation started';
		case 'EscalationResumed':
			return 'Escalation resumed after maintenance';
		case 'EscalationRuleFired':
			return `Rule ${event.rule_index + 1}: ${event.outcome}${event.late ? ' (late)' : ''}`;
		case 'NotificationRequested':
			return `Page requested (${event.method})`;
		case 'NotificationSkipped':
			return `Page skipped: ${event.reason}`;
		case 'NotificationDelivered':
			return `Page delivered${event.possibly_duplicate ? ' (possibly duplicated)' : ''}`;
		case 'NotificationFailed':
			return `Page failed: ${event.reason}`;
		case 'NotificationCancelled':
			return `Page withdrawn: ${event.reason}`;
		default: {
			const unknown: never = event;
			return (unknown as { type: string }).type;
		}
	}
}

/** Who did it: the user or source named in the event, else the authenticated principal. */
export function whoDid(entry: HistoryEntry): string {
	const event = entry.event as { user?: string; source?: string };
	if (event.user) return event.user;
	if (entry.actor.kind === 'system') return 'Pulsar';
	const kind = { api_key: 'API key', key: 'API key', user: 'someone' }[entry.actor.kind] ?? entry.actor.kind;
	return event.source ? `${kind} (${event.source})` : kind;
}
