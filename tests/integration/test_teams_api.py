"""Teams over HTTP (native /api/v1/teams and Opsgenie /v2/teams) over a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from engine import SYSTEM, AddMember
from tests.helpers.app import Harness, Org, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

TEAMS = "/api/v1/teams"
OG = "/v2/teams"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, cookie_secure=False) as harness:
        yield harness


async def call(
    api: Harness,
    method: str,
    path: str,
    json: Any = None,
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> Any:
    return await getattr(api.client, method)(
        path, json=json, headers=headers or api.org.headers, **kw
    )


async def create_team(api: Harness, name: str = "Ops", **body: Any) -> dict[str, Any]:
    response = await api.post(TEAMS, json={"name": name, **body})
    assert response.status_code == 201, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def error_of(response: Any, status: int) -> dict[str, Any]:
    """The JSON error body of ``response``, after checking its status and shape."""
    assert response.status_code == status, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    assert {"code", "message", "request_id"} <= set(body), body
    return body


async def signed_in_org(api: Harness) -> tuple[dict[str, str], str, str]:
    """Register Ada (owner of a new organization) and add Bob as a member of it.

    Returns Ada's bearer headers, the organization id and Bob's account id.
    """
    response = await api.client.post(
        "/api/v1/auth/register",
        json={
            "email": "ada@example.com",
            "password": "correct horse battery",
            "name": "Ada",
            "organization": "Acme",
        },
    )
    assert response.status_code == 201, await response.get_data()
    body = await response.get_json()
    org_id = body["organization"]["id"]
    bob = AddMember(
        account_id="bob-1", email="bob@example.com", name="Bob", role="member", actor_role="owner"
    )
    await api.services.supervisor.submit(org_id, bob, SYSTEM)
    return {"Authorization": f"Bearer {body['access_token']}"}, org_id, body["user"]["id"]


# -- native API ----------------------------------------------------------------------------


async def test_team_crud(api: Harness) -> None:
    """Create, get by id and by name, list, rename, re-describe and delete a team."""
    team = await create_team(api, "Ops", description="on call")
    assert {k: team[k] for k in ("name", "description", "members")} == {
        "name": "Ops",
        "description": "on call",
        "members": [],
    }
    by_id = await api.get(f"{TEAMS}/{team['id']}")
    by_name = await api.get(f"{TEAMS}/ops?identifierType=name")
    assert (await by_id.get_json())["data"] == team
    assert (await by_name.get_json())["data"] == team
    await create_team(api, "Dev")
    listed = (await (await api.get(TEAMS)).get_json())["data"]
    assert [t["name"] for t in listed] == ["Ops", "Dev"]
    patched = await call(api, "patch", f"{TEAMS}/{team['id']}", {"name": "SRE"})
    assert (await patched.get_json())["data"]["name"] == "SRE"
    assert (await patched.get_json())["data"]["description"] == "on call"
    patched = await call(api, "patch", f"{TEAMS}/SRE?identifierType=name", {"description": ""})
    assert (await patched.get_json())["data"]["description"] == ""
    deleted = await call(api, "delete", f"{TEAMS}/{team['id']}")
    assert (await deleted.get_json())["result"] == "deleted"
    gone = await error_of(await api.get(f"{TEAMS}/{team['id']}"), 404)
    assert gone["code"] == "team_not_found"


async def test_team_names_are_unique_ignoring_case(api: Harness) -> None:
    """Creating or renaming to a name in use is 409 team_exists."""
    await create_team(api, "Ops")
    dev = await create_team(api, "Dev")
    assert (await error_of(await api.post(TEAMS, json={"name": "OPS"}), 409))[
        "code"
    ] == "team_exists"
    renamed = await call(api, "patch", f"{TEAMS}/{dev['id']}", {"name": "ops"})
    assert (await error_of(renamed, 409))["code"] == "team_exists"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/nope", None),
        ("patch", "/nope", {"name": "x"}),
        ("delete", "/nope", None),
        ("get", "/nope/members", None),
        ("post", "/nope/members", {"user_id": "u"}),
        ("patch", "/nope/members/u", {"role": "admin"}),
        ("delete", "/nope/members/u", None),
        ("get", "/Ops?identifierType=id", None),
    ],
)
async def test_unknown_teams_are_404(api: Harness, method: str, path: str, body: Any) -> None:
    """Every team route answers team_not_found for an id (or name) no team has."""
    await create_team(api, "Ops")
    error = await error_of(await call(api, method, TEAMS + path, body), 404)
    assert error["code"] == "team_not_found"


async def test_a_bad_identifier_type_is_422(api: Harness) -> None:
    team = await create_team(api)
    error = await error_of(await api.get(f"{TEAMS}/{team['id']}?identifierType=tiny"), 422)
    assert (error["code"], error["field"]) == ("invalid_field", "identifierType")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "", {}, "name"),
        ("post", "", {"name": ""}, "name"),
        ("post", "", {"name": "a/b"}, "name"),
        ("post", "", {"name": 5}, "name"),
        ("post", "", {"name": "x", "description": ["no"]}, "description"),
        ("patch", "/{team}", {"name": "  "}, "name"),
        ("patch", "/{team}", {"description": 1}, "description"),
        ("post", "/{team}/members", {}, "user_id"),
        ("post", "/{team}/members", {"user_id": "{user}", "role": "boss"}, "role"),
        ("patch", "/{team}/members/{user}", {}, "role"),
        ("patch", "/{team}/members/{user}", {"role": "owner"}, "role"),
    ],
)
async def test_bad_input_to_every_write_is_422_naming_the_field(
    api: Harness, method: str, path: str, body: Any, field: str
) -> None:
    """Missing, mistyped or invalid fields are 422 invalid_field with the field named."""
    headers, _, user = await signed_in_org(api)
    created = await api.client.post(TEAMS, json={"name": "Ops"}, headers=headers)
    team = (await created.get_json())["data"]["id"]
    added = await api.client.post(
        f"{TEAMS}/{team}/members", json={"user_id": user}, headers=headers
    )
    assert added.status_code == 201
    filled = {k: v.format(user=user) if isinstance(v, str) else v for k, v in body.items()}
    response = await call(api, method, TEAMS + path.format(team=team, user=user), filled, headers)
    error = await error_of(response, 422)
    assert (error["code"], error["field"]) == ("invalid_field", field)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", ""),
        ("patch", "/{team}"),
        ("post", "/{team}/members"),
        ("patch", "/{team}/members/u"),
    ],
)
async def test_non_json_bodies_are_400(api: Harness, method: str, path: str) -> None:
    """A body that is not JSON (or is empty) is 400 invalid_json."""
    team = (await create_team(api))["id"]
    for data in (b"not json", b""):
        response = await getattr(api.client, method)(
            TEAMS + path.format(team=team), data=data, headers=api.org.headers
        )
        assert (await error_of(response, 400))["code"] == "invalid_json"


async def test_members_carry_the_account_and_the_team_role(api: Harness) -> None:
    """Add, list, re-role and remove members; strangers and repeats are refused."""
    headers, _, ada = await signed_in_org(api)
    created = await api.client.post(TEAMS, json={"name": "Ops"}, headers=headers)
    team = (await created.get_json())["data"]["id"]
    members = f"{TEAMS}/{team}/members"
    first = await api.client.post(members, json={"user_id": ada, "role": "admin"}, headers=headers)
    assert first.status_code == 201
    assert (await first.get_json())["data"] == {
        "user_id": ada,
        "email": "ada@example.com",
        "name": "Ada",
        "role": "admin",
    }
    second = await api.client.post(members, json={"user_id": "bob-1"}, headers=headers)
    assert (await second.get_json())["data"]["role"] == "member"
    listed = (await (await api.client.get(members, headers=headers)).get_json())["data"]
    assert [(m["user_id"], m["email"], m["role"]) for m in listed] == [
        (ada, "ada@example.com", "admin"),
        ("bob-1", "bob@example.com", "member"),
    ]
    again = await api.client.post(members, json={"user_id": "bob-1"}, headers=headers)
    assert (await error_of(again, 409))["code"] == "team_member_exists"
    stranger = await api.client.post(members, json={"user_id": "zed"}, headers=headers)
    assert (await error_of(stranger, 422))["code"] == "not_a_member"
    promoted = await call(api, "patch", f"{members}/bob-1", {"role": "admin"}, headers)
    assert (await promoted.get_json())["data"]["role"] == "admin"
    removed = await call(api, "delete", f"{members}/bob-1", None, headers)
    assert removed.status_code == 200
    twice = await call(api, "delete", f"{members}/bob-1", None, headers)
    assert (await error_of(twice, 404))["code"] == "team_member_not_found"
    team_now = await api.client.get(f"{TEAMS}/{team}", headers=headers)
    assert [m["user_id"] for m in (await team_now.get_json())["data"]["members"]] == [ada]


async def test_another_organizations_teams_are_out_of_reach(api: Harness) -> None:
    """Another organization neither lists, reads, changes nor deletes a team: 404."""
    team = await create_team(api)
    other: Org = await api.new_org()
    assert (await (await api.get(TEAMS, org=other)).get_json())["data"] == []
    for method, path, body in (
        ("get", "", None),
        ("patch", "", {"name": "Mine"}),
        ("delete", "", None),
        ("get", "/members", None),
        ("post", "/members", {"user_id": "x"}),
    ):
        response = await call(api, method, f"{TEAMS}/{team['id']}{path}", body, other.headers)
        assert (await error_of(response, 404))["code"] == "team_not_found"
    still = await api.get(f"{TEAMS}/{team['id']}")
    assert (await still.get_json())["data"]["name"] == "Ops"


async def test_a_key_without_configuration_access_reads_but_cannot_change_teams(
    api: Harness,
) -> None:
    """Team reads need read; team writes need configuration-access (403 otherwise)."""
    team = await create_team(api)
    created = await api.post("/api/v1/api-keys", json={"name": "ro", "rights": ["read"]})
    headers = {"Authorization": f"GenieKey {(await created.get_json())['data']['key']}"}
    assert (await api.client.get(TEAMS, headers=headers)).status_code == 200
    assert (
        await api.client.get(f"{TEAMS}/{team['id']}/members", headers=headers)
    ).status_code == 200
    for method, path, body in (
        ("post", "", {"name": "New"}),
        ("patch", f"/{team['id']}", {"name": "X"}),
        ("delete", f"/{team['id']}", None),
        ("post", f"/{team['id']}/members", {"user_id": "x"}),
    ):
        response = await call(api, method, TEAMS + path, body, headers)
        assert (await error_of(response, 403))["code"] == "forbidden"


# -- alerts by team ------------------------------------------------------------------------


async def test_alerts_route_to_teams_named_by_name_and_filter_by_id_or_name(
    api: Harness,
) -> None:
    """A team responder given by name is stored with the team's id; ?team= takes either."""
    ops = await create_team(api, "Ops")
    created = await api.post(
        "/api/v1/alerts",
        json={"message": "disk", "responders": [{"type": "team", "name": "ops"}]},
    )
    alert_id = (await created.get_json())["alert_id"]
    await api.post("/api/v1/alerts", json={"message": "other"})
    await api.post("/v2/alerts", json={"message": "og", "responders": [{"name": "OPS"}]})
    alert = (await (await api.get(f"/api/v1/alerts/{alert_id}")).get_json())["data"]
    assert alert["responders"] == [{"type": "team", "id": ops["id"]}]
    for team in (ops["id"], "Ops", "ops"):
        listed = (await (await api.get(f"/api/v1/alerts?team={team}")).get_json())["data"]
        assert sorted(a["message"] for a in listed) == ["disk", "og"]
    assert (await (await api.get("/api/v1/alerts?team=nobody")).get_json())["data"] == []


# -- Opsgenie API (/v2/teams) --------------------------------------------------------------


async def test_opsgenie_team_lifecycle(api: Harness) -> None:
    """Create with members, get by name, list, update (members replaced), delete."""
    headers, _, ada = await signed_in_org(api)
    created = await api.client.post(
        OG,
        json={
            "name": "Ops",
            "description": "on call",
            "members": [
                {"user": {"username": "ADA@example.com"}, "role": "admin"},
                {"user": {"id": "bob-1"}},
            ],
        },
        headers=headers,
    )
    assert created.status_code == 201, await created.get_data()
    body = await created.get_json()
    assert {"took", "requestId"} <= set(body)
    team_id = body["data"]["id"]
    assert body["data"] == {"id": team_id, "name": "Ops"}
    got = await api.client.get(f"{OG}/ops?identifierType=name", headers=headers)
    assert (await got.get_json())["data"] == {
        "id": team_id,
        "name": "Ops",
        "description": "on call",
        "members": [
            {"user": {"id": ada, "username": "ada@example.com"}, "role": "admin"},
            {"user": {"id": "bob-1", "username": "bob@example.com"}, "role": "user"},
        ],
    }
    listed = (await (await api.client.get(OG, headers=headers)).get_json())["data"]
    assert listed == [{"id": team_id, "name": "Ops", "description": "on call"}]
    updated = await call(
        api,
        "patch",
        f"{OG}/{team_id}",
        {"id": team_id, "name": "SRE", "members": [{"user": {"id": "bob-1"}, "role": "admin"}]},
        headers,
    )
    assert (await updated.get_json())["data"] == {"id": team_id, "name": "SRE"}
    got = await api.client.get(f"{OG}/{team_id}", headers=headers)
    data = (await got.get_json())["data"]
    assert (data["name"], data["description"]) == ("SRE", "on call")
    assert data["members"] == [
        {"user": {"id": "bob-1", "username": "bob@example.com"}, "role": "admin"}
    ]
    deleted = await call(api, "delete", f"{OG}/SRE?identifierType=name", None, headers)
    assert (await deleted.get_json())["result"] == "Deleted"
    missing = await api.client.get(f"{OG}/{team_id}", headers=headers)
    assert missing.status_code == 404
    assert {"message", "took", "requestId"} <= set(await missing.get_json())


async def test_opsgenie_team_members_are_added_and_removed(api: Harness) -> None:
    """POST .../members and DELETE .../members/{id|username}, by team name."""
    headers, _, _ = await signed_in_org(api)
    await api.client.post(OG, json={"name": "Ops"}, headers=headers)
    members = f"{OG}/Ops/members?teamIdentifierType=name"
    added = await api.client.post(
        members, json={"user": {"username": "bob@example.com"}, "role": "user"}, headers=headers
    )
    assert added.status_code == 200, await added.get_data()
    assert (await added.get_json())["result"] == "Added"
    got = await api.client.get(f"{OG}/Ops?identifierType=name", headers=headers)
    assert [m["user"]["id"] for m in (await got.get_json())["data"]["members"]] == ["bob-1"]
    removed = await call(
        api, "delete", f"{OG}/Ops/members/bob@example.com?teamIdentifierType=name", None, headers
    )
    assert (await removed.get_json())["result"] == "Removed"
    got = await api.client.get(f"{OG}/Ops?identifierType=name", headers=headers)
    assert (await got.get_json())["data"]["members"] == []


async def test_opsgenie_team_errors_are_in_opsgenie_shape(api: Harness) -> None:
    """Duplicate 409, unknown member 422 (and no team made), missing name 422, unknown 404."""
    await api.post(OG, json={"name": "Ops"})
    duplicate = await api.post(OG, json={"name": "ops"})
    assert duplicate.status_code == 409
    stranger = await api.post(OG, json={"name": "Dev", "members": [{"user": {"id": "zed"}}]})
    assert stranger.status_code == 422
    assert (await stranger.get_json())["errors"] == {"members": "User 'zed' does not exist"}
    listed = (await (await api.get(OG)).get_json())["data"]
    assert [t["name"] for t in listed] == ["Ops"]
    nameless = await api.post(OG, json={"description": "x"})
    assert nameless.status_code == 422
    assert "name" in (await nameless.get_json())["errors"]
    bad_role = await api.post(
        OG, json={"name": "Web", "members": [{"user": {"id": "x"}, "role": "boss"}]}
    )
    assert bad_role.status_code == 422
    not_json = await api.client.post(OG, data=b"{", headers=api.org.headers)
    assert not_json.status_code == 400
    assert {"message", "took", "requestId"} <= set(await not_json.get_json())
    unknown = await api.get(f"{OG}/nope")
    assert unknown.status_code == 404
    assert (await unknown.get_json())["message"] == "Team 'nope' does not exist"
