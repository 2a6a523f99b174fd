"""The access area: organization owners, members, their roles, and deleting the organization."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import access
from engine.access import (
    AccessCommand,
    AccessEvent,
    AccessState,
    AddMember,
    ApiKeyCreated,
    ChangeMemberRole,
    CreateApiKey,
    CreateInvitation,
    CreateOrganization,
    DeleteOrganization,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OrganizationCreated,
    OrganizationDeleted,
    RemoveMember,
    member_by_email,
    member_role,
    owners,
)
from engine.errors import Conflict
from tests.helpers.decider import NOW, AggregateCase, Decider

ACCESS = Decider(access.initial_state, access.decide, access.evolve)
T1 = NOW + timedelta(minutes=1)

ORG = OrganizationCreated(org_id="o1", name="acme", at=NOW, owner_account_id="ann")
ANN = MemberAdded(account_id="ann", email="ann@example.com", name="Ann", role="owner", at=NOW)
BOB = MemberAdded(account_id="bob", email="bob@example.com", name="Bob", role="admin", at=NOW)
CID = MemberAdded(account_id="cid", email="cid@example.com", name="", role="member", at=NOW)
TEAM = [ORG, ANN, BOB, CID]


def add(account_id: str, role: str, actor_role: str = "admin", email: str = "") -> AddMember:
    return AddMember(
        account_id=account_id,
        email=email or f"{account_id}@example.com",
        name=account_id.title(),
        role=role,
        actor_role=actor_role,
    )


def conflict(
    case: AggregateCase[AccessState, AccessCommand, AccessEvent], command: AccessCommand
) -> str:
    """The code of the Conflict ``command`` raises against ``case``."""
    with pytest.raises(Conflict) as raised:
        case.when(command)
    return raised.value.code


def test_create_organization_with_an_owner_and_no_key() -> None:
    """Registration creates the organization and its owner (email lowercase), and no key."""
    command = CreateOrganization(
        org_id="o1",
        name="acme",
        owner_account_id="ann",
        owner_email=" Ann@Example.COM ",
        owner_name=" Ann ",
    )
    state = ACCESS.given().when(command).then([ORG, ANN])
    assert (member_role(state, "ann"), owners(state), state.api_keys) == ("owner", ("ann",), {})


def test_create_organization_with_an_owner_and_a_key() -> None:
    """The CLI may give both: the owner comes before the default full-rights key."""
    command = CreateOrganization(
        org_id="o1",
        name="acme",
        key_id="k1",
        key_hash="h1",
        owner_account_id="ann",
        owner_email="ann@example.com",
        owner_name="Ann",
    )
    key = ApiKeyCreated(key_id="k1", name="default", key_hash="h1", rights=("full",), at=NOW)
    ACCESS.given().when(command).then([ORG, ANN, key])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"owner_account_id": " "}, "owner_account_id"),
        ({"owner_email": "nobody"}, "owner_email"),
        ({"owner_name": "x" * 101}, "owner_name"),
        ({"owner_account_id": None, "key_hash": "h1", "key_id": ""}, "key_id"),
    ],
)
def test_create_organization_checks_the_owner_and_key_fields(
    fields: dict[str, str | None], field: str
) -> None:
    """The owner needs an account id, an email address and a name of at most 100 characters."""
    values: dict[str, str | None] = {
        "owner_account_id": "ann",
        "owner_email": "ann@example.com",
        "owner_name": "Ann",
    }
    values.update(fields)
    command = CreateOrganization(
        org_id="o1",
        name="acme",
        key_id=values.get("key_id") or "",
        key_hash=values.get("key_hash") or "",
        owner_account_id=values["owner_account_id"],
        owner_email=values["owner_email"] or "",
        owner_name=values["owner_name"] or "",
    )
    ACCESS.given().when(command).then_rejected("invalid_field", field=field)


def test_admin_adds_members_below_owner() -> None:
    """An admin adds a member; the email is stored lowercase and the name stripped."""
    command = AddMember(
        account_id="dee", email=" Dee@Example.com", name=" Dee ", role="viewer", actor_role="admin"
    )
    added = MemberAdded(account_id="dee", email="dee@example.com", name="Dee", role="viewer", at=T1)
    state = ACCESS.given(TEAM).when(command, now=T1).then([added])
    member = state.members["dee"]
    assert (member.role, member.joined_at, member.updated_at) == ("viewer", T1, T1)
    assert member == member_by_email(state, "DEE@example.com ")


@pytest.mark.parametrize("actor_role", ["owner", "system"])
def test_owner_or_system_grants_the_owner_role(actor_role: str) -> None:
    """Only an owner or the system adds another owner."""
    state = (
        ACCESS.given(TEAM)
        .when(add("dee", "owner", actor_role))
        .then(
            [
                MemberAdded(
                    account_id="dee", email="dee@example.com", name="Dee", role="owner", at=NOW
                )
            ]
        )
    )
    assert owners(state) == ("ann", "dee")


@pytest.mark.parametrize("actor_role", ["admin", "member", "viewer", ""])
def test_others_cannot_grant_the_owner_role(actor_role: str) -> None:
    """An admin (or anyone but an owner) cannot add an owner."""
    ACCESS.given(TEAM).when(add("dee", "owner", actor_role)).then_rejected("forbidden")


def test_adding_an_existing_member_conflicts() -> None:
    """The same account, or another account with a member's email, is member_exists."""
    assert conflict(ACCESS.given(TEAM), add("bob", "member")) == "member_exists"
    taken = add("zed", "member", email="BOB@example.com")
    assert conflict(ACCESS.given(TEAM), taken) == "member_exists"


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (add("dee", "superuser"), "role"),
        (add("dee", "Owner"), "role"),
        (add(" ", "member"), "account_id"),
        (add("dee", "member", email="dee"), "email"),
        (add("dee", "member", email="@example.com"), "email"),
        (add("dee", "member", email="dee@"), "email"),
        (add("dee", "member", email="d e@example.com"), "email"),
        (add("dee", "member", email="d" * 250 + "@example.com"), "email"),
        (
            AddMember(
                account_id="d", email="d@x.io", name="n" * 101, role="member", actor_role="admin"
            ),
            "name",
        ),
    ],
)
def test_add_member_checks_its_fields(command: AddMember, field: str) -> None:
    """An unknown role, a blank account id, a malformed email or a long name is invalid_field."""
    ACCESS.given(TEAM).when(command).then_rejected("invalid_field", field=field)


def test_admin_changes_roles_below_owner() -> None:
    """An admin promotes a member to admin; setting the same role again is a no-op."""
    command = ChangeMemberRole(account_id="cid", role="admin", actor_role="admin")
    state = (
        ACCESS.given(TEAM)
        .when(command, now=T1)
        .then([MemberRoleChanged(account_id="cid", role="admin", at=T1)])
    )
    assert (state.members["cid"].role, state.members["cid"].updated_at) == ("admin", T1)
    ACCESS.given(TEAM).when(
        ChangeMemberRole(account_id="bob", role="admin", actor_role="admin")
    ).then([])


def test_only_an_owner_promotes_to_or_demotes_from_owner() -> None:
    """An admin can neither make an owner nor demote one; an owner can do both."""
    promote = ChangeMemberRole(account_id="bob", role="owner", actor_role="admin")
    ACCESS.given(TEAM).when(promote).then_rejected("forbidden")
    two_owners = [*TEAM, MemberRoleChanged(account_id="bob", role="owner", at=NOW)]
    demote = ChangeMemberRole(account_id="ann", role="admin", actor_role="admin")
    ACCESS.given(two_owners).when(demote).then_rejected("forbidden")
    state = (
        ACCESS.given(two_owners)
        .when(ChangeMemberRole(account_id="ann", role="admin", actor_role="owner"))
        .then([MemberRoleChanged(account_id="ann", role="admin", at=NOW)])
    )
    assert owners(state) == ("bob",)


@pytest.mark.parametrize("actor_role", ["owner", "system"])
def test_the_last_owner_is_never_demoted(actor_role: str) -> None:
    """Demoting the only owner is last_owner, even by the owner or the system."""
    command = ChangeMemberRole(account_id="ann", role="admin", actor_role=actor_role)
    ACCESS.given(TEAM).when(command).then_rejected("last_owner")
    # Re-affirming the owner's role changes nothing and is allowed.
    ACCESS.given(TEAM).when(
        ChangeMemberRole(account_id="ann", role="owner", actor_role=actor_role)
    ).then([])


def test_change_role_of_an_unknown_member_or_to_an_unknown_role() -> None:
    """An unknown account is member_not_found; an unknown role is invalid_field."""
    ACCESS.given(TEAM).when(
        ChangeMemberRole(account_id="zed", role="member", actor_role="admin")
    ).then_rejected("member_not_found")
    ACCESS.given(TEAM).when(
        ChangeMemberRole(account_id="cid", role="root", actor_role="admin")
    ).then_rejected("invalid_field", field="role")


def test_admin_removes_members_below_owner() -> None:
    """Removing a member forgets them; removing an unknown account is member_not_found."""
    state = (
        ACCESS.given(TEAM)
        .when(RemoveMember(account_id="cid", actor_role="admin"))
        .then([MemberRemoved(account_id="cid", at=NOW)])
    )
    assert (member_role(state, "cid"), list(state.members)) == (None, ["ann", "bob"])
    ACCESS.given(TEAM).when(RemoveMember(account_id="zed", actor_role="admin")).then_rejected(
        "member_not_found"
    )


def test_owners_are_removed_by_owners_only_and_never_the_last() -> None:
    """An admin cannot remove an owner; an owner removes another owner but not the last."""
    two_owners = [*TEAM, MemberRoleChanged(account_id="bob", role="owner", at=NOW)]
    ACCESS.given(two_owners).when(RemoveMember(account_id="ann", actor_role="admin")).then_rejected(
        "forbidden"
    )
    state = (
        ACCESS.given(two_owners)
        .when(RemoveMember(account_id="ann", actor_role="owner"))
        .then([MemberRemoved(account_id="ann", at=NOW)])
    )
    assert owners(state) == ("bob",)
    for actor_role in ("owner", "system"):
        ACCESS.given(TEAM).when(
            RemoveMember(account_id="ann", actor_role=actor_role)
        ).then_rejected("last_owner")


def test_delete_organization_by_owner_or_system() -> None:
    """An owner (or the system) deletes the organization; an admin may not."""
    state = (
        ACCESS.given(TEAM)
        .when(DeleteOrganization(actor_role="owner"), now=T1)
        .then([OrganizationDeleted(at=T1)])
    )
    assert state.deleted_at == T1
    ACCESS.given(TEAM).when(DeleteOrganization(actor_role="system")).then(
        [OrganizationDeleted(at=NOW)]
    )
    ACCESS.given(TEAM).when(DeleteOrganization(actor_role="admin")).then_rejected("forbidden")
    ACCESS.given().when(DeleteOrganization(actor_role="system")).then_rejected(
        "organization_not_found"
    )


@pytest.mark.parametrize(
    "command",
    [
        CreateOrganization(org_id="o1", name="again"),
        DeleteOrganization(actor_role="owner"),
        CreateApiKey(key_id="k2", name="ci", key_hash="h2"),
        add("dee", "member"),
        ChangeMemberRole(account_id="cid", role="admin", actor_role="owner"),
        RemoveMember(account_id="cid", actor_role="owner"),
        CreateInvitation(
            invitation_id="i1",
            email="eve@example.com",
            role="member",
            token_hash="t1",
            expires_at=NOW + timedelta(days=7),
            actor_role="owner",
        ),
    ],
)
def test_a_deleted_organization_accepts_no_access_command(command: AccessCommand) -> None:
    """After OrganizationDeleted every access command is organization_deleted."""
    ACCESS.given([*TEAM, OrganizationDeleted(at=NOW)]).when(command).then_rejected(
        "organization_deleted"
    )


def test_evolve_ignores_role_changes_of_unknown_members() -> None:
    """evolve is total: a role change or removal of an account it never saw changes nothing."""
    state = ACCESS.fold(
        [
            *TEAM,
            MemberRoleChanged(account_id="ghost", role="admin", at=NOW),
            MemberRemoved(account_id="ghost", at=NOW),
        ]
    )
    assert list(state.members) == ["ann", "bob", "cid"]


def test_queries_on_an_empty_organization() -> None:
    """Nobody is a member or an owner of an empty organization."""
    state = ACCESS.fold([])
    assert (
        member_role(state, "ann"),
        owners(state),
        member_by_email(state, "a@b.c"),
    ) == (None, (), None)
