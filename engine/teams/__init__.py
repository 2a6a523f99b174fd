"""Teams area: teams of an organization and their members (pure).

A team member has a team role, ``admin`` or ``member``; that they are a
member of the organization, and that leaving the organization leaves its
teams, are cross-area rules of ``engine.org.decider``. So is making a new
team's default resources, whose commands ``engine.teams.defaults`` builds.
"""

from engine.teams.commands import (
    TEAM_COMMAND_TYPES,
    TEAM_ROLES,
    AddTeamMember,
    ChangeTeamMemberRole,
    CreateTeam,
    DefaultResources,
    DeleteTeam,
    NewMember,
    RemoveTeamMember,
    TeamCommand,
    UpdateTeam,
)
from engine.teams.decider import decide, evolve, initial_state
from engine.teams.defaults import (
    DEFAULT_RULE_NAME,
    ESCALATION_SUFFIX,
    SCHEDULE_SUFFIX,
    DefaultCommands,
    default_name,
    default_resource_commands,
)
from engine.teams.events import (
    TEAM_EVENT_TYPES,
    TeamCreated,
    TeamDeleted,
    TeamEvent,
    TeamMemberAdded,
    TeamMemberRemoved,
    TeamMemberRoleChanged,
    TeamUpdated,
)
from engine.teams.state import Team, TeamsState, find_team, team_by_name, teams_of

__all__ = [
    "DEFAULT_RULE_NAME",
    "ESCALATION_SUFFIX",
    "SCHEDULE_SUFFIX",
    "TEAM_COMMAND_TYPES",
    "TEAM_EVENT_TYPES",
    "TEAM_ROLES",
    "AddTeamMember",
    "ChangeTeamMemberRole",
    "CreateTeam",
    "DefaultCommands",
    "DefaultResources",
    "DeleteTeam",
    "NewMember",
    "RemoveTeamMember",
    "Team",
    "TeamCommand",
    "TeamCreated",
    "TeamDeleted",
    "TeamEvent",
    "TeamMemberAdded",
    "TeamMemberRemoved",
    "TeamMemberRoleChanged",
    "TeamUpdated",
    "TeamsState",
    "UpdateTeam",
    "decide",
    "default_name",
    "default_resource_commands",
    "evolve",
    "find_team",
    "initial_state",
    "team_by_name",
    "teams_of",
]
