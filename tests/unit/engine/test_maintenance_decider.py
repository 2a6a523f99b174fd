"""The maintenance area: windows, their validation, boundaries, and what they cover."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from engine import escalations, integrations, maintenance
from engine.errors import Conflict, NotFound, Rejected
from engine.maintenance import (
    CancelMaintenance,
    CreateMaintenance,
    DeleteMaintenance,
    Maintenance,
    MaintenanceCancelled,
    MaintenanceCommand,
    MaintenanceCreated,
    MaintenanceDeleted,
    MaintenanceEnded,
    MaintenanceEntity,
    MaintenanceEvent,
    MaintenanceStarted,
    MaintenanceUpdated,
    RecordMaintenanceBoundary,
    UpdateMaintenance,
    covering,
    due_at,
    due_windows,
    effective_end,
    find_maintenance,
    maintenance_status,
    next_due,
)
from engine.org import OrgState, due_commands, fold
from engine.org import decide as org_decide
from engine.org import initial_state as org_initial_state
from engine.org import next_due as org_next_due
from tests.helpers.decider import NOW, Decider

WINDOWS = Decider(maintenance.initial_state, maintenance.decide, maintenance.evolve)
HOUR = timedelta(hours=1)
LATER = NOW + HOUR
WEB = MaintenanceEntity(type="integration", id="web")
DB = MaintenanceEntity(type="policy", id="db")
KEEP = MaintenanceEntity(type="policy", id="keep", state="enabled")


def created(
    window_id: str = "m1",
    start: datetime = LATER,
    end: datetime | None = LATER + HOUR,
    entities: tuple[MaintenanceEntity, ...] = (WEB,),
    at: datetime = NOW,
) -> MaintenanceCreated:
    return MaintenanceCreated(
        maintenance_id=window_id,
        description="",
        start=start,
        end=end,
        entities=entities,
        time_type="schedule",
        at=at,
    )


PLANNED = created()
ACTIVE = [created(start=NOW - HOUR), MaintenanceStarted(maintenance_id="m1", at=NOW - HOUR)]


def create(**fields: object) -> CreateMaintenance:
    body: dict[str, object] = {
        "maintenance_id": "m1",
        "start": LATER,
        "end": LATER + HOUR,
        "entities": (WEB,),
        **fields,
    }
    return msgspec.convert(body, CreateMaintenance, from_attributes=True)


def rejected(history: list[MaintenanceEvent], command: MaintenanceCommand, field: str) -> None:
    WINDOWS.given(history).when(command).then_rejected("invalid_field", field=field)


def conflict(history: list[MaintenanceEvent], command: MaintenanceCommand) -> str:
    with pytest.raises(Conflict) as raised:
        WINDOWS.given(history).when(command)
    return raised.value.code


# -- create --------------------------------------------------------------------------------


def test_a_scheduled_window_is_planned_until_its_start() -> None:
    """A future window is created alone; its start is the timer's next due-time."""
    state = (
        WINDOWS.given()
        .when(create(description="db upgrade"))
        .then([msgspec.structs.replace(PLANNED, description="db upgrade")])
    )
    window = find_maintenance(state, "m1")
    assert (window.started_at, window.ended_at, window.created_at) == (None, None, NOW)
    assert maintenance_status(window, NOW) == "planned"
    assert (next_due(state), due_windows(state, NOW)) == (LATER, [])
    assert due_windows(state, LATER) == ["m1"]


def test_a_window_starting_now_starts_in_the_same_batch() -> None:
    """A start not after now is recorded at once: MaintenanceStarted follows the creation."""
    state = (
        WINDOWS.given()
        .when(create(start=NOW, end=None, time_type="indefinitely"))
        .then(
            [
                msgspec.structs.replace(created(start=NOW, end=None), time_type="indefinitely"),
                MaintenanceStarted(maintenance_id="m1", at=NOW),
            ]
        )
    )
    window = state.windows["m1"]
    assert (
        maintenance_status(window, NOW),
        window.started_at,
        due_at(window),
    ) == ("active", NOW, None)
    assert next_due(state) is None


def test_entities_are_stripped_and_deduplicated() -> None:
    """The first of repeated entities is kept; ids lose their surrounding blanks."""
    entities = (MaintenanceEntity(type="integration", id=" web "), WEB, DB, KEEP)
    state = (
        WINDOWS.given().when(create(entities=entities)).then([created(entities=(WEB, DB, KEEP))])
    )
    assert state.windows["m1"].entities == (WEB, DB, KEEP)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"maintenance_id": ""}, "maintenance_id"),
        ({"maintenance_id": " m1"}, "maintenance_id"),
        ({"maintenance_id": "m" * 201}, "maintenance_id"),
        ({"start": datetime(2030, 1, 1)}, "start"),
        ({"end": datetime(2030, 1, 2)}, "end"),
        ({"end": LATER}, "end"),
        ({"start": NOW - 2 * HOUR, "end": NOW}, "end"),
        ({"description": "d" * 10001}, "description"),
        ({"entities": ()}, "entities"),
        (
            {"entities": tuple(MaintenanceEntity(type="policy", id=f"p{i}") for i in range(101))},
            "entities",
        ),
        ({"entities": (MaintenanceEntity(type="service", id="x"),)}, "entities"),
        ({"entities": (MaintenanceEntity(type="policy", id="x", state="on"),)}, "entities"),
        (
            {"entities": (MaintenanceEntity(type="integration", id="x", state="enabled"),)},
            "entities",
        ),
        ({"entities": (MaintenanceEntity(type="policy", id=" "),)}, "entities"),
        ({"entities": (MaintenanceEntity(type="policy", id="p" * 201),)}, "entities"),
        ({"time_type": "for-2-hours"}, "time_type"),
    ],
)
def test_create_checks_its_fields(fields: dict[str, object], field: str) -> None:
    """Ids, times (aware, end after start and in the future), 1-100 known entities, time type."""
    rejected([], create(**fields), field)


def test_limits_are_inclusive() -> None:
    """100 entities and a 10000-character description are allowed."""
    entities = tuple(MaintenanceEntity(type="policy", id=f"p{i}") for i in range(100))
    events = WINDOWS.given().when(create(entities=entities, description="d" * 10000)).events
    assert len(events[0].entities) == 100  # type: ignore[union-attr]


def test_a_window_id_is_used_once() -> None:
    """Creating a window with an existing id is maintenance_exists."""
    assert conflict([PLANNED], create()) == "maintenance_exists"


# -- boundaries ------------------------------------------------------------------------------


def test_the_timer_records_the_start_then_the_end() -> None:
    """RecordMaintenanceBoundary records what has come: nothing, the start, then the end."""
    WINDOWS.given([PLANNED]).when(RecordMaintenanceBoundary(maintenance_id="m1")).then([])
    started = MaintenanceStarted(maintenance_id="m1", at=LATER)
    state = (
        WINDOWS.given([PLANNED])
        .when(RecordMaintenanceBoundary(maintenance_id="m1"), now=LATER)
        .then([started])
    )
    assert (state.windows["m1"].started_at, next_due(state)) == (LATER, LATER + HOUR)
    end = LATER + HOUR
    ended = MaintenanceEnded(maintenance_id="m1", entities=(WEB,), at=end)
    state = (
        WINDOWS.given([PLANNED, started])
        .when(RecordMaintenanceBoundary(maintenance_id="m1"), now=end)
        .then([ended])
    )
    window = state.windows["m1"]
    assert (end, None, "past") == (
        window.ended_at,
        next_due(state),
        maintenance_status(window, end),
    )
    WINDOWS.given([PLANNED, started, ended]).when(
        RecordMaintenanceBoundary(maintenance_id="m1"), now=end + HOUR
    ).then([])


def test_a_window_missed_while_down_starts_and_ends_at_recovery() -> None:
    """Both boundaries, in order, when the timer first runs after the window's end."""
    late = LATER + 3 * HOUR
    WINDOWS.given([PLANNED]).when(RecordMaintenanceBoundary(maintenance_id="m1"), now=late).then(
        [
            MaintenanceStarted(maintenance_id="m1", at=late),
            MaintenanceEnded(maintenance_id="m1", entities=(WEB,), at=late),
        ]
    )


def test_recording_a_boundary_of_a_deleted_window_does_nothing() -> None:
    """A timer command never fails: an unknown window has no boundary."""
    WINDOWS.given().when(RecordMaintenanceBoundary(maintenance_id="gone")).then([])


def test_due_windows_are_ordered_by_due_time_then_id() -> None:
    """Several windows due at once come earliest first."""
    state = WINDOWS.fold(
        [
            created("b", start=LATER),
            created("a", start=LATER),
            created("c", start=NOW + 1 * HOUR / 2),
        ]
    )
    assert due_windows(state, LATER) == ["c", "a", "b"]
    assert next_due(state) == NOW + HOUR / 2


# -- update --------------------------------------------------------------------------------


def test_update_changes_a_planned_window() -> None:
    """Description, start, end, entities and time type change; the whole definition is recorded."""
    start = LATER + HOUR
    command = UpdateMaintenance(
        maintenance_id="m1",
        description="later",
        start=start,
        end=None,
        entities=(DB,),
        time_type="indefinitely",
    )
    state = (
        WINDOWS.given([PLANNED])
        .when(command, now=NOW + HOUR / 2)
        .then(
            [
                MaintenanceUpdated(
                    maintenance_id="m1",
                    description="later",
                    start=start,
                    end=None,
                    entities=(DB,),
                    time_type="indefinitely",
                    at=NOW + HOUR / 2,
                )
            ]
        )
    )
    window = state.windows["m1"]
    assert (window.end, window.updated_at, window.created_at) == (None, NOW + HOUR / 2, NOW)


def test_update_without_change_is_a_noop() -> None:
    """The same values (or none) emit nothing."""
    WINDOWS.given([PLANNED]).when(UpdateMaintenance(maintenance_id="m1")).then([])
    same = UpdateMaintenance(maintenance_id="m1", start=LATER, end=LATER + HOUR, entities=(WEB,))
    WINDOWS.given([PLANNED]).when(same).then([])


def test_moving_a_planned_start_into_the_past_starts_it() -> None:
    """A start moved to now or before starts the window in the same batch."""
    events = WINDOWS.given([PLANNED]).when(UpdateMaintenance(maintenance_id="m1", start=NOW)).events
    assert [MaintenanceUpdated, MaintenanceStarted] == [type(x) for x in events]


def test_an_end_moved_into_the_past_ends_the_window_at_once() -> None:
    """S38: setting an active window's end in the past records its end immediately."""
    end = NOW - HOUR / 2
    state = (
        WINDOWS.given(ACTIVE)
        .when(UpdateMaintenance(maintenance_id="m1", end=end))
        .then(
            [
                MaintenanceUpdated(
                    maintenance_id="m1",
                    description="",
                    start=NOW - HOUR,
                    end=end,
                    entities=(WEB,),
                    time_type="schedule",
                    at=NOW,
                ),
                MaintenanceEnded(maintenance_id="m1", entities=(WEB,), at=NOW),
            ]
        )
    )
    assert maintenance_status(state.windows["m1"], NOW) == "past"


def test_the_start_of_a_begun_window_cannot_move() -> None:
    """Once started (recorded, or by time), the start is fixed."""
    rejected(ACTIVE, UpdateMaintenance(maintenance_id="m1", start=NOW), "start")
    rejected([created(start=NOW)], UpdateMaintenance(maintenance_id="m1", start=LATER), "start")


def test_update_checks_its_fields() -> None:
    """Bad values are refused naming the field."""
    rejected([PLANNED], UpdateMaintenance(maintenance_id="m1", end=LATER - HOUR), "end")
    rejected(
        [PLANNED], UpdateMaintenance(maintenance_id="m1", description="d" * 10001), "description"
    )
    rejected([PLANNED], UpdateMaintenance(maintenance_id="m1", entities=()), "entities")
    rejected([PLANNED], UpdateMaintenance(maintenance_id="m1", time_type="x"), "time_type")


def test_past_and_cancelled_windows_cannot_change() -> None:
    """Updating or cancelling a window that is over is maintenance_over."""
    cancelled = [PLANNED, MaintenanceCancelled(maintenance_id="m1", at=NOW)]
    ended = [*ACTIVE, MaintenanceEnded(maintenance_id="m1", at=NOW)]
    for history in (cancelled, ended, [created(start=NOW - 2 * HOUR, end=NOW - HOUR)]):
        assert (
            conflict(history, UpdateMaintenance(maintenance_id="m1", description="x"))
            == "maintenance_over"
        )
        assert conflict(history, CancelMaintenance(maintenance_id="m1")) == "maintenance_over"


def test_unknown_windows_are_not_found() -> None:
    """Every command but the timer's names an existing window."""
    for command in (
        UpdateMaintenance(maintenance_id="x"),
        CancelMaintenance(maintenance_id="x"),
        DeleteMaintenance(maintenance_id="x"),
    ):
        WINDOWS.given([PLANNED]).when(command).then_rejected("maintenance_not_found")
    with pytest.raises(NotFound):
        find_maintenance(maintenance.initial_state(), "x")


# -- cancel and delete ---------------------------------------------------------------------


def test_cancelling_a_planned_window_never_starts_it() -> None:
    """A cancelled planned window has no boundary and stays listed as cancelled."""
    state = (
        WINDOWS.given([PLANNED])
        .when(CancelMaintenance(maintenance_id="m1"))
        .then([MaintenanceCancelled(maintenance_id="m1", at=NOW)])
    )
    window = state.windows["m1"]
    assert (
        maintenance_status(window, LATER),
        effective_end(window),
        next_due(state),
    ) == ("cancelled", NOW, None)


def test_cancelling_an_active_window_ends_it() -> None:
    """Cancel records the end at once (and the start first, if the timer had not yet)."""
    WINDOWS.given(ACTIVE).when(CancelMaintenance(maintenance_id="m1")).then(
        [
            MaintenanceCancelled(maintenance_id="m1", at=NOW),
            MaintenanceEnded(maintenance_id="m1", entities=(WEB,), at=NOW),
        ]
    )
    events = (
        WINDOWS.given([created(start=NOW - HOUR)])
        .when(CancelMaintenance(maintenance_id="m1"))
        .events
    )
    assert [MaintenanceCancelled, MaintenanceStarted, MaintenanceEnded] == [type(x) for x in events]


def test_deleting_an_active_window_ends_it_first() -> None:
    """An active window ends before it is deleted; others are just deleted."""
    state = (
        WINDOWS.given(ACTIVE)
        .when(DeleteMaintenance(maintenance_id="m1"))
        .then(
            [
                MaintenanceEnded(maintenance_id="m1", entities=(WEB,), at=NOW),
                MaintenanceDeleted(maintenance_id="m1", at=NOW),
            ]
        )
    )
    assert state.windows == {}
    gone = MaintenanceDeleted(maintenance_id="m1", at=NOW)
    WINDOWS.given([PLANNED]).when(DeleteMaintenance(maintenance_id="m1")).then([gone])
    ended = [*ACTIVE, MaintenanceEnded(maintenance_id="m1", at=NOW)]
    WINDOWS.given(ended).when(DeleteMaintenance(maintenance_id="m1"), now=LATER).then(
        [MaintenanceDeleted(maintenance_id="m1", at=LATER)]
    )


def test_evolve_ignores_events_of_unknown_windows() -> None:
    """evolve is total: events naming no window change nothing."""
    state = WINDOWS.fold(
        [
            MaintenanceStarted(maintenance_id="x", at=NOW),
            MaintenanceDeleted(maintenance_id="x", at=NOW),
            MaintenanceCancelled(maintenance_id="x", at=NOW),
        ]
    )
    assert state.windows == {}


# -- queries -------------------------------------------------------------------------------


def window(**fields: object) -> Maintenance:
    base: dict[str, object] = {
        "id": "m1",
        "description": "",
        "start": NOW,
        "end": LATER,
        "entities": (WEB, DB, KEEP),
        "created_at": NOW,
        "updated_at": NOW,
        **fields,
    }
    return msgspec.convert(base, Maintenance, from_attributes=True)


def test_covering_finds_the_window_silencing_an_integration_or_a_policy() -> None:
    """During [start, end) a disabled entity is covered; an enabled policy rule is not."""
    state = maintenance.initial_state()
    state.windows["m1"] = window()
    assert state.windows["m1"] is covering(state, NOW, "web", ())
    assert state.windows["m1"] is covering(state, NOW, None, ["other", "db"])
    assert covering(state, NOW, None, ["keep"]) is None
    assert covering(state, NOW, "other", ["other"]) is None
    assert covering(state, NOW - timedelta(seconds=1), "web", ()) is None
    assert covering(state, LATER, "web", ()) is None


def test_covering_prefers_the_earliest_started_window() -> None:
    """Of several covering windows, the one that started first (then the lower id)."""
    state = maintenance.initial_state()
    state.windows["b"] = window(id="b", start=NOW - HOUR)
    state.windows["a"] = window(id="a", start=NOW - HOUR)
    state.windows["c"] = window(id="c", start=NOW - 2 * HOUR, cancelled_at=NOW - HOUR / 2)
    state.windows["d"] = window(id="d", end=None)
    assert covering(state, NOW, "web", ()).id == "a"  # type: ignore[union-attr]
    assert covering(state, NOW - HOUR, "web", ()).id == "c"  # type: ignore[union-attr]
    assert covering(state, LATER + 10 * HOUR, "web", ()).id == "d"  # type: ignore[union-attr]


def test_status_and_effective_end() -> None:
    """Status follows the clock; a cancel ends the window early."""
    assert [maintenance_status(window(), t) for t in (NOW - HOUR, NOW, LATER)] == [
        "planned",
        "active",
        "past",
    ]
    assert maintenance_status(window(end=None), LATER) == "active"
    assert maintenance_status(window(cancelled_at=NOW), NOW - HOUR) == "cancelled"
    assert effective_end(window(cancelled_at=NOW)) == NOW
    assert effective_end(window(end=None)) is None
    assert effective_end(window(cancelled_at=LATER + HOUR)) == LATER


def test_due_at_follows_the_recorded_boundaries() -> None:
    """Start until recorded, then the end; nothing once ended or if cancelled before start."""
    assert due_at(window()) == NOW
    assert due_at(window(started_at=NOW)) == LATER
    assert due_at(window(started_at=NOW, end=None)) is None
    assert due_at(window(started_at=NOW, ended_at=LATER)) is None
    assert due_at(window(cancelled_at=NOW - HOUR)) is None
    assert due_at(window(started_at=NOW, cancelled_at=NOW - HOUR / 2)) == NOW - HOUR / 2


def test_times_compare_across_utc_offsets() -> None:
    """A window given in another offset covers the same instants."""
    plus_two = timezone(timedelta(hours=2))
    state = maintenance.initial_state()
    state.windows["m1"] = window(start=NOW.astimezone(plus_two), end=LATER.astimezone(plus_two))
    assert covering(state, NOW, "web", ()) is not None


# -- the organization ---------------------------------------------------------------------


def org_with_entities() -> OrgState:
    state = org_initial_state()
    integration = integrations.IntegrationCreated(
        integration_id="web",
        name="web",
        kind="api",
        key_hash="h",
        team="",
        priority_label="severity",
        mapping=integrations.FieldMapping(),
        at=NOW,
    )
    policy = escalations.EscalationPolicy(
        id="db",
        name="DB",
        description="",
        owner_team_id=None,
        rules=(),
        repeat=escalations.Repeat(),
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    return fold(state, [integration, escalations.EscalationPolicyCreated(policy=policy, at=NOW)])


def test_the_organization_checks_that_entities_exist() -> None:
    """Unknown integrations and policies (another organization's too): invalid entities."""
    state = org_with_entities()
    assert org_decide(state, create(entities=(WEB, DB)), NOW)
    for entity in (
        MaintenanceEntity(type="integration", id="db"),
        MaintenanceEntity(type="policy", id="web"),
    ):
        with pytest.raises(Rejected) as raised:
            org_decide(state, create(entities=(entity,)), NOW)
        assert (raised.value.code, raised.value.field) == ("invalid_field", "entities")
    update = UpdateMaintenance(
        maintenance_id="m1", entities=(MaintenanceEntity(type="policy", id="x"),)
    )
    with pytest.raises(Rejected):
        org_decide(state, update, NOW)


def test_the_organization_timer_records_boundaries() -> None:
    """next_due includes the window's start; due_commands records it."""
    state = org_with_entities()
    fold(state, org_decide(state, create(), NOW))
    assert org_next_due(state) == LATER
    assert [RecordMaintenanceBoundary(maintenance_id="m1")] == due_commands(state, LATER)
