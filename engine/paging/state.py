"""Paging state: each open alert's escalations and notification cycles, and the outbox.

An alert is paged by *runs* (one per responder: a policy followed at a fixed
version, or a direct page of a user, schedule or team) whose rules fire at
due-times counted from the run's start. A rule that fires starts a *cycle*
for each person it reaches: their own notification rules ("email after 0
minutes, Slack after 5") then fire relative to the cycle's start. Every page
is a pending *outbox* entry until the notifier reports its outcome.

Due-times are derived, never the source of truth: ``due`` (alert id -> its
earliest due-time) is an index maintained by ``evolve``; a heap over it, kept
beside the state (``engine.paging.decider``), lets the actor find the next due
alert without scanning every alert.
Mutable, like every area state (``engine.org.decider`` explains why).
"""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

__all__ = [
    "RECENT_PER_ACCOUNT",
    "AlertPaging",
    "Cycle",
    "NotificationRecord",
    "PagingState",
    "Pending",
    "Run",
    "initial_state",
]

RECENT_PER_ACCOUNT = 100  # notifications remembered per person (their notification log)


@final
class Run(msgspec.Struct, kw_only=True, gc=False):
    """One escalation of one alert; the cursor ``(next_pass, next_index)`` is its next firing.

    ``next_index == len(rules)`` on the last pass is the close-after-all step.
    """

    run_id: str
    started_at: datetime
    reason: str
    policy_id: str | None = None
    policy_version: int = 0
    recipient_type: str = ""
    recipient_id: str = ""
    held_by: str | None = None
    next_pass: int = 0
    next_index: int = 0
    done: bool = False


@final
class Cycle(msgspec.Struct, kw_only=True, gc=False):
    """One person's notification for one alert, started when a rule reached them.

    Steps due at or before ``processed_until`` have been handled.
    """

    account_id: str
    started_at: datetime
    reason: str
    until_closed: bool = False
    processed_until: datetime | None = None


@final
class AlertPaging(msgspec.Struct, kw_only=True, gc=False):
    runs: list[Run] = msgspec.field(default_factory=list)
    cycles: dict[str, Cycle] = msgspec.field(default_factory=dict)  # by account id
    # Slack address -> "channel:ts" of the alert's first message there: later pages
    # to that address are replies in its thread (S49).
    threads: dict[str, str] = msgspec.field(default_factory=dict)


@final
class Pending(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A requested notification not yet delivered, failed or cancelled."""

    notification_id: str
    alert_id: str
    account_id: str
    contact_method_id: str
    method: str
    address: str
    requested_at: datetime
    due_at: datetime
    reason: str
    late: bool = False
    until_closed: bool = False


@final
class NotificationRecord(msgspec.Struct, kw_only=True, gc=False):
    """A line of a person's notification log; ``status``: requested, delivered, failed,
    cancelled or skipped."""

    notification_id: str
    alert_id: str
    contact_method_id: str
    method: str
    status: str
    reason: str
    at: datetime
    late: bool = False
    possibly_duplicate: bool = False


@final
class PagingState(msgspec.Struct, kw_only=True, weakref=True):
    alerts: dict[str, AlertPaging] = msgspec.field(default_factory=dict)
    outbox: dict[str, Pending] = msgspec.field(default_factory=dict)
    # alert -> its pending notification ids (an ordered set), so that withdrawing an
    # alert's pages costs its own pages, not the whole outbox
    outbox_of: dict[str, dict[str, None]] = msgspec.field(default_factory=dict)
    due: dict[str, datetime] = msgspec.field(default_factory=dict)
    # account -> the alerts where they have a cycle (an ordered set: values are None)
    cycles_of: dict[str, dict[str, None]] = msgspec.field(default_factory=dict)
    recent: dict[str, list[NotificationRecord]] = msgspec.field(default_factory=dict)


def initial_state() -> PagingState:
    return PagingState()
