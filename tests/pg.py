"""Throwaway PostgreSQL databases for tests.

``fresh_database()`` creates a uniquely named database (``pulsar_test_<hex>``)
on the admin server (``DATABASE_URL``, else the local server), yields its DSN
and drops it afterwards (``WITH (FORCE)``). Migrated databases are cloned from
a template (``pulsar_tpl_<hash of the migration files>``) built once per
migration set, so a test pays for ``CREATE DATABASE ... TEMPLATE``, not for
the migrations. Use the ``pg_dsn`` fixture (import it into the test module),
or the context manager directly for an empty database.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import trio

from eventstore import Db, migrate, open_db
from eventstore.postgres import load_migrations

__all__ = ["admin_dsn", "database_dsn", "fresh_database", "pg_dsn"]

_TEMPLATE_LOCK = 0x70756C7361725F74  # advisory lock key for building the template
_templates_ready: set[str] = set()


def admin_dsn() -> str:
    return os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"


def database_dsn(name: str, base: str | None = None) -> str:
    """``base`` (default: the admin DSN) pointing at database ``name``."""
    parts = urlsplit(base or admin_dsn())
    return urlunsplit(parts._replace(path="/" + name))


def template_name() -> str:
    digest = hashlib.sha256("".join(m.checksum for m in load_migrations()).encode())
    return "pulsar_tpl_" + digest.hexdigest()[:16]


async def _build_template(db: Db, admin: asyncpg.Connection, name: str) -> None:
    """Create and migrate template ``name`` unless it exists (locked across sessions)."""
    await db.run(admin.execute, "SELECT pg_advisory_lock($1)", _TEMPLATE_LOCK)
    try:
        exists = await db.run(admin.fetchval, "SELECT 1 FROM pg_database WHERE datname=$1", name)
        if exists:
            return
        await db.run(admin.execute, f'DROP DATABASE IF EXISTS "{name}_tmp" WITH (FORCE)')
        await db.run(admin.execute, f'CREATE DATABASE "{name}_tmp"')
        conn = await db.run(asyncpg.connect, database_dsn(name + "_tmp"))
        try:
            await migrate(db, conn=conn)
        finally:
            await db.run(conn.close)
        await db.run(admin.execute, f'ALTER DATABASE "{name}_tmp" RENAME TO "{name}"')
    finally:
        await db.run(admin.execute, "SELECT pg_advisory_unlock($1)", _TEMPLATE_LOCK)


@asynccontextmanager
async def fresh_database(*, migrated: bool = True) -> AsyncIterator[str]:
    """Yield the DSN of a new database (migrated from the template by default)."""
    name = "pulsar_test_" + uuid.uuid4().hex[:16]
    async with open_db() as db:
        admin = await db.run(asyncpg.connect, admin_dsn())
        try:
            template = "template0"
            if migrated:
                template = template_name()
                if template not in _templates_ready:
                    await _build_template(db, admin, template)
                    _templates_ready.add(template)
            await db.run(admin.execute, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            try:
                yield database_dsn(name)
            finally:
                with trio.CancelScope(shield=True):
                    await db.run(admin.execute, f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            with trio.CancelScope(shield=True):
                await db.run(admin.close)


@pytest.fixture
async def pg_dsn() -> AsyncIterator[str]:
    """A fresh migrated database's DSN, dropped after the test."""
    async with fresh_database() as dsn:
        yield dsn
