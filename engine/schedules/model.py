"""The on-call schedule model (Opsgenie's, which users migrate from).

Pure values shared by the on-call computation (``oncall.py``) and the
schedules area (commands, events, state, decider). All datetimes are
timezone-aware; wall-clock rules (rotation hand-offs, restrictions) are read
in the schedule's IANA time zone, so a weekly Tuesday-midnight hand-off stays
at local midnight across DST (a 169 h or 167 h shift).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal, final

import msgspec

__all__ = [
    "PARTICIPANT_TYPES",
    "RESTRICTION_TYPES",
    "ROTATION_TYPES",
    "OnCall",
    "Override",
    "Participant",
    "Period",
    "Restriction",
    "Rotation",
    "Schedule",
    "TimeWindow",
]

ROTATION_TYPES: Final = ("hourly", "daily", "weekly", "custom")
PARTICIPANT_TYPES: Final = ("user", "none")
RESTRICTION_TYPES: Final = ("time-of-day", "weekday-and-time-of-day")

RotationType = Literal["hourly", "daily", "weekly", "custom"]


@final
class Participant(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A slot of a rotation: a user id, or ``none`` (a gap: nobody on call in that slot)."""

    type: Literal["user", "none"] = "user"
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
    ``sequence``) wins."""

    id: str
    user: str
    start: datetime
    end: datetime
    rotation_ids: tuple[str, ...] = ()
    sequence: int = 0


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
    """Who is on call at an instant, and which rotations/overrides put them there."""

    users: tuple[str, ...]
    sources: tuple[str, ...]


@final
class Period(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A maximal interval [start, end) with one on-call set (the final timeline)."""

    start: datetime
    end: datetime
    users: tuple[str, ...]
    sources: tuple[str, ...]
