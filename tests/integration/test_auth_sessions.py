"""Accounts and sessions: register, login, refresh rotation and reuse detection, logout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, cookie_secure=False) as harness:
        yield harness


async def register(api: Harness, email: str = "ada@example.com", org: str = "Acme") -> Any:
    response = await api.client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Ada", "organization": org},
    )
    assert response.status_code == 201, await response.get_data()
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refresh_cookie(response: Any) -> str:
    header = response.headers.get("Set-Cookie", "")
    assert header.startswith("pulsar_refresh="), header
    return header.split(";")[0].split("=", 1)[1]


async def test_register_answers_tokens_and_sets_a_strict_cookie(api: Harness) -> None:
    response = await register(api)
    body = await response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["user"]["email"] == "ada@example.com"
    assert body["organization"]["role"] == "owner"
    cookie = response.headers["Set-Cookie"]
    for part in ("HttpOnly", "SameSite=Strict", "Path=/api/v1/auth"):
        assert part in cookie
    me = await api.client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert (await me.get_json())["organization"]["id"] == body["organization"]["id"]
    alerts = await api.client.get("/api/v1/alerts", headers=bearer(body["access_token"]))
    assert alerts.status_code == 200


async def test_the_cookie_is_secure_by_default() -> None:
    async with fresh_database() as dsn, open_harness(dsn) as harness:
        response = await register(harness)
        assert "Secure" in response.headers["Set-Cookie"]


async def test_login_is_silent_about_which_part_was_wrong(api: Harness) -> None:
    await register(api)
    wrong_password = await api.client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": "x" * 12}
    )
    unknown_email = await api.client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "x" * 12}
    )
    assert wrong_password.status_code == unknown_email.status_code == 401
    first, second = await wrong_password.get_json(), await unknown_email.get_json()
    assert first["code"] == second["code"] == "invalid_credentials"
    assert first["message"] == second["message"]
    ok = await api.client.post(
        "/api/v1/auth/login", json={"email": "ADA@example.com ", "password": PASSWORD}
    )
    assert ok.status_code == 200


async def test_refresh_rotates_and_reuse_revokes_the_family(api: Harness) -> None:
    first = refresh_cookie(await register(api))
    rotated = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200, await rotated.get_data()
    second = refresh_cookie(rotated)
    assert second != first
    reused = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401
    assert (await reused.get_json())["code"] == "refresh_token_reused"
    # the thief's reuse also ends the legitimate holder's session
    after = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401


async def test_logout_revokes_the_refresh_token(api: Harness) -> None:
    token = refresh_cookie(await register(api))
    out = await api.client.post("/api/v1/auth/logout", json={"refresh_token": token})
    assert out.status_code == 204
    again = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert again.status_code == 401


async def test_register_rejects_weak_passwords_and_taken_emails(api: Harness) -> None:
    await register(api)
    taken = await api.client.post(
        "/api/v1/auth/register",
        json={"email": "ada@example.com", "password": PASSWORD, "name": "A", "organization": "B"},
    )
    assert taken.status_code == 409
    for password in ("short", "bob@example.com"):
        weak = await api.client.post(
            "/api/v1/auth/register",
            json={
                "email": "bob@example.com",
                "password": password,
                "name": "B",
                "organization": "B",
            },
        )
        assert weak.status_code == 422
        assert (await weak.get_json())["field"] == "password"


async def test_no_response_contains_a_password_hash(api: Harness) -> None:
    response = await register(api)
    token = (await response.get_json())["access_token"]
    for path in ("/api/v1/auth/me",):
        data = await (await api.client.get(path, headers=bearer(token))).get_data()
        assert b"argon2" not in data
    assert b"argon2" not in await response.get_data()


async def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(api: Harness) -> None:
    """Transparent rehash: a password hashed with weaker parameters is rehashed with the
    current ones at the next successful sign-in, as a PasswordSet event."""
    from argon2 import PasswordHasher

    from engine import IDENTITY_STREAM, account_by_email
    from web.auth.tokens import Passwords

    current = api.services.extra["passwords"]
    api.services.extra["passwords"] = Passwords(PasswordHasher(time_cost=1, memory_cost=8192))
    await register(api)
    api.services.extra["passwords"] = current

    async def stored() -> str:
        def view(state: Any) -> str:
            account = account_by_email(state.identity, "ada@example.com")
            assert account is not None
            assert account.password_hash is not None
            return account.password_hash

        found: str = await api.services.supervisor.read(IDENTITY_STREAM, view)
        return found

    assert "m=8192,t=1" in await stored()
    ok = await api.client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert ok.status_code == 200
    assert "m=65536,t=3" in await stored()
