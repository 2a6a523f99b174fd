"""Schedules over HTTP (native /api/v1 and Opsgenie /v2) end to end over a real PostgreSQL.

Rotations here start in the past with whole-day UTC turns, so the on-call answers do
not depend on finer rotation arithmetic. ana, bob, cat and dan are members
(``<name>@example.com``); bodies name them by email (Opsgenie's username), answers by
account id and username. Teams and member removal: ``test_schedule_people.py``.
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
ROTATION = {
    "name": "primary",
    "type": "daily",
    "startDate": "2020-01-01T00:00:00Z",
    "participants": [{"type": "user", "username": "ana@example.com"}],
}
PEOPLE = ("ana", "bob", "cat", "dan")


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        yield harness


@pytest.fixture
async def ids(api: Harness) -> dict[str, str]:
    """The members ana, bob, cat and dan: account id by name."""
    return {name: await add_member(api, f"{name}@example.com") for name in PEOPLE}


async def call(
    api: Harness, method: str, path: str, json: Any = None, org: Org | None = None
) -> Any:
    headers = (org or api.org).headers
    return await getattr(api.client, method)(path, json=json, headers=headers)


async def create(api: Harness, base: str = NATIVE, **body: Any) -> dict[str, Any]:
    payload = {"name": "ops", "timezone": "Europe/Berlin", "rotations": [ROTATION], **body}
    response = await api.post(base, json=payload)
    assert response.status_code == 201, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def test_create_get_list_and_who_is_on_call(api: Harness, ids: dict[str, str]) -> None:
    """A created schedule reads back with its rotation; ana is on call; names are ids too."""
    sre = await add_team(api, "sre")
    data = await create(api, ownerTeam={"name": "sre"})
    assert {k: data[k] for k in ("name", "timezone", "enabled")} == {
        "name": "ops",
        "timezone": "Europe/Berlin",
        "enabled": True,
    }
    assert data["ownerTeam"] == {"id": sre, "name": "sre"}
    assert data["rotations"][0]["participants"] == [
        {"type": "user", "id": ids["ana"], "username": "ana@example.com"}
    ]
    by_name = await (await api.get(f"{NATIVE}/ops?identifierType=name")).get_json()
    assert data["id"] == by_name["data"]["id"]
    listed = (await (await api.get(NATIVE)).get_json())["data"]
    assert [s["name"] for s in listed] == ["ops"]
    on_calls = (await (await api.get(f"{NATIVE}/{data['id']}/on-calls")).get_json())["data"]
    assert on_calls["users"] == [ids["ana"]]
    assert on_calls["participants"] == [
        {"type": "user", "id": ids["ana"], "name": "ana@example.com"}
    ]
    past = await api.get(f"{NATIVE}/{data['id']}/on-calls?date=2019-06-01T00:00:00Z")
    assert (await past.get_json())["data"]["users"] == []
    timeline = await api.get(
        f"{NATIVE}/{data['id']}/timeline?date=2019-12-31T00:00:00Z&interval=2&intervalUnit=days"
    )
    periods = (await timeline.get_json())["data"]["periods"]
    assert [(p["users"], p["startDate"]) for p in periods] == [
        ([], "2019-12-31T00:00:00.000Z"),
        ([ids["ana"]], "2020-01-01T00:00:00.000Z"),
    ]
    for who in ("ana@example.com", ids["ana"]):
        mine = (await (await api.get(f"/api/v1/users/{who}/on-call")).get_json())["data"]
        assert ([s["name"] for s in mine["onCall"]], mine["user"]) == (["ops"], ids["ana"])
    bob = (await (await api.get(f"/api/v1/users/{ids['bob']}/on-call")).get_json())["data"]
    assert bob["onCall"] == []
    assert (await api.get("/api/v1/users/zed@example.com/on-call")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "a/b"}, "name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"enabled": "yes"}, "enabled"),
        ({"rotations": [{**ROTATION, "type": "yearly"}]}, "rotations[0].type"),
        ({"rotations": [{**ROTATION, "length": 0}]}, "length"),
        ({"rotations": [{**ROTATION, "startDate": None}]}, "startDate"),
        ({"rotations": [{**ROTATION, "participants": []}]}, "participants"),
        (
            {"rotations": [{**ROTATION, "participants": [{"type": "team", "id": "t"}]}]},
            "participants",
        ),
        (
            {
                "rotations": [
                    {
                        **ROTATION,
                        "timeRestriction": {
                            "type": "time-of-day",
                            "restriction": {"startHour": 25},
                        },
                    }
                ]
            },
            "timeRestriction",
        ),
    ],
)
async def test_invalid_create_is_422_naming_the_field(
    api: Harness, ids: dict[str, str], body: dict[str, Any], field: str
) -> None:
    """Missing or bad fields are 422 with the Opsgenie field name."""
    rotations = body.pop("rotations", [ROTATION])
    payload = {"name": "ops", "timezone": "UTC", **body, "rotations": rotations}
    if payload["rotations"][0].get("startDate", "") is None:
        del payload["rotations"][0]["startDate"]
    payload = {k: v for k, v in payload.items() if v is not None}
    response = await api.post(NATIVE, json=payload)
    assert (422, field) == (response.status_code, (await response.get_json())["field"])


async def test_bad_json_duplicate_unknown_and_other_org(api: Harness, ids: dict[str, str]) -> None:
    """Bad JSON is 400, a taken name 409; unknown ids and another org's schedule 404."""
    data = await create(api)
    sid, rid = data["id"], data["rotations"][0]["id"]
    response = await api.client.post(NATIVE, data=b"{nope", headers=api.org.headers)
    assert response.status_code == 400
    response = await api.post(NATIVE, json={"name": "ops", "timezone": "UTC"})
    assert (response.status_code, (await response.get_json())["code"]) == (409, "schedule_exists")
    await create(api, name="two")
    response = await call(api, "patch", f"{NATIVE}/{sid}", {"name": "two"})
    assert response.status_code == 409
    other = await api.new_org()
    for method, path in [
        ("get", f"{NATIVE}/{sid}"),
        ("patch", f"{NATIVE}/{sid}"),
        ("delete", f"{NATIVE}/{sid}"),
        ("post", f"{NATIVE}/{sid}/rotations"),
        ("patch", f"{NATIVE}/{sid}/rotations/{rid}"),
        ("delete", f"{NATIVE}/{sid}/rotations/{rid}"),
        ("post", f"{NATIVE}/{sid}/overrides"),
        ("get", f"{NATIVE}/{sid}/on-calls"),
        ("get", f"{NATIVE}/{sid}/timeline"),
        ("get", f"{OG}/{sid}"),
        ("get", f"{OG}/{sid}/on-calls"),
    ]:
        response = await call(api, method, path, json=ROTATION, org=other)
        assert (path, 404) == (path, response.status_code)
    for method, path in [
        ("get", f"{NATIVE}/nope"),
        ("get", f"{NATIVE}/{sid}/rotations/nope"),
        ("patch", f"{NATIVE}/{sid}/rotations/nope"),
        ("delete", f"{NATIVE}/{sid}/overrides/nope"),
        ("put", f"{NATIVE}/{sid}/overrides/nope"),
    ]:
        response = await call(api, method, path, json={})
        assert (path, 404) == (path, response.status_code)
    assert [s for s in (await (await api.get(NATIVE, org=other)).get_json())["data"]] == []


async def test_rotation_and_override_crud(api: Harness, ids: dict[str, str]) -> None:
    """Rotations and overrides are added, changed and removed; overrides change who is on call."""
    sid = (await create(api, rotations=[]))["id"]
    response = await api.post(f"{NATIVE}/{sid}/rotations", json=ROTATION)
    assert response.status_code == 201
    rid = (await response.get_json())["data"]["id"]
    patch = {"participants": [{"type": "user", "id": ids["bob"]}], "length": 2}
    response = await call(api, "patch", f"{NATIVE}/{sid}/rotations/{rid}", patch)
    assert (
        (await response.get_json())["data"]["length"],
        (await response.get_json())["data"]["participants"][0],
    ) == (2, {"type": "user", "id": ids["bob"], "username": "bob@example.com"})
    response = await call(api, "patch", f"{NATIVE}/{sid}/rotations/{rid}", {"length": -1})
    assert (response.status_code, (await response.get_json())["field"]) == (422, "length")
    override = {
        "alias": "cover",
        "user": {"type": "user", "username": "cat@example.com"},
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2099-01-01T00:00:00Z",
        "rotations": [{"name": "primary"}],
    }
    response = await api.post(f"{NATIVE}/{sid}/overrides", json=override)
    assert response.status_code == 201
    assert (await response.get_json())["data"]["rotations"] == [{"id": rid, "name": "primary"}]
    response = await api.post(f"{NATIVE}/{sid}/overrides", json=override)
    assert response.status_code == 409
    bad = {**override, "alias": "x", "endDate": "2019-01-01T00:00:00Z"}
    response = await api.post(f"{NATIVE}/{sid}/overrides", json=bad)
    assert (response.status_code, (await response.get_json())["field"]) == (422, "endDate")
    on_call = (await (await api.get(f"{NATIVE}/{sid}/on-calls")).get_json())["data"]
    assert (on_call["users"], on_call["sources"]) == ([ids["cat"]], ["cover"])
    response = await call(
        api, "put", f"{NATIVE}/{sid}/overrides/cover", {**override, "user": "dan@example.com"}
    )
    assert (await response.get_json())["data"]["user"] == {
        "type": "user",
        "id": ids["dan"],
        "username": "dan@example.com",
    }
    listed = (await (await api.get(f"{NATIVE}/{sid}/overrides")).get_json())["data"]
    assert [o["alias"] for o in listed] == ["cover"]
    assert (await call(api, "delete", f"{NATIVE}/{sid}/overrides/cover")).status_code == 200
    assert (await call(api, "delete", f"{NATIVE}/{sid}/rotations/{rid}")).status_code == 200
    assert (await (await api.get(f"{NATIVE}/{sid}/rotations")).get_json())["data"] == []
    assert (await call(api, "delete", f"{NATIVE}/{sid}")).status_code == 200
    assert (await api.get(f"{NATIVE}/{sid}")).status_code == 404


async def test_query_parameters_are_validated(api: Harness, ids: dict[str, str]) -> None:
    """Bad date, interval, intervalUnit and identifierType are 422 naming the parameter."""
    sid = (await create(api))["id"]
    for query, field in [
        ("on-calls?date=yesterday", "date"),
        ("on-calls?date=2020-01-01T00:00:00", "date"),
        ("timeline?intervalUnit=years", "intervalUnit"),
        ("timeline?interval=x", "interval"),
        ("timeline?interval=13&intervalUnit=months", "interval"),
    ]:
        response = await api.get(f"{NATIVE}/{sid}/{query}")
        assert (query, 422, field) == (
            query,
            response.status_code,
            (await response.get_json())["field"],
        )
    response = await api.get(f"{NATIVE}/{sid}?identifierType=alias")
    assert response.status_code == 422
    response = await api.get(f"{NATIVE}/{sid}/timeline?interval=1&intervalUnit=months")
    assert response.status_code == 200


async def test_opsgenie_shapes(api: Harness, ids: dict[str, str]) -> None:
    """/v2 schedules, rotations, overrides and on-calls answer in Opsgenie's shapes."""
    created = await (
        await api.post(OG, json={"name": "ops", "timezone": "UTC", "ownerTeam": {}})
    ).get_json()
    assert {"data", "took", "requestId"} == set(created)
    sid = created["data"]["id"]
    assert {"id": sid, "name": "ops", "enabled": True} == created["data"]
    response = await api.post(f"{OG}/ops/rotations?scheduleIdentifierType=name", json=ROTATION)
    assert response.status_code == 201
    rid = (await response.get_json())["data"]["id"]
    assert [
        r["name"] for r in (await (await api.get(f"{OG}/{sid}/rotations")).get_json())["data"]
    ] == ["primary"]
    response = await call(api, "patch", f"{OG}/{sid}/rotations/{rid}", {"name": "main"})
    assert {"id": rid, "name": "main"} == (await response.get_json())["data"]
    on = await (await api.get(f"{OG}/ops/on-calls?scheduleIdentifierType=name")).get_json()
    assert on["data"]["onCallParticipants"] == [
        {"id": ids["ana"], "name": "ana@example.com", "type": "user"}
    ]
    assert on["data"]["_parent"] == {"id": sid, "name": "ops", "enabled": True}
    flat = await (
        await api.get(f"{OG}/{sid}/on-calls?flat=true&date=2021-01-01T00:00:00.000Z")
    ).get_json()
    assert flat["data"]["onCallRecipients"] == ["ana@example.com"]
    nxt = await (await api.get(f"{OG}/{sid}/next-on-calls?flat=true")).get_json()
    assert {"_parent", "nextOnCallParticipants", "exactNextOnCallParticipants"} == set(nxt["data"])
    override = {
        "user": {"username": "cat@example.com"},
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2099-01-01T00:00:00Z",
    }
    response = await api.post(f"{OG}/{sid}/overrides", json=override)
    alias = (await response.get_json())["data"]["alias"]
    assert (await (await api.get(f"{OG}/{sid}/overrides/{alias}")).get_json())["data"]["user"][
        "username"
    ] == "cat@example.com"
    timeline = await (await api.get(f"{OG}/{sid}/timeline?interval=1&intervalUnit=days")).get_json()
    assert timeline["data"]["finalTimeline"]["periods"][0]["recipients"] == [
        {"id": ids["cat"], "name": "cat@example.com", "type": "user"}
    ]
    response = await call(api, "patch", f"{OG}/{sid}", {"enabled": False})
    assert {"id": sid, "name": "ops", "enabled": False} == (await response.get_json())["data"]
    response = await api.get(f"{OG}/nope")
    body = await response.get_json()
    assert (404, {"message", "took", "requestId"}) == (response.status_code, set(body))
    response = await api.post(OG, json={"name": "x", "timezone": "Nowhere/Nope"})
    assert (
        response.status_code,
        list((await response.get_json())["errors"]),
    ) == (422, ["timezone"])
    response = await api.post(OG, json={"name": "ops", "timezone": "UTC"})
    assert response.status_code == 409
    for path in (f"{OG}/{sid}/overrides/{alias}", f"{OG}/{sid}/rotations/{rid}", f"{OG}/{sid}"):
        deleted = await (await call(api, "delete", path)).get_json()
        assert ("Deleted", path) == (deleted["result"], path)
