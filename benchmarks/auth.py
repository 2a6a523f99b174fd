"""Sign-in latency and the per-request cost of access-token verification.

A real ``python -m web serve`` process on a fresh database (as ``ingest``):

* ``POST /api/v1/auth/login``, one at a time, ``LOGINS`` times: p50/p90 latency.
  Dominated by one argon2id verification (argon2-cffi's default parameters,
  RFC 9106 low-memory profile: t=3, m=64 MiB, p=4), run in a worker thread;
* ``POST /api/v1/alerts`` at c=64 authenticated with an organization API key
  (one SHA-256 + dictionary lookup) and with a user's access token (JWT
  HS256 verification + membership lookup), alternated twice so drift on a
  shared machine hits both. The overhead per request is the difference of
  server CPU per request between the two.

Run: ``.venv/bin/python -m benchmarks auth`` (about 50 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

import trio

from benchmarks import Figure, fresh_database, percentile, report
from benchmarks.ingest import (
    AlertBodies,
    Connection,
    RequestFactory,
    RunResult,
    _env,
    _free_port,
    _stop,
    _wait_healthy,
    create_org,
    run_load,
)

LOGINS = 40
PASSWORD = "correct horse battery staple"


def _request(port: int, path: str, auth: str, body: bytes) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if auth:
        lines.append(f"Authorization: {auth}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _post(port: int, path: str, payload: dict[str, str]) -> tuple[int, bytes]:
    conn = Connection(await trio.open_tcp_stream("127.0.0.1", port))
    try:
        return await conn.request_body(_request(port, path, "", json.dumps(payload).encode()))
    finally:
        await conn.stream.aclose()


async def _logins(port: int) -> list[float]:
    conn = Connection(await trio.open_tcp_stream("127.0.0.1", port))
    body = json.dumps({"email": "bench@example.com", "password": PASSWORD}).encode()
    latencies = []
    for _ in range(LOGINS):
        start = time.perf_counter()
        status, _ = await conn.request_body(_request(port, "/api/v1/auth/login", "", body))
        latencies.append(time.perf_counter() - start)
        assert status == 200, status
    await conn.stream.aclose()
    return sorted(latencies)


def _alerts(port: int, auth: str, worker: int) -> RequestFactory:
    bodies = AlertBodies(worker)
    return lambda: _request(port, "/api/v1/alerts", auth, json.dumps(bodies.next_alert()).encode())


async def main() -> None:
    env = {**_env(""), "PULSAR_RATE_LIMIT_USER": "0", "PULSAR_COOKIE_SECURE": "0"}
    async with fresh_database() as dsn:
        env["DATABASE_URL"] = dsn
        key = await create_org(dsn, "bench-key")
        port = _free_port()
        with tempfile.TemporaryFile() as log:
            process = await trio.lowlevel.open_process(
                [sys.executable, "-m", "web", "serve", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            try:
                await _wait_healthy(port, process)
                status, raw = await _post(
                    port,
                    "/api/v1/auth/register",
                    {
                        "email": "bench@example.com",
                        "password": PASSWORD,
                        "name": "Bench",
                        "organization": "bench-token",
                    },
                )
                assert status == 201, raw
                token = json.loads(raw)["access_token"]
                logins = await _logins(port)
                runs: dict[str, list[RunResult]] = {"key": [], "token": []}
                for _ in range(2):
                    for name, auth in (("key", f"GenieKey {key}"), ("token", f"Bearer {token}")):
                        runs[name].append(
                            await run_load(
                                f"alerts ({name})",
                                port,
                                process.pid,
                                64,
                                lambda w, a=auth: _alerts(port, a, w),
                            )
                        )
            finally:
                await _stop(process)
    report("auth (HTTP, separate server process)", _figures(logins, runs))


def _cpu_us(runs: list[RunResult]) -> float:
    requests = sum(r.ok for r in runs)
    cpu = sum(r.server_cpu * r.seconds for r in runs)
    return cpu / requests * 1e6


def _figures(logins: list[float], runs: dict[str, list[RunResult]]) -> list[Figure]:
    key_rate = sum(r.rate for r in runs["key"]) / len(runs["key"])
    token_rate = sum(r.rate for r in runs["token"]) / len(runs["token"])
    return [
        Figure("auth", "login p50", percentile(logins, 0.5) * 1000, "ms"),
        Figure("auth", "login p90", percentile(logins, 0.9) * 1000, "ms"),
        Figure("auth", "single-alert c64 with API key", key_rate, "req/s"),
        Figure("auth", "single-alert c64 with access token", token_rate, "req/s"),
        Figure("auth", "token/key throughput", token_rate / key_rate, "ratio"),
        Figure(
            "auth",
            "server CPU per request, key",
            _cpu_us(runs["key"]),
            "us",
            higher_is_better=False,
        ),
        Figure(
            "auth",
            "server CPU per request, token",
            _cpu_us(runs["token"]),
            "us",
            higher_is_better=False,
            note="minus the key figure = the cost of JWT verification + membership lookup",
        ),
    ]


if __name__ == "__main__":
    trio.run(main)
