"""decide/evolve for the escalations area.

Every accepted create or change makes a complete new version of the policy (rules
sorted by delay, stable), which the event carries and ``evolve`` records in the
history. ``evolve`` mutates the state in place and returns it, like every area:
the org actor owns the only copy and discards it if an append fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import msgspec

from engine.errors import Conflict, NotFound, Rejected
from engine.escalations import commands as c
from engine.escalations import events as e
from engine.escalations.state import (
    CONDITIONS,
    NOTIFY_TYPES,
    RECIPIENT_TYPES,
    EscalationPolicy,
    EscalationRule,
    EscalationsState,
    Recipient,
    Repeat,
    cycle_minutes,
    history_key,
    initial_state,
    name_key,
)

__all__ = ["decide", "evolve", "initial_state"]

MAX_NAME: Final = 100
MAX_DESCRIPTION: Final = 10000
MAX_RULES: Final = 50
MAX_DELAY: Final = 10080  # a week, in minutes
MAX_REPEATS: Final = 20  # Opsgenie's cap
MAX_ID: Final = 255


def decide(
    state: EscalationsState, command: c.EscalationCommand, now: datetime
) -> list[e.EscalationEvent]:
    """The events ``command`` causes at ``now``; ``[]`` when it changes nothing.

    Raises ``NotFound`` (``escalation_policy_not_found``), ``Conflict``
    (``escalation_policy_exists``) or ``Rejected`` (``invalid_field``). The system
    command ``RemoveRecipient`` never raises.
    """
    if isinstance(command, c.CreateEscalationPolicy):
        return [_create(state, command, now)]
    if isinstance(command, c.RemoveRecipient):
        return _remove_recipient(state, command, now)
    current = state.policies.get(command.policy_id)
    if current is None:
        raise NotFound(
            "escalation_policy_not_found",
            f"Escalation policy {command.policy_id!r} does not exist",
        )
    if isinstance(command, c.DeleteEscalationPolicy):
        return [e.EscalationPolicyDeleted(policy_id=current.id, at=now)]
    return _update(state, current, command, now)


def _create(
    state: EscalationsState, command: c.CreateEscalationPolicy, now: datetime
) -> e.EscalationPolicyCreated:
    if not command.policy_id.strip():
        raise _invalid("id", "policy id is required")
    name = _check_name(command.name)
    rules = _check_rules(command.rules)
    repeat = _check_repeat(command.repeat, rules)
    if command.policy_id in state.policies or history_key(command.policy_id, 1) in state.history:
        raise Conflict(
            "escalation_policy_exists", f"Escalation policy {command.policy_id!r} already exists"
        )
    _check_unique(state, name, command.policy_id)
    policy = EscalationPolicy(
        id=command.policy_id,
        name=name,
        description=_check_description(command.description),
        owner_team_id=_owner(command.owner_team),
        rules=rules,
        repeat=repeat,
        version=1,
        created_at=now,
        updated_at=now,
    )
    return e.EscalationPolicyCreated(policy=policy, at=now)


def _update(
    state: EscalationsState,
    current: EscalationPolicy,
    command: c.UpdateEscalationPolicy,
    now: datetime,
) -> list[e.EscalationEvent]:
    name = current.name if command.name is None else _check_name(command.name)
    _check_unique(state, name, current.id)
    rules = current.rules if command.rules is None else _check_rules(command.rules)
    repeat = _check_repeat(current.repeat if command.repeat is None else command.repeat, rules)
    description = (
        current.description
        if command.description is None
        else _check_description(command.description)
    )
    owner = current.owner_team_id if command.owner_team is None else _owner(command.owner_team)
    changed = msgspec.structs.replace(
        current,
        name=name,
        description=description,
        owner_team_id=owner,
        rules=rules,
        repeat=repeat,
    )
    if changed == current:
        return []
    return [_new_version(current, changed, now)]


def _new_version(
    current: EscalationPolicy, changed: EscalationPolicy, now: datetime
) -> e.EscalationPolicyUpdated:
    policy = msgspec.structs.replace(changed, version=current.version + 1, updated_at=now)
    return e.EscalationPolicyUpdated(policy=policy, at=now)


def _remove_recipient(
    state: EscalationsState, command: c.RemoveRecipient, now: datetime
) -> list[e.EscalationEvent]:
    """A new version of every policy that pages (or, for a team, is owned by) the departed.

    A policy may be left without rules: it pages nobody until it is edited. A repeat
    whose cycle became empty (no delay and no wait left) is switched off, so that the
    policy cannot page in a tight loop.
    """
    gone = Recipient(type=command.recipient_type, id=command.id)
    events: list[e.EscalationEvent] = []
    for policy in state.policies.values():
        rules = tuple(rule for rule in policy.rules if rule.recipient != gone)
        owner = policy.owner_team_id
        if command.recipient_type == "team" and owner == command.id:
            owner = None
        if (rules, owner) == (policy.rules, policy.owner_team_id):
            continue
        repeat = policy.repeat
        if repeat.count and cycle_minutes(rules, repeat) == 0:
            repeat = msgspec.structs.replace(repeat, count=0)
        changed = msgspec.structs.replace(policy, rules=rules, owner_team_id=owner, repeat=repeat)
        events.append(_new_version(policy, changed, now))
    return events


def _invalid(field: str, message: str) -> Rejected:
    return Rejected("invalid_field", message, field=field)


def _check_unique(state: EscalationsState, name: str, policy_id: str) -> None:
    wanted = name_key(name)
    for policy in state.policies.values():
        if policy.id != policy_id and name_key(policy.name) == wanted:
            raise Conflict("escalation_policy_exists", f"Escalation policy {name!r} already exists")


def _check_name(name: str) -> str:
    """``name`` stripped: 1-100 characters, no ``/`` (Opsgenie addresses policies by name)."""
    stripped = name.strip()
    if not stripped or len(stripped) > MAX_NAME:
        raise _invalid("name", f"name must be 1-{MAX_NAME} characters")
    if "/" in stripped:
        raise _invalid("name", "name must not contain '/'")
    return stripped


def _check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise _invalid("description", f"description must be at most {MAX_DESCRIPTION} characters")
    return description


def _owner(owner_team: str | None) -> str | None:
    """The owner team's id (resolved by the org decider); blank means none."""
    return (owner_team or "").strip() or None


def _check_rules(rules: tuple[EscalationRule, ...]) -> tuple[EscalationRule, ...]:
    """``rules`` validated, recipients stripped, sorted by delay (stable)."""
    if not 1 <= len(rules) <= MAX_RULES:
        raise _invalid("rules", f"a policy needs 1-{MAX_RULES} rules")
    checked = [_check_rule(rule, f"rules[{index}]") for index, rule in enumerate(rules)]
    return tuple(sorted(checked, key=lambda rule: rule.delay_minutes))


def _check_rule(rule: EscalationRule, field: str) -> EscalationRule:
    if rule.condition not in CONDITIONS:
        raise _invalid(f"{field}.condition", "condition must be if-not-acked or if-not-closed")
    if not 0 <= rule.delay_minutes <= MAX_DELAY:
        raise _invalid(f"{field}.delayMinutes", f"delay must be 0-{MAX_DELAY} minutes")
    kind = rule.recipient.type
    if kind not in RECIPIENT_TYPES:
        raise _invalid(f"{field}.recipient", "recipient type must be user, schedule or team")
    ref = rule.recipient.id.strip()
    if not ref or len(ref) > MAX_ID:
        raise _invalid(f"{field}.recipient", f"a {kind} recipient needs an id")
    allowed = NOTIFY_TYPES[kind]
    if rule.notify_type not in allowed:
        raise _invalid(
            f"{field}.notifyType", f"notifyType of a {kind} must be one of {', '.join(allowed)}"
        )
    return msgspec.structs.replace(rule, recipient=Recipient(type=kind, id=ref))


def _check_repeat(repeat: Repeat, rules: tuple[EscalationRule, ...]) -> Repeat:
    if not 0 <= repeat.count <= MAX_REPEATS:
        raise _invalid("repeat.count", f"count must be 0-{MAX_REPEATS}")
    if not 0 <= repeat.wait_interval_minutes <= MAX_DELAY:
        raise _invalid("repeat.waitIntervalMinutes", f"waitInterval must be 0-{MAX_DELAY} minutes")
    if repeat.count and cycle_minutes(rules, repeat) == 0:
        raise _invalid(
            "repeat.waitIntervalMinutes",
            "a repeating policy needs a rule delay or a wait interval above 0 minutes",
        )
    return repeat


def evolve(state: EscalationsState, event: e.EscalationEvent) -> EscalationsState:
    """Apply one committed event in place; total, never raises."""
    match event:
        case e.EscalationPolicyCreated() | e.EscalationPolicyUpdated():
            policy = event.policy
            state.policies[policy.id] = policy
            state.history[history_key(policy.id, policy.version)] = policy
        case e.EscalationPolicyDeleted():
            state.policies.pop(event.policy_id, None)
    return state
