"""Users and teams in schedules over HTTP, on a real PostgreSQL.

Participants and override users by id or username (email), teams by id or name, owner
teams, the list filters and paging, Opsgenie's ``expand=rotation``, what removing a member
or deleting a team does to schedules, and that another organization's users and teams
are unknown here. Rotations take whole-day UTC turns since 2020.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.people import add_member, add_team
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

NATIVE = "/api/v1/schedules"
OG = "/v2/schedules"
ANA, BOB = "ana@example.com", "bob@example.com"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        yield harness


@pytest.fixture
async def ids(api: Harness) -> dict[str, str]:
    """Members ana and bob, teams Ops and Dev: ids by name."""
    return {
        "ana": await add_member(api, ANA),
        "bob": await add_member(api, BOB),
        "ops": await add_team(api, "Ops"),
        "dev": await add_team(api, "Dev"),
    }


def rotation(*participants: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "name": "primary",
        "type": "daily",
        "startDate": "2020-01-01T00:00:00Z",
        "participants": list(participants),
        **fields,
    }


def user(username: str) -> dict[str, str]:
    return {"type": "user", "username": username}


def team(name: str) -> dict[str, str]:
    return {"type": "team", "name": name}


async def create(
    api: Harness,
    *rotations: dict[str, Any],
    base: str = NATIVE,
    org: Org | None = None,
    **body: Any,
) -> dict[str, Any]:
    payload = {"name": "ops", "timezone": "UTC", "rotations": list(rotations), **body}
    response = await api.post(base, json=payload, org=org)
    assert response.status_code == 201, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def data(api: Harness, path: str, org: Org | None = None) -> Any:
    response = await api.get(path, org=org)
    assert response.status_code == 200, await response.get_data()
    return (await response.get_json())["data"]


async def refused(response: Any, field: str) -> str:
    """Assert a 422 naming ``field`` (native or Opsgenie shape); the message."""
    assert response.status_code == 422, await response.get_data()
    body = await response.get_json()
    assert field == body.get("field") or field in body.get("errors", {}), body
    message: str = body["message"]
    return message


async def test_users_and_teams_take_turns(api: Harness, ids: dict[str, str]) -> None:
    """A team in a rotation is on call as the team: ``{type: team, id, name}``."""
    by_name = rotation(team("ops"), user(ANA))  # team names ignore case
    sid = (await create(api, by_name, ownerTeam={"name": "Ops"}))["id"]
    schedule = await data(api, f"{NATIVE}/{sid}")
    assert schedule["ownerTeam"] == {"id": ids["ops"], "name": "Ops"}
    assert schedule["rotations"][0]["participants"] == [
        {"type": "team", "id": ids["ops"], "name": "Ops"},
        {"type": "user", "id": ids["ana"], "username": ANA},
    ]
    # 2020-01-01 is turn 0 (the team), 2020-01-02 turn 1 (ana).
    first = await data(api, f"{NATIVE}/{sid}/on-calls?date=2020-01-01T12:00:00Z")
    assert (first["users"], first["participants"]) == (
        [],
        [{"type": "team", "id": ids["ops"], "name": "Ops"}],
    )
    og = await data(api, f"{OG}/{sid}/on-calls?date=2020-01-01T12:00:00Z")
    assert og["onCallParticipants"] == [{"id": ids["ops"], "name": "Ops", "type": "team"}]
    flat = await data(api, f"{OG}/{sid}/on-calls?flat=true&date=2020-01-02T12:00:00Z")
    assert flat["onCallRecipients"] == [ANA]
    periods = await data(
        api, f"{NATIVE}/{sid}/timeline?date=2020-01-01T00:00:00Z&interval=2&intervalUnit=days"
    )
    assert [p["participants"][0]["type"] for p in periods["periods"]] == ["team", "user"]


async def test_ids_work_as_well_as_names(api: Harness, ids: dict[str, str]) -> None:
    """Participants, owner team and override users can be given by id."""
    by_id = rotation({"type": "team", "id": ids["dev"]}, {"type": "user", "id": ids["bob"]})
    created = await create(api, by_id, ownerTeam={"id": ids["dev"]})
    assert [p["id"] for p in created["rotations"][0]["participants"]] == [ids["dev"], ids["bob"]]
    assert created["ownerTeam"] == {"id": ids["dev"], "name": "Dev"}
    override = {
        "alias": "cover",
        "user": {"type": "user", "id": ids["ana"]},
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2099-01-01T00:00:00Z",
    }
    response = await api.post(f"{NATIVE}/{created['id']}/overrides", json=override)
    assert response.status_code == 201, await response.get_data()
    assert (await response.get_json())["data"]["user"] == {
        "type": "user",
        "id": ids["ana"],
        "username": ANA,
    }


async def test_a_team_can_take_over(api: Harness, ids: dict[str, str]) -> None:
    """An override's ``user`` may be a team (Opsgenie): the team is on call instead."""
    sid = (await create(api, rotation(user(ANA)), base=OG))["id"]
    override = {
        "user": {"type": "team", "name": "Dev"},
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2099-01-01T00:00:00Z",
    }
    response = await api.post(f"{OG}/{sid}/overrides", json=override)
    assert response.status_code == 201, await response.get_data()
    alias = (await response.get_json())["data"]["alias"]
    got = await data(api, f"{OG}/{sid}/overrides/{alias}")
    assert got["user"] == {"type": "team", "id": ids["dev"], "name": "Dev"}
    on_call = await data(api, f"{OG}/{sid}/on-calls?flat=true")
    assert on_call["onCallRecipients"] == ["Dev"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"rotations": [rotation(user("zed@example.com"))]}, "participants", "User 'zed@"),
        ({"rotations": [rotation(team("Web"))]}, "participants", "Team 'Web'"),
        ({"rotations": [rotation({"type": "team"})]}, "participants", "needs an id"),
        (
            {"rotations": [rotation({"type": "escalation", "name": "esc"})]},
            "participants",
            "give it a rule whose recipient is this schedule",
        ),
        ({"rotations": [rotation({"type": "group", "id": "g"})]}, "participants", "user, team"),
        ({"ownerTeam": {"name": "Web"}}, "ownerTeam", "Team 'Web'"),
        ({"ownerTeam": "Web"}, "ownerTeam", "Team 'Web'"),
    ],
)
@pytest.mark.parametrize("base", [NATIVE, OG])
async def test_unknown_users_and_teams_are_422_naming_the_field(
    api: Harness, ids: dict[str, str], base: str, body: dict[str, Any], field: str, message: str
) -> None:
    """Strangers, teams that do not exist and escalations are refused with the field."""
    response = await api.post(base, json={"name": "ops", "timezone": "UTC", **body})
    assert message in await refused(response, field)


async def test_bad_override_users_and_owner_updates(api: Harness, ids: dict[str, str]) -> None:
    """Unknown override users (user or team) and owner teams are 422; a known owner is set."""
    sid = (await create(api, rotation(user(ANA))))["id"]
    window = {"startDate": "2020-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z"}
    for who in (user("zed@example.com"), team("Web"), {"type": "escalation", "name": "e"}):
        response = await api.post(f"{NATIVE}/{sid}/overrides", json={"user": who, **window})
        await refused(response, "user")
    response = await api.client.patch(
        f"{OG}/{sid}", json={"ownerTeam": {"name": "Web"}}, headers=api.org.headers
    )
    await refused(response, "ownerTeam")
    response = await api.client.patch(
        f"{OG}/{sid}", json={"ownerTeam": {"name": "Dev"}}, headers=api.org.headers
    )
    assert response.status_code == 200, await response.get_data()
    assert (await data(api, f"{NATIVE}/{sid}"))["ownerTeam"] == {"id": ids["dev"], "name": "Dev"}
    response = await api.client.patch(
        f"{NATIVE}/{sid}", json={"ownerTeam": ""}, headers=api.org.headers
    )
    assert "ownerTeam" not in (await response.get_json())["data"]


async def test_another_organizations_people_are_unknown_here(
    api: Harness, ids: dict[str, str]
) -> None:
    """Another organization's user and team ids (and names) are 422 here, and vice versa."""
    other = await api.new_org()
    zed = await add_member(api, "zed@other.example", other)
    web = await add_team(api, "Web", other)
    for body, field in [
        ({"rotations": [rotation({"type": "user", "id": zed})]}, "participants"),
        ({"rotations": [rotation(user("zed@other.example"))]}, "participants"),
        ({"rotations": [rotation({"type": "team", "id": web})]}, "participants"),
        ({"ownerTeam": {"id": web}}, "ownerTeam"),
    ]:
        response = await api.post(NATIVE, json={"name": "ops", "timezone": "UTC", **body})
        await refused(response, field)
    theirs = {"name": "ops", "timezone": "UTC", "rotations": [rotation(team("Ops"))]}
    await refused(await api.post(NATIVE, json=theirs, org=other), "participants")
    assert (await api.get(f"/api/v1/users/{zed}/on-call")).status_code == 404


async def test_list_by_owner_team_with_paging(api: Harness, ids: dict[str, str]) -> None:
    """The native list filters by owner team (id or name) and pages by name with a cursor."""
    for name, owner in [("a", "Ops"), ("b", "Dev"), ("c", "Ops"), ("d", None), ("e", "Ops")]:
        await create(api, name=name, **({"ownerTeam": {"name": owner}} if owner else {}))
    listed = await (await api.get(f"{NATIVE}?team=ops")).get_json()
    assert ([s["name"] for s in listed["data"]], listed["next_cursor"]) == (["a", "c", "e"], None)
    assert [s["name"] for s in await data(api, f"{NATIVE}?team={ids['dev']}")] == ["b"]
    assert await data(api, f"{NATIVE}?team=nobody") == []
    names, cursor = [], ""
    while cursor is not None:
        page = await (await api.get(f"{NATIVE}?limit=2&cursor={cursor}")).get_json()
        assert len(page["data"]) <= 2
        names += [s["name"] for s in page["data"]]
        cursor = page["next_cursor"]
    assert names == ["a", "b", "c", "d", "e"]
    page = await (await api.get(f"{NATIVE}?team=Ops&limit=2")).get_json()
    rest = await data(api, f"{NATIVE}?team=Ops&limit=2&cursor={page['next_cursor']}")
    assert [s["name"] for s in page["data"] + rest] == ["a", "c", "e"]
    for query, field in [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit")]:
        await refused(await api.get(f"{NATIVE}?{query}"), field)
    await refused(await api.get(f"{NATIVE}?cursor=%%%"), "cursor")
    await refused(await api.get(f"{NATIVE}?cursor=bm9wZQ"), "cursor")


async def test_opsgenie_list_expands_rotations_only_when_asked(
    api: Harness, ids: dict[str, str]
) -> None:
    """``GET /v2/schedules`` answers Opsgenie's shape; ``expand=rotation`` inlines rotations."""
    await create(api, rotation(user(ANA)), ownerTeam={"name": "Ops"})
    plain = await (await api.get(OG)).get_json()
    assert {"data", "expandable", "took", "requestId"} == set(plain)
    assert plain["expandable"] == ["rotation"]
    assert plain["data"] == [
        {
            "id": plain["data"][0]["id"],
            "name": "ops",
            "description": "",
            "timezone": "UTC",
            "enabled": True,
            "ownerTeam": {"id": ids["ops"], "name": "Ops"},
        }
    ]
    expanded = await data(api, f"{OG}?expand=rotation")
    assert [r["participants"] for r in expanded[0]["rotations"]] == [
        [{"type": "user", "id": ids["ana"], "username": ANA}]
    ]


async def test_removing_a_member_takes_them_off_rotations(
    api: Harness, ids: dict[str, str]
) -> None:
    """Deleting a user removes them from rotations (turns re-deal) and their overrides."""
    both = rotation(user(ANA), user(BOB), startDate="2020-01-02T00:00:00Z")
    only_ana = rotation(user(ANA), name="solo")
    sid = (await create(api, both, only_ana))["id"]
    override = {
        "alias": "cover",
        "user": user(ANA),
        "startDate": "2098-01-01T00:00:00Z",
        "endDate": "2099-01-01T00:00:00Z",
    }
    assert (await api.post(f"{NATIVE}/{sid}/overrides", json=override)).status_code == 201
    removed = await api.client.delete(f"/api/v1/users/{ids['ana']}", headers=api.org.headers)
    assert removed.status_code == 200, await removed.get_data()
    schedule = await data(api, f"{NATIVE}/{sid}")
    assert [r["participants"] for r in schedule["rotations"]] == [
        [{"type": "user", "id": ids["bob"], "username": BOB}],
        [{"type": "none"}],
    ]
    assert schedule["overrides"] == []
    on_call = await data(api, f"{NATIVE}/{sid}/on-calls")
    assert on_call["users"] == [ids["bob"]]


async def test_deleting_a_team_takes_it_off_schedules(api: Harness, ids: dict[str, str]) -> None:
    """A deleted team leaves rotations and the schedules it owned keep no owner."""
    sid = (await create(api, rotation(team("Ops"), user(BOB)), ownerTeam={"name": "Ops"}))["id"]
    other = (await create(api, rotation(user(BOB)), name="db", ownerTeam={"name": "Dev"}))["id"]
    deleted = await api.client.delete(f"/api/v1/teams/{ids['ops']}", headers=api.org.headers)
    assert deleted.status_code == 200, await deleted.get_data()
    schedule = await data(api, f"{NATIVE}/{sid}")
    assert "ownerTeam" not in schedule
    assert schedule["rotations"][0]["participants"] == [
        {"type": "user", "id": ids["bob"], "username": BOB}
    ]
    assert (await data(api, f"{NATIVE}/{other}"))["ownerTeam"]["name"] == "Dev"
    assert [s["name"] for s in await data(api, f"{NATIVE}?team=Dev")] == ["db"]
