"""MemoryEventStore: the EventStore contract in memory, for unit tests.

Deterministic: positions and versions are assigned in call order, and
``recorded_at`` comes from an injectable ``now`` function (a fixed instant by
default). Same semantics as the PostgreSQL store: atomic appends, gapless
versions, ``AppendConflict`` on a stale or ahead expected version, snapshots
keyed by schema version. Each method checkpoints once, so tests still see
trio scheduling points where the real store has them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Sequence
from datetime import UTC, datetime

import msgspec
import trio

from eventstore._checks import check_append, org_uuid
from eventstore.envelope import Envelope, NewEvent, PayloadChunk, Snapshot
from eventstore.errors import AppendConflict

__all__ = ["MemoryEventStore", "MemoryStatistics"]

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


class MemoryStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """Counters of a MemoryEventStore (mirrors the writer's statistics)."""

    appends_committed: int
    events_committed: int
    conflicts: int
    failed_batches: int = 0
    batches: int
    last_batch_size: int
    queue_depth: int = 0


class MemoryEventStore:
    """An in-memory event log. Not durable, not shared between processes."""

    def __init__(self, *, now: Callable[[], datetime] = lambda: _EPOCH) -> None:
        self._now = now
        self._log: list[Envelope] = []
        self._streams: dict[str, list[Envelope]] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self._appends = 0
        self._conflicts = 0
        self._last = 0

    def statistics(self) -> MemoryStatistics:
        return MemoryStatistics(
            appends_committed=self._appends,
            events_committed=len(self._log),
            conflicts=self._conflicts,
            batches=self._appends,
            last_batch_size=self._last,
        )

    async def append(
        self, org_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[int]:
        org = str(check_append(org_id, expected_version, events))
        await trio.lowlevel.checkpoint()
        stream = self._streams.setdefault(org, [])
        if expected_version != len(stream):
            self._conflicts += 1
            raise AppendConflict(org, expected_version, len(stream))
        recorded_at = self._now()
        for event in events:
            envelope = Envelope(
                position=len(self._log) + 1,
                org_id=org,
                version=len(stream) + 1,
                type=event.type,
                data=event.data,
                metadata=event.metadata,
                subject=event.subject,
                recorded_at=recorded_at,
            )
            stream.append(envelope)
            self._log.append(envelope)
        self._appends += 1
        self._last = len(events)
        return list(range(expected_version + 1, expected_version + 1 + len(events)))

    async def read_stream(
        self, org_id: str, *, after_version: int = 0, limit: int | None = None
    ) -> list[Envelope]:
        await trio.lowlevel.checkpoint()
        stream = self._streams.get(str(org_uuid(org_id)), [])
        start = max(after_version, 0)
        end = None if limit is None else start + limit
        return stream[start:end]

    async def iter_stream(
        self, org_id: str, after_version: int = 0, chunk: int = 10_000
    ) -> AsyncIterator[list[Envelope]]:
        """Yield the stream after ``after_version`` as lists of up to ``chunk`` events."""
        while part := await self.read_stream(org_id, after_version=after_version, limit=chunk):
            yield part
            if len(part) < chunk:
                return
            after_version = part[-1].version

    async def iter_payloads(
        self, org_id: str, after_version: int = 0, chunk: int = 10_000, separator: bytes = b","
    ) -> AsyncIterator[PayloadChunk]:
        """Payloads only, joined by ``separator``, ``chunk`` events at a time."""
        async for part in self.iter_stream(org_id, after_version, chunk):
            yield PayloadChunk(
                first_version=part[0].version,
                last_version=part[-1].version,
                count=len(part),
                data=separator.join(e.data for e in part),
            )

    async def read_subject(self, org_id: str, subject: str) -> list[Envelope]:
        await trio.lowlevel.checkpoint()
        stream = self._streams.get(str(org_uuid(org_id)), [])
        return [e for e in stream if e.subject == subject]

    async def read_all(self, *, after_position: int = 0, limit: int = 1000) -> list[Envelope]:
        await trio.lowlevel.checkpoint()
        start = max(after_position, 0)
        return self._log[start : start + limit]

    async def read_all_of_types(
        self, types: Collection[str], *, after_position: int = 0, limit: int = 1000
    ) -> tuple[list[Envelope], int]:
        await trio.lowlevel.checkpoint()
        horizon = len(self._log)
        found = [e for e in self._log[max(after_position, 0) :] if e.type in types][:limit]
        reached = found[-1].position if len(found) == limit else max(horizon, after_position)
        return found, reached

    async def stream_version(self, org_id: str) -> int:
        await trio.lowlevel.checkpoint()
        return len(self._streams.get(str(org_uuid(org_id)), []))

    async def list_orgs(self) -> list[str]:
        await trio.lowlevel.checkpoint()
        return sorted(org for org, stream in self._streams.items() if stream)

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        org = str(org_uuid(snapshot.org_id))
        await trio.lowlevel.checkpoint()
        old = self._snapshots.get(org)
        if (
            old is None
            or old.schema_version != snapshot.schema_version
            or old.version <= snapshot.version
        ):
            self._snapshots[org] = msgspec.structs.replace(snapshot, org_id=org)

    async def load_snapshot(self, org_id: str, schema_version: int) -> Snapshot | None:
        await trio.lowlevel.checkpoint()
        snapshot = self._snapshots.get(str(org_uuid(org_id)))
        if snapshot is None or snapshot.schema_version != schema_version:
            return None
        return snapshot
