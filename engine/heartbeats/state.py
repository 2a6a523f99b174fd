"""Heartbeat state: the heartbeats of one organization and their due-times.

A heartbeat expects a ping at least every ``interval``. Its countdown starts at
creation and restarts at every ping and whenever it is enabled; its deadline is
``counting_from + interval``. Enabled heartbeats that have not expired yet are
the area's timers: ``next_due`` is the earliest deadline and ``due_heartbeats``
lists the heartbeats whose deadline has come (the actor turns each into an
``ExpireHeartbeat`` system command). Mutable like every area state: ``evolve``
updates it in place (see ``engine.org.decider``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, final

import msgspec

__all__ = [
    "INTERVAL_UNITS",
    "Heartbeat",
    "HeartbeatSettings",
    "HeartbeatsState",
    "deadline_of",
    "due_heartbeats",
    "heartbeat_expired",
    "initial_state",
    "interval_of",
    "next_due",
]

INTERVAL_UNITS: Final = ("minutes", "hours", "days")


@final
class HeartbeatSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What a user configures on a heartbeat (everything but its name and ``enabled``)."""

    description: str = ""
    interval: int
    interval_unit: str
    owner_team: str = ""
    alert_message: str
    alert_tags: tuple[str, ...] = ()
    alert_priority: str = "P3"


@final
class Heartbeat(msgspec.Struct, kw_only=True):
    """One heartbeat; ``expired`` is set by ``HeartbeatExpired`` until a ping or enable."""

    id: str
    name: str
    settings: HeartbeatSettings
    enabled: bool
    created_at: datetime
    updated_at: datetime
    counting_from: datetime
    last_ping_at: datetime | None = None
    expired: bool = False


@final
class HeartbeatsState(msgspec.Struct, kw_only=True):
    """Every heartbeat of one organization, by name (the identifier in URLs)."""

    heartbeats: dict[str, Heartbeat] = msgspec.field(default_factory=dict)


def initial_state() -> HeartbeatsState:
    """A fresh state without heartbeats (never shared: ``evolve`` mutates it)."""
    return HeartbeatsState()


def interval_of(settings: HeartbeatSettings) -> timedelta:
    """The heartbeat's interval as a duration."""
    return timedelta(**{settings.interval_unit: settings.interval})


def deadline_of(heartbeat: Heartbeat) -> datetime:
    """The instant the heartbeat expires unless pinged before."""
    return heartbeat.counting_from + interval_of(heartbeat.settings)


def _pending(heartbeat: Heartbeat) -> bool:
    return heartbeat.enabled and not heartbeat.expired


def heartbeat_expired(heartbeat: Heartbeat, now: datetime) -> bool:
    """Whether the heartbeat is expired at ``now`` (also before its timer has run)."""
    return heartbeat.expired or (_pending(heartbeat) and deadline_of(heartbeat) <= now)


def next_due(state: HeartbeatsState) -> datetime | None:
    """The earliest deadline of an enabled, not yet expired heartbeat, or ``None``."""
    return min((deadline_of(h) for h in state.heartbeats.values() if _pending(h)), default=None)


def due_heartbeats(state: HeartbeatsState, now: datetime) -> list[str]:
    """Names of heartbeats whose deadline has come at ``now``, earliest deadline first."""
    due = [
        (deadline_of(h), h.name)
        for h in state.heartbeats.values()
        if _pending(h) and deadline_of(h) <= now
    ]
    return [name for _, name in sorted(due)]
