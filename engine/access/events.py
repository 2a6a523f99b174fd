"""Events of the access area.

Logs already hold ``OrganizationCreated``, ``ApiKeyCreated`` and
``ApiKeyRevoked`` in their first shape: fields added since have defaults
(msgspec's evolution rules), so those records still decode.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

__all__ = [
    "ACCESS_EVENT_TYPES",
    "AccessEvent",
    "ApiKeyCreated",
    "ApiKeyRevoked",
    "InvitationAccepted",
    "InvitationCreated",
    "InvitationRevoked",
    "MemberAdded",
    "MemberRemoved",
    "MemberRoleChanged",
    "OrganizationCreated",
    "OrganizationDeleted",
]


@final
class OrganizationCreated(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """An organization began; ``owner_account_id``, if any, is its first owner (``MemberAdded``)."""

    org_id: str
    name: str
    at: datetime
    owner_account_id: str | None = None


@final
class OrganizationDeleted(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """The organization was deleted; its keys, members and invitations are void."""

    at: datetime


@final
class ApiKeyCreated(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """An API key was added (its hash only, and the secret's visible ``prefix``)."""

    key_id: str
    name: str
    key_hash: str
    rights: tuple[str, ...]
    at: datetime
    prefix: str = ""
    team_id: str | None = None


@final
class ApiKeyRevoked(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    key_id: str
    at: datetime


@final
class MemberAdded(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """An account joined the organization (``email`` lowercase)."""

    account_id: str
    email: str
    name: str
    role: str
    at: datetime


@final
class MemberRoleChanged(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    account_id: str
    role: str
    at: datetime


@final
class MemberRemoved(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    account_id: str
    at: datetime


@final
class InvitationCreated(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """``email`` (lowercase) was invited with ``role``; the token's hash opens it.

    ``member_id``: a set-up invitation for that existing member (see
    ``CreateInvitation``).
    """

    invitation_id: str
    email: str
    role: str
    token_hash: str
    expires_at: datetime
    at: datetime
    member_id: str | None = None


@final
class InvitationAccepted(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """``account_id`` accepted the invitation (a ``MemberAdded`` follows)."""

    invitation_id: str
    account_id: str
    at: datetime


@final
class InvitationRevoked(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    invitation_id: str
    at: datetime


AccessEvent = (
    OrganizationCreated
    | OrganizationDeleted
    | ApiKeyCreated
    | ApiKeyRevoked
    | MemberAdded
    | MemberRoleChanged
    | MemberRemoved
    | InvitationCreated
    | InvitationAccepted
    | InvitationRevoked
)
ACCESS_EVENT_TYPES: Final = (
    OrganizationCreated,
    OrganizationDeleted,
    ApiKeyCreated,
    ApiKeyRevoked,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    InvitationCreated,
    InvitationAccepted,
    InvitationRevoked,
)
