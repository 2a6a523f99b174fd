"""Users, invitations and the organization over /api/v1, end to end over a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from engine import SYSTEM, CreateApiKey, hash_api_key, new_api_key, new_id
from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"
WEEK = 7 * 24 * 3600


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with (
        fresh_database() as dsn,
        open_harness(dsn, cookie_secure=False, test_mode=True) as harness,
    ):
        yield harness


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(
    api: Harness,
    method: str,
    path: str,
    token: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> Any:
    """``method`` ``path`` as the holder of ``token`` (an access token; none: anonymous)."""
    all_headers = {**(bearer(token) if token else {}), **(headers or {})}
    return await getattr(api.client, method)(path, headers=all_headers, **kw)


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, await response.get_data()
    return await response.get_json()


async def register(api: Harness, email: str, org: str = "Acme") -> dict[str, Any]:
    """A new account owning a new organization: its sign-in answer."""
    response = await api.client.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "name": email.split("@")[0],
            "organization": org,
        },
    )
    return await ok(response, 201)


async def sign_in(api: Harness, email: str) -> str:
    response = await api.client.post(
        "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    return str((await ok(response))["access_token"])


async def add_user(api: Harness, token: str, email: str, role: str = "member") -> dict[str, Any]:
    body = {"email": email, "name": email.split("@")[0].title(), "role": role}
    return await ok(await call(api, "post", "/api/v1/users", token, json=body), 201)


async def accept(api: Harness, token: str, password: str = PASSWORD) -> Any:
    return await api.client.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": password}
    )


async def member(api: Harness, owner: str, email: str, role: str) -> tuple[str, str]:
    """Add ``email`` with ``role`` and accept the set-up invitation: (user id, access token)."""
    added = await add_user(api, owner, email, role)
    signed_in = await ok(await accept(api, added["invitation"]["token"]))
    return added["data"]["id"], signed_in["access_token"]


async def advance(api: Harness, seconds: float) -> None:
    await ok(await api.post("/api/test/clock/advance", json={"seconds": seconds}))


def assert_error(body: dict[str, Any], code: str, field: str | None = None) -> None:
    """The JSON error shape: code, message, request_id, and the field at fault."""
    assert code == body["code"]
    assert body["message"]
    assert body["request_id"]
    if field is not None:
        assert field == body["field"]


async def test_an_added_user_sets_a_password_and_signs_in_with_their_role(api: Harness) -> None:
    """POST /users adds the member at once; the set-up invitation sets their password."""
    owner = (await register(api, "ada@example.com"))["access_token"]
    added = await add_user(api, owner, "Bob@Example.com", "admin")
    user, invitation = added["data"], added["invitation"]
    assert (user["email"], user["name"], user["role"], user["status"]) == (
        "bob@example.com",
        "Bob",
        "admin",
        "invited",
    )
    assert {"id", "joined_at", "timezone", "locale"} <= set(user)
    assert invitation["token"].startswith("inv_")
    assert invitation["link"] == f"http://localhost/accept-invitation?token={invitation['token']}"
    # a member at once: listed with the email notifications go to
    listed = (await ok(await call(api, "get", "/api/v1/users", owner)))["data"]
    assert [u["email"] for u in listed] == ["ada@example.com", "bob@example.com"]
    shown = await ok(await api.client.get(f"/api/v1/auth/invitations/{invitation['token']}"))
    assert (shown["role"], shown["account_exists"]) == ("admin", False)

    signed_in = await ok(await accept(api, invitation["token"]))
    assert (signed_in["organization"]["role"], signed_in["user"]["id"]) == ("admin", user["id"])
    login = await api.client.post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert (await ok(login))["organization"]["role"] == "admin"
    bob = await ok(await call(api, "get", f"/api/v1/users/{user['id']}", owner))
    assert bob["data"]["status"] == "active"


async def test_the_link_uses_the_public_url() -> None:
    """With PULSAR_PUBLIC_URL set, invitation links start with it."""
    async with (
        fresh_database() as dsn,
        open_harness(dsn, cookie_secure=False, public_url="https://pulsar.example.org") as api,
    ):
        owner = (await register(api, "ada@example.com"))["access_token"]
        body = {"email": "eve@example.com", "role": "viewer"}
        invited = await ok(await call(api, "post", "/api/v1/invitations", owner, json=body), 201)
        link = invited["data"]["link"]
        assert link.startswith("https://pulsar.example.org/accept-invitation?token=inv_")


async def test_an_invited_account_joins_a_second_organization_and_switches(api: Harness) -> None:
    """An account registered elsewhere accepts with its password: two organizations."""
    ada = await register(api, "ada@example.com", "Acme")
    bob = await register(api, "bob@example.com", "Beta")
    body = {"email": "bob@example.com", "role": "member"}
    invited = await ok(
        await call(api, "post", "/api/v1/invitations", ada["access_token"], json=body), 201
    )
    assert {"id", "email", "role", "expires_at", "link", "token"} <= set(invited["data"])
    wrong = await accept(api, invited["data"]["token"], "not the password")
    assert_error(await wrong.get_json(), "invalid_credentials")
    joined = await ok(await accept(api, invited["data"]["token"]))
    acme = ada["organization"]["id"]
    assert (joined["organization"]["id"], joined["organization"]["role"]) == (acme, "member")

    me = await ok(await call(api, "get", "/api/v1/auth/me", bob["access_token"]))
    assert {acme: "member", bob["organization"]["id"]: "owner"} == {
        o["id"]: o["role"] for o in me["organizations"]
    }
    switched = await ok(
        await call(
            api,
            "post",
            "/api/v1/auth/switch-organization",
            bob["access_token"],
            json={"organization_id": acme},
        )
    )
    assert (switched["organization"]["id"], switched["organization"]["role"]) == (acme, "member")
    users = await ok(await call(api, "get", "/api/v1/users", switched["access_token"]))
    assert [u["email"] for u in users["data"]] == ["ada@example.com", "bob@example.com"]


async def test_an_expired_invitation_is_409_and_sets_no_password(api: Harness) -> None:
    """Seven days later the link is 409 invitation_expired, and no password was set."""
    owner = (await register(api, "ada@example.com"))["access_token"]
    added = await add_user(api, owner, "bob@example.com")
    await advance(api, WEEK + 1)
    expired = await accept(api, added["invitation"]["token"])
    assert expired.status_code == 409
    assert_error(await expired.get_json(), "invitation_expired")
    login = await api.client.post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert login.status_code == 401
    owner = await sign_in(api, "ada@example.com")  # a week on, the access token expired too
    listed = await ok(await call(api, "get", "/api/v1/invitations", owner))
    assert listed["data"] == []
    # a fresh set-up link for the member (they still have no password), with their role
    again = await ok(
        await call(
            api,
            "post",
            "/api/v1/invitations",
            owner,
            json={"email": "bob@example.com", "role": "admin"},
        ),
        201,
    )
    assert again["data"]["role"] == "member"
    assert (await ok(await accept(api, again["data"]["token"])))["organization"]["role"] == "member"


async def test_a_used_or_revoked_invitation_opens_nothing(api: Harness) -> None:
    """An accepted link is 404/409 the second time; a revoked one too; revoking is idempotent."""
    owner = (await register(api, "ada@example.com"))["access_token"]
    added = await add_user(api, owner, "bob@example.com")
    await ok(await accept(api, added["invitation"]["token"]))
    again = await accept(api, added["invitation"]["token"])
    assert again.status_code in (404, 409)
    assert (await again.get_json())["code"] in ("invitation_not_found", "invitation_used")

    body = {"email": "cid@example.com", "role": "viewer"}
    invited = (await ok(await call(api, "post", "/api/v1/invitations", owner, json=body), 201))[
        "data"
    ]
    pending = await ok(await call(api, "get", "/api/v1/invitations", owner))
    assert [invited["id"]] == [i["id"] for i in pending["data"]]
    path = f"/api/v1/invitations/{invited['id']}"
    assert (await ok(await call(api, "delete", path, owner)))["result"] == "revoked"
    assert (await ok(await call(api, "delete", path, owner)))["result"] == "revoked"
    assert (await ok(await call(api, "get", "/api/v1/invitations", owner)))["data"] == []
    revoked = await accept(api, invited["token"])
    assert revoked.status_code in (404, 409)


async def test_removing_a_member_revokes_their_set_up_link(api: Harness) -> None:
    """A removed member's unused set-up link no longer opens the organization."""
    owner = (await register(api, "ada@example.com"))["access_token"]
    added = await add_user(api, owner, "bob@example.com")
    path = f"/api/v1/users/{added['data']['id']}"
    assert (await ok(await call(api, "delete", path, owner)))["result"] == "deleted"
    assert (await call(api, "get", path, owner)).status_code == 404
    assert (await accept(api, added["invitation"]["token"])).status_code == 404
    assert (await ok(await call(api, "get", "/api/v1/invitations", owner)))["data"] == []


async def test_the_last_owner_is_never_removed_or_demoted(api: Harness) -> None:
    """The only owner demoting or removing themselves is 409 last_owner."""
    ada = await register(api, "ada@example.com")
    owner, ada_id = ada["access_token"], ada["user"]["id"]
    path = f"/api/v1/users/{ada_id}"
    demote = await call(api, "patch", path, owner, json={"role": "admin"})
    assert demote.status_code == 409
    assert_error(await demote.get_json(), "last_owner")
    remove = await call(api, "delete", path, owner)
    assert remove.status_code == 409
    assert_error(await remove.get_json(), "last_owner")
    # with a second owner, the first may step down
    second, _ = await member(api, owner, "bob@example.com", "owner")
    stepped = await ok(await call(api, "patch", path, owner, json={"role": "admin"}))
    assert stepped["data"]["role"] == "admin"
    assert second != ada_id


async def test_an_admin_cannot_grant_or_remove_owner(api: Harness) -> None:
    """Admins (and API keys) manage members below owner only: 403 forbidden."""
    ada = await register(api, "ada@example.com")
    owner = ada["access_token"]
    _, admin = await member(api, owner, "bob@example.com", "admin")
    cid, _ = await member(api, owner, "cid@example.com", "member")
    owner_path = f"/api/v1/users/{ada['user']['id']}"
    cid_path = f"/api/v1/users/{cid}"
    refused = [
        await call(api, "post", "/api/v1/users", admin, json={"email": "x@x.io", "role": "owner"}),
        await call(
            api, "post", "/api/v1/invitations", admin, json={"email": "y@x.io", "role": "owner"}
        ),
        await call(api, "patch", cid_path, admin, json={"role": "owner"}),
        await call(api, "patch", owner_path, admin, json={"role": "admin"}),
        await call(api, "delete", owner_path, admin),
    ]
    for response in refused:
        assert response.status_code == 403, await response.get_data()
        assert_error(await response.get_json(), "forbidden")
    demoted = await ok(await call(api, "patch", cid_path, admin, json={"role": "viewer"}))
    assert demoted["data"]["role"] == "viewer"
    await ok(await call(api, "delete", cid_path, admin))
    # an organization API key acts as an admin
    keyed = await api.post("/api/v1/users", json={"email": "z@x.io", "role": "owner"})
    assert keyed.status_code == 403
    added = await api.post("/api/v1/users", json={"email": "z@x.io", "role": "admin"})
    assert added.status_code == 201


async def test_members_and_viewers_cannot_manage_users(api: Harness) -> None:
    """A member or viewer reads users and the organization but manages nothing (403)."""
    owner = (await register(api, "ada@example.com"))["access_token"]
    for email, role in (("bob@example.com", "member"), ("cid@example.com", "viewer")):
        user_id, token = await member(api, owner, email, role)
        path = f"/api/v1/users/{user_id}"
        refused = [
            await call(api, "post", "/api/v1/users", token, json={"email": "x@x.io"}),
            await call(api, "patch", path, token, json={"role": "admin"}),
            await call(api, "delete", path, token),
            await call(api, "post", "/api/v1/invitations", token, json={"email": "x@x.io"}),
            await call(api, "get", "/api/v1/invitations", token),
            await call(api, "delete", "/api/v1/invitations/nope", token),
            await call(api, "delete", "/api/v1/organization", token),
        ]
        for response in refused:
            assert response.status_code == 403, await response.get_data()
            assert_error(await response.get_json(), "forbidden")
        await ok(await call(api, "get", "/api/v1/users", token))
        await ok(await call(api, "get", path, token))
        await ok(await call(api, "get", "/api/v1/organization", token))


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "field"),
    [
        ("post", "/api/v1/users", {"name": "x"}, 422, "invalid_field", "email"),
        ("post", "/api/v1/users", {"email": "not-an-email"}, 422, "invalid_field", "email"),
        ("post", "/api/v1/users", {"email": 7}, 422, "invalid_field", "email"),
        (
            "post",
            "/api/v1/users",
            {"email": "x@x.io", "role": "boss"},
            422,
            "invalid_field",
            "role",
        ),
        ("post", "/api/v1/users", b"{not json", 400, "invalid_json", None),
        ("post", "/api/v1/users", b"", 400, "invalid_json", None),
        ("patch", "/api/v1/users/{bob}", {"role": "boss"}, 422, "invalid_field", "role"),
        ("patch", "/api/v1/users/{bob}", {}, 422, "invalid_field", "role"),
        ("patch", "/api/v1/users/{bob}", b"{oops", 400, "invalid_json", None),
        ("patch", "/api/v1/users/nobody", {"role": "admin"}, 404, "user_not_found", None),
        ("delete", "/api/v1/users/nobody", None, 404, "user_not_found", None),
        ("post", "/api/v1/invitations", {"role": "member"}, 422, "invalid_field", "email"),
        ("post", "/api/v1/invitations", {"email": "nope"}, 422, "invalid_field", "email"),
        (
            "post",
            "/api/v1/invitations",
            {"email": "x@x.io", "role": "boss"},
            422,
            "invalid_field",
            "role",
        ),
        ("post", "/api/v1/invitations", b"nope", 400, "invalid_json", None),
        ("delete", "/api/v1/invitations/nope", None, 404, "invitation_not_found", None),
    ],
)
async def test_bad_inputs_are_4xx_in_the_error_shape(
    api: Harness,
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    field: str | None,
) -> None:
    """Missing or invalid fields, unknown roles, non-JSON and unknown ids: JSON errors."""
    owner = (await register(api, "ada@example.com"))["access_token"]
    bob = (await add_user(api, owner, "bob@example.com"))["data"]["id"]
    kw: dict[str, Any] = {}
    if isinstance(body, bytes):
        kw = {"data": body, "headers": {"Content-Type": "application/json"}}
    elif body is not None:
        kw = {"json": body}
    response = await call(api, method, path.format(bob=bob), owner, **kw)
    assert status == response.status_code, await response.get_data()
    assert_error(await response.get_json(), code, field)


async def test_adding_a_member_twice_conflicts_and_a_retry_replays(api: Harness) -> None:
    """A second add is 409 member_exists; a retry with its Idempotency-Key answers the user."""
    owner = (await register(api, "ada@example.com"))["access_token"]
    body = {"email": "bob@example.com", "role": "member"}
    key = {"Idempotency-Key": "add-bob"}
    first = await ok(await call(api, "post", "/api/v1/users", owner, json=body, headers=key), 201)
    retry = await ok(await call(api, "post", "/api/v1/users", owner, json=body, headers=key))
    assert (first["data"], None) == (retry["data"], retry["invitation"])
    twice = await call(api, "post", "/api/v1/users", owner, json=body)
    assert twice.status_code == 409
    assert_error(await twice.get_json(), "member_exists")
    invited = await call(api, "post", "/api/v1/invitations", owner, json=body)
    assert invited.status_code == 201  # bob has no password yet: a fresh set-up link
    await ok(await accept(api, (await invited.get_json())["data"]["token"]))
    member_again = await call(api, "post", "/api/v1/invitations", owner, json=body)
    assert_error(await member_again.get_json(), "member_exists")


async def test_another_organizations_users_are_out_of_reach(api: Harness) -> None:
    """Another organization's user is 404 on get, patch and delete; lists show own members."""
    ada = (await register(api, "ada@example.com", "Acme"))["access_token"]
    bob = await register(api, "bob@example.com", "Beta")
    cid = (await add_user(api, bob["access_token"], "cid@example.com"))["data"]["id"]
    invited = await ok(
        await call(
            api, "post", "/api/v1/invitations", bob["access_token"], json={"email": "d@x.io"}
        ),
        201,
    )
    for user_id in (bob["user"]["id"], cid):
        path = f"/api/v1/users/{user_id}"
        for response in (
            await call(api, "get", path, ada),
            await call(api, "patch", path, ada, json={"role": "viewer"}),
            await call(api, "delete", path, ada),
        ):
            assert response.status_code == 404
            assert_error(await response.get_json(), "user_not_found")
    other = await call(api, "delete", f"/api/v1/invitations/{invited['data']['id']}", ada)
    assert other.status_code == 404
    listed = await ok(await call(api, "get", "/api/v1/users", ada))
    assert [u["email"] for u in listed["data"]] == ["ada@example.com"]
    assert (await ok(await call(api, "get", "/api/v1/invitations", ada)))["data"] == []
    # bob's side is untouched
    theirs = await ok(await call(api, "get", "/api/v1/users", bob["access_token"]))
    assert [u["email"] for u in theirs["data"]] == ["bob@example.com", "cid@example.com"]


async def test_a_password_less_account_of_another_organization_is_not_claimed(
    api: Harness,
) -> None:
    """Only the organization that added a password-less account sets its first password."""
    ada = (await register(api, "ada@example.com", "Acme"))["access_token"]
    bob = (await register(api, "bob@example.com", "Beta"))["access_token"]
    acme_link = (await add_user(api, ada, "carl@example.com"))["invitation"]["token"]
    body = {"email": "carl@example.com", "role": "member"}
    direct = await call(api, "post", "/api/v1/users", bob, json=body)
    assert direct.status_code == 409
    assert_error(await direct.get_json(), "account_elsewhere", "email")
    invited = await ok(await call(api, "post", "/api/v1/invitations", bob, json=body), 201)
    beta_link = invited["data"]["token"]
    claimed = await accept(api, beta_link)
    assert claimed.status_code == 409
    assert_error(await claimed.get_json(), "account_elsewhere")
    await ok(await accept(api, acme_link))
    wrong = await accept(api, beta_link, "another password!")
    assert wrong.status_code == 401
    joined = await ok(await accept(api, beta_link))
    me = await ok(await call(api, "get", "/api/v1/auth/me", joined["access_token"]))
    assert len(me["organizations"]) == 2


async def test_no_answer_holds_a_password_hash_or_a_stored_token(api: Harness) -> None:
    """Password hashes never leave; a token is shown only in its creation answer."""
    owner = (await register(api, "ada@example.com"))["access_token"]
    user_id, _ = await member(api, owner, "bob@example.com", "admin")
    body = {"email": "cid@example.com", "role": "member"}
    invited = await ok(await call(api, "post", "/api/v1/invitations", owner, json=body), 201)
    token = invited["data"]["token"]
    for path in (
        "/api/v1/users",
        f"/api/v1/users/{user_id}",
        "/api/v1/invitations",
        "/api/v1/organization",
    ):
        data = await (await call(api, "get", path, owner)).get_data()
        assert b"argon2" not in data
        assert token.encode() not in data
        assert b"token" not in data
    listed = await ok(await call(api, "get", "/api/v1/invitations", owner))
    assert {"id", "email", "role", "created_at", "expires_at", "user_id"} == set(listed["data"][0])


async def test_the_organization_is_read_and_deleted_by_its_owner(api: Harness) -> None:
    """After deletion, the organization's keys and every member's tokens stop working."""
    ada = await register(api, "ada@example.com")
    owner, org_id = ada["access_token"], ada["organization"]["id"]
    _, admin = await member(api, owner, "bob@example.com", "admin")
    key = new_api_key()
    await api.services.supervisor.submit(
        org_id, CreateApiKey(key_id=new_id(), name="ci", key_hash=hash_api_key(key)), SYSTEM
    )
    await api.services.directory.catch_up(api.services.store)
    key_headers = {"Authorization": f"GenieKey {key}"}
    org = await ok(await call(api, "get", "/api/v1/organization", owner))
    assert (org["data"]["id"], org["data"]["name"], org["data"]["member_count"]) == (
        org_id,
        "Acme",
        2,
    )
    assert "created_at" in org["data"]
    await ok(await api.client.get("/api/v1/alerts", headers=key_headers))
    for refused in (
        await call(api, "delete", "/api/v1/organization", admin),
        await api.client.delete("/api/v1/organization", headers=key_headers),
    ):
        assert refused.status_code == 403
    deleted = await ok(await call(api, "delete", "/api/v1/organization", owner))
    assert deleted["result"] == "deleted"
    for headers in (bearer(owner), bearer(admin), key_headers):
        gone = await api.client.get("/api/v1/alerts", headers=headers)
        assert gone.status_code == 401
    login = await api.client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert login.status_code == 403
    # other organizations are untouched
    assert (await api.get("/api/v1/alerts")).status_code == 200
