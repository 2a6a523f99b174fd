"""The org actor over the in-memory store, under trio's MockClock.

Group commit, replies after commit, crash and rebuild, idempotency,
backpressure, and timers (snooze expiry) — the runtime's logic, not storage.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import trio
import trio.testing

from engine import (
    AcknowledgeAlert,
    CommandContext,
    Conflict,
    CreateAlert,
    Overloaded,
    SnoozeAlert,
    TrioClock,
    Unavailable,
    load_state,
    open_org_supervisor,
)
from engine.runtime import OrgActor
from eventstore import EventStoreError, MemoryEventStore

ORG = "00000000-0000-7000-8000-000000000001"
START = datetime(2026, 1, 1, tzinfo=UTC)
CTX = CommandContext(principal_kind="api_key", principal_id="k1")


def create(n: int, alias: str = "") -> CreateAlert:
    return CreateAlert(alert_id=f"00000000-0000-7000-8000-{n:012d}", message=f"m{n}", alias=alias)


class CountingStore(MemoryEventStore):
    """Counts append calls; can be told to fail the next one."""

    def __init__(self) -> None:
        super().__init__()
        self.appends = 0
        self.fail_next = False

    async def append(self, org_id, expected_version, events):  # type: ignore[no-untyped-def]
        self.appends += 1
        if self.fail_next:
            self.fail_next = False
            await trio.lowlevel.checkpoint()
            raise OSError("disk on fire")
        return await super().append(org_id, expected_version, events)


async def test_concurrent_commands_are_group_committed_in_one_append() -> None:
    """Commands queued together are decided in one batch and appended once."""
    store = CountingStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        actor = await sup.actor(ORG)
        outcomes = []

        async def one(n: int) -> None:
            outcomes.append(await actor.submit(create(n), CTX))

        async with trio.open_nursery() as nursery:
            for n in range(50):
                nursery.start_soon(one, n)
    assert len(outcomes) == 50
    assert store.appends == 1
    assert list(range(1, 51)) == sorted(o.tiny_id for o in outcomes)
    assert await store.stream_version(ORG) == 50


async def test_failed_append_answers_unavailable_and_rebuilds_from_log() -> None:
    """A failed append fails its batch's callers; the next command sees only committed state."""
    store = CountingStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        await sup.submit(ORG, create(1), CTX)
        store.fail_next = True
        with pytest.raises(Unavailable):
            await sup.submit(ORG, create(2), CTX)
        outcome = await sup.submit(ORG, create(3), CTX)
        alerts = await sup.read(ORG, lambda s: sorted(a.message for a in s.alerts.alerts.values()))
    assert alerts == ["m1", "m3"]
    assert outcome.tiny_id == 2  # tiny id 2 was never committed, so it is handed out again


async def test_idempotency_key_returns_original_outcome_and_writes_nothing() -> None:
    """A retry with the same Idempotency-Key gets the first outcome and appends nothing."""
    store = CountingStore()
    ctx = CommandContext(
        principal_kind="api_key", principal_id="k1", idempotency_key="abc", fingerprint="f1"
    )
    async with open_org_supervisor(store, TrioClock(start=START)) as sup:
        first = await sup.submit(ORG, create(1, alias="x"), ctx)
        version = await store.stream_version(ORG)
        again = await sup.submit(ORG, create(2, alias="x"), ctx)
        assert first == again
        assert version == await store.stream_version(ORG)
        with pytest.raises(Conflict):
            await sup.submit(
                ORG,
                create(3),
                CommandContext(
                    principal_kind="api_key",
                    principal_id="k1",
                    idempotency_key="abc",
                    fingerprint="other",
                ),
            )


async def test_idempotency_survives_rebuild_from_log() -> None:
    """Recorded idempotency keys are folded from the log like any other state."""
    store = CountingStore()
    ctx = CommandContext(
        principal_kind="api_key", principal_id="k1", idempotency_key="abc", fingerprint="f1"
    )
    async with open_org_supervisor(store, TrioClock(start=START)) as sup:
        first = await sup.submit(ORG, create(1), ctx)
    state = await load_state(store, ORG)
    assert first == state.requests["abc"].outcome


async def test_full_mailbox_is_overloaded_not_a_hang() -> None:
    """With the mailbox full, submit fails at once with Overloaded (I9)."""
    store = MemoryEventStore()
    actor = OrgActor(ORG, store, TrioClock(start=START), mailbox_size=2)
    # The actor is not running, so nothing drains the mailbox.
    async with trio.open_nursery() as nursery:
        nursery.start_soon(actor.submit, create(1), CTX)
        nursery.start_soon(actor.submit, create(2), CTX)
        await trio.testing.wait_all_tasks_blocked()
        with pytest.raises(Overloaded):
            await actor.submit(create(3), CTX)
        nursery.cancel_scope.cancel()


async def test_snooze_ends_at_its_time_also_after_restart(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A snoozed alert is un-snoozed by the actor's timer at endTime, even after a restart."""
    store = MemoryEventStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        outcome = await sup.submit(ORG, create(1), CTX)
        await sup.submit(
            ORG,
            SnoozeAlert(alert_id=outcome.alert_id, end_time=clock.now() + timedelta(hours=3)),
            CTX,
        )
    # "Restart": a new supervisor over the same log, started for its orgs.
    async with open_org_supervisor(store, clock) as sup:
        await sup.start_all([ORG])
        await trio.sleep(2 * 3600)
        assert await sup.read(ORG, lambda s: s.alerts.alerts[outcome.alert_id].snoozed)
        await trio.sleep(3600 + 1)
        alert = await sup.read(ORG, lambda s: s.alerts.alerts[outcome.alert_id])
    assert not alert.snoozed


async def test_reads_never_see_a_batch_before_it_commits() -> None:
    """While an append is in flight, readers wait for it instead of seeing uncommitted state."""
    gate = trio.Event()

    class SlowStore(MemoryEventStore):
        async def append(self, org_id, expected_version, events):  # type: ignore[no-untyped-def]
            await gate.wait()
            return await super().append(org_id, expected_version, events)

    store = SlowStore()
    async with open_org_supervisor(store, TrioClock(start=START)) as sup:
        actor = await sup.actor(ORG)
        seen: list[int] = []
        async with trio.open_nursery() as nursery:
            nursery.start_soon(actor.submit, create(1), CTX)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(lambda: _read_count(actor, seen))
            await trio.testing.wait_all_tasks_blocked()
            assert seen == []
            gate.set()
    assert seen == [1]


async def _read_count(actor: OrgActor, seen: list[int]) -> None:
    seen.append(await actor.read(lambda s: len(s.alerts.alerts)))


async def test_ack_then_read_reflects_committed_change() -> None:
    """An acknowledge answered to its caller is visible to the next read."""
    async with open_org_supervisor(MemoryEventStore(), TrioClock(start=START)) as sup:
        created = await sup.submit(ORG, create(1), CTX)
        await sup.submit(ORG, AcknowledgeAlert(alert_id=created.alert_id, user="bob"), CTX)
        alert = await sup.read(ORG, lambda s: s.alerts.alerts[created.alert_id])
    assert alert.acknowledged
    assert alert.report.acknowledged_by == "bob"


async def test_crashed_actor_is_rebuilt_without_a_new_command(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """After a failed append the supervisor rebuilds the actor by itself, so timers resume."""
    store = CountingStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        created = await sup.submit(ORG, create(1), CTX)
        await sup.submit(
            ORG,
            SnoozeAlert(alert_id=created.alert_id, end_time=clock.now() + timedelta(minutes=10)),
            CTX,
        )
        store.fail_next = True
        with pytest.raises(Unavailable):
            await sup.submit(ORG, create(2), CTX)
        await trio.sleep(11 * 60)
        assert [s.org_id for s in sup.statistics()] == [ORG]
        snoozed = await sup.read(ORG, lambda s: s.alerts.alerts[created.alert_id].snoozed)
    assert not snoozed


async def test_idle_actor_stops_and_next_command_restarts_it(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """An actor with no timers stops after its idle timeout; the next command starts it again."""
    store = MemoryEventStore()
    async with open_org_supervisor(store, TrioClock(start=START), idle_timeout=60.0) as sup:
        await sup.submit(ORG, create(1), CTX)
        await trio.sleep(59)
        assert [s.org_id for s in sup.statistics()] == [ORG]
        await trio.sleep(2)
        assert sup.statistics() == []
        outcome = await sup.submit(ORG, create(2), CTX)
        assert (outcome.tiny_id, [s.version for s in sup.statistics()]) == (2, [2])


async def test_actor_with_a_pending_timer_does_not_idle_stop(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A snoozed alert keeps its organization's actor alive until the snooze ends."""
    store = MemoryEventStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock, idle_timeout=60.0) as sup:
        created = await sup.submit(ORG, create(1), CTX)
        end = clock.now() + timedelta(hours=5)
        await sup.submit(ORG, SnoozeAlert(alert_id=created.alert_id, end_time=end), CTX)
        await trio.sleep(4 * 3600)
        assert [s.org_id for s in sup.statistics()] == [ORG]
        await trio.sleep(3600 + 120)
        assert sup.statistics() == []
    assert not (await load_state(store, ORG)).alerts.alerts[created.alert_id].snoozed


async def test_a_timer_that_changes_nothing_is_retried_each_second_not_spun(
    autojump_clock: trio.testing.MockClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If next_due stays in the past after its commands ran, the actor retries once a
    second instead of looping without pause (and logs the inconsistency)."""
    import engine.runtime.actor as actor_module

    stuck = START + timedelta(minutes=1)
    calls: list[float] = []

    def due_commands(state, now):  # type: ignore[no-untyped-def]
        calls.append(trio.current_time())
        return []

    monkeypatch.setattr(actor_module, "next_due", lambda state: stuck)
    monkeypatch.setattr(actor_module, "due_commands", due_commands)
    async with open_org_supervisor(MemoryEventStore(), TrioClock(start=START)) as sup:
        await sup.actor(ORG)
        await trio.sleep(60 + 10.5)
    assert 9 <= len(calls) <= 13


async def test_listeners_get_each_committed_batch_with_the_state_after_it() -> None:
    """After every append: the org, the batch's envelopes (versions in order) and the
    committed state — before any other command runs; failed appends publish nothing."""
    store = CountingStore()
    seen: list[tuple[str, list[int], int, int]] = []

    def listener(org_id, envelopes, state):  # type: ignore[no-untyped-def]
        seen.append(
            (org_id, [e.version for e in envelopes], state.version, len(state.alerts.alerts))
        )

    async with open_org_supervisor(store, TrioClock(start=START)) as sup:
        sup.listeners.append(listener)
        async with trio.open_nursery() as nursery:
            for n in range(3):
                nursery.start_soon(sup.submit, ORG, create(n), CTX)
        store.fail_next = True
        with pytest.raises(Unavailable):
            await sup.submit(ORG, create(9), CTX)
        await sup.submit(ORG, create(4), CTX)
    # How the three concurrent commands batch depends on scheduling; what each
    # listener call sees does not: its batch's versions in order, and the state
    # right after that batch (no later command applied yet).
    assert [v for _, versions, _, _ in seen for v in versions] == [1, 2, 3, 4]
    for org_id, versions, state_version, alert_count in seen:
        assert org_id == ORG
        assert state_version == versions[-1] == alert_count


async def test_a_reader_waiting_for_a_failed_batch_gets_unavailable_not_a_spin() -> None:
    """A read that waits for a batch whose append fails is told to retry (the state holds
    uncommitted changes); it used to spin on the batch's already-set event forever."""

    class FailingStore(MemoryEventStore):
        gate = trio.Event()

        async def append(self, org_id, expected_version, events):  # type: ignore[no-untyped-def]
            await self.gate.wait()
            raise OSError("disk on fire")

    store = FailingStore()
    async with open_org_supervisor(store, TrioClock(start=START)) as sup:
        actor = await sup.actor(ORG)
        outcomes: list[str] = []

        async def write() -> None:
            with pytest.raises(Unavailable):
                await actor.submit(create(1), CTX)
            outcomes.append("write refused")

        async def read() -> None:
            with pytest.raises(Unavailable):
                await actor.read(lambda state: state.version)
            outcomes.append("read refused")

        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(write)
                await trio.testing.wait_all_tasks_blocked()
                nursery.start_soon(read)
                await trio.testing.wait_all_tasks_blocked()
                store.gate.set()
        assert sorted(outcomes) == ["read refused", "write refused"]


class FailingSnapshots(MemoryEventStore):
    """Refuses every snapshot, noting the version of each attempt."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts: list[int] = []

    async def save_snapshot(self, snapshot):  # type: ignore[no-untyped-def]
        self.attempts.append(snapshot.version)
        await trio.lowlevel.checkpoint()
        raise EventStoreError("disk full")


async def test_a_failed_snapshot_is_retried_an_interval_later_not_at_every_batch() -> None:
    """A failing save (or fork) must not be retried at each following batch."""
    store = FailingSnapshots()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock, snapshot_every=5) as sup:
        actor = await sup.actor(ORG)
        for n in range(17):  # one alert (one alias): the interval stays 5 events
            await actor.submit(create(n, alias="disk"), CTX)
            await trio.testing.wait_all_tasks_blocked()
    assert store.attempts == [5, 10, 15]
