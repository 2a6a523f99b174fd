"""The integer fast path of ``on_call_at``: restriction edges and result building."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.schedules import oncall
from engine.schedules.model import Override, Participant, Rotation, Schedule
from engine.schedules.oncall import on_call_at, timeline

DAY, WEEK = 86_400, 7 * 86_400

windows = st.lists(
    st.one_of(
        st.tuples(st.just(DAY), st.integers(0, 1439), st.integers(0, 1439)),
        st.tuples(st.just(WEEK), st.integers(0, 7 * 1440 - 1), st.integers(0, 7 * 1440 - 1)),
    ).map(lambda w: (w[0], w[1] * 60, w[2] * 60)),
    max_size=4,
)


def covered(ws: list[tuple[int, int, int]], week_minute: int) -> bool:
    """The reference rule: a window whose end is not after its start wraps (equal: all)."""
    for cycle, start, end in ws:
        pos = week_minute * 60 % cycle
        if (start <= pos < end) if start < end else (pos >= start or pos < end):
            return True
    return False


@settings(max_examples=200, deadline=None)
@given(windows)
def test_restriction_edges_agree_with_the_window_rule(ws: list[tuple[int, int, int]]) -> None:
    """Every minute of the week is inside the edges exactly when a window covers it."""
    edges = oncall._edges(tuple(ws))
    assert list(edges) == sorted(set(edges))  # strictly increasing: merged spans
    expected = [covered(ws, m) for m in range(7 * 1440)]
    actual = [bool(bisect_right(edges, m) & 1) for m in range(7 * 1440)]
    assert expected == actual


def test_duplicate_rotation_ids_and_users_are_reported_once() -> None:
    """Two rotations with one id and one user give one user and one source, as the timeline."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rotation = Rotation(
        id="r", name="r", type="daily", start=start, participants=(Participant(id="A"),)
    )
    s = Schedule(id="s", name="s", timezone="UTC", rotations=(rotation, rotation))
    t = start + timedelta(days=3)
    now = on_call_at(s, t)
    assert (now.users, now.sources) == (("A",), ("r",))
    period = timeline(s, t, t + timedelta(hours=1))[0]
    assert (now.users, now.sources) == (period.users, period.sources)


def test_an_override_across_two_rotations_is_one_source() -> None:
    """A rotation-scoped override naming both rotations is listed once, before nobody else."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rotations = tuple(
        Rotation(id=r, name=r, type="weekly", start=start, participants=(Participant(id=u),))
        for r, u in (("r1", "A"), ("r2", "B"))
    )
    override = Override(
        id="o", user="C", start=start, end=start + timedelta(days=30), rotation_ids=("r1", "r2")
    )
    s = Schedule(id="s", name="s", timezone="UTC", rotations=rotations, overrides=(override,))
    now = on_call_at(s, start + timedelta(days=1))
    assert (now.users, now.sources) == (("C",), ("o",))


def test_an_empty_rotation_next_to_a_replaced_one_adds_nobody() -> None:
    """While an override replaces r2, r1 without participants (or on a gap) adds nobody."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    empty = Rotation(id="r1", name="r1", type="daily", start=start)
    gap = Rotation(
        id="r3", name="r3", type="daily", start=start, participants=(Participant(type="none"),)
    )
    a = Rotation(id="r2", name="r2", type="daily", start=start, participants=(Participant(id="A"),))
    override = Override(
        id="o", user="C", start=start, end=start + timedelta(days=30), rotation_ids=("r2",)
    )
    s = Schedule(id="s", name="s", timezone="UTC", rotations=(empty, a, gap), overrides=(override,))
    now = on_call_at(s, start + timedelta(days=1))
    assert (now.users, now.sources) == (("C",), ("o",))
