"""/api/v1/auth: accounts, sign-in, sessions and invitations.

Accounts and refresh-token sessions live in the identity stream
(``engine.identity``); membership of organizations in each organization's
stream (``engine.access``). Every change here is an event like any other.

Sign-in answers ``{"access_token", "token_type": "Bearer", "expires_in",
"user", "organization"}`` and sets the refresh cookie: HttpOnly, Secure
(unless ``PULSAR_COOKIE_SECURE=0``), SameSite=Strict, scoped to this path.
Each refresh rotates it; presenting a rotated one again revokes its whole
family (the token was copied: theft detection).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any, final

import msgspec
import trio
from quart import Blueprint, Response, g, request

from engine import (
    IDENTITY_STREAM,
    AcceptInvitation,
    Account,
    CommandContext,
    Conflict,
    CreateOrganization,
    IdentityState,
    LoginThrottle,
    OrgState,
    RegisterAccount,
    Rejected,
    RevokeSessionFamily,
    RotateSession,
    SetPassword,
    StartSession,
    UpdateProfile,
    account_by_email,
    family_of_token,
    hash_api_key,
    invitation_status,
    new_id,
)
from web.app import json_response, parse_body, principal, services
from web.auth.tokens import Passwords, TokenService, hash_refresh_token, new_refresh_token
from web.errors import ApiError

__all__ = ["blueprint"]

blueprint = Blueprint("auth", __name__)

COOKIE = "pulsar_refresh"
COOKIE_PATH = "/api/v1/auth"
_BAD_LOGIN = "the email or the password is wrong"


@final
class RegisterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: str
    password: str
    name: str
    organization: str


@final
class LoginIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: str
    password: str
    organization_id: str | None = None


@final
class RefreshIn(msgspec.Struct, kw_only=True):
    refresh_token: str | None = None


@final
class SwitchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    organization_id: str


@final
class ProfileIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str | None = None
    timezone: str | None = None
    locale: str | None = None


@final
class PasswordIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    current_password: str
    new_password: str


@final
class AcceptIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: str
    password: str | None = None
    name: str | None = None


# --- helpers -------------------------------------------------------------------


def _tokens() -> TokenService:
    tokens: TokenService = services().extra["tokens"]
    return tokens


def _passwords() -> Passwords:
    passwords: Passwords = services().extra["passwords"]
    return passwords


class _SignInThrottle:
    """Failed sign-ins back off per account (after 5) and per address (after 50:
    an office behind one NAT address must not lock itself out)."""

    def __init__(self) -> None:
        self.accounts = LoginThrottle(max_free_failures=5)
        self.addresses = LoginThrottle(max_free_failures=50)

    def _pairs(self, email: str) -> list[tuple[LoginThrottle, str]]:
        return [(self.accounts, email), (self.addresses, request.remote_addr or "")]

    def check(self, email: str) -> None:
        now = services().clock.now()
        waits = [w for t, key in self._pairs(email) if (w := t.retry_after(key, now)) is not None]
        if waits:
            seconds = max(1, math.ceil(max(waits)))
            raise ApiError(
                429,
                "too_many_attempts",
                f"too many failed sign-ins; retry after {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    def failed(self, email: str) -> None:
        now = services().clock.now()
        for throttle, key in self._pairs(email):
            throttle.failed(key, now)

    def succeeded(self, email: str) -> None:
        self.accounts.succeeded(email)


def _throttle() -> _SignInThrottle:
    extra = services().extra
    throttle: _SignInThrottle | None = extra.get("sign_in_throttle")
    if throttle is None:
        throttle = extra["sign_in_throttle"] = _SignInThrottle()
    return throttle


def _ctx(account_id: str) -> CommandContext:
    return CommandContext(
        principal_kind="user",
        principal_id=account_id,
        request_id=g.request_id,
        remote_addr=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", "")[:200],
    )


async def _identity(fn: Any) -> Any:
    """Run ``fn`` on the identity area's committed state."""
    return await services().supervisor.read(IDENTITY_STREAM, lambda s: fn(s.identity))


def _user_out(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "timezone": account.timezone,
        "locale": account.locale,
    }


def _check_password(password: str, email: str) -> None:
    problem = _passwords().problem(password, email)
    if problem is not None:
        raise ApiError(422, "invalid_field", problem, field="password")


def _argon2_slots() -> trio.CapacityLimiter:
    """At most 2 argon2 computations at once: each takes 64 MiB and a core for tens
    of ms, so a burst of sign-ins queues here instead of exhausting memory and
    starving the request loop's core."""
    extra = services().extra
    limiter: trio.CapacityLimiter | None = extra.get("argon2_slots")
    if limiter is None:
        limiter = extra["argon2_slots"] = trio.CapacityLimiter(2)
    return limiter


async def _hash(password: str) -> str:
    return await trio.to_thread.run_sync(_passwords().hash, password, limiter=_argon2_slots())


# A hash of a random password, verified against when the email is unknown, so an
# unknown email costs the same time as a wrong password (no account probing).
_DUMMY: dict[str, str] = {}


async def _verify(stored: str | None, password: str) -> bool:
    passwords = _passwords()
    if stored is None:
        if "hash" not in _DUMMY:
            _DUMMY["hash"] = await trio.to_thread.run_sync(
                passwords.hash, new_id(), limiter=_argon2_slots()
            )
        await trio.to_thread.run_sync(
            passwords.verify, _DUMMY["hash"], password, limiter=_argon2_slots()
        )
        return False
    return await trio.to_thread.run_sync(
        passwords.verify, stored, password, limiter=_argon2_slots()
    )


async def _account(account_id: str) -> Account:
    found: Account | None = await _identity(lambda s: s.accounts.get(account_id))
    if found is None:
        raise ApiError(401, "unauthorized", "the account no longer exists")
    return found


async def _signed_in(account: Account, org_id: str, status: int = 200) -> Response:
    """Start a session: a refresh family in the identity stream, then the tokens."""
    svc = services()
    now = svc.clock.now()
    refresh, family_id = new_refresh_token(), new_id()
    ttl = svc.config.refresh_token_ttl
    await svc.supervisor.submit(
        IDENTITY_STREAM,
        StartSession(
            family_id=family_id,
            account_id=account.id,
            token_hash=hash_refresh_token(refresh),
            org_id=org_id,
            expires_at=now + timedelta(seconds=ttl),
        ),
        _ctx(account.id),
    )
    return await _token_response(account, org_id, family_id, refresh, status)


async def _token_response(
    account: Account, org_id: str, family_id: str, refresh: str, status: int = 200
) -> Response:
    svc = services()
    tokens = _tokens()
    access = tokens.issue(account.id, org_id, family_id, svc.clock.now())
    body = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": tokens.ttl,
        "user": _user_out(account),
        "organization": await _organization_out(account.id, org_id),
    }
    response = json_response(body, status)
    _set_cookie(response, refresh)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _organization_out(account_id: str, org_id: str) -> dict[str, Any]:
    directory = services().directory
    return {
        "id": org_id,
        "name": directory.orgs.get(org_id, ""),
        "role": directory.role_of(account_id, org_id),
    }


def _set_cookie(response: Response, refresh: str) -> None:
    response.set_cookie(
        COOKIE,
        refresh,
        max_age=services().config.refresh_token_ttl,
        path=COOKIE_PATH,
        secure=services().config.cookie_secure,
        httponly=True,
        samesite="Strict",
    )


def _clear_cookie(response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        secure=services().config.cookie_secure,
        httponly=True,
        samesite="Strict",
    )


def _default_org(account_id: str, wanted: str | None) -> str:
    """The organization a sign-in opens: the asked one, else the first by name."""
    directory = services().directory
    orgs = directory.orgs_of(account_id)
    if wanted is not None:
        if wanted not in orgs:
            raise ApiError(403, "not_a_member", "you are not a member of that organization")
        return wanted
    if not orgs:
        raise ApiError(403, "no_organization", "this account belongs to no organization")
    return min(orgs, key=lambda org_id: (directory.orgs.get(org_id, ""), org_id))


# --- routes --------------------------------------------------------------------


@blueprint.post("/auth/register")
async def register() -> Response:
    body = await parse_body(RegisterIn)
    email = body.email.strip().lower()
    _check_password(body.password, email)
    if not body.organization.strip():
        raise ApiError(422, "invalid_field", "organization must not be empty", field="organization")
    svc = services()
    account_id, org_id = new_id(), new_id()
    password_hash = await _hash(body.password)
    ctx = _ctx(account_id)
    await svc.supervisor.submit(
        IDENTITY_STREAM,
        RegisterAccount(
            account_id=account_id, email=email, name=body.name, password_hash=password_hash
        ),
        ctx,
    )
    account = await _account(account_id)
    await svc.supervisor.submit(
        org_id,
        CreateOrganization(
            org_id=org_id,
            name=body.organization,
            owner_account_id=account_id,
            owner_email=account.email,
            owner_name=account.name,
        ),
        ctx,
    )
    svc.directory.learn_member(org_id, account_id, "owner")
    svc.directory.orgs.setdefault(org_id, body.organization.strip())
    return await _signed_in(account, org_id, 201)


@blueprint.post("/auth/login")
async def login() -> Response:
    body = await parse_body(LoginIn)
    email = body.email.strip().lower()
    _throttle().check(email)
    found: Account | None = await _identity(lambda s: account_by_email(s, email))
    ok = await _verify(found.password_hash if found else None, body.password)
    if not ok or found is None:
        _throttle().failed(email)
        raise ApiError(401, "invalid_credentials", _BAD_LOGIN)
    _throttle().succeeded(email)
    assert found.password_hash is not None
    if _passwords().needs_rehash(found.password_hash):
        rehashed = await _hash(body.password)
        await services().supervisor.submit(
            IDENTITY_STREAM,
            SetPassword(account_id=found.id, password_hash=rehashed),
            _ctx(found.id),
        )
    return await _signed_in(found, _default_org(found.id, body.organization_id))


def _presented_refresh(body: RefreshIn) -> str:
    token = body.refresh_token or request.cookies.get(COOKIE) or ""
    if not token:
        raise ApiError(401, "invalid_refresh_token", "no refresh token: sign in again")
    return token


@blueprint.post("/auth/refresh")
async def refresh() -> Response:
    body = await parse_body(RefreshIn, optional=True)
    token = _presented_refresh(body)
    return await _rotate(token, None)


async def _rotate(token: str, org_id: str | None) -> Response:
    """Rotate the refresh token (optionally switching organization) and answer tokens."""
    svc = services()
    token_hash = hash_refresh_token(token)
    family = await _identity(lambda s: _family_view(s, token_hash))
    if family is None:
        raise _refresh_error("invalid_refresh_token", "the refresh token is not valid")
    family_id, account_id, family_org = family
    new_token = new_refresh_token()
    now = svc.clock.now()
    try:
        await svc.supervisor.submit(
            IDENTITY_STREAM,
            RotateSession(
                token_hash=token_hash,
                new_token_hash=hash_refresh_token(new_token),
                org_id=org_id,
                expires_at=now + timedelta(seconds=svc.config.refresh_token_ttl),
            ),
            _ctx(account_id),
        )
    except (Rejected, Conflict) as error:
        if error.code == "refresh_token_reused":
            await svc.supervisor.submit(
                IDENTITY_STREAM,
                RevokeSessionFamily(family_id=family_id, reason="reuse"),
                _ctx(account_id),
            )
            raise _refresh_error(
                "refresh_token_reused",
                "this refresh token was already used; every session of its sign-in is revoked",
            ) from None
        raise _refresh_error("invalid_refresh_token", error.message) from None
    account = await _account(account_id)
    active = org_id or family_org
    if svc.directory.role_of(account_id, active) is None:
        active = _default_org(account_id, None)
    return await _token_response(account, active, family_id, new_token)


def _family_view(state: IdentityState, token_hash: str) -> tuple[str, str, str] | None:
    family = family_of_token(state, token_hash)
    if family is None:
        return None
    return family.id, family.account_id, family.org_id


class _RefreshError(ApiError):
    """401 that also clears the refresh cookie."""


def _refresh_error(code: str, message: str) -> ApiError:
    return _RefreshError(401, code, message)


@blueprint.errorhandler(_RefreshError)
async def _refresh_failed(error: _RefreshError) -> Response:
    from web.errors import error_response

    response = error_response(error.status, error.code, error.message)
    _clear_cookie(response)
    return response


@blueprint.post("/auth/logout")
async def logout() -> Response:
    """Revoke the presented refresh token's family; always 204 (idempotent)."""
    body = await parse_body(RefreshIn, optional=True)
    token = body.refresh_token or request.cookies.get(COOKIE) or ""
    if token:
        token_hash = hash_refresh_token(token)
        family = await _identity(lambda s: _family_view(s, token_hash))
        if family is not None:
            await services().supervisor.submit(
                IDENTITY_STREAM,
                RevokeSessionFamily(family_id=family[0], reason="logout"),
                _ctx(family[1]),
            )
    response = Response(b"", status=204)
    _clear_cookie(response)
    return response


@blueprint.get("/auth/me")
async def me() -> Response:
    who = principal()
    account = await _account(who.id)
    directory = services().directory
    organizations = [
        {"id": org_id, "name": directory.orgs.get(org_id, ""), "role": role}
        for org_id, role in sorted(directory.orgs_of(who.id).items())
    ]
    return json_response(
        {
            "user": _user_out(account),
            "organization": await _organization_out(who.id, who.org_id),
            "organizations": organizations,
            "permissions": sorted(p.value for p in who.permissions),
        }
    )


@blueprint.patch("/auth/me")
async def update_me() -> Response:
    who = principal()
    body = await parse_body(ProfileIn)
    await services().supervisor.submit(
        IDENTITY_STREAM,
        UpdateProfile(
            account_id=who.id, name=body.name, timezone=body.timezone, locale=body.locale
        ),
        _ctx(who.id),
    )
    return json_response({"user": _user_out(await _account(who.id))})


@blueprint.post("/auth/password")
async def change_password() -> Response:
    """Change the password: every other session ends, a new one starts."""
    who = principal()
    body = await parse_body(PasswordIn)
    account = await _account(who.id)
    if not await _verify(account.password_hash, body.current_password):
        raise ApiError(403, "invalid_credentials", "the current password is wrong")
    _check_password(body.new_password, account.email)
    svc = services()
    await svc.supervisor.submit(
        IDENTITY_STREAM,
        SetPassword(account_id=who.id, password_hash=await _hash(body.new_password)),
        _ctx(who.id),
    )
    from engine import RevokeAccountSessions

    await svc.supervisor.submit(
        IDENTITY_STREAM,
        RevokeAccountSessions(account_id=who.id, reason="password_changed"),
        _ctx(who.id),
    )
    return await _signed_in(await _account(who.id), who.org_id)


@blueprint.post("/auth/switch-organization")
async def switch_organization() -> Response:
    who = principal()
    body = await parse_body(SwitchIn)
    if services().directory.role_of(who.id, body.organization_id) is None:
        raise ApiError(403, "not_a_member", "you are not a member of that organization")
    token = request.cookies.get(COOKIE)
    if token:
        return await _rotate(token, body.organization_id)
    account = await _account(who.id)
    tokens = _tokens()
    return json_response(
        {
            "access_token": tokens.issue(
                who.id, body.organization_id, who.session_id, services().clock.now()
            ),
            "token_type": "Bearer",
            "expires_in": tokens.ttl,
            "user": _user_out(account),
            "organization": await _organization_out(who.id, body.organization_id),
        }
    )


# --- invitations (the invitee's side) -------------------------------------------


async def _invitation(token: str) -> tuple[str, Any]:
    directory = services().directory
    found = directory.lookup_invitation(hash_api_key(token))
    if found is None:
        raise ApiError(404, "invitation_not_found", "no such invitation (or it was used)")
    org_id, invitation_id = found
    invitation = await services().supervisor.read(
        org_id, lambda s: s.access.invitations.get(invitation_id)
    )
    if invitation is None:
        raise ApiError(404, "invitation_not_found", "no such invitation (or it was used)")
    return org_id, invitation


@blueprint.get("/auth/invitations/<token>")
async def show_invitation(token: str) -> Response:
    org_id, invitation = await _invitation(token)
    email = invitation.email
    existing: Account | None = await _identity(lambda s: account_by_email(s, email))
    return json_response(
        {
            "organization": {"id": org_id, "name": services().directory.orgs.get(org_id, "")},
            "email": email,
            "role": invitation.role,
            "expires_at": invitation.expires_at,
            "account_exists": existing is not None and existing.password_hash is not None,
        }
    )


@blueprint.post("/auth/invitations/accept")
async def accept_invitation() -> Response:
    """Join the inviting organization, creating the account or setting its password."""
    body = await parse_body(AcceptIn)
    org_id, invitation = await _invitation(body.token)
    svc = services()
    _check_open(invitation)
    email = invitation.email
    account: Account | None = await _identity(lambda s: account_by_email(s, email))
    if account is not None and account.password_hash is not None:
        # An existing account proves itself with its password, as at sign-in.
        _throttle().check(email)
        if not await _verify(account.password_hash, body.password or ""):
            _throttle().failed(email)
            raise ApiError(401, "invalid_credentials", "the password is wrong", field="password")
    else:
        if account is not None and set(svc.directory.orgs_of(account.id)) - {org_id}:
            # Choosing the first password of an account another organization added
            # would open that organization too: its own link sets it (then come back).
            raise ApiError(
                409,
                "account_elsewhere",
                "this account belongs to another organization and has no password yet: "
                "set it with that organization's invitation first, then accept this one",
            )
        if not body.password:
            raise ApiError(422, "invalid_field", "choose a password", field="password")
        _check_password(body.password, email)
        password_hash = await _hash(body.password)
        if account is None:
            account_id = new_id()
            name = (body.name or "").strip() or email.split("@")[0]
            try:
                await svc.supervisor.submit(
                    IDENTITY_STREAM,
                    RegisterAccount(
                        account_id=account_id, email=email, name=name, password_hash=password_hash
                    ),
                    _ctx(account_id),
                )
            except Conflict:
                raise ApiError(409, "email_taken", "an account with this email exists") from None
        else:
            account_id = account.id
            await svc.supervisor.submit(
                IDENTITY_STREAM,
                SetPassword(account_id=account_id, password_hash=password_hash),
                _ctx(account_id),
            )
        account = await _account(account_id)
    await svc.supervisor.submit(
        org_id,
        AcceptInvitation(
            invitation_id=invitation.invitation_id, account_id=account.id, name=account.name
        ),
        _ctx(account.id),
    )
    role: str | None = await svc.supervisor.read(org_id, lambda s: _member_role(s, account.id))
    if role is not None:
        svc.directory.learn_member(org_id, account.id, role)
    return await _signed_in(account, org_id)


_CLOSED = {
    "expired": ("invitation_expired", "this invitation has expired"),
    "accepted": ("invitation_used", "this invitation was already accepted"),
    "revoked": ("invitation_revoked", "this invitation was revoked"),
}


def _check_open(invitation: Any) -> None:
    """Raise 409 unless the invitation is pending, before any account changes.

    The engine refuses a closed invitation too, but only after the password was
    set: an expired link must not set anyone's password.
    """
    status = invitation_status(invitation, services().clock.now())
    if status in _CLOSED:
        code, message = _CLOSED[status]
        raise Rejected(code, message)


def _member_role(state: OrgState, account_id: str) -> str | None:
    member = state.access.members.get(account_id)
    return None if member is None else str(member.role)
