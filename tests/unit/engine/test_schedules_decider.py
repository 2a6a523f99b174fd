"""The schedules area: given/when/then over decide/evolve, validation, and the timer hooks.

Rotations here are single-participant or whole-day UTC ones, so the expected on-call
sets do not depend on the finer rotation arithmetic (``oncall.py`` has its own tests).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from engine import AddMember
from engine import schedules as sc
from engine.errors import Conflict, NotFound
from engine.org import decide as org_decide
from engine.org import due_commands, fold, initial_state, next_due
from tests.helpers.decider import NOW, Decider
from tests.unit.test_purity import violations

SCHEDULES: Decider[sc.SchedulesState, sc.ScheduleCommand, sc.ScheduleEvent] = Decider(
    sc.initial_state, sc.decide, sc.evolve
)
SID = "s1"
START = NOW - timedelta(days=1)
HASH = "a" * 64


def rotation(rid: str = "r1", users: tuple[str, ...] = ("ana",), **fields: object) -> sc.Rotation:
    values: dict[str, object] = {
        "id": rid,
        "name": f"rot {rid}",
        "type": "daily",
        "start": START,
        "participants": tuple(sc.Participant(id=u) for u in users),
    }
    return sc.Rotation(**(values | fields))  # type: ignore[arg-type]


def create(**fields: object) -> sc.CreateSchedule:
    values: dict[str, object] = {"schedule_id": SID, "name": "ops", "timezone": "Europe/Berlin"}
    return sc.CreateSchedule(**(values | fields))  # type: ignore[arg-type]


def history(*rotations: sc.Rotation, enabled: bool = True) -> list[sc.ScheduleEvent]:
    """The events of creating schedule ``ops`` with ``rotations`` at NOW."""
    return SCHEDULES.given().when(create(rotations=rotations, enabled=enabled)).events


def changed(at: datetime, off: tuple[str, ...], on: tuple[str, ...], **kw: object) -> object:
    users = kw.get("users", on)
    sources = kw.get("sources", ("r1",) if users else ())
    return sc.OnCallChanged(
        schedule_id=SID, at=at, went_off=off, came_on=on, users=users, sources=sources
    )  # type: ignore[arg-type]


def override(oid: str = "o1", user: str = "bob", **fields: object) -> sc.Override:
    values: dict[str, object] = {
        "id": oid,
        "user": user,
        "start": NOW - timedelta(hours=1),
        "end": NOW + timedelta(hours=1),
    }
    return sc.Override(**(values | fields))  # type: ignore[arg-type]


# -- create / update / delete ---------------------------------------------------------------


def test_create_records_the_schedule_and_who_is_on_call_now() -> None:
    """A schedule with a one-person rotation puts that person on call at creation."""
    events = history(rotation())
    assert [type(e).__name__ for e in events] == ["ScheduleCreated", "OnCallChanged"]
    assert changed(NOW, (), ("ana",)) == events[1]
    state = SCHEDULES.fold(events)
    record = state.schedules[SID]
    assert (record.on_call, record.checked_at, record.created_at) == (("ana",), NOW, NOW)


def test_create_without_rotations_has_nobody_on_call_and_normalises() -> None:
    """No rotations: only ScheduleCreated; name and owner team are stripped."""
    events = history()
    assert len(events) == 1
    state = SCHEDULES.given().when(create(name=" ops ", owner_team=" ")).then(events)
    assert (state.schedules[SID].schedule.name, state.schedules[SID].schedule.owner_team) == (
        "ops",
        None,
    )


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (create(schedule_id=""), "id"),
        (create(name=" "), "name"),
        (create(name="x" * 101), "name"),
        (create(name="a/b"), "name"),
        (create(timezone="Mars/Olympus"), "timezone"),
        (create(timezone="../etc"), "timezone"),
        (create(description="d" * 10001), "description"),
        (create(rotations=(rotation(rid=""),)), "id"),
        (create(rotations=(rotation(type="yearly"),)), "type"),
        (create(rotations=(rotation(length=0),)), "length"),
        (create(rotations=(rotation(custom_unit="weeks"),)), "customUnit"),
        (create(rotations=(rotation(start=datetime(2030, 1, 1)),)), "startDate"),
        (create(rotations=(rotation(end=START),)), "endDate"),
        (create(rotations=(rotation(end=datetime(2031, 1, 1)),)), "endDate"),
        (create(rotations=(rotation(users=()),)), "participants"),
        (create(rotations=(rotation(users=(" ",)),)), "participants"),
        (
            create(
                rotations=(rotation(participants=(sc.Participant(type="escalation", id="e"),)),)
            ),  # type: ignore[arg-type]
            "participants",
        ),
        (
            create(rotations=(rotation(participants=(sc.Participant(type="group", id="g"),)),)),  # type: ignore[arg-type]
            "participants",
        ),
        (
            create(rotations=(rotation(participants=(sc.Participant(type="team"),)),)),
            "participants",
        ),
    ],
)
def test_invalid_create_is_rejected_naming_the_field(
    command: sc.CreateSchedule, field: str
) -> None:
    """Bad schedule or rotation fields are rejected with the Opsgenie field name."""
    SCHEDULES.given().when(command).then_rejected("invalid_field", field=field)


def window(**fields: object) -> sc.TimeWindow:
    return sc.TimeWindow(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "restriction",
    [
        sc.Restriction(type="monthly", windows=(window(),)),  # type: ignore[arg-type]
        sc.Restriction(type="time-of-day", windows=()),
        sc.Restriction(type="time-of-day", windows=(window(), window())),
        sc.Restriction(type="time-of-day", windows=(window(end_minute=1440),)),
        sc.Restriction(type="time-of-day", windows=(window(start_day=1, end_day=2),)),
        sc.Restriction(type="weekday-and-time-of-day", windows=(window(start_day=1),)),
        sc.Restriction(type="weekday-and-time-of-day", windows=(window(start_day=0, end_day=8),)),
    ],
)
def test_invalid_restrictions_are_rejected(restriction: sc.Restriction) -> None:
    """Restriction type, window count, minutes and days are checked."""
    command = create(rotations=(rotation(restriction=restriction),))
    SCHEDULES.given().when(command).then_rejected("invalid_field", field="timeRestriction")


def test_valid_restrictions_and_none_participants_are_kept() -> None:
    """Weekday windows and a ``none`` gap slot pass validation unchanged."""
    weekdays = sc.Restriction(
        type="weekday-and-time-of-day",
        windows=(window(start_day=1, start_minute=540, end_day=5, end_minute=1020),),
    )
    slots = (sc.Participant(id=" ana "), sc.Participant(type="none", id="x"))
    rot = rotation(restriction=weekdays, participants=slots, end=NOW + timedelta(days=9))
    created = SCHEDULES.given().when(create(enabled=False, rotations=(rot,))).events[0]
    assert isinstance(created, sc.ScheduleCreated)
    kept = created.schedule.rotations[0]
    assert (sc.Participant(id="ana"), sc.Participant(type="none")) == kept.participants
    assert weekdays == kept.restriction


def conflict(case: object, command: sc.ScheduleCommand, code: str) -> None:
    """Assert deciding ``command`` against the case's state raises ``Conflict(code)``."""
    with pytest.raises(Conflict) as raised:
        case.when(command)  # type: ignore[attr-defined]
    assert code == raised.value.code


def test_names_and_ids_are_unique() -> None:
    """A taken name, a taken id, or repeated rotation ids conflict."""
    given = SCHEDULES.given(history())
    conflict(given, create(schedule_id="s2"), "schedule_exists")
    conflict(given, create(name="other"), "schedule_exists")
    twice = create(schedule_id="s2", name="b", rotations=(rotation(), rotation()))
    conflict(given, twice, "rotation_exists")
    given.when(sc.UpdateSchedule(schedule_id=SID, name="ops")).then([])
    both = SCHEDULES.given(
        [*history(), *SCHEDULES.given().when(create(schedule_id="s2", name="b")).events]
    )
    conflict(both, sc.UpdateSchedule(schedule_id="s2", name="ops"), "schedule_exists")


def test_update_changes_settings_and_disabling_takes_everyone_off() -> None:
    """Updating settings records them; disabling puts nobody on call at that instant."""
    later = NOW + timedelta(minutes=1)
    update = sc.UpdateSchedule(
        schedule_id=SID,
        name="ops2",
        timezone="UTC",
        description="d",
        enabled=False,
        owner_team=" sre ",
    )
    state = (
        SCHEDULES.given(history(rotation()))
        .when(update, now=later)
        .then(
            [
                sc.ScheduleUpdated(
                    schedule_id=SID,
                    at=later,
                    name="ops2",
                    timezone="UTC",
                    description="d",
                    enabled=False,
                    owner_team="sre",
                ),
                changed(later, ("ana",), (), users=(), sources=()),
            ]
        )
    )
    record = state.schedules[SID]
    assert ((), later, "sre") == (record.on_call, record.updated_at, record.schedule.owner_team)
    assert sc.due_at(record) is None
    clear = sc.UpdateSchedule(schedule_id=SID, owner_team="")
    state = (
        SCHEDULES.given(history(rotation()))
        .when(clear)
        .then(SCHEDULES.given(history(rotation())).when(clear).events)
    )
    assert state.schedules[SID].schedule.owner_team is None


def test_unknown_targets_are_not_found() -> None:
    """Unknown schedules, rotations, overrides and feeds are 404s."""
    SCHEDULES.given().when(sc.DeleteSchedule(schedule_id="nope")).then_rejected(
        "schedule_not_found"
    )
    given = SCHEDULES.given(history(rotation()))
    given.when(sc.UpdateRotation(schedule_id=SID, rotation=rotation("r9"))).then_rejected(
        "rotation_not_found"
    )
    given.when(sc.DeleteRotation(schedule_id=SID, rotation_id="r9")).then_rejected(
        "rotation_not_found"
    )
    given.when(sc.UpdateOverride(schedule_id=SID, override=override("o9"))).then_rejected(
        "override_not_found"
    )
    given.when(sc.DeleteOverride(schedule_id=SID, override_id="o9")).then_rejected(
        "override_not_found"
    )
    given.when(sc.RevokeFeedToken(token_id="f9")).then_rejected("feed_not_found")
    assert given.when(sc.RecordOnCall(schedule_id="nope")).events == []
    with pytest.raises(NotFound):
        sc.find_schedule(sc.initial_state(), "ops", by_name=True)


def test_find_schedule_by_id_or_name() -> None:
    """A schedule is found by its id, or by name when asked."""
    state = SCHEDULES.fold(history())
    assert sc.find_schedule(state, SID) is sc.find_schedule(state, "ops", by_name=True)


def test_schedule_id_of_takes_an_id_an_exact_name_then_a_name_in_any_case() -> None:
    state = SCHEDULES.fold(
        [*history(), *SCHEDULES.given().when(create(schedule_id="s2", name="OPS")).events]
    )
    assert sc.schedule_id_of(state, SID) == SID
    assert sc.schedule_id_of(state, "OPS") == "s2"  # the exact name before another's case
    assert sc.schedule_id_of(state, "ops") == SID
    assert sc.schedule_id_of(state, "Ops") == SID  # the first created of the two
    assert sc.schedule_id_of(state, "nope") is None


def test_delete_removes_the_schedule_and_its_feeds() -> None:
    """Deleting a schedule drops it and its feed tokens; user feeds stay."""
    feed = sc.CreateFeedToken(token_id="f1", kind="schedule", target=SID, token_hash=HASH)
    user_feed = sc.CreateFeedToken(token_id="f2", kind="user", target=" ana ", token_hash=HASH)
    events = [*history()]
    events += SCHEDULES.given(events).when(feed).events
    events += SCHEDULES.given(events).when(user_feed).events
    state = (
        SCHEDULES.given(events)
        .when(sc.DeleteSchedule(schedule_id=SID))
        .then([sc.ScheduleDeleted(schedule_id=SID, at=NOW)])
    )
    assert (state.schedules, list(state.feeds), state.feeds["f2"].target) == ({}, ["f2"], "ana")


# -- rotations and overrides ----------------------------------------------------------------


def test_rotation_add_update_delete() -> None:
    """Adding a rotation can put someone on call; updating swaps them; deleting ends it."""
    events = history()
    add = sc.AddRotation(schedule_id=SID, rotation=rotation())
    added = [
        sc.RotationAdded(schedule_id=SID, at=NOW, rotation=rotation()),
        changed(NOW, (), ("ana",)),
    ]
    SCHEDULES.given(events).when(add).then(added)
    events += added
    conflict(SCHEDULES.given(events), add, "rotation_exists")
    update = sc.UpdateRotation(schedule_id=SID, rotation=rotation(users=("bob",)))
    events += SCHEDULES.given(events).when(update).events
    assert changed(NOW, ("ana",), ("bob",)) == events[-1]
    ov = override(rotation_ids=("r1",))
    events += SCHEDULES.given(events).when(sc.AddOverride(schedule_id=SID, override=ov)).events
    delete = sc.DeleteRotation(schedule_id=SID, rotation_id="r1")
    state = SCHEDULES.given(events).when(delete).then(SCHEDULES.given(events).when(delete).events)
    schedule = state.schedules[SID].schedule
    assert (schedule.rotations, schedule.overrides, state.schedules[SID].on_call) == ((), (), ())


def test_deleting_a_rotation_keeps_overrides_of_other_rotations() -> None:
    """An override naming two rotations loses only the deleted one."""
    events = history(rotation(), rotation("r2", ("cat",)))
    ov = override(rotation_ids=("r1", "r2", "r1"))
    events += SCHEDULES.given(events).when(sc.AddOverride(schedule_id=SID, override=ov)).events
    events += (
        SCHEDULES.given(events)
        .when(sc.AddOverride(schedule_id=SID, override=override("o2")))
        .events
    )
    state = (
        SCHEDULES.given(events)
        .when(sc.DeleteRotation(schedule_id=SID, rotation_id="r1"))
        .then(
            SCHEDULES.given(events)
            .when(sc.DeleteRotation(schedule_id=SID, rotation_id="r1"))
            .events
        )
    )
    overrides = state.schedules[SID].schedule.overrides
    assert [(o.id, o.rotation_ids) for o in overrides] == [("o1", ("r2",)), ("o2", ())]


def test_overrides_get_increasing_sequences_and_are_validated() -> None:
    """Each added or updated override gets the next sequence; bad ones are rejected."""
    events = history(rotation())
    add = sc.AddOverride(schedule_id=SID, override=override(user=" bob "))
    events += SCHEDULES.given(events).when(add).events
    assert changed(NOW, ("ana",), ("bob",), sources=("o1",)) == events[-1]
    conflict(SCHEDULES.given(events), add, "override_exists")
    update = sc.UpdateOverride(schedule_id=SID, override=override(user="cat"))
    events += SCHEDULES.given(events).when(update).events
    state = SCHEDULES.fold(events)
    assert [(o.user, o.sequence) for o in state.schedules[SID].schedule.overrides] == [("cat", 2)]
    assert state.schedules[SID].next_sequence == 3
    given = SCHEDULES.given(events)
    for bad, field in [
        (override("o/2"), "alias"),
        (override("o2", user=" "), "user"),
        (override("o2", start=datetime(2030, 1, 1)), "startDate"),
        (override("o2", end=NOW - timedelta(hours=2)), "endDate"),
        (override("o2", rotation_ids=("r9",)), "rotations"),
    ]:
        given.when(sc.AddOverride(schedule_id=SID, override=bad)).then_rejected(
            "invalid_field", field=field
        )
    delete = sc.DeleteOverride(schedule_id=SID, override_id="o1")
    state = given.when(delete).then(given.when(delete).events)
    assert state.schedules[SID].on_call == ("ana",)


# -- feeds ----------------------------------------------------------------------------------


def test_feed_tokens_are_created_validated_and_revoked() -> None:
    """Feeds need a known schedule or a user, an id and a SHA-256; revoking removes them."""
    given = SCHEDULES.given(history())
    feed = sc.CreateFeedToken(token_id="f1", kind="schedule", target=SID, token_hash=HASH)
    events = given.when(feed).events
    assert [
        sc.FeedTokenCreated(token_id="f1", at=NOW, kind="schedule", target=SID, token_hash=HASH)
    ] == events
    bad = msgspec.structs.replace
    given.when(bad(feed, target="nope")).then_rejected("schedule_not_found")
    given.when(bad(feed, kind="user", target=" ")).then_rejected("invalid_field", field="user")
    given.when(bad(feed, token_hash="short")).then_rejected("invalid_field", field="token")
    conflict(SCHEDULES.given([*history(), *events]), feed, "feed_exists")
    revoke = sc.RevokeFeedToken(token_id="f1")
    state = (
        SCHEDULES.given([*history(), *events])
        .when(revoke)
        .then([sc.FeedTokenRevoked(token_id="f1", at=NOW)])
    )
    assert state.feeds == {}


# -- timers ---------------------------------------------------------------------------------


def test_next_due_is_the_next_hand_off_and_record_on_call_catches_up() -> None:
    """Two people taking daily turns: due at each hand-off; a late timer records each one."""
    events = history(rotation(users=("ana", "bob"), start=NOW))
    state = SCHEDULES.fold(events)
    first = NOW + timedelta(days=1)
    assert first == sc.next_due(state)
    assert sc.due_schedules(state, first - timedelta(seconds=1)) == []
    assert sc.due_schedules(state, first) == [SID]
    late = NOW + timedelta(days=2, hours=1)
    record = SCHEDULES.given(events).when(sc.RecordOnCall(schedule_id=SID), now=late)
    state = record.then(
        [changed(first, ("ana",), ("bob",)), changed(first + timedelta(days=1), ("bob",), ("ana",))]
    )
    assert NOW + timedelta(days=3) == sc.next_due(state)


def test_quiet_schedule_checkpoints_at_the_horizon() -> None:
    """Nothing changes for months: the timer is due at the horizon and records a checkpoint."""
    events = history(rotation())
    state = SCHEDULES.fold(events)
    horizon = NOW + sc.HORIZON
    assert horizon == sc.next_due(state)
    late = NOW + 2 * sc.HORIZON + timedelta(days=1)
    state = (
        SCHEDULES.given(events)
        .when(sc.RecordOnCall(schedule_id=SID), now=late)
        .then(
            [
                sc.OnCallChecked(schedule_id=SID, at=horizon),
                sc.OnCallChecked(schedule_id=SID, at=horizon + sc.HORIZON),
            ]
        )
    )
    assert horizon + 2 * sc.HORIZON == sc.next_due(state)


def test_catch_up_is_capped_per_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most MAX_CATCH_UP changes are recorded by one command."""
    monkeypatch.setattr("engine.schedules.decider.MAX_CATCH_UP", 3)
    events = history(rotation(users=("ana", "bob"), type="hourly", start=NOW))
    later = NOW + timedelta(hours=10)
    assert (
        len(SCHEDULES.given(events).when(sc.RecordOnCall(schedule_id=SID), now=later).events) == 3
    )


def test_edits_first_record_the_hand_offs_that_have_come() -> None:
    """An edit after a missed hand-off records it at its instant, then the edit."""
    events = history(rotation(users=("ana", "bob"), start=NOW))
    later = NOW + timedelta(days=1, hours=2)
    edit = sc.UpdateSchedule(schedule_id=SID, description="x")
    emitted = SCHEDULES.given(events).when(edit, now=later).events
    assert changed(NOW + timedelta(days=1), ("ana",), ("bob",)) == emitted[0]
    assert isinstance(emitted[1], sc.ScheduleUpdated)
    assert len(emitted) == 2


def test_evolve_ignores_events_of_unknown_schedules() -> None:
    """evolve is total: events for a schedule that is gone change nothing."""
    state = sc.initial_state()
    for event in [
        sc.OnCallChecked(schedule_id="gone", at=NOW),
        sc.FeedTokenRevoked(token_id="gone", at=NOW),
    ]:
        assert state is sc.evolve(state, event)
    assert sc.SchedulesState() == state
    assert sc.apply_edit(rotation_schedule(), sc.OnCallChecked(schedule_id=SID, at=NOW)) is None  # type: ignore[arg-type]


def rotation_schedule() -> sc.Schedule:
    return sc.Schedule(id=SID, name="ops", timezone="UTC")


def test_org_routes_commands_events_and_timers() -> None:
    """The org decider routes schedule commands and turns due hand-offs into RecordOnCall."""
    state = initial_state()
    for user in ("ana", "bob"):
        email = f"{user}@example.com"
        member = AddMember(account_id=user, email=email, role="member", actor_role="owner")
        fold(state, org_decide(state, member, NOW))
    events = org_decide(state, create(rotations=(rotation(users=("ana", "bob"), start=NOW),)), NOW)
    fold(state, events)
    assert state.schedules.schedules[SID].on_call == ("ana",)
    assert NOW + timedelta(days=1) == next_due(state)
    assert [sc.RecordOnCall(schedule_id=SID)] == due_commands(state, NOW + timedelta(days=1))


def test_area_modules_are_pure() -> None:
    """The area's own modules import no I/O and read no clock (style.md habit 1)."""
    root = Path(sc.__file__).parent
    for name in ("__init__", "commands", "events", "state", "decider"):
        assert violations((root / f"{name}.py").read_text()) == []
