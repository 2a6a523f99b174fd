"""The /api/v1/alerts REST API end to end over a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from structlog.testing import capture_logs

from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


async def create(api: Harness, **body: object) -> dict:
    response = await api.post("/api/v1/alerts", json={"message": "disk full", **body})
    assert response.status_code == 202, await response.get_data()
    return await response.get_json()


async def test_create_then_get_by_id_tiny_and_alias(api: Harness) -> None:
    """A created alert is readable by id, tiny id and alias with Opsgenie field names."""
    created = await create(api, alias="db-1", priority="P1", tags=["a", "b"], details={"k": "v"})
    assert created["result"] == "created"
    for ident, kind in (
        (created["alert_id"], "id"),
        (created["tiny_id"], "tiny"),
        ("db-1", "alias"),
    ):
        response = await api.get(f"/api/v1/alerts/{ident}?identifierType={kind}")
        assert response.status_code == 200
        data = (await response.get_json())["data"]
        assert created["alert_id"] == data["id"]
    assert data["priority"] == "P1"
    assert data["tags"] == ["a", "b"]
    assert data["details"] == {"k": "v"}
    assert data["status"] == "open"


async def test_same_alias_deduplicates_and_counts(api: Harness) -> None:
    """A second create with an open alert's alias raises its count instead of a new alert."""
    first = await create(api, alias="x")
    second = await create(api, alias="x")
    assert second["result"] == "deduplicated"
    assert first["alert_id"] == second["alert_id"]
    assert second["count"] == 2


async def test_lifecycle_actions_and_history(api: Harness) -> None:
    """Ack, note, tags, priority and close change the alert; history lists each event."""
    alert_id = (await create(api))["alert_id"]
    base = f"/api/v1/alerts/{alert_id}"
    assert (await api.post(f"{base}/acknowledge", json={"user": "bob"})).status_code == 200
    assert (await api.post(f"{base}/notes", json={"note": "looking"})).status_code == 200
    assert (await api.post(f"{base}/tags", json={"tags": ["t1"]})).status_code == 200
    response = await api.client.put(
        f"{base}/priority", json={"priority": "P2"}, headers=api.org.headers
    )
    assert response.status_code == 200
    response = await api.post(f"{base}/close", json={"user": "bob", "note": "fixed"})
    data = (await response.get_json())["data"]
    assert (
        data["status"],
        data["acknowledged"],
        data["priority"],
        data["tags"],
    ) == ("closed", True, "P2", ["t1"])
    assert data["report"]["closedBy"] == "bob"
    history = (await (await api.get(f"{base}/history")).get_json())["data"]
    types = [h["type"] for h in history]
    assert types == [
        "AlertCreated",
        "AlertAcknowledged",
        "AlertNoteAdded",
        "AlertTagsAdded",
        "AlertPriorityUpdated",
        "AlertClosed",
        "AlertNoteAdded",
    ]
    assert all(h["actor"]["kind"] == "api_key" for h in history)


async def test_another_orgs_alert_is_404_everywhere(api: Harness) -> None:
    """Org B cannot read, act on, or see the history of org A's alert: always 404."""
    alert_id = (await create(api, alias="secret"))["alert_id"]
    other = await api.new_org()
    for path in (
        f"/api/v1/alerts/{alert_id}",
        f"/api/v1/alerts/{alert_id}/history",
        "/api/v1/alerts/secret?identifierType=alias",
    ):
        response = await api.get(path, org=other)
        assert response.status_code == 404
        assert "disk full" not in (await response.get_data(as_text=True))
    response = await api.post(f"/api/v1/alerts/{alert_id}/close", json={}, org=other)
    assert response.status_code == 404
    listed = await (await api.get("/api/v1/alerts", org=other)).get_json()
    assert listed["data"] == []
    still = (await (await api.get(f"/api/v1/alerts/{alert_id}")).get_json())["data"]
    assert still["status"] == "open"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"{not json", 400, "invalid_json", None),
        (b"", 400, "invalid_json", None),
        (b'{"message": 5}', 422, "invalid_field", "message"),
        (b'{"alias": "a"}', 422, "invalid_field", None),
        (b'{"message": "m", "tags": "x"}', 422, "invalid_field", "tags"),
        (b'{"message": "m", "priority": "P9"}', 422, "invalid_field", "priority"),
        (b'{"message": "' + b"x" * 131 + b'"}', 422, "invalid_field", "message"),
        (b'{"message": "m", "details": {"a": 1}}', 422, "invalid_field", "details"),
    ],
)
async def test_bad_create_bodies_are_clear_4xx(
    api: Harness, body: bytes, status: int, code: str, field: str | None
) -> None:
    """Malformed JSON is 400, wrong types and values 422 naming the field; nothing is written."""
    version = await api.services.store.stream_version(api.org.org_id)
    response = await api.client.post(
        "/api/v1/alerts", data=body, headers={**api.org.headers, "Content-Type": "application/json"}
    )
    payload = await response.get_json()
    assert status == response.status_code
    assert code == payload["code"]
    assert payload["request_id"]
    if field is not None:
        assert field == payload.get("field")
    assert version == await api.services.store.stream_version(api.org.org_id)


async def test_unknown_fields_are_ignored(api: Harness) -> None:
    """Fields Pulsar does not know are ignored, as Opsgenie clients expect."""
    created = await create(api, somethingNew={"x": 1})
    assert created["result"] == "created"


async def test_body_over_limit_is_413(api: Harness) -> None:
    """A body over PULSAR_MAX_BODY_BYTES (256 KiB) is refused with 413 in the error shape."""
    response = await api.post("/api/v1/alerts", json={"message": "m", "description": "x" * 300_000})
    assert response.status_code == 413
    assert (await response.get_json())["code"] == "payload_too_large"


async def test_missing_or_wrong_key_is_401(api: Harness) -> None:
    """No key or an unknown key is 401 in the error shape."""
    response = await api.client.post("/api/v1/alerts", json={"message": "m"})
    assert response.status_code == 401
    response = await api.client.get("/api/v1/alerts", headers={"Authorization": "GenieKey nope"})
    assert response.status_code == 401
    assert (await response.get_json())["code"] == "unauthorized"


async def test_bearer_scheme_is_accepted(api: Harness) -> None:
    """``Authorization: Bearer <key>`` works like GenieKey."""
    response = await api.client.get(
        "/api/v1/alerts", headers={"Authorization": f"Bearer {api.org.api_key}"}
    )
    assert response.status_code == 200


async def test_idempotency_key_replays_original_result(api: Harness) -> None:
    """A retried create with the same Idempotency-Key returns the first result, writes nothing."""
    headers = {"Idempotency-Key": "req-1"}
    first = await api.post("/api/v1/alerts", json={"message": "m"}, headers=headers)
    version = await api.services.store.stream_version(api.org.org_id)
    second = await api.post("/api/v1/alerts", json={"message": "m"}, headers=headers)
    assert (await first.get_json())["alert_id"] == (await second.get_json())["alert_id"]
    assert version == await api.services.store.stream_version(api.org.org_id)
    third = await api.post("/api/v1/alerts", json={"message": "other"}, headers=headers)
    assert third.status_code == 409
    assert (await third.get_json())["code"] == "idempotency_key_reused"


async def test_invalid_transitions_are_4xx_idempotent_ones_are_not(api: Harness) -> None:
    """Acking twice is fine (Opsgenie); acting on a closed alert is 409; unknown alert 404."""
    alert_id = (await create(api))["alert_id"]
    base = f"/api/v1/alerts/{alert_id}"
    assert (await api.post(f"{base}/acknowledge", json={})).status_code == 200
    assert (await api.post(f"{base}/acknowledge", json={})).status_code == 200
    assert (await api.post(f"{base}/close", json={})).status_code == 200
    response = await api.post(f"{base}/snooze", json={"endTime": "2999-01-01T00:00:00Z"})
    assert response.status_code == 409
    assert (await response.get_json())["code"] == "alert_closed"
    response = await api.post("/api/v1/alerts/nope/acknowledge", json={})
    assert response.status_code == 404
    response = await api.post(f"{base}/snooze", json={"endTime": "soon"})
    assert response.status_code == 422
    assert (await response.get_json())["field"] == "endTime"


async def test_list_filters_sort_and_cursor_pagination(api: Harness) -> None:
    """The list filters by status/priority/tag/text and pages by cursor without repeats."""
    ids = [
        (
            await create(
                api,
                message=f"m{i}",
                priority="P1" if i % 2 else "P3",
                tags=["even"] if i % 2 == 0 else [],
            )
        )["alert_id"]
        for i in range(7)
    ]
    page = await (await api.get("/api/v1/alerts?limit=3&sort=tinyId&order=asc")).get_json()
    seen = [a["id"] for a in page["data"]]
    while page["next_cursor"]:
        page = await (
            await api.get(
                f"/api/v1/alerts?limit=3&sort=tinyId&order=asc&cursor={page['next_cursor']}"
            )
        ).get_json()
        seen += [a["id"] for a in page["data"]]
    assert ids == seen
    p1 = await (await api.get("/api/v1/alerts?priority=P1")).get_json()
    assert len(p1["data"]) == 3
    tagged = await (await api.get("/api/v1/alerts?tag=even")).get_json()
    assert len(tagged["data"]) == 4
    text = await (await api.get("/api/v1/alerts?query=M6")).get_json()
    assert [a["message"] for a in text["data"]] == ["m6"]
    bad = await api.get("/api/v1/alerts?limit=abc")
    assert bad.status_code == 422


async def test_batch_create_is_one_request_many_alerts(api: Harness) -> None:
    """POST /alerts/batch creates each alert and reports per-item results in order."""
    body = [{"message": f"b{i}", "alias": f"a{i % 3}"} for i in range(10)] + [{"message": ""}]
    response = await api.post("/api/v1/alerts/batch", json=body)
    assert response.status_code == 202
    results = (await response.get_json())["results"]
    assert [r["result"] for r in results] == ["created"] * 3 + ["deduplicated"] * 7 + ["rejected"]
    assert [r["index"] for r in results] == list(range(11))
    assert results[-1]["field"] == "message"
    listed = await (await api.get("/api/v1/alerts?limit=100")).get_json()
    assert len(listed["data"]) == 3


async def test_a_malformed_batch_item_is_reported_and_the_others_are_created(
    api: Harness,
) -> None:
    """An item that is not an alert (wrong type, not an object) is rejected by index and
    field; the valid items of the same batch are created."""
    body = [{"message": "ok-1"}, {"message": 42}, "not an alert", {"message": "ok-2", "tags": 7}]
    body.append({"message": "ok-3", "alias": "third"})
    response = await api.post("/api/v1/alerts/batch", json=body)
    assert response.status_code == 202
    results = (await response.get_json())["results"]
    assert [(r["index"], r["result"]) for r in results] == [
        (0, "created"),
        (1, "rejected"),
        (2, "rejected"),
        (3, "rejected"),
        (4, "created"),
    ]
    assert results[1]["code"] == "invalid_field"
    assert results[1]["field"] == "message"
    assert "str" in results[1]["message"]
    assert results[3]["field"] == "tags"
    listed = await (await api.get("/api/v1/alerts?limit=100")).get_json()
    assert sorted(a["message"] for a in listed["data"]) == ["ok-1", "ok-3"]


async def test_a_batch_of_only_bad_items_is_422_and_creates_nothing(api: Harness) -> None:
    response = await api.post("/api/v1/alerts/batch", json=[{"message": ""}, {"priority": "P1"}])
    assert response.status_code == 422
    results = (await response.get_json())["results"]
    assert [r["result"] for r in results] == ["rejected", "rejected"]
    assert results[1]["field"] == "message"  # missing
    listed = await (await api.get("/api/v1/alerts?limit=100")).get_json()
    assert listed["data"] == []


async def test_delete_then_404(api: Harness) -> None:
    """A deleted alert is gone: GET answers 404."""
    alert_id = (await create(api))["alert_id"]
    response = await api.client.delete(f"/api/v1/alerts/{alert_id}", headers=api.org.headers)
    assert response.status_code == 200
    assert (await api.get(f"/api/v1/alerts/{alert_id}")).status_code == 404


async def test_remove_tags_and_details_by_query(api: Harness) -> None:
    """DELETE .../tags?tags=a,b and .../details?keys=k remove them; missing list is 422."""
    alert_id = (await create(api, tags=["a", "b", "c"], details={"k": "v", "j": "w"}))["alert_id"]
    base = f"/api/v1/alerts/{alert_id}"
    response = await api.client.delete(f"{base}/tags?tags=a,b", headers=api.org.headers)
    assert (await response.get_json())["data"]["tags"] == ["c"]
    response = await api.client.delete(f"{base}/details?keys=k", headers=api.org.headers)
    assert (await response.get_json())["data"]["details"] == {"j": "w"}
    response = await api.client.delete(f"{base}/tags", headers=api.org.headers)
    assert response.status_code == 422


async def test_health_and_ready(api: Harness) -> None:
    """/healthz and /readyz answer 200 with a database."""
    assert (await api.client.get("/healthz")).status_code == 200
    assert (await api.client.get("/readyz")).status_code == 200


async def test_one_canonical_log_line_per_request_without_secrets(api: Harness) -> None:
    """Each request logs one 'request' line with method, path, status, org and request id;
    the API key never appears in logs."""
    with capture_logs() as logs:
        response = await api.post("/api/v1/alerts", json={"message": "m"})
    lines = [entry for entry in logs if entry["event"] == "request"]
    assert len(lines) == 1
    line = lines[0]
    assert (line["method"], line["path"], line["status"], line["org_id"]) == (
        "POST",
        "/api/v1/alerts",
        202,
        api.org.org_id,
    )
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert api.org.api_key not in repr(logs)
