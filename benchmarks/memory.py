"""Memory per open alert in an organization's in-process state.

Builds an ``OrgState`` with ``ALERTS`` open alerts through the engine's pure
``execute`` (realistic message, distinct alias, 3 tags, 3 details), twice:

* once measuring the process RSS delta (``/proc/self/statm``; includes
  allocator slack and freed-but-kept arenas);
* once under ``tracemalloc`` (exact Python allocations still alive).

Also reports the snapshot size per alert, and how long a snapshot of that
state stops the process: encoded in the actor's task (as before), and with
``engine.runtime.snapshots`` forking a child to encode it (the stall is then
the fork). No database is needed.
Run: ``.venv/bin/python -m benchmarks memory``.
"""

from __future__ import annotations

import gc
import os
import random
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import trio

from benchmarks import Figure, report
from engine import CommandContext, CreateAlert, hash_api_key, new_api_key, new_id
from engine.access import CreateOrganization
from engine.org import OrgState, execute, initial_state
from engine.runtime.snapshots import encode_snapshot, snapshot_data

ALERTS = 100_000
SEED = 20240601
START = datetime(2024, 6, 1, tzinfo=UTC)
REGIONS = ("eu-west-1", "us-east-1", "ap-south-1")


def _command(rng: random.Random, i: int) -> CreateAlert:
    host = f"web-{rng.randrange(1000):04d}"
    region = rng.choice(REGIONS)
    return CreateAlert(
        alert_id=new_id(),
        message=f"CPU load above 95% on {host} ({region}) for 5 minutes",
        alias=f"{host}-cpu-high-{i}",
        tags=("cpu", "production", region),
        details={"host": host, "region": region, "runbook": "https://wiki.example.com/rb/cpu"},
        source="prometheus",
        priority=rng.choice(("P1", "P2", "P3", "P3", "P4")),
    )


def build_state(n: int) -> OrgState:
    """An organization with ``n`` open alerts (all distinct aliases)."""
    rng = random.Random(SEED)
    state = initial_state()
    ctx = CommandContext(principal_kind="api_key", principal_id="bench")
    org = CreateOrganization(
        org_id=new_id(), name="bench", key_id=new_id(), key_hash=hash_api_key(new_api_key())
    )
    execute(state, org, ctx, START)
    for i in range(n):
        execute(state, _command(rng, i), ctx, START + timedelta(seconds=i))
    return state


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_rss(n: int) -> tuple[int, float]:
    gc.collect()
    before = _rss_bytes()
    start = time.perf_counter()
    state = build_state(n)
    elapsed = time.perf_counter() - start
    gc.collect()
    delta = _rss_bytes() - before
    del state
    gc.collect()
    return delta, elapsed


def measure_tracemalloc(n: int) -> tuple[int, int, int]:
    """(bytes still allocated, peak bytes, snapshot bytes) for ``n`` alerts."""
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    state = build_state(n)
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    snapshot = len(snapshot_data(state))
    assert len(state.alerts.open_by_alias) == n, "every alert should be open"
    return current - base, peak - base, snapshot


def measure_snapshot_stall(n: int, rounds: int = 3) -> tuple[float, float, float]:
    """Best of ``rounds``, in seconds: encoding and compressing ``n`` alerts in the actor's
    task (what a snapshot would stall the whole process for), the stall when a child encodes them
    (``encode_snapshot``: the fork), and the forked snapshot's time until its bytes are in."""
    state = build_state(n)
    gc.collect()
    gc.freeze()  # as ``pulsar serve`` does after start-up
    inline, stall, total = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        snapshot_data(state)
        inline.append(time.perf_counter() - start)
        start = time.perf_counter()
        pending = encode_snapshot(state, fork_min_alerts=0)
        stall.append(time.perf_counter() - start)
        trio.run(pending.result)
        total.append(time.perf_counter() - start)
    gc.unfreeze()
    return min(inline), min(stall), min(total)


def main() -> None:
    inline, stall, forked_total = measure_snapshot_stall(ALERTS)
    rss, build_seconds = measure_rss(ALERTS)
    traced, peak, snapshot = measure_tracemalloc(ALERTS)
    figures = [
        Figure("memory", "open alerts", ALERTS, "alerts"),
        Figure(
            "memory",
            "tracemalloc bytes / open alert",
            traced / ALERTS,
            "B",
            note=f"{traced / 1e6:.0f} MB total",
        ),
        Figure("memory", "tracemalloc peak bytes / open alert", peak / ALERTS, "B"),
        Figure(
            "memory",
            "RSS delta bytes / open alert",
            rss / ALERTS,
            "B",
            note=f"{rss / 1e6:.0f} MB total",
        ),
        Figure("memory", "snapshot bytes / open alert", snapshot / ALERTS, "B"),
        Figure("memory", "build rate (execute CreateAlert)", ALERTS / build_seconds, "alerts/s"),
        Figure(
            "memory",
            "snapshot encoded + compressed in the actor (stall)",
            inline * 1000,
            "ms",
            note="best of 3; every task of the process waits",
        ),
        Figure(
            "memory",
            "snapshot encoded by a forked child (stall)",
            stall * 1000,
            "ms",
            note=f"best of 3; bytes in after {forked_total * 1000:.0f} ms",
        ),
    ]
    report(f"memory ({ALERTS:,} open alerts, in-process)", figures)


if __name__ == "__main__":
    main()
