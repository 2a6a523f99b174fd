"""Maintenance commands: plan, change, cancel and delete windows, and record boundaries.

Ids of new windows come in the commands, so ``decide`` stays deterministic. That
the entities exist (integrations, escalation policies) is a cross-area rule,
checked by ``engine.org.decider``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.maintenance.state import MaintenanceEntity

__all__ = [
    "MAINTENANCE_COMMAND_TYPES",
    "CancelMaintenance",
    "CreateMaintenance",
    "DeleteMaintenance",
    "MaintenanceCommand",
    "RecordMaintenanceBoundary",
    "UpdateMaintenance",
]


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the maintenance commands: they name their window."""

    maintenance_id: str


@final
class CreateMaintenance(_Command, frozen=True, kw_only=True):
    """Plan a window over ``entities`` from ``start`` to ``end`` (``None``: until cancelled).

    A ``start`` not after the decision's ``now`` starts the window at once.
    """

    description: str = ""
    start: datetime
    end: datetime | None = None
    entities: tuple[MaintenanceEntity, ...]
    time_type: str = "schedule"


@final
class UpdateMaintenance(_Command, frozen=True, kw_only=True):
    """Change a planned or active window; absent fields (``None``, ``UNSET``) stay.

    ``end`` ``None`` makes the window last until cancelled; an end in the past ends
    an active window at once. The start of a window that has begun cannot move.
    """

    description: str | None = None
    start: datetime | None = None
    end: datetime | msgspec.UnsetType | None = msgspec.UNSET
    entities: tuple[MaintenanceEntity, ...] | None = None
    time_type: str | None = None


@final
class CancelMaintenance(_Command, frozen=True, kw_only=True):
    """End a planned or active window now; it stays listed as ``cancelled``."""


@final
class DeleteMaintenance(_Command, frozen=True, kw_only=True):
    """Remove a window (an active one ends first)."""


@final
class RecordMaintenanceBoundary(_Command, frozen=True, kw_only=True):
    """Record the window's start or end that has come (the actor's timer sends it)."""


MaintenanceCommand = (
    CreateMaintenance
    | UpdateMaintenance
    | CancelMaintenance
    | DeleteMaintenance
    | RecordMaintenanceBoundary
)

MAINTENANCE_COMMAND_TYPES: Final = (
    CreateMaintenance,
    UpdateMaintenance,
    CancelMaintenance,
    DeleteMaintenance,
    RecordMaintenanceBoundary,
)
