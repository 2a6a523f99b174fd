"""Paging events: escalations of alerts, who was paged, and every notification's fate.

Each event names its alert (``alert_id``), so an alert's log (``read_subject``)
answers "why was X paged?" and "why was nobody?" (reliability.md I10).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

__all__ = [
    "PAGING_EVENT_TYPES",
    "EscalationResumed",
    "EscalationRuleFired",
    "EscalationStarted",
    "NotificationCancelled",
    "NotificationDelivered",
    "NotificationFailed",
    "NotificationRequested",
    "NotificationSkipped",
    "PagingEvent",
    "RoutingDecided",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of every paging event: which alert, and when."""

    alert_id: str
    at: datetime


@final
class RoutingDecided(_Event, frozen=True, kw_only=True):
    """How one responder of the alert is paged, and why.

    For a team: which routing rule matched (``rule_id`` None: none did, the
    team's default applied). ``target_type`` is escalation (a policy),
    schedule, user, members (every member of a team) or none (nobody, with
    ``detail`` saying why: a rule that notifies nobody, an unknown policy).
    """

    responder_type: str
    responder_id: str
    target_type: str
    target_id: str | None = None
    rule_id: str | None = None
    rule_name: str = ""
    detail: str = ""


@final
class EscalationStarted(_Event, frozen=True, kw_only=True):
    """An escalation of the alert began, timed from ``started_at``.

    A policy run names the policy version it follows for its whole life
    (reliability.md decision 7); a direct page (a user or schedule responder,
    or a team without a policy) names its one ``recipient_type``/``recipient_id``.
    ``held_by`` is the maintenance window that keeps it silent until it ends.
    """

    run_id: str
    started_at: datetime
    reason: str
    policy_id: str | None = None
    policy_version: int = 0
    recipient_type: str = ""
    recipient_id: str = ""
    held_by: str | None = None


@final
class EscalationResumed(_Event, frozen=True, kw_only=True):
    """A held escalation starts over from its first rule at ``at`` (maintenance ended)."""

    run_id: str


@final
class EscalationRuleFired(_Event, frozen=True, kw_only=True):
    """Rule ``rule_index`` of pass ``pass_no`` came due at ``due_at`` and was handled.

    ``outcome`` is ``paged`` (``recipients`` each start a notification cycle),
    ``nobody`` (no one to page, ``detail`` says why) or ``skipped`` (the
    rule's condition no longer held, e.g. acknowledged). ``late`` when handled
    more than a minute after ``due_at`` (after an outage). A firing's key is
    (alert, run, pass, rule): it happens once.
    """

    run_id: str
    pass_no: int
    rule_index: int
    due_at: datetime
    outcome: str
    recipients: tuple[str, ...] = ()
    detail: str = ""
    late: bool = False
    manual: bool = False
    until_closed: bool = False  # an if-not-closed rule: its pages survive an acknowledge


@final
class NotificationRequested(_Event, frozen=True, kw_only=True):
    """A page to ``account_id`` on one contact method must be delivered (the outbox).

    ``notification_id`` is stable: a delivery repeated after a restart carries
    the same id, so receivers can drop the duplicate (reliability.md decision 8).
    """

    notification_id: str
    account_id: str
    contact_method_id: str
    method: str
    address: str
    due_at: datetime
    reason: str
    late: bool = False
    until_closed: bool = False


@final
class NotificationSkipped(_Event, frozen=True, kw_only=True):
    """A page to ``account_id`` that was not sent, and why (unverified, quiet hours...)."""

    account_id: str
    contact_method_id: str
    reason: str
    due_at: datetime


@final
class NotificationDelivered(_Event, frozen=True, kw_only=True):
    """The channel accepted the notification (``detail``: the provider's answer)."""

    notification_id: str
    detail: str = ""
    possibly_duplicate: bool = False
    provider_ref: str = ""  # the provider's id of the message (Slack "channel:ts")


@final
class NotificationFailed(_Event, frozen=True, kw_only=True):
    """The channel refused or could not be reached after its retries; not retried."""

    notification_id: str
    reason: str
    possibly_duplicate: bool = False


@final
class NotificationCancelled(_Event, frozen=True, kw_only=True):
    """A requested notification was withdrawn before delivery (acknowledged, closed)."""

    notification_id: str
    reason: str


PagingEvent = (
    RoutingDecided
    | EscalationStarted
    | EscalationResumed
    | EscalationRuleFired
    | NotificationRequested
    | NotificationSkipped
    | NotificationDelivered
    | NotificationFailed
    | NotificationCancelled
)

PAGING_EVENT_TYPES: Final = (
    RoutingDecided,
    EscalationStarted,
    EscalationResumed,
    EscalationRuleFired,
    NotificationRequested,
    NotificationSkipped,
    NotificationDelivered,
    NotificationFailed,
    NotificationCancelled,
)
