"""Opsgenie's /v2/users over Pulsar's members, end to end over a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from engine import SYSTEM, AddMember, CreateApiKey, hash_api_key, new_api_key, new_id
from tests.helpers.app import Harness, Org, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

OG = "/v2/users"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, cookie_secure=False) as harness:
        yield harness


async def og(api: Harness, method: str, path: str, org: Org | None = None, **kw: Any) -> Any:
    headers = {**(org or api.org).headers, **kw.pop("headers", {})}
    return await getattr(api.client, method)(path, headers=headers, **kw)


async def body_of(response: Any, status: int) -> Any:
    """The JSON answer, checked for its status and Opsgenie's envelope."""
    assert status == response.status_code, await response.get_data()
    body = await response.get_json()
    assert body["requestId"]
    assert body["took"] > 0
    return body


async def create(api: Harness, username: str, role: str = "User", **extra: Any) -> str:
    payload = {"username": username, "fullName": username.split("@")[0].title(), **extra}
    payload["role"] = {"name": role}
    body = await body_of(await og(api, "post", OG, json=payload), 201)
    assert body["result"] == "Created"
    assert username.lower() == body["data"]["username"]
    return str(body["data"]["id"])


async def test_create_get_by_id_or_username_update_and_delete(api: Harness) -> None:
    """The Terraform provider's cycle: create, read, update role and profile, delete."""
    user_id = await create(
        api, "bob@example.com", "User", timeZone="America/New_York", locale="en_US"
    )
    by_id = (await body_of(await og(api, "get", f"{OG}/{user_id}"), 200))["data"]
    by_name = (await body_of(await og(api, "get", f"{OG}/BOB@example.com"), 200))["data"]
    assert by_id == by_name
    assert {
        "id": user_id,
        "username": "bob@example.com",
        "fullName": "Bob",
        "role": {"id": "User", "name": "User"},
        "blocked": False,
        "verified": False,
        "timeZone": "America/New_York",
        "locale": "en_US",
    }.items() <= by_id.items()
    assert by_id["createdAt"].endswith("Z")

    change = {"fullName": "Bob Builder", "role": {"name": "Admin"}, "timeZone": "Europe/Paris"}
    updated = await body_of(await og(api, "patch", f"{OG}/{user_id}", json=change), 200)
    assert ("Updated", user_id) == (updated["result"], updated["data"]["id"])
    after = (await body_of(await og(api, "get", f"{OG}/{user_id}"), 200))["data"]
    assert (
        after["fullName"],
        after["role"]["name"],
        after["timeZone"],
    ) == ("Bob Builder", "Admin", "Europe/Paris")
    native = await api.get(f"/api/v1/users/{user_id}")
    assert (await native.get_json())["data"]["role"] == "admin"

    deleted = await body_of(await og(api, "delete", f"{OG}/bob@example.com"), 200)
    assert deleted["result"] == "Deleted"
    gone = await body_of(await og(api, "get", f"{OG}/{user_id}"), 404)
    assert gone["message"]


@pytest.mark.parametrize(
    ("name", "role", "shown"),
    [
        ("Owner", None, None),  # an API key never grants owner: 403 below
        ("admin", "admin", "Admin"),
        ("User", "member", "User"),
        ("Observer", "viewer", "Observer"),
        ("viewer", "viewer", "Observer"),
        ("Stakeholder", "viewer", "Observer"),
    ],
)
async def test_opsgenie_role_names_map_to_pulsar_roles(
    api: Harness, name: str, role: str | None, shown: str | None
) -> None:
    """Owner, Admin, User and Observer (Viewer, Stakeholder) are owner/admin/member/viewer."""
    payload = {"username": "eve@example.com", "fullName": "Eve", "role": {"name": name}}
    response = await og(api, "post", OG, json=payload)
    if role is None:
        body = await body_of(response, 403)
        assert body["message"]
        return
    user_id = (await body_of(response, 201))["data"]["id"]
    native = await (await api.get(f"/api/v1/users/{user_id}")).get_json()
    assert role == native["data"]["role"]
    og_view = (await body_of(await og(api, "get", f"{OG}/{user_id}"), 200))["data"]
    assert shown == og_view["role"]["name"]


async def test_list_pages_with_offset_limit_and_links(api: Harness) -> None:
    """Opsgenie's list shape: data, paging links, totalCount; sorted and paged."""
    for email in ("ann@example.com", "cid@example.com", "bob@example.com"):
        await create(api, email)
    first = await body_of(await og(api, "get", f"{OG}?limit=2"), 200)
    assert [u["username"] for u in first["data"]] == ["ann@example.com", "bob@example.com"]
    assert first["totalCount"] == 3
    assert "offset=2" in first["paging"]["next"]
    assert "prev" not in first["paging"]
    second = await body_of(await og(api, "get", f"{OG}/?limit=2&offset=2"), 200)
    assert [u["username"] for u in second["data"]] == ["cid@example.com"]
    assert "next" not in second["paging"]
    assert "offset=0" in second["paging"]["prev"]
    by_name = await body_of(await og(api, "get", f"{OG}?sort=fullName&order=desc"), 200)
    assert [u["fullName"] for u in by_name["data"]] == ["Cid", "Bob", "Ann"]
    for query in ("sort=shoeSize", "order=sideways", "limit=x", "offset=-1"):
        bad = await body_of(await og(api, "get", f"{OG}?{query}"), 422)
        assert bad["message"]


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "field"),
    [
        ("post", OG, {"fullName": "X", "role": {"name": "User"}}, 422, "username"),
        ("post", OG, {"username": "nope", "fullName": "X", "role": {"name": "User"}}, 422, "email"),
        ("post", OG, {"username": "x@x.io", "fullName": "X"}, 422, "role"),
        ("post", OG, {"username": "x@x.io", "role": {"name": "Boss"}}, 422, "role"),
        (
            "post",
            OG,
            {"username": "x@x.io", "role": {"name": "User"}, "timeZone": "Mars/Base"},
            422,
            "timeZone",
        ),
        ("post", OG, b"{nope", 400, None),
        ("patch", f"{OG}/bob@example.com", {"role": {"name": "Boss"}}, 422, "role"),
        ("patch", f"{OG}/bob@example.com", b"nope", 400, None),
        ("patch", f"{OG}/nobody@example.com", {"role": {"name": "User"}}, 404, None),
        ("delete", f"{OG}/nobody", None, 404, None),
        ("get", f"{OG}/nobody", None, 404, None),
    ],
)
async def test_bad_requests_answer_in_opsgenie_shape(
    api: Harness, method: str, path: str, payload: Any, status: int, field: str | None
) -> None:
    """Missing or invalid fields, non-JSON and unknown users: Opsgenie error bodies."""
    await create(api, "bob@example.com")
    kw: dict[str, Any] = {}
    if isinstance(payload, bytes):
        kw = {"data": payload, "headers": {"Content-Type": "application/json"}}
    elif payload is not None:
        kw = {"json": payload}
    body = await body_of(await og(api, method, path, **kw), status)
    assert body["message"]
    if field is not None:
        assert field in body["errors"]


async def test_adding_a_member_twice_is_409(api: Harness) -> None:
    await create(api, "bob@example.com")
    payload = {"username": "bob@example.com", "fullName": "Bob", "role": {"name": "User"}}
    assert (await body_of(await og(api, "post", OG, json=payload), 409))["message"]


async def test_another_organizations_users_are_404(api: Harness) -> None:
    """A user of another organization is unknown here; lists show own members only."""
    other = await api.new_org("other")
    user_id = await create(api, "bob@example.com")
    for method, kw in (
        ("get", {}),
        ("patch", {"json": {"role": {"name": "Admin"}}}),
        ("delete", {}),
    ):
        for identifier in (user_id, "bob@example.com"):
            await body_of(await og(api, method, f"{OG}/{identifier}", other, **kw), 404)
    listed = await body_of(await og(api, "get", OG, other), 200)
    assert (listed["data"], listed["totalCount"]) == ([], 0)


async def test_keys_need_their_rights(api: Harness) -> None:
    """A read-only key lists users but cannot create them; no key is 401."""
    key = new_api_key()
    await api.services.supervisor.submit(
        api.org.org_id,
        CreateApiKey(key_id=new_id(), name="ro", key_hash=hash_api_key(key), rights=("read",)),
        SYSTEM,
    )
    await api.services.directory.catch_up(api.services.store)
    read_only = Org(api.org.org_id, key)
    await body_of(await og(api, "get", OG, read_only), 200)
    payload = {"username": "x@x.io", "fullName": "X", "role": {"name": "User"}}
    await body_of(await og(api, "post", OG, read_only, json=payload), 403)
    anonymous = await api.client.get(OG)
    assert anonymous.status_code == 401
    assert "requestId" in await anonymous.get_json()


async def test_a_shared_accounts_profile_is_left_alone(api: Harness) -> None:
    """An account in another organization too keeps its profile; the role still changes."""
    other = await api.new_org("other")
    user_id = await create(api, "bob@example.com", timeZone="Europe/Paris")
    payload = {"username": "bob@example.com", "fullName": "Bob", "role": {"name": "User"}}
    # bob has no password yet: another organization cannot add him directly (409) ...
    await body_of(await og(api, "post", OG, other, json=payload), 409)
    # ... but once he belongs to it too (here: added by the system), his profile is his
    services = api.services
    await services.supervisor.submit(
        other.org_id,
        AddMember(account_id=user_id, email="bob@example.com", role="member", actor_role="system"),
        SYSTEM,
    )
    await services.directory.catch_up(services.store)
    change = {"fullName": "Someone Else", "timeZone": "Asia/Tokyo", "role": {"name": "Admin"}}
    await body_of(await og(api, "patch", f"{OG}/{user_id}", json=change), 200)
    after = (await body_of(await og(api, "get", f"{OG}/{user_id}"), 200))["data"]
    assert (
        after["fullName"],
        after["timeZone"],
        after["role"]["name"],
    ) == ("Bob", "Europe/Paris", "Admin")


async def test_no_answer_holds_a_password_hash(api: Harness) -> None:
    user_id = await create(api, "bob@example.com")
    for path in (OG, f"{OG}/{user_id}"):
        assert b"argon2" not in await (await og(api, "get", path)).get_data()
