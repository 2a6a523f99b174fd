"""The event store contract: one Protocol, two implementations.

``eventstore.memory.MemoryEventStore`` (unit tests of pure logic) and
``eventstore.postgres.PostgresEventStore`` (everything else) both satisfy it;
``tests/contract`` runs one suite against both.

Guarantees every implementation gives:

* ``append`` is atomic: all events of the call are committed or none are.
  It returns only after the commit is durable. Versions are gapless per
  organization, starting at 1.
* ``append`` raises ``AppendConflict`` when the stream's current version is
  not ``expected_version`` (0 for a new organization).
* ``read_all`` never lets a tailing reader skip an event: an event with a
  lower position than one already returned is never returned later
  (positions become visible in commit order).
* Cancellation: ``append`` is shielded inside the implementation; once called,
  its outcome is decided by the store, not by the caller's cancel scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from typing import Protocol

from eventstore.envelope import Envelope, NewEvent, PayloadChunk, Snapshot

__all__ = ["EventStore"]


class EventStore(Protocol):
    async def append(
        self, org_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[int]:
        """Append ``events`` to ``org_id``'s stream after ``expected_version``.

        Returns:
            The committed per-org versions, one per event, in order.

        Raises:
            AppendConflict: the stream is not at ``expected_version``.
            DatabaseUnavailable: the outcome is unknown; the caller must rebuild.
        """
        ...

    async def read_stream(
        self, org_id: str, *, after_version: int = 0, limit: int | None = None
    ) -> list[Envelope]:
        """Events of one organization with version > ``after_version``, in order."""
        ...

    def iter_stream(
        self, org_id: str, after_version: int = 0, chunk: int = 10_000
    ) -> AsyncIterator[list[Envelope]]:
        """The stream after ``after_version`` as lists of up to ``chunk`` events (replay)."""
        ...

    def iter_payloads(
        self, org_id: str, after_version: int = 0, chunk: int = 10_000, separator: bytes = b","
    ) -> AsyncIterator[PayloadChunk]:
        """The stream's payloads only, ``chunk`` events at a time, joined by ``separator``.

        The fast path for folding state: no envelope per event. A chunk's
        ``data`` is ``separator.join(payloads)`` of events ``first..last``.
        """
        ...

    async def read_subject(self, org_id: str, subject: str) -> list[Envelope]:
        """Events of one organization about ``subject`` (e.g. an alert id), in order."""
        ...

    async def read_all(self, *, after_position: int = 0, limit: int = 1000) -> list[Envelope]:
        """Events of every organization with position > ``after_position``, in order.

        Safe for tailing: positions are visible in commit order.
        """
        ...

    async def read_all_of_types(
        self, types: Collection[str], *, after_position: int = 0, limit: int = 1000
    ) -> tuple[list[Envelope], int]:
        """Events of the given ``types`` after ``after_position``, and how far it read.

        Returns the events and the position to continue from: a tailer that
        only cares for a few rare types (the API-key directory) does not
        transfer every other event, and never rescans what it skipped.
        """
        ...

    async def stream_version(self, org_id: str) -> int:
        """The current version of ``org_id``'s stream (0 when it has no events)."""
        ...

    async def list_orgs(self) -> list[str]:
        """Every organization id that has at least one event."""
        ...

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store ``snapshot``, replacing an older one of the same org."""
        ...

    async def load_snapshot(self, org_id: str, schema_version: int) -> Snapshot | None:
        """The newest snapshot of ``org_id`` written with ``schema_version``, if any."""
        ...
