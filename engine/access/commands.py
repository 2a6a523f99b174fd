"""Commands of the access area (organization, members, invitations, API keys) and their checks.

Member and invitation commands carry ``actor_role``, the role of whoever issues
them (``"owner"``, ``"admin"``, ...; ``"system"`` for the CLI and
registration). The web layer checks that the actor may manage members at all
(``engine.access.permissions``); ``decide`` enforces the rules that depend on
state: only an owner (or the system) grants the owner role or changes or
removes an owner, and the last owner stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.access.permissions import KEY_RIGHTS, ROLES
from engine.errors import Rejected

__all__ = [
    "ACCESS_COMMAND_TYPES",
    "AcceptInvitation",
    "AccessCommand",
    "AddMember",
    "ChangeMemberRole",
    "CreateApiKey",
    "CreateInvitation",
    "CreateOrganization",
    "DeleteOrganization",
    "RemoveMember",
    "RevokeApiKey",
    "RevokeInvitation",
    "check_email",
    "check_id",
    "check_name",
    "check_person_name",
    "check_rights",
    "check_role",
    "invalid",
]

MAX_NAME: Final = 100
MAX_EMAIL: Final = 254
MAX_PREFIX: Final = 32


@final
class CreateOrganization(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Start a new organization, with a first full-rights API key and/or an owner.

    ``key_hash`` empty: no key (registration through the UI). ``owner_account_id``
    given: that account becomes the first owner.
    """

    org_id: str
    name: str
    key_id: str = ""
    key_hash: str = ""
    owner_account_id: str | None = None
    owner_email: str = ""
    owner_name: str = ""


@final
class DeleteOrganization(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Delete the organization (owner or system only); it accepts no access command after."""

    actor_role: str


@final
class CreateApiKey(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Add an API key; only its hash is ever stored.

    ``rights`` is a non-empty subset of ``KEY_RIGHTS`` or exactly ``("full",)``;
    ``prefix`` is the secret's visible first characters, shown in listings;
    ``team_id`` restricts the key to a team.
    """

    key_id: str
    name: str
    key_hash: str
    rights: tuple[str, ...] = ("full",)
    prefix: str = ""
    team_id: str | None = None


@final
class RevokeApiKey(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Revoke an API key; revoking it again changes nothing."""

    key_id: str


@final
class AddMember(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Make an account a member of the organization with ``role``."""

    account_id: str
    email: str
    name: str = ""
    role: str
    actor_role: str


@final
class ChangeMemberRole(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Give a member another role."""

    account_id: str
    role: str
    actor_role: str


@final
class RemoveMember(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Remove a member from the organization (and, through the org, from its teams)."""

    account_id: str
    actor_role: str


@final
class CreateInvitation(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Invite ``email`` with ``role`` until ``expires_at``; only the token's hash is kept.

    ``member_id`` given: a set-up invitation for that member (an account an
    admin added directly, with this email and role), so they can set a
    password and sign in; accepting it adds no member.
    """

    invitation_id: str
    email: str
    role: str
    token_hash: str
    expires_at: datetime
    actor_role: str
    member_id: str | None = None


@final
class AcceptInvitation(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """The invited person, signed in as ``account_id``, joins the organization."""

    invitation_id: str
    account_id: str
    name: str = ""


@final
class RevokeInvitation(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Withdraw a pending invitation; revoking it again changes nothing."""

    invitation_id: str


AccessCommand = (
    CreateOrganization
    | DeleteOrganization
    | CreateApiKey
    | RevokeApiKey
    | AddMember
    | ChangeMemberRole
    | RemoveMember
    | CreateInvitation
    | AcceptInvitation
    | RevokeInvitation
)

ACCESS_COMMAND_TYPES: Final = (
    CreateOrganization,
    DeleteOrganization,
    CreateApiKey,
    RevokeApiKey,
    AddMember,
    ChangeMemberRole,
    RemoveMember,
    CreateInvitation,
    AcceptInvitation,
    RevokeInvitation,
)


def invalid(field: str, message: str) -> Rejected:
    """A 422 rejection naming ``field``."""
    return Rejected("invalid_field", message, field=field)


def check_name(name: str) -> str:
    """An organization or key name, stripped: 1-100 characters."""
    stripped = name.strip()
    if not stripped or len(stripped) > MAX_NAME:
        raise invalid("name", f"name must be 1-{MAX_NAME} characters")
    return stripped


def check_person_name(name: str, field: str = "name") -> str:
    """A member's display name: optional, at most 100 characters."""
    stripped = name.strip()
    if len(stripped) > MAX_NAME:
        raise invalid(field, f"{field} must be at most {MAX_NAME} characters")
    return stripped


def check_id(value: str, field: str) -> str:
    """``value`` if it is not blank."""
    if not value.strip():
        raise invalid(field, f"{field} is required")
    return value


def check_email(email: str, field: str = "email") -> str:
    """``email`` stripped and lowercased; it needs a local part, ``@`` and a domain."""
    normalized = email.strip().lower()
    local, at, domain = normalized.rpartition("@")
    if not (local and at and domain) or len(normalized) > MAX_EMAIL or " " in normalized:
        raise invalid(field, f"{field} must be an email address")
    return normalized


def check_role(role: str) -> str:
    """``role`` if it is one of ``ROLES``."""
    if role not in ROLES:
        raise invalid("role", f"role must be one of {', '.join(ROLES)}")
    return role


def check_rights(rights: tuple[str, ...]) -> tuple[str, ...]:
    """``("full",)``, or a non-empty subset of ``KEY_RIGHTS`` in their canonical order."""
    if rights == ("full",):
        return rights
    if not rights or any(right not in KEY_RIGHTS for right in rights):
        raise invalid("rights", f"rights must be full or a subset of {', '.join(KEY_RIGHTS)}")
    return tuple(right for right in KEY_RIGHTS if right in rights)
