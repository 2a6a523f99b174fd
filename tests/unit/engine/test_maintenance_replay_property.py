"""Maintenance commands, with the timer recording boundaries, replay exactly from their events."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import maintenance
from engine.errors import Conflict, Rejected
from engine.maintenance import (
    CancelMaintenance,
    CreateMaintenance,
    DeleteMaintenance,
    MaintenanceCommand,
    MaintenanceEnded,
    MaintenanceEntity,
    MaintenanceEvent,
    MaintenanceStarted,
    MaintenanceState,
    RecordMaintenanceBoundary,
    UpdateMaintenance,
)
from tests.strategies import BASE_TIME, mostly

ids = st.sampled_from(["m1", "m2", "m3"])
offsets = st.integers(min_value=-120, max_value=600).map(lambda m: BASE_TIME + timedelta(minutes=m))
valid_entities = st.lists(
    st.builds(
        MaintenanceEntity,
        type=st.sampled_from(["integration", "policy"]),
        id=st.sampled_from(["a", "b", " b"]),
    ),
    min_size=1,
    max_size=3,
).map(tuple)
invalid_entities = st.sampled_from(
    [(), (MaintenanceEntity(type="service", id="a"),), (MaintenanceEntity(type="policy", id=""),)]
)
entities = mostly(valid_entities, invalid_entities, odds=10)
ends = st.one_of(st.none(), offsets)

creates = st.builds(
    CreateMaintenance, maintenance_id=ids, start=offsets, end=ends, entities=entities
)
commands: st.SearchStrategy[MaintenanceCommand] = st.one_of(
    creates,
    creates,
    st.builds(
        UpdateMaintenance,
        maintenance_id=ids,
        description=st.one_of(st.none(), st.sampled_from(["", "upgrade"])),
        start=st.one_of(st.none(), offsets),
        end=st.one_of(st.just(msgspec.UNSET), ends),
        entities=st.one_of(st.none(), entities),
    ),
    st.builds(CancelMaintenance, maintenance_id=ids),
    st.builds(DeleteMaintenance, maintenance_id=ids),
)
steps = st.lists(st.tuples(st.integers(min_value=0, max_value=90), commands), max_size=40)

_events = msgspec.json.Decoder(list[MaintenanceEvent])


def check_invariants(state: MaintenanceState, log: list[MaintenanceEvent]) -> None:
    """An end is recorded only after a start, and each boundary at most once per window."""
    for window in state.windows.values():
        if window.ended_at is not None:
            assert window.started_at is not None
        for kind in (MaintenanceStarted, MaintenanceEnded):
            recorded = [e for e in log if isinstance(e, kind) and e.maintenance_id == window.id]
            assert len(recorded) <= 1 or any(
                isinstance(e, maintenance.MaintenanceDeleted) for e in log
            )


@settings(max_examples=300, deadline=None)
@given(steps=steps)
def test_replaying_maintenance_events_rebuilds_the_live_state(
    steps: list[tuple[int, MaintenanceCommand]],
) -> None:
    """Folding the encoded log from the initial state gives the live state, timer included."""
    live = maintenance.initial_state()
    log: list[MaintenanceEvent] = []
    now: datetime = BASE_TIME
    for elapsed, command in steps:
        now += timedelta(minutes=elapsed)
        due = [
            RecordMaintenanceBoundary(maintenance_id=i) for i in maintenance.due_windows(live, now)
        ]
        for each in [*due, command]:
            before = msgspec.json.encode(live)
            try:
                events = maintenance.decide(live, each, now)
            except (Rejected, Conflict):
                assert before == msgspec.json.encode(live), "a refused command changed the state"
                continue
            for event in events:
                maintenance.evolve(live, event)
            log += events
        # Every change records the boundaries it implies, and the timer the rest: none is overdue.
        pending = maintenance.next_due(live)
        assert pending is None or pending > now
    check_invariants(live, log)
    replayed = maintenance.initial_state()
    for event in _events.decode(msgspec.json.encode(log)):
        maintenance.evolve(replayed, event)
    assert msgspec.json.encode(live) == msgspec.json.encode(replayed)
