"""Black-box durability: SIGKILL mid-stream loses nothing that was answered 2xx (I1, I7)."""

from __future__ import annotations

import collections

import httpx
import pytest
import trio

from tests.helpers.server import create_org, pulsar, run_server
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ALIASES = 25
WORKERS = 8


async def test_sigkill_mid_stream_keeps_every_acknowledged_alert() -> None:
    """Every create answered 2xx before a SIGKILL is there after restart, counts are exact
    up to the requests still in flight, and ``pulsar replay --verify`` passes."""
    async with fresh_database() as dsn:
        _, key = await create_org(dsn)
        headers = {"Authorization": f"GenieKey {key}"}
        acked: collections.Counter[str] = collections.Counter()
        in_flight: collections.Counter[str] = collections.Counter()
        ids: set[str] = set()
        async with run_server(dsn) as server:

            async def stream(worker: int) -> None:
                async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:
                    for i in range(100_000):
                        alias = f"a{(worker * 7 + i) % ALIASES}"
                        in_flight[alias] += 1
                        try:
                            response = await client.post(
                                "/api/v1/alerts", json={"message": f"load {alias}", "alias": alias}
                            )
                        except httpx.TransportError:
                            return  # the server died with this request unanswered
                        in_flight[alias] -= 1
                        if response.status_code == 202:
                            acked[alias] += 1
                            ids.add(response.json()["alert_id"])

            async with trio.open_nursery() as nursery:
                for worker in range(WORKERS):
                    nursery.start_soon(stream, worker)
                await trio.sleep(2.0)
                server.kill()
        assert sum(acked.values()) > 50, "the load generator barely ran"

        async with (
            run_server(dsn) as server,
            httpx.AsyncClient(base_url=server.base_url, headers=headers) as client,
        ):
            counts = {}
            for alias in acked:
                response = await client.get(
                    f"/api/v1/alerts/{alias}", params={"identifierType": "alias"}
                )
                assert response.status_code == 200
                data = response.json()["data"]
                counts[alias] = data["count"]
                ids.discard(data["id"])
        assert set() == ids, "an acknowledged alert id is missing after the crash"
        for alias, n in acked.items():
            assert n <= counts[alias] <= n + in_flight[alias], alias

        result = await pulsar("replay", "--verify", dsn=dsn, check=False)
        assert result.returncode == 0, result.stderr.decode()[-2000:]


async def test_org_created_by_cli_is_accepted_by_running_server_within_a_second() -> None:
    """``pulsar org create`` against a running server's database: its key works within 1 s."""
    async with fresh_database() as dsn, run_server(dsn) as server:
        _, key = await create_org(dsn, "late")
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            with trio.fail_after(1.0):
                while True:
                    response = await client.get(
                        "/api/v1/alerts", headers={"Authorization": f"GenieKey {key}"}
                    )
                    if response.status_code == 200:
                        break
                    assert response.status_code == 401
                    await trio.sleep(0.05)
