"""The web app's API types (``web.ui_types``) match what the server really answers.

Each answer the web app reads is decoded into the Struct its TypeScript is
generated from; the descriptions of dict answers forbid unknown fields, so a
field the server adds, renames or retypes fails here before it fails in the UI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeVar

import msgspec
import pytest

from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database
from web import ui_types as t

pytestmark = pytest.mark.postgres

T = TypeVar("T")
PASSWORD = "correct horse battery"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, cookie_secure=False) as harness:
        yield harness


class Session:
    def __init__(self, api: Harness, token: str) -> None:
        self.api, self.headers = api, {"Authorization": f"Bearer {token}"}

    async def call(self, kind: type[T], method: str, path: str, status: int, **kw: Any) -> T:
        response = await getattr(self.api.client, method)(path, headers=self.headers, **kw)
        body = await response.get_data()
        assert response.status_code == status, body
        return msgspec.json.decode(body, type=kind)


async def signed_in(api: Harness) -> tuple[Session, t.SignIn]:
    response = await api.client.post(
        "/api/v1/auth/register",
        json={"email": "ada@example.com", "password": PASSWORD, "name": "Ada", "organization": "A"},
    )
    assert response.status_code == 201
    sign_in = msgspec.json.decode(await response.get_data(), type=t.SignIn)
    return Session(api, sign_in.access_token), sign_in


async def test_account_and_alert_answers(api: Harness) -> None:
    """Sign-in, profile, the alert list, one alert, an action and the history."""
    s, _ = await signed_in(api)
    v1 = "/api/v1"
    await s.call(t.Me, "get", f"{v1}/auth/me", 200)
    await s.call(t.ProfileUpdated, "patch", f"{v1}/auth/me", 200, json={"timezone": "UTC"})
    created = await s.call(
        t.CreateAlertResult, "post", f"{v1}/alerts", 202, json={"message": "m", "tags": ["db"]}
    )
    alert_id = created.alert_id
    listed = await s.call(t.AlertList, "get", f"{v1}/alerts?status=open", 200)
    assert [a.id for a in listed.data] == [alert_id]
    await s.call(t.AlertOne, "get", f"{v1}/alerts/{alert_id}", 200)
    acked = await s.call(
        t.AlertActionResult, "post", f"{v1}/alerts/{alert_id}/acknowledge", 200, json={}
    )
    assert acked.data is not None
    assert acked.data.acknowledged
    await s.call(
        t.AlertActionResult, "post", f"{v1}/alerts/{alert_id}/notes", 200, json={"note": "n"}
    )
    history = await s.call(t.AlertHistory, "get", f"{v1}/alerts/{alert_id}/history", 200)
    assert [e.type for e in history.data] == ["AlertCreated", "AlertAcknowledged", "AlertNoteAdded"]
    error = await s.call(t.ErrorBody, "get", f"{v1}/alerts/nope", 404)
    assert error.code == "alert_not_found"


async def test_configuration_answers(api: Harness) -> None:
    """Integrations, schedules (on-calls, timeline, overrides), API keys, teams, members."""
    s, sign_in = await signed_in(api)
    v1 = "/api/v1"
    integration = await s.call(
        t.IntegrationOne, "post", f"{v1}/integrations", 201, json={"name": "p", "type": "generic"}
    )
    assert integration.data.key
    await s.call(t.IntegrationList, "get", f"{v1}/integrations", 200)

    rotation = {
        "name": "primary",
        "type": "daily",
        "startDate": "2020-01-01T00:00:00Z",
        "participants": [{"type": "user", "id": sign_in.user.id}],
    }
    response = await s.api.client.post(
        f"{v1}/schedules",
        headers=s.headers,
        json={"name": "ops", "timezone": "UTC", "rotations": [rotation]},
    )
    assert response.status_code == 201
    sid = (await response.get_json())["data"]["id"]
    override = {
        "user": sign_in.user.id,
        "startDate": "2030-01-01T00:00:00Z",
        "endDate": "2030-01-02T00:00:00Z",
    }
    response = await s.api.client.post(
        f"{v1}/schedules/{sid}/overrides", headers=s.headers, json=override
    )
    assert response.status_code == 201
    await s.call(t.ScheduleList, "get", f"{v1}/schedules", 200)
    await s.call(t.ScheduleOne, "get", f"{v1}/schedules/{sid}", 200)
    await s.call(t.OnCalls, "get", f"{v1}/schedules/{sid}/on-calls", 200)
    timeline = await s.call(
        t.Timeline,
        "get",
        f"{v1}/schedules/{sid}/timeline?date=2029-12-31T00:00:00Z&interval=1&intervalUnit=weeks",
        200,
    )
    assert timeline.data.periods
    await s.call(t.OverrideList, "get", f"{v1}/schedules/{sid}/overrides", 200)

    key = await s.call(
        t.ApiKeyOne, "post", f"{v1}/api-keys", 201, json={"name": "ci", "rights": ["read"]}
    )
    assert key.data.key
    await s.call(t.ApiKeyList, "get", f"{v1}/api-keys", 200)
    await s.call(t.ApiKeyOne, "delete", f"{v1}/api-keys/{key.data.id}", 200)

    team = await s.call(t.TeamOne, "post", f"{v1}/teams", 201, json={"name": "Ops"})
    await s.call(t.TeamList, "get", f"{v1}/teams", 200)
    await s.call(
        t.TeamMemberOne,
        "post",
        f"{v1}/teams/{team.data.id}/members",
        201,
        json={"user_id": sign_in.user.id},
    )

    added = await s.call(
        t.MemberOne, "post", f"{v1}/users", 201, json={"email": "bob@example.com", "name": "Bob"}
    )
    assert added.invitation is not None
    await s.call(t.MemberList, "get", f"{v1}/users", 200)
    invited = await s.call(
        t.InvitationOne, "post", f"{v1}/invitations", 201, json={"email": "eve@example.com"}
    )
    assert invited.data is not None
    await s.call(t.InvitationList, "get", f"{v1}/invitations", 200)
    view = await s.call(t.InvitationView, "get", f"{v1}/auth/invitations/{invited.data.token}", 200)
    assert view.email == "eve@example.com"
