"""Whether a local-time window covers an instant: rule time restrictions and quiet hours.

Pure calculation on wall-clock time in an IANA time zone. An instant is turned
into its local weekday and minute of the day, then compared with the windows,
so a window keeps its local hours across DST changes (22:00-07:00 lasts ten
hours on the night clocks fall back). Seconds are ignored: a window [09:00,
10:00) covers 09:59:59.

Time restrictions follow ``engine.schedules`` (Opsgenie's ``time-of-day`` and
``weekday-and-time-of-day``): a window whose end is not after its start crosses
midnight (or the week's end); equal start and end is the whole day (week).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from engine.contacts.model import QuietHours
from engine.schedules import Restriction, TimeWindow

__all__ = ["quiet_covers", "restriction_covers"]

_DAY: Final = 24 * 60


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(at: datetime, timezone: str) -> tuple[int, int]:
    """ISO weekday (1-7) and minute of the day of ``at`` in ``timezone``."""
    local = at.astimezone(_zone(timezone))
    return local.isoweekday(), local.hour * 60 + local.minute


def _inside(position: int, start: int, end: int) -> bool:
    """``position`` in [start, end) on a cycle; ``end <= start`` wraps, equal is all."""
    if start < end:
        return start <= position < end
    return position >= start or position < end


def _window_covers(window: TimeWindow, weekday: int, minute: int, weekly: bool) -> bool:
    if weekly and window.start_day is not None and window.end_day is not None:
        position = (weekday - 1) * _DAY + minute
        start = (window.start_day - 1) * _DAY + window.start_minute
        end = (window.end_day - 1) * _DAY + window.end_minute
        return _inside(position, start, end)
    return _inside(minute, window.start_minute, window.end_minute)


def restriction_covers(restriction: Restriction, timezone: str, at: datetime) -> bool:
    """Whether one of ``restriction``'s windows, read in ``timezone``, covers ``at``."""
    weekday, minute = _local(at, timezone)
    weekly = restriction.type == "weekday-and-time-of-day"
    return any(_window_covers(w, weekday, minute, weekly) for w in restriction.windows)


def quiet_covers(quiet: QuietHours, at: datetime) -> bool:
    """Whether ``quiet``'s window covers ``at`` (ignoring ``enabled`` and priorities).

    A window crossing midnight belongs to the day it starts on: its part after
    midnight is covered when the previous day is one of ``days``.
    """
    weekday, minute = _local(at, quiet.timezone)
    start, end = quiet.start_minute, quiet.end_minute
    if start < end:
        return weekday in quiet.days and start <= minute < end
    if start == end:
        return weekday in quiet.days
    yesterday = 7 if weekday == 1 else weekday - 1
    return (weekday in quiet.days and minute >= start) or (yesterday in quiet.days and minute < end)
