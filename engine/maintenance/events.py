"""Maintenance events; each names its window and when it happened."""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.maintenance.state import MaintenanceEntity

__all__ = [
    "MAINTENANCE_EVENT_TYPES",
    "MaintenanceCancelled",
    "MaintenanceCreated",
    "MaintenanceDeleted",
    "MaintenanceEnded",
    "MaintenanceEvent",
    "MaintenanceStarted",
    "MaintenanceUpdated",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the maintenance events: which window, and when."""

    maintenance_id: str
    at: datetime


@final
class MaintenanceCreated(_Event, frozen=True, kw_only=True):
    description: str
    start: datetime
    end: datetime | None
    entities: tuple[MaintenanceEntity, ...]
    time_type: str


@final
class MaintenanceUpdated(_Event, frozen=True, kw_only=True):
    """The window's definition is now this (the whole of it)."""

    description: str
    start: datetime
    end: datetime | None
    entities: tuple[MaintenanceEntity, ...]
    time_type: str


@final
class MaintenanceCancelled(_Event, frozen=True, kw_only=True):
    """The window was cancelled at ``at``: it covers nothing from then on."""


@final
class MaintenanceDeleted(_Event, frozen=True, kw_only=True):
    """The window was removed."""


@final
class MaintenanceStarted(_Event, frozen=True, kw_only=True):
    """The window's start was recorded at ``at``: new alerts of its entities are silent."""


@final
class MaintenanceEnded(_Event, frozen=True, kw_only=True):
    """The window's end was recorded at ``at``; ``entities`` are the ones it silenced.

    Paging starts the escalations the window held back (they are the facts it needs,
    carried here so the reaction never depends on a later edit or delete).
    """

    entities: tuple[MaintenanceEntity, ...] = ()


MaintenanceEvent = (
    MaintenanceCreated
    | MaintenanceUpdated
    | MaintenanceCancelled
    | MaintenanceDeleted
    | MaintenanceStarted
    | MaintenanceEnded
)

MAINTENANCE_EVENT_TYPES: Final = (
    MaintenanceCreated,
    MaintenanceUpdated,
    MaintenanceCancelled,
    MaintenanceDeleted,
    MaintenanceStarted,
    MaintenanceEnded,
)
