"""Paging area: escalations of alerts, people's notification cycles, the outbox (pure).

Import from this package, not its modules. The notifier that delivers the
outbox is ``engine.runtime.notifier``.
"""

from engine.paging.commands import (
    PAGING_COMMAND_TYPES,
    EscalateToNext,
    FirePaging,
    PagingCommand,
    RecordDelivery,
)
from engine.paging.decider import (
    LATE_AFTER,
    alert_due,
    decide,
    due_alerts,
    evolve,
    next_due,
    notification_id,
    on_account_change,
    on_alert_event,
    react,
    recipients,
    withdraw_pages_of,
)
from engine.paging.events import (
    PAGING_EVENT_TYPES,
    EscalationResumed,
    EscalationRuleFired,
    EscalationStarted,
    NotificationCancelled,
    NotificationDelivered,
    NotificationFailed,
    NotificationRequested,
    NotificationSkipped,
    PagingEvent,
    RoutingDecided,
)
from engine.paging.state import (
    AlertPaging,
    Cycle,
    NotificationRecord,
    PagingState,
    Pending,
    Run,
    initial_state,
)
from engine.paging.world import World

__all__ = [
    "LATE_AFTER",
    "PAGING_COMMAND_TYPES",
    "PAGING_EVENT_TYPES",
    "AlertPaging",
    "Cycle",
    "EscalateToNext",
    "EscalationResumed",
    "EscalationRuleFired",
    "EscalationStarted",
    "FirePaging",
    "NotificationCancelled",
    "NotificationDelivered",
    "NotificationFailed",
    "NotificationRecord",
    "NotificationRequested",
    "NotificationSkipped",
    "PagingCommand",
    "PagingEvent",
    "PagingState",
    "Pending",
    "RecordDelivery",
    "RoutingDecided",
    "Run",
    "World",
    "alert_due",
    "decide",
    "due_alerts",
    "evolve",
    "initial_state",
    "next_due",
    "notification_id",
    "on_account_change",
    "on_alert_event",
    "react",
    "recipients",
    "withdraw_pages_of",
]
