"""Routing events; each names its team and rule, and when it happened."""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.routing.state import RoutingRule

__all__ = [
    "ROUTING_EVENT_TYPES",
    "RoutingEvent",
    "RoutingRuleCreated",
    "RoutingRuleDeleted",
    "RoutingRuleOrderChanged",
    "RoutingRuleUpdated",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the routing events: which team's rule, and when."""

    team_id: str
    rule_id: str
    at: datetime


@final
class RoutingRuleCreated(_Event, frozen=True, kw_only=True):
    """The rule (as recorded, ids resolved) was added at position ``order``."""

    rule: RoutingRule
    order: int


@final
class RoutingRuleUpdated(_Event, frozen=True, kw_only=True):
    """The rule is now this (the whole of it)."""

    rule: RoutingRule


@final
class RoutingRuleDeleted(_Event, frozen=True, kw_only=True):
    """The rule was removed; the ones after it moved up."""


@final
class RoutingRuleOrderChanged(_Event, frozen=True, kw_only=True):
    """The rule moved to position ``order``."""

    order: int


RoutingEvent = (
    RoutingRuleCreated | RoutingRuleUpdated | RoutingRuleDeleted | RoutingRuleOrderChanged
)

ROUTING_EVENT_TYPES: Final = (
    RoutingRuleCreated,
    RoutingRuleUpdated,
    RoutingRuleDeleted,
    RoutingRuleOrderChanged,
)
