"""The org aggregate: routing, request idempotency, outcomes, timers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import (
    CloseAlertByAlias,
    CommandContext,
    Conflict,
    CreateAlert,
    CreateIntegration,
    DisableIntegration,
    EnableIntegration,
    Integration,
    Rejected,
    SnoozeAlert,
    UnsnoozeAlert,
)
from engine.access import CreateOrganization
from engine.org import (
    RequestRecorded,
    due_commands,
    encode_state,
    execute,
    fold,
    initial_state,
    next_due,
)
from engine.org.decider import IDEMPOTENCY_TTL
from tests.helpers.decider import NOW


def ctx(key: str | None = None, fingerprint: str = "f") -> CommandContext:
    return CommandContext(
        principal_kind="api_key", principal_id="k", idempotency_key=key, fingerprint=fingerprint
    )


def test_execute_routes_and_evolves_in_place() -> None:
    """execute decides, evolves the state it was given, and reports the outcome."""
    state = initial_state()
    events, outcome = execute(state, CreateAlert(alert_id="a1", message="m"), ctx(), NOW)
    assert len(events) == 1
    assert (
        outcome.result,
        outcome.alert_id,
        outcome.tiny_id,
        outcome.count,
    ) == ("created", "a1", 1, 1)
    assert state.version == 1
    _, org_outcome = execute(
        state, CreateOrganization(org_id="o", name="n", key_id="k", key_hash="h"), ctx(), NOW
    )
    assert (org_outcome.result, org_outcome.key_id) == ("updated", "k")
    assert state.version == 3


def test_dedup_outcome_names_the_existing_alert() -> None:
    """A duplicate create answers 'deduplicated' with the open alert's id and count."""
    state = initial_state()
    execute(state, CreateAlert(alert_id="a1", message="m", alias="x"), ctx(), NOW)
    _, outcome = execute(state, CreateAlert(alert_id="a2", message="m", alias="x"), ctx(), NOW)
    assert (outcome.result, outcome.alert_id, outcome.count) == ("deduplicated", "a1", 2)


def test_idempotency_key_is_recorded_as_an_event_and_replayed() -> None:
    """The first keyed request records its outcome; a retry returns it with no events."""
    state = initial_state()
    events, first = execute(state, CreateAlert(alert_id="a1", message="m"), ctx("K"), NOW)
    assert isinstance(events[-1], RequestRecorded)
    again_events, again = execute(state, CreateAlert(alert_id="a9", message="m"), ctx("K"), NOW)
    assert ([], first) == (again_events, again)
    with pytest.raises(Conflict):
        execute(state, CreateAlert(alert_id="a9", message="m"), ctx("K", "other"), NOW)
    assert encode_state(state) == encode_state(fold(initial_state(), events))


def test_noop_with_key_records_nothing() -> None:
    """A keyed command that changes nothing writes nothing, not even the key."""
    state = initial_state()
    execute(state, CreateAlert(alert_id="a1", message="m"), ctx(), NOW)
    events, outcome = execute(state, UnsnoozeAlert(alert_id="a1"), ctx("K"), NOW)
    assert (events, outcome.result) == ([], "noop")
    assert "K" not in state.requests


def test_idempotency_keys_expire_after_24_hours() -> None:
    """Keys older than the TTL are pruned as newer keys arrive, deterministically."""
    state = initial_state()
    execute(state, CreateAlert(alert_id="a1", message="m"), ctx("old"), NOW)
    later = NOW + IDEMPOTENCY_TTL + timedelta(seconds=1)
    execute(state, CreateAlert(alert_id="a2", message="m"), ctx("new"), later)
    assert list(state.requests) == ["new"]


def test_due_commands_follow_snooze_end() -> None:
    """next_due is the earliest snooze end; due_commands un-snoozes what is due."""
    state = initial_state()
    execute(state, CreateAlert(alert_id="a1", message="m"), ctx(), NOW)
    end = NOW + timedelta(hours=1)
    execute(state, SnoozeAlert(alert_id="a1", end_time=end), ctx(), NOW)
    assert end == next_due(state)
    assert due_commands(state, end - timedelta(seconds=1)) == []
    assert [UnsnoozeAlert(alert_id="a1")] == due_commands(state, end)


def test_alert_commands_through_a_disabled_integration_are_refused() -> None:
    """Decide refuses creates and by-alias closes of a disabled integration (the actor closes
    the race with a concurrent disable); enabled or unknown integrations pass."""
    state = initial_state()
    execute(
        state,
        CreateIntegration(integration_id="i1", name="am", kind="alertmanager", key_hash="h"),
        ctx(),
        NOW,
    )
    via = Integration(id="i1", name="am", type="alertmanager")
    execute(state, CreateAlert(alert_id="a1", message="m", alias="x", integration=via), ctx(), NOW)
    execute(state, DisableIntegration(integration_id="i1"), ctx(), NOW)
    for command in (
        CreateAlert(alert_id="a2", message="m", integration=via),
        CloseAlertByAlias(alias="x", integration_id="i1"),
    ):
        with pytest.raises(Rejected) as refused:
            execute(state, command, ctx(), NOW)
        assert refused.value.code == "integration_disabled"
    other = Integration(id="key-1", name="API", type="API")
    _, outcome = execute(
        state, CreateAlert(alert_id="a3", message="m", integration=other), ctx(), NOW
    )
    assert outcome.result == "created"
    execute(state, EnableIntegration(integration_id="i1"), ctx(), NOW)
    _, closed = execute(state, CloseAlertByAlias(alias="x", integration_id="i1"), ctx(), NOW)
    assert (closed.result, closed.alert_id) == ("updated", "a1")
