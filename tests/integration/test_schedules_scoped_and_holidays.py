"""Schedules over HTTP: overrides of nobody (a company holiday), starts truncated to the
minute (S27), departures keeping the on-call person (S27), and team-scoped API keys.

ana and bob alternate daily (UTC midnights) since 2020. A team-scoped key (the alerts'
rule, ``web.auth.scope``) sees and edits only the schedules its team owns; any other
schedule is a 404 to it and is left out of its lists.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from icalendar import Calendar

from tests.helpers.app import Harness, open_harness
from tests.helpers.people import add_member, add_team
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

NATIVE = "/api/v1/schedules"
OG = "/v2/schedules"
KEYS = "/api/v1/api-keys"
ROTATION = {
    "name": "primary",
    "type": "daily",
    "startDate": "2020-01-01T00:00:00Z",
    "participants": [
        {"type": "user", "username": "ana@example.com"},
        {"type": "user", "username": "bob@example.com"},
    ],
}
HOLIDAY = {
    "alias": "holiday",
    "user": {"type": "none"},
    "startDate": "2030-12-25T00:00:00Z",
    "endDate": "2030-12-27T00:00:00Z",
}


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        yield harness


@pytest.fixture
async def ids(api: Harness) -> dict[str, str]:
    return {name: await add_member(api, f"{name}@example.com") for name in ("ana", "bob", "cat")}


async def create(api: Harness, headers: dict[str, str] | None = None, **body: Any) -> Any:
    payload = {"name": "ops", "timezone": "UTC", "rotations": [ROTATION], **body}
    return await api.client.post(NATIVE, json=payload, headers=headers or api.org.headers)


async def data(api: Harness, path: str, headers: dict[str, str] | None = None) -> Any:
    response = await api.client.get(path, headers=headers or api.org.headers)
    assert response.status_code == 200, await response.get_data()
    return (await response.get_json())["data"]


# -- nobody on call (Opsgenie's "none" override) ----------------------------------------------


@pytest.mark.parametrize("base", [NATIVE, OG])
async def test_a_holiday_override_puts_nobody_on_call(
    api: Harness, ids: dict[str, str], base: str
) -> None:
    """A none override reads back as none; on-calls, timeline and .ics show nobody then."""
    sid = (await (await create(api)).get_json())["data"]["id"]
    response = await api.post(f"{base}/{sid}/overrides", json=HOLIDAY)
    assert response.status_code == 201, await response.get_data()
    override = await data(api, f"{NATIVE}/{sid}/overrides/holiday")
    assert (override["user"], override["rotations"]) == ({"type": "none"}, [])
    during = await data(api, f"{NATIVE}/{sid}/on-calls?date=2030-12-25T12:00:00Z")
    assert (during["users"], during["participants"], during["sources"]) == ([], [], ["holiday"])
    og = await data(api, f"{OG}/{sid}/on-calls?date=2030-12-25T12:00:00Z")
    assert og["onCallParticipants"] == []
    flat = await data(api, f"{OG}/{sid}/on-calls?flat=true&date=2030-12-26T12:00:00Z")
    assert flat["onCallRecipients"] == []
    before = await data(api, f"{NATIVE}/{sid}/on-calls?date=2030-12-24T12:00:00Z")
    assert len(before["users"]) == 1
    timeline = await data(
        api, f"{NATIVE}/{sid}/timeline?date=2030-12-24T00:00:00Z&interval=4&intervalUnit=days"
    )
    assert [(p["startDate"], p["participants"], p["sources"]) for p in timeline["periods"]][1] == (
        "2030-12-25T00:00:00.000Z",
        [],
        ["holiday"],
    )
    og_timeline = await data(
        api, f"{OG}/{sid}/timeline?date=2030-12-24T00:00:00Z&interval=4&intervalUnit=days"
    )
    assert [len(p["recipients"]) for p in og_timeline["finalTimeline"]["periods"]] == [1, 0, 1]


async def test_the_calendar_leaves_the_holiday_out(api: Harness, ids: dict[str, str]) -> None:
    """The schedule's feed has events up to the holiday and after it, none during it."""
    api.services.clock.set(datetime(2030, 12, 20, tzinfo=UTC))  # type: ignore[attr-defined]
    sid = (await (await create(api)).get_json())["data"]["id"]
    assert (await api.post(f"{NATIVE}/{sid}/overrides", json=HOLIDAY)).status_code == 201
    feed = (await (await api.post(f"{NATIVE}/{sid}/feeds")).get_json())["data"]
    body = await (await api.client.get(feed["url"])).get_data()
    events = [c for c in Calendar.from_ical(body).walk("VEVENT")]
    spans = sorted((e.decoded("DTSTART"), e.decoded("DTEND")) for e in events)
    holiday = (datetime(2030, 12, 25, tzinfo=UTC), datetime(2030, 12, 27, tzinfo=UTC))
    assert spans
    assert all(end <= holiday[0] or start >= holiday[1] for start, end in spans)
    assert any(end == holiday[0] for _, end in spans)
    assert any(start == holiday[1] for start, _ in spans)


@pytest.mark.parametrize("base", [NATIVE, OG])
@pytest.mark.parametrize(
    ("user", "message"),
    [
        ({"type": "none", "id": "x"}, "names nobody"),
        ({"type": "none", "username": "ana@example.com"}, "names nobody"),
        ({"type": "escalation", "name": "e"}, "a user, a team or none"),
    ],
)
async def test_bad_holiday_overrides_are_422_on_user(
    api: Harness, ids: dict[str, str], base: str, user: dict[str, str], message: str
) -> None:
    """A none override naming someone, or an unknown user type, is a 422 on ``user``."""
    sid = (await (await create(api)).get_json())["data"]["id"]
    response = await api.post(f"{base}/{sid}/overrides", json={**HOLIDAY, "user": user})
    assert response.status_code == 422
    body = await response.get_json()
    if base == NATIVE:
        assert (body["field"], True) == ("user", message in body["message"])
    else:
        assert list(body["errors"]) == ["user"]
    assert await data(api, f"{NATIVE}/{sid}/overrides") == []


async def test_another_org_cannot_add_a_holiday(api: Harness, ids: dict[str, str]) -> None:
    """Another organization's none override on this schedule is a 404."""
    sid = (await (await create(api)).get_json())["data"]["id"]
    other = await api.new_org()
    for base in (NATIVE, OG):
        response = await api.post(f"{base}/{sid}/overrides", json=HOLIDAY, org=other)
        assert response.status_code == 404


# -- S27 over HTTP -------------------------------------------------------------------------


async def test_s27_the_start_is_stored_truncated_to_the_minute(
    api: Harness, ids: dict[str, str]
) -> None:
    """Updating a New York rotation (12:08:25-05:00, hourly, 12) stores 17:08:00Z."""
    sid = (await (await create(api, timezone="America/New_York")).get_json())["data"]["id"]
    rid = (await data(api, f"{NATIVE}/{sid}/rotations"))[0]["id"]
    patch = {"startDate": "1997-11-26T12:08:25-05:00", "type": "hourly", "length": 12}
    response = await api.client.patch(
        f"{OG}/{sid}/rotations/{rid}", json=patch, headers=api.org.headers
    )
    assert response.status_code == 200, await response.get_data()
    stored = await data(api, f"{NATIVE}/{sid}/rotations/{rid}")
    assert (stored["startDate"], stored["type"], stored["length"]) == (
        "1997-11-26T17:08:00.000Z",
        "hourly",
        12,
    )


async def test_s27_a_departing_member_leaves_the_on_call_person_on_call(
    api: Harness, ids: dict[str, str]
) -> None:
    """[ana, bob, cat] with bob on call; ana leaves the organization: bob stays on call."""
    now = datetime(2030, 1, 2, 12, tzinfo=UTC)  # turn 1 of a daily rotation from Jan 1
    api.services.clock.set(now)  # type: ignore[attr-defined]
    rotation = {
        **ROTATION,
        "startDate": "2030-01-01T00:00:00Z",
        "participants": [{"type": "user", "id": ids[n]} for n in ("ana", "bob", "cat")],
    }
    sid = (await (await create(api, rotations=[rotation])).get_json())["data"]["id"]
    assert (await data(api, f"{NATIVE}/{sid}/on-calls"))["users"] == [ids["bob"]]
    gone = await api.client.delete(f"/api/v1/users/{ids['ana']}", headers=api.org.headers)
    assert gone.status_code in (200, 204), await gone.get_data()
    assert (await data(api, f"{NATIVE}/{sid}/on-calls"))["users"] == [ids["bob"]]
    kept = (await data(api, f"{NATIVE}/{sid}/rotations"))[0]
    assert [p["id"] for p in kept["participants"]] == [ids["bob"], ids["cat"]]
    tomorrow = await data(api, f"{NATIVE}/{sid}/on-calls?date=2030-01-03T12:00:00Z")
    assert tomorrow["users"] == [ids["cat"]]


# -- team-scoped API keys -------------------------------------------------------------------


async def scoped_key(api: Harness, team: str) -> dict[str, str]:
    body = {"name": "ci", "rights": ["read", "configuration-access"], "team_id": team}
    response = await api.post(KEYS, json=body)
    assert response.status_code == 201, await response.get_data()
    return {"Authorization": f"GenieKey {(await response.get_json())['data']['key']}"}


async def test_a_team_scoped_key_sees_and_edits_only_its_team_s_schedules(
    api: Harness, ids: dict[str, str]
) -> None:
    """Lists leave other schedules out; reading, editing or deleting them is a 404."""
    ops, dev = await add_team(api, "Ops"), await add_team(api, "Dev")
    key = await scoped_key(api, ops)
    mine = (await (await create(api, name="mine", ownerTeam={"id": ops})).get_json())["data"]
    theirs = (await (await create(api, name="theirs", ownerTeam={"id": dev})).get_json())["data"]
    await create(api, name="nobody's")
    assert [s["name"] for s in await data(api, NATIVE, key)] == ["mine"]
    assert [s["name"] for s in await data(api, OG, key)] == ["mine"]
    assert [s["name"] for s in await data(api, f"{NATIVE}?team=Dev", key)] == []
    assert len(await data(api, NATIVE)) == 3  # the organization's key sees all
    for path in (
        f"{NATIVE}/{mine['id']}",
        f"{NATIVE}/mine?identifierType=name",
        f"{NATIVE}/{mine['id']}/on-calls",
        f"{OG}/{mine['id']}",
        f"{OG}/{mine['id']}/rotations",
        f"{OG}/{mine['id']}/timeline",
    ):
        assert (path, 200) == (path, (await api.client.get(path, headers=key)).status_code)
    sid = theirs["id"]
    rid = theirs["rotations"][0]["id"]
    for method, path, body in [
        ("get", f"{NATIVE}/{sid}", None),
        ("get", f"{NATIVE}/theirs?identifierType=name", None),
        ("get", f"{NATIVE}/{sid}/on-calls", None),
        ("get", f"{NATIVE}/{sid}/next-on-calls", None),
        ("get", f"{NATIVE}/{sid}/timeline", None),
        ("get", f"{NATIVE}/{sid}/rotations", None),
        ("get", f"{NATIVE}/{sid}/overrides", None),
        ("patch", f"{NATIVE}/{sid}", {"description": "x"}),
        ("delete", f"{NATIVE}/{sid}", None),
        ("post", f"{NATIVE}/{sid}/rotations", ROTATION),
        ("patch", f"{NATIVE}/{sid}/rotations/{rid}", {"length": 2}),
        ("delete", f"{NATIVE}/{sid}/rotations/{rid}", None),
        ("post", f"{NATIVE}/{sid}/overrides", HOLIDAY),
        ("post", f"{NATIVE}/{sid}/feeds", None),
        ("get", f"{OG}/{sid}", None),
        ("get", f"{OG}/theirs?identifierType=name", None),
        ("get", f"{OG}/{sid}/on-calls", None),
        ("get", f"{OG}/{sid}/rotations", None),
        ("patch", f"{OG}/{sid}", {"enabled": False}),
        ("delete", f"{OG}/{sid}", None),
        ("post", f"{OG}/{sid}/overrides", HOLIDAY),
        ("patch", f"{OG}/{sid}/rotations/{rid}", {"length": 2}),
    ]:
        response = await getattr(api.client, method)(path, json=body, headers=key)
        assert (method, path, 404) == (method, path, response.status_code)
    after = await data(api, f"{NATIVE}/{sid}")
    assert (after["description"], after["enabled"], after["overrides"]) == ("", True, [])


async def test_a_team_scoped_key_writes_schedules_of_its_team(
    api: Harness, ids: dict[str, str]
) -> None:
    """Its new schedules belong to its team; another owner, or none, is a 403."""
    ops, dev = await add_team(api, "Ops"), await add_team(api, "Dev")
    key = await scoped_key(api, ops)
    made = await create(api, key, name="made")
    assert made.status_code == 201, await made.get_data()
    assert (await made.get_json())["data"]["ownerTeam"] == {"id": ops, "name": "Ops"}
    named = await api.client.post(
        OG, json={"name": "og", "timezone": "UTC", "ownerTeam": {"name": "ops"}}, headers=key
    )
    assert named.status_code == 201
    for owner in ({"name": "Dev"}, {"id": dev}, "nope"):
        response = await create(api, key, name="x", ownerTeam=owner)
        assert (response.status_code, (await response.get_json())["field"]) == (403, "ownerTeam")
    sid = (await made.get_json())["data"]["id"]
    for owner in ("Dev", ""):
        response = await api.client.patch(f"{NATIVE}/{sid}", json={"ownerTeam": owner}, headers=key)
        assert response.status_code == 403
    ok = await api.client.patch(f"{NATIVE}/{sid}", json={"description": "d"}, headers=key)
    assert ok.status_code == 200
    assert (await api.post(f"{NATIVE}/{sid}/overrides", json=HOLIDAY)).status_code == 201
    response = await api.client.delete(f"{NATIVE}/{sid}/overrides/holiday", headers=key)
    assert response.status_code == 200
    assert [s["name"] for s in await data(api, NATIVE, key)] == ["made", "og"]


async def test_a_team_scoped_key_s_feeds_and_user_views_keep_to_its_team(
    api: Harness, ids: dict[str, str]
) -> None:
    """Feeds of other schedules are hidden from it; user views and exports cover its
    schedules only; it cannot open a user's feed, which would span every schedule."""
    ops, dev = await add_team(api, "Ops"), await add_team(api, "Dev")
    key = await scoped_key(api, ops)
    mine = (await (await create(api, name="mine", ownerTeam={"id": ops})).get_json())["data"]
    theirs = (await (await create(api, name="theirs", ownerTeam={"id": dev})).get_json())["data"]
    own_feed = (
        await (await api.client.post(f"{NATIVE}/{mine['id']}/feeds", headers=key)).get_json()
    )["data"]
    other_feed = (await (await api.post(f"{NATIVE}/{theirs['id']}/feeds")).get_json())["data"]
    assert [f["id"] for f in await data(api, "/api/v1/feeds", key)] == [own_feed["id"]]
    hidden = await api.client.delete(f"/api/v1/feeds/{other_feed['id']}", headers=key)
    assert hidden.status_code == 404
    assert len(await data(api, "/api/v1/feeds")) == 2
    user_feed = await api.client.post(f"/api/v1/users/{ids['ana']}/feeds", headers=key)
    assert user_feed.status_code == 403
    on_call = await data(api, f"/api/v1/users/{ids['ana']}/on-call", key)
    everywhere = await data(api, f"/api/v1/users/{ids['ana']}/on-call")
    named = {s["name"] for s in on_call["onCall"] + on_call["nextOnCall"]}
    assert named == {"mine"}
    assert {s["name"] for s in everywhere["onCall"] + everywhere["nextOnCall"]} == {
        "mine",
        "theirs",
    }
    export = await api.client.get("/v2/schedules/on-calls/ana@example.com.ics", headers=key)
    summaries = {
        str(e["SUMMARY"]) for e in Calendar.from_ical(await export.get_data()).walk("VEVENT")
    }
    assert summaries
    assert all(s.endswith("— mine") for s in summaries)
    revoked = await api.client.delete(f"/api/v1/feeds/{own_feed['id']}", headers=key)
    assert revoked.status_code == 200
