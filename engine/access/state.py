"""State of the access area: the organization, its members, invitations and API keys.

Mutable like every area state: ``evolve`` updates it in place (see
``engine.org.decider``). The queries here are pure reads used by ``decide``,
by the org decider's cross-area rules and by the web layer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal, final

import msgspec

__all__ = [
    "INVITATION_STATUSES",
    "AccessState",
    "ApiKey",
    "Invitation",
    "InvitationStatus",
    "Member",
    "invitation_by_token",
    "invitation_status",
    "member_by_email",
    "member_role",
    "owners",
]

InvitationStatus = Literal["pending", "accepted", "revoked"]
INVITATION_STATUSES: Final = ("pending", "accepted", "revoked", "expired")


@final
class ApiKey(msgspec.Struct, kw_only=True):
    key_id: str
    name: str
    key_hash: str
    rights: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None = None
    prefix: str = ""
    team_id: str | None = None


@final
class Member(msgspec.Struct, kw_only=True):
    """A member of the organization: an account with one role."""

    account_id: str
    email: str
    name: str
    role: str
    joined_at: datetime
    updated_at: datetime


@final
class Invitation(msgspec.Struct, kw_only=True):
    """An invitation to join; ``status`` moves from pending to accepted or revoked once.

    Expiry is not a status change (nothing happens at ``expires_at``): see
    ``invitation_status``.
    """

    invitation_id: str
    email: str
    role: str
    token_hash: str
    expires_at: datetime
    created_at: datetime
    status: InvitationStatus = "pending"
    account_id: str | None = None  # who accepted it
    closed_at: datetime | None = None  # when it was accepted or revoked
    member_id: str | None = None  # a set-up invitation's member (see CreateInvitation)


@final
class AccessState(msgspec.Struct, kw_only=True):
    org_id: str = ""
    name: str = ""
    created_at: datetime | None = None
    deleted_at: datetime | None = None
    api_keys: dict[str, ApiKey] = msgspec.field(default_factory=dict)
    # In join order (dicts keep insertion order).
    members: dict[str, Member] = msgspec.field(default_factory=dict)
    invitations: dict[str, Invitation] = msgspec.field(default_factory=dict)
    # token hash -> invitation id, for every invitation (also used ones, so a
    # stale link can say why it no longer works).
    invitation_by_token_hash: dict[str, str] = msgspec.field(default_factory=dict)


def member_role(state: AccessState, account_id: str) -> str | None:
    """The role of ``account_id`` in the organization, or ``None`` if not a member."""
    member = state.members.get(account_id)
    return None if member is None else member.role


def owners(state: AccessState) -> tuple[str, ...]:
    """The account ids of the owners, in join order."""
    return tuple(m.account_id for m in state.members.values() if m.role == "owner")


def member_by_email(state: AccessState, email: str) -> Member | None:
    """The member whose email is ``email`` (compared lowercase), if any."""
    wanted = email.strip().lower()
    return next((m for m in state.members.values() if m.email == wanted), None)


def invitation_by_token(state: AccessState, token_hash: str) -> Invitation | None:
    """The invitation whose token hashes to ``token_hash``, whatever its status."""
    invitation_id = state.invitation_by_token_hash.get(token_hash)
    return None if invitation_id is None else state.invitations.get(invitation_id)


def invitation_status(invitation: Invitation, now: datetime) -> str:
    """``pending``, ``accepted``, ``revoked``, or ``expired`` (pending at/after ``expires_at``)."""
    if invitation.status == "pending" and now >= invitation.expires_at:
        return "expired"
    return invitation.status
