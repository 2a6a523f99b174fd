"""decide/evolve for the access area.

``evolve`` mutates the state in place and returns it, like every area: the
org actor owns the only copy and discards it if an append fails.

Role rules enforced here (the web layer checks the actor may manage members
at all): only an owner or the system (``actor_role`` ``"owner"``/``"system"``)
grants the owner role, changes or removes an owner, invites an owner or
deletes the organization (``Rejected("forbidden")``); the last owner can
never be removed or demoted (``Rejected("last_owner")``). After
``OrganizationDeleted`` every command is ``Rejected("organization_deleted")``.

A set-up invitation (``member_id`` given) lets a member an admin added
directly set a password: it names that member, accepting it adds nobody, and
removing the member revokes it in the same batch, so a removed person's
link no longer opens anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from engine.access import commands as c
from engine.access.commands import (
    AcceptInvitation,
    AccessCommand,
    AddMember,
    ChangeMemberRole,
    CreateApiKey,
    CreateInvitation,
    CreateOrganization,
    DeleteOrganization,
    RemoveMember,
    RevokeApiKey,
    RevokeInvitation,
)
from engine.access.events import (
    AccessEvent,
    ApiKeyCreated,
    ApiKeyRevoked,
    InvitationAccepted,
    InvitationCreated,
    InvitationRevoked,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OrganizationCreated,
    OrganizationDeleted,
)
from engine.access.state import (
    AccessState,
    ApiKey,
    Invitation,
    Member,
    member_by_email,
    owners,
)
from engine.errors import Conflict, NotFound, Rejected

__all__ = ["OWNER_ACTORS", "decide", "evolve", "initial_state"]

OWNER_ACTORS: Final = frozenset({"owner", "system"})


def initial_state() -> AccessState:
    return AccessState()


def decide(state: AccessState, command: AccessCommand, now: datetime) -> list[AccessEvent]:
    """The events ``command`` causes at ``now``; ``[]`` when it changes nothing.

    Raises ``Rejected`` (``invalid_field``, ``forbidden``, ``last_owner``,
    ``organization_exists``, ``organization_deleted``, ``api_key_exists``,
    ``invitation_used``, ``invitation_revoked``, ``invitation_expired``),
    ``NotFound`` (``organization_not_found``, ``api_key_not_found``,
    ``member_not_found``, ``invitation_not_found``) or ``Conflict``
    (``member_exists``, ``invitation_exists``).
    """
    if state.deleted_at is not None:
        raise Rejected("organization_deleted", "the organization was deleted")
    match command:
        case CreateOrganization():
            return _create_organization(state, command, now)
        case DeleteOrganization():
            if state.created_at is None:
                raise NotFound("organization_not_found", "the organization does not exist")
            _require_owner_actor(command.actor_role, "delete the organization")
            return [OrganizationDeleted(at=now)]
        case CreateApiKey():
            return [_create_api_key(state, command, now)]
        case RevokeApiKey():
            key = state.api_keys.get(command.key_id)
            if key is None:
                raise NotFound("api_key_not_found", "no such API key")
            if key.revoked_at is not None:
                return []
            return [ApiKeyRevoked(key_id=command.key_id, at=now)]
        case AddMember():
            return [_add_member(state, command, now)]
        case ChangeMemberRole():
            return _change_role(state, command, now)
        case RemoveMember():
            _removable(state, command.account_id, command.actor_role)
            removed: list[AccessEvent] = [MemberRemoved(account_id=command.account_id, at=now)]
            return removed + _revoke_setups(state, command.account_id, now)
        case CreateInvitation():
            return [_create_invitation(state, command, now)]
        case AcceptInvitation():
            return _accept_invitation(state, command, now)
        case RevokeInvitation():
            return _revoke_invitation(state, command, now)


def _create_organization(
    state: AccessState, command: CreateOrganization, now: datetime
) -> list[AccessEvent]:
    if state.created_at is not None:
        raise Rejected("organization_exists", "the organization already exists")
    name = c.check_name(command.name)
    events: list[AccessEvent] = [
        OrganizationCreated(
            org_id=command.org_id, name=name, at=now, owner_account_id=command.owner_account_id
        )
    ]
    if command.owner_account_id is not None:
        events.append(
            MemberAdded(
                account_id=c.check_id(command.owner_account_id, "owner_account_id"),
                email=c.check_email(command.owner_email, "owner_email"),
                name=c.check_person_name(command.owner_name, "owner_name"),
                role="owner",
                at=now,
            )
        )
    if command.key_hash:
        key_id = c.check_id(command.key_id, "key_id")
        events.append(
            ApiKeyCreated(
                key_id=key_id, name="default", key_hash=command.key_hash, rights=("full",), at=now
            )
        )
    return events


def _create_api_key(state: AccessState, command: CreateApiKey, now: datetime) -> ApiKeyCreated:
    name = c.check_name(command.name)
    key_id = c.check_id(command.key_id, "key_id")
    if not command.key_hash:
        raise c.invalid("key_hash", "key_hash is required")
    rights = c.check_rights(command.rights)
    prefix = command.prefix.strip()
    if len(prefix) > c.MAX_PREFIX:
        raise c.invalid("prefix", f"prefix must be at most {c.MAX_PREFIX} characters")
    if key_id in state.api_keys:
        raise Rejected("api_key_exists", "an API key with this id exists")
    return ApiKeyCreated(
        key_id=key_id,
        name=name,
        key_hash=command.key_hash,
        rights=rights,
        at=now,
        prefix=prefix,
        team_id=(command.team_id or "").strip() or None,
    )


def _add_member(state: AccessState, command: AddMember, now: datetime) -> MemberAdded:
    account_id = c.check_id(command.account_id, "account_id")
    email = c.check_email(command.email)
    name = c.check_person_name(command.name)
    role = c.check_role(command.role)
    if role == "owner":
        _require_owner_actor(command.actor_role, "grant the owner role")
    _check_not_member(state, account_id, email)
    return MemberAdded(account_id=account_id, email=email, name=name, role=role, at=now)


def _change_role(state: AccessState, command: ChangeMemberRole, now: datetime) -> list[AccessEvent]:
    role = c.check_role(command.role)
    member = _find_member(state, command.account_id)
    if "owner" in (role, member.role):
        _require_owner_actor(command.actor_role, "grant or take the owner role")
    if role == member.role:
        return []
    if member.role == "owner" and owners(state) == (member.account_id,):
        raise Rejected("last_owner", "the last owner cannot be demoted")
    return [MemberRoleChanged(account_id=member.account_id, role=role, at=now)]


def _removable(state: AccessState, account_id: str, actor_role: str) -> None:
    """Raise unless ``actor_role`` may remove member ``account_id``."""
    member = _find_member(state, account_id)
    if member.role == "owner":
        _require_owner_actor(actor_role, "remove an owner")
        if owners(state) == (member.account_id,):
            raise Rejected("last_owner", "the last owner cannot be removed")


def _create_invitation(
    state: AccessState, command: CreateInvitation, now: datetime
) -> InvitationCreated:
    invitation_id = c.check_id(command.invitation_id, "invitation_id")
    email = c.check_email(command.email)
    role = c.check_role(command.role)
    if not command.token_hash:
        raise c.invalid("token_hash", "token_hash is required")
    expires_at = command.expires_at
    if expires_at.utcoffset() is None:
        raise c.invalid("expires_at", "expires_at must include a UTC offset")
    if expires_at <= now:
        raise c.invalid("expires_at", "expires_at must be in the future")
    if role == "owner":
        _require_owner_actor(command.actor_role, "invite an owner")
    if command.member_id is not None:
        _check_setup_target(state, command.member_id, email, role)
    elif member_by_email(state, email) is not None:
        raise Conflict("member_exists", f"{email} is already a member")
    if invitation_id in state.invitations or command.token_hash in state.invitation_by_token_hash:
        raise Conflict("invitation_exists", "an invitation with this id or token exists")
    return InvitationCreated(
        invitation_id=invitation_id,
        email=email,
        role=role,
        token_hash=command.token_hash,
        expires_at=expires_at,
        at=now,
        member_id=command.member_id,
    )


def _check_setup_target(state: AccessState, member_id: str, email: str, role: str) -> None:
    """Raise unless ``member_id`` is a member with ``email`` and ``role``."""
    member = _find_member(state, member_id)
    if member.email != email:
        raise c.invalid("email", "a set-up invitation goes to the member's own email")
    if member.role != role:
        raise c.invalid("role", "a set-up invitation carries the member's role")


def _revoke_setups(state: AccessState, account_id: str, now: datetime) -> list[AccessEvent]:
    """Revocations of the pending set-up invitations of member ``account_id``."""
    return [
        InvitationRevoked(invitation_id=i.invitation_id, at=now)
        for i in state.invitations.values()
        if i.member_id == account_id and i.status == "pending"
    ]


def _accept_invitation(
    state: AccessState, command: AcceptInvitation, now: datetime
) -> list[AccessEvent]:
    invitation = _find_invitation(state, command.invitation_id)
    if invitation.status == "accepted":
        raise Rejected("invitation_used", "this invitation was already accepted")
    if invitation.status == "revoked":
        raise Rejected("invitation_revoked", "this invitation was revoked")
    if now >= invitation.expires_at:
        raise Rejected("invitation_expired", "this invitation has expired")
    account_id = c.check_id(command.account_id, "account_id")
    name = c.check_person_name(command.name)
    accepted = InvitationAccepted(
        invitation_id=invitation.invitation_id, account_id=account_id, at=now
    )
    if invitation.member_id is not None:
        # A set-up invitation: the member exists (removal revokes it); they sign in.
        if account_id != invitation.member_id:
            raise Rejected("forbidden", "this invitation is for another account")
        return [accepted]
    _check_not_member(state, account_id, invitation.email)
    return [
        accepted,
        MemberAdded(
            account_id=account_id,
            email=invitation.email,
            name=name,
            role=invitation.role,
            at=now,
        ),
    ]


def _revoke_invitation(
    state: AccessState, command: RevokeInvitation, now: datetime
) -> list[AccessEvent]:
    invitation = _find_invitation(state, command.invitation_id)
    if invitation.status == "revoked":
        return []
    if invitation.status == "accepted":
        raise Rejected("invitation_used", "this invitation was already accepted")
    return [InvitationRevoked(invitation_id=invitation.invitation_id, at=now)]


def _find_member(state: AccessState, account_id: str) -> Member:
    member = state.members.get(account_id)
    if member is None:
        raise NotFound("member_not_found", f"{account_id!r} is not a member")
    return member


def _find_invitation(state: AccessState, invitation_id: str) -> Invitation:
    invitation = state.invitations.get(invitation_id)
    if invitation is None:
        raise NotFound("invitation_not_found", "no such invitation")
    return invitation


def _check_not_member(state: AccessState, account_id: str, email: str) -> None:
    if account_id in state.members or member_by_email(state, email) is not None:
        raise Conflict("member_exists", "this account or email is already a member")


def _require_owner_actor(actor_role: str, action: str) -> None:
    if actor_role not in OWNER_ACTORS:
        raise Rejected("forbidden", f"only an owner may {action}")


def evolve(state: AccessState, event: AccessEvent) -> AccessState:
    """Apply one committed event in place; total, never raises."""
    match event:
        case OrganizationCreated():
            state.org_id, state.name, state.created_at = event.org_id, event.name, event.at
        case OrganizationDeleted():
            state.deleted_at = event.at
        case ApiKeyCreated():
            state.api_keys[event.key_id] = ApiKey(
                key_id=event.key_id,
                name=event.name,
                key_hash=event.key_hash,
                rights=event.rights,
                created_at=event.at,
                prefix=event.prefix,
                team_id=event.team_id,
            )
        case ApiKeyRevoked():
            key = state.api_keys.get(event.key_id)
            if key is not None:
                key.revoked_at = event.at
        case MemberAdded():
            state.members[event.account_id] = Member(
                account_id=event.account_id,
                email=event.email,
                name=event.name,
                role=event.role,
                joined_at=event.at,
                updated_at=event.at,
            )
        case MemberRoleChanged():
            member = state.members.get(event.account_id)
            if member is not None:
                member.role, member.updated_at = event.role, event.at
        case MemberRemoved():
            state.members.pop(event.account_id, None)
        case _:
            _evolve_invitation(state, event)
    return state


def _evolve_invitation(
    state: AccessState, event: InvitationCreated | InvitationAccepted | InvitationRevoked
) -> None:
    if isinstance(event, InvitationCreated):
        state.invitations[event.invitation_id] = Invitation(
            invitation_id=event.invitation_id,
            email=event.email,
            role=event.role,
            token_hash=event.token_hash,
            expires_at=event.expires_at,
            created_at=event.at,
            member_id=event.member_id,
        )
        state.invitation_by_token_hash[event.token_hash] = event.invitation_id
        return
    invitation = state.invitations.get(event.invitation_id)
    if invitation is None:
        return
    invitation.closed_at = event.at
    if isinstance(event, InvitationAccepted):
        invitation.status, invitation.account_id = "accepted", event.account_id
    else:
        invitation.status = "revoked"
