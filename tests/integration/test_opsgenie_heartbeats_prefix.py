"""Opsgenie's /v2/heartbeats under a path prefix, like the alert routes (compat-api.md 1.1).

Alertmanager-style clients keep a path in their base URL (``https://host/opsgenie/``);
every heartbeat route, and the ping with each of its methods, must answer there exactly
as at the root, with the same permissions and the same organization boundary.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, Org, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

PREFIXES = ["/opsgenie", "/a/b/c"]


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        yield harness


async def call(
    api: Harness, method: str, path: str, json: Any = None, org: Org | None = None
) -> tuple[int, Any]:
    headers = (org or api.org).headers
    response = await getattr(api.client, method)(path, json=json, headers=headers)
    text = await response.get_data(as_text=True)
    return response.status_code, (await response.get_json()) if text else None


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_every_heartbeat_route_answers_under_a_prefix(api: Harness, prefix: str) -> None:
    """Create, list (trailing slash too), get, update, disable, enable, ping, delete."""
    base = f"{prefix}/v2/heartbeats"
    body = {"name": "db", "interval": 5, "intervalUnit": "minutes", "enabled": True}
    status, created = await call(api, "post", f"{base}/", body)
    assert (status, created["data"]["name"]) == (201, "db")
    assert {"took", "requestId"} <= created.keys()
    for path in (base, f"{base}/"):
        status, listed = await call(api, "get", path)
        assert (status, [h["name"] for h in listed["data"]["heartbeats"]]) == (200, ["db"])
    status, got = await call(api, "get", f"{base}/db")
    assert (status, got["data"]["interval"]) == (200, 5)
    status, updated = await call(api, "patch", f"{base}/db", {"interval": 7})
    assert (status, updated["data"]) == (200, {"name": "db", "enabled": True, "expired": False})
    status, off = await call(api, "post", f"{base}/db/disable")
    assert (status, off["data"]["enabled"]) == (200, False)
    status, on = await call(api, "post", f"{base}/db/enable")
    assert (status, on["data"]["enabled"]) == (200, True)
    # The root and the prefix see the same heartbeat.
    _, root = await call(api, "get", "/v2/heartbeats/db")
    assert root["data"]["interval"] == 7
    status, deleted = await call(api, "delete", f"{base}/db")
    assert (status, deleted["result"]) == (200, "Deleted")
    status, gone = await call(api, "get", f"{base}/db")
    assert (status, gone["message"]) == (404, "Heartbeat does not exist")


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "head"])
async def test_ping_under_a_prefix_with_every_method(api: Harness, method: str) -> None:
    """Each ping method records the ping through the prefixed route."""
    body = {"name": "cron", "interval": 1, "intervalUnit": "hours", "enabled": True}
    assert (await call(api, "post", "/v2/heartbeats", body))[0] == 201
    status, pong = await call(api, method, "/opsgenie/v2/heartbeats/cron/ping")
    assert status == 202
    if method != "head":
        assert pong["result"] == "PONG - Heartbeat received"
    _, got = await call(api, "get", "/opsgenie/v2/heartbeats/cron")
    assert got["data"].get("lastPingTime") is not None


async def test_prefixed_routes_keep_auth_errors_and_the_org_boundary(api: Harness) -> None:
    """No key is 401; bad input is 422 in Opsgenie's shape; another org's heartbeat is 404."""
    base = "/opsgenie/v2/heartbeats"
    response = await api.client.get(base)
    assert (response.status_code, (await response.get_json())["message"]) == (
        401,
        "Could not authenticate",
    )
    status, bad = await call(api, "post", base, {"name": "x", "intervalUnit": "minutes"})
    assert (status, bad["errors"]) == (422, {"interval": "interval is required"})
    status, bad = await call(api, "post", base, {"name": "x", "interval": 1, "intervalUnit": "y"})
    assert (status, list(bad["errors"])) == (422, ["intervalUnit"])
    body = {"name": "db", "interval": 1, "intervalUnit": "hours", "enabled": True}
    assert (await call(api, "post", base, body))[0] == 201
    other = await api.new_org()
    for method, path in [
        ("get", f"{base}/db"),
        ("patch", f"{base}/db"),
        ("post", f"{base}/db/disable"),
        ("delete", f"{base}/db"),
    ]:
        status, _ = await call(api, method, path, json={}, org=other)
        assert (path, status) == (path, 404)
    # The other org's ping is PONG (as in Opsgenie) but never touches ours.
    assert (await call(api, "get", f"{base}/db/ping", org=other))[0] == 202
    _, ours = await call(api, "get", f"{base}/db")
    assert ours["data"].get("lastPingTime") is None
    assert ours["data"]["enabled"]
    _, theirs = await call(api, "get", base, org=other)
    assert theirs["data"]["heartbeats"] == []
