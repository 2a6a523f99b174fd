"""Overrides of nobody (Opsgenie's ``{"type": "none"}``): a window with nobody on call,
for the whole schedule or for the named rotations, e.g. a company holiday."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import schedules as sc
from engine.errors import Rejected
from engine.schedules.oncall import on_call_at, timeline
from tests.helpers.decider import NOW, Decider
from tests.unit.engine.test_oncall_properties import instants, schedules

SCHEDULES: Decider[sc.SchedulesState, sc.ScheduleCommand, sc.ScheduleEvent] = Decider(
    sc.initial_state, sc.decide, sc.evolve
)
SID = "s1"
H = timedelta(hours=1)
START = NOW - timedelta(days=10)


def rotation(rid: str, user: str) -> sc.Rotation:
    return sc.Rotation(
        id=rid, name=rid, type="weekly", start=START, participants=(sc.Participant(id=user),)
    )


def nobody(oid: str = "holiday", **fields: object) -> sc.Override:
    values: dict[str, object] = {
        "id": oid,
        "user": "",
        "user_type": "none",
        "start": NOW,
        "end": NOW + 24 * H,
    }
    return sc.Override(**(values | fields))  # type: ignore[arg-type]


def schedule(*overrides: sc.Override) -> sc.Schedule:
    return sc.Schedule(
        id=SID,
        name="ops",
        timezone="Europe/Berlin",
        rotations=(rotation("r1", "ana"), rotation("r2", "bob")),
        overrides=overrides,
    )


def test_nobody_is_on_call_for_the_whole_schedule_in_the_window() -> None:
    """A whole-schedule none override empties the on-call set; its alias is the source."""
    s = schedule(nobody())
    assert _who(s, NOW - H) == (("ana", "bob"), ("r1", "r2"))
    assert _who(s, NOW + H) == ((), ("holiday",))
    assert _who(s, NOW + 24 * H) == (("ana", "bob"), ("r1", "r2"))
    periods = timeline(s, NOW - H, NOW + 25 * H)
    assert [(p.users, p.sources) for p in periods if not p.users] == [((), ("holiday",))]
    assert [periods[1].start, periods[1].end] == [NOW, NOW + 24 * H]


def test_nobody_for_one_rotation_leaves_the_others() -> None:
    """A none override of r1 takes ana off; bob (r2) stays on call."""
    s = schedule(nobody(rotation_ids=("r1",)))
    assert _who(s, NOW + H) == (("bob",), ("holiday", "r2"))


def test_the_newest_override_wins_between_nobody_and_someone() -> None:
    """A newer cover beats an older holiday, and a newer holiday beats an older cover."""
    cover = sc.Override(id="cover", user="cat", start=NOW, end=NOW + 2 * H, sequence=2)
    assert _who(schedule(nobody(sequence=1), cover), NOW + H) == (("cat",), ("cover",))
    later = nobody(sequence=3)
    assert _who(schedule(cover, later), NOW + H) == ((), ("holiday",))


def _who(s: sc.Schedule, t: datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
    now = on_call_at(s, t)
    return now.users, now.sources


@st.composite
def with_nobody(draw: st.DrawFn) -> sc.Schedule:
    """A random schedule with some of its overrides turned into none overrides."""
    s = draw(schedules())
    overrides = tuple(
        msgspec.structs.replace(o, user="", user_type="none") if draw(st.booleans()) else o
        for o in s.overrides
    )
    return msgspec.structs.replace(s, overrides=overrides)


@settings(max_examples=150, deadline=None)
@given(with_nobody(), instants(), st.integers(0, 2 * 1440 * 60 - 1))
def test_on_call_at_agrees_with_the_timeline_with_nobody(
    s: sc.Schedule, a: datetime, seconds: int
) -> None:
    """With none overrides too, on_call_at(t) is the timeline period containing t."""
    t = a + timedelta(seconds=seconds)
    containing = [p for p in timeline(s, a, a + timedelta(days=2)) if p.start <= t < p.end]
    assert len(containing) == 1
    now = on_call_at(s, t)
    assert (containing[0].users, containing[0].sources) == (now.users, now.sources)


# -- the decider ------------------------------------------------------------------------------


def created() -> list[sc.ScheduleEvent]:
    command = sc.CreateSchedule(
        schedule_id=SID,
        name="ops",
        timezone="Europe/Berlin",
        rotations=(rotation("r1", "ana"),),
    )
    return SCHEDULES.given().when(command, now=START).events


def test_adding_a_holiday_records_that_nobody_is_on_call() -> None:
    """The override is stored as none, and the change it makes now is recorded."""
    add = sc.AddOverride(schedule_id=SID, override=nobody(start=NOW - H))
    events = SCHEDULES.given(created()).when(add).events
    assert (
        sc.OnCallChanged(
            schedule_id=SID,
            at=NOW,
            went_off=("ana",),
            came_on=(),
            users=(),
            sources=("holiday",),
        )
        == events[-1]
    )
    stored = SCHEDULES.fold([*created(), *events]).schedules[SID].schedule.overrides[0]
    assert (stored.user_type, stored.user) == ("none", "")


def test_the_timer_records_the_holiday_s_start_and_end() -> None:
    """The hand-off timer records nobody at the window's start and ana at its end."""
    add = sc.AddOverride(schedule_id=SID, override=nobody(start=NOW + H, end=NOW + 2 * H))
    events = [*created(), *SCHEDULES.given(created()).when(add).events]
    record = sc.RecordOnCall(schedule_id=SID)
    later = SCHEDULES.given(events).when(record, now=NOW + 3 * H).events
    assert [(e.at, e.users) for e in later if isinstance(e, sc.OnCallChanged)] == [
        (NOW + H, ()),
        (NOW + 2 * H, ("ana",)),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"user": "ana"}, "names nobody"),
        ({"user_type": "escalation"}, "a user, a team or none"),
        ({"user_type": "user", "user": " "}, "user is required"),
    ],
)
def test_bad_none_overrides_are_rejected(fields: dict[str, object], message: str) -> None:
    """A none override with an id, an unknown user type, or a blank user is a 422 on user."""
    add = sc.AddOverride(schedule_id=SID, override=nobody(**fields))
    rejected = SCHEDULES.given(created()).when(add).result
    assert isinstance(rejected, Rejected)
    assert (rejected.code, rejected.field) == ("invalid_field", "user")
    assert message in rejected.message


def test_removing_a_member_leaves_holidays_alone() -> None:
    """A departure deletes that member's overrides, never the none ones."""
    add = sc.AddOverride(schedule_id=SID, override=nobody())
    events = [*created(), *SCHEDULES.given(created()).when(add).events]
    gone = sc.RemoveRecipient(recipient_type="user", id="")
    emitted = SCHEDULES.given(events).when(gone).events
    assert not any(isinstance(e, sc.OverrideDeleted) for e in emitted)
