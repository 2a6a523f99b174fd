"""Run ``pulsar`` as a real subprocess (serve, org create, replay) for black-box tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import trio

__all__ = ["ServerProcess", "free_port", "pulsar", "run_server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(dsn: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "PULSAR_LOG_FORMAT": "json", "PULSAR_LOG_LEVEL": "warning"}
    env.pop("DATABASE_URL", None)
    if dsn:
        env["DATABASE_URL"] = dsn
    env.update(extra or {})
    return env


async def pulsar(
    *args: str, dsn: str | None, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m web ARGS`` to completion."""
    return await trio.run_process(
        [sys.executable, "-m", "web", *args],
        env=_env(dsn, env),
        capture_stdout=True,
        capture_stderr=True,
        check=check,
    )


async def create_org(dsn: str, name: str = "acme") -> tuple[str, str]:
    result = await pulsar("org", "create", "--name", name, dsn=dsn)
    payload = json.loads(result.stdout.decode().strip().splitlines()[-1])
    return payload["org_id"], payload["api_key"]


@dataclass
class ServerProcess:
    process: trio.Process
    base_url: str

    def kill(self) -> None:
        self.process.kill()


@asynccontextmanager
async def run_server(
    dsn: str | None,
    *,
    env: dict[str, str] | None = None,
    startup_seconds: float = 30.0,
    port: int | None = None,
) -> AsyncIterator[ServerProcess]:
    """Start ``pulsar serve`` on ``port`` (default: a free one); wait for /healthz; SIGTERM
    it on exit.

    If it exits before it is healthy, the error carries the tail of its stderr.
    """
    port = port or free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed in the finally below
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "web", "serve", "--port", str(port)],
        env=_env(dsn, env),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    server = ServerProcess(process, f"http://127.0.0.1:{port}")
    try:
        try:
            await _wait_healthy(server, startup_seconds)
        except RuntimeError as error:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"{error}; stderr:\n{tail}") from None
        yield server
    finally:
        with trio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
                with trio.move_on_after(15):
                    await process.wait()
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            log.close()


async def _wait_healthy(server: ServerProcess, startup_seconds: float) -> None:
    with trio.fail_after(startup_seconds):
        async with httpx.AsyncClient() as client:
            while True:
                if server.process.returncode is not None:
                    raise RuntimeError(f"pulsar serve exited with {server.process.returncode}")
                try:
                    response = await client.get(server.base_url + "/healthz")
                    if response.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await trio.sleep(0.1)
