"""Event store errors, in PEP 249's vocabulary.

    EventStoreError
    ├── AppendConflict      expected version did not match: another writer owns the org
    ├── DatabaseUnavailable the database could not be reached or the connection broke;
    │                       the outcome of an in-flight append is unknown
    ├── IntegrityError      the log violates an invariant (a gap, a duplicate)
    ├── UnsafeDatabaseSettings  fsync or synchronous_commit is off: refuse to start
    └── MigrationError      an applied migration file was edited, or a migration failed

An ``AppendConflict`` is never retried by the store: the org's actor must stop
and rebuild from the log (fencing, reliability.md decision 3).
"""

from __future__ import annotations

__all__ = [
    "AppendConflict",
    "DatabaseUnavailable",
    "EventStoreError",
    "IntegrityError",
    "MigrationError",
    "UnsafeDatabaseSettings",
]


class EventStoreError(Exception):
    """Base class of every error the event store raises."""


class AppendConflict(EventStoreError):
    """The organization's stream is not at the expected version."""

    def __init__(self, org_id: str, expected: int, actual: int) -> None:
        super().__init__(f"org {org_id}: expected version {expected}, stream is at {actual}")
        self.org_id = org_id
        self.expected = expected
        self.actual = actual


class DatabaseUnavailable(EventStoreError):
    """The database is unreachable; an in-flight append has an unknown outcome."""


class IntegrityError(EventStoreError):
    """The stored log breaks an invariant of the contract."""


class UnsafeDatabaseSettings(EventStoreError):
    """The database would acknowledge commits that are not durable (decision 1)."""


class MigrationError(EventStoreError):
    """A migration failed, or an already-applied migration file was edited."""
