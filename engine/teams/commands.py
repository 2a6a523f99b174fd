"""Team commands: teams and their memberships.

Ids of new teams come in the commands, so ``decide`` stays deterministic. That
an added team member is a member of the organization is a cross-area rule,
checked by ``engine.org.decider``.
"""

from __future__ import annotations

from typing import Final, final

import msgspec

__all__ = [
    "TEAM_COMMAND_TYPES",
    "TEAM_ROLES",
    "AddTeamMember",
    "ChangeTeamMemberRole",
    "CreateTeam",
    "DeleteTeam",
    "RemoveTeamMember",
    "TeamCommand",
    "UpdateTeam",
]

TEAM_ROLES: Final = ("admin", "member")


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the team commands: they name their team."""

    team_id: str


@final
class CreateTeam(_Command, frozen=True, kw_only=True):
    """Add a team; its name is unique in the organization, ignoring case."""

    name: str
    description: str = ""


@final
class UpdateTeam(_Command, frozen=True, kw_only=True):
    """Rename or re-describe a team; ``None`` leaves a field as it is."""

    name: str | None = None
    description: str | None = None


@final
class DeleteTeam(_Command, frozen=True, kw_only=True):
    """Remove a team and its memberships."""


@final
class AddTeamMember(_Command, frozen=True, kw_only=True):
    """Add an organization member to the team as ``admin`` or ``member``."""

    account_id: str
    role: str = "member"


@final
class ChangeTeamMemberRole(_Command, frozen=True, kw_only=True):
    account_id: str
    role: str


@final
class RemoveTeamMember(_Command, frozen=True, kw_only=True):
    account_id: str


TeamCommand = (
    CreateTeam | UpdateTeam | DeleteTeam | AddTeamMember | ChangeTeamMemberRole | RemoveTeamMember
)

TEAM_COMMAND_TYPES: Final = (
    CreateTeam,
    UpdateTeam,
    DeleteTeam,
    AddTeamMember,
    ChangeTeamMemberRole,
    RemoveTeamMember,
)
