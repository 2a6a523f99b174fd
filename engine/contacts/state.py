"""Contacts state: every member's contact methods, rules and quiet hours, and queries.

Mutable like every area state: ``evolve`` updates it in place (see
``engine.org.decider``). A member without an entry in ``users`` never
configured anything and has the default (``model``): the queries answer it
without any stored event, so existing members need no migration. The first
change materializes the default as events, then applies itself.

The paging core reads only ``methods_of``, ``method_of``, ``notification_plan``
and ``quiet_at``.
"""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

from engine.contacts.model import (
    BEGINNING,
    DEFAULT_EMAIL_METHOD_ID,
    DEFAULT_RULE_ID,
    DEFAULT_RULE_NAME,
    DEFAULT_STEP_ID,
    ContactMethod,
    NotificationRule,
    NotificationStep,
    PlannedStep,
    QuietHours,
    Verification,
)
from engine.contacts.windows import quiet_covers, restriction_covers

__all__ = [
    "ContactsState",
    "UserContacts",
    "configured",
    "contacts_of",
    "default_contacts",
    "initial_state",
    "method_of",
    "methods_of",
    "notification_plan",
    "quiet_at",
    "quiet_hours_of",
    "rule_of",
    "rules_of",
    "verification_of",
]


@final
class UserContacts(msgspec.Struct, kw_only=True):
    """One member's contacts; ``rules`` are in their order (first match applies).

    ``rules_since``: when the member's rules last changed in a way that may change
    which rule applies (a rule added, deleted, enabled, disabled, moved, or its
    priorities or time restriction changed).
    """

    methods: dict[str, ContactMethod] = msgspec.field(default_factory=dict)
    rules: dict[str, NotificationRule] = msgspec.field(default_factory=dict)
    quiet_hours: QuietHours | None = None
    rules_since: datetime = BEGINNING
    verifications: dict[str, Verification] = msgspec.field(default_factory=dict)


@final
class ContactsState(msgspec.Struct, kw_only=True):
    """Members' contacts by account id (only members who configured something)."""

    users: dict[str, UserContacts] = msgspec.field(default_factory=dict)


def initial_state() -> ContactsState:
    """A fresh state where every member has the default (never shared: evolve mutates it)."""
    return ContactsState()


def _default_method(account_id: str, email: str, created_at: datetime) -> ContactMethod:
    return ContactMethod(
        id=DEFAULT_EMAIL_METHOD_ID,
        account_id=account_id,
        method="email",
        address=email,
        name="Account email",
        enabled=True,
        verified=True,
        created_at=created_at,
    )


def _default_rule(created_at: datetime) -> NotificationRule:
    step = NotificationStep(
        id=DEFAULT_STEP_ID, contact_method_id=DEFAULT_EMAIL_METHOD_ID, send_after_minutes=0
    )
    return NotificationRule(
        id=DEFAULT_RULE_ID, name=DEFAULT_RULE_NAME, steps=(step,), created_at=created_at
    )


def default_contacts(account_id: str, email: str, at: datetime = BEGINNING) -> UserContacts:
    """What a member who never configured anything has (a new value, never stored).

    Args:
        account_id: the member.
        email: their account email, the address of ``DEFAULT_EMAIL_METHOD_ID``.
        at: the creation time to give the method and the rule.
    """
    method = _default_method(account_id, email, at)
    rule = _default_rule(at)
    return UserContacts(methods={method.id: method}, rules={rule.id: rule})


def configured(state: ContactsState, account_id: str) -> bool:
    """Whether the member's contacts are stored (they changed something)."""
    return account_id in state.users


def contacts_of(state: ContactsState, account_id: str, email: str) -> UserContacts:
    """The member's stored contacts, or their default. Read it; never mutate it."""
    found = state.users.get(account_id)
    return default_contacts(account_id, email) if found is None else found


def _with_email(method: ContactMethod, email: str) -> ContactMethod:
    """The account-email method follows the account's current email."""
    if method.id != DEFAULT_EMAIL_METHOD_ID or not email or method.address == email:
        return method
    return msgspec.structs.replace(method, address=email)


def methods_of(state: ContactsState, account_id: str, email: str) -> tuple[ContactMethod, ...]:
    """The member's contact methods, oldest first.

    A member who never configured anything has exactly the default: their account
    email, verified, id ``DEFAULT_EMAIL_METHOD_ID``.
    """
    methods = contacts_of(state, account_id, email).methods.values()
    return tuple(_with_email(m, email) for m in methods)


def method_of(
    state: ContactsState, account_id: str, email: str, method_id: str
) -> ContactMethod | None:
    """The member's contact method ``method_id``, if they have it."""
    found = contacts_of(state, account_id, email).methods.get(method_id)
    return None if found is None else _with_email(found, email)


def rules_of(state: ContactsState, account_id: str) -> tuple[NotificationRule, ...]:
    """The member's notification rules in order (the default rule if never configured)."""
    return tuple(contacts_of(state, account_id, "").rules.values())


def rule_of(state: ContactsState, account_id: str, rule_id: str) -> NotificationRule | None:
    return contacts_of(state, account_id, "").rules.get(rule_id)


def quiet_hours_of(state: ContactsState, account_id: str) -> QuietHours:
    """The member's quiet hours (disabled defaults when never set)."""
    found = state.users.get(account_id)
    quiet = None if found is None else found.quiet_hours
    return QuietHours() if quiet is None else quiet


def verification_of(state: ContactsState, account_id: str, method_id: str) -> Verification | None:
    """The pending verification of a method, if a code is out."""
    found = state.users.get(account_id)
    return None if found is None else found.verifications.get(method_id)


def _applies(rule: NotificationRule, priority: str, at: datetime) -> bool:
    if not rule.enabled or rule.action_type != "create-alert":
        return False
    if rule.priorities and priority not in rule.priorities:
        return False
    restriction = rule.time_restriction
    return restriction is None or restriction_covers(restriction, rule.timezone, at)


def notification_plan(
    state: ContactsState, account_id: str, email: str, priority: str, at: datetime
) -> tuple[PlannedStep, ...]:
    """The steps that notify the member of a new alert of ``priority`` at ``at``.

    The member's first enabled "new alert" rule (in order) whose priorities
    include ``priority`` (or are empty) and whose time restriction, read in the
    rule's time zone, covers ``at`` applies (Opsgenie's top-down evaluation); its
    enabled steps are the plan, by delay (stable). No matching rule: no steps. A
    member who never configured anything gets one step: their account email at
    0 minutes, ``since`` the beginning of time.

    The steps are returned whatever their contact method's state: the paging
    core checks it (``method_of``) and records why it skips a disabled or
    unverified one. ``since`` is the later of the step's own and the member's
    ``rules_since``.

    Args:
        state: the organization's contacts.
        account_id: the member.
        email: their account email (the default method's address).
        priority: the alert's priority, ``P1`` .. ``P5``.
        at: the instant the plan is for (the cycle's start).

    Returns:
        The planned steps, earliest first.
    """
    user = contacts_of(state, account_id, email)
    rule = next((r for r in user.rules.values() if _applies(r, priority, at)), None)
    if rule is None:
        return ()
    steps = sorted((s for s in rule.steps if s.enabled), key=lambda s: s.send_after_minutes)
    return tuple(
        PlannedStep(
            rule_id=rule.id,
            contact_method_id=step.contact_method_id,
            delay_minutes=step.send_after_minutes,
            since=max(step.since, user.rules_since),
        )
        for step in steps
    )


def quiet_at(state: ContactsState, account_id: str, priority: str, at: datetime) -> bool:
    """Whether the member's quiet hours cover ``at`` and ``priority`` is not exempt."""
    found = state.users.get(account_id)
    quiet = None if found is None else found.quiet_hours
    if quiet is None or not quiet.enabled or priority in quiet.except_priorities:
        return False
    return quiet_covers(quiet, at)
