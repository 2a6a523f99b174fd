"""PATCH of a rotation: an absent ``endDate``/``timeRestriction`` is kept, ``null`` removes it.

The web app's rotation editor sends the whole rotation; switching its time restriction
to "none" or removing its end must reach the server as ``null`` (before, ``null`` was
read as "absent" and the old value stayed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, open_harness
from tests.helpers.people import add_member
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

NATIVE = "/api/v1/schedules"
RESTRICTION = {
    "type": "weekday-and-time-of-day",
    "restrictions": [
        {
            "startDay": "monday",
            "startHour": 9,
            "startMin": 0,
            "endDay": "friday",
            "endHour": 17,
            "endMin": 0,
        }
    ],
}


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        await add_member(harness, "ana@example.com")
        yield harness


async def rotation(api: Harness) -> tuple[str, str]:
    """A schedule with one rotation that has an end and a restriction: (schedule, rotation)."""
    body = {
        "name": "ops",
        "timezone": "Europe/Berlin",
        "rotations": [
            {
                "name": "primary",
                "type": "weekly",
                "startDate": "2020-01-06T09:00:00+01:00",
                "endDate": "2099-01-01T00:00:00Z",
                "participants": [{"type": "user", "username": "ana@example.com"}],
                "timeRestriction": RESTRICTION,
            }
        ],
    }
    response = await api.post(NATIVE, json=body)
    assert response.status_code == 201, await response.get_data()
    data = (await response.get_json())["data"]
    return data["id"], data["rotations"][0]["id"]


async def patch(api: Harness, sid: str, rid: str, body: Any) -> Any:
    path = f"{NATIVE}/{sid}/rotations/{rid}"
    response = await api.client.patch(path, json=body, headers=api.org.headers)
    assert response.status_code == 200, await response.get_data()
    return (await response.get_json())["data"]


async def test_absent_fields_are_kept(api: Harness) -> None:
    sid, rid = await rotation(api)
    data = await patch(api, sid, rid, {"name": "main"})
    assert (data["name"], data["endDate"], data["timeRestriction"]) == (
        "main",
        "2099-01-01T00:00:00.000Z",
        RESTRICTION,
    )


async def test_null_removes_the_end_and_the_restriction(api: Harness) -> None:
    sid, rid = await rotation(api)
    data = await patch(api, sid, rid, {"endDate": None})
    assert "endDate" not in data
    assert data["timeRestriction"] == RESTRICTION
    data = await patch(api, sid, rid, {"timeRestriction": None})
    assert "timeRestriction" not in data
    stored = await api.get(f"{NATIVE}/{sid}/rotations/{rid}")
    assert {"endDate", "timeRestriction"}.isdisjoint((await stored.get_json())["data"])


async def test_a_new_rotation_with_nulls_has_neither(api: Harness) -> None:
    sid, _ = await rotation(api)
    body = {
        "name": "second",
        "type": "daily",
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": None,
        "timeRestriction": None,
        "participants": [{"type": "none"}],
    }
    response = await api.post(f"{NATIVE}/{sid}/rotations", json=body)
    assert response.status_code == 201
    data = (await response.get_json())["data"]
    assert {"endDate", "timeRestriction"}.isdisjoint(data)
