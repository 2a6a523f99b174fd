"""Replay: how fast an organization's state is rebuilt from its log.

Fills a fresh database with one organization of ``EVENTS`` events in a
realistic mix (about 35% AlertCreated, 30% AlertDeduplicated, 15%
AlertAcknowledged, 20% AlertClosed), generated through the engine's pure
``execute`` (as ``engine.runtime.admin.create_organization`` does) and
appended in chunks of ``CHUNK`` with expected versions. Then times:

* (a) ``engine.load_state`` with no snapshot: read + decode + fold from PostgreSQL;
* (a') reading the stream only (``iter_payloads``, no decode) -- where (a)'s time goes;
* (b) decode + fold from memory (no database), and decode alone;
* (c) ``load_state`` with a snapshot at the head (written as the actor does).

Each timing is the best of ``REPEAT``. Run: ``.venv/bin/python -m benchmarks replay``.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import trio

from benchmarks import Figure, fresh_database, report
from engine import (
    AcknowledgeAlert,
    CloseAlert,
    CommandContext,
    CreateAlert,
    EventMeta,
    hash_api_key,
    load_state,
    new_api_key,
    new_id,
)
from engine.access import CreateOrganization
from engine.org import (
    SNAPSHOT_SCHEMA_VERSION,
    Command,
    OrgState,
    decode_payloads,
    encode_event,
    encode_state,
    execute,
    fold,
    initial_state,
)
from engine.runtime.snapshots import snapshot_data
from eventstore import NewEvent, PayloadChunk, PostgresEventStore, Snapshot, open_postgres_store

EVENTS = 300_000
CHUNK = 5_000
REPEAT = 2
SEED = 20240601
TARGET_EVENTS_PER_SECOND = 300_000
START = datetime(2024, 6, 1, tzinfo=UTC)


class Generator:
    """Commands in a realistic mix, seeded; ``state`` evolves as they execute."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.state = initial_state()
        self.ctx = CommandContext(principal_kind="api_key", principal_id="bench")
        self.meta = EventMeta.of(self.ctx)
        self.now = START
        self.open: list[tuple[str, str, bool]] = []  # (alert id, alias, acknowledged)
        self.org_id = new_id()
        self.aliases = 0

    def organization(self) -> list[NewEvent]:
        key = hash_api_key(new_api_key())
        command = CreateOrganization(
            org_id=self.org_id, name="bench", key_id=new_id(), key_hash=key
        )
        return self._run(command)

    def _run(self, command: Command) -> list[NewEvent]:
        self.now += timedelta(milliseconds=self.rng.randrange(1, 2000))
        events, outcome = execute(self.state, command, self.ctx, self.now)
        if isinstance(command, CreateAlert) and outcome.alert_id == command.alert_id:
            self.open.append((command.alert_id, command.alias, False))
        return [encode_event(e, self.meta) for e in events]

    def _create(self) -> Command:
        self.aliases += 1
        alias = f"svc-{self.aliases % 9000}-disk-usage"
        alert_id = new_id()
        host = f"db-{self.rng.randrange(300):03d}"
        return CreateAlert(
            alert_id=alert_id,
            message=f"Disk usage above 90% on {host}",
            alias=alias,
            tags=("disk", "production", host),
            details={"host": host, "mount": "/var/lib/postgresql", "team": "storage"},
            source="monitoring",
        )

    def _existing(self) -> Command:
        index = self.rng.randrange(len(self.open))
        alert_id, alias, acked = self.open[index]
        roll = self.rng.random()
        if roll < 0.45:
            return CreateAlert(alert_id=new_id(), message="Disk usage above 90%", alias=alias)
        if roll < 0.67 and not acked:
            self.open[index] = (alert_id, alias, True)
            return AcknowledgeAlert(alert_id=alert_id, user="oncall@example.com")
        self.open[index] = self.open[-1]
        self.open.pop()
        return CloseAlert(alert_id=alert_id, user="oncall@example.com")

    def next_events(self) -> list[NewEvent]:
        if len(self.open) < 50 or self.rng.random() < 0.35:
            return self._run(self._create())
        return self._run(self._existing())


async def fill(store: PostgresEventStore, total: int) -> tuple[Generator, float]:
    """Append ``total`` events (chunks of ``CHUNK``); returns the generator and seconds."""
    start = time.perf_counter()
    gen = Generator()
    pending = gen.organization()
    version = 0
    while version < total:
        while len(pending) < CHUNK and version + len(pending) < total:
            pending += gen.next_events()
        await store.append(gen.org_id, version, pending)
        version += len(pending)
        pending = []
    return gen, time.perf_counter() - start


async def best_of(fn: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return min(times)


async def read_only(store: PostgresEventStore, org_id: str) -> int:
    count = 0
    async for chunk in store.iter_payloads(org_id):
        count += chunk.count
    return count


def fold_chunks(chunks: list[PayloadChunk]) -> OrgState:
    """Decode + fold as load_state does (cyclic GC paused while folding)."""
    state = initial_state()
    gc.disable()
    try:
        for chunk in chunks:
            fold(state, decode_payloads(chunk.data))
    finally:
        gc.enable()
    return state


async def write_snapshot(store: PostgresEventStore, state: OrgState, org_id: str) -> int:
    data = snapshot_data(state)
    snapshot = Snapshot(
        org_id=org_id, version=state.version, schema_version=SNAPSHOT_SCHEMA_VERSION, data=data
    )
    await store.save_snapshot(snapshot)
    return len(data)


async def _measure(store: PostgresEventStore, gen: Generator, fill_seconds: float) -> list[Figure]:
    org, n = gen.org_id, gen.state.version
    full = await best_of(lambda: load_state(store, org))
    fetch = await best_of(lambda: read_only(store, org))
    chunks = [c async for c in store.iter_payloads(org)]

    async def in_memory() -> None:
        fold_chunks(chunks)

    async def decode_only() -> None:
        for chunk in chunks:
            decode_payloads(chunk.data)

    memory = await best_of(in_memory)
    decode = await best_of(decode_only)
    encode_start = time.perf_counter()
    size = await write_snapshot(store, gen.state, org)
    encode = time.perf_counter() - encode_start
    snap = await best_of(lambda: load_state(store, org))
    loaded = await load_state(store, org)
    same = encode_state(loaded) == encode_state(gen.state)
    target = TARGET_EVENTS_PER_SECOND
    return [
        Figure("replay", "events in stream", n, "events", note=f"{len(gen.open):,} open alerts"),
        Figure("replay", "fill (generate + append)", fill_seconds, "s", note=f"chunks of {CHUNK}"),
        Figure(
            "replay",
            "(a) load_state, no snapshot",
            n / full,
            "events/s",
            target,
            note=f"{full:.2f} s",
        ),
        Figure(
            "replay",
            "(a') iter_payloads only (no decode)",
            n / fetch,
            "events/s",
            note=f"{fetch:.2f} s",
        ),
        Figure(
            "replay", "(b) decode + fold, in memory", n / memory, "events/s", note=f"{memory:.2f} s"
        ),
        Figure(
            "replay", "(b') decode only, in memory", n / decode, "events/s", note=f"{decode:.2f} s"
        ),
        Figure(
            "replay",
            "(c) load_state with snapshot at head",
            snap,
            "s",
            note=f"snapshot {size / 1e6:.1f} MB",
        ),
        Figure("replay", "snapshot encode + save", encode, "s"),
        Figure("replay", "snapshot state == generated state", float(same), "bool"),
    ]


async def main() -> None:
    async with fresh_database() as dsn, open_postgres_store(dsn) as store:
        gen, fill_seconds = await fill(store, EVENTS)
        print(f"replay: filled {gen.state.version:,} events in {fill_seconds:.1f} s", flush=True)
        figures = await _measure(store, gen, fill_seconds)
    report("replay (one organization, PostgreSQL on loopback)", figures)


if __name__ == "__main__":
    trio.run(main)
