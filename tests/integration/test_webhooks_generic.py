"""The generic JSON webhook end to end on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

MAPPING = {
    "items": "events",
    "message": "title",
    "alias": "id",
    "status": "state",
    "resolved_values": ["ok"],
    "tags": "labels",
    "priority": "sev",
}


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


async def _generic(api: Harness) -> dict[str, Any]:
    response = await api.post(
        "/api/v1/integrations", json={"name": "nagios", "type": "generic", "mapping": MAPPING}
    )
    assert response.status_code == 201, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def test_generic_payload_creates_then_resolves_by_mapping(api: Harness) -> None:
    """Mapped items create alerts; a later 'ok' state closes the alert with that alias;
    a malformed item is reported by index and the JSON path of the field the mapping
    reads (``events[1].title``) while the others are kept."""
    key = (await _generic(api))["key"]
    body = {
        "events": [
            {"title": "disk full", "id": "d1", "labels": ["db"], "sev": "P2"},
            {"id": "no-title"},
        ]
    }
    response = await api.client.post(f"/v1/webhooks/generic/{key}", json=body)
    assert response.status_code == 202
    results = (await response.get_json())["results"]
    assert [r["result"] for r in results] == ["created", "rejected"]
    assert {k: v for k, v in results[1].items() if k != "request_id"} == {
        "index": 1,
        "result": "rejected",
        "code": "invalid_item",
        "field": "events[1].title",
        "message": "the alert has no message",
    }
    alert = (await (await api.get("/api/v1/alerts/d1?identifierType=alias")).get_json())["data"]
    assert (alert["message"], alert["priority"], alert["tags"]) == ("disk full", "P2", ["db"])
    response = await api.client.post(
        f"/v1/webhooks/generic/{key}", json={"events": [{"id": "d1", "state": "ok"}]}
    )
    assert response.status_code == 202
    alert = (await (await api.get("/api/v1/alerts/d1?identifierType=alias")).get_json())["data"]
    assert alert["status"] == "closed"


async def test_generic_bad_input_and_foreign_keys(api: Harness) -> None:
    """Bad JSON is 400, a payload without the items path 400, an unknown key 401, another
    type's key 403, and another organization's alerts are untouched."""
    key = (await _generic(api))["key"]
    bad = await api.client.post(
        f"/v1/webhooks/generic/{key}", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400
    missing = await api.client.post(f"/v1/webhooks/generic/{key}", json={"other": 1})
    assert missing.status_code == 400
    assert (await api.client.post("/v1/webhooks/generic/wrong", json={})).status_code == 401
    am = await api.post("/api/v1/integrations", json={"name": "am", "type": "alertmanager"})
    am_key = (await am.get_json())["data"]["key"]
    wrong_type = await api.client.post(f"/v1/webhooks/generic/{am_key}", json={"events": []})
    assert wrong_type.status_code == 403
    other = await api.new_org()
    await api.client.post(
        f"/v1/webhooks/generic/{key}", json={"events": [{"title": "t", "id": "x"}]}
    )
    listed = await (await api.get("/api/v1/alerts", org=other)).get_json()
    assert listed["data"] == []
