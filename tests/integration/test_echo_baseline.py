"""``POST /api/test/echo`` (test mode): the trivial POST that benchmarks/ingest.py
divides by. It must cost what ``POST /api/v1/alerts`` costs minus the engine: the
same authentication and body decoding, so it answers 202 only to a valid key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, test_mode=True) as harness:
        yield harness


async def test_echo_authenticates_and_decodes_like_the_alert_route(api: Harness) -> None:
    headers = api.org.headers
    ok = await api.client.post("/api/test/echo", json={"message": "m"}, headers=headers)
    assert ok.status_code == 202
    assert (await ok.get_json())["message"] == "m"
    anonymous = await api.client.post("/api/test/echo", json={"message": "m"})
    assert anonymous.status_code == 401
    bad = await api.client.post("/api/test/echo", json={"message": 5}, headers=headers)
    assert bad.status_code == 422
    listed = await (await api.get("/api/v1/alerts")).get_json()
    assert listed["data"] == []  # no engine: nothing was created
