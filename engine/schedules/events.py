"""Schedule events; each carries the facts replay needs (whole rotations, overrides)."""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.schedules.model import Override, Rotation, Schedule
from engine.schedules.state import FeedKind

__all__ = [
    "SCHEDULE_EVENT_TYPES",
    "FeedTokenCreated",
    "FeedTokenRevoked",
    "OnCallChanged",
    "OnCallChecked",
    "OverrideAdded",
    "OverrideDeleted",
    "OverrideUpdated",
    "RotationAdded",
    "RotationDeleted",
    "RotationUpdated",
    "ScheduleCreated",
    "ScheduleDeleted",
    "ScheduleEvent",
    "ScheduleUpdated",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the schedule events: which schedule, and when."""

    schedule_id: str
    at: datetime


@final
class ScheduleCreated(_Event, frozen=True, kw_only=True):
    """A schedule was added (``schedule`` holds its rotations, no overrides)."""

    schedule: Schedule


@final
class ScheduleUpdated(_Event, frozen=True, kw_only=True):
    """A schedule's settings were replaced (its rotations and overrides stay)."""

    name: str
    timezone: str
    description: str
    enabled: bool
    owner_team: str | None


@final
class ScheduleDeleted(_Event, frozen=True, kw_only=True):
    """A schedule was removed, with its feed tokens."""


@final
class RotationAdded(_Event, frozen=True, kw_only=True):
    """A rotation was appended."""

    rotation: Rotation


@final
class RotationUpdated(_Event, frozen=True, kw_only=True):
    """The rotation with ``rotation.id`` was replaced."""

    rotation: Rotation


@final
class RotationDeleted(_Event, frozen=True, kw_only=True):
    """A rotation was removed (overrides lose their reference to it)."""

    rotation_id: str


@final
class OverrideAdded(_Event, frozen=True, kw_only=True):
    """An override was added (its ``sequence`` is the schedule's next)."""

    override: Override


@final
class OverrideUpdated(_Event, frozen=True, kw_only=True):
    """The override with ``override.id`` was replaced."""

    override: Override


@final
class OverrideDeleted(_Event, frozen=True, kw_only=True):
    """An override was removed."""

    override_id: str


@final
class OnCallChanged(_Event, frozen=True, kw_only=True):
    """At ``at`` who is on call changed: ``went_off`` left, ``came_on`` joined.

    ``users``/``sources`` are the whole new on-call set (a change of sources
    alone, e.g. an override taking over from the same user, has empty lists).
    """

    went_off: tuple[str, ...]
    came_on: tuple[str, ...]
    users: tuple[str, ...]
    sources: tuple[str, ...]


@final
class OnCallChecked(_Event, frozen=True, kw_only=True):
    """Nothing changed up to ``at`` (the timer's horizon): the record is valid from then."""


@final
class FeedTokenCreated(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """An iCalendar feed token was created (its hash only)."""

    token_id: str
    at: datetime
    kind: FeedKind
    target: str
    token_hash: str


@final
class FeedTokenRevoked(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """A feed token was revoked."""

    token_id: str
    at: datetime


ScheduleEvent = (
    ScheduleCreated
    | ScheduleUpdated
    | ScheduleDeleted
    | RotationAdded
    | RotationUpdated
    | RotationDeleted
    | OverrideAdded
    | OverrideUpdated
    | OverrideDeleted
    | OnCallChanged
    | OnCallChecked
    | FeedTokenCreated
    | FeedTokenRevoked
)

SCHEDULE_EVENT_TYPES: Final = (
    ScheduleCreated,
    ScheduleUpdated,
    ScheduleDeleted,
    RotationAdded,
    RotationUpdated,
    RotationDeleted,
    OverrideAdded,
    OverrideUpdated,
    OverrideDeleted,
    OnCallChanged,
    OnCallChecked,
    FeedTokenCreated,
    FeedTokenRevoked,
)
