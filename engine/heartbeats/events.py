"""Heartbeat events; each carries the facts replay needs (settings, deadline, alert)."""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.heartbeats.state import HeartbeatSettings

__all__ = [
    "HEARTBEAT_EVENT_TYPES",
    "HeartbeatCreated",
    "HeartbeatDeleted",
    "HeartbeatDisabled",
    "HeartbeatEnabled",
    "HeartbeatEvent",
    "HeartbeatExpired",
    "HeartbeatPinged",
    "HeartbeatUpdated",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of every heartbeat event: which heartbeat, and when."""

    name: str
    at: datetime


@final
class HeartbeatCreated(_Event, frozen=True, kw_only=True):
    """A heartbeat was added; its countdown starts at ``at``."""

    heartbeat_id: str
    enabled: bool
    settings: HeartbeatSettings


@final
class HeartbeatUpdated(_Event, frozen=True, kw_only=True):
    """A heartbeat's settings were replaced by ``settings`` (the whole new set)."""

    settings: HeartbeatSettings


@final
class HeartbeatEnabled(_Event, frozen=True, kw_only=True):
    """A heartbeat was enabled; its countdown restarts at ``at``."""


@final
class HeartbeatDisabled(_Event, frozen=True, kw_only=True):
    """A heartbeat was disabled; it no longer expires."""


@final
class HeartbeatPinged(_Event, frozen=True, kw_only=True):
    """A ping arrived; the countdown restarts at ``at``."""


@final
class HeartbeatExpired(_Event, frozen=True, kw_only=True):
    """No ping came by ``deadline``; the alert ``alert_id`` (alias ``alert_alias``) is raised."""

    deadline: datetime
    alert_id: str
    alert_alias: str


@final
class HeartbeatDeleted(_Event, frozen=True, kw_only=True):
    """A heartbeat was removed."""


HeartbeatEvent = (
    HeartbeatCreated
    | HeartbeatUpdated
    | HeartbeatEnabled
    | HeartbeatDisabled
    | HeartbeatPinged
    | HeartbeatExpired
    | HeartbeatDeleted
)

HEARTBEAT_EVENT_TYPES: Final = (
    HeartbeatCreated,
    HeartbeatUpdated,
    HeartbeatEnabled,
    HeartbeatDisabled,
    HeartbeatPinged,
    HeartbeatExpired,
    HeartbeatDeleted,
)
