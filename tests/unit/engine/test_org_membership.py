"""Cross-area rules of the org aggregate between access (members, keys) and teams."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from engine import (
    AcceptInvitation,
    AddMember,
    AddTeamMember,
    ChangeMemberRole,
    CommandContext,
    CreateApiKey,
    CreateInvitation,
    CreateOrganization,
    CreateTeam,
    DeleteOrganization,
    DeleteTeam,
    Event,
    MemberRemoved,
    NotFound,
    Rejected,
    RemoveMember,
    RemoveTeamMember,
    TeamMemberRemoved,
    UpdateTeam,
)
from engine.org import (
    Command,
    OrgState,
    decide,
    decode_payloads,
    decode_state,
    encode_event,
    encode_state,
    execute,
    fold,
    initial_state,
)
from engine.org.decider import outcome_of
from tests.helpers.decider import NOW

CTX = CommandContext(principal_kind="user", principal_id="ann")
SETUP: list[Command] = [
    CreateOrganization(
        org_id="o1", name="acme", owner_account_id="ann", owner_email="ann@example.com"
    ),
    AddMember(account_id="bob", email="bob@example.com", role="member", actor_role="owner"),
    CreateTeam(team_id="t1", name="Ops"),
    CreateTeam(team_id="t2", name="Dev"),
    CreateTeam(team_id="t3", name="Web"),
    AddTeamMember(team_id="t1", account_id="bob"),
    AddTeamMember(team_id="t2", account_id="bob", role="admin"),
    AddTeamMember(team_id="t1", account_id="ann", role="admin"),
]


def org(commands: list[Command] = SETUP) -> tuple[OrgState, list[Event]]:
    """The state after executing ``commands`` in order, and the log they wrote."""
    state, log = initial_state(), []
    for command in commands:
        events, _ = execute(state, command, CTX, NOW)
        log += events
    return state, log


def test_removing_a_member_removes_them_from_every_team_in_the_same_batch() -> None:
    """RemoveMember emits MemberRemoved and a TeamMemberRemoved per team of the account."""
    state, log = org()
    events, outcome = execute(state, RemoveMember(account_id="bob", actor_role="admin"), CTX, NOW)
    assert events == [
        MemberRemoved(account_id="bob", at=NOW),
        TeamMemberRemoved(team_id="t1", account_id="bob", at=NOW),
        TeamMemberRemoved(team_id="t2", account_id="bob", at=NOW),
    ]
    assert (outcome.result, outcome.subject_id) == ("updated", "bob")
    assert [team.members for team in state.teams.teams.values()] == [{"ann": "admin"}, {}, {}]
    assert encode_state(state) == encode_state(fold(initial_state(), [*log, *events]))


def test_a_refused_removal_touches_no_team() -> None:
    """Removing the last owner is refused before any team event is decided."""
    state, _ = org()
    with pytest.raises(Rejected) as raised:
        decide(state, RemoveMember(account_id="ann", actor_role="owner"), NOW)
    assert raised.value.code == "last_owner"
    assert state.teams.teams["t1"].members == {"bob": "member", "ann": "admin"}


def test_only_organization_members_join_teams() -> None:
    """A stranger is not_a_member; an unknown team is team_not_found first."""
    state, _ = org()
    with pytest.raises(Rejected) as raised:
        decide(state, AddTeamMember(team_id="t3", account_id="zed"), NOW)
    assert (raised.value.code, raised.value.field) == ("not_a_member", "account_id")
    with pytest.raises(NotFound) as missing:
        decide(state, AddTeamMember(team_id="t9", account_id="zed"), NOW)
    assert missing.value.code == "team_not_found"
    assert len(decide(state, AddTeamMember(team_id="t3", account_id="ann"), NOW)) == 1


def test_a_team_scoped_key_names_an_existing_team() -> None:
    """CreateApiKey with an unknown team_id is team_not_found; a known one is kept."""
    state, _ = org()
    command = CreateApiKey(key_id="k1", name="ops", key_hash="h1", rights=("read",), team_id="t9")
    with pytest.raises(NotFound) as raised:
        decide(state, command, NOW)
    assert raised.value.code == "team_not_found"
    ok = msgspec.structs.replace(command, team_id="t1")
    _, outcome = execute(state, ok, CTX, NOW)
    assert (outcome.key_id, state.access.api_keys["k1"].team_id) == ("k1", "t1")


@pytest.mark.parametrize(
    "command",
    [
        CreateTeam(team_id="t4", name="New"),
        UpdateTeam(team_id="t1", name="Renamed"),
        AddTeamMember(team_id="t3", account_id="ann"),
        RemoveTeamMember(team_id="t1", account_id="bob"),
        DeleteTeam(team_id="t1"),
    ],
)
def test_a_deleted_organization_accepts_no_team_command(command: Command) -> None:
    """After OrganizationDeleted, team commands are organization_deleted too."""
    state, _ = org([*SETUP, DeleteOrganization(actor_role="owner")])
    with pytest.raises(Rejected) as raised:
        decide(state, command, NOW)
    assert raised.value.code == "organization_deleted"


def test_outcomes_name_the_subject_of_member_invitation_and_team_commands() -> None:
    """Team commands answer the team, invitations the invitation, members the account."""
    state, _ = org()
    expires = NOW + timedelta(days=1)
    cases: list[tuple[Command, str | None, str | None]] = [
        (CreateTeam(team_id="t4", name="New"), "t4", None),
        (AddTeamMember(team_id="t4", account_id="bob"), "t4", None),
        (ChangeMemberRole(account_id="bob", role="admin", actor_role="owner"), "bob", None),
        (
            CreateInvitation(
                invitation_id="i1",
                email="eve@example.com",
                role="member",
                token_hash="tok",
                expires_at=expires,
                actor_role="admin",
            ),
            "i1",
            None,
        ),
        (AcceptInvitation(invitation_id="i1", account_id="eve"), "i1", None),
        (CreateApiKey(key_id="k1", name="ci", key_hash="h1"), None, "k1"),
    ]
    for command, subject_id, key_id in cases:
        _, outcome = execute(state, command, CTX, NOW)
        assert (outcome.result, outcome.subject_id, outcome.key_id) == (
            "updated",
            subject_id,
            key_id,
        )
    created = CreateOrganization(org_id="o2", name="x", owner_account_id="a", owner_email="a@b.c")
    assert outcome_of(state, created, []).key_id is None


def test_the_org_log_and_snapshot_round_trip_with_members_and_teams() -> None:
    """The log round-tripped as the store does folds to the live state; so does a snapshot."""
    state, log = org()
    joined = b",".join(encode_event(event, b"{}").data for event in log)
    assert decode_payloads(joined) == log
    assert encode_state(fold(initial_state(), decode_payloads(joined))) == encode_state(state)
    assert decode_state(encode_state(state)) == state
