"""Maintenance state: the windows of one organization and the queries paging asks of them.

A window silences a set of entities (integrations, escalation policies) during
``[start, end)``; ``end`` ``None`` lasts until the window is cancelled. Whether a
window covers an instant is a function of its definition (``covering``), so an
alert created during a window is silent even before the timer has recorded the
window's start. The boundaries themselves (``started_at``, ``ended_at``) are
recorded by events at the actor's timer (``next_due`` / ``due_windows``): paging
reacts to ``MaintenanceEnded`` by starting the escalations the window held back.

Mutable like every area state: ``evolve`` replaces windows in place (see
``engine.org.decider``); a ``Maintenance`` itself is frozen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final, final

import msgspec

from engine.errors import NotFound

__all__ = [
    "ENTITY_STATES",
    "ENTITY_TYPES",
    "MAINTENANCE_STATUSES",
    "TIME_TYPES",
    "Maintenance",
    "MaintenanceEntity",
    "MaintenanceState",
    "covering",
    "due_at",
    "due_windows",
    "effective_end",
    "find_maintenance",
    "initial_state",
    "maintenance_status",
    "next_due",
]

ENTITY_TYPES: Final = ("integration", "policy")
# Opsgenie's rule states: ``disabled`` silences the entity during the window; an
# ``enabled`` policy rule keeps it paging (kept so Opsgenie clients round-trip).
ENTITY_STATES: Final = ("disabled", "enabled")
TIME_TYPES: Final = ("for-5-minutes", "for-30-minutes", "for-1-hour", "indefinitely", "schedule")
MAINTENANCE_STATUSES: Final = ("planned", "active", "past", "cancelled")


@final
class MaintenanceEntity(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An entity a window applies to: an integration or an escalation policy, by id."""

    type: str
    id: str
    state: str = "disabled"


@final
class Maintenance(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A maintenance window and the boundaries recorded so far.

    ``time_type`` is how the client described the window (Opsgenie's ``time.type``),
    kept so it reads back as written. ``started_at``/``ended_at`` are when the
    timer (or a cancel, delete or edit) recorded the start and the end.
    """

    id: str
    description: str
    start: datetime
    end: datetime | None
    entities: tuple[MaintenanceEntity, ...]
    time_type: str = "schedule"
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


@final
class MaintenanceState(msgspec.Struct, kw_only=True):
    """Every window of one organization (cancelled and past ones too) by id."""

    windows: dict[str, Maintenance] = msgspec.field(default_factory=dict)


def initial_state() -> MaintenanceState:
    """A fresh state without windows (never shared: ``evolve`` mutates it)."""
    return MaintenanceState()


def find_maintenance(state: MaintenanceState, maintenance_id: str) -> Maintenance:
    """The window ``maintenance_id``; raises ``NotFound("maintenance_not_found")``."""
    found = state.windows.get(maintenance_id)
    if found is None:
        raise NotFound("maintenance_not_found", f"Maintenance {maintenance_id!r} does not exist")
    return found


def effective_end(window: Maintenance) -> datetime | None:
    """When the window stops covering: its end or its cancellation, whichever is first."""
    ends = [t for t in (window.end, window.cancelled_at) if t is not None]
    return min(ends, default=None)


def _covers(window: Maintenance, at: datetime) -> bool:
    end = effective_end(window)
    return window.start <= at and (end is None or at < end)


def maintenance_status(window: Maintenance, now: datetime) -> str:
    """``cancelled``, ``planned`` (not started), ``past`` (ended) or ``active`` at ``now``."""
    if window.cancelled_at is not None:
        return "cancelled"
    if now < window.start:
        return "planned"
    if window.end is not None and window.end <= now:
        return "past"
    return "active"


def covering(
    state: MaintenanceState, at: datetime, integration_id: str | None, policy_ids: Iterable[str]
) -> Maintenance | None:
    """The window that silences the integration or one of the policies at ``at``, if any.

    Only ``disabled`` entities silence (an ``enabled`` policy rule keeps paging).
    Among several covering windows, the one that started first (then by id).
    """
    wanted = {("policy", p) for p in policy_ids}
    if integration_id:
        wanted.add(("integration", integration_id))
    found = [
        window
        for window in state.windows.values()
        if _covers(window, at)
        and any((e.type, e.id) in wanted and e.state == "disabled" for e in window.entities)
    ]
    return min(found, key=lambda w: (w.start, w.id), default=None)


def due_at(window: Maintenance) -> datetime | None:
    """The next boundary of ``window`` not yet recorded (its start, then its end), if any."""
    if window.ended_at is not None:
        return None
    end = effective_end(window)
    if window.started_at is None:
        # A window cancelled before it began never starts.
        return window.start if end is None or window.start < end else None
    return end


def next_due(state: MaintenanceState) -> datetime | None:
    """The earliest unrecorded boundary of any window, for the actor's timer."""
    dues = (due_at(window) for window in state.windows.values())
    return min((due for due in dues if due is not None), default=None)


def due_windows(state: MaintenanceState, now: datetime) -> list[str]:
    """Ids of the windows with a boundary due at ``now``, earliest first (then by id)."""
    due = [
        (at, window.id)
        for window in state.windows.values()
        if (at := due_at(window)) is not None and at <= now
    ]
    return [window_id for _, window_id in sorted(due)]
