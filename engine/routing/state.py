"""Routing state: each team's ordered routing rules, and the rule model.

A rule says: alerts of this team that match ``criteria`` (Opsgenie's filter) at a
time inside ``time_restriction`` (read in the rule's IANA ``timezone``) go to
``target``: an escalation policy, a schedule, or nobody. A team's rules are tried
in order; the first match wins (``engine.routing.matching.route``). A rule's order
is its position in ``RoutingState.by_team``, so it is always 0..n-1 without gaps.

A team may have one *default* rule (Opsgenie's "Default Routing Rule", made with
the team's default resources): it matches every alert at any time, is always the
team's last rule, cannot be deleted or moved, and only its name, time zone and
target change. A team without one falls back to its default policy
(``engine.routing.matching.route``).

Mutable like every area state: ``evolve`` updates it in place (see
``engine.org.decider``); rules themselves are frozen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.errors import NotFound
from engine.schedules import Restriction

__all__ = [
    "CONDITION_FIELDS",
    "CONDITION_OPERATIONS",
    "CRITERIA_TYPES",
    "RESTRICTION_TYPES",
    "TARGET_TYPES",
    "TEXT_OPERATIONS",
    "RoutingCondition",
    "RoutingCriteria",
    "RoutingRule",
    "RoutingState",
    "RoutingTarget",
    "default_rule_of",
    "find_routing_rule",
    "initial_state",
    "routing_rule_order",
    "routing_rules_of",
]

CRITERIA_TYPES: Final = ("match-all", "match-any-condition", "match-all-conditions")
TARGET_TYPES: Final = ("escalation", "schedule", "none")
RESTRICTION_TYPES: Final = ("time-of-day", "weekday-and-time-of-day")

# Which operations each alert field takes (Opsgenie's, as its Go SDK validates them).
# ``details`` with a ``key`` (or ``extra-properties``, which needs one) compares that
# detail's value as text.
TEXT_OPERATIONS: Final = (
    "matches",
    "contains",
    "starts-with",
    "ends-with",
    "equals",
    "equals-ignore-whitespace",
    "is-empty",
)
CONDITION_OPERATIONS: Final[dict[str, tuple[str, ...]]] = {
    "message": TEXT_OPERATIONS,
    "alias": TEXT_OPERATIONS,
    "description": TEXT_OPERATIONS,
    "source": TEXT_OPERATIONS,
    "entity": TEXT_OPERATIONS,
    "tags": ("contains", "is-empty", "matches"),
    "actions": ("contains", "is-empty", "matches"),
    "details": ("contains", "is-empty", "contains-key", "contains-value"),
    "extra-properties": TEXT_OPERATIONS,
    "priority": ("equals", "greater-than", "less-than"),
}
CONDITION_FIELDS: Final = tuple(CONDITION_OPERATIONS)


@final
class RoutingCondition(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One condition on an alert field; ``negate`` is Opsgenie's ``not``.

    ``key`` names the detail for ``extra-properties`` (and ``details`` compared as text).
    """

    field: str
    operation: str
    expected_value: str = ""
    key: str = ""
    negate: bool = False
    order: int = 0


@final
class RoutingCriteria(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """``match-all`` (every alert), or all / any of ``conditions``, sorted by their order."""

    type: str = "match-all"
    conditions: tuple[RoutingCondition, ...] = ()


@final
class RoutingTarget(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Where matching alerts go: a policy (``escalation``), a ``schedule``, or ``none``."""

    type: str
    id: str = ""


@final
class RoutingRule(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A team's routing rule (its position in the team's list is its order).

    ``is_default``: the team's default rule (match-all, no restriction, always last).
    """

    id: str
    team_id: str
    name: str
    criteria: RoutingCriteria
    time_restriction: Restriction | None = None
    timezone: str = "UTC"
    target: RoutingTarget
    created_at: datetime
    updated_at: datetime
    is_default: bool = False


@final
class RoutingState(msgspec.Struct, kw_only=True):
    """Every rule by id, and each team's rule ids in order."""

    rules: dict[str, RoutingRule] = msgspec.field(default_factory=dict)
    by_team: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)


def initial_state() -> RoutingState:
    """A fresh state without rules (never shared: ``evolve`` mutates it)."""
    return RoutingState()


def routing_rules_of(state: RoutingState, team_id: str) -> tuple[RoutingRule, ...]:
    """The team's rules in order (first tried first)."""
    return tuple(state.rules[rule_id] for rule_id in state.by_team.get(team_id, ()))


def default_rule_of(state: RoutingState, team_id: str) -> RoutingRule | None:
    """The team's default rule (always its last), if it has one."""
    ids = state.by_team.get(team_id, ())
    last = state.rules[ids[-1]] if ids else None
    return last if last is not None and last.is_default else None


def routing_rule_order(state: RoutingState, rule: RoutingRule) -> int:
    """The rule's position in its team's list, from 0."""
    return state.by_team[rule.team_id].index(rule.id)


def find_routing_rule(state: RoutingState, team_id: str, rule_id: str) -> RoutingRule:
    """Team ``team_id``'s rule ``rule_id``; raises ``NotFound("routing_rule_not_found")``.

    A rule of another team is not found through this one.
    """
    found = state.rules.get(rule_id)
    if found is None or found.team_id != team_id:
        raise NotFound("routing_rule_not_found", f"Routing rule {rule_id!r} does not exist")
    return found
