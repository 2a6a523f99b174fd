"""Maintenance windows over HTTP (native /api/v1/maintenance, Opsgenie /v1/maintenance)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import trio

from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.people import add_team
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

NATIVE = "/api/v1/maintenance"
OG = "/v1/maintenance"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        yield harness


async def call(
    api: Harness, method: str, path: str, json: Any = None, org: Org | None = None
) -> Any:
    headers = (org or api.org).headers
    return await getattr(api.client, method)(path, json=json, headers=headers)


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, await response.get_data()
    return await response.get_json()


async def error_of(response: Any, status: int) -> dict[str, Any]:
    """A native error body: ``{code, message, request_id}``."""
    assert response.status_code == status, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    assert {"code", "message", "request_id"} <= set(body), body
    return body


async def now(api: Harness) -> datetime:
    return datetime.fromisoformat((await ok(await api.get("/api/test/clock")))["now"])


async def advance(api: Harness, seconds: float) -> None:
    await ok(await api.post("/api/test/clock/advance", json={"seconds": seconds}))


async def integration(api: Harness, org: Org | None = None) -> str:
    body = await ok(
        await api.post("/api/v1/integrations", json={"name": "web", "type": "api"}, org=org), 201
    )
    integration_id: str = body["data"]["id"]
    return integration_id


async def policy(api: Harness, org: Org | None = None) -> str:
    team_id = await add_team(api, "Ops", org=org)
    rules = [{"recipient": {"type": "team", "id": team_id}, "delayMinutes": 0}]
    response = await api.post(
        "/api/v1/escalation-policies", json={"name": "DB", "rules": rules}, org=org
    )
    policy_id: str = (await ok(response, 201))["data"]["id"]
    return policy_id


async def window(api: Harness, window_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (await ok(await api.get(f"{NATIVE}/{window_id}")))["data"]
    return data


async def until(api: Harness, window_id: str, field: str) -> dict[str, Any]:
    """The window once ``field`` is recorded (the timer runs right after the clock moves)."""
    for _ in range(200):
        data = await window(api, window_id)
        if data[field] is not None:
            return data
        await trio.sleep(0.01)
    pytest.fail(f"{field} was not recorded within 2 s")


# -- native API ----------------------------------------------------------------------------


async def test_a_scheduled_window_starts_and_ends_on_the_clock(api: Harness) -> None:
    """Planned -> active -> past as the test clock passes start and end; both recorded as events."""
    web, db = await integration(api), await policy(api)
    start = await now(api) + timedelta(minutes=10)
    created = await ok(
        await api.post(
            NATIVE,
            json={
                "description": "db upgrade",
                "start": start.isoformat(),
                "durationMinutes": 60,
                "entities": [{"type": "integration", "id": web}, {"type": "policy", "id": db}],
            },
        ),
        201,
    )
    data = created["data"]
    assert (data["status"], data["timeType"], data["startedAt"]) == ("planned", "schedule", None)
    assert [(e["type"], e["name"], e["state"]) for e in data["entities"]] == [
        ("integration", "web", "disabled"),
        ("policy", "DB", "disabled"),
    ]
    await advance(api, 601)
    started = await until(api, data["id"], "startedAt")
    assert (started["status"], started["endedAt"]) == ("active", None)
    await advance(api, 3600)
    ended = await until(api, data["id"], "endedAt")
    assert ended["status"] == "past"
    statuses = {
        status: [w["id"] for w in (await ok(await api.get(f"{NATIVE}?status={status}")))["data"]]
        for status in ("all", "past", "active", "planned", "cancelled")
    }
    assert statuses == {
        "all": [data["id"]],
        "past": [data["id"]],
        "active": [],
        "planned": [],
        "cancelled": [],
    }


async def test_an_end_set_in_the_past_ends_an_active_window_at_once(api: Harness) -> None:
    """S38: a PATCH moving the end before now records the end in the same request."""
    web = await integration(api)
    start = await now(api)
    created = await ok(
        await api.post(NATIVE, json={"entities": [{"type": "integration", "id": web}]}), 201
    )
    data = created["data"]
    assert (data["status"], data["end"], data["timeType"]) == ("active", None, "indefinitely")
    assert data["startedAt"] is not None
    await advance(api, 600)
    end = (start + timedelta(minutes=5)).isoformat()
    patched = (await ok(await call(api, "patch", f"{NATIVE}/{data['id']}", {"end": end})))["data"]
    assert (patched["status"], patched["endedAt"] is not None) == ("past", True)
    # Once over, it cannot change (409) nor be cancelled.
    again = await call(api, "patch", f"{NATIVE}/{data['id']}", {"description": "x"})
    assert (await error_of(again, 409))["code"] == "maintenance_over"
    cancel = await api.post(f"{NATIVE}/{data['id']}/cancel")
    assert (await error_of(cancel, 409))["code"] == "maintenance_over"


async def test_cancel_patch_and_delete(api: Harness) -> None:
    """A planned window can be edited, cancelled (kept as cancelled) and deleted (404 after)."""
    web, db = await integration(api), await policy(api)
    start = await now(api) + timedelta(hours=1)
    body = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    created = await ok(
        await api.post(NATIVE, json={**body, "entities": [{"type": "integration", "id": web}]}), 201
    )
    window_id = created["data"]["id"]
    patched = await ok(
        await call(
            api,
            "patch",
            f"{NATIVE}/{window_id}",
            {
                "description": "later",
                "end": None,
                "entities": [{"type": "policy", "id": db, "state": "enabled"}],
            },
        )
    )
    data = patched["data"]
    assert (data["description"], data["end"], data["timeType"]) == ("later", None, "indefinitely")
    assert [(e["id"], e["state"]) for e in data["entities"]] == [(db, "enabled")]
    cancelled = (await ok(await api.post(f"{NATIVE}/{window_id}/cancel")))["data"]
    assert (cancelled["status"], cancelled["startedAt"]) == ("cancelled", None)
    listed = (await ok(await api.get(f"{NATIVE}?status=cancelled")))["data"]
    assert [w["id"] for w in listed] == [window_id]
    assert (await ok(await call(api, "delete", f"{NATIVE}/{window_id}")))["result"] == "deleted"
    missing = await api.get(f"{NATIVE}/{window_id}")
    assert (await error_of(missing, 404))["code"] == "maintenance_not_found"


async def test_bad_input_is_refused_naming_the_field(api: Harness) -> None:
    """Each bad body or parameter is a 4xx naming what is wrong."""
    web = await integration(api)
    start = await now(api) + timedelta(hours=1)
    entities = [{"type": "integration", "id": web}]
    cases: list[tuple[Any, int, str]] = [
        ({}, 422, "entities"),
        ({"entities": []}, 422, "entities"),
        ({"entities": [{"type": "service", "id": web}]}, 422, "entities"),
        ({"entities": [{"type": "integration", "id": "nope"}]}, 422, "entities"),
        ({"entities": [{"type": "policy", "id": web}]}, 422, "entities"),
        ({"entities": [{"type": "integration", "id": web, "state": "enabled"}]}, 422, "entities"),
        ({"entities": entities, "start": start.isoformat(), "end": start.isoformat()}, 422, "end"),
        ({"entities": entities, "end": "2000-01-01T00:00:00Z"}, 422, "end"),
        (
            {"entities": entities, "end": start.isoformat(), "durationMinutes": 5},
            422,
            "durationMinutes",
        ),
        ({"entities": entities, "durationMinutes": 0}, 422, "durationMinutes"),
        ({"entities": entities, "start": "2030-01-01T00:00:00"}, 422, "start"),
        ({"entities": entities, "start": "tomorrow"}, 422, "start"),
        ({"entities": entities, "description": "d" * 10001}, 422, "description"),
    ]
    for body, status, field in cases:
        response = await api.post(NATIVE, json=body)
        assert (await error_of(response, status)).get("field") == field, body
    bad_json = await api.client.post(
        NATIVE, data=b"{", headers={**api.org.headers, "Content-Type": "application/json"}
    )
    assert (await error_of(bad_json, 400))["code"] == "invalid_json"
    assert (await error_of(await api.get(f"{NATIVE}?status=soon"), 422))["field"] == "status"


async def test_other_organizations_and_read_only_keys(api: Harness) -> None:
    """Another org's window is 404, its integration unknown (422); read keys cannot write."""
    web = await integration(api)
    created = await ok(
        await api.post(NATIVE, json={"entities": [{"type": "integration", "id": web}]}), 201
    )
    window_id = created["data"]["id"]
    other = await api.new_org()
    for method, path, body in (
        ("get", f"{NATIVE}/{window_id}", None),
        ("patch", f"{NATIVE}/{window_id}", {"description": "x"}),
        ("post", f"{NATIVE}/{window_id}/cancel", None),
        ("delete", f"{NATIVE}/{window_id}", None),
        ("get", f"{OG}/{window_id}", None),
    ):
        assert (await call(api, method, path, body, org=other)).status_code == 404, (method, path)
    assert (await ok(await call(api, "get", NATIVE, org=other)))["data"] == []
    stolen = await call(
        api, "post", NATIVE, {"entities": [{"type": "integration", "id": web}]}, org=other
    )
    assert (await error_of(stolen, 422))["field"] == "entities"
    assert (await window(api, window_id))["status"] == "active"

    created_key = await ok(
        await api.post("/api/v1/api-keys", json={"name": "ro", "rights": ["read"]}), 201
    )
    reader = Org(api.org.org_id, created_key["data"]["key"])
    assert (await call(api, "get", NATIVE, org=reader)).status_code == 200
    assert (await call(api, "get", OG, org=reader)).status_code == 200
    for method, path, body in (
        ("post", NATIVE, {"entities": [{"type": "integration", "id": web}]}),
        ("patch", f"{NATIVE}/{window_id}", {"description": "x"}),
        ("post", f"{NATIVE}/{window_id}/cancel", None),
        ("delete", f"{NATIVE}/{window_id}", None),
        ("post", OG, {"time": {"type": "for-1-hour"}, "rules": []}),
        ("post", f"{OG}/{window_id}/cancel", None),
    ):
        response = await call(api, method, path, body, org=reader)
        assert response.status_code == 403, (method, path)


# -- Opsgenie API --------------------------------------------------------------------------


async def test_opsgenie_maintenance_lifecycle(api: Harness) -> None:
    """The Go SDK's calls: create, get, list by type, update, change-end-date, cancel, delete."""
    web, db = await integration(api), await policy(api)
    rules = [
        {"state": "disabled", "entity": {"id": web, "type": "integration"}},
        {"state": "enabled", "entity": {"id": db, "type": "policy"}},
    ]
    created = await ok(
        await api.post(
            OG, json={"description": "deploy", "time": {"type": "for-1-hour"}, "rules": rules}
        ),
        201,
    )
    assert {"took", "requestId"} <= set(created)
    data = created["data"]
    assert (created["result"], data["status"], data["description"]) == (
        "Created",
        "active",
        "deploy",
    )
    assert data["time"]["type"] == "for-1-hour"
    start = datetime.fromisoformat(data["time"]["startDate"])
    assert datetime.fromisoformat(data["time"]["endDate"]) - start == timedelta(hours=1)
    detail = (await ok(await api.get(f"{OG}/{data['id']}")))["data"]
    assert detail["rules"] == rules

    later = start + timedelta(days=1)
    planned = await ok(
        await api.post(
            OG,
            json={
                "description": "",
                "time": {
                    "type": "schedule",
                    "startDate": later.isoformat(),
                    "endDate": (later + timedelta(hours=2)).isoformat(),
                },
                "rules": [{"entity": {"id": db, "type": "policy"}, "state": "disabled"}],
            },
        ),
        201,
    )
    planned_id = planned["data"]["id"]
    assert planned["data"]["status"] == "planned"
    listed = {
        t: [m["id"] for m in (await ok(await api.get(f"{OG}?type={t}")))["data"]]
        for t in ("all", "non-expired", "past")
    }
    assert listed == {
        "all": [data["id"], planned_id],
        "non-expired": [data["id"], planned_id],
        "past": [],
    }
    assert [m["id"] for m in (await ok(await api.get(OG)))["data"]] == [data["id"], planned_id]

    body = {"description": "moved", "time": {"type": "indefinitely"}, "rules": rules[:1]}
    updated = await ok(await call(api, "put", f"{OG}/{planned_id}", body))
    assert (updated["data"]["description"], updated["data"]["status"]) == ("moved", "active")
    assert "endDate" not in updated["data"]["time"]

    end = (start + timedelta(minutes=30)).isoformat()
    changed = await ok(await api.post(f"{OG}/{data['id']}/change-end-date", json={"endDate": end}))
    assert changed["data"]["time"]["endDate"].startswith(end[:16])
    cancelled = await ok(await api.post(f"{OG}/{planned_id}/cancel"))
    assert cancelled["result"] == "Cancelled"
    past = [m["id"] for m in (await ok(await api.get(f"{OG}?type=past")))["data"]]
    assert past == [planned_id]
    await advance(api, 3600)
    past = [m["id"] for m in (await ok(await api.get(f"{OG}?type=past")))["data"]]
    assert sorted(past) == sorted([data["id"], planned_id])
    assert (await ok(await call(api, "delete", f"{OG}/{planned_id}")))["result"] == "Deleted"


async def test_opsgenie_errors_have_opsgenie_shape(api: Harness) -> None:
    """Unknown ids, bad time types and missing dates answer {message, took, requestId}."""
    web = await integration(api)
    rules = [{"entity": {"id": web, "type": "integration"}}]
    for path, method, body, status in (
        (f"{OG}/nope", "get", None, 404),
        (OG, "post", {"time": {"type": "for-2-hours"}, "rules": rules}, 422),
        (OG, "post", {"time": {"type": "schedule"}, "rules": rules}, 422),
        (OG, "post", {"time": {"type": "for-1-hour"}, "rules": []}, 422),
        (
            OG,
            "post",
            {
                "time": {"type": "for-1-hour"},
                "rules": [{"entity": {"id": "x", "type": "integration"}}],
            },
            422,
        ),
        (f"{OG}/nope/change-end-date", "post", {}, 422),
        (f"{OG}?type=soon", "get", None, 422),
    ):
        response = await call(api, method, path, body)
        assert response.status_code == status, (path, body, await response.get_data())
        error = await response.get_json()
        assert {"message", "took", "requestId"} <= set(error), error
        assert "code" not in error
