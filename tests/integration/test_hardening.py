"""Hardening of the whole API: rate limits, sign-in throttling, headers, CORS, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with (
        fresh_database() as dsn,
        open_harness(
            dsn,
            cookie_secure=False,
            rate_limit_key=30,
            rate_limit_ip=1000,
            cors_origins=("https://ops.example.com",),
        ) as harness,
    ):
        yield harness


async def register(api: Harness, email: str = "ada@example.com") -> dict[str, Any]:
    response = await api.client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Ada", "organization": "Acme"},
    )
    assert response.status_code == 201, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    return body


async def test_an_api_key_over_its_budget_gets_429_with_retry_after(api: Harness) -> None:
    statuses = [(await api.get("/api/v1/alerts")).status_code for _ in range(30)]
    assert statuses == [200] * 30
    over = await api.get("/api/v1/alerts")
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) >= 1
    body = await over.get_json()
    assert body["code"] == "rate_limited"
    # another organization's key has its own budget
    other = await api.new_org()
    assert (await api.get("/api/v1/alerts", org=other)).status_code == 200


async def test_the_opsgenie_api_answers_429_in_its_own_shape(api: Harness) -> None:
    for _ in range(30):
        await api.get("/v2/alerts")
    over = await api.get("/v2/alerts")
    assert over.status_code == 429
    body = await over.get_json()
    assert body["requestId"]
    assert "Retry-After" in over.headers


async def test_failed_sign_ins_back_off_per_account(api: Harness) -> None:
    await register(api)
    wrong = {"email": "ada@example.com", "password": "not the password"}
    for _ in range(5):
        assert (await api.client.post("/api/v1/auth/login", json=wrong)).status_code == 401
    locked = await api.client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert (await locked.get_json())["code"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) >= 1
    # an unknown email is throttled the same way: no hint that it does not exist
    ghost = {"email": "ghost@example.com", "password": "not the password"}
    for _ in range(5):
        assert (await api.client.post("/api/v1/auth/login", json=ghost)).status_code == 401
    assert (await api.client.post("/api/v1/auth/login", json=ghost)).status_code == 429


async def test_security_headers_on_every_response(api: Harness) -> None:
    for response in (
        await api.get("/api/v1/alerts"),
        await api.client.get("/api/v1/alerts"),  # 401
        await api.client.get("/healthz"),
        await api.client.get("/no/such/route"),
    ):
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


async def test_cors_only_for_configured_origins(api: Harness) -> None:
    allowed = await api.client.get(
        "/api/v1/alerts", headers={**api.org.headers, "Origin": "https://ops.example.com"}
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ops.example.com"
    other = await api.client.get(
        "/api/v1/alerts", headers={**api.org.headers, "Origin": "https://evil.example.com"}
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = await api.client.options(
        "/api/v1/alerts",
        headers={
            "Origin": "https://ops.example.com",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


async def test_audit_lists_who_did_what_newest_first_without_secrets(api: Harness) -> None:
    created = await api.post(
        "/api/v1/alerts", json={"message": "disk full"}, headers={"User-Agent": "probe/1.0"}
    )
    alert_id = (await created.get_json())["alert_id"]
    await api.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={})
    page = await api.get("/api/v1/audit?limit=2")
    assert page.status_code == 200
    body = await page.get_json()
    types = [item["type"] for item in body["data"]]
    assert types == ["AlertAcknowledged", "AlertCreated"]
    created_entry = body["data"][1]
    assert created_entry["actor"]["kind"] == "api_key"
    assert created_entry["actor"]["user_agent"] == "probe/1.0"
    assert created_entry["request_id"]
    # follow the cursor to the organization's first events; key hashes are redacted
    rest = await (await api.get(f"/api/v1/audit?cursor={body['next_cursor']}")).get_json()
    assert rest["data"][-1]["type"] == "OrganizationCreated"
    key_event = next(e for e in rest["data"] if e["type"] == "ApiKeyCreated")
    assert key_event["event"]["key_hash"] == "[redacted]"
    assert rest["next_cursor"] is None
    # filters
    only = await (await api.get(f"/api/v1/audit?entity={alert_id}&type=AlertCreated")).get_json()
    assert [e["type"] for e in only["data"]] == ["AlertCreated"]
    bad = await api.get("/api/v1/audit?since=yesterday")
    assert bad.status_code == 422
    assert (await bad.get_json())["field"] == "since"


async def test_audit_is_for_admins_and_only_of_their_organization(api: Harness) -> None:
    body = await register(api, "eve@example.com")
    token = {"Authorization": f"Bearer {body['access_token']}"}
    own = await (await api.client.get("/api/v1/audit", headers=token)).get_json()
    # the new organization's log holds only its own creation, not the harness org's alerts
    assert {e["type"] for e in own["data"]} == {"OrganizationCreated", "MemberAdded"}
