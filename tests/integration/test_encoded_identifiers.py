"""Identifiers holding an encoded ``/`` (or ``%``, ``?``) reach their alert.

Opsgenie clients percent-encode the identifier in the path (``db%2Fprimary``); the server
decodes the path, so Pulsar routes on the ASGI scope's undecoded ``raw_path``
(``web.compat.encoded_paths``). The Quart test client rebuilds ``raw_path`` from the
decoded path, so these requests put the undecoded path there themselves, as Hypercorn
does; one test goes through a real ``pulsar serve`` to show Hypercorn does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import trio

from tests.helpers.app import Harness, open_harness
from tests.helpers.server import create_org, run_server
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

PREFIXES = [pytest.param("", id="root"), pytest.param("/opsgenie", id="prefixed")]
# an alias with a slash; one with a percent sign, a question mark and a slash too
ALIASES = [pytest.param("db/primary", id="slash"), pytest.param("cpu 99%?/x", id="percent")]


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


async def send(api: Harness, method: str, target: str, json: Any = None) -> tuple[int, Any]:
    """``target`` (path and query) exactly as a client writes it on the wire."""
    raw_path = target.partition("?")[0].encode()
    body = {} if json is None else {"json": json}
    response = await api.client.open(
        target, method=method, headers=api.org.headers, scope_base={"raw_path": raw_path}, **body
    )
    return response.status_code, await response.get_json()


async def opsgenie_write(api: Harness, method: str, target: str, json: Any = None) -> dict:
    """A 202 Opsgenie write; returns its request status."""
    status, body = await send(api, method, target, json)
    assert (status, body["result"]) == (202, "Request will be processed"), body
    status, body = await send(api, "GET", f"/v2/alerts/requests/{body['requestId']}")
    assert status == 200, body
    data: dict = body["data"]
    return data


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("prefix", PREFIXES)
async def test_opsgenie_actions_by_an_encoded_alias(api: Harness, prefix: str, alias: str) -> None:
    """Get, acknowledge, add note, add tags, add details and close by an alias with ``/``
    (or ``%`` and ``?``), percent-encoded in the path, at the root and under a prefix."""
    created = await opsgenie_write(
        api, "POST", f"{prefix}/v2/alerts", {"message": "m", "alias": alias}
    )
    base = f"{prefix}/v2/alerts/{quote(alias, safe='')}"
    by_alias = "identifierType=alias"
    status, body = await send(api, "GET", f"{base}?{by_alias}")
    assert (200, created["alertId"], alias) == (status, body["data"]["id"], body["data"]["alias"])
    writes = [
        ("POST", "acknowledge", None, "Acknowledged alert"),
        ("POST", "notes", {"note": "looking"}, "Added note"),
        ("POST", "tags", {"tags": ["db"]}, "Added tags"),
        ("POST", "details", {"details": {"k": "v"}}, "Added details"),
        ("POST", "close", None, "Closed alert"),
    ]
    for method, action, json, done in writes:
        outcome = await opsgenie_write(api, method, f"{base}/{action}?{by_alias}", json)
        assert (True, done, created["alertId"]) == (
            outcome["isSuccess"],
            outcome["status"],
            outcome["alertId"],
        )
    status, body = await send(api, "GET", f"{base}?{by_alias}")
    alert = body["data"]
    assert (
        status,
        alert["status"],
        alert["acknowledged"],
        alert["tags"],
        alert["details"],
    ) == (200, "closed", True, ["db"], {"k": "v"})
    status, body = await send(api, "GET", f"{base}/notes?{by_alias}")
    assert (status, [n["note"] for n in body["data"]]) == (200, ["looking"])


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_an_unencoded_slash_is_still_an_extra_segment(api: Harness, prefix: str) -> None:
    """``db/primary`` written unencoded is two segments: no route, 404 in Opsgenie's shape,
    and nothing is acknowledged."""
    await opsgenie_write(api, "POST", "/v2/alerts", {"message": "m", "alias": "db/primary"})
    for method, target in (
        ("GET", f"{prefix}/v2/alerts/db/primary?identifierType=alias"),
        ("POST", f"{prefix}/v2/alerts/db/primary/acknowledge?identifierType=alias"),
    ):
        status, body = await send(api, method, target)
        assert (status, body["message"]) == (404, "Resource or handler not found"), target
    status, body = await send(api, "GET", "/v2/alerts/db%2Fprimary?identifierType=alias")
    assert (status, body["data"]["acknowledged"]) == (200, False)


async def test_a_merged_slash_redirect_keeps_the_encoded_identifier(api: Harness) -> None:
    """``//`` is redirected to the single-slash path (308) with ``%2F`` and ``%25`` as sent,
    not encoded twice; the redirect target reaches the alert."""
    await opsgenie_write(api, "POST", "/v2/alerts", {"message": "m", "alias": "db/x%"})
    raw_path = b"/og/v2/alerts//db%2Fx%25"
    response = await api.client.get(
        "/og/v2/alerts//db%2Fx%25?identifierType=alias",
        headers=api.org.headers,
        scope_base={"raw_path": raw_path},
    )
    location = response.headers["Location"]
    assert (
        response.status_code,
        location,
    ) == (308, "http://localhost/og/v2/alerts/db%2Fx%25?identifierType=alias")
    status, body = await send(api, "GET", location.removeprefix("http://localhost"))
    assert (status, body["data"]["alias"]) == (200, "db/x%")


async def test_native_api_by_an_encoded_alias(api: Harness) -> None:
    """/api/v1/alerts reads and acts on an alias with ``/`` the same way; unencoded is 404."""
    status, body = await send(api, "POST", "/api/v1/alerts", {"message": "m", "alias": "db/x%"})
    assert status == 202, body
    alert_id = body["alert_id"]
    status, _ = await send(api, "POST", "/api/v1/alerts/db/x%25/acknowledge?identifierType=alias")
    assert status == 404
    target = "/api/v1/alerts/db%2Fx%25"
    status, body = await send(api, "GET", f"{target}?identifierType=alias")
    assert (200, alert_id, False) == (status, body["data"]["id"], body["data"]["acknowledged"])
    status, body = await send(api, "POST", f"{target}/acknowledge?identifierType=alias")
    assert (status, body["data"]["acknowledged"]) == (200, True)
    status, body = await send(api, "GET", f"{target}/history?identifierType=alias")
    assert (
        status,
        [e["type"] for e in body["data"]][:2],
    ) == (200, ["AlertCreated", "AlertAcknowledged"])


async def test_a_real_server_routes_an_encoded_alias() -> None:
    """Through Hypercorn (``pulsar serve``): get and close by ``db%2Fprimary``, root and
    prefixed."""
    async with fresh_database() as dsn, run_server(dsn) as server:
        _, key = await create_org(dsn)
        headers = {"Authorization": f"GenieKey {key}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:
            with trio.fail_after(10):  # the server learns the new key from the log
                while True:
                    if (await client.get("/v2/alerts/count")).status_code == 200:
                        break
                    await trio.sleep(0.05)
            created = await client.post("/v2/alerts", json={"message": "m", "alias": "db/p"})
            assert created.status_code == 202, created.text
            got = await client.get("/v2/alerts/db%2Fp?identifierType=alias")
            assert (got.status_code, got.json()["data"]["alias"]) == (200, "db/p")
            closed = await client.post("/og/v2/alerts/db%2Fp/close?identifierType=alias")
            assert closed.status_code == 202
            got = await client.get("/og/v2/alerts/db%2Fp?identifierType=alias")
            assert (got.status_code, got.json()["data"]["status"]) == (200, "closed")
            missing = await client.get("/v2/alerts/db/p?identifierType=alias")
            assert missing.status_code == 404
