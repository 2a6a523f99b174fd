"""The teams area: teams, their names, and their members' roles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import teams
from engine.errors import Conflict, NotFound
from engine.teams import (
    AddTeamMember,
    ChangeTeamMemberRole,
    CreateTeam,
    DeleteTeam,
    RemoveTeamMember,
    TeamCommand,
    TeamCreated,
    TeamDeleted,
    TeamMemberAdded,
    TeamMemberRemoved,
    TeamMemberRoleChanged,
    TeamUpdated,
    UpdateTeam,
    find_team,
    team_by_name,
    teams_of,
)
from tests.helpers.decider import NOW, Decider

TEAMS = Decider(teams.initial_state, teams.decide, teams.evolve)
T1 = NOW + timedelta(minutes=1)

OPS = TeamCreated(team_id="t1", name="Ops", description="", at=NOW)
DEV = TeamCreated(team_id="t2", name="Dev", description="builders", at=NOW)
ANN_OPS = TeamMemberAdded(team_id="t1", account_id="ann", role="admin", at=NOW)
BOB_OPS = TeamMemberAdded(team_id="t1", account_id="bob", role="member", at=NOW)
ANN_DEV = TeamMemberAdded(team_id="t2", account_id="ann", role="member", at=NOW)
BOTH = [OPS, DEV, ANN_OPS, BOB_OPS, ANN_DEV]


def conflict(history: list[teams.TeamEvent], command: TeamCommand) -> str:
    with pytest.raises(Conflict) as raised:
        TEAMS.given(history).when(command)
    return raised.value.code


def test_create_team() -> None:
    """A team gets its stripped name and description; names are found ignoring case."""
    state = TEAMS.given().when(CreateTeam(team_id="t1", name=" Ops ", description="")).then([OPS])
    team = state.teams["t1"]
    assert (team.name, team.created_at, team.updated_at, team.members) == ("Ops", NOW, NOW, {})
    assert team_by_name(state, " oPS ") is team
    assert team_by_name(state, "dev") is None


def test_team_names_are_unique_ignoring_case() -> None:
    """Another team called the same (in any case), or a reused id, is team_exists."""
    assert conflict([OPS], CreateTeam(team_id="t2", name="OPS")) == "team_exists"
    assert conflict([OPS], CreateTeam(team_id="t1", name="Other")) == "team_exists"
    assert conflict([OPS, DEV], UpdateTeam(team_id="t2", name="ops")) == "team_exists"


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (CreateTeam(team_id="t1", name=" "), "name"),
        (CreateTeam(team_id="t1", name="x" * 101), "name"),
        (CreateTeam(team_id="t1", name="a/b"), "name"),
        (CreateTeam(team_id=" ", name="Ops"), "team_id"),
        (CreateTeam(team_id="t1", name="Ops", description="d" * 10001), "description"),
    ],
)
def test_create_team_checks_its_fields(command: CreateTeam, field: str) -> None:
    """Names are 1-100 characters without '/'; descriptions at most 10000."""
    TEAMS.given().when(command).then_rejected("invalid_field", field=field)


def test_a_100_character_name_is_allowed() -> None:
    """The name limit is inclusive."""
    TEAMS.given().when(CreateTeam(team_id="t1", name="x" * 100)).then(
        [TeamCreated(team_id="t1", name="x" * 100, description="", at=NOW)]
    )


def test_update_team_renames_and_redescribes() -> None:
    """An update carries the whole new name and description; the old name is freed."""
    state = (
        TEAMS.given([OPS])
        .when(UpdateTeam(team_id="t1", name="SRE"), now=T1)
        .then([TeamUpdated(team_id="t1", name="SRE", description="", at=T1)])
    )
    assert (team_by_name(state, "sre"), team_by_name(state, "ops")) == (state.teams["t1"], None)
    assert state.teams["t1"].updated_at == T1
    TEAMS.given([OPS]).when(UpdateTeam(team_id="t1", description="on call")).then(
        [TeamUpdated(team_id="t1", name="Ops", description="on call", at=NOW)]
    )


def test_update_team_without_change_is_a_noop() -> None:
    """An update to the same (stripped) name and description emits nothing."""
    TEAMS.given([OPS]).when(UpdateTeam(team_id="t1")).then([])
    TEAMS.given([OPS]).when(UpdateTeam(team_id="t1", name=" Ops ", description="")).then([])


def test_a_team_may_change_the_case_of_its_own_name() -> None:
    """Renaming 'Ops' to 'OPS' is not a conflict with itself."""
    state = (
        TEAMS.given([OPS])
        .when(UpdateTeam(team_id="t1", name="OPS"))
        .then([TeamUpdated(team_id="t1", name="OPS", description="", at=NOW)])
    )
    assert team_by_name(state, "ops") is state.teams["t1"]


def test_update_checks_its_fields() -> None:
    """A bad new name or description is invalid_field."""
    TEAMS.given([OPS]).when(UpdateTeam(team_id="t1", name="")).then_rejected(
        "invalid_field", field="name"
    )
    TEAMS.given([OPS]).when(UpdateTeam(team_id="t1", description="d" * 10001)).then_rejected(
        "invalid_field", field="description"
    )


def test_delete_team_frees_its_name() -> None:
    """A deleted team is gone with its members, and its name can be used again."""
    state = (
        TEAMS.given(BOTH).when(DeleteTeam(team_id="t1")).then([TeamDeleted(team_id="t1", at=NOW)])
    )
    assert (list(state.teams), team_by_name(state, "ops")) == (["t2"], None)
    assert teams_of(state, "bob") == {}
    TEAMS.given([*BOTH, TeamDeleted(team_id="t1", at=NOW)]).when(
        CreateTeam(team_id="t3", name="ops")
    ).then([TeamCreated(team_id="t3", name="ops", description="", at=NOW)])


@pytest.mark.parametrize(
    "command",
    [
        UpdateTeam(team_id="t9", name="x"),
        DeleteTeam(team_id="t9"),
        AddTeamMember(team_id="t9", account_id="ann"),
        ChangeTeamMemberRole(team_id="t9", account_id="ann", role="admin"),
        RemoveTeamMember(team_id="t9", account_id="ann"),
    ],
)
def test_commands_on_an_unknown_team(command: TeamCommand) -> None:
    """Every command naming an unknown team is team_not_found."""
    TEAMS.given(BOTH).when(command).then_rejected("team_not_found")


def test_members_join_with_a_team_role() -> None:
    """A member joins as member by default, or as admin."""
    state = (
        TEAMS.given([OPS])
        .when(AddTeamMember(team_id="t1", account_id="bob"), now=T1)
        .then([TeamMemberAdded(team_id="t1", account_id="bob", role="member", at=T1)])
    )
    assert (state.teams["t1"].members, state.teams["t1"].updated_at) == ({"bob": "member"}, T1)
    TEAMS.given([OPS]).when(AddTeamMember(team_id="t1", account_id="ann", role="admin")).then(
        [ANN_OPS]
    )


def test_add_team_member_checks() -> None:
    """An unknown team role or blank account is invalid_field; joining twice conflicts."""
    TEAMS.given([OPS]).when(
        AddTeamMember(team_id="t1", account_id="ann", role="owner")
    ).then_rejected("invalid_field", field="role")
    TEAMS.given([OPS]).when(AddTeamMember(team_id="t1", account_id=" ")).then_rejected(
        "invalid_field", field="account_id"
    )
    command = AddTeamMember(team_id="t1", account_id="ann")
    assert conflict([OPS, ANN_OPS], command) == "team_member_exists"


def test_change_team_member_role() -> None:
    """A team role changes; the same role is a no-op; strangers and bad roles are refused."""
    state = (
        TEAMS.given(BOTH)
        .when(ChangeTeamMemberRole(team_id="t1", account_id="bob", role="admin"))
        .then([TeamMemberRoleChanged(team_id="t1", account_id="bob", role="admin", at=NOW)])
    )
    assert teams_of(state, "bob") == {"t1": "admin"}
    TEAMS.given(BOTH).when(
        ChangeTeamMemberRole(team_id="t1", account_id="bob", role="member")
    ).then([])
    TEAMS.given(BOTH).when(
        ChangeTeamMemberRole(team_id="t2", account_id="bob", role="admin")
    ).then_rejected("team_member_not_found")
    TEAMS.given(BOTH).when(
        ChangeTeamMemberRole(team_id="t1", account_id="bob", role="lead")
    ).then_rejected("invalid_field", field="role")


def test_remove_team_member() -> None:
    """A member leaves one team and stays in the others; a stranger is team_member_not_found."""
    state = (
        TEAMS.given(BOTH)
        .when(RemoveTeamMember(team_id="t1", account_id="ann"))
        .then([TeamMemberRemoved(team_id="t1", account_id="ann", at=NOW)])
    )
    assert teams_of(state, "ann") == {"t2": "member"}
    TEAMS.given(BOTH).when(RemoveTeamMember(team_id="t2", account_id="bob")).then_rejected(
        "team_member_not_found"
    )


def test_teams_of_lists_an_accounts_teams_in_creation_order() -> None:
    """teams_of maps each team the account is in to its role there."""
    state = TEAMS.fold(BOTH)
    assert teams_of(state, "ann") == {"t1": "admin", "t2": "member"}
    assert teams_of(state, "zed") == {}


def test_find_team_by_id_or_name() -> None:
    """find_team looks up by id, or by name ignoring case, else team_not_found."""
    state = TEAMS.fold(BOTH)
    assert find_team(state, "t2") is find_team(state, "DEV", by_name=True)
    with pytest.raises(NotFound) as raised:
        find_team(state, "t2", by_name=True)
    assert raised.value.code == "team_not_found"


def test_evolve_ignores_events_of_unknown_teams() -> None:
    """evolve is total: events about a team it never saw change nothing."""
    ghost = [
        TeamUpdated(team_id="t9", name="x", description="", at=NOW),
        TeamMemberAdded(team_id="t9", account_id="ann", role="member", at=NOW),
        TeamMemberRemoved(team_id="t9", account_id="ann", at=NOW),
        TeamDeleted(team_id="t9", at=NOW),
    ]
    state = TEAMS.fold([OPS, *ghost, TeamMemberRemoved(team_id="t1", account_id="ghost", at=NOW)])
    assert (list(state.teams), state.by_name) == (["t1"], {"ops": "t1"})
