"""Members of an organization as the user APIs see them, and the writes that change them.

Shared by the native ``/api/v1/users`` (``web.api.users``) and Opsgenie's
``/v2/users`` (``web.api.opsgenie_users``): one engine path, two encodings.

A user is an organization member (``engine.access``, in the organization's
stream) joined with its global account (``engine.identity``, in
``IDENTITY_STREAM``) for the profile fields. Adding a user registers the
account when the email has none (without a password), adds the member, and
issues a set-up invitation: its token is returned once to the admin, only
its hash is stored, and accepting it (``POST /api/v1/auth/invitations/accept``)
sets the password. After each membership change the directory catches up
(serialised with its follower), so sign-in and access in this process see the
change when the answer leaves.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final, TypeVar, final

import msgspec
from quart import request

from engine import (
    IDENTITY_STREAM,
    ROLES,
    Account,
    AddMember,
    ChangeMemberRole,
    CommandContext,
    Conflict,
    CreateInvitation,
    NotFound,
    OrgState,
    RegisterAccount,
    RemoveMember,
    UpdateProfile,
    account_by_email,
    hash_api_key,
    new_id,
)
from web.app import services
from web.auth.principal import Principal
from web.errors import ApiError

__all__ = [
    "INVITATION_TTL",
    "IssuedInvitation",
    "User",
    "actor_role",
    "add_user",
    "change_role",
    "check_role",
    "find_user",
    "issue_invitation",
    "list_users",
    "refresh_directory",
    "remove_user",
    "update_profile",
]

T = TypeVar("T")
INVITATION_TTL: Final = timedelta(days=7)
TOKEN_PREFIX: Final = "inv_"


@final
class User(msgspec.Struct, frozen=True, kw_only=True):
    """A member with its account's profile (a copy: never the actor's live state)."""

    id: str
    email: str
    name: str
    role: str
    joined_at: datetime
    timezone: str
    locale: str
    has_password: bool


@final
class IssuedInvitation(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation just created: the only moment its token exists outside the invitee."""

    id: str
    email: str
    role: str
    expires_at: datetime
    token: str
    link: str


def actor_role(who: Principal) -> str:
    """The role the engine's owner rules see: a user's own; an API key is an admin."""
    if who.kind == "user":
        return who.role or "viewer"
    return "admin"


def check_role(role: str, field: str = "role") -> str:
    """``role`` if it is one of the roles; else 422 naming ``field``."""
    if role not in ROLES:
        raise ApiError(422, "invalid_field", f"role must be one of {', '.join(ROLES)}", field=field)
    return role


def _user_not_found(user_id: str) -> ApiError:
    return ApiError(404, "user_not_found", f"user {user_id!r} is not a member")


# -- reads -------------------------------------------------------------------------------


async def _read(org_id: str, fn: Callable[[OrgState], T]) -> T:
    return await services().supervisor.read(org_id, fn)


def _members(state: OrgState) -> list[tuple[str, str, str, str, datetime]]:
    return [
        (m.account_id, m.email, m.name, m.role, m.joined_at) for m in state.access.members.values()
    ]


async def _users(org_id: str) -> list[User]:
    members = await _read(org_id, _members)
    ids = [m[0] for m in members]

    def profiles(state: OrgState) -> dict[str, tuple[str, str, str, bool]]:
        accounts = state.identity.accounts
        return {
            a.id: (a.name, a.timezone, a.locale, a.password_hash is not None)
            for i in ids
            if (a := accounts.get(i)) is not None
        }

    found = await _read(IDENTITY_STREAM, profiles)
    users = []
    for account_id, email, name, role, joined_at in members:
        profile = found.get(account_id, (name, "UTC", "en", False))
        users.append(
            User(
                id=account_id,
                email=email,
                name=profile[0] or name,
                role=role,
                joined_at=joined_at,
                timezone=profile[1],
                locale=profile[2],
                has_password=profile[3],
            )
        )
    return users


async def list_users(org_id: str) -> list[User]:
    """The organization's members, in join order."""
    return await _users(org_id)


async def find_user(org_id: str, identifier: str, *, by_email: bool = False) -> User:
    """The member with id ``identifier`` (or, with ``by_email``, that email); 404 if none.

    Another organization's user is not a member here, so it is a 404 like any unknown id.
    """
    wanted = identifier.strip().lower()
    for user in await _users(org_id):
        if user.id == identifier or (by_email and user.email == wanted):
            return user
    raise _user_not_found(identifier)


async def _account_of(email: str) -> Account | None:
    found: Account | None = await _read(
        IDENTITY_STREAM, lambda s: _copy(account_by_email(s.identity, email))
    )
    return found


def _copy(account: Account | None) -> Account | None:
    return None if account is None else msgspec.structs.replace(account)


# -- writes ------------------------------------------------------------------------------


def _identity_ctx(ctx: CommandContext) -> CommandContext:
    # The identity stream is shared by every organization: an Idempotency-Key is
    # one organization's, so it never keys an identity command.
    return msgspec.structs.replace(ctx, idempotency_key=None, fingerprint="")


def _keyed(ctx: CommandContext, suffix: str) -> CommandContext:
    """``ctx`` for one step of a multi-command request (its own Idempotency-Key)."""
    if ctx.idempotency_key is None:
        return ctx
    return msgspec.structs.replace(ctx, idempotency_key=f"{ctx.idempotency_key}#{suffix}")


async def refresh_directory() -> None:
    """Apply the access events just committed to this process's directory."""
    svc = services()
    await svc.directory.catch_up(svc.store)


def _check_claimable(account: Account, org_id: str) -> None:
    """Raise 409 if ``account`` has no password yet and another organization holds it.

    Its first password is set through the set-up link of the organization that
    added it (``web.api.auth`` refuses the others' links, which would otherwise
    open that organization to whoever holds them); a second organization adding
    it directly would hold a set-up link that can never be used. Inviting works:
    the person accepts with the password they set meanwhile.
    """
    if account.password_hash is None and set(services().directory.orgs_of(account.id)) - {org_id}:
        raise ApiError(
            409,
            "account_elsewhere",
            "this person's account was added by another organization and has no password "
            "yet: invite them (POST /api/v1/invitations) instead",
            field="email",
        )


async def _ensure_account(
    email: str, name: str, org_id: str, ctx: CommandContext
) -> tuple[str, bool]:
    """The id of the account with ``email``, registering one without a password if none.

    Returns ``(account_id, created)``. Raises 422 for a bad email or name, 409
    ``account_elsewhere`` (see ``_check_claimable``).
    """
    existing = await _account_of(email)
    if existing is not None:
        _check_claimable(existing, org_id)
        return existing.id, False
    account_id = new_id()
    display = name.strip() or email.strip().split("@")[0]
    try:
        await services().supervisor.submit(
            IDENTITY_STREAM,
            RegisterAccount(account_id=account_id, email=email, name=display, password_hash=None),
            _identity_ctx(ctx),
        )
    except Conflict:  # registered meanwhile (another request): use that account
        raced = await _account_of(email)
        if raced is None:
            raise
        return raced.id, False
    return account_id, True


async def add_user(
    who: Principal,
    ctx: CommandContext,
    *,
    email: str,
    name: str,
    role: str,
    profile: tuple[str | None, str | None] = (None, None),
    invite: bool = True,
) -> tuple[User, IssuedInvitation | None]:
    """Add a member directly; with ``invite``, also issue their set-up invitation.

    ``profile`` is ``(timezone, locale)`` for an account registered here. A retry
    with the same Idempotency-Key answers the same user and ``None`` for the
    invitation (its token was shown only in the first answer). Raises 403 when an
    admin adds an owner, 409 ``member_exists``, 422 for bad fields.
    """
    check_role(role)
    actor = actor_role(who)
    if role == "owner" and actor != "owner":
        raise ApiError(403, "forbidden", "only an owner may grant the owner role", field="role")
    account_id, created = await _ensure_account(email, name, who.org_id, ctx)
    if created and profile != (None, None):
        await services().supervisor.submit(
            IDENTITY_STREAM,
            UpdateProfile(account_id=account_id, timezone=profile[0], locale=profile[1]),
            _identity_ctx(ctx),
        )
    account = await _account_of(email)
    assert account is not None
    add = AddMember(
        account_id=account_id, email=account.email, name=account.name, role=role, actor_role=actor
    )
    outcome = await services().supervisor.submit(who.org_id, add, _keyed(ctx, "member"))
    account_id = outcome.subject_id or account_id  # a retry: the member it added first
    services().directory.learn_member(who.org_id, account_id, role)
    issued = None
    if invite:
        issued = await issue_invitation(who, ctx, email=account.email, role=role, member=account_id)
    await refresh_directory()
    return await find_user(who.org_id, account_id), issued


def _link(token: str) -> str:
    base = services().config.public_url or request.host_url
    return f"{base.rstrip('/')}/accept-invitation?token={token}"


async def issue_invitation(
    who: Principal, ctx: CommandContext, *, email: str, role: str, member: str | None = None
) -> IssuedInvitation | None:
    """Create an invitation (a set-up one for ``member``) valid for seven days.

    ``None`` when a retry with the same Idempotency-Key found the invitation made
    by the first request (whose token cannot be shown again).
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = services().clock.now() + INVITATION_TTL
    command = CreateInvitation(
        invitation_id=new_id(),
        email=email,
        role=role,
        token_hash=hash_api_key(token),
        expires_at=expires_at,
        actor_role=actor_role(who),
        member_id=member,
    )
    outcome = await services().supervisor.submit(who.org_id, command, _keyed(ctx, "invitation"))
    await refresh_directory()
    if outcome.subject_id != command.invitation_id:
        return None
    return IssuedInvitation(
        id=command.invitation_id,
        email=email.strip().lower(),
        role=role,
        expires_at=expires_at,
        token=token,
        link=_link(token),
    )


async def change_role(who: Principal, ctx: CommandContext, user_id: str, role: str) -> User:
    """Give member ``user_id`` ``role`` (403/409 by the engine's owner rules)."""
    check_role(role)
    await find_user(who.org_id, user_id)
    command = ChangeMemberRole(account_id=user_id, role=role, actor_role=actor_role(who))
    try:
        await services().supervisor.submit(who.org_id, command, ctx)
    except NotFound:
        raise _user_not_found(user_id) from None
    await refresh_directory()
    return await find_user(who.org_id, user_id)


async def remove_user(who: Principal, ctx: CommandContext, user_id: str) -> None:
    """Remove member ``user_id``; their tokens stop opening this organization at once."""
    await find_user(who.org_id, user_id)
    command = RemoveMember(account_id=user_id, actor_role=actor_role(who))
    try:
        await services().supervisor.submit(who.org_id, command, ctx)
    except NotFound:
        raise _user_not_found(user_id) from None
    await refresh_directory()


async def update_profile(
    who: Principal,
    ctx: CommandContext,
    user_id: str,
    *,
    name: str | None,
    timezone: str | None,
    locale: str | None,
) -> bool:
    """Change a user's profile if this organization alone holds the account.

    An account that belongs to other organizations too is its owner's to edit
    (``PATCH /api/v1/auth/me``): an admin here must not rename a person for
    everyone. Returns whether the profile was this organization's to change.
    """
    orgs = services().directory.orgs_of(user_id)
    if set(orgs) - {who.org_id}:
        return False
    await services().supervisor.submit(
        IDENTITY_STREAM,
        UpdateProfile(account_id=user_id, name=name, timezone=timezone, locale=locale),
        _identity_ctx(ctx),
    )
    return True
