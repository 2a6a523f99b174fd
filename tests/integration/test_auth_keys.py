"""The ways a key is presented, and which keys open which API."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("how", ["geniekey", "bearer", "basic-user", "basic-password", "query"])
async def test_org_key_in_every_opsgenie_client_form(api: Harness, how: str) -> None:
    """GenieKey, Bearer, Basic (key as user or password) and ?apiKey= all authenticate."""
    key = api.org.api_key
    headers = {
        "geniekey": {"Authorization": f"GenieKey {key}"},
        "bearer": {"Authorization": f"Bearer {key}"},
        "basic-user": {"Authorization": _basic(key, "")},
        "basic-password": {"Authorization": _basic("someone", key)},
        "query": {},
    }[how]
    path = "/api/v1/alerts" + (f"?apiKey={key}" if how == "query" else "")
    assert (await api.client.get(path, headers=headers)).status_code == 200
    v2 = "/v2/alerts" + (f"?apiKey={key}" if how == "query" else "")
    assert (await api.client.get(v2, headers=headers)).status_code == 200


async def test_wrong_keys_are_401(api: Harness) -> None:
    """A wrong key in any form, or garbage Basic, is 401 on both APIs."""
    for headers in ({"Authorization": "GenieKey nope"}, {"Authorization": "Basic !!!"}, {}):
        assert (await api.client.get("/api/v1/alerts", headers=headers)).status_code == 401
        assert (await api.client.get("/v2/alerts", headers=headers)).status_code == 401


async def _integration(api: Harness, kind: str) -> dict[str, Any]:
    response = await api.post("/api/v1/integrations", json={"name": kind, "type": kind})
    assert response.status_code == 201, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def test_opsgenie_integration_key_opens_the_v2_alert_api_only(api: Harness) -> None:
    """An 'opsgenie' integration key creates alerts through /v2 (as Alertmanager's
    opsgenie_configs would), is refused by the native API, and stops working when the
    integration is disabled."""
    created = await _integration(api, "opsgenie")
    key = created["key"]
    headers = {"Authorization": f"GenieKey {key}"}
    response = await api.client.post(
        "/v2/alerts", json={"message": "from am", "alias": "am-1"}, headers=headers
    )
    assert response.status_code == 202
    alert = await api.get("/api/v1/alerts/am-1?identifierType=alias")
    assert alert.status_code == 200
    assert (await api.client.get("/api/v1/alerts", headers=headers)).status_code == 401
    disable = await api.post(f"/api/v1/integrations/{created['id']}/disable", json={})
    assert disable.status_code == 200
    response = await api.client.post("/v2/alerts", json={"message": "x"}, headers=headers)
    assert response.status_code == 403
    assert "requestId" in await response.get_json()


async def test_alertmanager_integration_key_does_not_open_the_v2_api(api: Harness) -> None:
    """Only api/opsgenie integration keys are Opsgenie API keys."""
    key = (await _integration(api, "alertmanager"))["key"]
    response = await api.client.get("/v2/alerts", headers={"Authorization": f"GenieKey {key}"})
    assert response.status_code == 401
