"""Schedule commands and their stateless validation.

Ids of new entities (schedules, rotations, overrides, feed tokens) come in the
commands, so ``decide`` stays deterministic. Validation raises
``Rejected("invalid_field")`` naming the Opsgenie JSON field (compat-api.md 6).
``RecordOnCall`` is the system command of the actor's timer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from engine.errors import Rejected
from engine.schedules.model import (
    PARTICIPANT_TYPES,
    RESTRICTION_TYPES,
    ROTATION_TYPES,
    Override,
    Participant,
    Restriction,
    Rotation,
    TimeWindow,
)
from engine.schedules.state import FeedKind

__all__ = [
    "SCHEDULE_COMMAND_TYPES",
    "AddOverride",
    "AddRotation",
    "CreateFeedToken",
    "CreateSchedule",
    "DeleteOverride",
    "DeleteRotation",
    "DeleteSchedule",
    "RecordOnCall",
    "RevokeFeedToken",
    "ScheduleCommand",
    "UpdateOverride",
    "UpdateRotation",
    "UpdateSchedule",
    "check_name",
    "check_override",
    "check_rotation",
    "check_timezone",
]

MAX_NAME: Final = 100
MAX_DESCRIPTION: Final = 10000
MAX_PARTICIPANTS: Final = 200
MAX_USER: Final = 255
MAX_LENGTH: Final = {"hourly": 8760, "daily": 3650, "weekly": 520, "custom": 8760}
MAX_WINDOWS: Final = 50


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the schedule commands: they name their schedule."""

    schedule_id: str


@final
class CreateSchedule(_Command, frozen=True, kw_only=True):
    """Add a schedule, with its inline rotations."""

    name: str
    timezone: str
    description: str = ""
    enabled: bool = True
    owner_team: str | None = None
    rotations: tuple[Rotation, ...] = ()


@final
class UpdateSchedule(_Command, frozen=True, kw_only=True):
    """Change some settings of a schedule; ``None`` leaves a field as it is.

    ``owner_team`` ``""`` removes the owner team.
    """

    name: str | None = None
    timezone: str | None = None
    description: str | None = None
    enabled: bool | None = None
    owner_team: str | None = None


@final
class DeleteSchedule(_Command, frozen=True, kw_only=True):
    """Remove a schedule (and its feed tokens)."""


@final
class AddRotation(_Command, frozen=True, kw_only=True):
    """Append ``rotation`` (its id is new) to the schedule."""

    rotation: Rotation


@final
class UpdateRotation(_Command, frozen=True, kw_only=True):
    """Replace the rotation with ``rotation.id`` by ``rotation``."""

    rotation: Rotation


@final
class DeleteRotation(_Command, frozen=True, kw_only=True):
    """Remove a rotation (and it from the overrides that name it)."""

    rotation_id: str


@final
class AddOverride(_Command, frozen=True, kw_only=True):
    """Add ``override`` (its id, Opsgenie's alias, is new); it gets the next sequence."""

    override: Override


@final
class UpdateOverride(_Command, frozen=True, kw_only=True):
    """Replace the override with ``override.id``; it becomes the newest (wins overlaps)."""

    override: Override


@final
class DeleteOverride(_Command, frozen=True, kw_only=True):
    """Remove an override."""

    override_id: str


@final
class RecordOnCall(_Command, frozen=True, kw_only=True):
    """System command from the timer: record the on-call changes that have come."""


@final
class CreateFeedToken(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Open an iCalendar feed of a schedule (``target``: its id) or a user (a user id)."""

    token_id: str
    kind: FeedKind
    target: str
    token_hash: str


@final
class RevokeFeedToken(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Revoke a feed token: its URL answers 404 from now on."""

    token_id: str


ScheduleCommand = (
    CreateSchedule
    | UpdateSchedule
    | DeleteSchedule
    | AddRotation
    | UpdateRotation
    | DeleteRotation
    | AddOverride
    | UpdateOverride
    | DeleteOverride
    | RecordOnCall
    | CreateFeedToken
    | RevokeFeedToken
)

SCHEDULE_COMMAND_TYPES: Final = (
    CreateSchedule,
    UpdateSchedule,
    DeleteSchedule,
    AddRotation,
    UpdateRotation,
    DeleteRotation,
    AddOverride,
    UpdateOverride,
    DeleteOverride,
    RecordOnCall,
    CreateFeedToken,
    RevokeFeedToken,
)


def invalid(field: str, message: str) -> Rejected:
    """A 422 rejection naming ``field``."""
    return Rejected("invalid_field", message, field=field)


def check_name(name: str, field: str = "name") -> str:
    """``name`` stripped: 1-100 characters, no ``/`` (a URL path segment)."""
    stripped = name.strip()
    if not stripped:
        raise invalid(field, f"{field} is required")
    if len(stripped) > MAX_NAME:
        raise invalid(field, f"{field} must be at most {MAX_NAME} characters")
    if "/" in stripped:
        raise invalid(field, f"{field} must not contain '/'")
    return stripped


def check_description(description: str) -> str:
    """``description`` if within the limit."""
    if len(description) > MAX_DESCRIPTION:
        raise invalid("description", f"description must be at most {MAX_DESCRIPTION} characters")
    return description


def check_timezone(timezone: str) -> str:
    """``timezone`` if it is an IANA time zone name known to the system's database."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid("timezone", f"unknown IANA time zone {timezone!r}") from None
    return timezone


def _check_aware(field: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise invalid(field, f"{field} must include a UTC offset")


def _check_participant(participant: Participant) -> Participant:
    if participant.type not in PARTICIPANT_TYPES:
        raise invalid("participants", "participant type must be user or none")
    if participant.type == "none":
        return Participant(type="none")
    user = participant.id.strip()
    if not user or len(user) > MAX_USER:
        raise invalid("participants", "a user participant needs an id or username")
    return Participant(type="user", id=user)


def _check_window(window: TimeWindow, weekly: bool) -> None:
    for minute in (window.start_minute, window.end_minute):
        if not 0 <= minute < 1440:
            raise invalid("timeRestriction", "hours must be 0-23 and minutes 0-59")
    days = (window.start_day, window.end_day)
    if weekly and any(day is None or not 1 <= day <= 7 for day in days):
        raise invalid("timeRestriction", "startDay and endDay must be weekdays")
    if not weekly and days != (None, None):
        raise invalid("timeRestriction", "a time-of-day restriction has no days")


def _check_restriction(restriction: Restriction) -> None:
    if restriction.type not in RESTRICTION_TYPES:
        raise invalid("timeRestriction", "type must be time-of-day or weekday-and-time-of-day")
    weekly = restriction.type == "weekday-and-time-of-day"
    count = len(restriction.windows)
    if count == 0 or count > MAX_WINDOWS or (not weekly and count != 1):
        raise invalid("timeRestriction", "a restriction needs its window(s)")
    for window in restriction.windows:
        _check_window(window, weekly)


def check_rotation(rotation: Rotation) -> Rotation:
    """``rotation`` validated and normalised (stripped name and participants)."""
    if not rotation.id:
        raise invalid("id", "rotation id is required")
    name = check_name(rotation.name)
    if rotation.type not in ROTATION_TYPES:
        raise invalid("type", "type must be one of hourly, daily, weekly, custom")
    if not 1 <= rotation.length <= MAX_LENGTH[rotation.type]:
        raise invalid("length", f"length must be 1-{MAX_LENGTH[rotation.type]}")
    if rotation.custom_unit not in ("hours", "days"):
        raise invalid("customUnit", "customUnit must be hours or days")
    _check_aware("startDate", rotation.start)
    if rotation.end is not None:
        _check_aware("endDate", rotation.end)
        if rotation.end <= rotation.start:
            raise invalid("endDate", "endDate must be after startDate")
    if not rotation.participants or len(rotation.participants) > MAX_PARTICIPANTS:
        raise invalid("participants", f"1-{MAX_PARTICIPANTS} participants are required")
    participants = tuple(_check_participant(p) for p in rotation.participants)
    if rotation.restriction is not None:
        _check_restriction(rotation.restriction)
    return msgspec.structs.replace(rotation, name=name, participants=participants)


def check_override(override: Override, rotation_ids: frozenset[str]) -> Override:
    """``override`` validated against the schedule's rotations (``rotation_ids``)."""
    if not override.id.strip() or len(override.id) > MAX_NAME or "/" in override.id:
        raise invalid("alias", "alias must be 1-100 characters without '/'")
    user = override.user.strip()
    if not user or len(user) > MAX_USER:
        raise invalid("user", "user is required")
    _check_aware("startDate", override.start)
    _check_aware("endDate", override.end)
    if override.end <= override.start:
        raise invalid("endDate", "endDate must be after startDate")
    unknown = [r for r in override.rotation_ids if r not in rotation_ids]
    if unknown:
        raise invalid("rotations", f"unknown rotation {unknown[0]!r}")
    rotations = tuple(dict.fromkeys(override.rotation_ids))
    return msgspec.structs.replace(override, user=user, rotation_ids=rotations)
