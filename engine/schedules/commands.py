"""Schedule commands and their stateless validation.

Ids of new entities (schedules, rotations, overrides, feed tokens) come in the
commands, so ``decide`` stays deterministic. Validation raises
``Rejected("invalid_field")`` naming the Opsgenie JSON field (compat-api.md 6).
``RecordOnCall`` is the system command of the actor's timer; ``RemoveRecipient``
that of the org decider when a member leaves or a team is deleted.

The users and teams a command names (participants, override users, the owner
team, a user feed) must exist in the organization: that is a cross-area rule,
so ``resolve_references`` takes the lookups as arguments (the org decider passes
the access and teams states') and rewrites each reference to an id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, Literal, final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from engine.errors import Rejected
from engine.schedules.model import (
    OVERRIDE_USER_TYPES,
    PARTICIPANT_TYPES,
    RECIPIENT_TYPES,
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
    "Lookup",
    "RecordOnCall",
    "RemoveRecipient",
    "RevokeFeedToken",
    "ScheduleCommand",
    "UpdateOverride",
    "UpdateRotation",
    "UpdateSchedule",
    "check_name",
    "check_override",
    "check_rotation",
    "check_timezone",
    "resolve_references",
]

MAX_NAME: Final = 100
MAX_DESCRIPTION: Final = 10000
MAX_PARTICIPANTS: Final = 200
MAX_USER: Final = 255
MAX_LENGTH: Final = {"hourly": 8760, "daily": 3650, "weekly": 520, "custom": 8760}
MAX_WINDOWS: Final = 50
ESCALATION_PARTICIPANT: Final = (
    "an escalation policy cannot hold a rotation's turn; "
    "to page through a policy, give it a rule whose recipient is this schedule"
)


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


@final
class RemoveRecipient(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """System command: a member left (``user``) or a team was deleted (``team``).

    Every schedule forgets them: they leave the rotations (whoever else is on call
    keeps the turn, S27; a rotation left without participants keeps one ``none``
    slot), their overrides are deleted, a team's schedules lose their owner team,
    and a user's calendar feeds are revoked.
    """

    recipient_type: Literal["user", "team"]
    id: str


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
    | RemoveRecipient
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
    RemoveRecipient,
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
    kind: str = participant.type  # as decoded: anything a client sent
    if kind == "escalation":
        # Opsgenie allows them; Pulsar points the other way: a policy's rule notifies a
        # schedule (recipient type ``schedule``), a rotation's turn is a user or a team.
        raise invalid("participants", ESCALATION_PARTICIPANT)
    if kind not in PARTICIPANT_TYPES:
        raise invalid("participants", "participant type must be user, team or none")
    if participant.type == "none":
        return Participant(type="none")
    ref = participant.id.strip()
    if not ref or len(ref) > MAX_USER:
        raise invalid("participants", f"a {participant.type} participant needs an id or name")
    return Participant(type=participant.type, id=ref)


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
    """``rotation`` validated and normalised (stripped name and participants, the start
    truncated to the minute)."""
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
    start = _to_the_minute(rotation.start)
    if rotation.end is not None:
        _check_aware("endDate", rotation.end)
        if rotation.end <= start:
            raise invalid("endDate", "endDate must be after startDate")
    if not rotation.participants or len(rotation.participants) > MAX_PARTICIPANTS:
        raise invalid("participants", f"1-{MAX_PARTICIPANTS} participants are required")
    participants = tuple(_check_participant(p) for p in rotation.participants)
    if rotation.restriction is not None:
        _check_restriction(rotation.restriction)
    return msgspec.structs.replace(rotation, name=name, start=start, participants=participants)


def _to_the_minute(moment: datetime) -> datetime:
    """``moment`` truncated to its minute (in UTC), in its own offset (S27: GoAlert's rule)."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0).astimezone(moment.tzinfo)


def check_override(override: Override, rotation_ids: frozenset[str]) -> Override:
    """``override`` validated against the schedule's rotations (``rotation_ids``)."""
    if not override.id.strip() or len(override.id) > MAX_NAME or "/" in override.id:
        raise invalid("alias", "alias must be 1-100 characters without '/'")
    if override.user_type not in OVERRIDE_USER_TYPES:
        raise invalid("user", "an override's user must be a user, a team or none")
    user = override.user.strip()
    if override.user_type == "none":
        if user:
            raise invalid("user", "a none override names nobody: it takes no id")
    elif not user or len(user) > MAX_USER:
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


Lookup = Callable[[str], str | None]
"""A reference (id, or email/name) to the id it names in the organization, or ``None``."""


def resolve_references(command: ScheduleCommand, user: Lookup, team: Lookup) -> ScheduleCommand:
    """``command`` with every user and team it names replaced by its id.

    Args:
        command: any schedule command (those naming nobody are returned as they are).
        user: a user reference (account id or email) to the member's account id.
        team: a team reference (id or name) to the team's id.

    Raises:
        Rejected: ``invalid_field`` naming the field of an unknown user or team
            (``participants``, ``user``, ``ownerTeam``).
    """
    replace = msgspec.structs.replace
    match command:
        case CreateSchedule():
            rotations = tuple(_resolve_rotation(r, user, team) for r in command.rotations)
            owner = _resolve_owner(command.owner_team, team)
            return replace(command, rotations=rotations, owner_team=owner)
        case UpdateSchedule() if command.owner_team:
            return replace(command, owner_team=_resolve_owner(command.owner_team, team))
        case AddRotation() | UpdateRotation():
            return replace(command, rotation=_resolve_rotation(command.rotation, user, team))
        case AddOverride() | UpdateOverride() if command.override.user_type in RECIPIENT_TYPES:
            o = command.override
            lookup, what = (team, "Team") if o.user_type == "team" else (user, "User")
            return replace(command, override=replace(o, user=_known(lookup, o.user, "user", what)))
        case CreateFeedToken() if command.kind == "user":
            return replace(command, target=_known(user, command.target, "user", "User"))
    return command


def _known(lookup: Lookup, ref: str, field: str, what: str) -> str:
    """The id ``ref`` names, or a 422 naming ``field``; a blank ``ref`` is left to validation."""
    if not ref.strip():
        return ref
    found = lookup(ref.strip())
    if found is None:
        raise invalid(field, f"{what} {ref.strip()!r} does not exist")
    return found


def _resolve_owner(owner: str | None, team: Lookup) -> str | None:
    """The owner team's id; ``None`` and ``""`` (no owner) stay as they are."""
    return _known(team, owner, "ownerTeam", "Team") if owner and owner.strip() else owner


def _resolve_participant(participant: Participant, user: Lookup, team: Lookup) -> Participant:
    if participant.type == "user":
        return Participant(type="user", id=_known(user, participant.id, "participants", "User"))
    if participant.type == "team":
        return Participant(type="team", id=_known(team, participant.id, "participants", "Team"))
    return participant


def _resolve_rotation(rotation: Rotation, user: Lookup, team: Lookup) -> Rotation:
    participants = tuple(_resolve_participant(p, user, team) for p in rotation.participants)
    return msgspec.structs.replace(rotation, participants=participants)
