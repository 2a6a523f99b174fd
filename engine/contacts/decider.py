"""decide/evolve for the contacts area.

``decide`` works on the member's stored contacts or, for a member who never
configured anything, on their default (``state.default_contacts`` at ``now``);
in the second case a command that changes something is preceded by the events
that materialize the default, so the log alone rebuilds what the member had.

The commands' logic is in ``methods`` (contact methods, verification) and
``rules`` (notification rules, with the ``since`` bookkeeping that keeps steps
added mid-escalation from firing retroactively, scenarios S07/S08).
Materializing the default changes no plan: its step and ``rules_since`` keep
``BEGINNING``.

``evolve`` mutates the state in place and returns it, like every area.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from engine.contacts import commands as c
from engine.contacts import events as e
from engine.contacts.checks import MAX_ATTEMPTS, check_quiet_hours
from engine.contacts.methods import (
    add_method,
    delete_method,
    resend_code,
    update_method,
    verify_method,
)
from engine.contacts.model import NotificationRule, QuietHours, Verification
from engine.contacts.rules import add_rule, delete_rule, update_rule
from engine.contacts.state import ContactsState, UserContacts, default_contacts, initial_state

__all__ = ["decide", "evolve", "initial_state", "remove_user"]


def decide(
    state: ContactsState, command: c.ContactCommand, now: datetime, *, email: str
) -> list[e.ContactEvent]:
    """The events ``command`` causes at ``now``; ``[]`` when it changes nothing.

    Args:
        state: the organization's contacts.
        command: the command, for a member of the organization.
        now: the command's time.
        email: the member's account email (the default contact method's address).

    Raises:
        NotFound: ``contact_method_not_found``, ``notification_rule_not_found``.
        Conflict: ``contact_method_exists``, ``notification_rule_exists``.
        Rejected: ``invalid_field`` and the state rules (``too_many_contact_methods``,
            ``default_contact_method``, ``verification_*``...).
    """
    stored = state.users.get(command.account_id)
    user = default_contacts(command.account_id, email, now) if stored is None else stored
    events = _decide(user, command, now, email)
    if events and stored is None:
        return _materialize(command.account_id, user, now) + events
    return events


def remove_user(state: ContactsState, account_id: str, now: datetime) -> list[e.ContactEvent]:
    """The events removing a member's contacts (they left the organization)."""
    if account_id not in state.users:
        return []
    return [e.UserContactsRemoved(account_id=account_id, at=now)]


def _materialize(account_id: str, user: UserContacts, now: datetime) -> list[e.ContactEvent]:
    """The events that store ``user`` (a default) as it is."""
    events: list[e.ContactEvent] = [
        e.ContactMethodAdded(account_id=account_id, method=m, at=now) for m in user.methods.values()
    ]
    events += [
        e.NotificationRuleAdded(
            account_id=account_id, rule=r, order=i, rules_since=user.rules_since, at=now
        )
        for i, r in enumerate(user.rules.values(), start=1)
    ]
    return events


def _decide(
    user: UserContacts, command: c.ContactCommand, now: datetime, email: str
) -> list[e.ContactEvent]:
    match command:
        case c.AddContactMethod():
            return add_method(user, command, now, email)
        case c.UpdateContactMethod():
            return update_method(user, command, now, email)
        case c.DeleteContactMethod():
            return delete_method(user, command, now)
        case c.VerifyContactMethod():
            return verify_method(user, command, now)
        case c.ResendVerification():
            return resend_code(user, command, now)
        case c.AddNotificationRule():
            return [add_rule(user, command, now)]
        case c.UpdateNotificationRule():
            return update_rule(user, command, now)
        case c.DeleteNotificationRule():
            return delete_rule(user, command, now)
    assert isinstance(command, c.SetQuietHours)
    quiet = check_quiet_hours(command.quiet_hours)
    if quiet == (user.quiet_hours or QuietHours()):
        return []
    return [e.QuietHoursSet(account_id=command.account_id, quiet_hours=quiet, at=now)]


# -- evolve --------------------------------------------------------------------------------


def evolve(state: ContactsState, event: e.ContactEvent) -> ContactsState:
    """Apply one committed event in place; total, never raises."""
    if isinstance(event, e.UserContactsRemoved):
        state.users.pop(event.account_id, None)
        return state
    user = state.users.get(event.account_id)
    if user is None:
        if not isinstance(event, e.ContactMethodAdded | e.NotificationRuleAdded | e.QuietHoursSet):
            return state
        user = state.users[event.account_id] = UserContacts()
    match event:
        case e.ContactMethodAdded():
            user.methods[event.method.id] = event.method
        case e.ContactMethodUpdated():
            old = user.methods.get(event.method.id)
            if old is not None and old.address != event.method.address:
                user.verifications.pop(old.id, None)
            user.methods[event.method.id] = event.method
        case e.ContactMethodDeleted():
            _delete_method(user, event.method_id)
        case e.ContactVerificationStarted():
            user.verifications[event.method_id] = Verification(
                code_hash=event.code_hash, expires_at=event.expires_at, sent_at=event.at
            )
        case e.ContactVerificationFailed():
            _failed(user, event)
        case e.ContactMethodVerified():
            _verified(user, event.method_id)
        case e.NotificationRuleAdded() | e.NotificationRuleUpdated():
            _place(user, event.rule, event.order)
            user.rules_since = event.rules_since
        case e.NotificationRuleDeleted():
            user.rules.pop(event.rule_id, None)
            user.rules_since = event.at
        case e.QuietHoursSet():
            user.quiet_hours = event.quiet_hours
    return state


def _delete_method(user: UserContacts, method_id: str) -> None:
    """Remove the method, its pending code, and every rule step that uses it."""
    user.methods.pop(method_id, None)
    user.verifications.pop(method_id, None)
    for rule_id, rule in list(user.rules.items()):
        steps = tuple(s for s in rule.steps if s.contact_method_id != method_id)
        if steps != rule.steps:
            user.rules[rule_id] = msgspec.structs.replace(rule, steps=steps)


def _failed(user: UserContacts, event: e.ContactVerificationFailed) -> None:
    pending = user.verifications.get(event.method_id)
    if pending is None:
        return
    if event.attempts >= MAX_ATTEMPTS:
        del user.verifications[event.method_id]  # too many wrong codes: this one is void
    else:
        user.verifications[event.method_id] = msgspec.structs.replace(
            pending, attempts=event.attempts
        )


def _verified(user: UserContacts, method_id: str) -> None:
    method = user.methods.get(method_id)
    user.verifications.pop(method_id, None)
    if method is not None:
        user.methods[method_id] = msgspec.structs.replace(method, verified=True)


def _place(user: UserContacts, rule: NotificationRule, order: int) -> None:
    """Store ``rule`` at 1-based position ``order`` (clamped) among the rules."""
    others = [(k, v) for k, v in user.rules.items() if k != rule.id]
    others.insert(max(0, min(order - 1, len(others))), (rule.id, rule))
    user.rules = dict(others)
