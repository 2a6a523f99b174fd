"""The Event and Command unions of an organization, and the type registry."""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

from engine.access import ACCESS_EVENT_TYPES, AccessCommand, AccessEvent
from engine.alerts import ALERT_EVENT_TYPES, ALIAS_EVENT_TYPES, AlertCommand, AlertEvent, AliasEvent
from engine.contacts import CONTACT_EVENT_TYPES, ContactCommand, ContactEvent
from engine.escalations import ESCALATION_EVENT_TYPES, EscalationCommand, EscalationEvent
from engine.heartbeats import HEARTBEAT_EVENT_TYPES, HeartbeatCommand, HeartbeatEvent
from engine.identity import IDENTITY_EVENT_TYPES, IdentityCommand, IdentityEvent
from engine.integrations import INTEGRATION_EVENT_TYPES, IntegrationCommand, IntegrationEvent
from engine.maintenance import MAINTENANCE_EVENT_TYPES, MaintenanceCommand, MaintenanceEvent
from engine.org.state import Outcome
from engine.paging import PAGING_EVENT_TYPES, PagingCommand, PagingEvent
from engine.routing import ROUTING_EVENT_TYPES, RoutingCommand, RoutingEvent
from engine.schedules import SCHEDULE_EVENT_TYPES, ScheduleCommand, ScheduleEvent
from engine.teams import TEAM_EVENT_TYPES, TeamCommand, TeamEvent

__all__ = ["EVENT_TYPES", "Command", "Event", "RequestRecorded"]


@final
class RequestRecorded(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """A write with an Idempotency-Key was accepted; retries get ``outcome``."""

    key: str
    fingerprint: str
    outcome: Outcome
    at: datetime


Event = (
    AccessEvent
    | AlertEvent
    | AliasEvent
    | IntegrationEvent
    | HeartbeatEvent
    | ScheduleEvent
    | IdentityEvent
    | TeamEvent
    | ContactEvent
    | EscalationEvent
    | MaintenanceEvent
    | RoutingEvent
    | PagingEvent
    | RequestRecorded
)
Command = (
    AccessCommand
    | AlertCommand
    | IntegrationCommand
    | HeartbeatCommand
    | ScheduleCommand
    | IdentityCommand
    | TeamCommand
    | ContactCommand
    | EscalationCommand
    | MaintenanceCommand
    | RoutingCommand
    | PagingCommand
)

EVENT_TYPES: tuple[type, ...] = (
    *ACCESS_EVENT_TYPES,
    *ALERT_EVENT_TYPES,
    *ALIAS_EVENT_TYPES,
    *INTEGRATION_EVENT_TYPES,
    *HEARTBEAT_EVENT_TYPES,
    *SCHEDULE_EVENT_TYPES,
    *IDENTITY_EVENT_TYPES,
    *TEAM_EVENT_TYPES,
    *CONTACT_EVENT_TYPES,
    *ESCALATION_EVENT_TYPES,
    *MAINTENANCE_EVENT_TYPES,
    *ROUTING_EVENT_TYPES,
    *PAGING_EVENT_TYPES,
    RequestRecorded,
)
