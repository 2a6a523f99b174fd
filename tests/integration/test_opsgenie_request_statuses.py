"""Opsgenie request statuses survive a restart: derived from the request's events in the log.

The process that answers a request keeps its exact status in memory; another process, or
the same one after a restart, derives it from the events the request wrote (their
metadata carries the request id). Failures and no-ops write nothing and stay 404 there.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import trio

from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.server import create_org, run_server
from tests.pg import fresh_database
from web.compat.opsgenie.requests import RequestStore

pytestmark = pytest.mark.postgres

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_STORE = "opsgenie.requests"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


def restart(api: Harness, store: RequestStore | None = None) -> None:
    """Forget every recorded status, as a fresh process would."""
    api.services.extra[_STORE] = store or RequestStore()


async def write(api: Harness, method: str, path: str, json: Any = None) -> str:
    kw = {} if json is None else {"json": json}
    response = await api.client.open(path, method=method, headers=api.org.headers, **kw)
    assert response.status_code == 202, await response.get_data()
    return str((await response.get_json())["requestId"])


async def status_of(api: Harness, request_id: str, org: Org | None = None) -> tuple[int, Any]:
    response = await api.get(f"/v2/alerts/requests/{request_id}", org=org)
    body = await response.get_json()
    assert {"took", "requestId"} <= body.keys()
    return response.status_code, body.get("data", body)


async def test_every_action_is_derived_like_it_was_recorded(api: Harness) -> None:
    """After a restart, each write's status matches the live one (processedAt aside)."""
    end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    created = await write(api, "POST", "/v2/alerts", {"message": "m", "alias": "db 1"})
    base = "/v2/alerts/db%201"
    steps = [
        ("POST", "acknowledge", {"note": "mine"}),
        ("POST", "unacknowledge", None),
        ("POST", "snooze", {"endTime": end}),
        ("POST", "assign", {"owner": {"username": "ana@example.com"}}),
        ("POST", "escalate", {"escalation": {"name": "esc"}}),
        ("POST", "responders", {"responder": {"type": "schedule", "name": "s"}}),
        ("POST", "notes", {"note": "looking"}),
        ("POST", "tags", {"tags": ["x", "y"]}),
        ("DELETE", "tags?tags=x", None),
        ("POST", "details", {"details": {"k": "v", "j": "w"}}),
        ("DELETE", "details?keys=k", None),
        ("PUT", "priority", {"priority": "P1"}),
        ("PUT", "message", {"message": "new"}),
        ("PUT", "description", {"description": "d"}),
        ("POST", "actions/Restart", {"note": "now"}),
        ("POST", "close", None),
    ]
    ids = [created]
    for method, path, body in steps:
        glue = "&" if "?" in path else "?"
        ids.append(await write(api, method, f"{base}/{path}{glue}identifierType=alias", body))
    ids.append(await write(api, "POST", "/v2/alerts", {"message": "again", "alias": "db 1"}))
    ids.append(await write(api, "DELETE", f"{base}?identifierType=alias"))
    live = [await status_of(api, request_id) for request_id in ids]
    assert all(code == 200 and s["isSuccess"] for code, s in live), live
    restart(api)
    derived = [await status_of(api, request_id) for request_id in ids]
    assert all(code == 200 for code, _ in derived), derived
    for (_, want), (_, got) in zip(live, derived, strict=True):
        assert RFC3339.match(got["processedAt"])
        want.pop("processedAt")
        got.pop("processedAt")
        assert got == want
    assert [s["action"] for _, s in derived][-3:] == ["Close", "Create", "Delete"]
    # The deleted alert's alias comes from its AlertCreated.
    assert derived[-1][1]["alias"] == "db 1"


async def test_what_wrote_nothing_is_not_derived(api: Harness) -> None:
    """A failure (unknown alias) and a no-op (closing a closed alert) are 404 after a restart."""
    alert_id = (await status_of(api, await write(api, "POST", "/v2/alerts", {"message": "m"})))[1][
        "alertId"
    ]
    await write(api, "POST", f"/v2/alerts/{alert_id}/close")
    failed = await write(api, "POST", "/v2/alerts/nope/close?identifierType=alias")
    noop = await write(api, "POST", f"/v2/alerts/{alert_id}/close")
    code, live = await status_of(api, failed)
    assert (code, live["isSuccess"], live["status"]) == (200, False, "Alert does not exist")
    assert (await status_of(api, noop))[1]["isSuccess"] is True
    restart(api)
    for request_id in (failed, noop, "never-issued"):
        code, body = await status_of(api, request_id)
        assert (code, body["message"]) == (404, "Request does not exist")


async def test_another_organization_cannot_read_a_request(api: Harness) -> None:
    """Neither the recorded nor the derived status of a request leaves its organization."""
    request_id = await write(api, "POST", "/v2/alerts", {"message": "m"})
    other = await api.new_org()
    assert (await status_of(api, request_id, org=other))[0] == 404
    restart(api)
    assert (await status_of(api, request_id, org=other))[0] == 404
    assert (await status_of(api, request_id))[0] == 200


async def test_the_log_is_read_once_then_only_its_new_events(api: Harness) -> None:
    """A miss reads the events after the last read; the window is the newest max_per_org."""
    first = await write(api, "POST", "/v2/alerts", {"message": "1"})
    second = await write(api, "POST", "/v2/alerts", {"message": "2"})
    store = RequestStore(max_per_org=1)  # only the newest event is read
    restart(api, store)
    assert (await status_of(api, first))[0] == 404
    assert (await status_of(api, second))[0] == 200
    version = await api.services.store.stream_version(api.org.org_id)
    assert store.scanned[api.org.org_id] == version
    # Another process answers a third request; this one, having read up to ``version``,
    # reads only the events after it: the third is found, the second is not read again.
    third = await write(api, "POST", "/v2/alerts", {"message": "3"})
    fresh = RequestStore()
    fresh.scanned[api.org.org_id] = version
    restart(api, fresh)
    assert (await status_of(api, third))[1]["status"] == "Created alert"
    assert (await status_of(api, second))[0] == 404


async def test_bad_request_ids_are_404_in_opsgenie_shape(api: Harness) -> None:
    restart(api)
    for request_id in ("x" * 300, "%00", "requests"):
        code, body = await status_of(api, request_id)
        assert (code, body["message"]) == (404, "Request does not exist")
    response = await api.client.get("/v2/alerts/requests/abc")
    assert response.status_code == 401


async def _key_known(client: httpx.AsyncClient, base: str) -> None:
    """Wait until the server, following the log, knows the key made by the CLI."""
    with trio.fail_after(10):
        while True:
            if (await client.get(f"{base}/count")).status_code == 200:
                return
            await trio.sleep(0.05)


async def test_statuses_survive_a_server_restart() -> None:
    """A real ``pulsar serve``: create and acknowledge, restart it, poll both statuses."""
    async with fresh_database() as dsn:
        _, key = await create_org(dsn)
        auth = {"Authorization": f"GenieKey {key}"}
        async with run_server(dsn) as server, httpx.AsyncClient(headers=auth) as client:
            base = f"{server.base_url}/opsgenie/v2/alerts"
            await _key_known(client, base)
            created = (await client.post(base, json={"message": "m", "alias": "a"})).json()
            acked = (await client.post(f"{base}/a/acknowledge?identifierType=alias")).json()
            before = [
                (await client.get(f"{base}/requests/{r['requestId']}")).json()["data"]
                for r in (created, acked)
            ]
            assert [s["isSuccess"] for s in before] == [True, True]
        async with run_server(dsn) as server, httpx.AsyncClient(headers=auth) as client:
            base = f"{server.base_url}/v2/alerts"
            await _key_known(client, base)
            after = []
            for r in (created, acked):
                response = await client.get(f"{base}/requests/{r['requestId']}")
                assert response.status_code == 200, response.text
                after.append(response.json()["data"])
    assert [(s["action"], s["status"], s["alias"]) for s in after] == [
        ("Create", "Created alert", "a"),
        ("Acknowledge", "Acknowledged alert", "a"),
    ]
    for want, got in zip(before, after, strict=True):
        assert {**got, "processedAt": ""} == {**want, "processedAt": ""}
