"""Typeless responders resolved against the organization, and the alert's ``integration``.

Both alert APIs (native /api/v1 and Opsgenie /v2) hand the engine the same command: a
responder without ``type`` is resolved by id, then by name (teams, users, escalations,
schedules); one that names nothing is left off the alert and named on its log. Both show
the integration an alert came through (compat-api.md 4.6, 4.7).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, Org, open_harness
from tests.integration.test_teams_api import signed_in_org
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


async def body_of(response: Any, status: int) -> Any:
    assert response.status_code == status, await response.get_data()
    return await response.get_json()


async def og_create(api: Harness, org: Org | None = None, **body: Any) -> dict[str, Any]:
    """Create through /v2; returns the request status."""
    accepted = await body_of(await api.post("/v2/alerts", json=body, org=org), 202)
    path = f"/v2/alerts/requests/{accepted['requestId']}"
    status: dict[str, Any] = (await body_of(await api.get(path, org=org), 200))["data"]
    return status


async def native(api: Harness, alert_id: str, org: Org | None = None) -> dict[str, Any]:
    data: dict[str, Any] = (
        await body_of(await api.get(f"/api/v1/alerts/{alert_id}", org=org), 200)
    )["data"]
    return data


async def og(api: Harness, alert_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (await body_of(await api.get(f"/v2/alerts/{alert_id}"), 200))["data"]
    return data


async def ops_team(api: Harness) -> dict[str, str]:
    """Team "ops" with its default ``ops_schedule`` and ``ops_escalation``: kind -> id."""
    team = (await body_of(await api.post("/v2/teams", json={"name": "ops"}), 201))["data"]
    schedules = (await body_of(await api.get("/api/v1/schedules"), 200))["data"]
    policies = (await body_of(await api.get("/api/v1/escalation-policies"), 200))["data"]
    return {
        "team": team["id"],
        "schedule": next(s["id"] for s in schedules if s["name"] == "ops_schedule"),
        "escalation": next(p["id"] for p in policies if p["name"] == "ops_escalation"),
    }


# -- typeless responders ---------------------------------------------------------------------


TYPELESS = [
    {"name": "OPS"},
    {"name": "ops_escalation"},
    {"name": "ops_schedule"},
    {"name": "ghost"},
    {"type": "teams", "name": "ops"},  # an unknown type counts as none (Opsgenie API)
]


async def test_opsgenie_create_resolves_typeless_responders_and_logs_the_rest(
    api: Harness,
) -> None:
    ids = await ops_team(api)
    status = await og_create(api, message="m", responders=[*TYPELESS, {"id": ids["team"]}])
    assert (status["isSuccess"], status["status"]) == (True, "Created alert")
    alert = await og(api, status["alertId"])
    assert alert["responders"] == [
        {"type": "team", "id": ids["team"]},
        {"type": "escalation", "id": ids["escalation"]},
        {"type": "schedule", "id": ids["schedule"]},
    ]
    logs = (await body_of(await api.get(f"/v2/alerts/{alert['id']}/logs?order=asc"), 200))["data"]
    assert logs[0]["log"] == (
        "Alert created; responders ignored (no team, user, escalation or schedule): 'ghost'"
    )
    history = (await body_of(await api.get(f"/api/v1/alerts/{alert['id']}/history"), 200))["data"]
    created = next(h["event"] for h in history if h["type"] == "AlertCreated")
    assert created["unresolved_responders"] == ["ghost"]


async def test_native_create_resolves_the_same_way(api: Harness) -> None:
    """One engine path: the native API's typeless responders resolve identically."""
    ids = await ops_team(api)
    native_body = [r for r in TYPELESS if "type" not in r]
    response = await api.post("/api/v1/alerts", json={"message": "m", "responders": native_body})
    alert = await native(api, (await body_of(response, 202))["alert_id"])
    assert alert["responders"] == [
        {"type": "team", "id": ids["team"]},
        {"type": "escalation", "id": ids["escalation"]},
        {"type": "schedule", "id": ids["schedule"]},
    ]
    # A username is a user even when nobody has it (paging then logs "no such member").
    response = await api.post(
        "/api/v1/alerts", json={"message": "u", "responders": [{"username": "ann@example.com"}]}
    )
    alert = await native(api, (await body_of(response, 202))["alert_id"])
    assert alert["responders"] == [{"type": "user", "id": "ann@example.com"}]


async def test_a_signed_up_user_resolves_by_username(api: Harness) -> None:
    """``{"name": <email>}`` without type is the member with that email (their account id)."""
    headers, _, ada = await signed_in_org(api)
    body = {"message": "m", "responders": [{"name": "ADA@example.com"}, {"id": "bob-1"}]}
    response = await api.client.post("/api/v1/alerts", json=body, headers=headers)
    alert_id = (await body_of(response, 202))["alert_id"]
    response = await api.client.get(f"/api/v1/alerts/{alert_id}", headers=headers)
    alert = (await body_of(response, 200))["data"]
    assert alert["responders"] == [{"type": "user", "id": ada}, {"type": "user", "id": "bob-1"}]


async def test_adding_a_typeless_responder(api: Harness) -> None:
    """Resolved when it names something; else /v2 reports it in the request status, native 422."""
    ids = await ops_team(api)
    alert_id = (await og_create(api, message="m"))["alertId"]
    base = f"/v2/alerts/{alert_id}/responders"
    accepted = await body_of(
        await api.post(base, json={"responder": {"name": "ops_schedule"}}), 202
    )
    status = await body_of(await api.get(f"/v2/alerts/requests/{accepted['requestId']}"), 200)
    assert status["data"]["isSuccess"] is True
    accepted = await body_of(await api.post(base, json={"responder": {"name": "ghost"}}), 202)
    status = await body_of(await api.get(f"/v2/alerts/requests/{accepted['requestId']}"), 200)
    assert (status["data"]["isSuccess"], status["data"]["action"]) == (False, "AddResponder")
    assert "'ghost' is no team, user, escalation or schedule" in status["data"]["status"]
    assert (await og(api, alert_id))["responders"] == [{"type": "schedule", "id": ids["schedule"]}]
    path = f"/api/v1/alerts/{alert_id}/responders"
    error = await body_of(await api.post(path, json={"responder": {"name": "ghost"}}), 422)
    assert (error["code"], error["field"]) == ("responder_not_found", "responder")
    error = await body_of(await api.post(path, json={"responder": {}}), 422)
    assert (error["code"], error["field"]) == ("invalid_field", "responder")
    error = await body_of(await api.post(path, json={"responder": {"name": 5}}), 422)
    assert error["code"] == "invalid_field"
    # /v2: a responder naming nobody at all is a synchronous 422, as before.
    error = await body_of(await api.post(base, json={"responder": {}}), 422)
    assert "responder" in error["errors"]


async def test_bad_responders_on_create(api: Harness) -> None:
    """A wrong JSON type is 422 on both APIs; an empty native responder is 422."""
    response = await api.post("/v2/alerts", json={"message": "m", "responders": [{"name": []}]})
    assert response.status_code == 422
    response = await api.post("/api/v1/alerts", json={"message": "m", "responders": [{}]})
    error = await body_of(response, 422)
    assert (error["code"], error["field"]) == ("invalid_field", "responders")
    response = await api.post(
        "/api/v1/alerts", json={"message": "m", "responders": [{"type": "teams", "id": "x"}]}
    )
    assert (await body_of(response, 422))["field"] == "responders"


async def test_another_organizations_teams_never_resolve(api: Harness) -> None:
    """Names and ids of another organization's team, policy or schedule match nothing here."""
    ids = await ops_team(api)
    other = await api.new_org()
    responders = [
        {"name": "ops"},
        {"id": ids["team"]},
        {"name": "ops_escalation"},
        {"id": ids["schedule"]},
    ]
    status = await og_create(api, org=other, message="m", responders=responders)
    assert status["isSuccess"] is True
    alert = await native(api, status["alertId"], org=other)
    assert alert["responders"] == []
    response = await api.get(f"/api/v1/alerts/{alert['id']}/history", org=other)
    created = next(h for h in (await body_of(response, 200))["data"] if h["type"] == "AlertCreated")
    assert created["event"]["unresolved_responders"] == [
        "ops",
        ids["team"],
        "ops_escalation",
        ids["schedule"],
    ]
    # Nor is the other organization's alert reachable from here.
    assert (await api.get(f"/api/v1/alerts/{alert['id']}")).status_code == 404


# -- integration -------------------------------------------------------------------------------


async def test_api_key_alerts_show_the_api_integration_on_both_apis(api: Harness) -> None:
    """Created through /v2 or natively with the same key: the same ``API`` integration."""
    og_id = (await og_create(api, message="og"))["alertId"]
    response = await api.post("/api/v1/alerts", json={"message": "native"})
    native_id = (await body_of(response, 202))["alert_id"]
    integration = (await og(api, og_id))["integration"]
    assert integration["type"] == "API"
    assert integration["id"]
    assert integration["name"]
    assert (await native(api, og_id))["integration"] == integration
    assert (await native(api, native_id))["integration"] == integration
    assert (await og(api, native_id))["integration"] == integration
    listed = (await body_of(await api.get("/api/v1/alerts"), 200))["data"]
    assert [a["integration"] for a in listed] == [integration, integration]
    og_listed = (await body_of(await api.get("/v2/alerts"), 200))["data"]
    assert [a["integration"] for a in og_listed] == [integration, integration]


async def test_integration_keys_and_webhooks_show_their_integration(api: Harness) -> None:
    """An ``api`` integration's key on /v2, and an Alertmanager webhook, name their integration."""
    made = await body_of(
        await api.post("/api/v1/integrations", json={"name": "Nebuchadnezzar", "type": "api"}), 201
    )
    key = made["data"]["key"]
    response = await api.client.post(
        "/v2/alerts", json={"message": "m"}, headers={"Authorization": f"GenieKey {key}"}
    )
    request_id = (await body_of(response, 202))["requestId"]
    response = await api.client.get(
        f"/v2/alerts/requests/{request_id}", headers={"Authorization": f"GenieKey {key}"}
    )
    status = (await body_of(response, 200))["data"]
    assert status["integrationId"] == made["data"]["id"]
    expected = {"id": made["data"]["id"], "name": "Nebuchadnezzar", "type": "API"}
    assert (await og(api, status["alertId"]))["integration"] == expected
    assert (await native(api, status["alertId"]))["integration"] == expected

    am = (
        await body_of(
            await api.post("/api/v1/integrations", json={"name": "prom", "type": "alertmanager"}),
            201,
        )
    )["data"]
    firing = {
        "version": "4",
        "status": "firing",
        "groupKey": "g",
        "alerts": [{"status": "firing", "labels": {"alertname": "Down"}, "fingerprint": "f1"}],
    }
    await body_of(await api.client.post(am["url"], json=firing), 202)
    listed = (await body_of(await api.get("/api/v1/alerts?query=Down"), 200))["data"]
    assert [a["integration"] for a in listed] == [
        {"id": am["id"], "name": "prom", "type": "alertmanager"}
    ]


async def test_user_created_alerts_have_no_integration(api: Harness) -> None:
    """A signed-in user's alert: ``null`` natively, absent on /v2 (both SDKs accept that)."""
    headers, _, _ = await signed_in_org(api)
    response = await api.client.post("/api/v1/alerts", json={"message": "m"}, headers=headers)
    alert_id = (await body_of(response, 202))["alert_id"]
    response = await api.client.get(f"/api/v1/alerts/{alert_id}", headers=headers)
    assert (await body_of(response, 200))["data"]["integration"] is None
    response = await api.client.get(f"/v2/alerts/{alert_id}", headers=headers)
    assert "integration" not in (await body_of(response, 200))["data"]
