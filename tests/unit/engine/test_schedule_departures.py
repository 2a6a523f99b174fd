"""A participant leaving a rotation keeps whoever is on call (S27), and rotation starts
are stored truncated to the minute (S27's last bullet).

The departure cascade (``RemoveRecipient``) moves the rotation's start back by whole
turns so the participant on call at that instant keeps the turn, with the same
hand-off; an explicit ``UpdateRotation`` keeps the start it is given.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import schedules as sc
from engine.schedules.oncall import current_turn, on_call_at, rewound, timeline
from tests.helpers.decider import NOW, Decider

SCHEDULES: Decider[sc.SchedulesState, sc.ScheduleCommand, sc.ScheduleEvent] = Decider(
    sc.initial_state, sc.decide, sc.evolve
)
SID = "s1"
CHICAGO = "America/Chicago"
NONE = sc.Participant(type="none")


def people(*ids: str) -> tuple[sc.Participant, ...]:
    return tuple(NONE if i == "-" else sc.Participant(id=i) for i in ids)


def rotation(participants: tuple[sc.Participant, ...], **fields: object) -> sc.Rotation:
    values: dict[str, object] = {
        "id": "r1",
        "name": "primary",
        "type": "daily",
        "start": NOW - timedelta(days=1),
        "participants": participants,
    }
    return sc.Rotation(**(values | fields))  # type: ignore[arg-type]


def created(rot: sc.Rotation, timezone: str = "UTC") -> list[sc.ScheduleEvent]:
    create = sc.CreateSchedule(schedule_id=SID, name="ops", timezone=timezone, rotations=(rot,))
    return SCHEDULES.given().when(create, now=NOW).events


def remove(events: list[sc.ScheduleEvent], user: str, now: datetime) -> sc.SchedulesState:
    gone = sc.RemoveRecipient(recipient_type="user", id=user)
    return SCHEDULES.fold([*events, *SCHEDULES.given(events).when(gone, now=now).events])


def test_s27_deleting_a_user_keeps_the_on_call_person() -> None:
    """[A, B, C] with B active (index 1); A is deleted: the active index is 0, still B."""
    rot = rotation(people("A", "B", "C"))  # daily from yesterday: today is turn 1, B
    now = NOW + timedelta(hours=3)
    events = created(rot)
    assert current_turn(rot, "UTC", now).index % 3 == 1  # type: ignore[union-attr]
    assert on_call_at(SCHEDULES.fold(events).schedules[SID].schedule, now).users == ("B",)
    after = remove(events, "A", now).schedules[SID].schedule
    kept = after.rotations[0]
    assert people("B", "C") == kept.participants
    turn = current_turn(kept, "UTC", now)
    assert turn is not None
    assert turn.index % 2 == 0  # the active index becomes 0 ...
    assert on_call_at(after, now).users == ("B",)  # ... and the on-call person is still B
    # The shift keeps its hand-off, and C follows B.
    assert NOW + timedelta(days=1) == turn.end
    assert on_call_at(after, turn.end).users == ("C",)
    assert on_call_at(after, turn.end + timedelta(days=1)).users == ("B",)


def test_the_departure_records_no_change_of_who_is_on_call() -> None:
    """Keeping B on call, the removal emits the rotation update and no OnCallChanged."""
    events = created(rotation(people("A", "B", "C")))
    gone = sc.RemoveRecipient(recipient_type="user", id="A")
    emitted = SCHEDULES.given(events).when(gone, now=NOW + timedelta(hours=3)).events
    assert [type(e).__name__ for e in emitted] == ["RotationUpdated"]


def test_removing_the_on_call_participant_re_deals_the_turns() -> None:
    """B on call and B leaves: the start stays and turn 1 falls to C (somebody must)."""
    rot = rotation(people("A", "B", "C"))
    now = NOW + timedelta(hours=3)
    after = remove(created(rot), "B", now).schedules[SID].schedule
    assert rot.start == after.rotations[0].start
    assert on_call_at(after, now).users == ("C",)


def test_a_gap_on_call_keeps_its_turn() -> None:
    """A ``none`` slot holding the turn keeps it too: nobody stays on call."""
    rot = rotation(people("A", "-", "C"))
    now = NOW + timedelta(hours=3)
    after = remove(created(rot), "A", now).schedules[SID].schedule
    assert on_call_at(after, now).users == ()
    assert on_call_at(after, NOW + timedelta(days=1)).users == ("C",)


def test_a_future_rotation_re_deals() -> None:
    """No turn is current before the rotation starts: the list just shortens."""
    rot = rotation(people("A", "B"), start=NOW + timedelta(days=2))
    after = remove(created(rot), "A", NOW).schedules[SID].schedule
    assert rot.start == after.rotations[0].start
    assert people("B") == after.rotations[0].participants


def test_hand_offs_stay_at_local_midnight_across_dst() -> None:
    """A weekly Chicago rotation rewound over the fall-back still hands off at local midnight."""
    tz = ZoneInfo(CHICAGO)
    start = datetime(2024, 11, 5, tzinfo=tz)  # a Tuesday, after the fall-back
    rot = rotation(people("A", "B", "C", "D"), type="weekly", start=start)
    now = datetime(2024, 11, 20, 9, tzinfo=tz)  # turn 2: C
    events = created(rot, CHICAGO)
    before = SCHEDULES.fold(events).schedules[SID].schedule
    after = remove(events, "A", now).schedules[SID].schedule
    assert on_call_at(after, now).users == ("C",)
    # Moved back 2 turns (C, index 1 of [B, C, D], holds turn 2 + 2 = 4), over the fall-back:
    # still local midnight (elapsed time would have given 01:00 CDT).
    assert datetime(2024, 10, 22, tzinfo=tz) == after.rotations[0].start
    window = (now, now + timedelta(weeks=6))
    old = [p.start for p in timeline(before, *window)]
    new = [p.start for p in timeline(after, *window)]
    assert old == new
    assert all(p.astimezone(tz).hour == 0 for p in new[1:])


def test_a_start_that_would_fall_in_a_dst_gap_goes_back_a_round_further() -> None:
    """Rewinding onto a wall time inside a spring-forward gap tries one round further back."""
    tz = ZoneInfo(CHICAGO)
    start = datetime(2025, 3, 10, 2, 30, tzinfo=tz)  # daily hand-offs at 02:30
    rot = rotation(people("A", "B", "C"), start=start)
    now = datetime(2025, 3, 11, 12, tzinfo=tz)  # turn 1: B; removing A needs 1 turn back
    assert rewound(rot, CHICAGO, 1) is None  # 2025-03-09 02:30 does not exist in Chicago
    after = remove(created(rot, CHICAGO), "A", now).schedules[SID].schedule
    assert datetime(2025, 3, 7, 2, 30, tzinfo=tz) == after.rotations[0].start  # 3 turns back
    assert on_call_at(after, now).users == ("B",)
    assert on_call_at(after, datetime(2025, 3, 12, 3, tzinfo=tz)).users == ("C",)


def test_starts_in_a_gap_every_round_back_re_deal() -> None:
    """If every start tried falls in a gap, the turns re-deal (the list just shortens).

    53 weekly participants less one is 52 weeks a round, and the US spring-forward
    (second Sunday of March) falls 52 weeks apart in 2025, 2024, 2023 and 2022.
    """
    tz = ZoneInfo(CHICAGO)
    start = datetime(2025, 3, 16, 2, 30, tzinfo=tz)  # Sunday, a week after the gap
    users = [f"u{i:02}" for i in range(53)]
    rot = rotation(people(*users), type="weekly", start=start)
    now = start + timedelta(weeks=51 * 53, hours=1)  # turn 2703: u00 (slot 0)
    without = rotation(people(*(u for u in users if u != "u01")), type="weekly", start=start)
    # u00 keeps slot 0 of 52 in turn 2703 only 1 (mod 52) turns back: all in gaps.
    assert all(rewound(without, CHICAGO, 1 + 52 * j) is None for j in range(4))
    after = remove(created(rot, CHICAGO), "u01", now).schedules[SID].schedule
    assert start == after.rotations[0].start
    assert on_call_at(after, now).users == ("u52",)  # turn 2703 is slot 51 of 52


# -- the property -----------------------------------------------------------------------------

ZONES = ("America/Chicago", "Europe/Berlin", "UTC", "Australia/Sydney")
ANCHORS = (datetime(2024, 10, 30, tzinfo=UTC), datetime(2025, 3, 6, tzinfo=UTC))


@st.composite
def departures(draw: st.DrawFn) -> tuple[sc.Rotation, str, datetime, str]:
    """A started rotation, a zone, an instant in a turn, and a participant not holding it."""
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(ANCHORS))
    now = anchor + timedelta(minutes=draw(st.integers(0, 10 * 1440)))
    back = timedelta(minutes=draw(st.integers(0, 3 * 365 * 1440)))
    ids = draw(st.lists(st.sampled_from(("A", "B", "C", "D", "E", "-")), min_size=2, max_size=7))
    rot = rotation(
        people(*ids),
        type=draw(st.sampled_from(("hourly", "daily", "weekly", "custom"))),
        length=draw(st.integers(1, 4)),
        custom_unit=draw(st.sampled_from(("hours", "days"))),
        start=(now - back).replace(second=0, microsecond=0),
    )
    turn = current_turn(rot, zone, now)
    assert turn is not None
    active = rot.participants[turn.index % len(rot.participants)]
    others = sorted({p.id for p in rot.participants if p.type == "user" and p != active})
    return rot, zone, now, draw(st.sampled_from(others) if others else st.nothing())


@settings(max_examples=200, deadline=None)
@given(departures())
def test_removing_someone_not_on_call_keeps_the_turn(
    case: tuple[sc.Rotation, str, datetime, str],
) -> None:
    """Removing a participant who does not hold the turn keeps who is on call and the hand-off."""
    rot, zone, now, user = case
    create = sc.CreateSchedule(schedule_id=SID, name="ops", timezone=zone, rotations=(rot,))
    events = SCHEDULES.given().when(create, now=now).events
    before = SCHEDULES.fold(events).schedules[SID].schedule
    after = remove(events, user, now).schedules[SID].schedule
    kept = after.rotations[0]
    assert tuple(p for p in rot.participants if p.id != user) == kept.participants
    assert on_call_at(before, now) == on_call_at(after, now)
    old, new = current_turn(rot, zone, now), current_turn(kept, zone, now)
    assert old is not None
    assert new is not None
    assert old.end == new.end
    assert kept.start <= rot.start


# -- S27: the start truncated to the minute ---------------------------------------------------


def test_s27_a_rotation_update_stores_the_start_truncated_to_the_minute() -> None:
    """New York, start 1997-11-26T12:08:25-05:00, hourly, length 12: stored 17:08:00Z."""
    events = created(rotation(people("A")), "America/New_York")
    sent = datetime(1997, 11, 26, 12, 8, 25, tzinfo=ZoneInfo("America/New_York"))
    update = sc.UpdateRotation(
        schedule_id=SID, rotation=rotation(people("A"), type="hourly", length=12, start=sent)
    )
    state = SCHEDULES.fold([*events, *SCHEDULES.given(events).when(update).events])
    stored = state.schedules[SID].schedule.rotations[0]
    assert datetime(1997, 11, 26, 17, 8, tzinfo=UTC) == stored.start
    assert (stored.length, stored.type) == (12, "hourly")
