"""Every route x every kind of caller, generated from the app's URL map.

For each route that needs a credential: no credential, an expired token, a
tampered token, an ``alg: none`` token and a token for an organization the
user is not in are 401; each role and each key right gets 403 exactly when
the route's permission (``web.auth.routes``) is not granted by the one table
(``engine.access.permissions``), and passes the gate otherwise. A new route
is walked without anyone writing a line here; one without a rule fails
``tests/unit/web/test_route_access.py``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from engine import (
    IDENTITY_STREAM,
    SYSTEM,
    AddMember,
    CreateApiKey,
    Permission,
    RegisterAccount,
    hash_api_key,
    new_api_key,
    new_id,
    permissions_of_rights,
    permissions_of_role,
)
from tests.helpers.app import Harness, open_harness
from tests.pg import fresh_database
from web.auth.principal import INTEGRATION_PERMISSIONS
from web.auth.routes import Access, access_of

pytestmark = pytest.mark.postgres

ROLES = ("owner", "admin", "member", "viewer")
KEY_RIGHTS = (("read",), ("create-and-update",), ("delete",), ("configuration-access",))
_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
# A dummy argon2id hash: these accounts never sign in with a password.
_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    permissions: frozenset[Permission] | None  # None: must be refused with 401
    kind: str  # user | api_key | integration | none


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str
    access: Access


def _routes(harness: Harness) -> list[Route]:
    app = harness.client.app  # type: ignore[attr-defined]
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.websocket:
            continue  # authenticated by its first frame: tests/integration/test_ws.py
        path = _PARAM.sub(lambda m: "prefix" if m.group(1) == "og_prefix" else "x1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # The endpoint that really answers (a catch-all rule's sample path may
            # be served by a more specific rule).
            endpoint, _ = adapter.match(path, method)
            access = access_of(endpoint)
            assert access is not None, endpoint
            if access.credential and not endpoint.startswith("testing."):
                routes.append(Route(endpoint, method, path, access))
    # Deleting the organization runs last (it would end the walk).
    routes.sort(key=lambda r: r.access.permission is Permission.DELETE_ORGANIZATION)
    return routes


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _member(harness: Harness, org_id: str, role: str) -> str:
    services = harness.services
    account_id = new_id()
    await services.supervisor.submit(
        IDENTITY_STREAM,
        RegisterAccount(
            account_id=account_id,
            email=f"{role}-{account_id[-6:]}@example.com",
            name=role,
            password_hash=_HASH,
        ),
        SYSTEM,
    )
    await services.supervisor.submit(
        org_id,
        AddMember(
            account_id=account_id,
            email=f"{role}-{account_id[-6:]}@example.com",
            name=role,
            role=role,
            actor_role="system",
        ),
        SYSTEM,
    )
    return account_id


def _token(harness: Harness, account_id: str, org_id: str, *, age: float = 0) -> str:
    tokens = harness.services.extra["tokens"]
    issued = harness.services.clock.now() - timedelta(seconds=age)
    token: str = tokens.issue(account_id, org_id, "sid", issued)
    return token


async def _callers(harness: Harness) -> list[Caller]:
    org_id = harness.org.org_id
    callers = [Caller("no credential", {}, None, "none")]
    users = {role: await _member(harness, org_id, role) for role in ROLES}
    for role, account_id in users.items():
        callers.append(
            Caller(
                f"{role} token",
                _bearer(_token(harness, account_id, org_id)),
                permissions_of_role(role),
                "user",
            )
        )
    owner = users["owner"]
    callers.append(
        Caller("expired token", _bearer(_token(harness, owner, org_id, age=901)), None, "none")
    )
    header, payload, signature = _token(harness, owner, org_id).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = users["viewer"]
    callers.append(
        Caller("tampered token", _bearer(f"{header}.{_b64(claims)}.{signature}"), None, "none")
    )
    none_header = _b64({"alg": "none", "typ": "JWT"})
    callers.append(Caller("alg=none token", _bearer(f"{none_header}.{payload}."), None, "none"))
    other = await harness.new_org("other")
    stranger = await _member(harness, other.org_id, "owner")
    await harness.services.directory.catch_up(harness.services.store)
    callers.append(
        Caller(
            "token for an org the user is not in",
            _bearer(_token(harness, stranger, org_id)),
            None,
            "none",
        )
    )
    for rights in KEY_RIGHTS:
        key = new_api_key()
        await harness.services.supervisor.submit(
            org_id,
            CreateApiKey(
                key_id=new_id(), name="-".join(rights), key_hash=hash_api_key(key), rights=rights
            ),
            SYSTEM,
        )
        callers.append(
            Caller(
                f"key {rights}",
                {"Authorization": f"GenieKey {key}"},
                permissions_of_rights(rights),
                "api_key",
            )
        )
    created = await harness.post("/api/v1/integrations", json={"name": "og", "type": "opsgenie"})
    integration_key = (await created.get_json())["data"]["key"]
    callers.append(
        Caller(
            "opsgenie integration key",
            {"Authorization": f"GenieKey {integration_key}"},
            INTEGRATION_PERMISSIONS,
            "integration",
        )
    )
    await harness.services.directory.catch_up(harness.services.store)
    return callers


def _expected_denial(route: Route, caller: Caller) -> int | None:
    """401 or 403 if ``caller`` must be refused at the gate, else None."""
    access = route.access
    if caller.permissions is None:
        return 401
    if caller.kind == "integration" and not access.integration_keys:
        return 401  # an integration key is not a credential of this API
    if access.users_only and caller.kind != "user":
        return 403
    if access.permission is not None and access.permission not in caller.permissions:
        return 403
    return None


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with (
        fresh_database() as dsn,
        open_harness(dsn, rate_limit_ip=0, rate_limit_user=0, rate_limit_key=0) as harness,
    ):
        yield harness


async def test_every_route_with_every_caller(api: Harness) -> None:
    callers = await _callers(api)
    routes = _routes(api)
    assert len(routes) > 100
    wrong: list[str] = []
    checked = 0
    # No response may carry a password hash or a key secret (they are shown once, at creation).
    secrets = [
        value.split(" ", 1)[1].encode()
        for caller in callers
        for value in caller.headers.values()
        if value.startswith("GenieKey ")
    ] + [api.org.api_key.encode()]
    for route in routes:
        # Callers that pass the gate go last: a route like deleting the
        # organization changes what every later caller would see.
        for caller in sorted(callers, key=lambda c: _expected_denial(route, c) is None):
            response = await api.client.open(
                route.path,
                method=route.method,
                headers=caller.headers,
                json={} if route.method in ("POST", "PUT", "PATCH") else None,
            )
            checked += 1
            status = response.status_code
            body = await response.get_data()
            if b"$argon2" in body or any(secret in body for secret in secrets):
                wrong.append(f"{route.method} {route.path} as {caller.name}: a secret in the body")
            expected = _expected_denial(route, caller)
            if expected is None:
                if status in (401, 403) or (status >= 500 and status != 501):
                    body = (await response.get_data()).decode()[:120]
                    wrong.append(f"{route.method} {route.path} as {caller.name}: {status} {body}")
            elif status != expected:
                wrong.append(
                    f"{route.method} {route.path} as {caller.name}: {status} != {expected}"
                )
    assert wrong == [], f"{len(wrong)} of {checked} checks:\n" + "\n".join(wrong[:60])
