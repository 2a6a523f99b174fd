"""The contact model (Opsgenie's): how one organization member wants to be reached.

Pure values shared by the contacts area (commands, events, state, decider) and
read by the paging core through the queries of ``state.py``:

* a **contact method** is an address on one channel (``email``, ``slack``,
  ``teams``, ``webhook``); an email address is used only once verified;
* a **notification rule** ("new alert" rule) is a list of steps "send to
  contact method X after N minutes", for the priorities it names (none: any)
  and, with a time restriction, only at those local times of day or week;
  the first enabled rule that matches an alert is the one that applies
  (Opsgenie's top-down rule evaluation);
* **quiet hours** mute every priority except the exempt ones during a daily
  local window.

A member who never configured anything has, implicitly, their account email as
the contact method ``DEFAULT_EMAIL_METHOD_ID`` and one rule paging it at once
(``DEFAULT_RULE_ID``); see ``state.notification_plan``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, final

import msgspec

from engine.schedules import Restriction

__all__ = [
    "ACTION_TYPES",
    "ALL_DAYS",
    "BEGINNING",
    "CONTACT_METHODS",
    "DEFAULT_EMAIL_METHOD_ID",
    "DEFAULT_RULE_ID",
    "DEFAULT_RULE_NAME",
    "DEFAULT_STEP_ID",
    "ContactMethod",
    "NotificationRule",
    "NotificationStep",
    "PlannedStep",
    "QuietHours",
    "Verification",
]

CONTACT_METHODS: Final = ("email", "slack", "teams", "webhook")
ACTION_TYPES: Final = ("create-alert",)
DEFAULT_EMAIL_METHOD_ID: Final = "account-email"
DEFAULT_RULE_ID: Final = "default-new-alert"
DEFAULT_STEP_ID: Final = "default-step"
DEFAULT_RULE_NAME: Final = "New alert"
ALL_DAYS: Final = (1, 2, 3, 4, 5, 6, 7)
# "Since the beginning of time": the ``since`` of what a member has without
# having configured anything, so that materializing it never changes a plan.
BEGINNING: Final = datetime.min.replace(tzinfo=UTC)


@final
class ContactMethod(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An address on one channel; ``secret`` signs a webhook's bodies (HMAC)."""

    id: str
    account_id: str
    method: str
    address: str
    name: str
    enabled: bool
    verified: bool
    secret: str | None = None
    created_at: datetime


@final
class NotificationStep(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Send to ``contact_method_id`` ``send_after_minutes`` after the cycle starts.

    ``since``: when the step last started to exist or changed (see ``PlannedStep``).
    """

    id: str
    contact_method_id: str
    send_after_minutes: int
    enabled: bool = True
    since: datetime = BEGINNING


@final
class NotificationRule(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A "new alert" rule: for ``priorities`` (empty: any), within ``time_restriction``
    read in ``timezone`` (``None``: always), its enabled steps apply."""

    id: str
    name: str
    action_type: str = "create-alert"
    enabled: bool = True
    priorities: tuple[str, ...] = ()
    time_restriction: Restriction | None = None
    timezone: str = "UTC"
    steps: tuple[NotificationStep, ...] = ()
    created_at: datetime


@final
class QuietHours(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A daily local window [start, end) on ``days`` (ISO weekdays) muting notifications.

    A window whose end is before its start crosses midnight and belongs to the
    day it starts on (Friday 22:00-07:00 mutes Saturday 03:00); equal start and
    end is the whole day. Priorities in ``except_priorities`` are never muted.
    """

    enabled: bool = False
    timezone: str = "UTC"
    start_minute: int = 22 * 60
    end_minute: int = 7 * 60
    days: tuple[int, ...] = ALL_DAYS
    except_priorities: tuple[str, ...] = ("P1",)


@final
class Verification(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A pending email verification: the code's hash, until when, and wrong attempts."""

    code_hash: str
    expires_at: datetime
    sent_at: datetime
    attempts: int = 0


@final
class PlannedStep(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One step of the plan that applies to an alert (``state.notification_plan``).

    ``since``: when this step last started to exist (added, changed, or its rules
    changed so that it may newly apply). A step whose due time (cycle start +
    delay) is before ``since`` is not retroactive: the paging core skips it.
    """

    rule_id: str
    contact_method_id: str
    delay_minutes: int
    since: datetime
