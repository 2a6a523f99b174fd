"""Alertmanager webhook ingest: Pulsar vs Prometheus Alertmanager itself, same machine, one run.

Two servers, one after the other, each driven by the minimal trio HTTP/1.1
keep-alive client of ``benchmarks.ingest`` (one connection per task) at
``CONCURRENCY`` connections:

* Pulsar (``python -m web serve``, fresh database, ``PULSAR_LOG_LEVEL=warning``):
  an organization from ``python -m web org create``, an ``alertmanager``
  integration from ``POST /api/v1/integrations``, then
  ``POST /v1/webhooks/alertmanager/{key}`` with webhook v4 payloads of 1 and of
  100 distinct firing alerts (distinct labels and fingerprints: every alert
  creates a Pulsar alert). Pulsar answers 202 after the events are committed
  (fsync'd) to PostgreSQL.
* Alertmanager (``/usr/bin/prometheus-alertmanager``; ``scripts/ensure-alertmanager``
  installs it): a minimal config (one null receiver), no cluster, storage in a
  tmp dir, ``GOMAXPROCS=1`` (``PULSAR_BENCH_AM_GOMAXPROCS`` overrides; 0 = Go's
  default, all cores), then ``POST /api/v2/alerts`` with lists of 1 and of 100
  distinct alerts (same labels and annotations as the Pulsar payloads).
  Alertmanager keeps alerts in memory only.

Each run: ``WARMUP`` s discarded, then ``SECONDS`` s measured. Reported per
run: alerts/s, request p50/p99, server CPU (from ``/proc/<pid>/stat``), client
CPU, machine CPU (``/proc/stat``, 100% = all cores), server RSS; then the
Pulsar/Alertmanager ratios. Neither process is pinned (no taskset).

Run: ``.venv/bin/python -m benchmarks alertmanager_ingest`` (about 40 s).
``PULSAR_BENCH_SECONDS`` overrides the measured seconds per run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import asyncpg
import trio

from benchmarks import Figure, fresh_database, percentile, report
from benchmarks.ingest import (
    Connection,
    _cpu_seconds,
    _free_port,
    _stop,
    _wait_healthy,
    create_org,
    http_request,
    wait_until_answers,
)
from eventstore import open_db

WARMUP = 2.0
SECONDS = float(os.environ.get("PULSAR_BENCH_SECONDS", "6"))
CONCURRENCY = 16
SIZES = (1, 100)
BINARY = Path("/usr/bin/prometheus-alertmanager")
ENSURE = Path(__file__).resolve().parents[1] / "scripts" / "ensure-alertmanager"
AM_GOMAXPROCS = os.environ.get("PULSAR_BENCH_AM_GOMAXPROCS", "1")
BENCH = "alertmanager_ingest"

AM_CONFIG = """\
route:
  receiver: 'null'
  group_by: ['alertname']
receivers:
  - name: 'null'
"""

# One alert; the same labels/annotations for both servers (Pulsar's also has status
# and fingerprint, as Alertmanager's webhook sends them).
_LABELS = (
    '"labels":{{"alertname":"BenchAlert","instance":"{id}:9100","job":"bench",'
    '"severity":"warning"}},'
    '"annotations":{{"summary":"Bench alert {id}","description":"Synthetic alert {id}"}},'
    '"startsAt":"{starts}","endsAt":"0001-01-01T00:00:00Z",'
    '"generatorURL":"http://prometheus:9090/graph?g0.expr=up"'
)
PULSAR_ALERT = '{{"status":"firing",' + _LABELS + ',"fingerprint":"{id}"}}'
AM_ALERT = "{{" + _LABELS + "}}"
ENVELOPE = (
    '{{"receiver":"pulsar","status":"firing","alerts":[{alerts}],'
    '"groupLabels":{{"alertname":"BenchAlert"}},'
    '"commonLabels":{{"alertname":"BenchAlert","job":"bench","severity":"warning"}},'
    '"commonAnnotations":{{}},"externalURL":"http://alertmanager:9093","version":"4",'
    '"groupKey":"{{}}:{{alertname=\\"BenchAlert\\"}}","truncatedAlerts":0}}'
)

RequestFactory = Callable[[], bytes]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Alerts:
    """Distinct alert ids for one worker of one run: ``{run}-w{worker}-{n}``."""

    def __init__(self, run: str, worker: int) -> None:
        self.prefix = f"{run}-w{worker}-"
        self.count = 0
        self.starts = _now()

    def ids(self, n: int) -> list[str]:
        first = self.count
        self.count += n
        return [f"{self.prefix}{i}" for i in range(first, first + n)]


def pulsar_factory(port: int, key: str, run: str, size: int, worker: int) -> RequestFactory:
    alerts = Alerts(run, worker)
    path = f"/v1/webhooks/alertmanager/{key}"

    def make() -> bytes:
        items = ",".join(PULSAR_ALERT.format(id=i, starts=alerts.starts) for i in alerts.ids(size))
        return http_request("POST", port, path, body=ENVELOPE.format(alerts=items).encode())

    return make


def alertmanager_factory(port: int, run: str, size: int, worker: int) -> RequestFactory:
    alerts = Alerts(run, worker)

    def make() -> bytes:
        items = ",".join(AM_ALERT.format(id=i, starts=alerts.starts) for i in alerts.ids(size))
        return http_request("POST", port, "/api/v2/alerts", body=f"[{items}]".encode())

    return make


# -- one run -------------------------------------------------------------------------------
@dataclass
class Run:
    server: str
    size: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    connection_errors: Counter[str] = field(default_factory=Counter)
    rejected_items: int = 0  # Pulsar per-item results "rejected" (whole run, warm-up too)
    sent_ok_alerts: int = 0  # alerts in 2xx answers over the whole run, warm-up too
    error_samples: list[str] = field(default_factory=list)
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    machine_cpu: float = 0.0
    rss_mb: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def alerts_per_second(self) -> float:
        return self.ok * self.size / self.seconds

    def pct_ms(self, fraction: float) -> float:
        return percentile(sorted(self.latencies), fraction) * 1000


async def _worker(port: int, make: RequestFactory, run: Run, start: float, stop: float) -> None:
    conn = Connection(await trio.open_tcp_stream("127.0.0.1", port))
    while (now := time.perf_counter()) < stop:
        data = make()
        try:
            status, body = await conn.request_body(data)
        except (ConnectionError, trio.BrokenResourceError) as error:
            run.connection_errors[repr(error)[:100]] += 1
            await conn.stream.aclose()
            conn = Connection(await trio.open_tcp_stream("127.0.0.1", port))
            continue
        done = time.perf_counter()
        if 200 <= status < 300:
            run.sent_ok_alerts += run.size
            run.rejected_items += body.count(b'"rejected"')
        elif len(run.error_samples) < 3:
            run.error_samples.append(f"{status} {body[:200]!r}")
        if start <= now and done <= stop:
            run.latencies.append(done - now)
            run.statuses[status] += 1
    await conn.stream.aclose()


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all cores from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return total - idle, total


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run_load(
    server: str, port: int, pid: int, size: int, factory: Callable[[int], RequestFactory]
) -> Run:
    """``CONCURRENCY`` connections for ``WARMUP + SECONDS``; only the last ``SECONDS`` count."""
    run = Run(server, size, SECONDS)
    start = time.perf_counter() + WARMUP
    stop = start + SECONDS
    async with trio.open_nursery() as nursery:
        for worker in range(CONCURRENCY):
            nursery.start_soon(_worker, port, factory(worker), run, start, stop)
        await trio.sleep_until(trio.current_time() + WARMUP)
        cpu0, server0, machine0 = time.process_time(), _cpu_seconds(pid), _machine_busy()
        await trio.sleep_until(trio.current_time() + SECONDS)
        run.client_cpu = (time.process_time() - cpu0) / SECONDS
        run.server_cpu = (_cpu_seconds(pid) - server0) / SECONDS
        machine1 = _machine_busy()
        run.machine_cpu = (machine1[0] - machine0[0]) / max(1, machine1[1] - machine0[1])
        run.rss_mb = _rss_mb(pid)
    _print_run(run)
    return run


def _print_run(r: Run) -> None:
    bad = {s: n for s, n in r.statuses.items() if not 200 <= s < 300}
    print(
        f"  {r.server:<12} x{r.size:<3} c={CONCURRENCY}  {r.alerts_per_second:>9,.0f} alerts/s "
        f"({r.ok / r.seconds:,.0f} req/s)  p50 {r.pct_ms(0.5):7.2f} ms  "
        f"p99 {r.pct_ms(0.99):7.2f} ms  max {r.pct_ms(1.0):7.1f} ms  "
        f"cpu server {r.server_cpu:.0%} client {r.client_cpu:.0%} machine {r.machine_cpu:.0%}  "
        f"rss {r.rss_mb:,.0f} MB"
        + (f"  NON-2XX {bad} e.g. {r.error_samples}" if bad else "")
        + (f"  REJECTED ITEMS {r.rejected_items}" if r.rejected_items else "")
        + (f"  CONNECTION ERRORS {dict(r.connection_errors)}" if r.connection_errors else ""),
        flush=True,
    )


# -- Pulsar -----------------------------------------------------------------------------------
def _pulsar_env(dsn: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": dsn,
        "PULSAR_LOG_LEVEL": "warning",
        "PULSAR_LOG_FORMAT": "json",
        # The benchmark measures throughput, not the per-key budget (which it exceeds).
        "PULSAR_RATE_LIMIT_KEY": "0",
        "PULSAR_RATE_LIMIT_INGEST": "0",
        "PULSAR_RATE_LIMIT_IP": "0",
    }


async def _json_request(port: int, method: str, path: str, key: str, body: object) -> tuple:
    conn = Connection(await trio.open_tcp_stream("127.0.0.1", port))
    try:
        status, data = await conn.request_body(
            http_request(method, port, path, key, json.dumps(body).encode())
        )
    finally:
        await conn.stream.aclose()
    return status, json.loads(data) if data else None


async def create_integration(port: int, api_key: str) -> str:
    """``POST /api/v1/integrations`` type alertmanager; returns the ingestion key."""
    with trio.fail_after(20):
        while True:  # the org key may take a moment to reach the key directory
            status, data = await _json_request(
                port,
                "POST",
                "/api/v1/integrations",
                api_key,
                {"name": "bench-alertmanager", "type": "alertmanager"},
            )
            if status == 201:
                return str(data["data"]["key"])
            if status != 401:
                raise RuntimeError(f"creating the integration: {status} {data}")
            await trio.sleep(0.2)


async def _count_created(dsn: str) -> int:
    async with open_db() as db:
        conn = await db.run(asyncpg.connect, dsn)
        try:
            return int(
                await db.run(
                    conn.fetchval, "SELECT count(*) FROM events WHERE type = 'AlertCreated'"
                )
            )
        finally:
            await db.run(conn.close)


def _log_summary(name: str, log: IO[bytes]) -> None:
    log.seek(0)
    lines = log.read().decode(errors="replace").splitlines()
    print(f"  {name} stderr: {len(lines)} line(s)")
    for line in lines[-8:]:
        print("    " + line[:300])


async def pulsar_runs() -> tuple[list[Run], int]:
    """Both Pulsar runs; also the number of ``AlertCreated`` events in the database."""
    async with fresh_database() as dsn:
        api_key = await create_org(dsn, "bench-alertmanager")
        port = _free_port()
        with tempfile.TemporaryFile() as log:
            process = await trio.lowlevel.open_process(
                [sys.executable, "-m", "web", "serve", "--port", str(port)],
                env=_pulsar_env(dsn),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            try:
                await _wait_healthy(port, process)
                key = await create_integration(port, api_key)
                print(f"pulsar: pid {process.pid} on 127.0.0.1:{port}", flush=True)
                runs = [
                    await run_load(
                        "pulsar",
                        port,
                        process.pid,
                        size,
                        lambda w, size=size: pulsar_factory(port, key, f"p{size}", size, w),
                    )
                    for size in SIZES
                ]
            finally:
                await _stop(process)
            _log_summary("pulsar", log)
        created = await _count_created(dsn)
    return runs, created


# -- Alertmanager --------------------------------------------------------------------------
def _ensure_binary() -> None:
    if not BINARY.exists():
        subprocess.run(["bash", str(ENSURE)], check=True, timeout=300)
    if not BINARY.exists():
        raise SystemExit(f"{BINARY} is missing and could not be installed")


async def _wait_ready(port: int, process: trio.Process) -> None:
    await wait_until_answers(port, process, "/-/ready")


async def _active_alerts(port: int) -> int:
    """Alerts Alertmanager holds: ``alertmanager_alerts`` summed over its states, /metrics."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    try:
        await stream.send_all(
            f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        chunks = []
        while chunk := await stream.receive_some(65536):
            chunks.append(chunk)
    finally:
        await stream.aclose()
    lines = b"".join(chunks).decode(errors="replace").splitlines()
    # active / suppressed / unprocessed (not yet through the 30 s group_wait)
    return sum(int(float(x.split()[-1])) for x in lines if x.startswith("alertmanager_alerts{"))


async def alertmanager_runs() -> tuple[list[Run], int, str]:
    """Both Alertmanager runs; also how many alerts it holds at the end, and its version."""
    done = await trio.run_process(
        [str(BINARY), "--version"], capture_stdout=True, capture_stderr=True, check=False
    )
    version = (done.stdout + done.stderr).decode().split("\n", 1)[0] or "?"
    env = {**os.environ}
    if AM_GOMAXPROCS != "0":
        env["GOMAXPROCS"] = AM_GOMAXPROCS
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as log:
        config = Path(tmp) / "alertmanager.yml"
        config.write_text(AM_CONFIG)
        port = _free_port()
        process = await trio.lowlevel.open_process(
            [
                str(BINARY),
                f"--config.file={config}",
                f"--storage.path={Path(tmp) / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            await _wait_ready(port, process)
            print(
                f"alertmanager: pid {process.pid} on 127.0.0.1:{port} ({version}; "
                f"GOMAXPROCS={env.get('GOMAXPROCS', 'default')})",
                flush=True,
            )
            runs = [
                await run_load(
                    "alertmanager",
                    port,
                    process.pid,
                    size,
                    lambda w, size=size: alertmanager_factory(port, f"a{size}", size, w),
                )
                for size in SIZES
            ]
            active = await _active_alerts(port)
        finally:
            await _stop(process)
        _log_summary("alertmanager", log)
    return runs, active, version


# -- the benchmark -----------------------------------------------------------------------------
def _figures(pulsar: list[Run], am: list[Run], created: int, active: int) -> list[Figure]:
    figures = []
    for r in [*pulsar, *am]:
        label = f"{r.server} x{r.size} c={CONCURRENCY}"
        figures += [
            Figure(BENCH, f"{label} alerts/s", r.alerts_per_second, "alerts/s"),
            Figure(BENCH, f"{label} req/s", r.ok / r.seconds, "req/s"),
            Figure(BENCH, f"{label} p50", r.pct_ms(0.5), "ms"),
            Figure(BENCH, f"{label} p99", r.pct_ms(0.99), "ms"),
            Figure(BENCH, f"{label} server CPU", r.server_cpu * 100, "%"),
            Figure(BENCH, f"{label} client CPU", r.client_cpu * 100, "%"),
            Figure(BENCH, f"{label} server RSS", r.rss_mb, "MB"),
            Figure(BENCH, f"{label} non-2xx", float(sum(r.statuses.values()) - r.ok), "count"),
            Figure(BENCH, f"{label} connection errors", r.connection_errors.total(), "count"),
        ]
    for p, a in zip(pulsar, am, strict=True):
        big = p.size == max(SIZES)
        figures += [
            Figure(
                BENCH,
                f"pulsar/alertmanager alerts/s x{p.size}",
                p.alerts_per_second / max(a.alerts_per_second, 1e-9),
                "ratio",
                2.0 if big else None,
                note="Pulsar durable (fsync'd commit before 202); Alertmanager in memory only",
            ),
            Figure(
                BENCH,
                f"pulsar/alertmanager p99 x{p.size}",
                p.pct_ms(0.99) / max(a.pct_ms(0.99), 1e-9),
                "ratio",
                1.0 if big else None,
                higher_is_better=False,
            ),
        ]
    sent = sum(r.sent_ok_alerts for r in pulsar)
    rejected = sum(r.rejected_items for r in pulsar)
    figures += [
        Figure(
            BENCH,
            "pulsar AlertCreated events / alerts accepted",
            created / max(sent - rejected, 1),
            "ratio",
            note=f"{created:,} events for {sent - rejected:,} accepted ({rejected} rejected)",
        ),
        Figure(
            BENCH,
            "alertmanager alerts held / alerts accepted",
            active / max(sum(r.sent_ok_alerts for r in am), 1),
            "ratio",
            note=f"{active:,} held for {sum(r.sent_ok_alerts for r in am):,} accepted",
        ),
    ]
    return figures


async def main() -> None:
    print(
        f"{BENCH}: {CONCURRENCY} connections, {WARMUP:g} s warm-up + {SECONDS:g} s per run, "
        f"{' and '.join(map(str, SIZES))} distinct firing alerts per request; "
        "Pulsar is durable (202 after an fsync'd PostgreSQL commit), "
        "Alertmanager keeps alerts in memory only; no CPU pinning",
        flush=True,
    )
    pulsar, created = await pulsar_runs()
    am, active, _ = await alertmanager_runs()
    print("\n  alerts/req  pulsar alerts/s  alertmanager alerts/s  ratio  pulsar p99  am p99")
    for p, a in zip(pulsar, am, strict=True):
        print(
            f"  {p.size:>10}  {p.alerts_per_second:>15,.0f}  {a.alerts_per_second:>21,.0f}  "
            f"{p.alerts_per_second / max(a.alerts_per_second, 1e-9):5.2f}  "
            f"{p.pct_ms(0.99):7.1f} ms  {a.pct_ms(0.99):6.1f} ms"
        )
    report(
        "alertmanager_ingest (Pulsar webhook vs Alertmanager /api/v2/alerts)",
        _figures(pulsar, am, created, active),
    )


if __name__ == "__main__":
    _ensure_binary()
    trio.run(main)
