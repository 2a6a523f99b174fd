"""decide/evolve for the teams area.

``evolve`` mutates the state in place and returns it, like every area: the
org actor owns the only copy and discards it if an append fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from engine.errors import Conflict, NotFound, Rejected
from engine.teams import commands as c
from engine.teams import events as e
from engine.teams.state import Team, TeamsState, find_team, initial_state, name_key

__all__ = ["decide", "evolve", "initial_state"]

MAX_NAME: Final = 100
MAX_DESCRIPTION: Final = 10000


def decide(state: TeamsState, command: c.TeamCommand, now: datetime) -> list[e.TeamEvent]:
    """The events ``command`` causes at ``now``; ``[]`` when it changes nothing.

    Raises ``NotFound`` (``team_not_found``, ``team_member_not_found``),
    ``Conflict`` (``team_exists``, ``team_member_exists``) or ``Rejected``
    (``invalid_field``).
    """
    if isinstance(command, c.CreateTeam):
        return [_create(state, command, now), *_initial_members(command, now)]
    team = find_team(state, command.team_id)
    match command:
        case c.UpdateTeam():
            return _update(state, team, command, now)
        case c.DeleteTeam():
            return [e.TeamDeleted(team_id=team.id, at=now)]
        case c.AddTeamMember():
            role = _check_role(command.role)
            if not command.account_id.strip():
                raise _invalid("account_id", "account_id is required")
            if command.account_id in team.members:
                raise Conflict("team_member_exists", f"{command.account_id!r} is in the team")
            return [
                e.TeamMemberAdded(team_id=team.id, account_id=command.account_id, role=role, at=now)
            ]
        case c.ChangeTeamMemberRole():
            role = _check_role(command.role)
            if _member_role(team, command.account_id) == role:
                return []
            return [
                e.TeamMemberRoleChanged(
                    team_id=team.id, account_id=command.account_id, role=role, at=now
                )
            ]
    assert isinstance(command, c.RemoveTeamMember)
    _member_role(team, command.account_id)
    return [e.TeamMemberRemoved(team_id=team.id, account_id=command.account_id, at=now)]


def _create(state: TeamsState, command: c.CreateTeam, now: datetime) -> e.TeamCreated:
    if not command.team_id.strip():
        raise _invalid("team_id", "team_id is required")
    name = _check_name(command.name)
    description = _check_description(command.description)
    if command.team_id in state.teams:
        raise Conflict("team_exists", f"Team {command.team_id!r} already exists")
    _check_unique(state, name, command.team_id)
    return e.TeamCreated(team_id=command.team_id, name=name, description=description, at=now)


def _initial_members(command: c.CreateTeam, now: datetime) -> list[e.TeamEvent]:
    """The members a team is created with, in order; each account once."""
    events: list[e.TeamEvent] = []
    seen: set[str] = set()
    for member in command.members:
        account_id = member.account_id.strip()
        if not account_id:
            raise _invalid("members", "a member's account_id is required")
        role = _check_role(member.role, "members")
        if account_id in seen:
            raise Conflict("team_member_exists", f"{account_id!r} is listed twice")
        seen.add(account_id)
        events.append(
            e.TeamMemberAdded(team_id=command.team_id, account_id=account_id, role=role, at=now)
        )
    return events


def _update(
    state: TeamsState, team: Team, command: c.UpdateTeam, now: datetime
) -> list[e.TeamEvent]:
    name = team.name if command.name is None else _check_name(command.name)
    _check_unique(state, name, team.id)
    description = (
        team.description if command.description is None else _check_description(command.description)
    )
    if (name, description) == (team.name, team.description):
        return []
    return [e.TeamUpdated(team_id=team.id, name=name, description=description, at=now)]


def _check_unique(state: TeamsState, name: str, team_id: str) -> None:
    holder = state.by_name.get(name_key(name))
    if holder is not None and holder != team_id:
        raise Conflict("team_exists", f"Team {name!r} already exists")


def _member_role(team: Team, account_id: str) -> str:
    role = team.members.get(account_id)
    if role is None:
        raise NotFound("team_member_not_found", f"{account_id!r} is not in team {team.name!r}")
    return role


def _invalid(field: str, message: str) -> Rejected:
    return Rejected("invalid_field", message, field=field)


def _check_name(name: str) -> str:
    """``name`` stripped: 1-100 characters, no ``/`` (Opsgenie addresses teams by name)."""
    stripped = name.strip()
    if not stripped or len(stripped) > MAX_NAME:
        raise _invalid("name", f"name must be 1-{MAX_NAME} characters")
    if "/" in stripped:
        raise _invalid("name", "name must not contain '/'")
    return stripped


def _check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise _invalid("description", f"description must be at most {MAX_DESCRIPTION} characters")
    return description


def _check_role(role: str, field: str = "role") -> str:
    if role not in c.TEAM_ROLES:
        raise _invalid(field, "role must be admin or member")
    return role


def evolve(state: TeamsState, event: e.TeamEvent) -> TeamsState:
    """Apply one committed event in place; total, never raises."""
    if isinstance(event, e.TeamCreated):
        state.teams[event.team_id] = Team(
            id=event.team_id,
            name=event.name,
            description=event.description,
            created_at=event.at,
            updated_at=event.at,
        )
        state.by_name[name_key(event.name)] = event.team_id
        return state
    team = state.teams.get(event.team_id)
    if team is None:
        return state
    team.updated_at = event.at
    match event:
        case e.TeamUpdated():
            if state.by_name.get(name_key(team.name)) == team.id:
                del state.by_name[name_key(team.name)]
            team.name, team.description = event.name, event.description
            state.by_name[name_key(event.name)] = team.id
        case e.TeamDeleted():
            del state.teams[team.id]
            if state.by_name.get(name_key(team.name)) == team.id:
                del state.by_name[name_key(team.name)]
        case e.TeamMemberAdded() | e.TeamMemberRoleChanged():
            team.members[event.account_id] = event.role
        case e.TeamMemberRemoved():
            team.members.pop(event.account_id, None)
    return state
