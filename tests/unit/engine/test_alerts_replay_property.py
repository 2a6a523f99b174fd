"""Replaying the events decide emitted rebuilds the live alerts state, whatever happened."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from hypothesis import given, settings

from engine.alerts import (
    AlertCommand,
    AlertCreated,
    AlertEvent,
    AlertsState,
    UnsnoozeAlert,
    decide,
    due_snoozes,
    evolve,
    initial_state,
)
from engine.errors import Rejected
from tests.strategies import BASE_TIME, alert_steps


def check_indexes(state: AlertsState) -> None:
    """Every index of ``state`` agrees with its alerts; at most one open alert per alias."""
    alerts = state.alerts.values()
    open_aliases = [a.alias for a in alerts if a.status == "open"]
    assert len(set(open_aliases)) == len(open_aliases)
    assert {a.alias: a.id for a in alerts if a.status == "open"} == state.open_by_alias
    assert {a.tiny_id: a.id for a in alerts} == state.by_tiny_id
    assert {
        a.id: a.snoozed_until for a in alerts if a.snoozed_until is not None
    } == state.snoozed_until
    assert all(a.status == "open" and a.snoozed for a in alerts if a.snoozed_until)
    assert sorted(a.id for a in alerts) == sorted(
        i for ids in state.ids_by_alias.values() for i in ids
    )
    assert all(
        state.alerts[i].alias == alias for alias, ids in state.ids_by_alias.items() for i in ids
    )
    assert all(a.tiny_id < state.next_tiny_id for a in alerts)


@settings(max_examples=200, deadline=None)
@given(steps=alert_steps)
def test_replaying_decided_events_rebuilds_the_live_state(
    steps: list[tuple[int, AlertCommand]],
) -> None:
    """Folding the JSON round-tripped log from initial_state equals the live state."""
    live = initial_state()
    log: list[AlertEvent] = []
    now = BASE_TIME
    last_tiny = 0
    for elapsed, command in steps:
        now += timedelta(seconds=elapsed)
        before = msgspec.json.encode(live)
        try:
            events = decide(live, command, now)
        except Rejected:
            events = []
        assert before == msgspec.json.encode(live), "decide mutated the state"
        for event in events:
            if isinstance(event, AlertCreated):
                assert event.tiny_id > last_tiny
                last_tiny = event.tiny_id
            evolve(live, event)
        log += events
        # The actor's timer: unsnooze whatever is due at this instant.
        for alert_id in due_snoozes(live, now):
            events = decide(live, UnsnoozeAlert(alert_id=alert_id), now)
            assert len(events) == 1
            evolve(live, events[0])
            log += events
        check_indexes(live)

    stored = msgspec.json.decode(msgspec.json.encode(log), type=list[AlertEvent])
    replayed = initial_state()
    for event in stored:
        replayed = evolve(replayed, event)
    assert live == replayed
