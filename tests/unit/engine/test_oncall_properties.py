"""Properties of the on-call calculation over random schedules (hypothesis).

Instants are drawn around the 2024 fall-back and 2025 spring-forward so DST
hand-offs, gaps and repeated hours are exercised often.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.schedules.model import (
    Override,
    Participant,
    Period,
    Restriction,
    Rotation,
    Schedule,
    TimeWindow,
)
from engine.schedules.oncall import on_call_at, timeline

ZONES = ("America/Chicago", "Europe/Berlin", "UTC", "Australia/Sydney", "Asia/Kolkata")
ANCHORS = (datetime(2024, 10, 30, tzinfo=UTC), datetime(2025, 3, 6, tzinfo=UTC))
USERS = ("A", "B", "C", "D")

minutes = st.integers(0, 1439).map(lambda m: m - m % 30)  # half-hour edges collide often


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    anchor = draw(st.sampled_from(ANCHORS))
    return anchor + timedelta(minutes=draw(st.integers(0, 10 * 1440)) // 15 * 15)


@st.composite
def restrictions(draw: st.DrawFn) -> Restriction:
    if draw(st.booleans()):
        window = TimeWindow(start_minute=draw(minutes), end_minute=draw(minutes))
        return Restriction(type="time-of-day", windows=(window,))
    windows = draw(
        st.lists(
            st.builds(
                TimeWindow,
                start_day=st.integers(1, 7),
                start_minute=minutes,
                end_day=st.integers(1, 7),
                end_minute=minutes,
            ),
            max_size=3,
        )
    )
    return Restriction(type="weekday-and-time-of-day", windows=tuple(windows))


@st.composite
def rotations(draw: st.DrawFn, rid: str, restricted: bool = True) -> Rotation:
    start = draw(instants()) - timedelta(days=draw(st.sampled_from((0, 3, 40, 2000))))
    end = draw(st.none() | instants()) if restricted else None
    participants = draw(
        st.lists(
            st.sampled_from(USERS).map(lambda u: Participant(id=u))
            | st.just(Participant(type="none")),
            min_size=0 if restricted else 1,
            max_size=4,
        )
    )
    return Rotation(
        id=rid,
        name=rid,
        type=draw(st.sampled_from(("hourly", "daily", "weekly", "custom"))),
        length=draw(st.integers(1, 3)),
        custom_unit=draw(st.sampled_from(("hours", "days"))),
        start=start,
        end=end,
        participants=tuple(participants),
        restriction=draw(st.none() | restrictions()) if restricted else None,
    )


@st.composite
def overrides(draw: st.DrawFn, oid: str) -> Override:
    start = draw(instants())
    return Override(
        id=oid,
        user=draw(st.sampled_from(USERS)),
        start=start,
        end=start + timedelta(minutes=draw(st.integers(1, 3 * 1440))),
        rotation_ids=tuple(draw(st.lists(st.sampled_from(("r0", "r1", "r2")), max_size=2))),
        sequence=draw(st.integers(0, 3)),
    )


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    n = draw(st.integers(0, 3))
    return Schedule(
        id="s",
        name="s",
        timezone=draw(st.sampled_from(ZONES)),
        rotations=tuple(draw(rotations(f"r{i}")) for i in range(n)),
        overrides=tuple(draw(overrides(f"o{i}")) for i in range(draw(st.integers(0, 4)))),
    )


def merged(periods: list[Period]) -> list[Period]:
    out: list[Period] = []
    for p in periods:
        if out and (out[-1].users, out[-1].sources) == (p.users, p.sources):
            out[-1] = Period(start=out[-1].start, end=p.end, users=p.users, sources=p.sources)
        else:
            out.append(p)
    return out


@settings(max_examples=150, deadline=None)
@given(schedules(), instants(), st.integers(0, 3 * 1440), st.integers(1, 3 * 1440))
def test_timeline_splits_at_any_instant(schedule: Schedule, a: datetime, x: int, y: int) -> None:
    """timeline[a, c) is timeline[a, b) followed by timeline[b, c), merged at b."""
    b = a + timedelta(minutes=x)
    c = b + timedelta(minutes=y)
    whole = timeline(schedule, a, c)
    assert merged(timeline(schedule, a, b) + timeline(schedule, b, c)) == whole
    assert (whole[0].start, whole[-1].end) == (a, c)
    assert all(p.end == q.start for p, q in pairwise(whole))


@settings(max_examples=150, deadline=None)
@given(schedules(), instants(), st.integers(0, 2 * 1440 * 60 - 1))
def test_on_call_at_agrees_with_the_timeline(schedule: Schedule, a: datetime, s: int) -> None:
    """on_call_at(t) equals the timeline period containing t."""
    t = a + timedelta(seconds=s)
    containing = [p for p in timeline(schedule, a, a + timedelta(days=2)) if p.start <= t < p.end]
    assert len(containing) == 1
    now = on_call_at(schedule, t)
    assert (now.users, now.sources) == (containing[0].users, containing[0].sources)


@settings(max_examples=100, deadline=None)
@given(st.data(), st.sampled_from(ZONES), instants())
def test_exactly_one_participant_per_plain_rotation(
    data: st.DataObject, zone: str, t: datetime
) -> None:
    """An unrestricted, started, unended rotation has exactly one active slot at every instant."""
    rotation = data.draw(rotations("r", restricted=False))
    # Distinct ids per slot, so the active slot is identified by its user.
    slots = tuple(Participant(id=f"p{i}") for i in range(len(rotation.participants)))
    rotation = Rotation(**{**_fields(rotation), "participants": slots})
    schedule = Schedule(id="s", name="s", timezone=zone, rotations=(rotation,))
    t = max(t, rotation.start)
    assert len(on_call_at(schedule, t).users) == 1
    periods = timeline(schedule, t, t + timedelta(days=3))
    assert all(len(p.users) == 1 for p in periods)


def _fields(rotation: Rotation) -> dict[str, object]:
    return {f: getattr(rotation, f) for f in rotation.__struct_fields__}
