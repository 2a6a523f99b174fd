"""On-call schedules as iCalendar documents (RFC 5545), built with ``icalendar``.

Pure functions: a schedule (or every schedule, filtered to one user) and a window
become a VCALENDAR with one VEVENT per final-timeline period that has someone on
call. Event times are written in the schedule's IANA zone (``DTSTART;TZID=...``)
with matching VTIMEZONE components, so a calendar shows local hand-off times
across DST. Each event's UID hashes (schedule, period start, users): a client
re-fetching the feed updates the events it already has instead of duplicating them.
Who is on call is written with ``label`` (the web layer's names: a user's email, a
team's name), by default the recipient keys themselves.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from engine import Period, Schedule, timeline

__all__ = [
    "AHEAD",
    "CONTENT_TYPE",
    "PAST",
    "PRODID",
    "event_uid",
    "feed_window",
    "schedule_calendar",
    "user_calendar",
]

PRODID: Final = "-//Pulsar//On-call//EN"
CONTENT_TYPE: Final = "text/calendar; charset=utf-8"
PAST: Final = timedelta(days=7)
AHEAD: Final = timedelta(days=90)
REFRESH: Final = timedelta(hours=1)
_UID_NAMESPACE: Final = uuid.UUID("6f1c3c9e-7a4b-4d55-9b0e-2f6a1f0c9a11")


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """[7 days ago, 90 days ahead] of ``now``, aligned to UTC midnight.

    Aligned so that the first (clipped) period keeps its start, hence its UID,
    across fetches on the same day.
    """
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - PAST, day + AHEAD + timedelta(days=1)


Label = Callable[[str], str]


def _same(key: str) -> str:
    return key


def schedule_calendar(
    schedule: Schedule, start: datetime, end: datetime, now: datetime, *, label: Label = _same
) -> bytes:
    """The feed of one schedule: every period in [start, end) with someone on call."""
    calendar = _calendar(f"On call — {schedule.name}", f"schedule:{schedule.id}")
    calendar.add("X-WR-TIMEZONE", schedule.timezone)
    _add_events(calendar, _events(schedule, start, end, now, label))
    return _finish(calendar, start, end)


def user_calendar(
    user: str,
    schedules: Iterable[Schedule],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    label: Label = _same,
) -> bytes:
    """The feed of one user: their on-call periods in [start, end) across ``schedules``."""
    calendar = _calendar(f"On call — {label(user)}", f"user:{user}")
    for schedule in sorted(schedules, key=lambda s: (s.name, s.id)):
        _add_events(calendar, _events(schedule, start, end, now, label, user=user))
    return _finish(calendar, start, end)


def _calendar(name: str, key: str) -> Calendar:
    """An empty VCALENDAR named ``name`` (``X-WR-CALNAME``), with a stable UID."""
    calendar = Calendar.new(
        prodid=PRODID,
        name=name,
        uid=uuid.uuid5(_UID_NAMESPACE, key),
        refresh_interval=REFRESH,
    )
    calendar.add("X-PUBLISHED-TTL", REFRESH)
    return calendar


def _events(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    now: datetime,
    label: Label,
    user: str | None = None,
) -> list[Event]:
    """VEVENTs of ``schedule``'s staffed periods (only ``user``'s, if given)."""
    periods = timeline(schedule, start, end)
    return [
        _event(schedule, period, now, label)
        for period in periods
        if period.users and (user is None or user in period.users)
    ]


def _event(schedule: Schedule, period: Period, now: datetime, label: Label) -> Event:
    """One period as a VEVENT in the schedule's time zone."""
    zone = ZoneInfo(schedule.timezone)
    who = ", ".join(label(key) for key in period.users)
    return Event.new(
        uid=event_uid(schedule, period),
        summary=f"On call: {who} — {schedule.name}",
        description=f"Schedule {schedule.name} ({schedule.timezone})",
        start=period.start.astimezone(zone),
        end=period.end.astimezone(zone),
        stamp=now.astimezone(UTC),
    )


def event_uid(schedule: Schedule, period: Period) -> str:
    """A UID stable for (schedule, period start, users): same period, same event."""
    start = period.start.astimezone(UTC).isoformat()
    key = "\n".join((schedule.id, start, *period.users))
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@pulsar"


def _add_events(calendar: Calendar, events: Iterable[Event]) -> None:
    for event in events:
        calendar.add_component(event)


def _finish(calendar: Calendar, start: datetime, end: datetime) -> bytes:
    """Add a VTIMEZONE for every zone the events use (covering the window), and serialise."""
    calendar.add_missing_timezones(
        first_date=(start - timedelta(days=1)).date(),
        last_date=(end + timedelta(days=1)).date(),
    )
    document: bytes = calendar.to_ical()
    return document
