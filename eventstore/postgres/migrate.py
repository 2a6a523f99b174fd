"""The schema migrator: applies ``migrations/*.sql`` in name order, each once.

Rules (goalert's append-only migrations):

* Each file runs in its own transaction together with its bookkeeping row in
  ``schema_migrations`` (name, sha256 checksum, applied_at), so a file is
  either fully applied and recorded or not at all.
* The whole run holds a session-level advisory lock, so two processes
  starting at once apply each file exactly once (the second waits, then sees
  everything applied).
* A committed migration is never edited: if an applied file's checksum no
  longer matches the file on disk, ``MigrationError`` is raised and nothing
  runs. Add a new file instead.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncpg
import msgspec

from eventstore.errors import MigrationError
from eventstore.postgres.db import Db

__all__ = ["MIGRATIONS_DIR", "Migration", "load_migrations", "migrate"]

# <repo>/migrations, next to the eventstore package.
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# Arbitrary constant key of the migrator's advisory lock ("pulsar_m" in ASCII).
_LOCK_KEY = 0x70756C7361725F6D

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       text        PRIMARY KEY,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class Migration(msgspec.Struct, frozen=True):
    """One migration file: its name, SQL text and sha256 of its bytes."""

    name: str
    sql: str
    checksum: str


def load_migrations(migrations_dir: Path | None = None) -> list[Migration]:
    """Every ``*.sql`` file of ``migrations_dir`` (default: the repo's), by name."""
    directory = migrations_dir or MIGRATIONS_DIR
    if not directory.is_dir():
        raise MigrationError(f"migrations directory not found: {directory}")
    found = []
    for path in sorted(directory.glob("*.sql")):
        raw = path.read_bytes()
        found.append(Migration(path.name, raw.decode("utf-8"), hashlib.sha256(raw).hexdigest()))
    return found


def _pending(migrations: list[Migration], applied: dict[str, str]) -> list[Migration]:
    """The migrations not applied yet; raises if an applied one was edited."""
    for m in migrations:
        if m.name in applied and applied[m.name] != m.checksum:
            raise MigrationError(
                f"migration {m.name} was edited after it was applied "
                f"(recorded sha256 {applied[m.name][:12]}..., file {m.checksum[:12]}...); "
                "committed migrations are never edited: add a new migration instead"
            )
    return [m for m in migrations if m.name not in applied]


async def _apply_all(conn: asyncpg.Connection, migrations: list[Migration]) -> list[str]:
    """asyncio side: lock, compare checksums, apply what is pending."""
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(_BOOKKEEPING)
        rows = await conn.fetch("SELECT name, checksum FROM schema_migrations")
        todo = _pending(migrations, {r["name"]: r["checksum"] for r in rows})
        for m in todo:
            try:
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                        m.name,
                        m.checksum,
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(f"migration {m.name} failed: {exc}") from exc
        return [m.name for m in todo]
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def _migrate_pooled(pool: asyncpg.Pool, migrations: list[Migration]) -> list[str]:
    async with pool.acquire() as conn:
        return await _apply_all(conn, migrations)


async def migrate(
    db: Db, migrations_dir: Path | None = None, *, conn: asyncpg.Connection | None = None
) -> list[str]:
    """Apply pending migrations; return the names applied by this call.

    Uses ``conn`` if given, else a connection of ``db.pool``.
    """
    migrations = load_migrations(migrations_dir)
    if conn is not None:
        return await db.run(_apply_all, conn, migrations)
    if db.pool is None:
        raise RuntimeError("migrate needs a connection or a Db with a pool")
    return await db.run(_migrate_pooled, db.pool, migrations)
