"""Team events; each names its team and when it happened."""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

__all__ = [
    "TEAM_EVENT_TYPES",
    "TeamCreated",
    "TeamDeleted",
    "TeamEvent",
    "TeamMemberAdded",
    "TeamMemberRemoved",
    "TeamMemberRoleChanged",
    "TeamUpdated",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the team events: which team, and when."""

    team_id: str
    at: datetime


@final
class TeamCreated(_Event, frozen=True, kw_only=True):
    name: str
    description: str


@final
class TeamUpdated(_Event, frozen=True, kw_only=True):
    """The team's name and description are now these."""

    name: str
    description: str


@final
class TeamDeleted(_Event, frozen=True, kw_only=True):
    """The team was removed, with its memberships."""


@final
class TeamMemberAdded(_Event, frozen=True, kw_only=True):
    account_id: str
    role: str


@final
class TeamMemberRoleChanged(_Event, frozen=True, kw_only=True):
    account_id: str
    role: str


@final
class TeamMemberRemoved(_Event, frozen=True, kw_only=True):
    account_id: str


TeamEvent = (
    TeamCreated
    | TeamUpdated
    | TeamDeleted
    | TeamMemberAdded
    | TeamMemberRoleChanged
    | TeamMemberRemoved
)

TEAM_EVENT_TYPES: Final = (
    TeamCreated,
    TeamUpdated,
    TeamDeleted,
    TeamMemberAdded,
    TeamMemberRoleChanged,
    TeamMemberRemoved,
)
