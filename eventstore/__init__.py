"""Pulsar's event log: the public API. Other packages import only from here.

    async with open_postgres_store(dsn) as store:   # migrates, checks durability
        versions = await store.append(org_id, expected_version, [NewEvent(...)])

``MemoryEventStore`` satisfies the same ``EventStore`` contract for unit tests;
``start_embedded(data_dir)`` runs a private PostgreSQL when no DSN is given.
"""

from eventstore.contract import EventStore
from eventstore.embedded import EmbeddedPostgres, start_embedded
from eventstore.envelope import Envelope, NewEvent, PayloadChunk, Snapshot
from eventstore.errors import (
    AppendConflict,
    DatabaseUnavailable,
    EventStoreError,
    IntegrityError,
    MigrationError,
    UnsafeDatabaseSettings,
)
from eventstore.memory import MemoryEventStore, MemoryStatistics
from eventstore.postgres import (
    MIGRATIONS_DIR,
    Db,
    PostgresEventStore,
    WriterStatistics,
    check_durability,
    durability_problems,
    migrate,
    open_db,
    open_postgres_store,
)

__all__ = [
    "MIGRATIONS_DIR",
    "AppendConflict",
    "DatabaseUnavailable",
    "Db",
    "EmbeddedPostgres",
    "Envelope",
    "EventStore",
    "EventStoreError",
    "IntegrityError",
    "MemoryEventStore",
    "MemoryStatistics",
    "MigrationError",
    "NewEvent",
    "PayloadChunk",
    "PostgresEventStore",
    "Snapshot",
    "UnsafeDatabaseSettings",
    "WriterStatistics",
    "check_durability",
    "durability_problems",
    "migrate",
    "open_db",
    "open_postgres_store",
    "start_embedded",
]
