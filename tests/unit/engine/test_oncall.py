"""Unit tests of the pure on-call calculation (engine/schedules/oncall.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.schedules import oncall
from engine.schedules.model import (
    OnCall,
    Override,
    Participant,
    Period,
    Restriction,
    Rotation,
    Schedule,
    TimeWindow,
)
from engine.schedules.oncall import HORIZON, next_on_call, on_call_at, timeline

CHICAGO = ZoneInfo("America/Chicago")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
D = timedelta(days=1)
A, B, C = Participant(id="A"), Participant(id="B"), Participant(id="C")
GAP = Participant(type="none")


def at(*args: int, tz: ZoneInfo = CHICAGO) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


def rot(rid: str = "r", type: str = "daily", **kw: object) -> Rotation:
    kw.setdefault("start", at(2024, 6, 3))
    kw.setdefault("participants", (A, B))
    return Rotation(id=rid, name=rid, type=type, **kw)  # type: ignore[arg-type]


def sched(*rotations: Rotation, tz: str = "America/Chicago", **kw: object) -> Schedule:
    return Schedule(id="s", name="s", timezone=tz, rotations=rotations, **kw)  # type: ignore[arg-type]


def ov(oid: str, user: str, start: datetime, end: datetime, *rids: str, seq: int = 0) -> Override:
    return Override(id=oid, user=user, start=start, end=end, rotation_ids=rids, sequence=seq)


def users(schedule: Schedule, t: datetime) -> tuple[str, ...]:
    return on_call_at(schedule, t).users


def lengths(periods: list[Period]) -> list[timedelta]:
    return [p.end - p.start for p in periods]


def tod(start: int, end: int) -> Restriction:
    return Restriction(
        type="time-of-day", windows=(TimeWindow(start_minute=start, end_minute=end),)
    )


def weekly(*windows: tuple[int, int, int, int]) -> Restriction:
    return Restriction(
        type="weekday-and-time-of-day",
        windows=tuple(
            TimeWindow(start_day=sd, start_minute=sm, end_day=ed, end_minute=em)
            for sd, sm, ed, em in windows
        ),
    )


# --- rotation types ----------------------------------------------------------


def test_daily_rotation_hands_off_every_day_at_the_start_time() -> None:
    """A daily rotation started Monday 09:00 gives A Monday, B Tuesday, A Wednesday."""
    s = sched(rot(start=at(2024, 6, 3, 9)))
    assert users(s, at(2024, 6, 3, 9)) == ("A",)
    assert users(s, at(2024, 6, 4, 8, 59)) == ("A",)
    assert users(s, at(2024, 6, 4, 9)) == ("B",)
    assert users(s, at(2024, 6, 5, 10)) == ("A",)


def test_hourly_rotation_with_length_three() -> None:
    """An hourly rotation of length 3 hands off every 3 hours and wraps around."""
    s = sched(rot(type="hourly", length=3, participants=(A, B, C)))
    start = at(2024, 6, 3)
    assert [users(s, start + h * H) for h in (0, 2, 3, 6, 9)] == [
        ("A",),
        ("A",),
        ("B",),
        ("C",),
        ("A",),
    ]


def test_weekly_rotation_with_length_two() -> None:
    """A weekly rotation of length 2 keeps each participant for 14 days."""
    s = sched(rot(type="weekly", length=2))
    assert users(s, at(2024, 6, 16, 23)) == ("A",)
    assert users(s, at(2024, 6, 17)) == ("B",)
    assert users(s, at(2024, 7, 1)) == ("A",)


def test_custom_rotation_in_hours_and_days() -> None:
    """Custom rotations count ``length`` hours (absolute) or days (local calendar)."""
    hours = sched(rot(type="custom", length=5, custom_unit="hours"))
    days = sched(rot(type="custom", length=3, custom_unit="days"))
    assert users(hours, at(2024, 6, 3, 5)) == ("B",)
    assert users(hours, at(2024, 6, 3, 10)) == ("A",)
    assert users(days, at(2024, 6, 5, 23)) == ("A",)
    assert users(days, at(2024, 6, 6)) == ("B",)


def test_rotation_started_years_ago_is_computed_directly() -> None:
    """A rotation started in 2019 still hands off on its grid: turn k = elapsed days."""
    s = sched(rot(start=at(2019, 1, 1, 8), participants=(A, B, C)))
    k = (datetime(2024, 6, 3) - datetime(2019, 1, 1)).days  # local calendar days
    expected = ("A", "B", "C")[k % 3]
    assert (expected,) == users(s, at(2024, 6, 3, 8))
    assert len(timeline(s, at(2024, 6, 3, 7), at(2024, 6, 3, 9))) == 2


def test_participants_with_gaps() -> None:
    """A ``none`` participant is a gap: nobody on call, and the rotation is no source."""
    s = sched(rot(participants=(A, GAP, B)))
    assert OnCall(users=(), sources=()) == on_call_at(s, at(2024, 6, 4, 12))
    assert OnCall(users=("B",), sources=("r",)) == on_call_at(s, at(2024, 6, 5, 12))


def test_rotation_without_participants_puts_nobody_on_call() -> None:
    """An empty rotation contributes nobody."""
    assert users(sched(rot(participants=())), at(2024, 6, 4)) == ()


def test_zero_length_is_read_as_one() -> None:
    """A length below 1 is treated as 1 unit."""
    assert users(sched(rot(type="hourly", length=0)), at(2024, 6, 3, 1)) == ("B",)


def test_union_of_rotations_sorted_and_deduplicated() -> None:
    """The on-call set is the union of every rotation's user, sorted, each once."""
    s = sched(
        rot("r1", participants=(C,)), rot("r2", participants=(A,)), rot("r3", participants=(C,))
    )
    assert OnCall(users=("A", "C"), sources=("r1", "r2", "r3")) == on_call_at(s, at(2024, 6, 4))


# --- start and end -------------------------------------------------------------


def test_rotation_not_yet_started_contributes_nobody() -> None:
    """Before its start a rotation contributes nobody; from its start, its first participant."""
    s = sched(rot(start=at(2024, 7, 1, 9)))
    assert users(s, at(2024, 7, 1, 8, 59)) == ()
    assert users(s, at(2024, 7, 1, 9)) == ("A",)


def test_rotation_end_date() -> None:
    """At and after its end a rotation contributes nobody."""
    s = sched(rot(end=at(2024, 6, 5, 12)))
    assert users(s, at(2024, 6, 5, 11)) == ("A",)
    assert users(s, at(2024, 6, 5, 12)) == ()
    assert [at(2024, 6, 5, 12)] == [p.start for p in timeline(s, at(2024, 6, 5), at(2024, 6, 6))][
        1:
    ]


def test_end_before_start_puts_nobody_on_call() -> None:
    """An end date earlier than the start means the rotation never contributes."""
    s = sched(rot(start=at(2024, 6, 3), end=at(2024, 6, 1)))
    assert [Period(start=at(2024, 6, 2), end=at(2024, 6, 9), users=(), sources=())] == timeline(
        s, at(2024, 6, 2), at(2024, 6, 9)
    )


# --- restrictions -----------------------------------------------------------------


def test_time_of_day_restriction() -> None:
    """A 09:00-17:00 restriction limits the rotation to those hours each day."""
    s = sched(rot(restriction=tod(9 * 60, 17 * 60)))
    assert users(s, at(2024, 6, 4, 8, 59)) == ()
    assert users(s, at(2024, 6, 4, 9)) == ("B",)
    assert users(s, at(2024, 6, 4, 17)) == ()


def test_time_of_day_restriction_crossing_midnight() -> None:
    """A 22:00-06:00 restriction covers the night, across midnight."""
    s = sched(rot(start=at(2024, 6, 3, 12), restriction=tod(22 * 60, 6 * 60)))
    assert users(s, at(2024, 6, 3, 23)) == ("A",)
    assert users(s, at(2024, 6, 4, 5, 59)) == ("A",)
    assert users(s, at(2024, 6, 4, 6)) == ()
    periods = timeline(s, at(2024, 6, 3, 12), at(2024, 6, 5, 12))
    assert lengths(periods) == [10 * H, 8 * H, 16 * H, 8 * H, 6 * H]
    assert [p.users for p in periods] == [(), ("A",), (), ("B",), ()]


def test_equal_start_and_end_means_all_day() -> None:
    """A window 00:00-00:00 covers the whole day."""
    s = sched(rot(restriction=tod(0, 0)))
    assert [p.users for p in timeline(s, at(2024, 6, 3), at(2024, 6, 5))] == [("A",), ("B",)]


def test_weekday_restriction() -> None:
    """Monday-Friday 09:00-17:00 windows: on weekdays in hours, never at weekends."""
    s = sched(rot(restriction=weekly(*[(d, 540, d, 1020) for d in range(1, 6)])))
    assert users(s, at(2024, 6, 4, 10)) == ("B",)  # Tuesday
    assert users(s, at(2024, 6, 4, 18)) == ()
    assert users(s, at(2024, 6, 8, 10)) == ()  # Saturday


def test_weekday_window_crossing_the_week_end() -> None:
    """A Saturday 18:00 to Monday 06:00 window spans the week's end."""
    s = sched(rot(type="weekly", restriction=weekly((6, 18 * 60, 1, 6 * 60))))
    assert users(s, at(2024, 6, 8, 18)) == ("A",)
    assert users(s, at(2024, 6, 10, 5)) == ("B",)
    assert users(s, at(2024, 6, 10, 6)) == ()
    periods = timeline(s, at(2024, 6, 3), at(2024, 6, 17))
    on = [p for p in periods if p.users]
    assert [p.users for p in on] == [("A",), ("A",), ("B",), ("B",)]
    assert lengths(on) == [6 * H, 30 * H, 6 * H, 30 * H]


def test_weekday_restriction_without_windows_puts_nobody_on_call() -> None:
    """Every weekday unticked: the rotation never applies."""
    s = sched(rot(restriction=Restriction(type="weekday-and-time-of-day", windows=())))
    assert users(s, at(2024, 6, 4, 12)) == ()


def test_weekday_window_without_days_repeats_daily() -> None:
    """A weekday window without days behaves as a daily window."""
    r = Restriction(
        type="weekday-and-time-of-day", windows=(TimeWindow(start_minute=60, end_minute=120),)
    )
    s = sched(rot(restriction=r))
    assert users(s, at(2024, 6, 4, 1, 30)) == ("B",)
    assert users(s, at(2024, 6, 4, 2, 30)) == ()


def test_overlapping_weekday_windows_merge() -> None:
    """Overlapping windows form one period."""
    s = sched(rot(type="weekly", restriction=weekly((2, 600, 2, 900), (2, 800, 2, 1000))))
    periods = timeline(s, at(2024, 6, 4), at(2024, 6, 5))
    assert [
        10 * H,
        400 * timedelta(minutes=1),
        1440 * timedelta(minutes=1) - 1000 * timedelta(minutes=1),
    ] == lengths(periods)


# --- overrides ----------------------------------------------------------------------


def test_whole_schedule_override_replaces_everyone_and_fills_gaps() -> None:
    """An override without rotations puts only its user on call, even in a gap."""
    o = ov("o", "Z", at(2024, 6, 4, 10), at(2024, 6, 4, 12))
    s = sched(rot("r1"), rot("r2", participants=(GAP,)), overrides=(o,))
    assert OnCall(users=("Z",), sources=("o",)) == on_call_at(s, at(2024, 6, 4, 11))
    assert OnCall(users=("B",), sources=("r1",)) == on_call_at(s, at(2024, 6, 4, 12))
    empty = sched(overrides=(o,))
    assert users(empty, at(2024, 6, 4, 10)) == ("Z",)


def test_rotation_override_replaces_only_that_rotation() -> None:
    """An override naming r1 replaces r1's participant; r2 keeps its own."""
    o = ov("o", "Z", at(2024, 6, 4), at(2024, 6, 5), "r1")
    s = sched(rot("r1"), rot("r2", participants=(C,)), overrides=(o,))
    assert OnCall(users=("C", "Z"), sources=("o", "r2")) == on_call_at(s, at(2024, 6, 4, 3))


def test_rotation_override_fills_a_gap_slot_but_not_outside_the_restriction() -> None:
    """A rotation override applies while the rotation is in effect, also in a ``none`` slot."""
    o = ov("o", "Z", at(2024, 6, 4), at(2024, 6, 6), "r")
    s = sched(rot(participants=(GAP,), restriction=tod(9 * 60, 17 * 60)), overrides=(o,))
    assert users(s, at(2024, 6, 4, 10)) == ("Z",)
    assert users(s, at(2024, 6, 4, 18)) == ()


def test_rotation_override_for_unknown_rotation_has_no_effect() -> None:
    """An override naming a rotation that does not exist changes nothing."""
    o = ov("o", "Z", at(2024, 6, 4), at(2024, 6, 6), "nope")
    assert users(sched(rot(), overrides=(o,)), at(2024, 6, 4, 10)) == ("B",)


def test_overlapping_overrides_highest_sequence_wins() -> None:
    """Of two overlapping overrides the higher sequence wins, regardless of order."""
    low = ov("low", "X", at(2024, 6, 4), at(2024, 6, 6), seq=1)
    high = ov("high", "Y", at(2024, 6, 5), at(2024, 6, 7), seq=2)
    s = sched(rot(), overrides=(high, low))
    days = (3, 4, 5, 7)
    assert [users(s, at(2024, 6, d, 12)) for d in days] == [("A",), ("X",), ("Y",), ("A",)]


def test_equal_sequence_later_override_wins() -> None:
    """With equal sequences, the override listed later wins."""
    first = ov("first", "X", at(2024, 6, 4), at(2024, 6, 6))
    second = ov("second", "Y", at(2024, 6, 4), at(2024, 6, 6))
    assert users(sched(rot(), overrides=(first, second)), at(2024, 6, 5)) == ("Y",)


def test_overlapping_rotation_overrides_per_rotation() -> None:
    """Rotation overrides compete per rotation: each rotation takes its highest sequence."""
    o1 = ov("o1", "X", at(2024, 6, 4), at(2024, 6, 6), "r1", "r2", seq=1)
    o2 = ov("o2", "Y", at(2024, 6, 4), at(2024, 6, 6), "r2", seq=2)
    s = sched(rot("r1"), rot("r2"), overrides=(o1, o2))
    assert OnCall(users=("X", "Y"), sources=("o1", "o2")) == on_call_at(s, at(2024, 6, 5))


def test_whole_override_against_rotation_override_by_sequence() -> None:
    """A whole-schedule override beats lower rotation overrides; a higher one beats it."""
    whole = ov("w", "W", at(2024, 6, 4), at(2024, 6, 6), seq=5)
    lower = ov("lo", "L", at(2024, 6, 4), at(2024, 6, 6), "r1", seq=1)
    higher = ov("hi", "U", at(2024, 6, 4), at(2024, 6, 6), "r2", seq=9)
    s = sched(rot("r1"), rot("r2"), rot("r3"), overrides=(whole, lower, higher))
    assert OnCall(users=("U", "W"), sources=("w", "hi")) == on_call_at(s, at(2024, 6, 5))


def test_override_partly_outside_the_window_is_clipped() -> None:
    """An override starting before the timeline window shows only its part inside it."""
    o = ov("o", "Z", at(2024, 6, 3, 22), at(2024, 6, 4, 2))
    s = sched(rot(), overrides=(o,))
    periods = timeline(s, at(2024, 6, 4), at(2024, 6, 4, 6))
    assert [p.users for p in periods] == [("Z",), ("B",)]
    assert lengths(periods) == [2 * H, 4 * H]


def test_future_override_has_no_effect_yet() -> None:
    """An override starting later does not change the present."""
    o = ov("o", "Z", at(2024, 6, 10), at(2024, 6, 11))
    assert users(sched(rot(), overrides=(o,)), at(2024, 6, 4)) == ("B",)


# --- disabled, arguments ---------------------------------------------------------


def test_disabled_schedule_has_nobody() -> None:
    """A disabled schedule puts nobody on call and never changes."""
    s = sched(rot(), enabled=False, overrides=(ov("o", "Z", at(2024, 6, 4), at(2024, 6, 5)),))
    assert OnCall(users=(), sources=()) == on_call_at(s, at(2024, 6, 4, 1))
    assert [Period(start=at(2024, 6, 4), end=at(2024, 6, 5), users=(), sources=())] == timeline(
        s, at(2024, 6, 4), at(2024, 6, 5)
    )
    assert next_on_call(s, at(2024, 6, 4)) is None


def test_empty_window_and_naive_instants() -> None:
    """An empty window has no periods; naive datetimes are rejected."""
    s = sched(rot())
    assert timeline(s, at(2024, 6, 4), at(2024, 6, 4)) == []
    with pytest.raises(ValueError, match="naive"):
        on_call_at(s, datetime(2024, 6, 4))


def test_timeline_covers_the_window_and_merges_equal_periods() -> None:
    """A rotation [A, A] gives one period; the timeline starts and ends at the window."""
    s = sched(rot(participants=(A, A), start=at(2024, 6, 3, 9)))
    assert lengths(timeline(s, at(2024, 6, 3), at(2024, 6, 6))) == [9 * H, 3 * D - 9 * H]


# --- next_on_call ----------------------------------------------------------------


def test_next_on_call_is_the_following_period() -> None:
    """next_on_call returns the whole next period, start to end."""
    s = sched(rot(type="weekly", start=at(2024, 6, 4)))
    expected = Period(start=at(2024, 6, 11), end=at(2024, 6, 18), users=("B",), sources=("r",))
    assert expected == next_on_call(s, at(2024, 6, 5, 13))


def test_next_on_call_without_change_and_with_a_capped_end() -> None:
    """No change within the horizon: None; a last change: its end is capped at the horizon."""
    single = sched(rot(participants=(A,)))
    assert next_on_call(single, at(2024, 6, 4)) is None
    ending = sched(rot(participants=(A,), end=at(2024, 6, 20)))
    nxt = next_on_call(ending, at(2024, 6, 4))
    assert nxt == Period(start=at(2024, 6, 20), end=at(2024, 6, 20) + HORIZON, users=(), sources=())


# --- DST ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "fall_week", "spring_week"),
    [
        (CHICAGO, at(2024, 10, 29), at(2025, 3, 4)),
        (BERLIN, at(2024, 10, 22, tz=BERLIN), at(2025, 3, 25, tz=BERLIN)),
    ],
)
def test_weekly_tuesday_midnight_hand_off_across_dst(
    tz: ZoneInfo, fall_week: datetime, spring_week: datetime
) -> None:
    """Tuesday-midnight hand-offs stay at local midnight: 169 h at fall-back, 167 h at spring."""
    s = sched(rot(type="weekly", start=at(2024, 1, 2, tz=tz)), tz=str(tz))
    fall = timeline(s, fall_week - 7 * D, fall_week + 14 * D)
    assert lengths(fall) == [7 * 24 * H, 169 * H, 7 * 24 * H]
    assert all(p.start.astimezone(tz).hour == 0 for p in fall)
    spring = timeline(s, spring_week - 7 * D, spring_week + 14 * D)
    assert lengths(spring) == [7 * 24 * H, 167 * H, 7 * 24 * H]


def test_chicago_fall_back_week_in_utc() -> None:
    """The week containing the 2024 fall-back runs 2024-10-29 05:00Z to 2024-11-05 06:00Z."""
    s = sched(rot(type="weekly", start=at(2024, 1, 2)))
    period = timeline(s, at(2024, 10, 30), at(2024, 10, 31))[0]
    nxt = next_on_call(s, at(2024, 10, 25))
    assert nxt is not None
    assert (datetime(2024, 10, 29, 5, tzinfo=UTC), datetime(2024, 11, 5, 6, tzinfo=UTC)) == (
        nxt.start,
        nxt.end,
    )
    assert period.users == nxt.users


def test_hourly_rotation_uses_absolute_hours_across_dst() -> None:
    """Hourly turns are elapsed hours: the repeated hour at fall-back is a turn of its own."""
    s = sched(rot(type="hourly", start=at(2024, 11, 3)))
    periods = timeline(s, at(2024, 11, 3), at(2024, 11, 3, 4))
    assert lengths(periods) == [H] * 5
    assert [p.users for p in periods] == [("A",), ("B",), ("A",), ("B",), ("A",)]


def test_hand_off_at_a_nonexistent_time_happens_after_the_gap() -> None:
    """A daily 02:30 hand-off on the spring-forward day happens at 03:00 CDT."""
    s = sched(rot(start=at(2025, 3, 8, 2, 30)))
    periods = timeline(s, at(2025, 3, 8, 2, 30), at(2025, 3, 10, 2, 30))
    assert datetime(2025, 3, 9, 8, tzinfo=UTC) == periods[1].start
    assert lengths(periods) == [23.5 * H, 23.5 * H]
    assert users(s, datetime(2025, 3, 9, 8, tzinfo=UTC)) == ("B",)
    assert users(s, datetime(2025, 3, 9, 7, 59, tzinfo=UTC)) == ("A",)


def test_ambiguous_hand_off_uses_the_first_occurrence() -> None:
    """A daily 01:30 hand-off on the fall-back day happens at 01:30 CDT (fold=0)."""
    s = sched(rot(start=at(2024, 11, 2, 1, 30)))
    hand_off = datetime(2024, 11, 3, 6, 30, tzinfo=UTC)  # 01:30 CDT
    assert users(s, hand_off - timedelta(minutes=1)) == ("A",)
    assert users(s, hand_off) == ("B",)
    second_pass = datetime(2024, 11, 3, 7, 15, tzinfo=UTC)  # 01:15 CST, fold=1
    assert users(s, second_pass) == ("B",)
    periods = timeline(s, at(2024, 11, 2, 1, 30), at(2024, 11, 4, 1, 30))
    assert lengths(periods) == [24 * H, 25 * H]


def test_restriction_in_the_repeated_hour() -> None:
    """Window 00:00-01:30 ends at the first 01:30: the second 01:15 is outside it."""
    s = sched(rot(start=at(2024, 11, 1), restriction=tod(0, 90)))
    assert users(s, datetime(2024, 11, 3, 6, 15, tzinfo=UTC)) == ("A",)  # 01:15 CDT
    assert users(s, datetime(2024, 11, 3, 7, 15, tzinfo=UTC)) == ()  # 01:15 CST
    windows = [p for p in timeline(s, at(2024, 11, 3), at(2024, 11, 4)) if p.users]
    assert [90 * timedelta(minutes=1)] == lengths(windows)


def test_berlin_restriction_starting_in_the_gap() -> None:
    """A 02:30-04:00 window on Berlin's spring-forward day starts at 03:00 CEST."""
    s = sched(rot(start=at(2025, 3, 1, tz=BERLIN), restriction=tod(150, 240)), tz="Europe/Berlin")
    windows = [p for p in timeline(s, at(2025, 3, 30, tz=BERLIN), at(2025, 3, 31, tz=BERLIN))]
    on = [p for p in windows if p.users]
    assert [datetime(2025, 3, 30, 1, tzinfo=UTC)] == [p.start for p in on]
    assert lengths(on) == [H]


def test_compiled_schedules_are_memoised_within_a_bounded_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The memo table is cleared when full; answers do not depend on it."""
    monkeypatch.setattr(oncall, "_MEMO_SIZE", 1)
    first, second = sched(rot()), sched(rot(participants=(C,)))
    assert users(first, at(2024, 6, 4)) == ("B",)
    assert users(second, at(2024, 6, 4)) == ("C",)
    assert users(first, at(2024, 6, 4)) == ("B",)
    assert len(oncall._memo) == 1
