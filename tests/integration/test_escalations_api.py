"""Escalation policies over HTTP (native /api/v1/escalation-policies and Opsgenie
/v2/escalations) over a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from engine import IDENTITY_STREAM, SYSTEM, AddMember, RegisterAccount, new_id
from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.people import add_member, add_team
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

POLICIES = "/api/v1/escalation-policies"
OG = "/v2/escalations"
_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, cookie_secure=False) as harness:
        yield harness


async def call(
    api: Harness, method: str, path: str, json: Any = None, org: Org | None = None, **kw: Any
) -> Any:
    headers = kw.pop("headers", None) or (org or api.org).headers
    return await getattr(api.client, method)(path, json=json, headers=headers, **kw)


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, await response.get_data()
    return await response.get_json()


async def error_of(response: Any, status: int) -> dict[str, Any]:
    """The native JSON error body of ``response``, after checking its status and shape."""
    assert response.status_code == status, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    assert {"code", "message", "request_id"} <= set(body), body
    return body


async def og_error_of(response: Any, status: int) -> dict[str, Any]:
    """The Opsgenie JSON error body of ``response``, after checking its status and shape."""
    assert response.status_code == status, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    assert {"message", "took", "requestId"} <= set(body), body
    return body


async def add_schedule(api: Harness, name: str, org: Org | None = None) -> str:
    response = await api.post("/api/v1/schedules", json={"name": name, "timezone": "UTC"}, org=org)
    schedule_id: str = (await ok(response, 201))["data"]["id"]
    return schedule_id


async def people(
    api: Harness, org: Org | None = None, email: str = "bob@example.com"
) -> dict[str, str]:
    """Bob (a member), the Ops team and the Primary schedule of ``org``: name -> id."""
    return {
        "bob": await add_member(api, email, org),
        "ops": await add_team(api, "Ops", org),
        "primary": await add_schedule(api, "Primary", org),
    }


def rule(kind: str, ref: dict[str, str], delay: int = 0, **extra: Any) -> dict[str, Any]:
    return {"recipient": {"type": kind, **ref}, "delayMinutes": delay, **extra}


async def create(api: Harness, name: str = "DB", org: Org | None = None, **body: Any) -> Any:
    body.setdefault("rules", [rule("user", {"id": "bob@example.com"})])
    response = await api.post(POLICIES, json={"name": name, **body}, org=org)
    return (await ok(response, 201))["data"]


# -- native API ----------------------------------------------------------------------------


async def test_policy_lifecycle(api: Harness) -> None:
    """Create with references, read by id and by name, change (new versions), delete; list."""
    ids = await people(api)
    policy = await create(
        api,
        "DB on call",
        description="pages the DBAs",
        ownerTeam="ops",
        rules=[
            rule("schedule", {"name": "primary"}, 10, notifyType="next"),
            rule("user", {"username": "BOB@example.com"}, 0),
            rule("team", {"id": ids["ops"]}, 5, condition="if-not-closed"),
        ],
        repeat={"waitIntervalMinutes": 15, "count": 2},
    )
    assert policy == {
        "id": policy["id"],
        "name": "DB on call",
        "description": "pages the DBAs",
        "ownerTeam": {"id": ids["ops"], "name": "Ops"},
        "rules": [
            {
                "condition": "if-not-acked",
                "delayMinutes": 0,
                "recipient": {"type": "user", "id": ids["bob"], "name": "bob"},
                "notifyType": "default",
            },
            {
                "condition": "if-not-closed",
                "delayMinutes": 5,
                "recipient": {"type": "team", "id": ids["ops"], "name": "Ops"},
                "notifyType": "default",
            },
            {
                "condition": "if-not-acked",
                "delayMinutes": 10,
                "recipient": {"type": "schedule", "id": ids["primary"], "name": "Primary"},
                "notifyType": "next",
            },
        ],
        "repeat": {
            "waitIntervalMinutes": 15,
            "count": 2,
            "resetRecipientStates": False,
            "closeAlertAfterAll": False,
        },
        "version": 1,
        "createdAt": policy["createdAt"],
        "updatedAt": policy["createdAt"],
    }
    url = f"{POLICIES}/{policy['id']}"
    assert (await ok(await api.get(url)))["data"] == policy
    keyed = {**api.org.headers, "Idempotency-Key": "k1"}
    body = {"name": "Keyed", "rules": [rule("user", {"id": ids["bob"]})]}
    first = await ok(await call(api, "post", POLICIES, body, headers=keyed), 201)
    again = await ok(await call(api, "post", POLICIES, body, headers=keyed), 201)
    assert again["data"] == first["data"]
    await ok(await call(api, "delete", f"{POLICIES}/{first['data']['id']}"))
    by_name = await api.get(f"{POLICIES}/db%20ON%20call?identifierType=name")
    assert (await ok(by_name))["data"] == policy

    patched = await ok(
        await call(api, "patch", url, {"name": "DBA", "repeat": {"closeAlertAfterAll": True}})
    )
    data = patched["data"]
    assert (data["name"], data["version"], data["rules"]) == ("DBA", 2, policy["rules"])
    assert data["repeat"] == {
        "waitIntervalMinutes": 15,
        "count": 2,
        "resetRecipientStates": False,
        "closeAlertAfterAll": True,
    }
    replaced = await ok(
        await call(api, "patch", url, {"rules": [rule("user", {"id": ids["bob"]}, 3)]})
    )
    assert [r["delayMinutes"] for r in replaced["data"]["rules"]] == [3]
    unowned = await ok(await call(api, "patch", url, {"ownerTeam": None}))
    assert (unowned["data"]["ownerTeam"], unowned["data"]["version"]) == (None, 4)
    same = await ok(await call(api, "patch", url, {"description": "pages the DBAs"}))
    assert same["data"]["version"] == 4

    assert (await ok(await call(api, "delete", url)))["result"] == "deleted"
    gone = await error_of(await api.get(url), 404)
    assert gone["code"] == "escalation_policy_not_found"
    again = await error_of(await call(api, "delete", url), 404)
    assert again["code"] == "escalation_policy_not_found"
    await check_list(api, ids)


async def check_list(api: Harness, ids: dict[str, str]) -> None:
    """By name ignoring case; limit/cursor pages; ?team= takes a team's id or name."""
    await create(api, "web")
    await create(api, "Alpha", ownerTeam=ids["ops"])
    await create(api, "db", ownerTeam="Ops")
    listed = await ok(await api.get(POLICIES))
    assert [p["name"] for p in listed["data"]] == ["Alpha", "db", "web"]
    assert listed["next_cursor"] is None
    first = await ok(await api.get(f"{POLICIES}?limit=2"))
    assert [p["name"] for p in first["data"]] == ["Alpha", "db"]
    second = await ok(await api.get(f"{POLICIES}?limit=2&cursor={first['next_cursor']}"))
    assert ([p["name"] for p in second["data"]], second["next_cursor"]) == (["web"], None)
    for team in (ids["ops"], "ops"):
        owned = await ok(await api.get(f"{POLICIES}?team={team}"))
        assert [p["name"] for p in owned["data"]] == ["Alpha", "db"]
    assert (await ok(await api.get(f"{POLICIES}?team=nobody")))["data"] == []
    for query, field in (("limit=0", "limit"), ("limit=x", "limit"), ("cursor=%%%", "cursor")):
        error = await error_of(await api.get(f"{POLICIES}?{query}"), 422)
        assert (error["code"], error["field"]) == ("invalid_field", field)


BOB = rule("user", {"id": "bob@example.com"})
OPS = rule("team", {"name": "Ops"})


def named(*rules: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A create body called "P" with ``rules`` and other ``fields``."""
    return {"name": "P", "rules": list(rules), **fields}


BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"rules": [BOB]}, "name"),
    ({"name": " ", "rules": [BOB]}, "name"),
    ({"name": "x" * 101, "rules": [BOB]}, "name"),
    ({"name": "a/b", "rules": [BOB]}, "name"),
    ({"name": 5, "rules": [BOB]}, "name"),
    (named(BOB, description=["no"]), "description"),
    ({"name": "P"}, "rules"),
    (named(), "rules"),
    ({"name": "P", "rules": "bob"}, "rules"),
    (named({"delayMinutes": 1}), "rules[0].recipient"),
    (named(rule("user", {"id": "bob@example.com"}, -1)), "rules[0].delayMinutes"),
    (named(rule("user", {"id": "bob@example.com"}, 10081)), "rules[0].delayMinutes"),
    (named({**BOB, "delayMinutes": "x"}), "rules[0].delayMinutes"),
    (named({**BOB, "condition": "maybe"}), "rules[0].condition"),
    (named({**BOB, "notifyType": "next"}), "rules[0].notifyType"),
    (named(rule("schedule", {"id": "Primary"}, notifyType="users")), "rules[0].notifyType"),
    (named(rule("group", {"id": "x"})), "rules[0].recipient"),
    (named(rule("user", {})), "rules[0].recipient"),
    (named(BOB, rule("user", {"id": "zed@example.com"})), "rules[1].recipient"),
    (named(rule("schedule", {"name": "Secondary"})), "rules[0].recipient"),
    (named(rule("team", {"name": "Dev"})), "rules[0].recipient"),
    (named(OPS, ownerTeam="Dev"), "ownerTeam"),
    (named(OPS, repeat={"count": 21, "waitIntervalMinutes": 5}), "repeat.count"),
    (named(OPS, repeat={"count": 2}), "repeat.waitIntervalMinutes"),
    (named(OPS, repeat={"waitIntervalMinutes": 10081}), "repeat.waitIntervalMinutes"),
    (named(OPS, repeat={"count": True}), "repeat.count"),
]


async def test_bad_input_is_refused_naming_the_field(api: Harness) -> None:
    """Every invalid create or change is 422 invalid_field naming its field; nothing is made.
    The Opsgenie API answers the same in its own shape."""
    await people(api)
    for body, field in BAD_BODIES:
        error = await error_of(await api.post(POLICIES, json=body), 422)
        assert (error["code"], error["field"]) == ("invalid_field", field), body
    assert (await ok(await api.get(POLICIES)))["data"] == []
    policy = await create(api, "DB")
    url = f"{POLICIES}/{policy['id']}"
    for body, field in (
        ({"name": ""}, "name"),
        ({"rules": []}, "rules"),
        ({"rules": [rule("user", {"id": "zed"})]}, "rules[0].recipient"),
        ({"repeat": {"count": 3}}, "repeat.waitIntervalMinutes"),
        ({"ownerTeam": "nope"}, "ownerTeam"),
    ):
        error = await error_of(await call(api, "patch", url, body), 422)
        assert (error["code"], error["field"]) == ("invalid_field", field), body
    assert (await ok(await api.get(url)))["data"] == policy
    duplicate = await error_of(await api.post(POLICIES, json=named(BOB, name="db")), 409)
    assert duplicate["code"] == "escalation_policy_exists"
    for method, path in (("post", POLICIES), ("patch", url)):
        for data in (b"not json", b""):
            response = await getattr(api.client, method)(path, data=data, headers=api.org.headers)
            assert (await error_of(response, 400))["code"] == "invalid_json"
    bad_type = await error_of(await api.get(f"{url}?identifierType=tiny"), 422)
    assert bad_type["field"] == "identifierType"
    unknown = await error_of(await call(api, "patch", f"{POLICIES}/nope", {"name": "x"}), 404)
    assert unknown["code"] == "escalation_policy_not_found"
    await check_opsgenie_errors(api)


async def test_strangers_and_viewers_are_kept_out(api: Harness) -> None:
    """Another organization's policies are 404 in both APIs, its users, schedules and teams
    unknown (422); a viewer reads policies but cannot change them (403)."""
    await people(api)
    other = await api.new_org()
    theirs = await people(api, other, "bo@example.org")
    their_policy = await create(api, "Theirs", other, rules=[rule("user", {"id": theirs["bob"]})])
    assert (await ok(await api.get(POLICIES)))["data"] == []
    assert (await ok(await api.get(OG)))["data"] == []
    for method, path, body in (
        ("get", POLICIES, None),
        ("patch", POLICIES, {"name": "Mine"}),
        ("delete", POLICIES, None),
        ("get", OG, None),
        ("patch", OG, {"name": "Mine"}),
        ("delete", OG, None),
    ):
        response = await call(api, method, f"{path}/{their_policy['id']}", body)
        assert response.status_code == 404, (method, path)
    for kind, key in (("user", "bob"), ("team", "ops"), ("schedule", "primary")):
        body = named(rule(kind, {"id": theirs[key]}))
        error = await error_of(await api.post(POLICIES, json=body), 422)
        assert error["field"] == "rules[0].recipient", kind
    owned = named(BOB, ownerTeam=theirs["ops"])
    assert (await error_of(await api.post(POLICIES, json=owned), 422))["field"] == "ownerTeam"
    still = await ok(await api.get(f"{POLICIES}/{their_policy['id']}", org=other))
    assert still["data"]["name"] == "Theirs"
    await check_viewer(api)


async def _viewer_headers(api: Harness) -> dict[str, str]:
    """A signed-in viewer of the harness's organization."""
    services, account_id = api.services, new_id()
    email = f"viewer-{account_id[-6:]}@example.com"
    register = RegisterAccount(account_id=account_id, email=email, name="V", password_hash=_HASH)
    await services.supervisor.submit(IDENTITY_STREAM, register, SYSTEM)
    member = AddMember(account_id=account_id, email=email, role="viewer", actor_role="system")
    await services.supervisor.submit(api.org.org_id, member, SYSTEM)
    token = services.extra["tokens"].issue(account_id, api.org.org_id, "sid", services.clock.now())
    await services.directory.catch_up(services.store)
    return {"Authorization": f"Bearer {token}"}


async def check_viewer(api: Harness) -> None:
    """Reads need read; every write needs configuration-access (403 otherwise)."""
    policy = await create(api)
    headers = await _viewer_headers(api)
    for path in (POLICIES, f"{POLICIES}/{policy['id']}", OG, f"{OG}/{policy['id']}"):
        assert (await call(api, "get", path, headers=headers)).status_code == 200, path
    body = {"name": "New", "rules": [rule("user", {"id": "bob@example.com"})]}
    for method, path, json in (
        ("post", POLICIES, body),
        ("patch", f"{POLICIES}/{policy['id']}", {"name": "X"}),
        ("delete", f"{POLICIES}/{policy['id']}", None),
        ("post", OG, body),
        ("patch", f"{OG}/{policy['id']}", {"name": "X"}),
        ("delete", f"{OG}/{policy['id']}", None),
    ):
        response = await call(api, method, path, json, headers=headers)
        assert response.status_code == 403, (method, path)
    assert (await ok(await api.get(f"{POLICIES}/{policy['id']}")))["data"] == policy


async def test_departures_leave_the_rules(api: Harness) -> None:
    """Removing a member, or deleting a team or a schedule, takes them out of every policy."""
    ids = await people(api)
    policy = await create(
        api,
        ownerTeam="Ops",
        rules=[
            rule("user", {"id": ids["bob"]}, 0),
            rule("team", {"id": ids["ops"]}, 5),
            rule("schedule", {"id": ids["primary"]}, 10),
            rule("user", {"id": ids["bob"]}, 15),
        ],
    )
    url = f"{POLICIES}/{policy['id']}"
    await ok(await call(api, "delete", f"/api/v1/users/{ids['bob']}"))
    after = (await ok(await api.get(url)))["data"]
    assert [r["recipient"]["type"] for r in after["rules"]] == ["team", "schedule"]
    assert after["version"] == 2
    await ok(await call(api, "delete", f"/api/v1/teams/{ids['ops']}"))
    after = (await ok(await api.get(url)))["data"]
    assert ([r["recipient"]["type"] for r in after["rules"]], after["ownerTeam"]) == (
        ["schedule"],
        None,
    )
    await ok(await call(api, "delete", f"/api/v1/schedules/{ids['primary']}"))
    after = (await ok(await api.get(url)))["data"]
    assert (after["rules"], after["version"]) == ([], 4)


# -- Opsgenie API (/v2/escalations) --------------------------------------------------------


async def test_opsgenie_escalation_lifecycle(api: Harness) -> None:
    """The Go SDK's (Terraform's) requests and answers: create, get by id and name, list,
    update, delete; ``ownerTeam: {}`` and ``"username": ""`` mean absent."""
    ids = await people(api)
    created = await ok(
        await api.post(
            OG,
            json={
                "name": "db_escalation",
                "description": "dbas",
                "ownerTeam": {"name": "Ops"},
                "rules": [
                    {
                        "condition": "if-not-acked",
                        "notifyType": "default",
                        "recipient": {"type": "user", "id": ids["bob"], "username": ""},
                        "delay": {"timeAmount": 0},
                    },
                    {
                        "condition": "if-not-closed",
                        "notifyType": "all",
                        "recipient": {"type": "schedule", "name": "Primary", "username": ""},
                        "delay": {"timeAmount": 1, "timeUnit": "hours"},
                    },
                    {
                        "recipient": {"type": "user", "username": "bob@example.com"},
                        "delay": {"timeAmount": 5},
                    },
                ],
                "repeat": {"waitInterval": 10, "count": 1, "resetRecipientStates": True},
            },
        ),
        201,
    )
    policy_id = created["data"]["id"]
    assert (created["result"], created["data"]) == (
        "Created",
        {"id": policy_id, "name": "db_escalation"},
    )
    assert {"took", "requestId"} <= set(created)
    expected = {
        "id": policy_id,
        "name": "db_escalation",
        "description": "dbas",
        "ownerTeam": {"id": ids["ops"], "name": "Ops"},
        "rules": [
            {
                "condition": "if-not-acked",
                "notifyType": "default",
                "delay": {"timeAmount": 0, "timeUnit": "minutes"},
                "recipient": {"type": "user", "id": ids["bob"], "username": "bob@example.com"},
            },
            {
                "condition": "if-not-acked",
                "notifyType": "default",
                "delay": {"timeAmount": 5, "timeUnit": "minutes"},
                "recipient": {"type": "user", "id": ids["bob"], "username": "bob@example.com"},
            },
            {
                "condition": "if-not-closed",
                "notifyType": "all",
                "delay": {"timeAmount": 60, "timeUnit": "minutes"},
                "recipient": {"type": "schedule", "id": ids["primary"], "name": "Primary"},
            },
        ],
        "repeat": {
            "waitInterval": 10,
            "count": 1,
            "resetRecipientStates": True,
            "closeAlertAfterAll": False,
        },
    }
    assert (await ok(await api.get(f"{OG}/{policy_id}?identifierType=id")))["data"] == expected
    by_name = await api.get(f"{OG}/DB_Escalation?identifierType=name")
    assert (await ok(by_name))["data"] == expected
    assert (await ok(await api.get(OG)))["data"] == [expected]

    updated = await ok(
        await call(
            api,
            "patch",
            f"{OG}/{policy_id}",
            {
                "name": "dbs",
                "ownerTeam": {},
                "rules": [
                    {
                        "condition": "if-not-acked",
                        "notifyType": "default",
                        "recipient": {"type": "team", "id": ids["ops"], "username": ""},
                        "delay": {"timeAmount": 2},
                    }
                ],
                "repeat": {"waitInterval": 5, "count": 2},
            },
        )
    )
    assert (updated["result"], updated["data"]) == ("Updated", {"id": policy_id, "name": "dbs"})
    got = (await ok(await api.get(f"{OG}/dbs?identifierType=name")))["data"]
    assert got["ownerTeam"] == {"id": ids["ops"], "name": "Ops"}
    assert got["rules"] == [
        {
            "condition": "if-not-acked",
            "notifyType": "default",
            "delay": {"timeAmount": 2, "timeUnit": "minutes"},
            "recipient": {"type": "team", "id": ids["ops"], "name": "Ops"},
        }
    ]
    replaced = {  # a given repeat replaces the old one: Go leaves zero fields out
        "waitInterval": 5,
        "count": 2,
        "resetRecipientStates": False,
        "closeAlertAfterAll": False,
    }
    assert got["repeat"] == replaced
    await ok(await call(api, "patch", f"{OG}/{policy_id}", {"description": "dba"}))
    got = (await ok(await api.get(f"{OG}/{policy_id}")))["data"]
    assert (got["description"], got["repeat"]) == ("dba", replaced)
    native = (await ok(await api.get(f"{POLICIES}/{policy_id}")))["data"]
    assert native["version"] == 3

    deleted = await ok(await call(api, "delete", f"{OG}/dbs?identifierType=name"))
    assert deleted["result"] == "Deleted"
    missing = await og_error_of(await api.get(f"{OG}/{policy_id}"), 404)
    assert missing["message"] == f"Escalation policy {policy_id!r} does not exist"


async def check_opsgenie_errors(api: Harness) -> None:
    """Bad fields are 422 with ``errors`` naming Opsgenie's field; duplicates 409; not JSON 400."""
    bob = {"recipient": {"type": "user", "username": "bob@example.com"}}
    for body, field in (
        ({"rules": [bob]}, "name"),
        ({"name": "P"}, "rules"),
        (named(), "rules"),
        (named({"recipient": {"type": "user", "id": "zed"}}), "rules[0].recipient"),
        (named({**bob, "delay": {"timeAmount": 20000}}), "rules[0].delay"),
        (named({**bob, "delay": {"timeAmount": 1, "timeUnit": "weeks"}}), "rules[0].delay"),
        (named({**bob, "notifyType": "admins"}), "rules[0].notifyType"),
        (named(bob, repeat={"count": 2}), "repeat.waitInterval"),
        (named(bob, ownerTeam={"name": "Dev"}), "ownerTeam"),
    ):
        error = await og_error_of(await api.post(OG, json=body), 422)
        assert field in error["errors"], (body, error)
    await ok(await api.post(OG, json=named(bob)), 201)
    duplicate = await api.post(OG, json={**named(bob), "name": "p"})
    await og_error_of(duplicate, 409)
    not_json = await api.client.post(OG, data=b"{", headers=api.org.headers)
    await og_error_of(not_json, 400)
    bad_type = await og_error_of(await api.get(f"{OG}/P?identifierType=tiny"), 422)
    assert "identifierType" in bad_type["errors"]
    await og_error_of(await api.get(f"{OG}/P"), 404)
    unknown = await og_error_of(await call(api, "patch", f"{OG}/nope", {"name": "x"}), 404)
    assert unknown["message"] == "Escalation policy 'nope' does not exist"
