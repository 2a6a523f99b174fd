"""A new team's default resources over HTTP, and Terraform's ``delete_default_resources``.

``POST /v2/teams`` gives a team Opsgenie's ``<team>_schedule``, ``<team>_escalation`` and
"Default Routing Rule"; the native ``POST /api/v1/teams`` only with
``"defaultResources": true``. The Terraform test replays, request by request, what the
``opsgenie_team`` resource of terraform-provider-opsgenie does on create with
``delete_default_resources = true``, then pages through the team.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.people import add_member
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

OG = "/v2/teams"
CLOCK = "/api/v1/_test/clock"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_clock=True) as harness:
        yield harness


async def call(
    api: Harness, method: str, path: str, json: Any = None, org: Org | None = None
) -> Any:
    return await getattr(api.client, method)(path, json=json, headers=(org or api.org).headers)


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, await response.get_data()
    return await response.get_json()


async def og_team(api: Harness, name: str, *members: str, org: Org | None = None) -> str:
    """Create team ``name`` through /v2 with ``members`` (account ids); its id."""
    body = {"name": name, "members": [{"user": {"id": m}, "role": "user"} for m in members]}
    created = await ok(await api.post(OG, json=body, org=org), 201)
    team_id: str = created["data"]["id"]
    return team_id


async def owned(api: Harness, team: str, org: Org | None = None) -> tuple[list[Any], list[Any]]:
    """The /v2 schedules (with rotations) and escalations whose owner team is ``team`` (a name)."""
    schedules = (await ok(await api.get("/v2/schedules?expand=rotation", org=org)))["data"]
    policies = (await ok(await api.get("/v2/escalations", org=org)))["data"]
    mine = [s for s in schedules if s.get("ownerTeam", {}).get("name") == team]
    return mine, [p for p in policies if p.get("ownerTeam", {}).get("name") == team]


async def log_of(api: Harness, alias: str, kind: str) -> list[dict[str, Any]]:
    """The ``kind`` events of the paging log of the alert with ``alias``."""
    path = f"/api/v1/alerts/{alias}/notifications?identifierType=alias"
    entries = (await ok(await api.get(path)))["data"]["log"]
    return [e["event"] for e in entries if e["type"] == kind]


async def og_alert(api: Harness, alias: str, team: str) -> None:
    body = {"message": alias, "alias": alias, "responders": [{"name": team, "type": "team"}]}
    await ok(await api.post("/v2/alerts", json=body), 202)


async def advance(api: Harness, minutes: float) -> None:
    await ok(await api.post(CLOCK, json={"advance_seconds": minutes * 60}))


# -- what a new team gets -----------------------------------------------------------------


async def test_a_v2_team_gets_opsgenies_default_resources(api: Harness) -> None:
    """ops_schedule (weekly, its members), ops_escalation (3 rules) and the default rule."""
    bob = await add_member(api, "bob@example.com")
    ann = await add_member(api, "ann@example.com")
    team = await og_team(api, "ops", bob, ann)
    [schedule], [policy] = await owned(api, "ops")
    assert (schedule["name"], schedule["timezone"], schedule["enabled"]) == (
        "ops_schedule",
        "UTC",
        True,
    )
    assert schedule["ownerTeam"] == {"id": team, "name": "ops"}
    [rotation] = schedule["rotations"]
    assert (rotation["type"], rotation["length"]) == ("weekly", 1)
    assert [p["id"] for p in rotation["participants"]] == [bob, ann]
    assert policy["name"] == "ops_escalation"
    assert policy["ownerTeam"] == {"id": team, "name": "ops"}
    on_call = {"type": "schedule", "id": schedule["id"], "name": "ops_schedule"}
    assert policy["rules"] == [
        {
            "condition": "if-not-acked",
            "notifyType": "default",
            "delay": {"timeAmount": 0, "timeUnit": "minutes"},
            "recipient": on_call,
        },
        {
            "condition": "if-not-acked",
            "notifyType": "next",
            "delay": {"timeAmount": 5, "timeUnit": "minutes"},
            "recipient": on_call,
        },
        {
            "condition": "if-not-acked",
            "notifyType": "default",
            "delay": {"timeAmount": 10, "timeUnit": "minutes"},
            "recipient": {"type": "team", "id": team, "name": "ops"},
        },
    ]
    rules = (await ok(await api.get(f"{OG}/ops/routing-rules?teamIdentifierType=name")))["data"]
    assert rules == [
        {
            "id": rules[0]["id"],
            "name": "Default Routing Rule",
            "isDefault": True,
            "order": 0,
            "criteria": {"type": "match-all", "conditions": []},
            "timezone": "UTC",
            "notify": {"type": "escalation", "id": policy["id"], "name": "ops_escalation"},
        }
    ]
    got = await ok(await api.get(f"{OG}/{team}"))
    assert [m["user"]["id"] for m in got["data"]["members"]] == [bob, ann]


async def test_an_alert_for_the_team_follows_the_default_rule_and_escalates(
    api: Harness,
) -> None:
    """On call (bob) at once, the next on call (ann) after 5 min, the whole team after 10."""
    bob = await add_member(api, "bob@example.com")
    ann = await add_member(api, "ann@example.com")
    await og_team(api, "ops", bob, ann)
    await og_alert(api, "db-down", "ops")
    [routed] = await log_of(api, "db-down", "RoutingDecided")
    assert (routed["rule_name"], routed["target_type"]) == ("Default Routing Rule", "escalation")
    [started] = await log_of(api, "db-down", "EscalationStarted")
    assert started["policy_id"] == routed["target_id"]
    await advance(api, 11)
    fired = await log_of(api, "db-down", "EscalationRuleFired")
    assert [(f["rule_index"], f["recipients"]) for f in fired] == [
        (0, [bob]),
        (1, [ann]),
        (2, [bob, ann]),
    ]


async def test_the_native_api_makes_them_only_when_asked(api: Harness) -> None:
    """Without ``defaultResources`` a native team has none (it pages its members)."""
    plain = await ok(await api.post("/api/v1/teams", json={"name": "dev"}), 201)
    assert await owned(api, "dev") == ([], [])
    rules = f"/api/v1/teams/{plain['data']['id']}/routing-rules"
    assert (await ok(await api.get(rules)))["data"] == []
    asked = await ok(
        await api.post("/api/v1/teams", json={"name": "web", "defaultResources": True}), 201
    )
    [schedule], [policy] = await owned(api, "web")
    assert (schedule["name"], policy["name"]) == ("web_schedule", "web_escalation")
    participants = schedule["rotations"][0]["participants"]
    assert [(p["type"], p["id"]) for p in participants] == [("team", asked["data"]["id"])]
    [rule] = (await ok(await api.get("/api/v1/teams/web/routing-rules?teamIdentifierType=name")))[
        "data"
    ]
    assert (rule["name"], rule["isDefault"], rule["teamId"]) == (
        "Default Routing Rule",
        True,
        asked["data"]["id"],
    )
    for bad in ({"name": "x", "defaultResources": "yes"}, {"name": "y", "defaultResources": 1}):
        response = await api.post("/api/v1/teams", json=bad)
        body = await ok(response, 422)
        assert body["field"] == "defaultResources", body
    names = [t["name"] for t in (await ok(await api.get("/api/v1/teams")))["data"]]
    assert names == ["dev", "web"]


async def test_names_in_use_get_a_suffix_and_a_deleted_team_leaves_its_resources(
    api: Harness,
) -> None:
    """A schedule called ops_schedule already: the team's is ops_schedule_2. Deleting the
    team leaves its schedule and policy without an owner; a new ops gets _2 names."""
    first = await ok(await api.post("/v2/schedules", json={"name": "ops_schedule"}), 201)
    await og_team(api, "ops")
    [schedule], [policy] = await owned(api, "ops")
    assert (schedule["name"], policy["name"]) == ("ops_schedule_2", "ops_escalation")
    await ok(await call(api, "delete", f"{OG}/ops?identifierType=name"))
    assert await owned(api, "ops") == ([], [])
    kept = await ok(await api.get(f"/v2/schedules/{schedule['id']}"))
    assert "ownerTeam" not in kept["data"]
    kept = await ok(await api.get(f"/v2/escalations/{policy['id']}"))
    assert "ownerTeam" not in kept["data"]
    assert [r["recipient"]["type"] for r in kept["data"]["rules"]] == ["schedule", "schedule"]
    await og_team(api, "OPS")
    [schedule], [policy] = await owned(api, "OPS")
    assert (schedule["name"], policy["name"]) == ("OPS_schedule_3", "OPS_escalation_2")
    assert first["data"]["name"] == "ops_schedule"


async def test_a_refused_team_leaves_nothing_behind(api: Harness) -> None:
    """A stranger among the members: 422, and no team, schedule, policy or rule."""
    body = {"name": "ops", "members": [{"user": {"username": "zed@example.com"}}]}
    response = await api.post(OG, json=body)
    assert (await ok(response, 422))["errors"] == {
        "members": "User 'zed@example.com' does not exist"
    }
    assert (await ok(await api.get(OG)))["data"] == []
    assert (await ok(await api.get("/v2/schedules")))["data"] == []
    assert (await ok(await api.get("/v2/escalations")))["data"] == []


# -- the default routing rule ---------------------------------------------------------------


async def test_the_default_rule_stays_last_and_cannot_be_deleted_or_moved(api: Harness) -> None:
    """New and moved rules go before it; DELETE and change-order of it are 409; PATCH works."""
    await og_team(api, "ops")
    rules = f"{OG}/ops/routing-rules"
    q = "?teamIdentifierType=name"
    [default] = (await ok(await api.get(rules + q)))["data"]
    body = {"name": "quiet", "order": 5, "notify": {"type": "none"}}
    quiet = await ok(await api.post(rules + q, json=body), 201)
    listed = (await ok(await api.get(rules + q)))["data"]
    assert [(r["name"], r["order"], r["isDefault"]) for r in listed] == [
        ("quiet", 0, False),
        ("Default Routing Rule", 1, True),
    ]
    deleted = await call(api, "delete", f"{rules}/{default['id']}{q}")
    assert deleted.status_code == 409
    assert "cannot be deleted" in (await deleted.get_json())["message"]
    moved = await api.post(f"{rules}/{default['id']}/change-order{q}", json={"order": 0})
    assert moved.status_code == 409
    native = f"/api/v1/teams/ops/routing-rules/{default['id']}{q}"
    refused = await call(api, "delete", native)
    assert (await ok(refused, 409))["code"] == "default_routing_rule"
    down = await api.post(f"{rules}/{quiet['data']['id']}/change-order{q}", json={"order": 9})
    await ok(down)
    patched = await call(api, "patch", f"{rules}/{default['id']}{q}", {"notify": {"type": "none"}})
    assert (await ok(patched))["data"] == {"id": default["id"], "name": "Default Routing Rule"}
    narrow = {
        "criteria": {
            "type": "match-all-conditions",
            "conditions": [{"field": "priority", "operation": "equals", "expectedValue": "P1"}],
        }
    }
    refused = await call(api, "patch", f"{rules}/{default['id']}{q}", narrow)
    assert (await ok(refused, 422))["errors"] == {
        "criteria": "the default routing rule matches every alert (match-all)"
    }
    got = await ok(await api.get(f"{rules}/{default['id']}{q}"))
    assert (got["data"]["notify"], got["data"]["order"]) == ({"type": "none"}, 1)


async def test_another_organizations_team_and_resources_are_out_of_reach(api: Harness) -> None:
    """Their default rule is 404 here; their schedule and policy are not listed here."""
    other = await api.new_org()
    await og_team(api, "ops", org=other)
    [rule] = (
        await ok(await api.get(f"{OG}/ops/routing-rules?teamIdentifierType=name", org=other))
    )["data"]
    assert await owned(api, "ops") == ([], [])
    path = f"{OG}/ops/routing-rules/{rule['id']}?teamIdentifierType=name"
    for method, body in (("get", None), ("patch", {"notify": {"type": "none"}}), ("delete", None)):
        response = await call(api, method, path, body)
        assert response.status_code == 404, (method, await response.get_data())
    await og_team(api, "ops")  # the same name here is another team
    [mine] = (await ok(await api.get(f"{OG}/ops/routing-rules?teamIdentifierType=name")))["data"]
    assert mine["id"] != rule["id"]
    response = await call(
        api, "delete", f"{OG}/ops/routing-rules/{rule['id']}?teamIdentifierType=name"
    )
    assert response.status_code == 404
    [theirs], _ = await owned(api, "ops", org=other)
    assert theirs["name"] == "ops_schedule"


# -- Terraform: opsgenie_team with delete_default_resources = true --------------------------


async def test_terraform_delete_default_resources_end_to_end(api: Harness) -> None:
    """The provider's requests in its order: create, get by name, every rule to none,
    delete the first escalation and schedule owned by the team, read. Alerts for the team
    then follow its default rule to nobody, until a routing rule of its own routes them."""
    bob = await add_member(api, "bob@example.com")
    # resourceOpsGenieTeamCreate: team.Client.Create, then Get by name
    body = {
        "name": "ops",
        "description": "managed",
        "members": [{"user": {"id": bob}, "role": "user"}],
    }
    created = await ok(await api.post(OG, json=body), 201)
    team_id = created["data"]["id"]
    got = await ok(await api.get(f"{OG}/ops?identifierType=name"))
    assert got["data"]["id"] == team_id
    # findAndUpdateDefaultRoutingRule: list by team name, PATCH each rule's notify to none
    rules = (await ok(await api.get(f"{OG}/ops/routing-rules?teamIdentifierType=name")))["data"]
    assert len(rules) == 1
    for rule in rules:
        patch = f"{OG}/ops/routing-rules/{rule['id']}?teamIdentifierType=name"
        await ok(await call(api, "patch", patch, {"notify": {"type": "none"}}))
    # findAndDeleteDefaultEscalation: the first escalation whose ownerTeam.name is the team
    escalations = (await ok(await api.get("/v2/escalations")))["data"]
    first = next(e for e in escalations if e.get("ownerTeam", {}).get("name") == "ops")
    await ok(await call(api, "delete", f"/v2/escalations/{first['id']}?identifierType=id"))
    # findAndDeleteDefaultSchedule: schedules with expand=rotation, the first the team owns
    schedules = (await ok(await api.get("/v2/schedules?expand=rotation")))["data"]
    sched = next(s for s in schedules if s.get("ownerTeam", {}).get("name") == "ops")
    await ok(await call(api, "delete", f"/v2/schedules/{sched['id']}?identifierType=id"))
    # resourceOpsGenieTeamRead: Get by id
    read = await ok(await api.get(f"{OG}/{team_id}?identifierType=id"))
    assert [m["user"]["id"] for m in read["data"]["members"]] == [bob]
    assert await owned(api, "ops") == ([], [])

    # An alert for the team: the default rule (notify none) routes it to nobody.
    await og_alert(api, "before", "ops")
    [routed] = await log_of(api, "before", "RoutingDecided")
    assert (routed["rule_name"], routed["target_type"]) == ("Default Routing Rule", "none")
    assert await log_of(api, "before", "EscalationStarted") == []

    # opsgenie_escalation (owned by the team) + opsgenie_team_routing_rule, as users add.
    policy = {
        "name": "ops-primary",
        "ownerTeam": {"name": "ops"},
        "rules": [
            {
                "condition": "if-not-acked",
                "notifyType": "default",
                "delay": {"timeAmount": 0},
                "recipient": {"type": "user", "id": bob, "username": ""},
            }
        ],
    }
    made = await ok(await api.post("/v2/escalations", json=policy), 201)
    routing = {
        "name": "everything",
        "order": 0,
        "criteria": {"type": "match-all"},
        "notify": {"type": "escalation", "name": "ops-primary"},
    }
    await ok(
        await api.post(f"{OG}/{team_id}/routing-rules?teamIdentifierType=id", json=routing), 201
    )
    await og_alert(api, "after", "ops")
    [routed] = await log_of(api, "after", "RoutingDecided")
    assert (routed["rule_name"], routed["target_id"]) == ("everything", made["data"]["id"])
    [fired] = await log_of(api, "after", "EscalationRuleFired")
    assert fired["recipients"] == [bob]
