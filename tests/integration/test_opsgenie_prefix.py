"""Every Opsgenie-compatible API under a path prefix answers as at the root (compat-api.md 1.1).

Teams, routing rules, maintenance, escalations, schedules (rotations, overrides, on-calls
and the user's calendar), users, contacts and notification rules: a representative write
under the prefix, then the same read under the prefix and at the root, must give the same
answer; another organization reaches none of it through the prefix. The alert and heartbeat
routes have their own prefix tests (test_opsgenie_compat, test_opsgenie_heartbeats_prefix).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.people import add_member, add_team
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

ROTATION = {
    "name": "primary",
    "type": "daily",
    "startDate": "2020-01-01T00:00:00Z",
    "participants": [{"type": "user", "username": "ana@example.com"}],
}


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        yield harness


async def call(
    api: Harness, method: str, path: str, json: Any = None, org: Org | None = None
) -> tuple[int, Any]:
    """Status and answer; JSON without ``took``/``requestId``, calendars without DTSTAMP."""
    headers = (org or api.org).headers
    response = await getattr(api.client, method.lower())(path, json=json, headers=headers)
    if response.headers.get("Content-Type", "").startswith("text/calendar"):
        text = await response.get_data(as_text=True)
        return response.status_code, [x for x in text.splitlines() if not x.startswith("DTSTAMP")]
    body = await response.get_json()
    assert isinstance(body, dict), (path, body)  # never the web app's shell
    assert {"took", "requestId"} <= body.keys(), (path, body)
    return response.status_code, {k: v for k, v in body.items() if k not in ("took", "requestId")}


async def schedule(api: Harness, *rotations: dict[str, Any]) -> str:
    """Member ana (and cat), and schedule ``ops`` with ``rotations``: its id."""
    await add_member(api, "ana@example.com")
    await add_member(api, "cat@example.com")
    body = {"name": "ops", "timezone": "UTC", "rotations": list(rotations)}
    created = await api.post("/api/v1/schedules", json=body)
    assert created.status_code == 201, await created.get_data()
    schedule_id: str = (await created.get_json())["data"]["id"]
    return schedule_id


async def team(api: Harness) -> str:
    return await add_team(api, "Ops")


async def policy(api: Harness) -> str:
    rules = [{"recipient": {"type": "team", "id": await team(api)}}]
    created = await api.post("/api/v1/escalation-policies", json={"name": "DB", "rules": rules})
    assert created.status_code == 201, await created.get_data()
    policy_id: str = (await created.get_json())["data"]["id"]
    return policy_id


async def ana(api: Harness) -> str:
    return await add_member(api, "ana@example.com")


@dataclass(frozen=True)
class Case:
    """A write (answering ``status``) and the reads that show it; ``{p}`` is the setup's id,
    ``{id}`` the written resource's (read from ``data.<key>``)."""

    setup: Callable[[Harness], Awaitable[str]]
    write: tuple[str, str, dict[str, Any]]
    status: int
    reads: tuple[str, ...]
    other: tuple[str, str]  # another organization's write on the resource: 404
    key: str = "id"


CASES = {
    "teams": Case(
        ana,
        (
            "POST",
            "/v2/teams",
            {"name": "Ops", "members": [{"user": {"username": "ana@example.com"}}]},
        ),
        201,
        ("/v2/teams/{id}", "/v2/teams/ops?identifierType=name", "/v2/teams"),
        ("DELETE", "/v2/teams/{id}"),
    ),
    "routing rules": Case(
        team,
        ("POST", "/v2/teams/{p}/routing-rules", {"name": "rest", "notify": {"type": "none"}}),
        201,
        ("/v2/teams/{p}/routing-rules/{id}", "/v2/teams/{p}/routing-rules"),
        ("PATCH", "/v2/teams/{p}/routing-rules/{id}"),
    ),
    "maintenance": Case(
        policy,
        (
            "POST",
            "/v1/maintenance",
            {
                "description": "deploy",
                "time": {"type": "for-1-hour"},
                "rules": [{"state": "disabled", "entity": {"id": "{p}", "type": "policy"}}],
            },
        ),
        201,
        ("/v1/maintenance/{id}", "/v1/maintenance"),
        ("POST", "/v1/maintenance/{id}/cancel"),
    ),
    "escalations": Case(
        ana,
        (
            "POST",
            "/v2/escalations",
            {
                "name": "db",
                "rules": [
                    {
                        "condition": "if-not-acked",
                        "notifyType": "default",
                        "recipient": {"type": "user", "username": "ana@example.com"},
                        "delay": {"timeAmount": 0},
                    }
                ],
            },
        ),
        201,
        ("/v2/escalations/{id}", "/v2/escalations/db?identifierType=name", "/v2/escalations"),
        ("DELETE", "/v2/escalations/{id}"),
    ),
    "schedules": Case(
        ana,
        ("POST", "/v2/schedules", {"name": "ops", "timezone": "UTC", "rotations": [ROTATION]}),
        201,
        ("/v2/schedules/{id}", "/v2/schedules/{id}/on-calls", "/v2/schedules"),
        ("PATCH", "/v2/schedules/{id}"),
    ),
    "rotations": Case(
        schedule,
        ("POST", "/v2/schedules/{p}/rotations", ROTATION),
        201,
        ("/v2/schedules/{p}/rotations/{id}", "/v2/schedules/{p}/rotations"),
        ("DELETE", "/v2/schedules/{p}/rotations/{id}"),
    ),
    "overrides and on-calls": Case(
        lambda api: schedule(api, ROTATION),
        (
            "POST",
            "/v2/schedules/{p}/overrides",
            {
                "user": {"username": "cat@example.com"},
                "startDate": "2020-01-01T00:00:00Z",
                "endDate": "2099-01-01T00:00:00Z",
            },
        ),
        201,
        (
            "/v2/schedules/{p}/overrides/{id}",
            "/v2/schedules/{p}/on-calls?flat=true",
            "/v2/schedules/on-calls/cat@example.com.ics",
        ),
        ("DELETE", "/v2/schedules/{p}/overrides/{id}"),
        key="alias",
    ),
    "users": Case(
        ana,
        (
            "POST",
            "/v2/users",
            {"username": "bob@example.com", "fullName": "Bob", "role": {"name": "User"}},
        ),
        201,
        ("/v2/users/{id}", "/v2/users/bob@example.com", "/v2/users"),
        ("DELETE", "/v2/users/{id}"),
    ),
    "contacts": Case(
        ana,
        ("POST", "/v2/users/ana@example.com/contacts", {"method": "slack", "to": "C0123ABC"}),
        201,
        ("/v2/users/ana@example.com/contacts/{id}", "/v2/users/{p}/contacts"),
        ("DELETE", "/v2/users/{p}/contacts/{id}"),
    ),
    "notification rules": Case(
        ana,
        (
            "POST",
            "/v2/users/{p}/notification-rules",
            {"name": "all", "actionType": "create-alert", "criteria": {"type": "match-all"}},
        ),
        201,
        ("/v2/users/{p}/notification-rules/{id}", "/v2/users/ana@example.com/notification-rules"),
        ("DELETE", "/v2/users/{p}/notification-rules/{id}"),
    ),
}


def fill(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with ``{p}`` and ``{id}`` replaced, in strings nested anywhere."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(fill(v, ids) for v in value)
    return value


@pytest.mark.parametrize("prefix", ["/og", "/a/b"])
@pytest.mark.parametrize("name", list(CASES))
async def test_a_write_and_reads_under_a_prefix_match_the_root(
    api: Harness, name: str, prefix: str
) -> None:
    """Written under the prefix, read under it and at the root: the same answers."""
    case = CASES[name]
    ids = {"p": await case.setup(api)}
    method, path, body = fill(case.write, ids)
    status, written = await call(api, method, prefix + path, body)
    assert (name, status) == (name, case.status), written
    ids["id"] = written["data"][case.key]
    for read in fill(case.reads, ids):
        under, root = await call(api, "GET", prefix + read), await call(api, "GET", read)
        assert (read, unpaged(under, prefix)) == (read, unpaged(root, ""))
        assert under[0] == 200, (read, under)
        # The trailing-slash form of a path is the same route.
        if "?" not in read:
            slash = await call(api, "GET", f"{prefix}{read}/")
            assert unpaged(slash, prefix) == unpaged(root, "")


def unpaged(answer: tuple[int, Any], prefix: str) -> tuple[int, Any]:
    """``answer`` without its paging links, once they are checked to keep the prefix."""
    status, body = answer
    if not isinstance(body, dict) or "paging" not in body:
        return answer
    for link in body["paging"].values():
        assert link.startswith(f"http://localhost{prefix}/v2/"), link
    return status, {k: v for k, v in body.items() if k != "paging"}


@pytest.mark.parametrize("name", list(CASES))
async def test_another_organization_reaches_nothing_under_a_prefix(api: Harness, name: str) -> None:
    """Its reads and its write on our resource are 404 (or lists without it); ours is intact."""
    case = CASES[name]
    ids = {"p": await case.setup(api)}
    method, path, body = fill(case.write, ids)
    status, written = await call(api, method, f"/og{path}", body)
    assert status == case.status, written
    ids["id"] = written["data"][case.key]
    reads = fill(case.reads, ids)
    before = [await call(api, "GET", f"/og{read}") for read in reads]
    other = await api.new_org()
    for read in reads:
        status, theirs = await call(api, "GET", f"/og{read}", org=other)
        if status == 200:  # a list in their organization: none of ours in it
            assert ids["id"] not in str(theirs), (read, theirs)
        else:
            assert (read, status) == (read, 404), theirs
    method, path = fill(case.other, ids)
    status, theirs = await call(api, method, f"/og{path}", {"name": "taken"}, org=other)
    assert (path, status) == (path, 404), theirs
    assert [await call(api, "GET", f"/og{read}") for read in reads] == before


async def test_unknown_prefixed_paths_are_opsgenie_404s(api: Harness) -> None:
    """Never the web app's shell, never Pulsar's own error shape; the native API keeps its own."""
    for method, path in [
        ("GET", "/og/v2/nope"),
        ("POST", "/og/v2/nope"),
        ("GET", "/og/v1/nope/deeper"),
        ("GET", "/a/b/v2/teams/x/nope"),
        ("DELETE", "/og/v2/alerts/x/nope/more"),
        ("GET", "/v2/nope"),
    ]:
        status, body = await call(api, method, path)
        assert (path, status, list(body)) == (path, 404, ["message"])
    status, body = await call(api, "DELETE", "/og/v2/teams")
    assert (status, list(body)) == (405, ["message"])
    status, body = await call(api, "GET", "/og/v2/alerts/x/attachments")
    assert (status, body["message"]) == (501, "Not implemented in Pulsar")
    # /api/v1 is never a prefix: a method the native route lacks stays the native 405.
    response = await api.client.put("/api/v1/maintenance/x", json={}, headers=api.org.headers)
    assert (response.status_code, (await response.get_json())["code"]) == (
        405,
        "method_not_allowed",
    )
    response = await api.post("/api/v1/maintenance/x/change-end-date", json={})
    assert (response.status_code, (await response.get_json())["code"]) == (404, "not_found")
