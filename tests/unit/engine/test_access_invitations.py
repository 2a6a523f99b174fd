"""The access area: inviting people, accepting and revoking invitations, and their expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import pytest

from engine import access
from engine.access import (
    AcceptInvitation,
    CreateInvitation,
    InvitationAccepted,
    InvitationCreated,
    InvitationRevoked,
    MemberAdded,
    MemberRemoved,
    OrganizationCreated,
    RemoveMember,
    RevokeInvitation,
    invitation_by_token,
    invitation_status,
    member_role,
)
from engine.errors import Conflict
from tests.helpers.decider import NOW, Decider

ACCESS = Decider(access.initial_state, access.decide, access.evolve)
WEEK = timedelta(days=7)
EXPIRES = NOW + WEEK

ORG = [
    OrganizationCreated(org_id="o1", name="acme", at=NOW, owner_account_id="ann"),
    MemberAdded(account_id="ann", email="ann@example.com", name="Ann", role="owner", at=NOW),
]
INVITED = InvitationCreated(
    invitation_id="i1",
    email="eve@example.com",
    role="member",
    token_hash="t1",
    expires_at=EXPIRES,
    at=NOW,
)
PENDING = [*ORG, INVITED]


def invite(
    email: str = "eve@example.com",
    role: str = "member",
    *,
    actor_role: str = "admin",
    invitation_id: str = "i1",
    token_hash: str = "t1",
    expires_at: datetime = EXPIRES,
) -> CreateInvitation:
    return CreateInvitation(
        invitation_id=invitation_id,
        email=email,
        role=role,
        token_hash=token_hash,
        expires_at=expires_at,
        actor_role=actor_role,
    )


def accept(account_id: str = "eve", name: str = "Eve") -> AcceptInvitation:
    return AcceptInvitation(invitation_id="i1", account_id=account_id, name=name)


def test_create_invitation_records_it_with_its_token_hash() -> None:
    """An invitation is pending until it expires; its token hash finds it."""
    state = ACCESS.given(ORG).when(invite(" Eve@Example.com ")).then([INVITED])
    invitation = state.invitations["i1"]
    assert invitation_by_token(state, "t1") is invitation
    assert (invitation.status, invitation.created_at, invitation.account_id) == (
        "pending",
        NOW,
        None,
    )
    assert invitation_status(invitation, EXPIRES - timedelta(microseconds=1)) == "pending"
    assert invitation_status(invitation, EXPIRES) == "expired"
    assert invitation_by_token(state, "nope") is None


def test_only_an_owner_or_the_system_invites_an_owner() -> None:
    """An admin cannot invite an owner; an owner or the system can."""
    ACCESS.given(ORG).when(invite(role="owner")).then_rejected("forbidden")
    for actor_role in ("owner", "system"):
        ACCESS.given(ORG).when(invite(role="owner", actor_role=actor_role)).then(
            [
                InvitationCreated(
                    invitation_id="i1",
                    email="eve@example.com",
                    role="owner",
                    token_hash="t1",
                    expires_at=EXPIRES,
                    at=NOW,
                )
            ]
        )


def test_inviting_a_member_or_reusing_an_id_or_token_conflicts() -> None:
    """A member's email is member_exists; a known id or token hash is invitation_exists."""
    with pytest.raises(Conflict) as member:
        ACCESS.given(ORG).when(invite("ANN@example.com"))
    assert member.value.code == "member_exists"
    for command in (invite(token_hash="t2"), invite(invitation_id="i2")):
        with pytest.raises(Conflict) as reused:
            ACCESS.given(PENDING).when(command)
        assert reused.value.code == "invitation_exists"


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (invite(invitation_id=" "), "invitation_id"),
        (invite("eve"), "email"),
        (invite(role="boss"), "role"),
        (invite(token_hash=""), "token_hash"),
        (invite(expires_at=NOW), "expires_at"),
        (invite(expires_at=NOW - WEEK), "expires_at"),
        (invite(expires_at=EXPIRES.replace(tzinfo=None)), "expires_at"),
    ],
)
def test_create_invitation_checks_its_fields(command: CreateInvitation, field: str) -> None:
    """Missing ids, bad emails and roles, and an expiry not in the future are invalid_field."""
    ACCESS.given(ORG).when(command).then_rejected("invalid_field", field=field)


def test_accepting_adds_the_member_with_the_invited_email_and_role() -> None:
    """Acceptance closes the invitation and adds the account as a member."""
    at = EXPIRES - timedelta(microseconds=1)
    state = (
        ACCESS.given(PENDING)
        .when(accept(name=" Eve "), now=at)
        .then(
            [
                InvitationAccepted(invitation_id="i1", account_id="eve", at=at),
                MemberAdded(
                    account_id="eve", email="eve@example.com", name="Eve", role="member", at=at
                ),
            ]
        )
    )
    invitation = state.invitations["i1"]
    assert (invitation.status, invitation.account_id, invitation.closed_at) == (
        "accepted",
        "eve",
        at,
    )
    assert member_role(state, "eve") == "member"
    assert invitation_status(invitation, EXPIRES + WEEK) == "accepted"


def test_an_invitation_expires_exactly_at_expires_at() -> None:
    """Accepting at expires_at or later is invitation_expired; a microsecond before is fine."""
    ACCESS.given(PENDING).when(accept(), now=EXPIRES).then_rejected("invitation_expired")
    ACCESS.given(PENDING).when(accept(), now=EXPIRES + WEEK).then_rejected("invitation_expired")
    events = ACCESS.given(PENDING).when(accept(), now=EXPIRES - timedelta(microseconds=1)).events
    assert [type(e) for e in events] == [InvitationAccepted, MemberAdded]


def test_an_invitation_is_used_once() -> None:
    """A second acceptance, even by another account, is invitation_used."""
    accepted = ACCESS.given(PENDING).when(accept()).events
    ACCESS.given([*PENDING, *accepted]).when(accept("fay")).then_rejected("invitation_used")
    # Used beats expired: the link says why it no longer works.
    ACCESS.given([*PENDING, *accepted]).when(accept("fay"), now=EXPIRES).then_rejected(
        "invitation_used"
    )


def test_accepting_unknown_or_revoked_invitations() -> None:
    """An unknown id is invitation_not_found; a revoked one is invitation_revoked."""
    ACCESS.given(ORG).when(accept()).then_rejected("invitation_not_found")
    revoked = [*PENDING, InvitationRevoked(invitation_id="i1", at=NOW)]
    ACCESS.given(revoked).when(accept()).then_rejected("invitation_revoked")


def test_accepting_as_an_existing_member_conflicts() -> None:
    """The accepting account (or the invited email) already being a member is member_exists."""
    with pytest.raises(Conflict) as raised:
        ACCESS.given(PENDING).when(accept("ann"))
    assert raised.value.code == "member_exists"
    joined = MemberAdded(account_id="e2", email="eve@example.com", name="", role="viewer", at=NOW)
    with pytest.raises(Conflict) as raised:
        ACCESS.given([*PENDING, joined]).when(accept())
    assert raised.value.code == "member_exists"


def test_accept_checks_the_account_and_name() -> None:
    """A blank account id or a name over 100 characters is invalid_field."""
    ACCESS.given(PENDING).when(accept(" ")).then_rejected("invalid_field", field="account_id")
    ACCESS.given(PENDING).when(accept(name="x" * 101)).then_rejected("invalid_field", field="name")


def test_revoke_invitation() -> None:
    """Revoking closes a pending invitation; again is a no-op; an accepted one is used."""
    at = NOW + timedelta(hours=1)
    state = (
        ACCESS.given(PENDING)
        .when(RevokeInvitation(invitation_id="i1"), now=at)
        .then([InvitationRevoked(invitation_id="i1", at=at)])
    )
    assert (state.invitations["i1"].status, state.invitations["i1"].closed_at) == ("revoked", at)
    assert invitation_status(state.invitations["i1"], EXPIRES) == "revoked"
    revoked = [*PENDING, InvitationRevoked(invitation_id="i1", at=at)]
    ACCESS.given(revoked).when(RevokeInvitation(invitation_id="i1")).then([])
    accepted = [*PENDING, *ACCESS.given(PENDING).when(accept()).events]
    ACCESS.given(accepted).when(RevokeInvitation(invitation_id="i1")).then_rejected(
        "invitation_used"
    )
    ACCESS.given(ORG).when(RevokeInvitation(invitation_id="i9")).then_rejected(
        "invitation_not_found"
    )


def test_an_expired_invitation_can_still_be_revoked() -> None:
    """Expiry is not a state change: an expired invitation is revoked like a pending one."""
    ACCESS.given(PENDING).when(RevokeInvitation(invitation_id="i1"), now=EXPIRES + WEEK).then(
        [InvitationRevoked(invitation_id="i1", at=EXPIRES + WEEK)]
    )


def test_evolve_ignores_closing_unknown_invitations() -> None:
    """evolve is total: accepting or revoking an invitation it never saw changes nothing."""
    state = ACCESS.fold(
        [
            *ORG,
            InvitationAccepted(invitation_id="ghost", account_id="x", at=NOW),
            InvitationRevoked(invitation_id="ghost", at=NOW),
        ]
    )
    assert state.invitations == {}


# -- set-up invitations: a member an admin added directly sets a password ------------------

EVE = MemberAdded(account_id="eve", email="eve@example.com", name="Eve", role="member", at=NOW)
SETUP = InvitationCreated(
    invitation_id="i1",
    email="eve@example.com",
    role="member",
    token_hash="t1",
    expires_at=EXPIRES,
    at=NOW,
    member_id="eve",
)


def setup_invite(member_id: str = "eve", **changes: str) -> CreateInvitation:
    return msgspec.structs.replace(invite(**changes), member_id=member_id)


def test_a_set_up_invitation_names_an_existing_member() -> None:
    """A member's own email and role open a set-up invitation, which is no member_exists."""
    state = ACCESS.given([*ORG, EVE]).when(setup_invite()).then([SETUP])
    assert state.invitations["i1"].member_id == "eve"


@pytest.mark.parametrize(
    ("command", "code", "field"),
    [
        (setup_invite("fay"), "member_not_found", None),
        (setup_invite(email="ann@example.com"), "invalid_field", "email"),
        (setup_invite(role="admin"), "invalid_field", "role"),
    ],
)
def test_a_set_up_invitation_must_match_its_member(
    command: CreateInvitation, code: str, field: str | None
) -> None:
    """An unknown member, or another email or role than the member's, is refused."""
    ACCESS.given([*ORG, EVE]).when(command).then_rejected(code, field=field)


def test_accepting_a_set_up_invitation_adds_no_member() -> None:
    """The member accepts their set-up invitation: it closes, membership is unchanged."""
    state = (
        ACCESS.given([*ORG, EVE, SETUP])
        .when(accept())
        .then([InvitationAccepted(invitation_id="i1", account_id="eve", at=NOW)])
    )
    assert (state.invitations["i1"].status, member_role(state, "eve")) == ("accepted", "member")


def test_a_set_up_invitation_is_for_its_member_only() -> None:
    """Another account presenting the set-up invitation is forbidden."""
    ACCESS.given([*ORG, EVE, SETUP]).when(accept("ann")).then_rejected("forbidden")


def test_removing_a_member_revokes_their_pending_set_up_invitations() -> None:
    """The removal and the revocation are one batch; the link then says revoked."""
    other = msgspec.structs.replace(INVITED, invitation_id="i2", email="fay@x.io", token_hash="t2")
    given = [*ORG, EVE, SETUP, other]
    ACCESS.given(given).when(RemoveMember(account_id="eve", actor_role="admin")).then(
        [MemberRemoved(account_id="eve", at=NOW), InvitationRevoked(invitation_id="i1", at=NOW)]
    )
    removed = [*given, MemberRemoved(account_id="eve", at=NOW)]
    removed.append(InvitationRevoked(invitation_id="i1", at=NOW))
    ACCESS.given(removed).when(accept()).then_rejected("invitation_revoked")
