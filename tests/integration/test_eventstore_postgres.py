"""PostgreSQL-only behaviour of the event store: commit order, failures, lifecycle.

Invariants: I1 (durable acceptance), I6 (no consumer of the global log skips
a late commit), decisions 1 (refuse non-durable settings) and 3 (fencing).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest
import trio

from eventstore import (
    DatabaseUnavailable,
    EmbeddedPostgres,
    MigrationError,
    NewEvent,
    PostgresEventStore,
    UnsafeDatabaseSettings,
    migrate,
    open_db,
    open_postgres_store,
    start_embedded,
)
from eventstore.postgres import MIGRATIONS_DIR
from tests.pg import fresh_database, pg_dsn

pytestmark = pytest.mark.postgres
__all__ = ["pg_dsn"]  # the fixture, re-exported so pytest finds it here

INSERT = "INSERT INTO events (org_id, version, type, data, metadata) VALUES ($1, 1, 't', '', '')"


def new_org() -> str:
    return str(uuid.uuid4())


def ev(n: int = 0) -> NewEvent:
    return NewEvent(type="Thing", data=str(n).encode())


@pytest.fixture
async def store(pg_dsn: str) -> AsyncIterator[PostgresEventStore]:
    async with open_postgres_store(pg_dsn, group_commit_max=100) as pg:
        yield pg


class Tailer:
    """A global-log consumer that follows ``position > last`` and records all it saw."""

    def __init__(self, store: PostgresEventStore) -> None:
        self.store = store
        self.seen: list[int] = []

    async def run(self, stop: trio.Event) -> None:
        while True:
            final = stop.is_set()  # one more full read after the writers are done
            page = await self.store.read_all(after_position=self.last, limit=7)
            self.seen.extend(e.position for e in page)
            if final and not page:
                return
            if not page:
                await trio.sleep(0.005)

    @property
    def last(self) -> int:
        return self.seen[-1] if self.seen else 0


async def all_positions(store: PostgresEventStore) -> list[int]:
    return [r[0] for r in await store.db.fetch("SELECT position FROM events ORDER BY position")]


async def hold_lock_and_insert(
    store: PostgresEventStore, dsn: str, *, lock: bool = True
) -> tuple[Any, Any, int]:
    """A second connection (optionally taking the writer's lock) inserts and holds."""
    conn = await store.db.run(asyncpg.connect, dsn)
    tx = conn.transaction()
    await store.db.run(tx.start)
    if lock:
        await store.db.run(conn.execute, "LOCK TABLE events IN EXCLUSIVE MODE")
    position = await store.db.run(conn.fetchval, INSERT + " RETURNING position", new_org())
    return conn, tx, position


@pytest.mark.parametrize("other_locks", [True, False], ids=["same-lock-path", "plain-insert"])
async def test_tailer_never_skips_a_late_commit(
    store: PostgresEventStore, pg_dsn: str, other_locks: bool
) -> None:
    """I6: an append waiting behind an uncommitted earlier insert becomes visible after it.

    With ``plain-insert`` the earlier transaction holds only its row lock: it is
    the writer's own LOCK TABLE that makes the append wait (remove it and this fails).
    """
    tailer, stop = Tailer(store), trio.Event()
    conn, tx, early = await hold_lock_and_insert(store, pg_dsn, lock=other_locks)
    late: list[list[int]] = []
    appended = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(tailer.run, stop)
        org = new_org()
        nursery.start_soon(_append_into, store, org, late, appended)
        await trio.sleep(0.3)
        assert (late, tailer.seen) == ([], [])  # the append waits for the lock
        await store.db.run(tx.commit)
        await appended.wait()
        stop.set()
    await store.db.run(conn.close)
    [committed] = await store.read_stream(org)
    assert early < committed.position
    assert [early, committed.position] == tailer.seen == await all_positions(store)


async def _append_into(
    store: PostgresEventStore, org: str, out: list[list[int]], done: trio.Event
) -> None:
    out.append(await store.append(org, 0, [ev()]))
    done.set()


async def test_concurrent_writers_in_two_stores_never_let_a_tailer_skip(pg_dsn: str) -> None:
    """I6 across "processes": two stores (two writer connections) and a tailer."""
    async with (
        open_postgres_store(pg_dsn, group_commit_max=7) as one,
        open_postgres_store(pg_dsn, group_commit_max=7, migrate=False) as two,
    ):
        tailer, stop = Tailer(one), trio.Event()

        async def appender(s: PostgresEventStore) -> None:
            org = new_org()
            for i in range(15):
                await s.append(org, i, [ev(i)])

        async with trio.open_nursery() as outer:
            outer.start_soon(tailer.run, stop)
            async with trio.open_nursery() as writers:
                for i in range(16):
                    writers.start_soon(appender, (one, two)[i % 2])
            stop.set()
        everything = await all_positions(one)
    assert len(everything) == 16 * 15
    assert everything == tailer.seen  # strictly increasing, nothing skipped


async def test_without_the_lock_a_tailer_can_skip(store: PostgresEventStore, pg_dsn: str) -> None:
    """Why the writer locks: plain concurrent inserts commit out of position order."""
    a = await store.db.run(asyncpg.connect, pg_dsn)
    b = await store.db.run(asyncpg.connect, pg_dsn)
    tx_a, tx_b = a.transaction(), b.transaction()
    await store.db.run(tx_a.start)
    await store.db.run(tx_b.start)
    await store.db.run(a.execute, INSERT, new_org())
    await store.db.run(b.execute, INSERT, new_org())
    await store.db.run(tx_b.commit)
    tailer = Tailer(store)
    tailer.seen.extend(e.position for e in await store.read_all())
    await store.db.run(tx_a.commit)
    tailer.seen.extend(e.position for e in await store.read_all(after_position=tailer.last))
    await store.db.run(a.close)
    await store.db.run(b.close)
    assert tailer.seen != await all_positions(store)  # the early row was skipped


async def test_append_is_durable_on_return(store: PostgresEventStore, pg_dsn: str) -> None:
    """I1: once append returns, a brand-new connection sees the events."""
    org = new_org()
    assert await store.append(org, 0, [ev(1), ev(2)]) == [1, 2]
    conn = await store.db.run(asyncpg.connect, pg_dsn)
    sql = "SELECT count(*) FROM events WHERE org_id = $1"
    assert await store.db.run(conn.fetchval, sql, uuid.UUID(org)) == 2
    await store.db.run(conn.close)
    stats = store.statistics()
    assert (stats.appends_committed, stats.last_batch_size, stats.queue_depth) == (1, 2, 0)


async def test_killed_writer_connection_fails_batch_then_recovers(
    store: PostgresEventStore, pg_dsn: str
) -> None:
    """Decision 10: a broken connection fails the in-flight append, the next one works."""
    conn, tx, _ = await hold_lock_and_insert(store, pg_dsn)
    org = new_org()
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_expect_unavailable, store, org)
            await trio.sleep(0.3)  # the writer is blocked on LOCK TABLE
            pid = store._writer.conn.get_server_pid()  # type: ignore[union-attr]
            assert await store.db.fetchval("SELECT pg_terminate_backend($1)", pid)
    await store.db.run(tx.rollback)
    await store.db.run(conn.close)
    assert await store.stream_version(org) == 0
    assert await store.append(org, 0, [ev()]) == [1]
    assert store.statistics().failed_batches == 1


async def _expect_unavailable(store: PostgresEventStore, org: str) -> None:
    with pytest.raises(DatabaseUnavailable):
        await store.append(org, 0, [ev()])


async def test_cancelled_caller_does_not_lose_the_outcome(
    store: PostgresEventStore, pg_dsn: str
) -> None:
    """Once enqueued, an append's outcome is decided by the store, not the caller."""
    conn, tx, _ = await hold_lock_and_insert(store, pg_dsn)
    org, scope, finished = new_org(), trio.CancelScope(), trio.Event()
    result: list[list[int]] = []

    async def caller() -> None:
        with scope:
            result.append(await store.append(org, 0, [ev()]))
        finished.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(caller)
        await trio.sleep(0.2)
        scope.cancel()
        await trio.sleep(0.2)
        assert not finished.is_set()  # still waiting for the commit, shielded
        await store.db.run(tx.commit)
    await store.db.run(conn.close)
    assert result == [[1]]
    assert await store.stream_version(org) == 1


async def test_closing_the_store_flushes_queued_appends(pg_dsn: str) -> None:
    org = new_org()
    async with open_postgres_store(pg_dsn) as pg, trio.open_nursery() as nursery:
        for i in range(50):
            nursery.start_soon(pg.append, new_org(), 0, [ev(i)])
        nursery.start_soon(pg.append, org, 0, [ev()])
    async with open_postgres_store(pg_dsn) as pg:
        assert len(await pg.list_orgs()) == 51
        assert await pg.stream_version(org) == 1


async def _run_migrations(dsn: str, directory: Path | None = None) -> list[str]:
    async with open_db() as db:
        conn = await db.run(asyncpg.connect, dsn)
        try:
            return await migrate(db, directory, conn=conn)
        finally:
            await db.run(conn.close)


async def test_migrations_apply_once_and_are_idempotent() -> None:
    async with fresh_database(migrated=False) as dsn:
        results: list[list[str]] = []

        async def run() -> None:
            results.append(await _run_migrations(dsn))

        async with trio.open_nursery() as nursery:  # two migrators at once
            nursery.start_soon(run)
            nursery.start_soon(run)
        names = sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))
        assert sorted([[], names]) == sorted(results)
        assert await _run_migrations(dsn) == []


async def test_edited_migration_is_detected(tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    async with fresh_database(migrated=False) as dsn:
        await _run_migrations(dsn, directory)
        first = sorted(directory.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- an innocent edit\n")
        with pytest.raises(MigrationError, match="edited after it was applied"):
            await _run_migrations(dsn, directory)


async def test_refuses_to_start_without_synchronous_commit() -> None:
    """Decision 1: synchronous_commit=off on the database makes the store refuse."""
    async with fresh_database() as dsn:
        async with open_db(dsn) as db:
            await db.execute(
                "DO $$ BEGIN EXECUTE format("
                "'ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$"
            )
        with pytest.raises(UnsafeDatabaseSettings, match="synchronous_commit"):
            async with open_postgres_store(dsn):
                pytest.fail("the store must not open")  # pragma: no cover


async def test_unreachable_server_is_database_unavailable() -> None:
    with pytest.raises(DatabaseUnavailable):
        async with open_postgres_store("postgresql://postgres@127.0.0.1:1/none"):
            pytest.fail("the store must not open")  # pragma: no cover


async def _embedded_roundtrip(dsn: str, create: bool) -> tuple[str, str, int]:
    async with open_db(dsn) as db:
        if create:
            await db.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        return (
            await db.fetchval("SHOW fsync"),
            await db.fetchval("SHOW synchronous_commit"),
            await db.fetchval("SELECT n FROM kept"),
        )


@pytest.mark.slow
def test_embedded_server_start_stop_restart_reuse(tmp_path: Path) -> None:
    """Start under a data dir, connect, stop, restart on the same data; a second start reuses."""
    data_dir = tmp_path / "pgdata"
    server = start_embedded(data_dir)
    try:
        assert trio.run(_embedded_roundtrip, server.dsn, True) == ("on", "on", 42)
        first_pid = server.pid
        again = EmbeddedPostgres(data_dir)
        assert again.start() == server.dsn
        assert again.pid == first_pid  # reused, not duplicated
    finally:
        server.stop()
    assert not psutil.pid_exists(first_pid) or psutil.Process(first_pid).status() == "zombie"
    server.stop()  # idempotent
    with EmbeddedPostgres(data_dir) as restarted:
        assert restarted.pid != first_pid
        assert trio.run(_embedded_roundtrip, restarted.dsn, False) == ("on", "on", 42)


@contextmanager
def _embedded_in_child(data_dir: Path) -> Iterator[int]:
    """A child process that starts the embedded server and lives until SIGKILLed on exit.

    Yields the postmaster's pid. SIGKILL runs no cleanup: the server stays up.
    """
    code = (
        "import sys, time; from eventstore import start_embedded; "
        "s = start_embedded(sys.argv[1]); print(s.pid, flush=True); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(data_dir)], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        yield int(child.stdout.readline())
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def _stopped(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


@pytest.mark.slow
def test_embedded_server_left_by_killed_process_is_reused(tmp_path: Path) -> None:
    """A server left running by a SIGKILLed process is reused, then stopped by its last user."""
    data_dir = tmp_path / "pgdata"
    with _embedded_in_child(data_dir) as orphan_pid:
        pass
    with EmbeddedPostgres(data_dir) as server:
        assert server.pid == orphan_pid
    assert _stopped(orphan_pid)


@pytest.mark.slow
def test_embedded_server_is_not_stopped_under_another_live_user(tmp_path: Path) -> None:
    """A CLI-style start/stop beside a running server leaves it up; the last user stops it."""
    data_dir = tmp_path / "pgdata"
    with _embedded_in_child(data_dir) as server_pid:
        with EmbeddedPostgres(data_dir) as beside:
            assert beside.pid == server_pid
        assert not _stopped(server_pid)
    with EmbeddedPostgres(data_dir) as last:
        assert last.pid == server_pid
    assert _stopped(server_pid)
