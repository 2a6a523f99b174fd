"""Teams state: the teams of one organization, their members, and queries over them.

Mutable like every area state: ``evolve`` updates it in place (see
``engine.org.decider``).
"""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

from engine.errors import NotFound

__all__ = [
    "Team",
    "TeamsState",
    "find_team",
    "initial_state",
    "name_key",
    "team_by_name",
    "teams_of",
]


@final
class Team(msgspec.Struct, kw_only=True):
    """A team; ``members`` maps account id to team role, in join order."""

    id: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    members: dict[str, str] = msgspec.field(default_factory=dict)


@final
class TeamsState(msgspec.Struct, kw_only=True):
    """Every team by id, and team ids by case-folded name."""

    teams: dict[str, Team] = msgspec.field(default_factory=dict)
    by_name: dict[str, str] = msgspec.field(default_factory=dict)


def initial_state() -> TeamsState:
    """A fresh state without teams (never shared: ``evolve`` mutates it)."""
    return TeamsState()


def name_key(name: str) -> str:
    """How team names compare: stripped and case-folded."""
    return name.strip().casefold()


def team_by_name(state: TeamsState, name: str) -> Team | None:
    """The team called ``name``, ignoring case, if any."""
    team_id = state.by_name.get(name_key(name))
    return None if team_id is None else state.teams.get(team_id)


def teams_of(state: TeamsState, account_id: str) -> dict[str, str]:
    """Team id -> role of every team ``account_id`` is in, in team creation order."""
    return {
        team.id: team.members[account_id]
        for team in state.teams.values()
        if account_id in team.members
    }


def find_team(state: TeamsState, identifier: str, *, by_name: bool = False) -> Team:
    """The team with id (or name) ``identifier``; raises ``NotFound("team_not_found")``."""
    found = team_by_name(state, identifier) if by_name else state.teams.get(identifier)
    if found is None:
        raise NotFound("team_not_found", f"Team {identifier!r} does not exist")
    return found
