"""Schedules: replay rebuilds the live state exactly, and the hand-off timer makes progress.

Random interleavings of schedule commands — create, update (settings, enabling,
time zone), delete; rotations added, replaced and deleted; overrides of users,
teams and nobody, replaced and deleted; departures (``RemoveRecipient`` of a user or
a team); feeds — with time advancing in between and the area's timer firing
``RecordOnCall`` at every due-time on the way (as the actor runs it), over the
2025 US and EU spring-forwards. Then:

- folding the emitted events, encoded and decoded as the event store holds them,
  from scratch gives exactly the live state (compared encoded);
- after the timer has run, nothing is due at or before now (a firing timer always
  makes progress) and every schedule's recorded on-call set is ``on_call_at(now)``,
  also when the timer was down for a while (the catch-up records what it missed).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import schedules as sc
from engine.errors import PulsarError
from engine.org import decode_payloads, encode_event

START = datetime(2025, 3, 5, 9, 30, tzinfo=UTC)
SCHEDULE_IDS = ("s1", "s2")
ROTATION_IDS = ("r1", "r2", "r3")
OVERRIDE_IDS = ("o1", "o2")
USERS = ("u1", "u2", "u3")
ZONES = ("UTC", "America/Chicago", "Europe/Berlin")
HASH = "f" * 64

_participant = st.one_of(
    st.sampled_from(USERS).map(lambda u: sc.Participant(id=u)),
    st.just(sc.Participant(type="team", id="t1")),
    st.just(sc.Participant(type="none")),
)
_window = st.builds(
    sc.TimeWindow,
    start_minute=st.integers(0, 47).map(lambda h: h * 30),
    end_minute=st.integers(0, 47).map(lambda h: h * 30),
)
_restriction = st.none() | _window.map(lambda w: sc.Restriction(type="time-of-day", windows=(w,)))


@st.composite
def _rotation(draw: st.DrawFn) -> sc.Rotation:
    start = START + timedelta(minutes=draw(st.integers(-30 * 1440, 10 * 1440)) // 15 * 15)
    end = draw(st.none() | st.integers(1, 40 * 1440).map(lambda m: start + timedelta(minutes=m)))
    return sc.Rotation(
        id=draw(st.sampled_from(ROTATION_IDS)),
        name="rot",
        type=draw(st.sampled_from(("hourly", "daily", "weekly", "custom"))),
        length=draw(st.integers(1, 3)),
        custom_unit=draw(st.sampled_from(("hours", "days"))),
        start=start,
        end=end,
        participants=tuple(draw(st.lists(_participant, min_size=1, max_size=4))),
        restriction=draw(_restriction),
    )


@st.composite
def _override(draw: st.DrawFn) -> sc.Override:
    start = START + timedelta(minutes=draw(st.integers(-2 * 1440, 20 * 1440)) // 30 * 30)
    kind = draw(st.sampled_from(("user", "team", "none")))
    user = {"user": draw(st.sampled_from(USERS)), "team": "t1", "none": ""}[kind]
    return sc.Override(
        id=draw(st.sampled_from(OVERRIDE_IDS)),
        user=user,
        user_type=kind,  # type: ignore[arg-type]
        start=start,
        end=start + timedelta(minutes=draw(st.integers(30, 4 * 1440))),
        rotation_ids=tuple(draw(st.lists(st.sampled_from(("r1", "r2")), max_size=2))),
    )


_sid = st.sampled_from(SCHEDULE_IDS)
_command = st.one_of(
    st.builds(
        lambda sid, tz, rotations: sc.CreateSchedule(
            schedule_id=sid, name=sid, timezone=tz, rotations=tuple(rotations)
        ),
        _sid,
        st.sampled_from(ZONES),
        st.lists(_rotation(), max_size=2, unique_by=lambda r: r.id),
    ),
    st.builds(
        lambda sid, tz, on: sc.UpdateSchedule(schedule_id=sid, timezone=tz, enabled=on),
        _sid,
        st.none() | st.sampled_from(ZONES),
        st.none() | st.booleans(),
    ),
    st.builds(lambda sid: sc.DeleteSchedule(schedule_id=sid), _sid),
    st.builds(lambda sid, r: sc.AddRotation(schedule_id=sid, rotation=r), _sid, _rotation()),
    st.builds(lambda sid, r: sc.UpdateRotation(schedule_id=sid, rotation=r), _sid, _rotation()),
    st.builds(
        lambda sid, rid: sc.DeleteRotation(schedule_id=sid, rotation_id=rid),
        _sid,
        st.sampled_from(ROTATION_IDS),
    ),
    st.builds(lambda sid, o: sc.AddOverride(schedule_id=sid, override=o), _sid, _override()),
    st.builds(lambda sid, o: sc.UpdateOverride(schedule_id=sid, override=o), _sid, _override()),
    st.builds(
        lambda sid, oid: sc.DeleteOverride(schedule_id=sid, override_id=oid),
        _sid,
        st.sampled_from(OVERRIDE_IDS),
    ),
    st.builds(
        lambda kind, who: sc.RemoveRecipient(
            recipient_type=kind, id=who if kind == "user" else "t1"
        ),
        st.sampled_from(("user", "team")),
        st.sampled_from(USERS),
    ),
    st.builds(
        lambda fid, sid: sc.CreateFeedToken(
            token_id=fid, kind="schedule", target=sid, token_hash=HASH
        ),
        st.sampled_from(("f1", "f2")),
        _sid,
    ),
    st.builds(lambda fid: sc.RevokeFeedToken(token_id=fid), st.sampled_from(("f1", "f2"))),
)
# (minutes to advance, whether the timer was down meanwhile, the command)
_scenario = st.lists(
    st.tuples(st.integers(0, 3 * 1440), st.booleans(), _command), min_size=1, max_size=30
)


def _people(*ids: str) -> tuple[sc.Participant, ...]:
    return tuple(
        sc.Participant(type="none")
        if i == "-"
        else sc.Participant(type="team", id=i)
        if i.startswith("t")
        else sc.Participant(id=i)
        for i in ids
    )


def _setup_rotation(rid: str, kind: str, ids: tuple[str, ...], days: int) -> sc.Rotation:
    return sc.Rotation(
        id=rid,
        name=rid,
        type=kind,  # type: ignore[arg-type]
        start=START - timedelta(days=days),
        participants=_people(*ids),
    )


# Both schedules exist from the start, so most commands find what they edit.
SETUP: list[sc.ScheduleCommand] = [
    sc.CreateSchedule(
        schedule_id="s1",
        name="s1",
        timezone="America/Chicago",
        rotations=(
            _setup_rotation("r1", "daily", ("u1", "u2", "u3"), 40),
            _setup_rotation("r2", "hourly", ("u2", "t1", "-"), 3),
        ),
    ),
    sc.CreateSchedule(
        schedule_id="s2",
        name="s2",
        timezone="Europe/Berlin",
        rotations=(_setup_rotation("r1", "weekly", ("u3", "u1", "u2"), 400),),
    ),
    sc.CreateFeedToken(token_id="f1", kind="schedule", target="s1", token_hash=HASH),
]


def _encoded(state: sc.SchedulesState) -> bytes:
    return msgspec.json.encode(state)


@settings(max_examples=100, deadline=None)
@given(scenario=_scenario)
def test_schedules_replay_exactly_and_the_timer_makes_progress(
    scenario: list[tuple[int, bool, sc.ScheduleCommand]],
) -> None:
    live = sc.initial_state()
    log: list[sc.ScheduleEvent] = []
    now = START

    def run(command: sc.ScheduleCommand) -> None:
        try:
            events = sc.decide(live, command, now)
        except PulsarError:
            return
        for event in events:
            sc.evolve(live, event)
        log.extend(events)

    for command in SETUP:
        run(command)
    for minutes, down, command in scenario:
        target = now + timedelta(minutes=minutes)
        # The actor's timer: every due-time on the way fires at its own instant,
        # unless it was down (a restart): then the command and the timer catch up.
        while not down and (due := sc.next_due(live)) is not None and due <= target:
            now = max(now, due)
            for schedule_id in sc.due_schedules(live, now):
                run(sc.RecordOnCall(schedule_id=schedule_id))
            after = sc.next_due(live)
            assert after is None or after > now, "a timer fired without making progress"
        now = target
        run(command)
        for schedule_id in sc.due_schedules(live, now):
            run(sc.RecordOnCall(schedule_id=schedule_id))
        due = sc.next_due(live)
        assert due is None or due > now, "a timer fired without making progress"
        for record in live.schedules.values():
            expected = sc.on_call_at(record.schedule, now)
            assert (expected.users, expected.sources) == (record.on_call, record.sources)

    joined = b",".join(encode_event(event, b"{}").data for event in log)  # type: ignore[arg-type]
    replayed = sc.initial_state()
    for event in decode_payloads(joined):
        assert isinstance(event, sc.SCHEDULE_EVENT_TYPES)
        sc.evolve(replayed, event)
    assert _encoded(replayed) == _encoded(live)
