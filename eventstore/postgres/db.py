"""The trio <-> asyncpg bridge and the database settings checks.

``Db`` is the only place in Pulsar that knows asyncpg runs on asyncio behind
trio-asyncio (stack-notes section 2). Every asyncpg call goes through
``await db.run(async_fn, *args)``; the loop is always passed explicitly because
Hypercorn request tasks do not inherit trio-asyncio's loop contextvar. If
trio-asyncio ever breaks, only this module changes (the thread bridge).

It also owns ``check_durability``: Pulsar refuses to run on a database that
would acknowledge commits that are not durable (reliability.md decision 1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import asyncpg
import trio
import trio_asyncio

from eventstore.errors import UnsafeDatabaseSettings

__all__ = [
    "Db",
    "check_durability",
    "collapse_single_groups",
    "connect",
    "create_pool",
    "durability_problems",
    "open_db",
]

T = TypeVar("T")

# Values of synchronous_commit that still wait for the local WAL flush.
_DURABLE_SYNC_COMMIT = frozenset({"on", "local", "remote_write", "remote_apply"})


class Db:
    """The bridge facade: run asyncio coroutine functions from trio.

    ``pool`` (optional) is the read pool; the helpers ``fetch``/``fetchval``/
    ``execute`` use it so tools and tests can run SQL without touching asyncpg.
    """

    def __init__(self, loop: Any, pool: asyncpg.Pool | None = None) -> None:
        self.loop = loop
        self.pool = pool

    async def run(self, async_fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Await ``async_fn(*args)`` on the asyncio loop, from trio."""
        result: T = await trio_asyncio.aio_as_trio(async_fn, loop=self.loop)(*args)
        return result

    def _require_pool(self) -> asyncpg.Pool:
        if self.pool is None:
            raise RuntimeError("this Db has no pool")
        return self.pool

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self.run(self._require_pool().fetch, sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await self.run(self._require_pool().fetchrow, sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self.run(self._require_pool().fetchval, sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        return await self.run(self._require_pool().execute, sql, *args)


@contextmanager
def collapse_single_groups() -> Iterator[None]:
    """Re-raise a lone exception instead of the group wrapping it.

    trio-asyncio's loop and our nurseries wrap everything raised in their
    bodies into ExceptionGroups; callers of ``open_*`` should see the plain
    ``UnsafeDatabaseSettings`` (or their own exception) instead.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        exc: BaseException = group
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]
        if exc is group:
            raise
        raise exc from exc.__cause__


@asynccontextmanager
async def open_db(dsn: str | None = None, *, pool_max_size: int = 4) -> AsyncIterator[Db]:
    """Open a trio-asyncio loop (and a pool on ``dsn`` if given); yield the ``Db``."""
    with collapse_single_groups():
        async with trio_asyncio.open_loop() as loop:
            db = Db(loop)
            try:
                if dsn is not None:
                    db.pool = await db.run(create_pool, dsn, 1, pool_max_size)
                yield db
            finally:
                await _close_pool(db)


async def _close_pool(db: Db) -> None:
    pool, db.pool = db.pool, None
    if pool is None:
        return
    with trio.CancelScope(shield=True), trio.move_on_after(5) as scope:
        await db.run(pool.close)
    if scope.cancelled_caught:
        pool.terminate()


async def _text_uuids(conn: asyncpg.Connection) -> None:
    """Exchange uuid values as canonical strings (org ids are str in Python)."""
    await conn.set_type_codec("uuid", encoder=str, decoder=str, schema="pg_catalog", format="text")


async def connect(dsn: str) -> asyncpg.Connection:
    """A dedicated connection, 10 s connect timeout (asyncio side; via ``Db.run``)."""
    return await asyncpg.connect(dsn, timeout=10.0)


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 4) -> asyncpg.Pool:
    """The read pool, uuid as text (asyncio side; call through ``Db.run``).

    ``create_pool`` returns an awaitable Pool, not a coroutine: wrapped here.
    """
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_text_uuids
    )
    return pool


def durability_problems(settings: Mapping[str, str]) -> list[str]:
    """Human-readable reasons why ``settings`` do not make commits durable."""
    problems = []
    if settings.get("fsync", "").lower() != "on":
        problems.append(f"fsync is {settings.get('fsync')!r}, must be 'on'")
    sync_commit = settings.get("synchronous_commit", "").lower()
    if sync_commit not in _DURABLE_SYNC_COMMIT:
        problems.append(f"synchronous_commit is {sync_commit!r}, must not be 'off'")
    return problems


async def _read_durability(conn: asyncpg.Connection) -> dict[str, str]:
    return {
        "fsync": await conn.fetchval("SHOW fsync"),
        "synchronous_commit": await conn.fetchval("SHOW synchronous_commit"),
    }


async def _read_durability_pooled(pool: asyncpg.Pool) -> dict[str, str]:
    async with pool.acquire() as conn:
        return await _read_durability(conn)


async def check_durability(db: Db, conn: asyncpg.Connection | None = None) -> dict[str, str]:
    """Raise ``UnsafeDatabaseSettings`` unless fsync and synchronous_commit are on.

    Checks ``conn`` (the writer's connection: settings can differ per database,
    role and session) or else a pool connection. Returns the settings read.
    """
    if conn is not None:
        settings = await db.run(_read_durability, conn)
    else:
        settings = await db.run(_read_durability_pooled, db._require_pool())
    problems = durability_problems(settings)
    if problems:
        raise UnsafeDatabaseSettings(
            "refusing to start: the database would acknowledge commits that are not "
            "durable (" + "; ".join(problems) + "). Set fsync=on and synchronous_commit=on."
        )
    return settings
