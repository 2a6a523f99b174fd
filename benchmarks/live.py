"""Live updates: WebSocket delivery latency to N subscribers of the alert list.

A real ``python -m web serve`` process with a fresh database; one organization.
A client process (``benchmarks.live_clients``: raw sockets read by one
``selectors`` loop, so the clients' own CPU does not become the latency
measured) opens N WebSocket connections (N = 100, then 1,000), each
authenticated by its first frame and subscribed to the ``alerts`` topic with
the filter ``{"status": "open"}``; then an ingester process (this module with
``ingest``) posts single alerts (``POST /api/v1/alerts``, one keep-alive
connection) at a fixed 20 alerts/s for ``SECONDS``. Every client notes when
each new alert's delta reaches it.

Latency = receipt at the client - the ingest request's 2xx at the ingester
(``time.perf_counter``: CLOCK_MONOTONIC, shared by the processes). The
ingester is its own process so that its 2xx timestamps do not wait behind the
clients' work. A delta that arrives before the 2xx counts as 0 ms (reported);
latency from the request's start is printed too. Also: the server's and the
clients' CPU during the ingest, frames per client per second (coalescing
shows as fewer frames than alerts), deltas missed and resyncs.

Targets (issue 7): p99 < 50 ms at 100 clients, p99 < 250 ms at 1,000 clients.

Run: ``.venv/bin/python -m benchmarks live`` (about 60 s; the clients and the
server share this machine's cores; it stops itself after ``BUDGET`` s).
``PULSAR_BENCH_LIVE_SECONDS`` overrides the seconds of ingest per run,
``PULSAR_BENCH_LIVE_CLIENTS`` the client counts (comma-separated),
``PULSAR_BENCH_LIVE_CLIENT=trio-websocket`` uses trio-websocket clients in this
process instead (the earlier harness; ~150 µs of client CPU per frame).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import msgspec
import trio
from trio_websocket import ConnectionClosed, open_websocket

from benchmarks import Figure, fresh_database, percentile, report
from benchmarks.ingest import (
    Connection,
    _cpu_seconds,
    _env,
    _free_port,
    _server_log_summary,
    _stop,
    _wait_healthy,
    create_org,
    http_request,
)
from benchmarks.live_clients import Results, decode_frame

RATE = float(os.environ.get("PULSAR_BENCH_LIVE_RATE", "20"))  # alerts per second
SECONDS = float(os.environ.get("PULSAR_BENCH_LIVE_SECONDS", "8"))
CLIENTS = tuple(int(n) for n in os.environ.get("PULSAR_BENCH_LIVE_CLIENTS", "100,1000").split(","))
# "lean": benchmarks.live_clients in its own process (default); "trio-websocket": in this one.
CLIENT = os.environ.get("PULSAR_BENCH_LIVE_CLIENT", "lean")
TARGETS = {100: 50.0, 1000: 250.0}  # p99 ms
HANDSHAKES = 50  # connections opened at a time
DRAIN = 5.0  # seconds to wait for the last deltas after the ingest stops
# Stop before ``python -m benchmarks`` kills this process (120 s), so that the
# server is always stopped and the database dropped.
BUDGET = 100.0


@dataclass
class Run:
    clients: int
    sent: dict[str, float] = field(default_factory=dict)  # alias -> request start
    ok: dict[str, float] = field(default_factory=dict)  # alias -> 2xx received
    receipts: list[tuple[str, float]] = field(default_factory=list)
    frames: int = 0
    resyncs: int = 0
    errors: list[str] = field(default_factory=list)
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    connect_seconds: float = 0.0
    expected: int = 0  # set once the ingest is done: receipts that end the run
    delivered: trio.Event = field(default_factory=trio.Event)

    def latencies(self, since: dict[str, float]) -> tuple[list[float], int]:
        """Sorted latencies in ms from ``since`` (negatives clamped), and how many were."""
        out, early = [], 0
        for alias, at in self.receipts:
            start = since.get(alias)
            if start is None:
                continue
            if at < start:
                early += 1
            out.append(max(0.0, at - start) * 1000)
        return sorted(out), early


async def _client(
    port: int,
    key: str,
    run: Run,
    connected: list[int],
    all_connected: trio.Event,
    handshakes: trio.Semaphore,
) -> None:
    """Connect, authenticate, subscribe (at most ``HANDSHAKES`` at a time), then receive."""
    await handshakes.acquire()
    holding = True
    try:
        async with open_websocket(
            "127.0.0.1",
            port,
            "/api/v1/ws",
            use_ssl=False,
            disconnect_timeout=1,
            message_queue_size=64,
        ) as ws:
            await ws.send_message(json.dumps({"type": "auth", "token": key}))
            assert json.loads(await ws.get_message())["type"] == "ready"
            subscribe = {"type": "subscribe", "id": "list", "topic": "alerts"}
            await ws.send_message(json.dumps({**subscribe, "filter": {"status": "open"}}))
            assert json.loads(await ws.get_message())["type"] == "snapshot"
            handshakes.release()
            holding = False
            connected[0] += 1
            if connected[0] == run.clients:
                all_connected.set()
            await _receive(ws, run)
    finally:
        if holding:
            handshakes.release()


async def _receive(ws: object, run: Run) -> None:
    receipts = run.receipts
    try:
        while True:
            message = await ws.get_message()  # type: ignore[attr-defined]
            now = time.perf_counter()
            frame = decode_frame(message)
            run.frames += 1
            if frame.type == "ping":
                await ws.send_message('{"type":"pong"}')  # type: ignore[attr-defined]
                continue
            if frame.type == "resync":
                run.resyncs += 1
                continue
            deltas = frame.events if frame.events is not None else [frame.event]
            for delta in deltas:
                if delta is not None and delta.type == "AlertCreated" and delta.alert:
                    receipts.append((delta.alert.alias, now))
            if run.expected and len(receipts) >= run.expected:
                run.delivered.set()
    except ConnectionClosed as closed:
        run.errors.append(f"closed: {closed.reason}")


async def _ingest(port: int, key: str, run: Run, prefix: str) -> None:
    """Run the ingester in its own process (so its timings do not wait for the clients)."""
    done = await trio.run_process(
        [sys.executable, "-m", "benchmarks.live", "ingest", str(port), key, prefix],
        capture_stdout=True,
    )
    for line in done.stdout.decode().splitlines():
        alias, sent, ok, status = json.loads(line)
        run.sent[alias], run.ok[alias] = sent, ok
        if status != 202:
            run.errors.append(f"ingest status {status}")


async def ingest_main(port: int, key: str, prefix: str) -> None:
    """The ingester: ``RATE`` single alerts/s for ``SECONDS``; one JSON line per alert."""
    conn = Connection(await trio.open_tcp_stream("127.0.0.1", port))
    start = trio.current_time()
    lines = []
    for i in range(int(SECONDS * RATE)):
        await trio.sleep_until(start + i / RATE)
        alias = f"{prefix}-{i}"
        body = json.dumps({"message": f"live benchmark {i}", "alias": alias}).encode()
        request = http_request("POST", port, "/api/v1/alerts", key, body)
        sent = time.perf_counter()
        status = await conn.request(request)
        lines.append(json.dumps([alias, sent, time.perf_counter(), status]))
    await conn.stream.aclose()
    print("\n".join(lines), flush=True)


async def one_run(port: int, pid: int, key: str, clients: int) -> Run:
    if CLIENT == "trio-websocket":
        run = await _trio_websocket_run(port, pid, key, clients)
    else:
        run = await _lean_run(port, pid, key, clients)
    _print_run(run)
    return run


async def _lean_run(port: int, pid: int, key: str, clients: int) -> Run:
    """The clients are ``benchmarks.live_clients`` in a process of their own."""
    run = Run(clients)
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "benchmarks.live_clients", str(port), key, str(clients)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    stdin, stdout = process.stdin, process.stdout
    assert stdin is not None
    assert stdout is not None
    out = b""
    try:
        with trio.fail_after(60):
            while b"\n" not in out:
                out += await _read(stdout)
        line, _, out = out.partition(b"\n")
        if not line.startswith(b"connected "):
            raise RuntimeError(f"the clients failed to connect: {line[:200]!r}")
        run.connect_seconds = float(line.split()[1])
        await trio.sleep(0.5)
        server0, client0, wall0 = _cpu_seconds(pid), _cpu_seconds(process.pid), time.perf_counter()
        await _ingest(port, key, run, f"n{clients}")
        wall = time.perf_counter() - wall0
        run.server_cpu = (_cpu_seconds(pid) - server0) / wall
        run.client_cpu = (_cpu_seconds(process.pid) - client0) / wall
        run.expected = clients * len(run.ok)
        await stdin.send_all(f"expect {run.expected}\n".encode())
        with trio.fail_after(DRAIN + 30):
            while chunk := await stdout.receive_some():
                out += chunk
    finally:
        with trio.move_on_after(5):
            await _stop(process)
    results = msgspec.json.decode(out, type=Results)
    run.receipts = [(alias, at) for alias, times in results.receipts.items() for at in times]
    run.frames, run.resyncs = results.frames, results.resyncs
    run.errors += results.errors
    return run


async def _read(stream: trio.abc.ReceiveStream) -> bytes:
    chunk = await stream.receive_some()
    if not chunk:
        raise RuntimeError("the clients' process ended early")
    return bytes(chunk)


async def _trio_websocket_run(port: int, pid: int, key: str, clients: int) -> Run:
    """The clients are trio-websocket connections in this process."""
    run = Run(clients)
    connected = [0]
    all_connected = trio.Event()
    async with trio.open_nursery() as nursery:
        t0 = time.perf_counter()
        handshakes = trio.Semaphore(HANDSHAKES)
        for _ in range(clients):
            nursery.start_soon(_client, port, key, run, connected, all_connected, handshakes)
        with trio.fail_after(60):
            await all_connected.wait()
        run.connect_seconds = time.perf_counter() - t0
        await trio.sleep(0.5)
        cpu0, server0, wall0 = time.process_time(), _cpu_seconds(pid), time.perf_counter()
        await _ingest(port, key, run, f"n{clients}")
        wall = time.perf_counter() - wall0
        run.server_cpu = (_cpu_seconds(pid) - server0) / wall
        run.client_cpu = (time.process_time() - cpu0) / wall
        run.expected = clients * len(run.ok)
        with trio.move_on_after(DRAIN):
            if len(run.receipts) < run.expected:
                await run.delivered.wait()
        nursery.cancel_scope.cancel()
    return run


def _requests_ms(run: Run) -> list[float]:
    """The ingest requests' latencies (request start to 2xx), sorted, in ms."""
    return sorted((run.ok[a] - run.sent[a]) * 1000 for a in run.ok)


def _print_run(run: Run) -> None:
    lat, early = run.latencies(run.ok)
    lat_sent, _ = run.latencies(run.sent)
    requests = _requests_ms(run)
    expected = run.clients * len(run.ok)
    print(
        f"  N={run.clients:<5} delivered {len(run.receipts):>7,}/{expected:<7,} "
        f"p50 {percentile(lat, 0.5):6.1f} ms  p99 {percentile(lat, 0.99):6.1f} ms  "
        f"max {percentile(lat, 1.0):6.1f} ms  (from request start p99 "
        f"{percentile(lat_sent, 0.99):6.1f} ms; {early} before the 2xx)  "
        f"cpu server {run.server_cpu:.0%} client {run.client_cpu:.0%}  "
        f"frames/client/s {run.frames / run.clients / (SECONDS + DRAIN):.1f}  "
        f"resyncs {run.resyncs}  connect {run.connect_seconds:.1f} s  "
        f"ingest requests p50 {percentile(requests, 0.5):.1f} / p99 "
        f"{percentile(requests, 0.99):.1f} ms"
        + (f"  ERRORS {run.errors[:3]}" if run.errors else ""),
        flush=True,
    )


def _figures(runs: list[Run]) -> list[Figure]:
    figures = []
    for run in runs:
        lat, early = run.latencies(run.ok)
        n = run.clients
        expected = n * len(run.ok)
        label = f"N={n}"
        figures += [
            Figure("live", f"{label} latency p50", percentile(lat, 0.5), "ms"),
            Figure(
                "live",
                f"{label} latency p99",
                percentile(lat, 0.99),
                "ms",
                TARGETS.get(n),
                higher_is_better=False,
                note="ingest 2xx -> receipt at the client",
            ),
            Figure("live", f"{label} latency max", percentile(lat, 1.0), "ms"),
            Figure(
                "live",
                f"{label} ingest request p99",
                percentile(_requests_ms(run), 0.99),
                "ms",
                note="POST /api/v1/alerts while the fan-out runs",
            ),
            Figure("live", f"{label} server cpu", run.server_cpu * 100, "%"),
            Figure("live", f"{label} client cpu", run.client_cpu * 100, "%"),
            Figure(
                "live",
                f"{label} deltas missed",
                float(expected - len(run.receipts)),
                "count",
                note=f"of {expected:,}",
            ),
            Figure("live", f"{label} resyncs", float(run.resyncs), "count"),
            Figure("live", f"{label} before the 2xx", float(early), "count"),
        ]
    return figures


async def main() -> None:
    started = time.perf_counter()
    async with fresh_database() as dsn:
        key = await create_org(dsn, "bench-live")
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
                    f"live: server pid {process.pid} on 127.0.0.1:{port}; "
                    f"{RATE:g} alerts/s for {SECONDS:g} s per run; clients {CLIENTS} ({CLIENT})"
                )
                runs = []
                with trio.move_on_after(BUDGET - (time.perf_counter() - started)):
                    for n in CLIENTS:
                        runs.append(await one_run(port, process.pid, key, n))
                if len(runs) < len(CLIENTS):
                    print(f"  stopped after {BUDGET:g} s: {len(runs)} of {len(CLIENTS)} runs")
            finally:
                await _stop(process)
            _server_log_summary(log)
    report("live (WebSocket fan-out, separate server process)", _figures(runs))


if __name__ == "__main__":
    if sys.argv[1:2] == ["ingest"]:
        trio.run(ingest_main, int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        trio.run(main)
