"""Routing commands: a team's rules, their order, and the cleanups other areas trigger.

Ids of new rules come in the commands, so ``decide`` stays deterministic. The
team must exist and a target named by name is resolved to its id by
``engine.org.decider`` (``resolve_target``) before ``decide`` sees the command.
"""

from __future__ import annotations

from typing import Final, final

import msgspec

from engine.routing.state import RoutingCriteria, RoutingTarget
from engine.schedules import Restriction

__all__ = [
    "ROUTING_COMMAND_TYPES",
    "ChangeRoutingRuleOrder",
    "CreateRoutingRule",
    "DeleteRoutingRule",
    "RemoveRoutingTarget",
    "RemoveRoutingTeam",
    "RoutingCommand",
    "UpdateRoutingRule",
]


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the rule commands: the team and the rule."""

    team_id: str
    rule_id: str


@final
class CreateRoutingRule(_Command, frozen=True, kw_only=True):
    """Add a rule at position ``order`` (``None`` or beyond the end: last, before the default).

    ``is_default`` makes the team's default rule instead (``engine.org.decider`` sends
    it with a new team's default resources): match-all, unrestricted, always last.
    """

    name: str = ""
    order: int | None = None
    criteria: RoutingCriteria = RoutingCriteria()
    time_restriction: Restriction | None = None
    timezone: str = "UTC"
    target: RoutingTarget
    is_default: bool = False


@final
class UpdateRoutingRule(_Command, frozen=True, kw_only=True):
    """Change a rule; absent fields (``None``, ``UNSET``) stay as they are.

    ``time_restriction`` ``None`` removes the restriction.
    """

    name: str | None = None
    criteria: RoutingCriteria | None = None
    time_restriction: Restriction | msgspec.UnsetType | None = msgspec.UNSET
    timezone: str | None = None
    target: RoutingTarget | None = None


@final
class DeleteRoutingRule(_Command, frozen=True, kw_only=True):
    """Remove a rule; the ones after it move up. A team's default rule stays."""


@final
class ChangeRoutingRuleOrder(_Command, frozen=True, kw_only=True):
    """Move a rule to position ``order`` (from 0; beyond the end: last, before the default)."""

    order: int


@final
class RemoveRoutingTeam(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """A team was deleted: its rules go with it (sent by ``engine.org.decider``)."""

    team_id: str


@final
class RemoveRoutingTarget(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """A policy (``escalation``) or schedule was deleted: rules routing to it route to nobody."""

    target_type: str
    target_id: str


RoutingCommand = (
    CreateRoutingRule
    | UpdateRoutingRule
    | DeleteRoutingRule
    | ChangeRoutingRuleOrder
    | RemoveRoutingTeam
    | RemoveRoutingTarget
)

ROUTING_COMMAND_TYPES: Final = (
    CreateRoutingRule,
    UpdateRoutingRule,
    DeleteRoutingRule,
    ChangeRoutingRuleOrder,
    RemoveRoutingTeam,
    RemoveRoutingTarget,
)
