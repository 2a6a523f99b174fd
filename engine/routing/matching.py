"""Which rule routes an alert: Opsgenie's filter conditions and time restrictions (pure).

Semantics (Opsgenie's, where its documentation is silent Pulsar's, stated here):

* **Text** fields (``message``, ``alias``, ``description``, ``source``, ``entity``,
  and a detail's value: ``extra-properties`` or ``details`` with a ``key``; a missing
  detail reads as ``""``) compare ignoring case: ``equals``, ``contains``,
  ``starts-with``, ``ends-with``; ``equals-ignore-whitespace`` also drops every
  whitespace character first; ``is-empty`` is true for blank text.
* ``matches`` is a regular expression that must match the *whole* value (like Java's
  ``String.matches`` that Opsgenie uses), case sensitive unless the pattern says
  ``(?i)``. Patterns are at most ``MAX_PATTERN`` characters and must compile (the
  decider refuses others). They run on RE2 (``google-re2``), not Python's ``re``: a
  member's pattern is matched inside the organization's actor, and a backtracking
  engine would let one pattern such as ``(a+)+$`` stall the whole process on a long
  enough alert text; RE2 matches in time linear in the text. The price is RE2's
  syntax: no backreferences (``\\1``), lookaround (``(?=``, ``(?!``, ``(?<=``), atomic
  groups or possessive quantifiers, which are refused on save; and ``\\d``, ``\\w``,
  ``\\s`` are ASCII classes, as in Java's default that Opsgenie's patterns were written
  for (Python's ``re`` read them as Unicode). A pattern saved before and refused by
  RE2 now never holds, negated or not.
* **Lists** (``tags``, ``actions``): ``contains`` is true when one element equals the
  expected value ignoring case, ``matches`` when one element matches, ``is-empty``
  when there is none.
* **details** as a whole: ``contains-key`` / ``contains-value`` when a key / a value
  equals the expected one ignoring case, ``contains`` when a key or a value contains
  it, ``is-empty`` when there are no details.
* **priority**: ``equals``, and ``greater-than`` / ``less-than`` with P1 the highest
  (``greater-than P3`` is P1 or P2).
* ``negate`` (Opsgenie's ``not``) inverts a condition. ``match-all`` matches every
  alert; ``match-all-conditions`` / ``match-any-condition`` need all / one of them.
* **Time restriction**, read in the rule's time zone: a window whose end is not after
  its start crosses midnight (``time-of-day``) or the week's end
  (``weekday-and-time-of-day``); equal start and end cover the whole day (week) —
  the schedules' reading of the same model (``engine.schedules.oncall``). An end at
  minute 1440 is 24:00, the day's end (Opsgenie allows ``endHour`` 24).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Final, final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import re2

from engine.alerts import Alert
from engine.routing.state import RoutingCondition, RoutingCriteria, RoutingState, routing_rules_of
from engine.schedules import Restriction

__all__ = [
    "DEFAULT_ROUTE",
    "MAX_PATTERN",
    "RouteDecision",
    "condition_holds",
    "criteria_match",
    "pattern",
    "restriction_covers",
    "route",
]

MAX_PATTERN: Final = 500
_DAY: Final = 24 * 60
_WHITESPACE = re.compile(r"\s+")


@final
class RouteDecision(msgspec.Struct, frozen=True, gc=False):
    """The outcome of routing: the rule that matched (``None``: none did) and its target.

    ``target_type`` is ``escalation``, ``schedule`` or ``none`` (the matching rule's
    target, the team's default rule's too), or ``default`` when no rule matched (a team
    without a default rule): the team's default policy applies.
    """

    rule_id: str | None
    rule_name: str
    target_type: str
    target_id: str | None


DEFAULT_ROUTE: Final = RouteDecision(None, "default", "default", None)


_RE2_OPTIONS: Final = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is answered, not logged to stderr


@lru_cache(maxsize=1024)
def pattern(expression: str) -> re2._Regexp | None:
    """``expression`` compiled by RE2 (memoised), or ``None`` when it is too long or
    not a valid RE2 pattern."""
    if len(expression) > MAX_PATTERN:
        return None
    try:
        return re2.compile(expression, _RE2_OPTIONS)
    except re2.error:
        return None


def _fullmatch(expression: str, value: str) -> bool:
    compiled = pattern(expression)
    return compiled is not None and compiled.fullmatch(value) is not None


def _text(operation: str, value: str, expected: str) -> bool:
    if operation == "matches":
        return _fullmatch(expected, value)
    if operation == "is-empty":
        return not value.strip()
    got, want = value.casefold(), expected.casefold()
    match operation:
        case "equals":
            return got == want
        case "contains":
            return want in got
        case "starts-with":
            return got.startswith(want)
        case "ends-with":
            return got.endswith(want)
    return _WHITESPACE.sub("", got) == _WHITESPACE.sub("", want)  # equals-ignore-whitespace


def _items(operation: str, items: tuple[str, ...], expected: str) -> bool:
    if operation == "is-empty":
        return not items
    if operation == "matches":
        return any(_fullmatch(expected, item) for item in items)
    want = expected.casefold()
    return any(item.casefold() == want for item in items)  # contains


def _details(operation: str, details: dict[str, str], expected: str) -> bool:
    if operation == "is-empty":
        return not details
    want = expected.casefold()
    keys = [k.casefold() for k in details]
    values = [v.casefold() for v in details.values()]
    match operation:
        case "contains-key":
            return want in keys
        case "contains-value":
            return want in values
    return any(want in text for text in (*keys, *values))  # contains


def _rank(priority: str) -> int:
    """1 for P1 .. 5 for P5; anything else ranks as P3 (the default priority)."""
    return int(priority[1]) if len(priority) == 2 and priority[1] in "12345" else 3


def _priority(operation: str, priority: str, expected: str) -> bool:
    got, want = _rank(priority), _rank(expected)
    match operation:
        case "greater-than":
            return got < want
        case "less-than":
            return got > want
    return got == want  # equals


def condition_holds(condition: RoutingCondition, alert: Alert) -> bool:
    """Whether ``alert`` meets ``condition`` (``negate`` applied).

    A ``matches`` whose pattern RE2 cannot run (saved before patterns ran on RE2, e.g.
    with a lookahead) never holds, negated or not: a negated one must not suddenly
    route every alert.
    """
    field, operation, expected = condition.field, condition.operation, condition.expected_value
    if operation == "matches" and pattern(expected) is None:
        return False
    if field in ("tags", "actions"):
        result = _items(operation, alert.tags if field == "tags" else alert.actions, expected)
    elif field == "priority":
        result = _priority(operation, alert.priority, expected)
    elif field == "details" and not condition.key:
        result = _details(operation, alert.details, expected)
    elif field in ("details", "extra-properties"):
        result = _text(operation, alert.details.get(condition.key, ""), expected)
    else:
        result = _text(operation, str(getattr(alert, field, "")), expected)
    return result != condition.negate


def criteria_match(criteria: RoutingCriteria, alert: Alert) -> bool:
    """Whether ``alert`` matches the criteria."""
    if criteria.type == "match-all":
        return True
    holds = (condition_holds(c, alert) for c in criteria.conditions)
    return any(holds) if criteria.type == "match-any-condition" else all(holds)


def restriction_covers(restriction: Restriction | None, timezone: str, at: datetime) -> bool:
    """Whether ``at`` lies in the restriction, read in ``timezone`` (``None``: always)."""
    if restriction is None:
        return True
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):  # validated on write; gone from tzdata since
        zone = ZoneInfo("UTC")
    local = at.astimezone(zone)
    minute = local.hour * 60 + local.minute + local.second / 60
    week_minute = (local.isoweekday() - 1) * _DAY + minute
    weekly = restriction.type == "weekday-and-time-of-day"
    for w in restriction.windows:
        if weekly and w.start_day is not None and w.end_day is not None:
            start = (w.start_day - 1) * _DAY + w.start_minute
            end = (w.end_day - 1) * _DAY + w.end_minute
            position = week_minute
        else:
            start, end, position = w.start_minute, w.end_minute, minute
        if (start <= position < end) if start < end else (position >= start or position < end):
            return True
    return False


def route(state: RoutingState, team_id: str, alert: Alert, at: datetime) -> RouteDecision:
    """The team's first rule (in order) that matches ``alert`` at ``at``, as a decision.

    A team's default rule (last, match-all) matches when no other rule does. A team
    without one and no matching rule: ``DEFAULT_ROUTE``, the team's default policy.
    """
    for rule in routing_rules_of(state, team_id):
        if restriction_covers(rule.time_restriction, rule.timezone, at) and criteria_match(
            rule.criteria, alert
        ):
            target = rule.target
            return RouteDecision(rule.id, rule.name, target.type, target.id or None)
    return DEFAULT_ROUTE
