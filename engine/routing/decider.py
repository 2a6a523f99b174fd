"""decide/evolve for the routing area.

``evolve`` mutates the state in place and returns it, like every area: the org
actor owns the only copy and discards it if an append fails. Errors name the
field as the API spells it (``criteria``, ``timeRestriction``, ``notify``).

A team's default rule (``RoutingRule.is_default``) stays last: new rules and moved
ones go before it, and deleting or moving it is ``default_routing_rule``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import msgspec

from engine.errors import Conflict, Rejected
from engine.routing import commands as c
from engine.routing import events as e
from engine.routing.matching import MAX_PATTERN, pattern
from engine.routing.state import (
    CONDITION_OPERATIONS,
    CRITERIA_TYPES,
    RESTRICTION_TYPES,
    TARGET_TYPES,
    TEXT_OPERATIONS,
    RoutingCondition,
    RoutingCriteria,
    RoutingRule,
    RoutingState,
    RoutingTarget,
    default_rule_of,
    find_routing_rule,
    initial_state,
    routing_rules_of,
)
from engine.schedules import Restriction, check_timezone

__all__ = [
    "MAX_CONDITIONS",
    "MAX_RULES",
    "check_criteria",
    "check_restriction",
    "check_target",
    "decide",
    "evolve",
    "initial_state",
]

MAX_RULES: Final = 100  # per team
MAX_CONDITIONS: Final = 50
MAX_WINDOWS: Final = 50
MAX_NAME: Final = 100
MAX_VALUE: Final = 1000
MAX_ID: Final = 200
PRIORITIES: Final = ("P1", "P2", "P3", "P4", "P5")


def decide(state: RoutingState, command: c.RoutingCommand, now: datetime) -> list[e.RoutingEvent]:
    """The events ``command`` causes at ``now``; ``[]`` when it changes nothing.

    Raises ``NotFound`` (``routing_rule_not_found``), ``Conflict``
    (``routing_rule_exists``) or ``Rejected`` (``invalid_field``, ``too_many_rules``,
    ``default_routing_rule``: deleting or moving a team's default rule).
    """
    match command:
        case c.CreateRoutingRule():
            return [_create(state, command, now)]
        case c.RemoveRoutingTeam():
            return [
                e.RoutingRuleDeleted(team_id=rule.team_id, rule_id=rule.id, at=now)
                for rule in routing_rules_of(state, command.team_id)
            ]
        case c.RemoveRoutingTarget():
            gone = RoutingTarget(type=command.target_type, id=command.target_id)
            nobody = RoutingTarget(type="none")
            return [
                _updated(msgspec.structs.replace(rule, target=nobody, updated_at=now))
                for rule in state.rules.values()
                if rule.target == gone
            ]
    rule = find_routing_rule(state, command.team_id, command.rule_id)
    match command:
        case c.UpdateRoutingRule():
            return _update(rule, command, now)
        case c.DeleteRoutingRule():
            if rule.is_default:
                raise Rejected(
                    "default_routing_rule",
                    "The default routing rule of a team cannot be deleted; change its notify",
                )
            return [e.RoutingRuleDeleted(team_id=rule.team_id, rule_id=rule.id, at=now)]
    assert isinstance(command, c.ChangeRoutingRuleOrder)
    ids = state.by_team[rule.team_id]
    order = _check_order(command.order)
    if rule.is_default:
        if min(order, len(ids) - 1) != ids.index(rule.id):
            raise Rejected("default_routing_rule", "The default routing rule is always last")
        return []
    order = min(order, _movable(state, rule.team_id) - 1)
    if ids.index(rule.id) == order:
        return []
    return [e.RoutingRuleOrderChanged(team_id=rule.team_id, rule_id=rule.id, order=order, at=now)]


def _movable(state: RoutingState, team_id: str) -> int:
    """How many of the team's rules may be ordered freely: all but its default rule."""
    count = len(state.by_team.get(team_id, ()))
    return count - 1 if default_rule_of(state, team_id) is not None else count


def _updated(rule: RoutingRule) -> e.RoutingRuleUpdated:
    return e.RoutingRuleUpdated(
        team_id=rule.team_id, rule_id=rule.id, rule=rule, at=rule.updated_at
    )


def _create(state: RoutingState, command: c.CreateRoutingRule, now: datetime) -> e.RoutingEvent:
    for field, value in (("team_id", command.team_id), ("rule_id", command.rule_id)):
        if not value.strip() or len(value) > MAX_ID:
            raise _invalid(field, f"{field} must be 1-{MAX_ID} characters")
    if command.rule_id in state.rules:
        raise Conflict("routing_rule_exists", f"Routing rule {command.rule_id!r} already exists")
    ids = state.by_team.get(command.team_id, ())
    if len(ids) >= MAX_RULES:
        raise Rejected("too_many_rules", f"a team has at most {MAX_RULES} routing rules")
    movable = _movable(state, command.team_id)
    if command.is_default:
        if movable < len(ids):
            message = "The team already has a default routing rule"
            raise Conflict("routing_rule_exists", message)
        order = len(ids)
    else:
        order = movable if command.order is None else min(_check_order(command.order), movable)
    rule = RoutingRule(
        id=command.rule_id,
        team_id=command.team_id,
        name=_check_name(command.name),
        criteria=check_criteria(command.criteria),
        time_restriction=check_restriction(command.time_restriction),
        timezone=check_timezone(command.timezone),
        target=check_target(command.target),
        created_at=now,
        updated_at=now,
        is_default=command.is_default,
    )
    _check_default(rule)
    return e.RoutingRuleCreated(
        team_id=rule.team_id, rule_id=rule.id, rule=rule, order=order, at=now
    )


def _update(rule: RoutingRule, command: c.UpdateRoutingRule, now: datetime) -> list[e.RoutingEvent]:
    restriction = (
        rule.time_restriction
        if isinstance(command.time_restriction, msgspec.UnsetType)
        else check_restriction(command.time_restriction)
    )
    changed = msgspec.structs.replace(
        rule,
        name=rule.name if command.name is None else _check_name(command.name),
        criteria=rule.criteria if command.criteria is None else check_criteria(command.criteria),
        time_restriction=restriction,
        timezone=rule.timezone if command.timezone is None else check_timezone(command.timezone),
        target=rule.target if command.target is None else check_target(command.target),
    )
    _check_default(changed)
    if changed == rule:
        return []
    return [_updated(msgspec.structs.replace(changed, updated_at=now))]


def _check_default(rule: RoutingRule) -> None:
    """A default rule matches every alert (``match-all``) at any time (no restriction)."""
    if not rule.is_default:
        return
    if rule.criteria.type != "match-all":
        raise _invalid("criteria", "the default routing rule matches every alert (match-all)")
    if rule.time_restriction is not None:
        raise _invalid("timeRestriction", "the default routing rule applies at any time")


def _invalid(field: str, message: str) -> Rejected:
    return Rejected("invalid_field", message, field=field)


def _check_order(order: int) -> int:
    if order < 0:
        raise _invalid("order", "order must be 0 or more")
    return order


def _check_name(name: str) -> str:
    stripped = name.strip()
    if len(stripped) > MAX_NAME:
        raise _invalid("name", f"name must be at most {MAX_NAME} characters")
    return stripped


def check_target(target: RoutingTarget) -> RoutingTarget:
    """``target`` validated: a type of ``TARGET_TYPES``; an id unless it is ``none``."""
    if target.type not in TARGET_TYPES:
        raise _invalid("notify", "notify type must be escalation, schedule or none")
    if target.type == "none":
        return RoutingTarget(type="none")
    if not target.id.strip():
        raise _invalid("notify", f"a {target.type} target needs its id or name")
    return target


def _check_condition(condition: RoutingCondition) -> RoutingCondition:
    field, operation, key = condition.field, condition.operation, condition.key.strip()
    allowed = CONDITION_OPERATIONS.get(field)
    if allowed is None:
        raise _invalid("criteria", f"condition field {field!r} is not supported")
    if field == "details" and key:
        allowed = TEXT_OPERATIONS  # one detail's value, compared as text
    if operation not in allowed:
        raise _invalid("criteria", f"{operation!r} is not a valid operation for {field}")
    if key and field not in ("details", "extra-properties"):
        raise _invalid("criteria", "a condition key is only valid for details")
    if field == "extra-properties" and not key:
        raise _invalid("criteria", "an extra-properties condition needs its key")
    expected = condition.expected_value
    if len(expected) > MAX_VALUE or (operation != "is-empty" and not expected):
        raise _invalid("criteria", f"expectedValue must be 1-{MAX_VALUE} characters")
    if operation == "matches" and pattern(expected) is None:
        msg = (
            f"expectedValue must be a valid regular expression of at most {MAX_PATTERN} "
            "characters (RE2 syntax: no backreferences or lookaround)"
        )
        raise _invalid("criteria", msg)
    if field == "priority" and expected not in PRIORITIES:
        raise _invalid("criteria", "a priority condition expects one of P1, P2, P3, P4, P5")
    return msgspec.structs.replace(condition, key=key)


def check_criteria(criteria: RoutingCriteria) -> RoutingCriteria:
    """``criteria`` validated; conditions sorted by their order (``match-all``: none)."""
    if criteria.type not in CRITERIA_TYPES:
        raise _invalid("criteria", f"criteria type must be one of {', '.join(CRITERIA_TYPES)}")
    if criteria.type == "match-all":
        return RoutingCriteria()
    if not 1 <= len(criteria.conditions) <= MAX_CONDITIONS:
        raise _invalid("criteria", f"{criteria.type} needs 1-{MAX_CONDITIONS} conditions")
    conditions = sorted((_check_condition(x) for x in criteria.conditions), key=lambda x: x.order)
    return RoutingCriteria(type=criteria.type, conditions=tuple(conditions))


def check_restriction(restriction: Restriction | None) -> Restriction | None:
    """``restriction`` if well formed: one daily window, or 1-50 weekday windows."""
    if restriction is None:
        return None
    if restriction.type not in RESTRICTION_TYPES:
        raise _invalid("timeRestriction", "type must be time-of-day or weekday-and-time-of-day")
    weekly = restriction.type == "weekday-and-time-of-day"
    count = len(restriction.windows)
    if count == 0 or count > MAX_WINDOWS or (not weekly and count != 1):
        raise _invalid("timeRestriction", "a restriction needs its window(s)")
    for window in restriction.windows:
        # An end at minute 1440 is 24:00, the day's end (Opsgenie's endHour 24).
        if not (0 <= window.start_minute < 1440 and 0 <= window.end_minute <= 1440):
            raise _invalid("timeRestriction", "times must lie between 00:00 and 24:00")
        days = (window.start_day, window.end_day)
        if weekly and any(day is None or not 1 <= day <= 7 for day in days):
            raise _invalid("timeRestriction", "startDay and endDay must be weekdays")
        if not weekly and days != (None, None):
            raise _invalid("timeRestriction", "a time-of-day restriction has no days")
    return restriction


def evolve(state: RoutingState, event: e.RoutingEvent) -> RoutingState:
    """Apply one committed event in place; total, never raises."""
    ids = list(state.by_team.get(event.team_id, ()))
    match event:
        case e.RoutingRuleCreated():
            if event.rule_id in state.rules:
                return state
            state.rules[event.rule_id] = event.rule
            ids.insert(event.order, event.rule_id)
        case e.RoutingRuleUpdated():
            if event.rule_id in state.rules:
                state.rules[event.rule_id] = event.rule
            return state
        case e.RoutingRuleDeleted():
            state.rules.pop(event.rule_id, None)
            ids = [i for i in ids if i != event.rule_id]
        case e.RoutingRuleOrderChanged():
            if event.rule_id not in ids:
                return state
            ids.remove(event.rule_id)
            ids.insert(event.order, event.rule_id)
    if ids:
        state.by_team[event.team_id] = tuple(ids)
    else:
        state.by_team.pop(event.team_id, None)
    return state
