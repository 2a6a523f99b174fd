"""Who is calling: an API key, a signed-in user (access token) or an integration key.

``authenticate`` turns the request's credentials into a ``Principal`` holding
the organization and the permissions its role or rights grant
(``engine.access.permissions``, the one table). It never says which part of
a credential was wrong beyond "invalid" or "expired".
"""

from __future__ import annotations

from typing import Literal, final

import msgspec

from engine import (
    OrgState,
    Permission,
    hash_api_key,
    permissions_of_rights,
    permissions_of_role,
)
from web.auth.tokens import InvalidToken, looks_like_jwt
from web.errors import ApiError

__all__ = ["INTEGRATION_PERMISSIONS", "Principal", "authenticate"]

PrincipalKind = Literal["api_key", "user", "integration"]

# What an ``api``/``opsgenie`` integration's key may do through the Opsgenie
# alert API (Opsgenie's API integration defaults: read, create and update, delete).
INTEGRATION_PERMISSIONS = frozenset(
    {Permission.READ, Permission.ALERT_WRITE, Permission.ALERT_DELETE}
)
_OPSGENIE_KINDS = frozenset({"api", "opsgenie"})


@final
class Principal(msgspec.Struct, frozen=True, kw_only=True):
    org_id: str
    kind: PrincipalKind
    id: str  # key id, account id or integration id
    name: str
    permissions: frozenset[Permission]
    role: str | None = None  # a user's role in the organization
    team_id: str | None = None  # a team-scoped key's team
    session_id: str = ""

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def key_id(self) -> str:
        """The principal's id (kept for the code that predates users)."""
        return self.id


async def authenticate(keys: list[str], *, integration_keys: bool) -> Principal:
    """The principal of the first credential in ``keys`` that is valid; raises 401/403.

    ``keys`` are the presented credentials in priority order (see
    ``web.app.request_keys``). A JWT-shaped credential is an access token; any
    other is an organization API key or, when ``integration_keys``, the key of
    an enabled ``api``/``opsgenie`` integration.
    """
    from web.app import services

    svc = services()
    if not keys:
        raise ApiError(
            401,
            "unauthorized",
            "missing credentials: use 'Authorization: Bearer <access token>' or "
            "'Authorization: GenieKey <API key>'",
        )
    expired = False
    for key in keys:
        if looks_like_jwt(key):
            try:
                claims = svc.extra["tokens"].verify(key, svc.clock.now())
            except InvalidToken as error:
                expired = expired or "expired" in str(error)
                continue
            role = svc.directory.role_of(claims.account_id, claims.org_id)
            if role is None:
                continue  # removed from the organization, or the organization is gone
            return Principal(
                org_id=claims.org_id,
                kind="user",
                id=claims.account_id,
                name=claims.account_id,
                permissions=permissions_of_role(role),
                role=role,
                session_id=claims.session_id,
            )
        digest = hash_api_key(key)
        entry = svc.directory.lookup(digest)
        if entry is not None:
            svc.directory.touch(digest, svc.clock.now())
            return Principal(
                org_id=entry.org_id,
                kind="api_key",
                id=entry.key_id,
                name=entry.name,
                permissions=permissions_of_rights(entry.rights),
                team_id=entry.team_id,
            )
        if integration_keys:
            integration = svc.directory.lookup_integration(digest)
            if integration is not None and integration.kind in _OPSGENIE_KINDS:
                return await _integration(integration.org_id, integration.integration_id)
    if expired:
        raise ApiError(401, "token_expired", "the access token has expired; refresh it")
    raise ApiError(401, "unauthorized", "invalid credentials")


async def _integration(org_id: str, integration_id: str) -> Principal:
    from web.app import services

    def view(state: OrgState) -> tuple[str, bool] | None:
        record = state.integrations.integrations.get(integration_id)
        return None if record is None else (record.name, record.enabled)

    found = await services().supervisor.read(org_id, view)
    if found is None:
        raise ApiError(401, "unauthorized", "invalid credentials")
    name, enabled = found
    if not enabled:
        raise ApiError(403, "integration_disabled", f"integration {name!r} is disabled")
    return Principal(
        org_id=org_id,
        kind="integration",
        id=integration_id,
        name=name,
        permissions=INTEGRATION_PERMISSIONS,
    )
