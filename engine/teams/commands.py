"""Team commands: teams and their memberships.

Ids of new teams (and of their default resources) come in the commands, so
``decide`` stays deterministic. That an added team member is a member of the
organization, and creating a new team's default resources in other areas, are
cross-area rules of ``engine.org.decider``.
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
    "DefaultResources",
    "DeleteTeam",
    "NewMember",
    "RemoveTeamMember",
    "TeamCommand",
    "UpdateTeam",
]

TEAM_ROLES: Final = ("admin", "member")


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the team commands: they name their team."""

    team_id: str


@final
class NewMember(msgspec.Struct, frozen=True, kw_only=True):
    """A member a team is created with: an organization member's account id and team role."""

    account_id: str
    role: str = "member"


@final
class DefaultResources(msgspec.Struct, frozen=True, kw_only=True):
    """The ids (and time zone) of a new team's default resources (``engine.teams.defaults``)."""

    schedule_id: str
    rotation_id: str
    policy_id: str
    rule_id: str
    timezone: str = "UTC"


@final
class CreateTeam(_Command, frozen=True, kw_only=True):
    """Add a team; its name is unique in the organization, ignoring case.

    ``members`` join it at once (in order). With ``defaults``, the team gets
    Opsgenie's default resources in the same batch: a schedule, an escalation
    policy and its default routing rule (``engine.teams.defaults``).
    """

    name: str
    description: str = ""
    members: tuple[NewMember, ...] = ()
    defaults: DefaultResources | None = None


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
