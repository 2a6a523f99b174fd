"""Contact events; each names the member whose contacts changed, and when.

Events carry whole values (the method, the rule as it now is), so ``evolve``
only stores them. A rule event also carries the member's ``rules_since``: the
instant from which the member's plan counts as changed (see
``model.PlannedStep``), decided once by ``decide``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.contacts.model import ContactMethod, NotificationRule, QuietHours

__all__ = [
    "CONTACT_EVENT_TYPES",
    "ContactEvent",
    "ContactMethodAdded",
    "ContactMethodDeleted",
    "ContactMethodUpdated",
    "ContactMethodVerified",
    "ContactVerificationFailed",
    "ContactVerificationStarted",
    "NotificationRuleAdded",
    "NotificationRuleDeleted",
    "NotificationRuleUpdated",
    "QuietHoursSet",
    "UserContactsRemoved",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the contact events: whose contacts, and when."""

    account_id: str
    at: datetime


@final
class ContactMethodAdded(_Event, frozen=True, kw_only=True):
    method: ContactMethod


@final
class ContactMethodUpdated(_Event, frozen=True, kw_only=True):
    """The method is now this; a changed address voids a pending verification."""

    method: ContactMethod


@final
class ContactMethodDeleted(_Event, frozen=True, kw_only=True):
    """The method is gone, and so are the rule steps that used it."""

    method_id: str


@final
class ContactVerificationStarted(_Event, frozen=True, kw_only=True):
    """A code was issued (replacing any earlier one); valid until ``expires_at``."""

    method_id: str
    code_hash: str
    expires_at: datetime


@final
class ContactVerificationFailed(_Event, frozen=True, kw_only=True):
    """A wrong code; ``attempts`` so far. At the limit the code is void."""

    method_id: str
    attempts: int


@final
class ContactMethodVerified(_Event, frozen=True, kw_only=True):
    method_id: str


@final
class NotificationRuleAdded(_Event, frozen=True, kw_only=True):
    """The rule, at position ``order`` (1-based) among the member's rules."""

    rule: NotificationRule
    order: int
    rules_since: datetime


@final
class NotificationRuleUpdated(_Event, frozen=True, kw_only=True):
    """The rule is now this, at position ``order``."""

    rule: NotificationRule
    order: int
    rules_since: datetime


@final
class NotificationRuleDeleted(_Event, frozen=True, kw_only=True):
    """The rule is gone; the member's rules changed at ``at``."""

    rule_id: str


@final
class QuietHoursSet(_Event, frozen=True, kw_only=True):
    quiet_hours: QuietHours


@final
class UserContactsRemoved(_Event, frozen=True, kw_only=True):
    """The member left the organization: all their contacts here are gone."""


ContactEvent = (
    ContactMethodAdded
    | ContactMethodUpdated
    | ContactMethodDeleted
    | ContactVerificationStarted
    | ContactVerificationFailed
    | ContactMethodVerified
    | NotificationRuleAdded
    | NotificationRuleUpdated
    | NotificationRuleDeleted
    | QuietHoursSet
    | UserContactsRemoved
)

CONTACT_EVENT_TYPES: Final = (
    ContactMethodAdded,
    ContactMethodUpdated,
    ContactMethodDeleted,
    ContactVerificationStarted,
    ContactVerificationFailed,
    ContactMethodVerified,
    NotificationRuleAdded,
    NotificationRuleUpdated,
    NotificationRuleDeleted,
    QuietHoursSet,
    UserContactsRemoved,
)
