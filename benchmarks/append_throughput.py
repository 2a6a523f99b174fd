"""Group-commit append throughput and ack latency, plus replay speed.

Run: ``.venv/bin/python -m benchmarks.append_throughput`` (bounded, < 30 s).

Creates a fresh database on ``DATABASE_URL`` (else the local server), runs N
concurrent appenders (1, 10, 200), each appending one ~280-byte event at a
time and waiting until it is durable, then replays one large org's stream
with ``iter_stream``; drops the database afterwards.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import trio

from eventstore import NewEvent, PostgresEventStore, open_db, open_postgres_store

LEVELS = (1, 10, 200)
SECONDS_PER_LEVEL = 5.0
PAYLOAD = b'{"alias":"disk-full-db-7","message":"' + b"x" * 230 + b'","priority":"P1"}'
REPLAY_EVENTS = 200_000


def admin_dsn() -> str:
    return os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"


def with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path="/" + name))


async def appender(store: PostgresEventStore, deadline: float, latencies: list[float]) -> None:
    org, version = str(uuid.uuid4()), 0
    event = NewEvent(type="AlertCreated", data=PAYLOAD)
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        await store.append(org, version, [event])
        latencies.append(time.perf_counter() - start)
        version += 1


async def run_level(store: PostgresEventStore, n: int) -> None:
    latencies: list[float] = []
    before = store.statistics()
    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(n):
            nursery.start_soon(appender, store, start + SECONDS_PER_LEVEL, latencies)
    elapsed = time.perf_counter() - start
    after = store.statistics()
    q = statistics.quantiles(latencies, n=100)
    batches = max(after.batches - before.batches, 1)
    print(
        f"{n:>4} appenders: {len(latencies) / elapsed:>9,.0f} durable events/s  "
        f"ack p50 {q[49] * 1000:5.2f} ms  p99 {q[98] * 1000:6.2f} ms  "
        f"mean batch {(after.events_committed - before.events_committed) / batches:6.1f}"
    )


async def run_replay(store: PostgresEventStore) -> None:
    org = str(uuid.uuid4())
    event = NewEvent(type="AlertCreated", data=PAYLOAD)
    for version in range(0, REPLAY_EVENTS, 10_000):
        await store.append(org, version, [event] * 10_000)
    start, count = time.perf_counter(), 0
    async for chunk in store.iter_stream(org):
        count += len(chunk)
    elapsed = time.perf_counter() - start
    print(f"replay iter_stream ({count:,} events): {count / elapsed:>9,.0f} events/s")
    start = time.perf_counter()
    count = len(await store.read_stream(org))
    elapsed = time.perf_counter() - start
    print(f"replay read_stream ({count:,} events): {count / elapsed:>9,.0f} events/s")


async def main() -> None:
    name = "pulsar_bench_" + uuid.uuid4().hex[:12]
    async with open_db(admin_dsn()) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            async with open_postgres_store(with_database(admin_dsn(), name)) as store:
                for n in LEVELS:
                    await run_level(store, n)
                await run_replay(store)
        finally:
            with trio.CancelScope(shield=True):
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    trio.run(main)
