"""OrgState: the composition of every area's state for one organization.

Held in memory by the org's actor, folded from the log (or snapshot + tail).
Mutable for speed (see ``engine.org.decider``); encodable with msgspec so it
can be snapshotted.
"""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

from engine.access import AccessState
from engine.access import initial_state as initial_access
from engine.alerts import AlertsState
from engine.alerts import initial_state as initial_alerts
from engine.contacts import ContactsState
from engine.contacts import initial_state as initial_contacts
from engine.escalations import EscalationsState
from engine.escalations import initial_state as initial_escalations
from engine.heartbeats import HeartbeatsState
from engine.heartbeats import initial_state as initial_heartbeats
from engine.identity import IdentityState
from engine.identity import initial_state as initial_identity
from engine.integrations import IntegrationsState
from engine.integrations import initial_state as initial_integrations
from engine.maintenance import MaintenanceState
from engine.maintenance import initial_state as initial_maintenance
from engine.paging import PagingState
from engine.paging import initial_state as initial_paging
from engine.routing import RoutingState
from engine.routing import initial_state as initial_routing
from engine.schedules import SchedulesState
from engine.schedules import initial_state as initial_schedules
from engine.teams import TeamsState
from engine.teams import initial_state as initial_teams

__all__ = ["SNAPSHOT_SCHEMA_VERSION", "OrgState", "Outcome", "RecordedRequest", "initial_state"]

# Bump whenever the shape of OrgState (or any area state) changes: snapshots of
# another schema version are ignored and the state is folded from the log.
SNAPSHOT_SCHEMA_VERSION = 8  # 8: zlib-compressed (engine.runtime.snapshots)


@final
class Outcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What a command did, as answered to its caller (and to its retries)."""

    result: str  # "created" | "deduplicated" | "updated" | "noop" | "stale"
    alert_id: str | None = None
    tiny_id: int | None = None
    count: int | None = None
    key_id: str | None = None
    subject_id: str | None = None  # the entity a non-alert command created or changed


@final
class RecordedRequest(msgspec.Struct, frozen=True, kw_only=True):
    """An Idempotency-Key's request: its fingerprint and the original outcome."""

    fingerprint: str
    outcome: Outcome
    at: datetime


@final
class OrgState(msgspec.Struct, kw_only=True):
    version: int = 0
    access: AccessState = msgspec.field(default_factory=initial_access)
    alerts: AlertsState = msgspec.field(default_factory=initial_alerts)
    heartbeats: HeartbeatsState = msgspec.field(default_factory=initial_heartbeats)
    # Only the identity stream (IDENTITY_STREAM) has accounts and sessions.
    identity: IdentityState = msgspec.field(default_factory=initial_identity)
    integrations: IntegrationsState = msgspec.field(default_factory=initial_integrations)
    schedules: SchedulesState = msgspec.field(default_factory=initial_schedules)
    teams: TeamsState = msgspec.field(default_factory=initial_teams)
    contacts: ContactsState = msgspec.field(default_factory=initial_contacts)
    paging: PagingState = msgspec.field(default_factory=initial_paging)
    escalations: EscalationsState = msgspec.field(default_factory=initial_escalations)
    maintenance: MaintenanceState = msgspec.field(default_factory=initial_maintenance)
    routing: RoutingState = msgspec.field(default_factory=initial_routing)
    # Idempotency keys in arrival order (dicts keep insertion order), so the
    # oldest can be pruned from the front as new ones arrive.
    requests: dict[str, RecordedRequest] = msgspec.field(default_factory=dict)


def initial_state() -> OrgState:
    return OrgState()
