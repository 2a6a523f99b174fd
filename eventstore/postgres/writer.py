"""The group-commit writer: ONE task that owns the writer connection.

Appenders put a ``Request`` on a trio memory channel and wait (shielded) for
its ``done`` event. The writer drains up to ``group_commit_max`` events' worth
of requests and commits them in one transaction:

1. ``LOCK TABLE events IN EXCLUSIVE MODE``;
2. read the current version of every org in the batch;
3. fail the requests whose expected version is stale or ahead with
   ``AppendConflict`` (requests for the same org chain: the second expects
   the version after the first);
4. COPY the rest; COMMIT; wake every caller with its versions.

If the transaction fails (connection lost, timeout), nothing of the batch is
known to be committed: every request gets ``DatabaseUnavailable`` and the next
batch reconnects, with exponential backoff between failed connection attempts
(batches arriving during a backoff fail at once: fail closed, decision 10).

Why the table lock. Identity values are allocated when a row is inserted, not
when its transaction commits. Without serialisation, transaction A can take
position 10, transaction B position 11, and B can commit first: a reader
tailing ``position > last`` sees 11, moves on, and never sees 10 when A
commits later. Taking ``LOCK TABLE events IN EXCLUSIVE MODE`` before inserting
(the technique of pyeventsourcing's PostgreSQL recorder) makes every appender,
in this process or any other, allocate positions and commit one at a time, so
positions become visible in commit order. ``EXCLUSIVE`` still admits plain
SELECTs (ACCESS SHARE), so readers are never blocked. The cost is one writer
at a time across processes, which group commit already assumes.

The alternative is a transaction-id horizon: store ``pg_current_xact_id()``
on every row and let tailers read only rows whose xid is below
``pg_snapshot_xmin(pg_current_snapshot())``. It allows parallel writers but
makes every reader compute and respect the horizon, lets one long
transaction stall every tailer, and is easy to get subtly wrong; with a
single group-commit writer per process we gain nothing from it.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec
import trio

from eventstore.envelope import NewEvent
from eventstore.errors import AppendConflict, DatabaseUnavailable, EventStoreError
from eventstore.postgres.db import Db, connect

__all__ = ["Request", "Writer", "WriterStatistics"]

_COLUMNS = ("org_id", "version", "type", "subject", "data", "metadata")
_CURRENT_VERSIONS = """
SELECT o, (SELECT max(e.version) FROM events e WHERE e.org_id = o)
FROM unnest($1::uuid[]) AS o
"""
_MAX_BACKOFF = 5.0


class WriterStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of the writer's counters."""

    appends_committed: int
    events_committed: int
    conflicts: int
    failed_batches: int
    batches: int
    last_batch_size: int
    queue_depth: int


class Request:
    """One ``append`` call waiting for its outcome."""

    __slots__ = ("done", "events", "expected", "org_id", "outcome")

    def __init__(self, org_id: uuid.UUID, expected: int, events: Sequence[NewEvent]) -> None:
        self.org_id = org_id
        self.expected = expected
        self.events = events
        self.done = trio.Event()
        self.outcome: list[int] | EventStoreError | None = None

    def resolve(self, outcome: list[int] | EventStoreError) -> None:
        if not self.done.is_set():
            self.outcome = outcome
            self.done.set()


def plan_batch(
    requests: Sequence[Request], current: dict[uuid.UUID, int]
) -> tuple[list[list[int] | EventStoreError], list[tuple[Any, ...]]]:
    """Pure: each request's outcome and the rows to COPY, given current versions."""
    versions = dict(current)
    outcomes: list[list[int] | EventStoreError] = []
    records: list[tuple[Any, ...]] = []
    for req in requests:
        at = versions.get(req.org_id, 0)
        if req.expected != at:
            outcomes.append(AppendConflict(str(req.org_id), req.expected, at))
            continue
        new = list(range(at + 1, at + 1 + len(req.events)))
        versions[req.org_id] = at + len(req.events)
        records.extend(
            (req.org_id, v, e.type, e.subject, e.data, e.metadata)
            for v, e in zip(new, req.events, strict=True)
        )
        outcomes.append(new)
    return outcomes, records


async def _write_batch(
    conn: asyncpg.Connection, requests: Sequence[Request]
) -> list[list[int] | EventStoreError]:
    """asyncio side: the whole group-commit transaction in one bridge hop."""
    orgs = list({r.org_id for r in requests})
    async with conn.transaction():
        # Serialise appenders (all processes): see the module docstring.
        await conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
        rows = await conn.fetch(_CURRENT_VERSIONS, orgs)
        outcomes, records = plan_batch(requests, {r[0]: r[1] or 0 for r in rows})
        if records:
            await conn.copy_records_to_table("events", records=records, columns=_COLUMNS)
    return outcomes


class Writer:
    """Owns the writer connection and the request channel; run with ``run``."""

    def __init__(
        self,
        db: Db,
        dsn: str,
        *,
        group_commit_max: int = 1000,
        queue_max: int = 10_000,
        commit_timeout: float = 30.0,
    ) -> None:
        self.db = db
        self.dsn = dsn
        self.group_commit_max = group_commit_max
        self.commit_timeout = commit_timeout
        self.conn: asyncpg.Connection | None = None
        self.send, self._recv = trio.open_memory_channel[Request](queue_max)
        self._carry: Request | None = None
        self._failures = 0
        self._retry_at = -math.inf
        self._counts = dict.fromkeys(
            ("appends", "events", "conflicts", "failed", "batches", "last"), 0
        )

    def statistics(self) -> WriterStatistics:
        c = self._counts
        return WriterStatistics(
            appends_committed=c["appends"],
            events_committed=c["events"],
            conflicts=c["conflicts"],
            failed_batches=c["failed"],
            batches=c["batches"],
            last_batch_size=c["last"],
            queue_depth=self.send.statistics().current_buffer_used,
        )

    async def submit(self, request: Request) -> list[int]:
        """Enqueue ``request`` and wait, shielded, for its outcome."""
        try:
            await self.send.send(request)  # cancellable: not enqueued yet
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise DatabaseUnavailable("the event store is closed") from None
        with trio.CancelScope(shield=True):
            await request.done.wait()
        if isinstance(request.outcome, EventStoreError):
            raise request.outcome
        assert request.outcome is not None
        return request.outcome

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Commit batches until the send side is closed and drained."""
        task_status.started()
        try:
            while (batch := await self._next_batch()) is not None:
                with trio.CancelScope(shield=True):
                    await self._commit(batch)
        finally:
            self._fail_leftovers()
            with trio.CancelScope(shield=True):
                await self._close_conn()

    async def _next_batch(self) -> list[Request] | None:
        if self._carry is not None:
            batch, self._carry = [self._carry], None
        else:
            try:
                batch = [await self._recv.receive()]
            except trio.EndOfChannel:
                return None
        size = len(batch[0].events)
        while size < self.group_commit_max:
            try:
                req = self._recv.receive_nowait()
            except (trio.WouldBlock, trio.EndOfChannel):
                break
            if size + len(req.events) > self.group_commit_max:
                self._carry = req
                break
            batch.append(req)
            size += len(req.events)
        return batch

    async def _commit(self, batch: list[Request]) -> None:
        try:
            conn = await self._ensure_conn()
            with trio.fail_after(self.commit_timeout):
                outcomes = await self.db.run(_write_batch, conn, batch)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, trio.TooSlowError) as exc:
            await self._on_failure(batch, exc)
            return
        self._counts["batches"] += 1
        self._counts["last"] = sum(len(r.events) for r in batch)
        for req, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, list):
                self._counts["appends"] += 1
                self._counts["events"] += len(outcome)
            else:
                self._counts["conflicts"] += 1
            req.resolve(outcome)

    async def _on_failure(self, batch: list[Request], exc: BaseException) -> None:
        self._counts["failed"] += 1
        if self.conn is not None and (
            self.conn.is_closed() or not isinstance(exc, asyncpg.PostgresError)
        ):
            await self._close_conn()
        error = DatabaseUnavailable(f"append failed, outcome unknown: {exc!r}")
        error.__cause__ = exc
        for req in batch:
            req.resolve(error)

    async def _ensure_conn(self) -> asyncpg.Connection:
        if self.conn is not None and not self.conn.is_closed():
            return self.conn
        if trio.current_time() < self._retry_at:
            raise OSError("database unreachable; waiting before reconnecting")
        try:
            self.conn = await self.db.run(connect, self.dsn)
        except BaseException:
            self._failures += 1
            delay = min(0.05 * 2**self._failures, _MAX_BACKOFF)
            self._retry_at = trio.current_time() + delay
            raise
        self._failures = 0
        return self.conn

    async def _close_conn(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None or conn.is_closed():
            return
        try:
            with trio.move_on_after(2):
                await self.db.run(conn.close)
        finally:
            conn.terminate()

    def _fail_leftovers(self) -> None:
        """Never leave a shielded waiter hanging when the writer stops."""
        error = DatabaseUnavailable("the event store writer stopped")
        if self._carry is not None:
            self._carry.resolve(error)
        while True:
            try:
                self._recv.receive_nowait().resolve(error)
            except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
                break
        self._recv.close()
