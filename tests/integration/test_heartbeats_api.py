"""Heartbeats over HTTP (native /api/v1 and Opsgenie /v2) end to end over a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio

from tests.helpers.app import Harness, Org, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

NATIVE = "/api/v1/heartbeats"
OG = "/v2/heartbeats"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        yield harness


async def call(
    api: Harness, method: str, path: str, json: Any = None, org: Org | None = None
) -> Any:
    headers = (org or api.org).headers
    return await getattr(api.client, method)(path, json=json, headers=headers)


async def create(api: Harness, base: str = NATIVE, **body: Any) -> dict[str, Any]:
    payload = {"name": "db", "interval": 1, "intervalUnit": "minutes", "enabled": True, **body}
    response = await api.post(base, json=payload)
    assert response.status_code == 201, await response.get_data()
    return await response.get_json()


async def test_create_get_and_list_with_opsgenie_defaults(api: Harness) -> None:
    """A created heartbeat has Opsgenie's fields and defaults, and is listed by name."""
    data = (await create(api, alertTags=["hb"], ownerTeam="ops"))["data"]
    assert data == {
        "name": "db",
        "description": "",
        "interval": 1,
        "intervalUnit": "minutes",
        "enabled": True,
        "expired": False,
        "alertMessage": "db is expired",
        "alertTags": ["hb"],
        "alertPriority": "P3",
        "ownerTeam": {"id": "", "name": "ops"},
    }
    await create(api, name="api")
    assert data == (await (await api.get(f"{NATIVE}/db")).get_json())["data"]
    listed = (await (await api.get(NATIVE)).get_json())["data"]
    assert [h["name"] for h in listed] == ["api", "db"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"interval": None}, "interval"),
        ({"interval": "often"}, "interval"),
        ({"interval": 0}, "interval"),
        ({"intervalUnit": "weeks"}, "intervalUnit"),
        ({"alertPriority": "P9"}, "alertPriority"),
        ({"alertMessage": "m" * 131}, "alertMessage"),
    ],
)
async def test_invalid_create_is_422_naming_the_field(
    api: Harness, body: dict[str, Any], field: str
) -> None:
    """Missing or bad fields are 422 with the Opsgenie field name."""
    payload = {"name": "db", "interval": 1, "intervalUnit": "minutes", **body}
    payload = {k: v for k, v in payload.items() if v is not None}
    response = await api.post(NATIVE, json=payload)
    assert (422, field) == (response.status_code, (await response.get_json())["field"])


async def test_duplicate_unknown_and_other_org(api: Harness) -> None:
    """A taken name is 409; an unknown name and another org's heartbeat are 404."""
    await create(api)
    response = await api.post(NATIVE, json={"name": "db", "interval": 2, "intervalUnit": "hours"})
    assert (response.status_code, (await response.get_json())["code"]) == (409, "heartbeat_exists")
    other = await api.new_org()
    for method, path in [
        ("get", f"{NATIVE}/db"),
        ("get", f"{NATIVE}/db/ping"),
        ("patch", f"{NATIVE}/db"),
        ("post", f"{NATIVE}/db/disable"),
        ("delete", f"{NATIVE}/db"),
        ("get", f"{OG}/db"),
    ]:
        response = await call(api, method, path, json={}, org=other)
        assert (path, 404) == (path, response.status_code)
    # Opsgenie answers PONG to any ping; the other org's ping must not touch ours.
    assert (await api.get(f"{OG}/db/ping", org=other)).status_code == 202
    ours = (await (await api.get(f"{NATIVE}/db")).get_json())["data"]
    assert ours.get("lastPingTime") is None
    assert (await (await api.get(NATIVE, org=other)).get_json())["data"] == []
    assert (await api.get(f"{NATIVE}/nope")).status_code == 404


async def test_update_enable_disable_and_delete(api: Harness) -> None:
    """PATCH changes given fields only; enable/disable toggle; delete makes it 404."""
    await create(api, description="primary db")
    response = await call(api, "patch", f"{NATIVE}/db", {"interval": 2, "intervalUnit": "hours"})
    data = (await response.get_json())["data"]
    assert (data["interval"], data["intervalUnit"], data["description"]) == (
        2,
        "hours",
        "primary db",
    )
    response = await call(api, "patch", f"{NATIVE}/db", {"name": "renamed"})
    assert (response.status_code, (await response.get_json())["field"]) == (422, "name")
    assert not (await (await api.post(f"{NATIVE}/db/disable")).get_json())["data"]["enabled"]
    assert (await (await api.post(f"{NATIVE}/db/enable")).get_json())["data"]["enabled"]
    assert (await call(api, "delete", f"{NATIVE}/db")).status_code == 200
    assert (await api.get(f"{NATIVE}/db")).status_code == 404


@pytest.mark.parametrize("base", [NATIVE, OG])
async def test_ping_by_every_method(api: Harness, base: str) -> None:
    """GET, POST, PUT, PATCH and HEAD ping (202) and set lastPingTime."""
    await create(api)
    for method in ("get", "post", "put", "patch", "head"):
        response = await call(api, method, f"{base}/db/ping")
        assert (method, 202) == (method, response.status_code)
    body = await (await api.get(f"{base}/db/ping")).get_json()
    assert body["result"] == "PONG - Heartbeat received"
    data = (await (await api.get(f"{NATIVE}/db")).get_json())["data"]
    assert "lastPingTime" in data


async def test_opsgenie_envelope_and_shapes(api: Harness) -> None:
    """/v2 answers carry took and requestId, in Opsgenie's per-operation shapes."""
    created = await create(api, base=OG + "/")
    assert {"data", "took", "requestId"} == set(created)
    assert created["data"]["name"] == "db"
    listed = await (await api.get(OG)).get_json()
    assert [h["name"] for h in listed["data"]["heartbeats"]] == ["db"]
    go_update = {"name": "db", "interval": 3, "intervalUnit": "days", "ownerTeam": {}}
    response = await call(api, "patch", f"{OG}/db", go_update)
    assert response.status_code == 200
    assert (await response.get_json())["data"] == {"name": "db", "enabled": True, "expired": False}
    response = await api.post(f"{OG}/db/disable")
    assert (await response.get_json())["data"] == {"name": "db", "enabled": False, "expired": False}
    response = await api.post(f"{OG}/db/enable")
    assert (await response.get_json())["data"]["enabled"]
    assert response.headers["X-RateLimit-State"] == "OK"
    assert float(response.headers["X-Response-Time"]) > 0
    deleted = await (await call(api, "delete", f"{OG}/db")).get_json()
    assert (deleted["result"], "requestId" in deleted) == ("Deleted", True)


async def test_opsgenie_errors(api: Harness) -> None:
    """/v2 errors are Opsgenie-shaped: message, took, requestId (and errors per field)."""
    await create(api, base=OG)
    response = await api.post(OG, json={"name": "db", "interval": 1, "intervalUnit": "days"})
    assert response.status_code == 409
    response = await api.post(OG, json={"name": "x", "interval": 1, "intervalUnit": "years"})
    body = await response.get_json()
    assert (response.status_code, list(body["errors"])) == (422, ["intervalUnit"])
    response = await api.get(f"{OG}/nope")
    body = await response.get_json()
    assert (response.status_code, body["message"]) == (404, "Heartbeat does not exist")
    assert {"message", "took", "requestId"} == set(body)
    response = await api.get(f"{OG}/nope/ping")
    body = await response.get_json()
    assert (response.status_code, body["result"]) == (202, "PONG - Heartbeat received")
    assert (await api.get(f"{NATIVE}/nope/ping")).status_code == 404
    response = await api.client.get(f"{OG}/db/ping", headers={"Authorization": "GenieKey bad"})
    body = await response.get_json()
    assert (response.status_code, body["message"]) == (401, "Could not authenticate")


async def alert_by_alias(api: Harness, alias: str) -> dict[str, Any] | None:
    response = await api.get(f"/api/v1/alerts/{alias}?identifierType=alias")
    return (await response.get_json())["data"] if response.status_code == 200 else None


async def wait_for_alert(api: Harness, alias: str, status: str) -> dict[str, Any]:
    """The alert once it has ``status`` (the timer runs right after the clock moves)."""
    for _ in range(200):
        alert = await alert_by_alias(api, alias)
        if alert is not None and alert["status"] == status:
            return alert
        await trio.sleep(0.01)
    pytest.fail(f"no {status} alert {alias!r} within 2 s")


async def test_expiry_raises_the_alert_and_the_next_ping_closes_it(api: Harness) -> None:
    """Advancing the clock past the interval raises "db is expired"; a ping closes it."""
    await create(api, alertPriority="P2", alertTags=["hb"])
    await api.post("/api/test/clock/advance", json={"seconds": 59})
    await trio.sleep(0.1)
    assert await alert_by_alias(api, "heartbeat-db") is None
    await api.post("/api/test/clock/advance", json={"seconds": 2})
    alert = await wait_for_alert(api, "heartbeat-db", "open")
    assert (alert["message"], alert["priority"], alert["tags"]) == ("db is expired", "P2", ["hb"])
    assert (await (await api.get(f"{OG}/db")).get_json())["data"]["expired"]
    await api.post("/api/test/clock/advance", json={"seconds": 600})
    await trio.sleep(0.1)
    assert (await wait_for_alert(api, "heartbeat-db", "open"))["count"] == 1
    assert (await api.get(f"{OG}/db/ping")).status_code == 202
    await wait_for_alert(api, "heartbeat-db", "closed")
    assert not (await (await api.get(f"{OG}/db")).get_json())["data"]["expired"]
