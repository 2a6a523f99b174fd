"""HTTP ingest: requests/s and latency of a real ``python -m web serve`` process.

The server runs as a separate process on a free loopback port with a fresh
database; two organizations are created with ``python -m web org create``
before it starts. This process is the load generator: trio tasks, each owning
one keep-alive HTTP/1.1 connection with a minimal hand-written client (no
per-request parsing beyond status line and Content-Length), so the generator
costs a fraction of what the server does.

Runs (each: ``WARMUP`` s discarded, then ``SECONDS`` s measured):

* ``GET /healthz`` at c=64 -- the trivial endpoint, before and after the
  alert runs (the difference is a noise indicator);
* ``POST /api/v1/alerts`` at c=1, 16, 64 -- ~90% new aliases, ~10% repeats of
  a recent alias (deduplicated by the server);
* ``POST /api/v1/alerts/batch`` with 1000 alerts per request at c=4.

Run: ``.venv/bin/python -m benchmarks ingest`` (about 55 s).
``PULSAR_BENCH_SECONDS`` overrides the measured seconds per run.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import trio

from benchmarks import Figure, fresh_database, percentile, report

WARMUP = 2.0
SECONDS = float(os.environ.get("PULSAR_BENCH_SECONDS", "6"))
SEED = 20240601
BATCH_SIZE = 1000
MESSAGE = "CPU load above 95% on {host} for 5 minutes"

RequestFactory = Callable[[], bytes]


# -- a minimal HTTP/1.1 keep-alive client -------------------------------------
class Connection:
    """One keep-alive connection; ``request`` sends raw bytes, returns the status."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.buffer = bytearray()

    async def _fill(self) -> None:
        chunk = await self.stream.receive_some(262_144)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    async def request(self, data: bytes) -> int:
        """Send one request; the response's status code."""
        status, _ = await self.request_body(data)
        return status

    async def request_body(self, data: bytes) -> tuple[int, bytes]:
        """Send one request; the response's status code and body."""
        await self.stream.send_all(data)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            await self._fill()
        head = bytes(self.buffer[:end]).lower()
        status = int(head[9:12])
        start = head.find(b"content-length:")
        if start < 0:
            raise ConnectionError("response without Content-Length")
        line_end = head.find(b"\r\n", start)
        length = int(head[start + 15 : line_end if line_end >= 0 else len(head)])
        total = end + 4 + length
        while len(self.buffer) < total:
            await self._fill()
        body = bytes(self.buffer[end + 4 : total])
        del self.buffer[:total]
        return status, body


def http_request(method: str, port: int, path: str, key: str = "", body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if key:
        lines.append(f"Authorization: GenieKey {key}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# -- request bodies -------------------------------------------------------------
class AlertBodies:
    """Alert payloads with mostly new aliases and some repeats (seeded per worker)."""

    def __init__(self, worker: int, repeat_share: float = 0.1) -> None:
        self.rng = random.Random(SEED + worker)
        self.worker = worker
        self.repeat_share = repeat_share
        self.count = 0
        self.recent: list[str] = []

    def next_alert(self) -> dict[str, str]:
        if self.recent and self.rng.random() < self.repeat_share:
            alias = self.rng.choice(self.recent)
        else:
            self.count += 1
            alias = f"w{self.worker}-svc-{self.count}"
            self.recent = [*self.recent[-49:], alias]
        host = f"host-{self.rng.randrange(500):03d}"
        return {"message": MESSAGE.format(host=host), "alias": alias}


def single_factory(port: int, key: str, worker: int) -> RequestFactory:
    bodies = AlertBodies(worker)
    return lambda: http_request(
        "POST", port, "/api/v1/alerts", key, json.dumps(bodies.next_alert()).encode()
    )


def batch_factory(port: int, key: str, worker: int) -> RequestFactory:
    bodies = AlertBodies(worker, repeat_share=0.0)

    def make() -> bytes:
        body = json.dumps([bodies.next_alert() for _ in range(BATCH_SIZE)]).encode()
        return http_request("POST", port, "/api/v1/alerts/batch", key, body)

    return make


def echo_factory(port: int, key: str, worker: int) -> RequestFactory:
    bodies = AlertBodies(worker)
    return lambda: http_request(
        "POST", port, "/api/test/echo", key, json.dumps(bodies.next_alert()).encode()
    )


def healthz_factory(port: int, key: str, worker: int) -> RequestFactory:
    data = http_request("GET", port, "/healthz")
    return lambda: data


# -- one run ----------------------------------------------------------------------
@dataclass
class RunResult:
    name: str
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    connection_errors: Counter[str] = field(default_factory=Counter)
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def pct_ms(self, fraction: float) -> float:
        return percentile(sorted(self.latencies), fraction) * 1000


async def _worker(
    port: int, make: RequestFactory, result: RunResult, start: float, stop: float
) -> None:
    conn = Connection(await trio.open_tcp_stream("127.0.0.1", port))
    while (now := time.perf_counter()) < stop:
        data = make()
        try:
            status = await conn.request(data)
        except (ConnectionError, trio.BrokenResourceError) as error:
            result.connection_errors[repr(error)[:100]] += 1
            await conn.stream.aclose()
            conn = Connection(await trio.open_tcp_stream("127.0.0.1", port))
            continue
        done = time.perf_counter()
        if start <= now and done <= stop:
            result.latencies.append(done - now)
            result.statuses[status] += 1
    await conn.stream.aclose()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_load(
    name: str, port: int, pid: int, concurrency: int, factory: Callable[[int], RequestFactory]
) -> RunResult:
    """``concurrency`` connections for ``WARMUP + SECONDS``; only the last ``SECONDS`` count."""
    result = RunResult(name, concurrency, SECONDS)
    start = time.perf_counter() + WARMUP
    stop = start + SECONDS
    async with trio.open_nursery() as nursery:
        for worker in range(concurrency):
            nursery.start_soon(_worker, port, factory(worker), result, start, stop)
        await trio.sleep_until(trio.current_time() + WARMUP)
        cpu0, server0 = time.process_time(), _cpu_seconds(pid)
        await trio.sleep_until(trio.current_time() + SECONDS)
        result.client_cpu = (time.process_time() - cpu0) / SECONDS
        result.server_cpu = (_cpu_seconds(pid) - server0) / SECONDS
    _print_run(result)
    return result


def _print_run(r: RunResult) -> None:
    bad = {s: n for s, n in r.statuses.items() if not 200 <= s < 300}
    print(
        f"  {r.name:<22} c={r.concurrency:<3} {r.rate:>9,.0f} req/s  "
        f"p50 {r.pct_ms(0.5):7.2f} ms  p99 {r.pct_ms(0.99):7.2f} ms  "
        f"max {r.pct_ms(1.0):7.1f} ms  cpu server {r.server_cpu:.0%} client {r.client_cpu:.0%}"
        + (f"  NON-2XX {bad}" if bad else "")
        + (f"  CONNECTION ERRORS {dict(r.connection_errors)}" if r.connection_errors else ""),
        flush=True,
    )


# -- the server process --------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(dsn: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": dsn,
        "PULSAR_LOG_LEVEL": "warning",
        "PULSAR_LOG_FORMAT": "json",
        # The benchmark measures throughput, not the per-key budget (which it exceeds).
        "PULSAR_RATE_LIMIT_KEY": "0",
        "PULSAR_RATE_LIMIT_INGEST": "0",
        "PULSAR_RATE_LIMIT_IP": "0",
        "PULSAR_TEST_MODE": "1",  # only adds /api/test routes: the trivial POST
    }


async def create_org(dsn: str, name: str) -> str:
    """``python -m web org create``; returns the API key."""
    done = await trio.run_process(
        [sys.executable, "-m", "web", "org", "create", "--name", name],
        env=_env(dsn),
        capture_stdout=True,
    )
    return str(json.loads(done.stdout.decode().strip().splitlines()[-1])["api_key"])


async def wait_until_answers(port: int, process: trio.Process, path: str) -> None:
    """Poll ``GET path`` until it answers 200 (30 s at most); fail if the process exits."""
    with trio.fail_after(30):
        while process.returncode is None:
            try:
                conn = Connection(await trio.open_tcp_stream("127.0.0.1", port))
                status = await conn.request(http_request("GET", port, path))
                await conn.stream.aclose()
                if status == 200:
                    return
            except OSError:
                pass
            await trio.sleep(0.1)
    raise RuntimeError(f"process {process.pid} exited with {process.returncode}")


async def _wait_healthy(port: int, process: trio.Process) -> None:
    await wait_until_answers(port, process, "/healthz")


async def _stop(process: trio.Process) -> None:
    with trio.CancelScope(shield=True):
        if process.returncode is None:
            process.terminate()
            with trio.move_on_after(15):
                await process.wait()
        if process.returncode is None:
            process.kill()
            await process.wait()


# -- the benchmark ---------------------------------------------------------------------
async def _all_runs(port: int, pid: int, keys: tuple[str, str]) -> list[RunResult]:
    alerts_key, batch_key = keys
    runs = [
        await run_load("healthz (before)", port, pid, 64, lambda w: healthz_factory(port, "", w)),
        await run_load(
            "trivial POST (before)", port, pid, 64, lambda w: echo_factory(port, alerts_key, w)
        ),
    ]
    for c in (1, 16, 64):
        runs.append(
            await run_load("alerts", port, pid, c, lambda w: single_factory(port, alerts_key, w))
        )
    runs.append(
        await run_load(
            "alerts/batch x1000", port, pid, 4, lambda w: batch_factory(port, batch_key, w)
        )
    )
    runs.append(
        await run_load("healthz (after)", port, pid, 64, lambda w: healthz_factory(port, "", w))
    )
    runs.append(
        await run_load(
            "trivial POST (after)", port, pid, 64, lambda w: echo_factory(port, alerts_key, w)
        )
    )
    return runs


def _figures(runs: list[RunResult]) -> list[Figure]:
    get_before, trivial_before, _, _, c64, batch, get_after, trivial_after = runs
    figures = []
    for r in runs:
        label = f"{r.name} c={r.concurrency}"
        figures += [
            Figure("ingest", f"{label} req/s", r.rate, "req/s"),
            Figure("ingest", f"{label} p50", r.pct_ms(0.5), "ms"),
            Figure("ingest", f"{label} p99", r.pct_ms(0.99), "ms"),
            Figure("ingest", f"{label} non-2xx", float(sum(r.statuses.values()) - r.ok), "count"),
            Figure("ingest", f"{label} connection errors", r.connection_errors.total(), "count"),
        ]
    trivial = (trivial_before.rate + trivial_after.rate) / 2
    get = (get_before.rate + get_after.rate) / 2
    figures += [
        Figure(
            "ingest",
            "single-alert c64 / trivial POST c64",
            c64.rate / trivial,
            "ratio",
            0.85,
            note="trivial POST = auth + decode + 202, no engine; mean of before/after",
        ),
        Figure(
            "ingest",
            "single-alert c64 / GET /healthz c64",
            c64.rate / get,
            "ratio",
            note="no body, no auth: a harsher baseline",
        ),
        Figure(
            "ingest", "single-alert c64 p99", c64.pct_ms(0.99), "ms", 100, higher_is_better=False
        ),
        Figure("ingest", "batch alerts/s", batch.rate * BATCH_SIZE, "alerts/s", 30_000),
        Figure(
            "ingest",
            "trivial POST c64 after/before",
            trivial_after.rate / trivial_before.rate,
            "ratio",
            note="noise indicator",
        ),
    ]
    return figures


def _server_log_summary(log: IO[bytes]) -> None:
    log.seek(0)
    lines = log.read().decode(errors="replace").splitlines()
    print(f"  server stderr: {len(lines)} line(s) at level >= warning")
    for line in lines[-10:]:
        print("    " + line[:300])


async def main() -> None:
    async with fresh_database() as dsn:
        keys = (await create_org(dsn, "bench-alerts"), await create_org(dsn, "bench-batch"))
        port = _free_port()
        with tempfile.TemporaryFile() as log:
            process = await trio.lowlevel.open_process(
                [sys.executable, "-m", "web", "serve", "--port", str(port)],
                env=_env(dsn),
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            try:
                await _wait_healthy(port, process)
                print(
                    f"ingest: server pid {process.pid} on 127.0.0.1:{port}; "
                    f"{WARMUP:g} s warm-up + {SECONDS:g} s per run"
                )
                runs = await _all_runs(port, process.pid, keys)
            finally:
                await _stop(process)
            _server_log_summary(log)
    report("ingest (HTTP, separate server process)", _figures(runs))


if __name__ == "__main__":
    trio.run(main)
