"""The PostgreSQL implementation of the event store (asyncpg behind trio-asyncio)."""

from eventstore.postgres.db import Db, check_durability, durability_problems, open_db
from eventstore.postgres.migrate import MIGRATIONS_DIR, load_migrations, migrate
from eventstore.postgres.store import PostgresEventStore, open_postgres_store
from eventstore.postgres.writer import WriterStatistics

__all__ = [
    "MIGRATIONS_DIR",
    "Db",
    "PostgresEventStore",
    "WriterStatistics",
    "check_durability",
    "durability_problems",
    "load_migrations",
    "migrate",
    "open_db",
    "open_postgres_store",
]
