"""Out-of-order webhooks, as a property: whatever order firings and resolves arrive in, and
however far apart,

- a firing is stale exactly when a resolve of its integration and alias, still remembered,
  already ended at or after its start;
- a resolve closes its integration's open alert exactly when that alert's episode did not
  start after the resolve's end (the mirror case: a late resolve leaves a newer alert open),
  the episode starting at the latest start of the sender's firings that opened or
  deduplicated into it;
- the remembered ends are those recorded within ``RESOLVED_HORIZON`` of the last sweep
  (one a ``RESOLVED_SWEEP_EVERY`` at most), so never older than both together;
- the log of what was decided rebuilds the same state, byte for byte (I7).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.alerts import (
    RESOLVED_HORIZON,
    RESOLVED_SWEEP_EVERY,
    AlertClosed,
    AlertCreated,
    AlertEvent,
    AliasEvent,
    CloseAlertByAlias,
    CreateAlert,
    EpisodeEnd,
    Integration,
    decide,
    episode_key,
    evolve,
    initial_state,
)
from tests.strategies import BASE_TIME

INTEGRATIONS = ("i1", "i2")
# the sender's timestamps: a few instants, so starts and ends often tie or cross
instants = st.integers(0, 6).map(lambda m: BASE_TIME + timedelta(minutes=m))
# the actor's clock between two commands: the same batch, a minute, or days (past the horizon)
gaps = st.sampled_from([timedelta(0), timedelta(minutes=1), timedelta(days=3), timedelta(days=8)])
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
@given(steps=st.lists(st.tuples(gaps, firing | resolve), max_size=40))
def test_firings_and_resolves_are_stale_exactly_when_their_episode_is_not_the_alert_s(
    steps: list[tuple[timedelta, CreateAlert | CloseAlertByAlias]],
) -> None:
    live = initial_state()
    log: list[AlertEvent | AliasEvent] = []
    # the model: per sender and alias, the latest end and when it was recorded, oldest first
    ended: dict[tuple[str, str], tuple[datetime, datetime]] = {}
    opened: dict[str, tuple[str, datetime | None]] = {}  # alias -> the open alert's sender, start
    swept: datetime | None = None
    now = BASE_TIME + timedelta(days=1)
    for step, (gap, command) in enumerate(steps):
        now += gap
        if isinstance(command, CreateAlert):  # fresh ids: a create never collides
            command = msgspec.structs.replace(command, alert_id=f"{command.alert_id}-{step}")
        events = decide(live, command, now)
        if isinstance(command, CreateAlert):
            sender = command.integration.id if command.integration else ""
            end = ended.get((sender, command.alias))
            stale = (
                command.starts_at is not None and end is not None and command.starts_at <= end[0]
            )
            assert stale == (events == [])
            owner = opened.get(command.alias)
            if not stale and owner is None:
                assert isinstance(events[0], AlertCreated)
                opened[command.alias] = (sender, command.starts_at)
            elif not stale and owner is not None and owner[0] == sender:
                # a firing of its own sender deduplicated: a later start moves the alert's
                starts = [t for t in (owner[1], command.starts_at) if t is not None]
                opened[command.alias] = (sender, max(starts, default=None))
        else:
            owner = opened.get(command.alias)
            ends_at, start = command.ends_at, owner[1] if owner is not None else None
            earlier = ends_at is not None and start is not None and ends_at < start
            closes = owner is not None and owner[0] == command.integration_id and not earlier
            assert closes == any(isinstance(event, AlertClosed) for event in events)
            if closes:
                del opened[command.alias]
            key = (command.integration_id, command.alias)
            if ends_at is not None and (key not in ended or ends_at > ended[key][0]):
                ended[key] = (ends_at, now)
                if swept is None or now - swept >= RESOLVED_SWEEP_EVERY:
                    ended = {k: v for k, v in ended.items() if v[1] >= now - RESOLVED_HORIZON}
                    swept = now
        for event in events:
            evolve(live, event)
        log += events
    assert [
        (episode_key(*key), EpisodeEnd(ends_at=end, recorded_at=at))
        for key, (end, at) in ended.items()
    ] == list(live.resolved_until.items())
    assert swept == live.resolved_swept_at
    newest = max((at for _, at in ended.values()), default=now)
    oldest = newest - RESOLVED_HORIZON - RESOLVED_SWEEP_EVERY  # the bound
    assert all(oldest < end.recorded_at for end in live.resolved_until.values())
    stored = msgspec.json.decode(msgspec.json.encode(log), type=list[AlertEvent | AliasEvent])
    replayed = initial_state()
    for event in stored:
        replayed = evolve(replayed, event)
    assert msgspec.json.encode(live) == msgspec.json.encode(replayed)
