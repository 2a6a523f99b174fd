"""The iCalendar rendering of schedules (web.ical), read back with ``icalendar``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from engine import Override, Participant, Rotation, Schedule
from web.ical import PRODID, feed_window, schedule_calendar, user_calendar

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2025, 3, 6, 12, tzinfo=UTC)
# The week of the US spring-forward (2025-03-09 02:00 local).
START = datetime(2025, 3, 5, 15, tzinfo=UTC)  # 09:00 CST
END = datetime(2025, 3, 12, 14, tzinfo=UTC)  # 09:00 CDT


def daily(name: str = "primary", users: tuple[str, ...] = ("alice", "bob")) -> Rotation:
    """Daily 09:00 Chicago hand-offs between ``users``."""
    return Rotation(
        id=f"r-{name}",
        name=name,
        type="daily",
        start=datetime(2025, 3, 1, 9, tzinfo=CHICAGO),
        participants=tuple(Participant(id=u) for u in users),
    )


def chicago(*rotations: Rotation, overrides: tuple[Override, ...] = ()) -> Schedule:
    return Schedule(
        id="s-ops",
        name="ops",
        timezone="America/Chicago",
        rotations=rotations or (daily(),),
        overrides=overrides,
    )


def parse(document: bytes) -> Calendar:
    calendar: Calendar = Calendar.from_ical(document)
    return calendar


def events(document: bytes) -> list[Event]:
    return sorted(parse(document).events, key=start_of)


def start_of(event: Event) -> datetime:
    value = event.start
    assert isinstance(value, datetime)
    return value


def end_of(event: Event) -> datetime:
    value = event.end
    assert isinstance(value, datetime)
    return value


def test_one_event_per_staffed_period_with_header() -> None:
    """Each daily turn is one event; the calendar carries PRODID and X-WR-CALNAME."""
    calendar = parse(schedule_calendar(chicago(), START, END, NOW))
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["X-WR-CALNAME"]) == "On call — ops"
    found = sorted(calendar.events, key=start_of)
    assert len(found) == 7
    assert [str(e["SUMMARY"]) for e in found[:2]] == [
        "On call: alice — ops",
        "On call: bob — ops",
    ]
    assert all(e.DTSTAMP == NOW for e in found)
    assert found[0].start == START
    assert found[-1].end == END


def test_times_carry_tzid_with_a_vtimezone() -> None:
    """DTSTART/DTEND are local Chicago times with TZID, and the VTIMEZONE is included."""
    document = schedule_calendar(chicago(), START, END, NOW)
    assert b"DTSTART;TZID=America/Chicago:20250305T090000" in document
    assert [str(tz["TZID"]) for tz in parse(document).timezones] == ["America/Chicago"]
    for event in events(document):
        assert start_of(event).tzinfo is not None
        assert str(event["DTSTART"].params["TZID"]) == "America/Chicago"


def test_dst_week_keeps_the_local_hand_off_time() -> None:
    """Across spring-forward every turn starts at 09:00 local; one turn lasts 23 h."""
    found = events(schedule_calendar(chicago(), START, END, NOW))
    local = [start_of(e).astimezone(CHICAGO) for e in found]
    assert {(t.hour, t.minute) for t in local} == {(9, 0)}
    assert [t.day for t in local] == [5, 6, 7, 8, 9, 10, 11]
    lengths = [end_of(e).astimezone(UTC) - start_of(e).astimezone(UTC) for e in found]
    assert lengths.count(timedelta(hours=23)) == 1
    assert lengths.count(timedelta(hours=24)) == 6


def test_uids_are_stable_and_distinct() -> None:
    """The same period has the same UID in every rendering; different periods differ."""
    first = [str(e["UID"]) for e in events(schedule_calendar(chicago(), START, END, NOW))]
    later = NOW + timedelta(hours=5)
    again = [str(e["UID"]) for e in events(schedule_calendar(chicago(), START, END, later))]
    assert first == again
    assert len(set(first)) == len(first)


def test_unstaffed_periods_have_no_event() -> None:
    """A ``none`` slot (a gap) is not an event."""
    gap = daily(users=("alice",))
    gap = Rotation(
        id=gap.id,
        name=gap.name,
        type=gap.type,
        start=gap.start,
        participants=(Participant(id="alice"), Participant(type="none")),
    )
    found = events(schedule_calendar(chicago(gap), START, END, NOW))
    assert {str(e["SUMMARY"]) for e in found} == {"On call: alice — ops"}
    assert len(found) == 4


def test_user_feed_keeps_only_that_users_periods() -> None:
    """alice's feed shows her turns (also shared ones), across schedules, nobody else's."""
    other = Schedule(
        id="s-db",
        name="db",
        timezone="UTC",
        rotations=(
            Rotation(
                id="r-db",
                name="db",
                type="weekly",
                start=datetime(2025, 3, 3, tzinfo=UTC),
                participants=(Participant(id="alice"),),
            ),
        ),
    )
    document = user_calendar("alice", [chicago(), other], START, END, NOW)
    found = events(document)
    summaries = [str(e["SUMMARY"]) for e in found]
    assert summaries.count("On call: alice — ops") == 4
    assert summaries.count("On call: alice — db") == 1  # always alice: one period
    assert all("bob" not in s for s in summaries)
    assert str(parse(document)["X-WR-CALNAME"]) == "On call — alice"
    assert user_calendar("zed", [chicago(), other], START, END, NOW).count(b"BEGIN:VEVENT") == 0


def test_shared_periods_list_every_user() -> None:
    """Two rotations on call together name both users in the summary."""
    both = chicago(daily("a", ("alice",)), daily("b", ("bob",)))
    found = events(user_calendar("bob", [both], START, END, NOW))
    assert {str(e["SUMMARY"]) for e in found} == {"On call: alice, bob — ops"}


def test_window_is_a_week_back_and_ninety_days_ahead() -> None:
    """The window is aligned to UTC midnight and covers [now - 7 d, now + 90 d]."""
    start, end = feed_window(NOW)
    assert start == datetime(2025, 2, 27, tzinfo=UTC)
    assert start <= NOW - timedelta(days=7)
    assert end >= NOW + timedelta(days=90)
    assert feed_window(NOW + timedelta(hours=3)) == (start, end)
