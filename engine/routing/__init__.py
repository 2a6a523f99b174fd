"""Routing area: each team's ordered routing rules, and which one routes an alert (pure).

An alert with a team responder follows that team's rules: the first (in order)
whose criteria match the alert and whose time restriction covers the moment
names the target — an escalation policy, a schedule, or nobody. A team's default
rule (Opsgenie's, made with the team's default resources) is always last and
matches everything; a team without one falls back to its default policy (``route``,
``RouteDecision``). Paging records
the decision so "why was X paged?" is answered from the log. That the team
exists, target names resolved to ids, and the cleanups when a team, policy or
schedule is deleted are cross-area rules of ``engine.org.decider``. Import from
this package, not its modules.
"""

from engine.routing.commands import (
    ROUTING_COMMAND_TYPES,
    ChangeRoutingRuleOrder,
    CreateRoutingRule,
    DeleteRoutingRule,
    RemoveRoutingTarget,
    RemoveRoutingTeam,
    RoutingCommand,
    UpdateRoutingRule,
)
from engine.routing.decider import (
    MAX_CONDITIONS,
    MAX_RULES,
    check_criteria,
    check_restriction,
    check_target,
    decide,
    evolve,
    initial_state,
)
from engine.routing.events import (
    ROUTING_EVENT_TYPES,
    RoutingEvent,
    RoutingRuleCreated,
    RoutingRuleDeleted,
    RoutingRuleOrderChanged,
    RoutingRuleUpdated,
)
from engine.routing.matching import (
    DEFAULT_ROUTE,
    MAX_PATTERN,
    RouteDecision,
    condition_holds,
    criteria_match,
    restriction_covers,
    route,
)
from engine.routing.state import (
    CONDITION_FIELDS,
    CONDITION_OPERATIONS,
    CRITERIA_TYPES,
    TARGET_TYPES,
    RoutingCondition,
    RoutingCriteria,
    RoutingRule,
    RoutingState,
    RoutingTarget,
    default_rule_of,
    find_routing_rule,
    routing_rule_order,
    routing_rules_of,
)

__all__ = [
    "CONDITION_FIELDS",
    "CONDITION_OPERATIONS",
    "CRITERIA_TYPES",
    "DEFAULT_ROUTE",
    "MAX_CONDITIONS",
    "MAX_PATTERN",
    "MAX_RULES",
    "ROUTING_COMMAND_TYPES",
    "ROUTING_EVENT_TYPES",
    "TARGET_TYPES",
    "ChangeRoutingRuleOrder",
    "CreateRoutingRule",
    "DeleteRoutingRule",
    "RemoveRoutingTarget",
    "RemoveRoutingTeam",
    "RouteDecision",
    "RoutingCommand",
    "RoutingCondition",
    "RoutingCriteria",
    "RoutingEvent",
    "RoutingRule",
    "RoutingRuleCreated",
    "RoutingRuleDeleted",
    "RoutingRuleOrderChanged",
    "RoutingRuleUpdated",
    "RoutingState",
    "RoutingTarget",
    "UpdateRoutingRule",
    "check_criteria",
    "check_restriction",
    "check_target",
    "condition_holds",
    "criteria_match",
    "decide",
    "default_rule_of",
    "evolve",
    "find_routing_rule",
    "initial_state",
    "restriction_covers",
    "route",
    "routing_rule_order",
    "routing_rules_of",
]
