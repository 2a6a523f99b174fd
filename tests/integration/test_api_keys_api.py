"""API keys over HTTP (/api/v1/api-keys): rights, revocation, team scope; real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from engine import hash_api_key
from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

KEYS = "/api/v1/api-keys"
ALERTS = "/api/v1/alerts"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        yield harness


def genie(key: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {key}"}


async def create_key(api: Harness, rights: list[str], **body: Any) -> dict[str, Any]:
    response = await api.post(KEYS, json={"name": "ci", "rights": rights, **body})
    assert response.status_code == 201, await response.get_data()
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


async def error_of(response: Any, status: int) -> dict[str, Any]:
    """The JSON error body of ``response``, after checking its status and shape."""
    assert response.status_code == status, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    assert {"code", "message", "request_id"} <= set(body), body
    return body


async def test_a_created_key_works_at_once_and_its_secret_is_shown_only_once(
    api: Harness,
) -> None:
    """The create answer holds the secret; listings hold neither it nor its hash."""
    data = await create_key(api, ["create-and-update", "read", "read"])
    secret = data["key"]
    assert secret.startswith("pk_")
    assert {k: v for k, v in data.items() if k not in ("id", "created_at", "key")} == {
        "name": "ci",
        "rights": ["read", "create-and-update"],
        "prefix": secret[:10],
        "team_id": None,
        "team_name": None,
        "revoked_at": None,
        "last_used_at": None,
    }
    assert (await api.client.get(ALERTS, headers=genie(secret))).status_code == 200
    listing = await api.get(KEYS)
    raw = await listing.get_data(as_text=True)
    assert secret not in raw
    assert hash_api_key(secret) not in raw
    listed = (await listing.get_json())["data"]
    assert all("key" not in k and "key_hash" not in k for k in listed)
    assert [(k["name"], k["rights"]) for k in listed] == [
        ("default", ["full"]),
        ("ci", ["read", "create-and-update"]),
    ]
    assert next(k for k in listed if k["id"] == data["id"])["prefix"] == secret[:10]


async def test_last_used_at_is_set_once_the_key_is_used(api: Harness) -> None:
    data = await create_key(api, ["read"])
    assert data["last_used_at"] is None
    await api.client.get(ALERTS, headers=genie(data["key"]))
    listed = (await (await api.get(KEYS)).get_json())["data"]
    used = next(k for k in listed if k["id"] == data["id"])
    assert used["last_used_at"] is not None


async def test_a_revoked_key_is_refused_at_once(api: Harness) -> None:
    """After DELETE answers, the key is 401 on both APIs; revoking again is harmless."""
    data = await create_key(api, ["read", "create-and-update"])
    headers = genie(data["key"])
    assert (await api.client.get(ALERTS, headers=headers)).status_code == 200
    revoked = await api.client.delete(f"{KEYS}/{data['id']}", headers=api.org.headers)
    assert revoked.status_code == 200
    body = await revoked.get_json()
    assert (body["result"], body["data"]["id"]) == ("revoked", data["id"])
    assert body["data"]["revoked_at"] is not None
    assert (await error_of(await api.client.get(ALERTS, headers=headers), 401))[
        "code"
    ] == "unauthorized"
    assert (await api.client.get("/v2/alerts", headers=headers)).status_code == 401
    again = await api.client.delete(f"{KEYS}/{data['id']}", headers=api.org.headers)
    assert again.status_code == 200
    listed = (await (await api.get(KEYS)).get_json())["data"]
    assert [k["revoked_at"] is not None for k in listed] == [False, True]


async def test_unknown_keys_are_404(api: Harness) -> None:
    response = await api.client.delete(f"{KEYS}/nope", headers=api.org.headers)
    assert (await error_of(response, 404))["code"] == "api_key_not_found"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"not json", 400, "invalid_json", None),
        (b"", 400, "invalid_json", None),
        (b'{"rights": ["read"]}', 422, "invalid_field", "name"),
        (b'{"name": "", "rights": ["read"]}', 422, "invalid_field", "name"),
        (b'{"name": "x"}', 422, "invalid_field", "rights"),
        (b'{"name": "x", "rights": []}', 422, "invalid_field", "rights"),
        (b'{"name": "x", "rights": ["full"]}', 422, "invalid_field", "rights"),
        (b'{"name": "x", "rights": ["read", "admin"]}', 422, "invalid_field", "rights"),
        (b'{"name": "x", "rights": "read"}', 422, "invalid_field", "rights"),
        (b'{"name": "x", "rights": ["read"], "team_id": "nope"}', 404, "team_not_found", "team_id"),
        (b'{"name": "x", "rights": ["read"], "team_id": 3}', 422, "invalid_field", "team_id"),
    ],
)
async def test_bad_create_bodies_are_clear_4xx(
    api: Harness, body: bytes, status: int, code: str, field: str | None
) -> None:
    """Malformed JSON is 400; bad names, rights and teams are refused naming the field."""
    response = await api.client.post(
        KEYS, data=body, headers={**api.org.headers, "Content-Type": "application/json"}
    )
    error = await error_of(response, status)
    assert (code, field) == (error["code"], error.get("field"))
    assert len((await (await api.get(KEYS)).get_json())["data"]) == 1


async def test_rights_are_enforced(api: Harness) -> None:
    """read cannot create alerts, create-and-update cannot delete them, neither manages."""
    reader = genie((await create_key(api, ["read"]))["key"])
    writer = genie((await create_key(api, ["read", "create-and-update"]))["key"])
    refused = await api.client.post(ALERTS, json={"message": "m"}, headers=reader)
    assert (await error_of(refused, 403))["code"] == "forbidden"
    created = await api.client.post(ALERTS, json={"message": "m"}, headers=writer)
    assert created.status_code == 202
    alert_id = (await created.get_json())["alert_id"]
    deleting = await api.client.delete(f"{ALERTS}/{alert_id}", headers=writer)
    assert (await error_of(deleting, 403))["code"] == "forbidden"
    for headers in (reader, writer):
        team = await api.client.post("/api/v1/teams", json={"name": "Ops"}, headers=headers)
        assert (await error_of(team, 403))["code"] == "forbidden"
        key = await api.client.post(KEYS, json={"name": "x", "rights": ["read"]}, headers=headers)
        assert (await error_of(key, 403))["code"] == "forbidden"
        assert (await api.client.get(KEYS, headers=headers)).status_code == 403


async def test_a_key_never_grants_rights_its_creator_lacks(api: Harness) -> None:
    """A configuration-access key makes configuration keys, not read or delete keys."""
    admin = genie((await create_key(api, ["configuration-access"]))["key"])
    ok = await api.client.post(
        KEYS, json={"name": "cfg", "rights": ["configuration-access"]}, headers=admin
    )
    assert ok.status_code == 201
    wider = await api.client.post(
        KEYS, json={"name": "x", "rights": ["read", "delete"]}, headers=admin
    )
    assert ((await error_of(wider, 403))["field"]) == "rights"


async def test_a_signed_in_owner_manages_keys(api: Harness) -> None:
    """A user's access token (owner) creates, lists and revokes keys."""
    registered = await api.client.post(
        "/api/v1/auth/register",
        json={
            "email": "ada@example.com",
            "password": "correct horse battery",
            "name": "Ada",
            "organization": "Acme",
        },
    )
    token = (await registered.get_json())["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    created = await api.client.post(
        KEYS, json={"name": "ci", "rights": ["read", "delete"]}, headers=bearer
    )
    assert created.status_code == 201, await created.get_data()
    data = (await created.get_json())["data"]
    assert (await api.client.get(ALERTS, headers=genie(data["key"]))).status_code == 200
    listed = (await (await api.client.get(KEYS, headers=bearer)).get_json())["data"]
    assert [k["id"] for k in listed] == [data["id"]]
    revoked = await api.client.delete(f"{KEYS}/{data['id']}", headers=bearer)
    assert revoked.status_code == 200
    assert (await api.client.get(ALERTS, headers=genie(data["key"]))).status_code == 401


async def test_another_organizations_keys_are_out_of_reach(api: Harness) -> None:
    """Another organization neither lists nor revokes this organization's keys."""
    data = await create_key(api, ["read"])
    other = await api.new_org()
    listed = (await (await api.get(KEYS, org=other)).get_json())["data"]
    assert data["id"] not in [k["id"] for k in listed]
    response = await api.client.delete(f"{KEYS}/{data['id']}", headers=other.headers)
    assert (await error_of(response, 404))["code"] == "api_key_not_found"
    assert (await api.client.get(ALERTS, headers=genie(data["key"]))).status_code == 200


async def test_a_retried_create_does_not_show_the_secret_again(api: Harness) -> None:
    """The same Idempotency-Key answers the same key, without its secret (200)."""
    headers = {**api.org.headers, "Idempotency-Key": "k-1"}
    body = {"name": "ci", "rights": ["read"]}
    first = await api.client.post(KEYS, json=body, headers=headers)
    second = await api.client.post(KEYS, json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    one, two = (await first.get_json())["data"], (await second.get_json())["data"]
    assert (one["id"], two["key"]) == (two["id"], None)
    assert len((await (await api.get(KEYS)).get_json())["data"]) == 2


# -- team-scoped keys ----------------------------------------------------------------------


async def _teams(api: Harness) -> tuple[str, str]:
    ids = []
    for name in ("Ops", "Dev"):
        response = await api.post("/api/v1/teams", json={"name": name})
        ids.append((await response.get_json())["data"]["id"])
    return ids[0], ids[1]


async def _alert(api: Harness, headers: dict[str, str], message: str, **body: Any) -> str:
    response = await api.client.post(ALERTS, json={"message": message, **body}, headers=headers)
    assert response.status_code == 202, await response.get_data()
    alert_id: str = (await response.get_json())["alert_id"]
    return alert_id


async def test_a_team_scoped_key_acts_for_its_team_only(api: Harness) -> None:
    """Its alerts get the team; it lists, counts, reads and works only its team's alerts."""
    ops, dev = await _teams(api)
    data = await create_key(api, ["read", "create-and-update"], team_id="ops")
    assert (data["team_id"], data["team_name"]) == (ops, "Ops")
    scoped = genie(data["key"])
    own = await _alert(api, scoped, "mine")
    routed = await _alert(api, api.org.headers, "routed", responders=[{"type": "team", "id": ops}])
    theirs = await _alert(api, api.org.headers, "theirs", responders=[{"type": "team", "id": dev}])
    await _alert(api, api.org.headers, "nobody's")
    mine = (await (await api.get(f"{ALERTS}/{own}")).get_json())["data"]
    assert mine["responders"] == [{"type": "team", "id": ops}]

    listed = await api.client.get(ALERTS, headers=scoped)
    assert sorted(a["message"] for a in (await listed.get_json())["data"]) == ["mine", "routed"]
    for team in ("Dev", dev):
        other = await api.client.get(f"{ALERTS}?team={team}", headers=scoped)
        assert (await other.get_json())["data"] == []
    same = await api.client.get(f"{ALERTS}?team=Ops", headers=scoped)
    assert len((await same.get_json())["data"]) == 2
    og_list = await api.client.get("/v2/alerts", headers=scoped)
    assert sorted(a["message"] for a in (await og_list.get_json())["data"]) == ["mine", "routed"]
    og_count = await api.client.get("/v2/alerts/count", headers=scoped)
    assert (await og_count.get_json())["data"]["count"] == 2

    assert (await api.client.get(f"{ALERTS}/{routed}", headers=scoped)).status_code == 200
    hidden = await api.client.get(f"{ALERTS}/{theirs}", headers=scoped)
    assert (await error_of(hidden, 404))["code"] == "alert_not_found"
    assert (await api.client.get(f"/v2/alerts/{theirs}", headers=scoped)).status_code == 404
    ack = await api.client.post(f"{ALERTS}/{theirs}/acknowledge", json={}, headers=scoped)
    assert (await error_of(ack, 404))["code"] == "alert_not_found"
    still = (await (await api.get(f"{ALERTS}/{theirs}")).get_json())["data"]
    assert still["acknowledged"] is False
    everything = (await (await api.get(ALERTS)).get_json())["data"]
    assert len(everything) == 4


async def test_a_team_scoped_key_creates_via_v2_with_its_team(api: Harness) -> None:
    """The Opsgenie create adds the key's team to the responders too (once)."""
    ops, _ = await _teams(api)
    scoped = genie((await create_key(api, ["read", "create-and-update"], team_id=ops))["key"])
    response = await api.client.post(
        "/v2/alerts",
        json={"message": "og", "alias": "og-1", "responders": [{"type": "team", "name": "Ops"}]},
        headers=scoped,
    )
    assert response.status_code == 202
    alert = (await (await api.get(f"{ALERTS}/og-1?identifierType=alias")).get_json())["data"]
    assert alert["responders"] == [{"type": "team", "id": ops}]


async def test_a_team_scoped_key_manages_its_teams_keys_only(api: Harness) -> None:
    """A scoped configuration key makes keys of its own team, and sees and revokes only those."""
    ops, dev = await _teams(api)
    scoped = genie((await create_key(api, ["configuration-access"], team_id=ops))["key"])
    made = await api.client.post(
        KEYS, json={"name": "sub", "rights": ["configuration-access"]}, headers=scoped
    )
    assert (await made.get_json())["data"]["team_id"] == ops
    elsewhere = await api.client.post(
        KEYS,
        json={"name": "x", "rights": ["configuration-access"], "team_id": dev},
        headers=scoped,
    )
    assert (await error_of(elsewhere, 403))["field"] == "team_id"
    listed = (await (await api.client.get(KEYS, headers=scoped)).get_json())["data"]
    assert {k["team_id"] for k in listed} == {ops}
    default = [
        k for k in (await (await api.get(KEYS)).get_json())["data"] if k["name"] == "default"
    ]
    response = await api.client.delete(f"{KEYS}/{default[0]['id']}", headers=scoped)
    assert (await error_of(response, 404))["code"] == "api_key_not_found"
