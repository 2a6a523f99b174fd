"""Out-of-order webhooks, as a property: whatever order firings and resolves arrive in,
a firing is stale exactly when a resolve of its integration and alias already ended at or
after its start, and the log of what was decided rebuilds the same state."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.alerts import (
    AlertCreated,
    AlertEvent,
    AliasEvent,
    CloseAlertByAlias,
    CreateAlert,
    Integration,
    decide,
    evolve,
    initial_state,
)
from tests.strategies import BASE_TIME

INTEGRATIONS = ("i1", "i2")
# the sender's timestamps: a few instants, so starts and ends often tie or cross
instants = st.integers(0, 6).map(lambda m: BASE_TIME + timedelta(minutes=m))
firing = st.builds(
    lambda n, alias, integration, starts_at: CreateAlert(
        alert_id=f"a{n}",
        message="m",
        alias=alias,
        integration=Integration(id=integration, name=integration, type="alertmanager"),
        starts_at=starts_at,
    ),
    st.integers(0, 10**6),
    st.sampled_from(["fp1", "fp2"]),
    st.sampled_from(INTEGRATIONS),
    st.none() | instants,
)
resolve = st.builds(
    CloseAlertByAlias,
    alias=st.sampled_from(["fp1", "fp2"]),
    integration_id=st.sampled_from(INTEGRATIONS),
    ends_at=st.none() | instants,
)


@settings(max_examples=300, deadline=None)
@given(commands=st.lists(firing | resolve, max_size=40))
def test_a_firing_is_stale_exactly_when_its_episode_already_ended(
    commands: list[CreateAlert | CloseAlertByAlias],
) -> None:
    live = initial_state()
    log: list[AlertEvent | AliasEvent] = []
    ended: dict[tuple[str, str], datetime] = {}  # the model: latest end per sender and alias
    now = BASE_TIME + timedelta(days=1)
    for step, command in enumerate(commands):
        if isinstance(command, CreateAlert):  # fresh ids: a create never collides
            command = msgspec.structs.replace(command, alert_id=f"{command.alert_id}-{step}")
        events = decide(live, command, now)
        if isinstance(command, CreateAlert):
            key = (command.integration.id if command.integration else "", command.alias)
            stale = (
                command.starts_at is not None and key in ended and command.starts_at <= ended[key]
            )
            assert stale == (events == [])
            if not stale and command.alias not in live.open_by_alias:
                assert isinstance(events[0], AlertCreated)
        elif command.ends_at is not None:
            key = (command.integration_id, command.alias)
            ended[key] = max(ended.get(key, command.ends_at), command.ends_at)
        for event in events:
            evolve(live, event)
        log += events
    assert {i: {a: t for (j, a), t in ended.items() if j == i} for i, _ in ended} == (
        live.resolved_until
    )
    stored = msgspec.json.decode(msgspec.json.encode(log), type=list[AlertEvent | AliasEvent])
    replayed = initial_state()
    for event in stored:
        replayed = evolve(replayed, event)
    assert live == replayed
