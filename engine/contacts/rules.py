"""How contact commands change a member's notification rules.

Part of ``decide`` (``engine.contacts.decider``). ``since`` bookkeeping, so that
rules changed mid-escalation are not retroactive (scenarios S07/S08): a step
added or changed gets ``since = now``, an unchanged one keeps its own; a change
that may change which rule applies (a rule added, deleted, moved, or its
``_which`` changed: enabled, priorities, time restriction, time zone) sets the
member's ``rules_since = now``.
"""

from __future__ import annotations

from datetime import datetime

from engine.contacts import commands as c
from engine.contacts import events as e
from engine.contacts.checks import (
    MAX_RULES,
    MAX_SEND_AFTER,
    MAX_STEPS,
    check_id,
    check_priorities,
    check_restriction,
    check_rule_name,
    check_timezone,
    invalid,
)
from engine.contacts.model import (
    ACTION_TYPES,
    NotificationRule,
    NotificationStep,
)
from engine.contacts.state import UserContacts
from engine.errors import Conflict, NotFound, Rejected

__all__ = ["add_rule", "delete_rule", "find_rule", "update_rule"]


def find_rule(user: UserContacts, rule_id: str) -> NotificationRule:
    found = user.rules.get(rule_id)
    if found is None:
        raise NotFound(
            "notification_rule_not_found", f"notification rule {rule_id!r} does not exist"
        )
    return found


def _steps(
    user: UserContacts,
    specs: tuple[c.StepSpec, ...],
    old: tuple[NotificationStep, ...],
    now: datetime,
) -> tuple[NotificationStep, ...]:
    """The rule's new steps; one unchanged from ``old`` keeps its ``since``."""
    if len(specs) > MAX_STEPS:
        raise invalid("steps", f"a rule has at most {MAX_STEPS} steps")
    kept = {(s.contact_method_id, s.send_after_minutes, s.enabled): s.since for s in old}
    seen_ids: set[str] = set()
    seen: set[tuple[str, int]] = set()
    steps = []
    for spec in specs:
        step_id = check_id(spec.id, "steps")
        if spec.contact_method_id not in user.methods:
            raise invalid("contactMethodId", f"no contact method {spec.contact_method_id!r}")
        if not 0 <= spec.send_after_minutes <= MAX_SEND_AFTER:
            raise invalid("sendAfterMinutes", f"sendAfterMinutes must be 0-{MAX_SEND_AFTER}")
        what = (spec.contact_method_id, spec.send_after_minutes)
        if step_id in seen_ids or what in seen:
            raise invalid("steps", "each step needs its own id, contact method and delay")
        seen_ids.add(step_id)
        seen.add(what)
        since = kept.get((*what, spec.enabled), now)
        steps.append(
            NotificationStep(
                id=step_id,
                contact_method_id=spec.contact_method_id,
                send_after_minutes=spec.send_after_minutes,
                enabled=spec.enabled,
                since=since,
            )
        )
    return tuple(steps)


def _check_action(action_type: str) -> str:
    if action_type not in ACTION_TYPES:
        raise invalid("actionType", f"Pulsar has only create-alert rules, not {action_type!r}")
    return action_type


def _position(order: int | None, count: int, default: int) -> int:
    """A 1-based position among ``count`` places; ``None`` or below 1: ``default``."""
    if order is None or order < 1:
        return default
    return min(order, count)


def add_rule(user: UserContacts, command: c.AddNotificationRule, now: datetime) -> e.ContactEvent:
    rule_id = check_id(command.rule_id, "rule_id")
    if rule_id in user.rules:
        raise Conflict("notification_rule_exists", f"notification rule {rule_id!r} exists")
    if len(user.rules) >= MAX_RULES:
        raise Rejected(
            "too_many_notification_rules", f"a user has at most {MAX_RULES} notification rules"
        )
    restriction = command.time_restriction
    rule = NotificationRule(
        id=rule_id,
        name=check_rule_name(command.name),
        action_type=_check_action(command.action_type),
        enabled=command.enabled,
        priorities=check_priorities(command.priorities),
        time_restriction=None if restriction is None else check_restriction(restriction),
        timezone=check_timezone(command.timezone),
        steps=_steps(user, command.steps, (), now),
        created_at=now,
    )
    count = len(user.rules) + 1
    order = _position(command.order, count, count)
    return e.NotificationRuleAdded(
        account_id=command.account_id, rule=rule, order=order, rules_since=now, at=now
    )


def update_rule(
    user: UserContacts, command: c.UpdateNotificationRule, now: datetime
) -> list[e.ContactEvent]:
    old = find_rule(user, command.rule_id)
    restriction = old.time_restriction
    if command.clear_time_restriction:
        restriction = None
    elif command.time_restriction is not None:
        restriction = check_restriction(command.time_restriction)
    new = NotificationRule(
        id=old.id,
        name=old.name if command.name is None else check_rule_name(command.name),
        action_type=old.action_type,
        enabled=old.enabled if command.enabled is None else command.enabled,
        priorities=old.priorities
        if command.priorities is None
        else check_priorities(command.priorities),
        time_restriction=restriction,
        timezone=old.timezone if command.timezone is None else check_timezone(command.timezone),
        steps=old.steps if command.steps is None else _steps(user, command.steps, old.steps, now),
        created_at=old.created_at,
    )
    current = list(user.rules).index(old.id) + 1
    order = _position(command.order, len(user.rules), current)
    if new == old and order == current:
        return []
    moved = order != current or _which(new) != _which(old)
    return [
        e.NotificationRuleUpdated(
            account_id=command.account_id,
            rule=new,
            order=order,
            rules_since=now if moved else user.rules_since,
            at=now,
        )
    ]


def _which(rule: NotificationRule) -> tuple[object, ...]:
    """What decides whether a rule applies to an alert (not its steps)."""
    return (rule.enabled, rule.action_type, rule.priorities, rule.time_restriction, rule.timezone)


def delete_rule(
    user: UserContacts, command: c.DeleteNotificationRule, now: datetime
) -> list[e.ContactEvent]:
    find_rule(user, command.rule_id)
    return [
        e.NotificationRuleDeleted(account_id=command.account_id, rule_id=command.rule_id, at=now)
    ]
