"""The ``pulsar`` CLI as a user runs it: embedded database, migrate, replay --verify."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psutil
import pytest
import trio

from engine import CommandContext, CreateAlert, TrioClock, new_id, open_org_supervisor
from engine.org import SNAPSHOT_SCHEMA_VERSION
from engine.runtime.snapshots import snapshot_data, state_of
from eventstore import Snapshot, open_postgres_store
from tests.helpers.server import create_org, pulsar, run_server
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _embedded_postmasters(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if "postgres" in (proc.info.get("name") or "") and str(data_dir) in cmdline:
            found.append(proc)
    return found


async def test_serve_without_database_url_uses_embedded_postgres(tmp_path: Path) -> None:
    """No DATABASE_URL: serve starts an embedded PostgreSQL, a CLI call beside it does not
    stop it, and SIGTERM stops it."""
    data_dir = tmp_path / "data"
    env = {"PULSAR_DATA_DIR": str(data_dir)}
    async with run_server(None, env=env) as server:
        result = await pulsar("org", "create", "--name", "emb", dsn=None, env=env)
        key = json.loads(result.stdout.decode().splitlines()[-1])["api_key"]
        assert _embedded_postmasters(data_dir / "postgres"), "no embedded postmaster running"
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            for _ in range(40):  # the server follows the log: the key works within a second
                response = await client.post(
                    "/api/v1/alerts",
                    json={"message": "hi"},
                    headers={"Authorization": f"GenieKey {key}"},
                )
                if response.status_code != 401:
                    break
                await trio.sleep(0.05)
        assert response.status_code == 202
    assert server.process.returncode == 0
    assert [
        p
        for p in _embedded_postmasters(data_dir / "postgres")
        if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    ] == []


async def test_migrate_applies_once() -> None:
    """``pulsar migrate`` on a fresh database succeeds, and again as a no-op."""
    async with fresh_database(migrated=False) as dsn:
        first = await pulsar("migrate", dsn=dsn)
        second = await pulsar("migrate", dsn=dsn)
    assert json.loads(first.stdout.decode().splitlines()[-1]) == {"migrated": True}
    assert second.returncode == 0


async def test_replay_verify_passes_then_detects_a_corrupt_snapshot() -> None:
    """replay --verify exits 0 on a consistent log and 1 when snapshot + tail differs."""
    async with fresh_database() as dsn:
        org_id, _ = await create_org(dsn)
        async with open_postgres_store(dsn) as store:
            clock = TrioClock()
            ctx = CommandContext(principal_kind="cli", principal_id="t")
            async with open_org_supervisor(store, clock, snapshot_every=5) as sup:
                for i in range(12):
                    await sup.submit(org_id, CreateAlert(alert_id=new_id(), message=f"m{i}"), ctx)
        ok = await pulsar("replay", "--verify", dsn=dsn, check=False)
        assert ok.returncode == 0, ok.stderr.decode()
        summary = json.loads(ok.stdout.decode().splitlines()[-1])
        assert (summary["orgs"], summary["events"], summary["differences"]) == (1, 14, 0)

        async with open_postgres_store(dsn) as store:
            snapshot = await store.load_snapshot(org_id, SNAPSHOT_SCHEMA_VERSION)
            assert snapshot is not None
            state = state_of(snapshot.data)
            next(iter(state.alerts.alerts.values())).message = "tampered"
            await store.save_snapshot(
                Snapshot(
                    org_id=org_id,
                    version=snapshot.version + 1,
                    schema_version=SNAPSHOT_SCHEMA_VERSION,
                    data=snapshot_data(state),
                )
            )
        bad = await pulsar("replay", "--verify", dsn=dsn, check=False)
        assert bad.returncode == 1
        assert "replay verification failed" in bad.stderr.decode()
