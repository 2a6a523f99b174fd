"""The engine's actors over a real PostgreSQL: snapshots, restart, crash recovery (I1, I7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import trio

from engine import (
    AcknowledgeAlert,
    CommandContext,
    CreateAlert,
    SnoozeAlert,
    TrioClock,
    Unavailable,
    create_organization,
    decode_events,
    load_state,
    new_id,
    open_org_supervisor,
    verify_replay,
)
from engine.org import SNAPSHOT_SCHEMA_VERSION, encode_state, fold, initial_state
from engine.runtime.snapshots import FORK_MIN_ALERTS
from eventstore import open_postgres_store
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres
CTX = CommandContext(principal_kind="api_key", principal_id="k")


def create(i: int) -> CreateAlert:
    return CreateAlert(alert_id=new_id(), message=f"m{i}", alias=f"a{i % 7}")


@pytest.mark.parametrize("fork_from", [FORK_MIN_ALERTS, 0], ids=["inline", "forked"])
async def test_snapshot_plus_tail_equals_full_replay(fork_from: int) -> None:
    """With snapshots every 10 events, loading gives the same state as folding everything,
    whether the actor encodes its snapshots itself or in a forked child."""
    async with fresh_database() as dsn, open_postgres_store(dsn) as store:
        clock = TrioClock()
        org_id, _ = await create_organization(store, clock, "acme")
        options = {"snapshot_every": 10, "fork_snapshots_from": fork_from}
        async with open_org_supervisor(store, clock, **options) as sup:
            for i in range(37):
                await sup.submit(org_id, create(i), CTX)
            live = encode_state(await sup.read(org_id, lambda s: s))
        snapshot = await store.load_snapshot(org_id, SNAPSHOT_SCHEMA_VERSION)
        assert snapshot is not None
        assert 30 <= snapshot.version < 39
        full = initial_state()
        async for chunk in store.iter_stream(org_id):
            fold(full, decode_events(chunk))
        assert live == encode_state(full)
        assert live == encode_state(await load_state(store, org_id))
        assert all(r.ok for r in await verify_replay(store))


async def test_restart_rebuilds_identical_state_and_keeps_counting() -> None:
    """A new supervisor over the same database continues tiny ids and dedup counts."""
    async with fresh_database() as dsn:
        async with open_postgres_store(dsn) as store:
            clock = TrioClock()
            org_id, _ = await create_organization(store, clock, "acme")
            async with open_org_supervisor(store, clock) as sup:
                first = [await sup.submit(org_id, create(i), CTX) for i in range(10)]
        async with (
            open_postgres_store(dsn) as store,
            open_org_supervisor(store, TrioClock()) as sup,
        ):
            again = await sup.submit(org_id, create(3), CTX)  # alias a3 is open
            fresh = await sup.submit(org_id, create(7000), CTX)  # alias a0 is open too
            new = await sup.submit(
                org_id, CreateAlert(alert_id=new_id(), message="n", alias="zz"), CTX
            )
        assert again.result == "deduplicated"
        assert first[3].alert_id == again.alert_id
        assert again.count == 2  # a3 was created once (i=3) before the restart
        assert fresh.result == "deduplicated"
        assert new.tiny_id == 8


async def test_failed_append_answers_unavailable_then_recovers() -> None:
    """An append the database refuses fails the batch (503-able), and the next command
    works on a state rebuilt from the log, with nothing half-applied (I2)."""
    async with fresh_database() as dsn, open_postgres_store(dsn) as store:
        clock = TrioClock()
        org_id, _ = await create_organization(store, clock, "acme")
        async with open_org_supervisor(store, clock) as sup:
            created = await sup.submit(org_id, create(1), CTX)
            await store.db.execute(
                "ALTER TABLE events ADD CONSTRAINT refuse CHECK (version < 0) NOT VALID"
            )
            with pytest.raises(Unavailable):
                await sup.submit(org_id, AcknowledgeAlert(alert_id=created.alert_id), CTX)
            await store.db.execute("ALTER TABLE events DROP CONSTRAINT refuse")
            acked = await sup.read(org_id, lambda s: s.alerts.alerts[created.alert_id].acknowledged)
            assert not acked
            await sup.submit(org_id, AcknowledgeAlert(alert_id=created.alert_id), CTX)
            acked = await sup.read(org_id, lambda s: s.alerts.alerts[created.alert_id].acknowledged)
            assert acked
        assert all(r.ok for r in await verify_replay(store))


async def test_snooze_expires_on_time_with_real_log() -> None:
    """A snooze ends at its endTime by the actor's timer, recorded as an event in the log.

    Real time (1 s): trio's autojump clock cannot be combined with real database I/O;
    long spans are covered by tests/unit/engine/test_actor.py.
    """
    async with fresh_database() as dsn, open_postgres_store(dsn) as store:
        clock = TrioClock()
        org_id, _ = await create_organization(store, clock, "acme")
        async with open_org_supervisor(store, clock) as sup:
            created = await sup.submit(org_id, create(1), CTX)
            await sup.submit(
                org_id,
                SnoozeAlert(alert_id=created.alert_id, end_time=clock.now() + timedelta(seconds=1)),
                CTX,
            )
            await trio.sleep(1.3)
            snoozed = await sup.read(org_id, lambda s: s.alerts.alerts[created.alert_id].snoozed)
        assert not snoozed
        history = [e.type for e in await store.read_subject(org_id, created.alert_id)]
        assert history == ["AlertCreated", "AlertSnoozed", "AlertUnsnoozed"]
