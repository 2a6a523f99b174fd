"""The real Prometheus Alertmanager (Debian's binary) as a webhook client of Pulsar.

Pulsar runs as ``pulsar serve`` on a free loopback port; Alertmanager runs on another with a
``webhook_configs`` receiver pointing at Pulsar (key in ``http_config.authorization``) and
clustering disabled. An alert posted to Alertmanager must appear in Pulsar with the
fingerprint as alias, its summary, label tags and mapped priority; re-posting it with an
``endsAt`` in the past must close it.

A third test configures ``pagerduty_configs`` with ``url`` at Pulsar's ``/v2/enqueue``.
A second test configures ``opsgenie_configs`` with ``api_url`` pointing at Pulsar under a
prefix and the key of an ``opsgenie`` integration: the create (alias = SHA-256 of the group
key) lands through Pulsar's /v2 alert API and the group's resolve closes it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from tests.helpers.server import create_org, free_port, run_server
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

BINARY = Path("/usr/bin/prometheus-alertmanager")
ENSURE = Path(__file__).resolve().parents[2] / "scripts" / "ensure-alertmanager"

CONFIG = """
route:
  receiver: pulsar
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: pulsar
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {key}
"""


OPSGENIE_CONFIG = """
route:
  receiver: pulsar
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: pulsar
    opsgenie_configs:
      - api_key: {key}
        api_url: {url}
        message: '{{{{ .CommonAnnotations.summary }}}}'
        priority: P2
        tags: 'prom,{{{{ .CommonLabels.severity }}}}'
        send_resolved: true
"""


PAGERDUTY_CONFIG = """
route:
  receiver: pulsar
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: pulsar
    pagerduty_configs:
      - routing_key: {key}
        url: {url}
        send_resolved: true
"""


def _ensure_binary() -> None:
    """Install the Debian package if needed; skip only when that is impossible."""
    if BINARY.exists():
        return
    if shutil.which("apt-get") is None:
        pytest.skip(f"{BINARY} is missing and apt-get is unavailable (CI installs it)")
    subprocess.run(["bash", str(ENSURE)], check=True, timeout=300)


@asynccontextmanager
async def run_alertmanager(
    tmp: Path, url: str, key: str, template: str = CONFIG
) -> AsyncIterator[str]:
    """Start Alertmanager on a free loopback port; yield its base URL; stop it on exit."""
    config = tmp / "alertmanager.yml"
    config.write_text(template.format(url=url, key=key))
    port = free_port()
    process = await trio.lowlevel.open_process(
        [
            str(BINARY),
            f"--config.file={config}",
            f"--storage.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            await _eventually(lambda: _ready(client, base), "Alertmanager ready")
        yield base
    finally:
        with trio.CancelScope(shield=True):
            process.terminate()
            with trio.move_on_after(10):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()


async def _ready(client: httpx.AsyncClient, base: str) -> bool:
    try:
        return (await client.get(f"{base}/-/ready")).status_code == 200
    except httpx.TransportError:
        return False


async def _eventually(check: Callable[[], Awaitable[Any]], what: str, seconds: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``seconds``."""
    with trio.move_on_after(seconds):
        while True:
            result = await check()
            if result:
                return result
            await trio.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


GROUP_ALIAS = hashlib.sha256(b'{}:{alertname="DiskFull"}').hexdigest()


@dataclass
class Peers:
    """Pulsar and an Alertmanager whose receiver points at it, with one test alert."""

    pulsar: httpx.AsyncClient
    headers: dict[str, str]
    alertmanager: str
    client: httpx.AsyncClient
    alert: dict[str, Any] = field(default_factory=dict)

    async def fire(self) -> None:
        now = datetime.now(UTC)
        self.alert = {
            "labels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
            "annotations": {"summary": "Disk is full on db1"},
            "startsAt": now.isoformat(),
        }
        posted = await self.client.post(f"{self.alertmanager}/api/v2/alerts", json=[self.alert])
        assert posted.status_code == 200, posted.text

    async def resolve(self) -> None:
        now = datetime.now(UTC)
        resolved = {
            **self.alert,
            "startsAt": (now - timedelta(minutes=1)).isoformat(),
            "endsAt": (now - timedelta(seconds=1)).isoformat(),
        }
        await self.client.post(f"{self.alertmanager}/api/v2/alerts", json=[resolved])

    async def alert_in_pulsar(self, alias: str, status: str) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            got = await self.pulsar.get(
                f"/api/v1/alerts/{alias}?identifierType=alias", headers=self.headers
            )
            data: dict[str, Any] | None = got.json().get("data")
            return data if data and data["status"] == status else None

        result: dict[str, Any] = await _eventually(check, f"alert {alias} {status}")
        return result


@asynccontextmanager
async def open_peers(tmp: Path, kind: str, template: str, path: str) -> AsyncIterator[Peers]:
    """A fresh Pulsar with a ``kind`` integration, and Alertmanager sending to ``path``."""
    _ensure_binary()
    async with fresh_database() as dsn:
        _, api_key = await create_org(dsn)
        async with run_server(dsn) as server, httpx.AsyncClient(base_url=server.base_url) as pulsar:
            headers = {"Authorization": f"GenieKey {api_key}"}
            response = await _eventually(
                lambda: _create_integration(pulsar, headers, kind), "the API key to be known"
            )
            key = response["data"]["key"]
            async with (
                run_alertmanager(tmp, f"{server.base_url}{path}", key, template) as am,
                httpx.AsyncClient() as client,
            ):
                yield Peers(pulsar, headers, am, client)


async def test_alertmanager_fires_and_resolves_into_pulsar(tmp_path: Path) -> None:
    """A firing alert appears with fingerprint alias, summary, tags, priority; resolve closes."""
    async with open_peers(tmp_path, "alertmanager", CONFIG, "/v1/webhooks/alertmanager") as p:
        await p.fire()
        fingerprint = (await p.client.get(f"{p.alertmanager}/api/v2/alerts")).json()[0][
            "fingerprint"
        ]
        data = await p.alert_in_pulsar(fingerprint, "open")
        assert (data["alias"], data["message"], data["priority"], data["source"]) == (
            fingerprint,
            "Disk is full on db1",
            "P1",
            "Alertmanager",
        )
        assert {"alertname:DiskFull", "instance:db1", "severity:critical"} <= set(data["tags"])
        await p.resolve()
        closed = await p.alert_in_pulsar(fingerprint, "closed")
        assert closed["count"] == 1


async def test_alertmanager_opsgenie_receiver_creates_and_closes_in_pulsar(tmp_path: Path) -> None:
    """opsgenie_configs with api_url at Pulsar (under a prefix) and an opsgenie integration
    key: the group's alert is created through /v2 and closed when the group resolves."""
    async with open_peers(tmp_path, "opsgenie", OPSGENIE_CONFIG, "/og-prefix") as p:
        await p.fire()
        data = await p.alert_in_pulsar(GROUP_ALIAS, "open")
        assert (data["message"], data["priority"]) == ("Disk is full on db1", "P2")
        assert {"prom", "critical"} <= set(data["tags"])
        assert data["details"]["instance"] == "db1"
        await p.resolve()
        await p.alert_in_pulsar(GROUP_ALIAS, "closed")


async def test_alertmanager_pagerduty_receiver_triggers_and_resolves_in_pulsar(
    tmp_path: Path,
) -> None:
    """pagerduty_configs with url at Pulsar's /v2/enqueue and a pagerduty integration key:
    the trigger opens an alert (alias = dedup_key = SHA-256 of the group key), the resolve
    closes it."""
    async with open_peers(tmp_path, "pagerduty", PAGERDUTY_CONFIG, "/v2/enqueue") as p:
        await p.fire()
        data = await p.alert_in_pulsar(GROUP_ALIAS, "open")
        assert data["priority"] == "P2"  # Alertmanager sends severity "error" by default
        assert data["message"].startswith("[FIRING:1] DiskFull")
        await p.resolve()
        await p.alert_in_pulsar(GROUP_ALIAS, "closed")


async def _create_integration(
    pulsar: httpx.AsyncClient, headers: dict[str, str], kind: str = "alertmanager"
) -> dict[str, Any] | None:
    response = await pulsar.post(
        "/api/v1/integrations",
        json={"name": "prometheus", "type": kind},
        headers=headers,
    )
    if response.status_code == 401:
        return None
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
