"""Integrations CRUD and webhook ingestion end to end over a real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


async def integration(api: Harness, kind: str, **body: object) -> dict[str, Any]:
    response = await api.post("/api/v1/integrations", json={"name": kind, "type": kind, **body})
    assert response.status_code == 201, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def alert(api: Harness, alias: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/alerts/{alias}?identifierType=alias")
    assert response.status_code == 200, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def test_integration_crud_and_key_shown_once(api: Harness) -> None:
    """Create answers the key and URL once; get/list never show it; update, delete work."""
    created = await integration(api, "alertmanager", team="ops")
    assert created["url"] == f"/v1/webhooks/alertmanager/{created['key']}"
    assert (created["type"], created["team"], created["enabled"]) == ("alertmanager", "ops", True)
    listed = (await (await api.get("/api/v1/integrations")).get_json())["data"]
    assert [created["id"]] == [i["id"] for i in listed]
    assert "key" not in listed[0]
    response = await api.client.patch(
        f"/api/v1/integrations/{created['id']}",
        json={"priorityLabel": "level"},
        headers=api.org.headers,
    )
    assert (await response.get_json())["data"]["priorityLabel"] == "level"
    response = await api.client.delete(
        f"/api/v1/integrations/{created['id']}", headers=api.org.headers
    )
    assert response.status_code == 200
    assert (await api.get(f"/api/v1/integrations/{created['id']}")).status_code == 404
    response = await api.client.post(created["url"], json=payload("alertmanager_firing.json"))
    assert response.status_code == 401


async def test_invalid_integration_type_is_422(api: Harness) -> None:
    """Only the known integration types can be created."""
    response = await api.post("/api/v1/integrations", json={"name": "n", "type": "nagios"})
    assert (response.status_code, (await response.get_json())["field"]) == (422, "type")


async def test_alertmanager_firing_creates_one_alert_per_alert(api: Harness) -> None:
    """Each firing alert becomes an alert: fingerprint alias, summary, label tags, priority."""
    am = await integration(api, "alertmanager", team="ops")
    response = await api.client.post(am["url"], json=payload("alertmanager_firing.json"))
    assert response.status_code == 202
    results = (await response.get_json())["results"]
    assert [(r["result"], r["alias"]) for r in results] == [
        ("created", "422449101b673b62"),
        ("created", "5a0d2c7b1e4f9a13"),
    ]
    first = await alert(api, "422449101b673b62")
    assert (first["message"], first["priority"], first["source"]) == (
        "Disk is full",
        "P1",
        "Alertmanager",
    )
    assert "severity:critical" in first["tags"]
    assert first["details"]["runbook_url"] == "https://rb"
    assert first["entity"] == "db1:9100"
    assert {"type": "team", "id": "ops"} in first["responders"]
    assert (await alert(api, "5a0d2c7b1e4f9a13"))["priority"] == "P3"


async def test_alertmanager_duplicate_dedups_and_resolved_closes(api: Harness) -> None:
    """A repeated firing counts up; resolved closes; a second resolve is a no-op."""
    url = (await integration(api, "alertmanager"))["url"]
    await api.client.post(url, json=payload("alertmanager_firing.json"))
    response = await api.client.post(url, json=payload("alertmanager_firing.json"))
    assert (await response.get_json())["results"][0]["result"] == "deduplicated"
    assert (await alert(api, "422449101b673b62"))["count"] == 2
    response = await api.client.post(url, json=payload("alertmanager_resolved.json"))
    assert (response.status_code, (await response.get_json())["results"][0]["result"]) == (
        202,
        "updated",
    )
    assert (await alert(api, "422449101b673b62"))["status"] == "closed"
    response = await api.client.post(url, json=payload("alertmanager_resolved.json"))
    assert (await response.get_json())["results"][0]["result"] == "noop"


async def test_alertmanager_resolved_before_firing_is_a_no_op(api: Harness) -> None:
    """Out of order: a resolve for an unknown alert is accepted and changes nothing."""
    url = (await integration(api, "alertmanager"))["url"]
    response = await api.client.post(url, json=payload("alertmanager_resolved.json"))
    assert (response.status_code, (await response.get_json())["results"][0]["result"]) == (
        202,
        "noop",
    )
    missing = await api.get("/api/v1/alerts/422449101b673b62?identifierType=alias")
    assert missing.status_code == 404


async def test_alertmanager_malformed_item_is_reported_and_valid_ones_kept(api: Harness) -> None:
    """A bad item is rejected by index; the valid item in the same payload is created."""
    url = (await integration(api, "alertmanager"))["url"]
    response = await api.client.post(url, json=payload("alertmanager_malformed_item.json"))
    assert response.status_code == 202
    results = (await response.get_json())["results"]
    assert [r["result"] for r in results] == ["created", "rejected", "rejected"]
    assert [r["index"] for r in results if r["result"] == "rejected"] == [1, 2]
    assert (await alert(api, "aaaa000000000001"))["priority"] == "P2"


async def test_malformed_payloads_are_400_and_all_bad_items_422(api: Harness) -> None:
    """Not JSON, or no alerts list, is 400; a payload of only bad items is 422."""
    url = (await integration(api, "alertmanager"))["url"]
    response = await api.client.post(url, data=b"{not json", headers={"Content-Type": "x"})
    assert (response.status_code, (await response.get_json())["code"]) == (400, "invalid_payload")
    response = await api.client.post(url, json={"alerts": "nope"})
    assert response.status_code == 400
    response = await api.client.post(url, json={"alerts": [{"status": "firing"}]})
    assert response.status_code == 422


async def test_keys_in_header_and_query_and_auth_errors(api: Harness) -> None:
    """Bearer header and ?apiKey= work; unknown key 401; disabled 403; wrong type 403."""
    am = await integration(api, "alertmanager")
    body = payload("alertmanager_firing.json")
    bearer = {"Authorization": f"Bearer {am['key']}"}
    response = await api.client.post("/v1/webhooks/alertmanager", json=body, headers=bearer)
    assert response.status_code == 202
    query = f"/v1/webhooks/alertmanager?apiKey={am['key']}"
    assert (await api.client.post(query, json=body)).status_code == 202
    response = await api.client.post("/v1/webhooks/alertmanager/nope", json=body)
    assert (response.status_code, (await response.get_json())["code"]) == (401, "unauthorized")
    assert (await api.post(f"/api/v1/integrations/{am['id']}/disable")).status_code == 200
    response = await api.client.post(am["url"], json=body)
    assert (response.status_code, (await response.get_json())["code"]) == (
        403,
        "integration_disabled",
    )
    assert (await api.post(f"/api/v1/integrations/{am['id']}/enable")).status_code == 200
    assert (await api.client.post(am["url"], json=body)).status_code == 202
    other = await integration(api, "grafana")
    response = await api.client.post(f"/v1/webhooks/alertmanager/{other['key']}", json=body)
    assert (response.status_code, (await response.get_json())["code"]) == (
        403,
        "integration_type_mismatch",
    )


async def test_batch_is_one_group_commit(api: Harness) -> None:
    """Many alerts in one payload are appended in one batch (one actor batch)."""
    url = (await integration(api, "alertmanager"))["url"]
    body = payload("alertmanager_firing.json")
    item = body["alerts"][0]
    body["alerts"] = [
        {**item, "fingerprint": f"fp{i:04d}", "labels": {**item["labels"], "i": str(i)}}
        for i in range(200)
    ]
    actor = await api.services.supervisor.actor(api.org.org_id)
    before = actor.statistics()
    response = await api.client.post(url, json=body)
    assert response.status_code == 202
    after = actor.statistics()
    assert (after.batches - before.batches, after.version - before.version) == (1, 200)


async def test_pagerduty_trigger_acknowledge_resolve(api: Harness) -> None:
    """Trigger creates (202 PagerDuty shape), ack acknowledges, resolve closes; bad is 400."""
    pd = await integration(api, "pagerduty")
    event = {**payload("pagerduty_trigger.json"), "routing_key": pd["key"]}
    response = await api.client.post("/v2/enqueue", json=event)
    body = await response.get_json()
    assert (response.status_code, body["status"], body["message"], body["dedup_key"]) == (
        202,
        "success",
        "Event processed",
        "bc835db4c9d1e0f2",
    )
    data = await alert(api, "bc835db4c9d1e0f2")
    assert (data["priority"], data["details"]["load avg"]) == ("P1", "0.75")
    assert "class:disk" in data["tags"]
    again = await api.client.post("/v2/enqueue", json=event)
    assert (await again.get_json())["result"] == "deduplicated"
    for action, field, value in (
        ("acknowledge", "acknowledged", True),
        ("resolve", "status", "closed"),
    ):
        response = await api.client.post(
            "/v2/enqueue", json={**event, "event_action": action, "payload": None}
        )
        assert response.status_code == 202
        assert (await alert(api, "bc835db4c9d1e0f2"))[field] == value
    response = await api.client.post("/v2/enqueue", json={**event, "event_action": "explode"})
    assert (response.status_code, (await response.get_json())["status"]) == (400, "invalid event")
    response = await api.client.post("/v2/enqueue", data=b"{", headers={"Content-Type": "x"})
    assert response.status_code == 400
    response = await api.client.post("/v2/enqueue", json={**event, "routing_key": "nope"})
    assert response.status_code == 401


async def test_pagerduty_trigger_without_dedup_key_gets_one(api: Harness) -> None:
    """A trigger without dedup_key gets a generated one, answered and usable as alias."""
    pd = await integration(api, "pagerduty")
    event = {**payload("pagerduty_trigger.json"), "routing_key": pd["key"], "dedup_key": ""}
    response = await api.client.post("/v2/enqueue", json=event)
    key = (await response.get_json())["dedup_key"]
    assert (await alert(api, key))["status"] == "open"
    response = await api.client.post(
        "/v2/enqueue", json={"routing_key": pd["key"], "event_action": "resolve"}
    )
    assert response.status_code == 400


async def test_grafana_firing_then_resolved(api: Harness) -> None:
    """Grafana's webhook: firing creates with fingerprint alias, resolved closes (PUT too)."""
    grafana = await integration(api, "grafana", team="infra")
    url = f"/v1/webhooks/grafana/{grafana['key']}"
    response = await api.client.post(url, json=payload("grafana_firing.json"))
    assert response.status_code == 202
    data = await alert(api, "6a1f0c2d3e4b5a69")
    assert (data["message"], data["priority"], data["source"]) == ("CPU above 90%", "P3", "Grafana")
    assert {"type": "team", "id": "infra"} in data["responders"]
    response = await api.client.put(url, json=payload("grafana_resolved.json"))
    assert response.status_code == 202
    assert (await alert(api, "6a1f0c2d3e4b5a69"))["status"] == "closed"


async def test_grafana_duplicate_out_of_order_and_malformed(api: Harness) -> None:
    """Grafana: a repeat counts up, a resolve before any firing changes nothing, a malformed
    item is reported by index while the valid one in the same payload is kept."""
    grafana = await integration(api, "grafana")
    url = f"/v1/webhooks/grafana/{grafana['key']}"
    early = await api.client.post(url, json=payload("grafana_resolved.json"))
    assert early.status_code == 202
    assert (
        await api.get("/api/v1/alerts/6a1f0c2d3e4b5a69?identifierType=alias")
    ).status_code == 404
    for _ in range(2):
        assert (await api.client.post(url, json=payload("grafana_firing.json"))).status_code == 202
    assert (await alert(api, "6a1f0c2d3e4b5a69"))["count"] == 2
    mixed = payload("grafana_firing.json")
    mixed["alerts"].append({"status": "firing", "labels": "not-an-object"})
    response = await api.client.post(url, json=mixed)
    results = (await response.get_json())["results"]
    assert response.status_code == 202
    assert results[0]["result"] == "deduplicated"
    assert results[1]["result"] == "rejected"
    assert results[1]["index"] == 1


async def test_pagerduty_resolve_before_trigger_then_trigger_opens(api: Harness) -> None:
    """PagerDuty: a resolve for an unknown dedup_key is accepted and changes nothing; the
    later trigger opens the alert."""
    pd = await integration(api, "pagerduty")
    event = {**payload("pagerduty_trigger.json"), "routing_key": pd["key"]}
    resolve = {"routing_key": pd["key"], "event_action": "resolve", "dedup_key": "late-1"}
    response = await api.client.post("/v2/enqueue", json=resolve)
    assert response.status_code == 202
    assert (await api.get("/api/v1/alerts/late-1?identifierType=alias")).status_code == 404
    response = await api.client.post("/v2/enqueue", json={**event, "dedup_key": "late-1"})
    assert response.status_code == 202
    assert (await alert(api, "late-1"))["status"] == "open"


async def test_integration_create_retry_with_idempotency_key(api: Harness) -> None:
    """A retried create with the same Idempotency-Key names the same integration and says
    the key was shown once; the first key keeps working."""
    headers = {"Idempotency-Key": "int-1"}
    body = {"name": "am", "type": "alertmanager"}
    first = await api.post("/api/v1/integrations", json=body, headers=headers)
    again = await api.post("/api/v1/integrations", json=body, headers=headers)
    created, replayed = (await first.get_json()), (await again.get_json())
    assert (first.status_code, again.status_code) == (201, 200)
    assert replayed["data"]["id"] == created["data"]["id"]
    assert replayed["data"]["key"] is None
    listed = (await (await api.get("/api/v1/integrations")).get_json())["data"]
    assert len(listed) == 1
    url = f"/v1/webhooks/alertmanager/{created['data']['key']}"
    response = await api.client.post(url, json=payload("alertmanager_firing.json"))
    assert response.status_code == 202


async def test_integration_writes_need_a_key_before_anything_else(api: Harness) -> None:
    """Without a key every integration write is 401, even with a bad body."""
    for method, path in (
        ("post", "/api/v1/integrations"),
        ("patch", "/api/v1/integrations/x"),
        ("post", "/api/v1/integrations/x/disable"),
        ("delete", "/api/v1/integrations/x"),
    ):
        response = await getattr(api.client, method)(path, data=b"{bad")
        assert (path, response.status_code) == (path, 401)


async def test_another_orgs_integrations_are_out_of_reach(api: Harness) -> None:
    """Org B cannot list, read, change, disable or delete org A's integration (404), and A's
    key keeps sending to A only."""
    created = await integration(api, "alertmanager")
    other = await api.new_org()
    listed = (await (await api.get("/api/v1/integrations", org=other)).get_json())["data"]
    assert listed == []
    base = f"/api/v1/integrations/{created['id']}"
    for method, path, body in (
        ("get", base, None),
        ("patch", base, {"name": "stolen"}),
        ("post", f"{base}/disable", {}),
        ("delete", base, None),
    ):
        headers = other.headers
        call = getattr(api.client, method)
        response = await (
            call(path, json=body, headers=headers)
            if body is not None
            else call(path, headers=headers)
        )
        assert (path, method, response.status_code) == (path, method, 404)
    mine = (await (await api.get(base)).get_json())["data"]
    assert (mine["name"], mine["enabled"]) == ("alertmanager", True)
    url = f"/v1/webhooks/alertmanager/{created['key']}"
    assert (await api.client.post(url, json=payload("alertmanager_firing.json"))).status_code == 202
    assert (await (await api.get("/api/v1/alerts", org=other)).get_json())["data"] == []
