"""What paging reads of the other areas: the organization's state, seen structurally.

``engine.org``'s ``OrgState`` satisfies this protocol; naming only what
paging reads keeps the dependency one-way (org imports paging, never back).
"""

from __future__ import annotations

from typing import Protocol

from engine.access import AccessState
from engine.alerts import AlertsState
from engine.contacts import ContactsState
from engine.escalations import EscalationsState
from engine.maintenance import MaintenanceState
from engine.routing import RoutingState
from engine.schedules import SchedulesState
from engine.teams import TeamsState

__all__ = ["World"]


class World(Protocol):
    @property
    def access(self) -> AccessState: ...
    @property
    def alerts(self) -> AlertsState: ...
    @property
    def contacts(self) -> ContactsState: ...
    @property
    def escalations(self) -> EscalationsState: ...
    @property
    def maintenance(self) -> MaintenanceState: ...
    @property
    def routing(self) -> RoutingState: ...
    @property
    def schedules(self) -> SchedulesState: ...
    @property
    def teams(self) -> TeamsState: ...
