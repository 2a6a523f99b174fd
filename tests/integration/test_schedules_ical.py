"""iCalendar feeds over HTTP on a real PostgreSQL: tokenized URLs, revocation, Opsgenie .ics.

The schedule alternates members ana and bo daily (UTC midnights) since 2020, so every
feed window holds one event per day. Calendars name users by their email.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from icalendar import Calendar

from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.people import add_member, member_ids
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

NATIVE = "/api/v1/schedules"


def rotation(domain: str = "example.com") -> dict[str, Any]:
    """ana and bo (at ``domain``) taking daily turns since 2020."""
    return {
        "name": "primary",
        "type": "daily",
        "startDate": "2020-01-01T00:00:00Z",
        "participants": [
            {"type": "user", "username": f"ana@{domain}"},
            {"type": "user", "username": f"bo@{domain}"},
        ],
    }


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        await members(harness)
        yield harness


async def members(api: Harness, org: Org | None = None, domain: str = "example.com") -> None:
    """ana and bo (at ``domain``: an account belongs to one organization) as members of ``org``."""
    for name in ("ana", "bo"):
        await add_member(api, f"{name}@{domain}", org)


async def create_schedule(
    api: Harness, org: Org | None = None, name: str = "ops", domain: str = "example.com"
) -> str:
    body = {"name": name, "timezone": "Europe/Berlin", "rotations": [rotation(domain)]}
    response = await api.post(NATIVE, json=body, org=org)
    assert response.status_code == 201, await response.get_data()
    schedule_id: str = (await response.get_json())["data"]["id"]
    return schedule_id


async def create_feed(api: Harness, path: str, org: Org | None = None) -> dict[str, Any]:
    response = await api.post(path, org=org)
    assert response.status_code == 201, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def fetch(api: Harness, url: str) -> Calendar:
    response = await api.client.get(url)
    assert response.status_code == 200, await response.get_data()
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar: Calendar = Calendar.from_ical(await response.get_data())
    return calendar


async def delete(api: Harness, path: str, org: Org | None = None) -> Any:
    return await api.client.delete(path, headers=(org or api.org).headers)


async def test_schedule_feed_serves_the_timeline_until_revoked(api: Harness) -> None:
    """A schedule feed is public at its URL, lists daily turns in Berlin time, then 404s."""
    schedule_id = await create_schedule(api)
    feed = await create_feed(api, f"{NATIVE}/{schedule_id}/feeds")
    assert feed["kind"] == "schedule"
    assert feed["target"] == schedule_id
    assert feed["url"] == f"/ical/{api.org.org_id}/{feed['token']}.ics"
    assert len(feed["token"]) >= 43  # 256 bits, url-safe base64

    calendar = await fetch(api, feed["url"])
    assert str(calendar["X-WR-CALNAME"]) == "On call — ops"
    assert [str(tz["TZID"]) for tz in calendar.timezones] == ["Europe/Berlin"]
    events = sorted(calendar.events, key=lambda e: e.DTSTART)
    assert 95 <= len(events) <= 99
    assert {str(e["SUMMARY"]) for e in events} == {
        "On call: ana@example.com — ops",
        "On call: bo@example.com — ops",
    }
    assert all(str(e["DTSTART"].params["TZID"]) == "Europe/Berlin" for e in events)
    starts = [e.start for e in events[1:]]
    assert all(isinstance(t, datetime) and t.astimezone(UTC).hour == 0 for t in starts)

    listed = (await (await api.get("/api/v1/feeds")).get_json())["data"]
    assert listed == [{k: feed[k] for k in ("id", "kind", "target", "createdAt")}]

    assert (await delete(api, f"/api/v1/feeds/{feed['id']}")).status_code == 200
    assert (await api.client.get(feed["url"])).status_code == 404
    assert (await delete(api, f"/api/v1/feeds/{feed['id']}")).status_code == 404
    assert (await (await api.get("/api/v1/feeds")).get_json())["data"] == []


async def test_user_feed_keeps_only_that_user(api: Harness) -> None:
    """A member's feed (named by email or id) shows their turns across schedules."""
    await create_schedule(api, name="ops")
    await create_schedule(api, name="db")
    ana = (await member_ids(api))["ana@example.com"]
    feed = await create_feed(api, "/api/v1/users/ana@example.com/feeds")
    assert (feed["kind"], feed["target"]) == ("user", ana)
    calendar = await fetch(api, feed["url"])
    assert str(calendar["X-WR-CALNAME"]) == "On call — ana@example.com"
    events = list(calendar.events)
    summaries = {str(e["SUMMARY"]) for e in events}
    assert summaries == {"On call: ana@example.com — ops", "On call: ana@example.com — db"}
    assert 90 <= len(events) <= 102
    by_id = await create_feed(api, f"/api/v1/users/{ana}/feeds")
    assert by_id["target"] == ana


async def test_unknown_tokens_and_wrong_orgs_are_plain_404s(api: Harness) -> None:
    """A made-up token, another org's token under this org id, or an unknown org: 404."""
    other = await api.new_org()
    await members(api, other, "other.example")
    their_schedule = await create_schedule(api, other, domain="other.example")
    theirs = await create_feed(api, f"{NATIVE}/{their_schedule}/feeds", other)
    mine = await create_feed(api, f"{NATIVE}/{await create_schedule(api)}/feeds")
    assert (await api.client.get(theirs["url"])).status_code == 200
    bodies = set()
    for url in (
        f"/ical/{api.org.org_id}/{theirs['token']}.ics",
        f"/ical/{api.org.org_id}/{'x' * 43}.ics",
        f"/ical/nope/{mine['token']}.ics",
        f"/ical/{other.org_id}/{mine['token']}.ics",
    ):
        response = await api.client.get(url)
        assert response.status_code == 404, url
        body = await response.get_json()
        bodies.add((body["code"], body["message"]))
    assert len(bodies) == 1


async def test_other_orgs_cannot_see_or_revoke_feeds(api: Harness) -> None:
    """Feeds are per organization: another org lists none and cannot revoke this one's."""
    feed = await create_feed(api, f"{NATIVE}/{await create_schedule(api)}/feeds")
    other = await api.new_org()
    assert (await (await api.get("/api/v1/feeds", org=other)).get_json())["data"] == []
    assert (await delete(api, f"/api/v1/feeds/{feed['id']}", other)).status_code == 404
    assert (await api.client.get(feed["url"])).status_code == 200
    response = await api.post(f"{NATIVE}/{feed['target']}/feeds", org=other)
    assert response.status_code == 404


async def test_bad_requests(api: Harness) -> None:
    """Unknown schedules and users 404, bad identifier types 422, blank users 422, no key 401."""
    assert (await api.post(f"{NATIVE}/missing/feeds")).status_code == 404
    schedule_id = await create_schedule(api)
    by_name = await api.post(f"{NATIVE}/ops/feeds?identifierType=name")
    assert by_name.status_code == 201
    assert (await by_name.get_json())["data"]["target"] == schedule_id
    assert (await api.post(f"{NATIVE}/ops/feeds?identifierType=x")).status_code == 422
    assert (await api.post("/api/v1/users/%20/feeds")).status_code == 422
    assert (await api.post("/api/v1/users/zed@example.com/feeds")).status_code == 404
    assert (await api.client.post(f"{NATIVE}/{schedule_id}/feeds")).status_code == 401
    assert (await api.client.get("/api/v1/feeds")).status_code == 401


async def test_deleting_the_schedule_closes_its_feed(api: Harness) -> None:
    """A deleted schedule's feed is gone with it."""
    schedule_id = await create_schedule(api)
    feed = await create_feed(api, f"{NATIVE}/{schedule_id}/feeds")
    assert (await delete(api, f"{NATIVE}/{schedule_id}")).status_code == 200
    assert (await api.client.get(feed["url"])).status_code == 404


async def test_opsgenie_user_calendar_export(api: Harness) -> None:
    """GET /v2/schedules/on-calls/{username}.ics needs a key and lists the member's turns."""
    await create_schedule(api)
    response = await api.get("/v2/schedules/on-calls/bo@example.com.ics")
    assert response.status_code == 200, await response.get_data()
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(await response.get_data())
    assert {str(e["SUMMARY"]) for e in calendar.events} == {"On call: bo@example.com — ops"}
    denied = await api.client.get("/v2/schedules/on-calls/bo@example.com.ics")
    assert denied.status_code == 401
    assert (await denied.get_json())["message"] == "Could not authenticate"
    other = await api.new_org()
    theirs = await api.get("/v2/schedules/on-calls/bo@example.com.ics", org=other)
    assert theirs.status_code == 404  # bo is not a member there
