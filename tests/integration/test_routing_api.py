"""Team routing rules over HTTP (native /api/v1/teams/{team}/routing-rules and Opsgenie /v2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.people import add_team
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

P1 = {
    "type": "match-all-conditions",
    "conditions": [{"field": "priority", "operation": "equals", "expectedValue": "P1"}],
}
NIGHT = {
    "type": "time-of-day",
    "restriction": {"startHour": 22, "startMin": 0, "endHour": 6, "endMin": 0},
}


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


def native(team: str) -> str:
    return f"/api/v1/teams/{team}/routing-rules"


def og(team: str) -> str:
    return f"/v2/teams/{team}/routing-rules"


async def call(
    api: Harness, method: str, path: str, json: Any = None, org: Org | None = None
) -> Any:
    return await getattr(api.client, method)(path, json=json, headers=(org or api.org).headers)


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, await response.get_data()
    return await response.get_json()


async def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    assert {"code", "message", "request_id"} <= set(body), body
    return body


async def setup(api: Harness, org: Org | None = None) -> tuple[str, str, str]:
    """Team Ops, policy DB (paging Ops) and schedule Primary; their ids."""
    team = await add_team(api, "Ops", org=org)
    rules = [{"recipient": {"type": "team", "id": team}}]
    body = {"name": "DB", "rules": rules}
    policy = await ok(await api.post("/api/v1/escalation-policies", json=body, org=org), 201)
    body = {"name": "Primary", "timezone": "UTC"}
    schedule = await ok(await api.post("/api/v1/schedules", json=body, org=org), 201)
    return team, policy["data"]["id"], schedule["data"]["id"]


async def create(api: Harness, team: str, **body: Any) -> dict[str, Any]:
    data: dict[str, Any] = (await ok(await api.post(native(team), json=body), 201))["data"]
    return data


async def names(api: Harness, team: str) -> list[str]:
    rules = (await ok(await api.get(native(team))))["data"]
    assert [r["order"] for r in rules] == list(range(len(rules)))
    return [r["name"] for r in rules]


# -- native API ----------------------------------------------------------------------------


async def test_rules_are_created_ordered_changed_and_deleted(api: Harness) -> None:
    """Targets by name come back with id and name; order inserts, moves and closes gaps."""
    team, policy, schedule = await setup(api)
    first = await create(
        api,
        team,
        name="P1 at night",
        criteria=P1,
        timeRestriction=NIGHT,
        timezone="Europe/Berlin",
        notify={"type": "schedule", "name": "primary"},
    )
    assert first["notify"] == {"type": "schedule", "id": schedule, "name": "Primary"}
    assert (first["order"], first["timezone"], first["timeRestriction"]) == (
        0,
        "Europe/Berlin",
        NIGHT,
    )
    assert first["criteria"]["conditions"] == [
        {
            "field": "priority",
            "not": False,
            "operation": "equals",
            "expectedValue": "P1",
            "order": 0,
        }
    ]
    await create(api, team, name="all", notify={"type": "escalation", "id": policy})
    quiet = await create(api, team, name="quiet", order=0, notify={"type": "none"})
    assert await names(api, team) == ["quiet", "P1 at night", "all"]

    moved = await ok(
        await api.post(f"{native(team)}/{quiet['id']}/change-order", json={"order": 9})
    )
    assert moved["data"]["order"] == 2
    assert await names(api, team) == ["P1 at night", "all", "quiet"]

    patch = {"name": "P1", "timeRestriction": None, "notify": {"type": "escalation", "name": "db"}}
    patched = (await ok(await call(api, "patch", f"{native(team)}/{first['id']}", patch)))["data"]
    assert (patched["name"], patched["timeRestriction"]) == ("P1", None)
    assert patched["notify"] == {"type": "escalation", "id": policy, "name": "DB"}
    assert patched["criteria"] == first["criteria"]

    await ok(await call(api, "patch", f"{native(team)}/{first['id']}", {"order": 2}))
    assert await names(api, team) == ["all", "quiet", "P1"]
    headers = {**api.org.headers, "Idempotency-Key": "k1"}
    retried = [
        (
            await ok(
                await api.client.post(
                    native(team), json={"notify": {"type": "none"}}, headers=headers
                ),
                201,
            )
        )
        for _ in range(2)
    ]
    assert retried[0]["data"]["id"] == retried[1]["data"]["id"]
    by_name = await ok(await api.get(f"{native('ops')}/{first['id']}?teamIdentifierType=name"))
    assert by_name["data"]["id"] == first["id"]
    deleted = await call(api, "delete", f"{native(team)}/{first['id']}")
    assert (await ok(deleted))["result"] == "deleted"
    assert await names(api, team) == ["all", "quiet", ""]
    gone = await api.get(f"{native(team)}/{first['id']}")
    assert (await error_of(gone, 404))["code"] == "routing_rule_not_found"


async def test_deleting_targets_and_teams_updates_rules(api: Harness) -> None:
    """A deleted schedule leaves its rules routing to nobody; a deleted team takes its rules."""
    team, _, schedule = await setup(api)
    rule = await create(api, team, notify={"type": "schedule", "id": schedule})
    await ok(await call(api, "delete", f"/api/v1/schedules/{schedule}"))
    data = (await ok(await api.get(f"{native(team)}/{rule['id']}")))["data"]
    assert data["notify"] == {"type": "none"}
    await ok(await call(api, "delete", f"/api/v1/teams/{team}"))
    assert (await error_of(await api.get(native(team)), 404))["code"] == "team_not_found"


async def test_bad_input_is_refused_naming_the_field(api: Harness) -> None:
    """Each bad body is a 422 naming its field; unknown teams and rules are 404."""
    team, _, _ = await setup(api)
    none = {"type": "none"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "notify"),
        ({"notify": {"type": "team", "id": team}}, "notify"),
        ({"notify": {"type": "escalation", "name": "nope"}}, "notify"),
        ({"notify": {"type": "schedule"}}, "notify"),
        ({"notify": none, "timezone": "Mars/Base"}, "timezone"),
        ({"notify": none, "order": -1}, "order"),
        ({"notify": none, "name": "n" * 101}, "name"),
        ({"notify": none, "criteria": {"type": "sometimes"}}, "criteria"),
        ({"notify": none, "criteria": {"type": "match-any-condition"}}, "criteria"),
        (
            {
                "notify": none,
                "criteria": {
                    "type": "match-all-conditions",
                    "conditions": [{"field": "tags", "operation": "equals", "expectedValue": "x"}],
                },
            },
            "criteria",
        ),
        (
            {
                "notify": none,
                "criteria": {
                    "type": "match-all-conditions",
                    "conditions": [
                        {"field": "message", "operation": "matches", "expectedValue": "("}
                    ],
                },
            },
            "criteria",
        ),
        ({"notify": none, "timeRestriction": {"type": "daily"}}, "timeRestriction"),
        (
            {
                "notify": none,
                "timeRestriction": {"type": "time-of-day", "restriction": {"startHour": 25}},
            },
            "timeRestriction",
        ),
        (
            {
                "notify": none,
                "timeRestriction": {
                    "type": "weekday-and-time-of-day",
                    "restrictions": [{"startDay": "funday", "endDay": "monday"}],
                },
            },
            "timeRestriction",
        ),
        ({"notify": "none"}, "notify"),
    ]
    for body, field in cases:
        response = await api.post(native(team), json=body)
        assert (await error_of(response, 422)).get("field") == field, body
    missing_team = await api.post(native("nope"), json={"notify": none})
    assert (await error_of(missing_team, 404))["code"] == "team_not_found"
    for method, path in (
        ("get", "/x"),
        ("patch", "/x"),
        ("delete", "/x"),
        ("post", "/x/change-order"),
    ):
        body = {"order": 0} if path.endswith("order") else {}
        response = await call(api, method, native(team) + path, body)
        assert (await error_of(response, 404))["code"] == "routing_rule_not_found", (method, path)
    bad_kind = await api.get(f"{native(team)}?teamIdentifierType=email")
    assert (await error_of(bad_kind, 422))["field"] == "teamIdentifierType"


async def test_other_organizations_and_read_only_keys(api: Harness) -> None:
    """Another org's team, rule and policy are unknown; a read key reads but cannot write."""
    team, policy, _ = await setup(api)
    rule = await create(api, team, notify={"type": "escalation", "id": policy})
    other = await api.new_org()
    their_team, _, _ = await setup(api, other)
    for method, path, body in (
        ("get", native(team), None),
        ("post", native(team), {"notify": {"type": "none"}}),
        ("get", f"{native(team)}/{rule['id']}", None),
        ("get", f"{native(their_team)}/{rule['id']}", None),
        ("patch", f"{native(their_team)}/{rule['id']}", {"name": "x"}),
        ("delete", f"{native(their_team)}/{rule['id']}", None),
        ("get", f"{og(team)}/{rule['id']}", None),
    ):
        assert (await call(api, method, path, body, org=other)).status_code == 404, (method, path)
    stolen = await call(
        api, "post", native(their_team), {"notify": {"type": "escalation", "id": policy}}, org=other
    )
    assert (await error_of(stolen, 422))["field"] == "notify"
    assert (await ok(await api.get(f"{native(team)}/{rule['id']}")))["data"]["name"] == ""

    created = await ok(
        await api.post("/api/v1/api-keys", json={"name": "ro", "rights": ["read"]}), 201
    )
    reader = Org(api.org.org_id, created["data"]["key"])
    assert (await call(api, "get", native(team), org=reader)).status_code == 200
    assert (await call(api, "get", og(team), org=reader)).status_code == 200
    for method, path, body in (
        ("post", native(team), {"notify": {"type": "none"}}),
        ("patch", f"{native(team)}/{rule['id']}", {"name": "x"}),
        ("delete", f"{native(team)}/{rule['id']}", None),
        ("post", f"{native(team)}/{rule['id']}/change-order", {"order": 0}),
        ("post", og(team), {"notify": {"type": "none"}}),
        ("patch", f"{og(team)}/{rule['id']}", {"name": "x"}),
    ):
        assert (await call(api, method, path, body, org=reader)).status_code == 403, (method, path)


# -- Opsgenie API --------------------------------------------------------------------------


async def test_opsgenie_routing_rule_lifecycle(api: Harness) -> None:
    """The Go SDK's calls by team name: create, list, get, update, change-order, delete."""
    _, policy, _ = await setup(api)
    weekdays = {
        "type": "weekday-and-time-of-day",
        "restrictions": [
            {
                "startDay": "monday",
                "startHour": 9,
                "startMin": 0,
                "endDay": "friday",
                "endHour": 24,
                "endMin": 0,
            }
        ],
    }
    body = {
        "name": "business hours",
        "order": 0,
        "timezone": "America/New_York",
        "criteria": {
            "type": "match-any-condition",
            "conditions": [
                {
                    "field": "extra-properties",
                    "key": "region",
                    "not": True,
                    "operation": "equals",
                    "expectedValue": "eu",
                },
                {"field": "tags", "operation": "contains", "expectedValue": "db"},
            ],
        },
        "timeRestriction": weekdays,
        "notify": {"type": "escalation", "name": "DB"},
    }
    created = await ok(await api.post(f"{og('Ops')}?teamIdentifierType=name", json=body), 201)
    assert {"took", "requestId"} <= set(created)
    rule_id = created["data"]["id"]
    assert (created["result"], created["data"]["name"]) == ("Created", "business hours")
    second = await ok(
        await api.post(
            f"{og('ops')}?teamIdentifierType=name",
            json={"name": "rest", "notify": {"type": "none"}},
        ),
        201,
    )

    got = (await ok(await api.get(f"{og('Ops')}/{rule_id}?teamIdentifierType=name")))["data"]
    assert got["notify"] == {"type": "escalation", "id": policy, "name": "DB"}
    assert (got["isDefault"], got["order"], got["timezone"]) == (False, 0, "America/New_York")
    assert got["timeRestriction"] == weekdays
    assert got["criteria"]["conditions"][0] == {
        "field": "extra-properties",
        "key": "region",
        "not": True,
        "operation": "equals",
        "expectedValue": "eu",
        "order": 0,
    }
    listed = (await ok(await api.get(f"{og('Ops')}?teamIdentifierType=name")))["data"]
    assert [r["name"] for r in listed] == ["business hours", "rest"]
    assert "createdAt" not in listed[0]

    updated = await ok(
        await call(
            api, "patch", f"{og('Ops')}/{rule_id}?teamIdentifierType=name", {"name": "office"}
        )
    )
    assert (updated["result"], updated["data"]) == ("Updated", {"id": rule_id, "name": "office"})
    changed = await ok(
        await api.post(
            f"{og('Ops')}/{rule_id}/change-order?teamIdentifierType=name", json={"order": 1}
        )
    )
    assert changed["result"] == "Changed"
    listed = (await ok(await api.get(f"{og('Ops')}?teamIdentifierType=name")))["data"]
    assert [r["id"] for r in listed] == [second["data"]["id"], rule_id]
    deleted = await call(api, "delete", f"{og('Ops')}/{rule_id}?teamIdentifierType=name")
    assert (await ok(deleted))["result"] == "Deleted"


async def test_opsgenie_errors_have_opsgenie_shape(api: Harness) -> None:
    """Unknown teams and rules, and bad bodies, answer {message, took, requestId}."""
    team, _, _ = await setup(api)
    for method, path, body, status in (
        ("get", og("nope"), None, 404),
        ("get", f"{og(team)}/nope", None, 404),
        ("post", og(team), {"notify": {"type": "escalation", "name": "nope"}}, 422),
        ("post", og(team), {"name": "x"}, 422),
        ("post", f"{og(team)}/nope/change-order", {}, 422),
    ):
        response = await call(api, method, path, body)
        assert response.status_code == status, (path, await response.get_data())
        error = await response.get_json()
        assert {"message", "took", "requestId"} <= set(error), error
        assert "code" not in error
