"""The on-call schedule model (Opsgenie's, which users migrate from).

Pure values shared by the on-call computation (``oncall.py``) and the
schedules area (commands, events, state, decider). All datetimes are
timezone-aware; wall-clock rules (rotation hand-offs, restrictions) are read
in the schedule's IANA time zone, so a weekly Tuesday-midnight hand-off stays
at local midnight across DST (a 169 h or 167 h shift).

Who can be on call: a *user* (an organization member's account id) or a *team*
(a team id; the team is on call as a whole, Opsgenie's team participant). Every
on-call set (``OnCall.users``, ``Period.users``, ``OnCallChanged``) holds them as
*recipient keys*, plain strings so that they stay cheap to compare and sort and
the recorded events keep their shape: a user's key is its account id, a team's
is ``team:<team id>`` (``recipient_key`` / ``split_recipient``). Account and team
ids are UUIDs, so the two never collide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal, final

import msgspec

__all__ = [
    "OVERRIDE_USER_TYPES",
    "PARTICIPANT_TYPES",
    "RECIPIENT_TYPES",
    "RESTRICTION_TYPES",
    "ROTATION_TYPES",
    "TEAM_PREFIX",
    "OnCall",
    "Override",
    "OverrideUserType",
    "Participant",
    "Period",
    "RecipientType",
    "Restriction",
    "Rotation",
    "Schedule",
    "TimeWindow",
    "recipient_key",
    "split_recipient",
]

ROTATION_TYPES: Final = ("hourly", "daily", "weekly", "custom")
PARTICIPANT_TYPES: Final = ("user", "team", "none")
RECIPIENT_TYPES: Final = ("user", "team")
OVERRIDE_USER_TYPES: Final = ("user", "team", "none")
RESTRICTION_TYPES: Final = ("time-of-day", "weekday-and-time-of-day")
TEAM_PREFIX: Final = "team:"

RotationType = Literal["hourly", "daily", "weekly", "custom"]
RecipientType = Literal["user", "team"]
OverrideUserType = Literal["user", "team", "none"]


def recipient_key(kind: str, identifier: str) -> str:
    """The on-call set's key of a user (its id) or a team (``team:<id>``); ``""`` for none."""
    if kind == "team":
        return TEAM_PREFIX + identifier
    return identifier if kind == "user" else ""


def split_recipient(key: str) -> tuple[RecipientType, str]:
    """``(type, id)`` of a recipient key (the inverse of ``recipient_key``)."""
    if key.startswith(TEAM_PREFIX):
        return "team", key[len(TEAM_PREFIX) :]
    return "user", key


@final
class Participant(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A slot of a rotation: a user (account id), a team (team id), or ``none``.

    ``none`` is a gap: nobody is on call in that slot.
    """

    type: Literal["user", "team", "none"] = "user"
    id: str = ""


@final
class TimeWindow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A window in local wall-clock time.

    ``start_day``/``end_day`` are ISO weekdays 1 (Monday) .. 7 (Sunday) for a
    ``weekday-and-time-of-day`` restriction, ``None`` for ``time-of-day`` (every
    day). Minutes count from local midnight (0..1439). A window whose end is
    not after its start crosses midnight (or the week's end).
    """

    start_day: int | None = None
    start_minute: int = 0
    end_day: int | None = None
    end_minute: int = 0


@final
class Restriction(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """When a rotation applies: one daily window, or a set of weekday windows."""

    type: Literal["time-of-day", "weekday-and-time-of-day"]
    windows: tuple[TimeWindow, ...]


@final
class Rotation(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Participants taking turns, each for ``length`` units from ``start``.

    ``type`` hourly/daily/weekly: a turn is ``length`` hours/days/weeks; ``custom``:
    ``length`` of ``custom_unit`` (``hours`` or ``days``). Days and weeks are
    local calendar days (hand-offs at the same local time across DST).
    """

    id: str
    name: str
    type: RotationType
    length: int = 1
    custom_unit: Literal["hours", "days"] = "hours"
    start: datetime
    end: datetime | None = None
    participants: tuple[Participant, ...] = ()
    restriction: Restriction | None = None


@final
class Override(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``user`` takes over during [start, end): the whole schedule (``rotation_ids``
    empty) or only those rotations. Overlapping overrides: the newest (highest
    ``sequence``) wins. ``user`` is an account id, or a team id when ``user_type``
    is ``team`` (Opsgenie lets a team take over too). ``user_type`` ``none`` (with
    ``user`` ``""``) takes over with nobody: nobody is on call in the window (a
    company holiday), or nobody for the named rotations."""

    id: str
    user: str
    start: datetime
    end: datetime
    rotation_ids: tuple[str, ...] = ()
    sequence: int = 0
    user_type: OverrideUserType = "user"


@final
class Schedule(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A schedule: ordered rotations and overrides in one IANA time zone."""

    id: str
    name: str
    timezone: str
    description: str = ""
    enabled: bool = True
    owner_team: str | None = None
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()


@final
class OnCall(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Who is on call at an instant (recipient keys), and the rotations/overrides behind it."""

    users: tuple[str, ...]
    sources: tuple[str, ...]


@final
class Period(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A maximal interval [start, end) with one on-call set (the final timeline)."""

    start: datetime
    end: datetime
    users: tuple[str, ...]
    sources: tuple[str, ...]
