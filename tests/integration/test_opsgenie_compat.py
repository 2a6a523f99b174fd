"""The Opsgenie-compatible /v2 API end to end over a real PostgreSQL, plus its query parser.

Wire contract: /work/shared/compat-api.md sections 1 and 4.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine import Alert, Note, Report, Responder
from tests.helpers.app import Harness, Org, open_harness
from tests.pg import fresh_database
from web.compat.opsgenie.requests import RequestStatus, RequestStore
from web.compat.opsgenie.search import QueryError, compile_query, search_alerts

pytestmark = pytest.mark.postgres

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ACCEPTED = "Request will be processed"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


async def call(
    api: Harness,
    method: str,
    path: str,
    json: Any = None,
    org: Org | None = None,
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> tuple[int, dict[str, Any]]:
    """One request; asserts the Opsgenie envelope every answer must carry."""
    hdrs = {**(org or api.org).headers, **(headers or {})}
    if json is not None:
        kw["json"] = json
    response = await api.client.open(path, method=method, headers=hdrs, **kw)
    body = await response.get_json()
    assert isinstance(body, dict), await response.get_data()
    assert isinstance(body["requestId"], str)
    assert body["requestId"]
    assert isinstance(body["took"], float)
    assert body["took"] > 0
    assert body["requestId"] == response.headers["X-Request-Id"]
    assert float(response.headers["X-Response-Time"]) > 0
    return response.status_code, body


async def write(api: Harness, method: str, path: str, json: Any = None, **kw: Any) -> str:
    """A mutation: 202 with Opsgenie's result; returns the request id."""
    status, body = await call(api, method, path, json, **kw)
    assert (status, body.get("result")) == (202, ACCEPTED), body
    return str(body["requestId"])


async def request_status(api: Harness, request_id: str, org: Org | None = None) -> dict:
    status, body = await call(api, "GET", f"/v2/alerts/requests/{request_id}", org=org)
    assert status == 200, body
    return dict(body["data"])


async def create(api: Harness, **body: Any) -> dict:
    """Create an alert; returns its request status."""
    request_id = await write(api, "POST", "/v2/alerts", {"message": "disk full", **body})
    data = await request_status(api, request_id)
    assert data["isSuccess"] is True, data
    return data


async def get(api: Harness, ident: str, kind: str = "id", org: Org | None = None) -> dict:
    status, body = await call(api, "GET", f"/v2/alerts/{ident}?identifierType={kind}", org=org)
    assert status == 200, body
    return dict(body["data"])


# -- create, request status, get -------------------------------------------------------------


async def test_create_request_status_and_alert_object(api: Harness) -> None:
    """Create answers 202; its request status names the alert; the alert has section 4.7's shape."""
    status = await create(
        api,
        alias="db-1",
        priority="P1",
        tags=["a", "b"],
        details={"k": "v"},
        description="d",
        entity="db",
        actions=["Restart"],
        note="first",
        responders=[{"type": "team", "id": "ops"}],
    )
    assert status["action"] == "Create"
    assert status["status"] == "Created alert"
    assert status["success"] is True
    assert status["alias"] == "db-1"
    assert RFC3339.match(status["processedAt"])
    alert = await get(api, status["alertId"])
    assert alert["id"] == status["alertId"]
    assert alert["tinyId"] == "1"
    assert (alert["alias"], alert["message"], alert["status"]) == ("db-1", "disk full", "open")
    assert (alert["acknowledged"], alert["snoozed"], alert["isSeen"], alert["count"]) == (
        False,
        False,
        False,
        1,
    )
    assert (alert["priority"], alert["tags"], alert["details"]) == ("P1", ["a", "b"], {"k": "v"})
    assert (alert["description"], alert["entity"], alert["actions"]) == ("d", "db", ["Restart"])
    assert alert["responders"] == [{"type": "team", "id": "ops"}]
    assert alert["integration"]["type"] == "API"
    assert alert["report"] == {}
    assert "snoozedUntil" not in alert
    for field in ("createdAt", "updatedAt", "lastOccurredAt"):
        assert RFC3339.match(alert[field]), alert[field]


async def test_repeat_create_deduplicates(api: Harness) -> None:
    """An open alert's alias counts up; the request status still succeeds with its id."""
    first = await create(api, alias="x")
    second = await create(api, alias="x")
    assert second["alertId"] == first["alertId"]
    assert (await get(api, "x", "alias"))["count"] == 2


async def test_lenient_create(api: Harness) -> None:
    """Typeless responders, bad priority, over-limit fields, nulls and unknown fields are fine."""
    status = await create(
        api,
        message="m" * 200,
        alias=None,
        priority="P9",
        tags=[" t ", "", "x" * 60, "t"],
        details={"n": 5, "b": True, "gone": None},
        responders=[{"name": "ops"}, {"username": "u@x"}, {"id": "esc", "type": "escalation"}, {}],
        visibleTo=[{"name": "ops"}],
        description="d" * 20000,
        somethingElse={"nested": [1, 2]},
        user="u" * 200,
    )
    alert = await get(api, status["alertId"])
    assert alert["message"] == "m" * 130
    assert alert["alias"] == alert["id"]
    assert alert["priority"] == "P3"
    assert alert["tags"] == ["t", "x" * 50]
    assert alert["details"] == {"n": "5", "b": "true"}
    # "ops" names no team, user, escalation or schedule: dropped (its log says so).
    assert alert["responders"] == [
        {"type": "user", "id": "u@x"},
        {"type": "escalation", "id": "esc"},
    ]
    assert len(alert["description"]) == 15000


async def test_identifier_types(api: Harness) -> None:
    """id (default), tiny, tinyId and alias reach the same alert; unknown types are 422."""
    alert_id = (await create(api, alias="my alias"))["alertId"]
    for ident, kind in ((alert_id, "id"), ("1", "tiny"), ("1", "tinyId"), ("my%20alias", "alias")):
        assert (await get(api, ident, kind))["id"] == alert_id
    status, body = await call(api, "GET", f"/v2/alerts/{alert_id}")
    assert (status, body["data"]["id"]) == (200, alert_id)
    status, body = await call(api, "GET", "/v2/alerts/1?identifierType=name")
    assert status == 422
    assert "identifierType" in body["errors"]
    request_id = await write(api, "POST", "/v2/alerts/my%20alias/acknowledge?identifierType=alias")
    assert (await request_status(api, request_id))["alertId"] == alert_id


# -- auth, prefix, errors --------------------------------------------------------------------


async def test_auth_variants(api: Harness) -> None:
    """GenieKey, Bearer, Basic (key as user or password) and ?apiKey= authenticate; else 401."""
    key = api.org.api_key
    basic_user = base64.b64encode(f"{key}:".encode()).decode()
    basic_pass = base64.b64encode(f"me:{key}".encode()).decode()
    basic_bare = base64.b64encode(key.encode()).decode()
    for header in (f"genieKey {key}", f"Bearer {key}", f"Basic {basic_user}",
                   f"basic {basic_pass}", f"Basic {basic_bare}"):  # fmt: skip
        response = await api.client.get("/v2/alerts", headers={"Authorization": header})
        assert response.status_code == 200, header
    response = await api.client.get(f"/v2/alerts/count?apiKey={key}")
    assert response.status_code == 200
    for headers in ({}, {"Authorization": "GenieKey nope"}, {"Authorization": "Basic !!"}):
        response = await api.client.get("/v2/alerts", headers=headers)
        body = await response.get_json()
        assert response.status_code == 401
        assert body["message"] == "Could not authenticate"
        assert body["requestId"]
        assert body["took"] > 0


async def test_prefix_and_trailing_slash(api: Harness) -> None:
    """Routes answer under a path prefix too, and collection paths ignore a trailing slash."""
    request_id = await write(api, "POST", "/opsgenie/v2/alerts/", {"message": "m", "alias": "p"})
    status = await request_status(api, request_id)
    _, body = await call(api, "GET", "/some/deeper/prefix/v2/alerts/p?identifierType=alias")
    assert body["data"]["id"] == status["alertId"]
    await write(api, "POST", "/opsgenie/v2/alerts/p/close?identifierType=alias")
    _, body = await call(api, "GET", "/opsgenie/v2/alerts/count/")
    assert body["data"]["count"] == 1
    assert (await get(api, "p", "alias"))["status"] == "closed"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, None),
        (b"", 400, None),
        (b'{"message": 5}', 422, "message"),
        (b'{"alias": "a"}', 422, None),
        (b'{"message": "   "}', 422, "message"),
        (b'{"message": "m", "tags": "x"}', 422, "tags"),
        (b'{"message": "m", "details": {"a": [1]}}', 422, "details"),
        (b'{"message": "m", "responders": [{"id": 5}]}', 422, "responders"),
    ],
)
async def test_bad_create_input(api: Harness, body: bytes, status: int, field: str | None) -> None:
    """Malformed JSON is 400, wrong types 422, in Opsgenie's error shape."""
    headers = {"Content-Type": "application/json"}
    got, answer = await call(api, "POST", "/v2/alerts", data=body, headers=headers)
    assert got == status, answer
    assert answer["message"]
    if field:
        assert any(key.startswith(field) for key in answer["errors"]), answer


async def test_bad_action_input_is_synchronous_422(api: Harness) -> None:
    """Bad action bodies are 422 right away (not a 202 with a failed status)."""
    alert_id = (await create(api))["alertId"]
    base = f"/v2/alerts/{alert_id}"
    cases = [
        ("POST", f"{base}/snooze", {"endTime": "tomorrow"}, "endTime"),
        ("POST", f"{base}/tags", {}, "tags"),
        ("POST", f"{base}/notes", {"note": ""}, "note"),
        ("PUT", f"{base}/priority", {"priority": "P7"}, "priority"),
        ("PUT", f"{base}/message", {"message": ""}, "message"),
        ("POST", f"{base}/assign", {"owner": {}}, "owner"),
        ("DELETE", f"{base}/tags", None, "tags"),
        ("DELETE", f"{base}/details", None, "keys"),
    ]
    for method, path, json, field in cases:
        status, body = await call(api, method, path, json)
        assert status == 422, (path, body)
        assert field in body["errors"], (path, body)
    for path in ("/v2/alerts?limit=x", "/v2/alerts?sort=nope", "/v2/alerts?order=up",
                 "/v2/alerts?offset=-1", "/v2/alerts?query=status:maybe",
                 '/v2/alerts/count?query=message:"open'):  # fmt: skip
        status, body = await call(api, "GET", path)
        assert status == 422, (path, body)


async def test_unknown_routes_and_unimplemented(api: Harness) -> None:
    """Unknown /v2/alerts paths are 404 JSON; attachments and saved searches are 501 JSON."""
    alert_id = (await create(api))["alertId"]
    status, body = await call(api, "GET", "/v2/alerts/x/nothing/here")
    assert status == 404
    assert body["message"]
    status, _ = await call(api, "POST", f"/v2/alerts/{alert_id}/frobnicate", {})
    assert status == 404
    status, _ = await call(api, "GET", f"/v2/alerts/{alert_id}/attachments")
    assert status == 501
    status, _ = await call(api, "GET", "/v2/alerts/saved-searches/x")
    assert status == 501


async def test_get_unknown_is_404_and_unknown_request_is_404(api: Harness) -> None:
    status, body = await call(api, "GET", "/v2/alerts/nope")
    assert (status, body["message"]) == (404, "Alert does not exist")
    status, body = await call(api, "GET", "/v2/alerts/requests/nope")
    assert status == 404


# -- actions ---------------------------------------------------------------------------------


async def test_every_action_changes_the_alert(api: Harness) -> None:
    """Each async action answers 202, succeeds in its request status and changes the alert."""
    alert_id = (await create(api, alias="a", tags=["keep", "drop"], details={"k": "v", "x": "y"}))[
        "alertId"
    ]
    base = f"/v2/alerts/{alert_id}"
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    steps: list[tuple[str, str, Any, str]] = [
        ("POST", "acknowledge", {"user": "bob", "note": "mine"}, "Acknowledge"),
        ("POST", "unacknowledge", None, "UnAcknowledge"),
        ("POST", "snooze", {"endTime": end}, "Snooze"),
        ("POST", "assign", {"owner": {"username": "ana"}}, "Assign"),
        ("POST", "escalate", {"escalation": {"name": "esc"}}, "Escalate"),
        (
            "POST",
            "responders",
            {"responder": {"name": "sched", "type": "schedule"}},
            "AddResponder",
        ),
        ("POST", "teams", {"team": {"name": "ops"}}, "AddTeam"),
        ("POST", "notes", {"note": "looking", "user": "ana"}, "AddNote"),
        ("POST", "tags", {"tags": ["new"]}, "AddTags"),
        ("DELETE", "tags?tags=drop&user=bob", None, "RemoveTags"),
        ("POST", "details", {"details": {"n": 1}}, "AddDetails"),
        ("DELETE", "details?keys=x", None, "RemoveDetails"),
        ("PUT", "priority", {"priority": "p1"}, "UpdatePriority"),
        ("PUT", "message", {"message": "new message"}, "UpdateMessage"),
        ("PUT", "description", {"description": "new description"}, "UpdateDescription"),
        ("POST", "actions/Restart", {"note": "now"}, "CustomAction"),
    ]
    for method, path, json, action in steps:
        request_id = await write(api, method, f"{base}/{path}", json)
        status = await request_status(api, request_id)
        assert (status["isSuccess"], status["action"], status["alertId"]) == (
            True,
            action,
            alert_id,
        ), status
        assert status["alias"] == "a"
    alert = await get(api, alert_id)
    assert alert["snoozed"] is True
    assert RFC3339.match(alert["snoozedUntil"])
    assert alert["owner"] == "ana"
    assert {"type": "escalation", "id": "esc"} in alert["responders"]
    assert {"type": "schedule", "id": "sched"} in alert["responders"]
    assert {"type": "team", "id": "ops"} in alert["responders"]
    assert alert["tags"] == ["keep", "new"]
    assert alert["details"] == {"k": "v", "n": "1"}
    assert (alert["priority"], alert["message"], alert["description"]) == (
        "P1",
        "new message",
        "new description",
    )
    assert alert["report"]["acknowledgedBy"] == "bob"
    assert isinstance(alert["report"]["ackTime"], int)
    request_id = await write(api, "POST", f"{base}/close", {"user": "carl"})
    assert (await request_status(api, request_id))["status"] == "Closed alert"
    alert = await get(api, alert_id)
    assert (alert["status"], alert["report"]["closedBy"]) == ("closed", "carl")
    await write(api, "DELETE", f"{base}?user=bob")
    status, _ = await call(api, "GET", base)
    assert status == 404


async def test_unknown_alert_action_is_202_with_failed_status(api: Harness) -> None:
    """Acting on an unknown alias still answers 202; the request status says why it failed."""
    for method, path, json in (
        ("POST", "/v2/alerts/ghost/close?identifierType=alias", None),
        ("POST", "/v2/alerts/ghost/acknowledge", {}),
        ("PUT", "/v2/alerts/99/priority?identifierType=tiny", {"priority": "P1"}),
        ("DELETE", "/v2/alerts/ghost", None),
        ("DELETE", "/v2/alerts/ghost/tags?tags=a", None),
    ):
        request_id = await write(api, method, path, json)
        status = await request_status(api, request_id)
        assert status["isSuccess"] is False
        assert status["success"] is False
        assert status["status"] == "Alert does not exist"
        assert (status["alertId"], status["alias"]) == ("", "")


async def test_action_on_closed_alert_is_202_with_failed_status(api: Harness) -> None:
    alert_id = (await create(api))["alertId"]
    await write(api, "POST", f"/v2/alerts/{alert_id}/close")
    request_id = await write(api, "POST", f"/v2/alerts/{alert_id}/acknowledge")
    status = await request_status(api, request_id)
    assert (status["isSuccess"], status["alertId"]) == (False, alert_id)


async def test_another_orgs_alert_is_unreachable(api: Harness) -> None:
    """Org B gets 404 on reads, failed request statuses on actions, and nothing in lists."""
    alert_id = (await create(api, alias="secret"))["alertId"]
    other = await api.new_org()
    for path in (
        f"/v2/alerts/{alert_id}",
        "/v2/alerts/secret?identifierType=alias",
        "/v2/alerts/1?identifierType=tiny",
        f"/v2/alerts/{alert_id}/notes",
        f"/v2/alerts/{alert_id}/logs",
        f"/v2/alerts/{alert_id}/recipients",
    ):
        status, body = await call(api, "GET", path, org=other)
        assert status == 404, path
        assert "disk full" not in str(body)
    request_id = await write(api, "POST", f"/v2/alerts/{alert_id}/close", {}, org=other)
    assert (await request_status(api, request_id, org=other))["isSuccess"] is False
    status, _ = await call(api, "GET", f"/v2/alerts/requests/{request_id}")
    assert status == 404, "a request status is visible to its organization only"
    _, listed = await call(api, "GET", "/v2/alerts", org=other)
    assert listed["data"] == []
    assert (await get(api, alert_id))["status"] == "open"


# -- reads -----------------------------------------------------------------------------------


async def test_list_query_sort_paging_and_count(api: Harness) -> None:
    """List filters by query, sorts, pages by offset with links; count agrees."""
    for i in range(5):
        await create(api, message=f"m{i}", alias=f"a{i}", priority="P1" if i % 2 else "P2")
    await write(api, "POST", "/v2/alerts/a0/acknowledge?identifierType=alias")
    await write(api, "POST", "/v2/alerts/a4/close?identifierType=alias")
    status, body = await call(api, "GET", "/v2/alerts?limit=2&sort=tinyId&order=asc")
    assert status == 200
    assert [a["alias"] for a in body["data"]] == ["a0", "a1"]
    assert "description" not in body["data"][0]
    paging = body["paging"]
    assert "prev" not in paging
    assert "offset=2" in paging["next"]
    assert paging["next"].startswith("http")
    assert "offset=4" in paging["last"]
    _, body = await call(api, "GET", paging["next"].split("localhost", 1)[-1])
    assert [a["alias"] for a in body["data"]] == ["a2", "a3"]
    assert "offset=0" in body["paging"]["prev"]
    _, body = await call(api, "GET", "/v2/alerts?offset=4&limit=2&sort=tinyId&order=asc")
    assert [a["alias"] for a in body["data"]] == ["a4"]
    assert "next" not in body["paging"]
    _, body = await call(api, "GET", "/v2/alerts")
    assert [a["alias"] for a in body["data"]] == ["a4", "a3", "a2", "a1", "a0"]
    for query, expected in (
        ("status:open", 4),
        ("status: closed", 1),
        ("acknowledged:true", 1),
        ("priority:P1", 2),
        ("priority:P1 AND status:open", 2),
        ("priority:P1 OR acknowledged:true", 3),
        ("NOT priority:P1", 3),
        ("alias:a3", 1),
        ('message:"m2"', 1),
        ("m4", 1),
        ("", 5),
    ):
        _, body = await call(api, "GET", "/v2/alerts/count", query_string={"query": query})
        assert body["data"]["count"] == expected, query
        _, listed = await call(api, "GET", "/v2/alerts", query_string={"query": query})
        assert len(listed["data"]) == expected, query


async def test_notes_logs_and_recipients(api: Harness) -> None:
    """Notes list the alert's notes; logs list its events from the log; recipients are empty."""
    alert_id = (await create(api, alias="n", note="first", user="ana"))["alertId"]
    for text in ("second", "third"):
        await write(api, "POST", "/v2/alerts/n/notes?identifierType=alias", {"note": text})
    await write(api, "POST", "/v2/alerts/n/acknowledge?identifierType=alias", {"user": "bob"})
    _, body = await call(api, "GET", f"/v2/alerts/{alert_id}/notes?order=asc")
    notes = body["data"]
    assert [n["note"] for n in notes] == ["first", "second", "third"]
    assert all(RFC3339.match(n["createdAt"]) and isinstance(n["offset"], str) for n in notes)
    _, body = await call(api, "GET", f"/v2/alerts/{alert_id}/notes?limit=2")
    assert [n["note"] for n in body["data"]] == ["third", "second"]
    cursor = body["data"][-1]["offset"]
    assert "next" in body["paging"]
    _, body = await call(api, "GET", f"/v2/alerts/{alert_id}/notes?limit=2&offset={cursor}")
    assert [n["note"] for n in body["data"]] == ["first"]
    _, body = await call(api, "GET", "/v2/alerts/n/logs?identifierType=alias&order=asc")
    logs = body["data"]
    assert next(entry["log"] for entry in logs) == "Alert created"
    assert "Alert acknowledged" in [entry["log"] for entry in logs]
    assert {entry["owner"] for entry in logs} >= {"ana", "bob"}
    assert all(RFC3339.match(entry["createdAt"]) for entry in logs)
    status, body = await call(api, "GET", f"/v2/alerts/{alert_id}/recipients")
    assert (status, body["data"]) == (200, [])


# -- pure parts: search query and request store ----------------------------------------------


def _alert(**kw: Any) -> Alert:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": "id1",
        "tiny_id": 1,
        "alias": "db-1",
        "message": "Disk full on db-1",
        "description": "",
        "status": "open",
        "acknowledged": False,
        "snoozed": False,
        "snoozed_until": None,
        "count": 1,
        "created_at": now,
        "updated_at": now,
        "last_occurred_at": now,
        "source": "prom",
        "owner": "",
        "priority": "P3",
        "tags": ("db", "prod"),
        "details": {"region": "eu"},
        "entity": "",
        "responders": (Responder(type="team", id="ops"),),
        "actions": (),
        "notes": (Note(note="n", owner="", created_at=now),),
        "report": Report(),
    }
    return Alert(**{**fields, **kw})


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("status:open", True),
        ("status=closed", False),
        ("status != closed", True),
        ("acknowledged:false", True),
        ("acknowledged: true", False),
        ("priority:p3", True),
        ("tag:db", True),
        ("tags:prod AND tag:db", True),
        ("tag:staging", False),
        ("tag:pr*", True),
        ("alias:db-1", True),
        ("alias:db", False),
        ("alias:db*", True),
        ('message:"disk full"', True),
        ("message:memory", False),
        ("disk", True),
        ("memory", False),
        ("memory OR disk", True),
        ("memory disk", False),
        ("NOT memory", True),
        ("-tag:db", False),
        ("(memory OR tag:db) AND status:open", True),
        ("teams:ops", True),
        ("details.region:eu", True),
        ("details.region:us", False),
        ("tinyId:1", True),
        ("", True),
    ],
)
def test_query_language(query: str, matches: bool) -> None:
    assert compile_query(query)(_alert()) is matches


@pytest.mark.parametrize(
    "query",
    ["status:maybe", "nofield:x", '"unterminated', "(status:open", "status:", "acknowledged:x"],
)
def test_query_errors(query: str) -> None:
    with pytest.raises(QueryError):
        compile_query(query)


def test_search_sorts_and_slices() -> None:
    alerts = [_alert(id=f"i{n}", tiny_id=n, count=10 - n) for n in range(1, 6)]
    total, page = search_alerts(alerts, compile_query(None), sort="count", order="asc", limit=2)
    assert total == 5
    assert [a.tiny_id for a in page] == [5, 4]
    total, page = search_alerts(alerts, compile_query("tinyId:3 OR tinyId:4"), offset=1)
    assert total == 2
    assert [a.tiny_id for a in page] == [3]


def test_request_store_is_bounded_by_count_and_age() -> None:
    store = RequestStore(max_per_org=2, ttl=timedelta(hours=1))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    status = RequestStatus(
        success=True,
        action="Create",
        processed_at="",
        integration_id="",
        is_success=True,
        status="Created alert",
        alert_id="a",
        alias="a",
    )
    for i in range(3):
        store.put("org", f"r{i}", status, now)
    assert store.get("org", "r0", now) is None
    assert store.get("org", "r2", now) is status
    assert store.get("other", "r2", now) is None
    assert store.get("org", "r2", now + timedelta(hours=2)) is None
