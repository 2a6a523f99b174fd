"""OrgActor: the one task that owns an organization's live state.

The loop (design.md decisions 2-4, 6):

1. wait for the first command or the earliest timer due-time;
2. drain up to ``max_batch`` more commands without waiting;
3. read the clock once, ``execute`` each command against the evolving state;
4. append every event of the batch in ONE call (group commit) — shielded;
5. only then answer every caller, and publish the committed envelopes.

If the append fails, every caller of the batch gets ``Unavailable`` and the
actor raises: its in-memory state may hold uncommitted changes, so the
supervisor discards it and the next use rebuilds from snapshot + log.

Readers never see uncommitted state: between steps 3 and 5 the actor is
``dirty`` and ``read`` waits for the batch to finish.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar, final

import msgspec
import structlog
import trio

from engine.clock import Clock
from engine.context import SYSTEM, CommandContext, EventMeta
from engine.errors import Overloaded, PulsarError, Unavailable
from engine.org import (
    SNAPSHOT_SCHEMA_VERSION,
    Command,
    OrgState,
    Outcome,
    decode_payloads,
    due_commands,
    encode_event,
    encode_meta,
    execute,
    fold,
    initial_state,
    next_due,
)
from engine.runtime.snapshots import (
    FORK_MIN_ALERTS,
    PendingSnapshot,
    SnapshotEncodingFailed,
    encode_snapshot,
    state_of,
)
from eventstore import Envelope, EventStore, EventStoreError, NewEvent, Snapshot

__all__ = ["ActorStatistics", "OrgActor", "load_state"]

T = TypeVar("T")
log = structlog.get_logger("pulsar.actor")
# Called after every committed batch with the org id, the batch's envelopes and
# the actor's state after it. The state is the live object: read it, never keep
# or change it — it is exactly the committed state only until the listener
# returns (the actor calls listeners before its next checkpoint). A listener
# must not block the actor: it may only do O(batch) bookkeeping and hand work on.
CommitListener = Callable[[str, Sequence[Envelope], OrgState], Awaitable[None] | None]

# The timer loop wakes at least this often, so a stepped wall clock is seen
# (reliability.md decision 9).
_MAX_SLEEP = 30.0


@final
class ActorStatistics(msgspec.Struct, frozen=True, kw_only=True):
    org_id: str
    version: int
    mailbox_depth: int
    last_batch_size: int
    batches: int
    next_due: str | None


class _Reply:
    __slots__ = ("done", "error", "outcome")

    def __init__(self) -> None:
        self.done = trio.Event()
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None

    def set(self, outcome: Outcome | None, error: BaseException | None) -> None:
        self.outcome, self.error = outcome, error
        self.done.set()


_Request = tuple[Command, CommandContext, _Reply]
# A mailbox slot holds one request, or all of a batch endpoint's requests, so a
# 1,000-alert batch takes one slot and is decided and appended together.
_Slot = list[_Request]


async def load_state(store: EventStore, org_id: str) -> OrgState:
    """Fold ``org_id``'s state from its newest usable snapshot and the log tail."""
    state = initial_state()
    snapshot = await store.load_snapshot(org_id, SNAPSHOT_SCHEMA_VERSION)
    if snapshot is not None:
        try:
            with _gc_paused():
                state = state_of(snapshot.data)
        except msgspec.DecodeError:
            log.warning("snapshot_unreadable", org_id=org_id, version=snapshot.version)
            state = initial_state()
    # Prefetch: a pump task asks for chunk N+1 while chunk N is folded, so that
    # PostgreSQL builds the next chunk (string_agg) on its own core meanwhile.
    send, recv = trio.open_memory_channel[bytes](1)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_pump_payloads, store, org_id, state.version, send)
        async for data in recv:
            # Let the pump put its next query on the wire (pump task, then the
            # trio-asyncio loop task, then asyncpg's send) before the CPU-bound fold.
            for _ in range(3):
                await trio.lowlevel.checkpoint()
            _fold_payloads(state, data)
    return state


async def _pump_payloads(
    store: EventStore, org_id: str, after: int, send: trio.MemorySendChannel[bytes]
) -> None:
    async with send:
        async for chunk in store.iter_payloads(org_id, after_version=after):
            await send.send(chunk.data)


def _fold_payloads(state: OrgState, data: bytes) -> None:
    with _gc_paused():
        fold(state, decode_payloads(data))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while folding: building a large state allocates millions of
    objects, none of them garbage, and each collection would re-scan all of them
    (measured: ~40% of fold time). Synchronous, so no other task runs meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@final
class OrgActor:
    """One organization's state, mailbox and timer loop."""

    def __init__(
        self,
        org_id: str,
        store: EventStore,
        clock: Clock,
        *,
        mailbox_size: int = 1024,
        max_batch: int = 4000,
        snapshot_every: int = 1000,
        fork_snapshots_from: int = FORK_MIN_ALERTS,
        idle_timeout: float = 600.0,
        listeners: Sequence[CommitListener] = (),
    ) -> None:
        self.org_id = org_id
        self._store = store
        self._clock = clock
        self._max_batch = max_batch
        self._snapshot_every = snapshot_every
        self._fork_snapshots_from = fork_snapshots_from  # alerts (``engine.runtime.snapshots``)
        self._idle_timeout = idle_timeout
        self._listeners = listeners
        self._send, self._recv = trio.open_memory_channel[_Slot](mailbox_size)
        self.state: OrgState = initial_state()
        self._dirty = False
        self._clean = trio.Event()
        self._last_batch = 0
        self._batches = 0
        self._snapshot_version = 0
        self._saving = False
        self._nursery: trio.Nursery | None = None
        self.loaded = False
        self._wait_scope: trio.CancelScope | None = None
        self._fired_due: datetime | None = None
        self.stopped = False

    # -- callers ---------------------------------------------------------
    async def submit(self, command: Command, ctx: CommandContext) -> Outcome:
        """Queue ``command`` and wait until it is committed (or rejected).

        Raises ``Overloaded`` at once when the mailbox is full, ``Unavailable``
        when the batch could not be committed, ``Rejected``/``Conflict`` from
        ``decide``. A cancelled caller does not withdraw a queued command.
        """
        reply = _Reply()
        self._enqueue([(command, ctx, reply)])
        await reply.done.wait()
        if reply.error is not None:
            raise reply.error
        assert reply.outcome is not None
        return reply.outcome

    async def submit_many(
        self, commands: Sequence[Command], ctx: CommandContext
    ) -> list[Outcome | PulsarError]:
        """Queue ``commands`` together in ONE mailbox slot.

        They are decided in one batch (with the commands queued before them),
        so they are appended together. Returns one outcome or error per
        command, in order. With an Idempotency-Key, command ``i`` is keyed
        ``"<key>#<i>"``. Raises ``Overloaded`` when the mailbox is full.
        """
        slot: _Slot = []
        for i, command in enumerate(commands):
            item_ctx = ctx
            if ctx.idempotency_key is not None:
                item_ctx = msgspec.structs.replace(
                    ctx, idempotency_key=f"{ctx.idempotency_key}#{i}"
                )
            slot.append((command, item_ctx, _Reply()))
        self._enqueue(slot)
        # A slot is never split across batches, so its replies are all set in the
        # same step: waiting for the last one is waiting for all (one checkpoint,
        # not one per command).
        await slot[-1][2].done.wait()
        results: list[Outcome | PulsarError] = []
        for _, _, reply in slot:
            assert reply.done.is_set()
            if isinstance(reply.error, PulsarError):
                results.append(reply.error)
            elif reply.error is not None:
                raise reply.error
            else:
                assert reply.outcome is not None
                results.append(reply.outcome)
        return results

    def _enqueue(self, slot: _Slot) -> None:
        if self.stopped:
            raise Unavailable("actor_stopped", "organization is restarting; retry")
        try:
            self._send.send_nowait(slot)
        except trio.WouldBlock:
            raise Overloaded("overloaded", "too many pending commands; retry later") from None
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            raise Unavailable("actor_stopped", "organization is restarting; retry") from None

    async def read(self, fn: Callable[[OrgState], T]) -> T:
        """Run ``fn`` on committed state (never on a batch being appended).

        Raises ``Unavailable`` when the batch it waited for failed: the state holds
        uncommitted changes and the actor is stopping (it is rebuilt from the log).
        """
        while self._dirty:
            if self.stopped:
                raise Unavailable("actor_stopped", "organization is restarting; retry")
            await self._clean.wait()
        return fn(self.state)

    def wake(self) -> None:
        """Re-check timers now (the clock was moved, e.g. in test mode)."""
        if self._wait_scope is not None:
            self._wait_scope.cancel()

    def statistics(self) -> ActorStatistics:
        due = next_due(self.state)
        return ActorStatistics(
            org_id=self.org_id,
            version=self.state.version,
            mailbox_depth=self._send.statistics().current_buffer_used,
            last_batch_size=self._last_batch,
            batches=self._batches,
            next_due=due.isoformat() if due else None,
        )

    # -- the task --------------------------------------------------------
    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Load state, then serve the mailbox and timers until idle or crashed."""
        try:
            self.state = await load_state(self._store, self.org_id)
            self._snapshot_version = self.state.version
            self.loaded = True
            task_status.started()
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                await self._loop()
        finally:
            self.stopped = True
            self._send.close()
            self._fail_queued()

    async def _loop(self) -> None:
        while True:
            batch = await self._next_batch()
            if batch is None:
                return
            await self._process(batch)

    async def _next_batch(self) -> list[_Request] | None:
        """Wait for commands or a due timer; None when idle long enough to stop."""
        idle_deadline = trio.current_time() + self._idle_timeout
        while True:
            due = next_due(self.state)
            deadline = self._clock.deadline_for(due) if due else math.inf
            if due is not None and due == self._fired_due:
                # The last wake-up for this due-time changed nothing (an area's
                # next_due and due_commands disagree): retry each second, don't spin.
                deadline = trio.current_time() + 1.0
            wake = min(deadline, trio.current_time() + _MAX_SLEEP)
            if due is None:
                wake = min(wake, idle_deadline)
            with trio.move_on_at(wake) as self._wait_scope:
                first = await self._recv.receive()
                return self._drain(first)
            self._wait_scope = None
            now = self._clock.now()
            if due is not None and due <= now:
                if due == self._fired_due:
                    log.error("timer_made_no_progress", org_id=self.org_id, due=due.isoformat())
                self._fired_due = due
            timer_commands = due_commands(self.state, now)
            if timer_commands:
                return [(cmd, _timer_ctx(cmd), _Reply()) for cmd in timer_commands]
            if due is None and trio.current_time() >= idle_deadline:
                return None

    def _drain(self, first: _Slot) -> list[_Request]:
        """``first`` and whatever else is queued, up to ``max_batch`` commands (whole slots)."""
        batch = list(first)
        while len(batch) < self._max_batch:
            try:
                batch.extend(self._recv.receive_nowait())
            except trio.WouldBlock:
                break
        return batch

    async def _process(self, batch: list[_Request]) -> None:
        now = self._clock.now()
        self._dirty = True
        results: list[tuple[_Reply, Outcome | None, BaseException | None]] = []
        new_events: list[NewEvent] = []
        meta_of: dict[int, bytes] = {}  # a batch endpoint's commands share one context
        for command, ctx, reply in batch:
            try:
                events, outcome = execute(self.state, command, ctx, now)
            except PulsarError as error:
                results.append((reply, None, error))
                continue
            meta = meta_of.get(id(ctx))
            if meta is None:
                meta = meta_of[id(ctx)] = encode_meta(EventMeta.of(ctx))
            new_events.extend(encode_event(event, meta) for event in events)
            results.append((reply, outcome, None))
        expected = self.state.version - len(new_events)
        if new_events:
            await self._append(expected, new_events, results)
        self._dirty = False
        self._clean.set()
        self._clean = trio.Event()
        self._last_batch, self._batches = len(batch), self._batches + 1
        for reply, answer, failure in results:
            reply.set(answer, failure)
        if new_events:
            await self._after_commit(expected, new_events)

    async def _append(
        self,
        expected: int,
        new_events: list[NewEvent],
        results: list[tuple[_Reply, Outcome | None, BaseException | None]],
    ) -> None:
        t0 = trio.current_time()
        try:
            await self._store.append(self.org_id, expected, new_events)
        except BaseException as error:
            for reply, _, _ in results:
                reply.set(None, Unavailable("not_committed", "the write was not committed; retry"))
            # Readers waiting for this batch must not see its uncommitted state: they
            # wake, find the actor stopped and get Unavailable (``read``).
            self.stopped = True
            self._clean.set()
            log.error(
                "append_failed", org_id=self.org_id, error=repr(error), events=len(new_events)
            )
            raise
        log.debug(
            "batch_committed",
            org_id=self.org_id,
            commands=len(results),
            events=len(new_events),
            version=self.state.version,
            append_ms=round((trio.current_time() - t0) * 1000, 2),
        )

    async def _after_commit(self, expected: int, new_events: list[NewEvent]) -> None:
        if self._listeners:
            envelopes = [
                Envelope(
                    position=0,
                    org_id=self.org_id,
                    version=expected + i + 1,
                    type=e.type,
                    data=e.data,
                    metadata=e.metadata,
                    subject=e.subject,
                    recorded_at=self._clock.now(),
                )
                for i, e in enumerate(new_events)
            ]
            for listener in self._listeners:
                result = listener(self.org_id, envelopes, self.state)
                if result is not None:
                    await result
        self._maybe_snapshot()

    def _maybe_snapshot(self) -> None:
        """Snapshot when the tail since the last one costs about as much to replay as
        the snapshot costs to write: at least ``snapshot_every`` events, and at least
        as many as the state holds alerts. Writing is O(state), so this keeps its
        cost O(1) per event however large an organization grows. The encoding of
        the state as it is now starts here (a large state in a forked child, see
        ``engine.runtime.snapshots``); the save runs in the background so the
        mailbox keeps moving."""
        since = self.state.version - self._snapshot_version
        if self._saving or since < max(self._snapshot_every, len(self.state.alerts.alerts)):
            return
        try:
            pending = encode_snapshot(self.state, fork_min_alerts=self._fork_snapshots_from)
        except SnapshotEncodingFailed as error:
            self._snapshot_failed(self.state.version, error)
            return
        if pending is None:  # another organization's child is encoding: next batch
            return
        self._saving = True
        assert self._nursery is not None
        self._nursery.start_soon(self._save_snapshot, self.state.version, pending)

    async def _save_snapshot(self, version: int, pending: PendingSnapshot) -> None:
        try:
            snapshot = Snapshot(
                org_id=self.org_id,
                version=version,
                schema_version=SNAPSHOT_SCHEMA_VERSION,
                data=await pending.result(),
            )
            await self._store.save_snapshot(snapshot)
        except (EventStoreError, SnapshotEncodingFailed) as error:
            self._snapshot_failed(version, error)
        else:
            self._snapshot_version = snapshot.version
            log.info(
                "snapshot_written",
                org_id=self.org_id,
                version=snapshot.version,
                bytes=len(snapshot.data),
                forked=pending.forked,
            )
        finally:
            self._saving = False

    def _snapshot_failed(self, version: int, error: Exception) -> None:
        """Try again a whole interval later, not at the next batch: a failing fork or
        save (memory, the database) must not be retried in a storm."""
        log.warning("snapshot_failed", org_id=self.org_id, version=version, error=repr(error))
        self._snapshot_version = version

    def _fail_queued(self) -> None:
        while True:
            try:
                slot = self._recv.receive_nowait()
            except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
                return
            for _, _, reply in slot:
                reply.set(None, Unavailable("actor_stopped", "organization is restarting; retry"))


def _timer_ctx(command: Command) -> CommandContext:
    return msgspec.structs.replace(SYSTEM, causation=f"timer:{type(command).__name__}")
