"""The Event and Command unions of an organization, and the type registry."""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

from engine.access import ACCESS_EVENT_TYPES, AccessCommand, AccessEvent
from engine.alerts import ALERT_EVENT_TYPES, AlertCommand, AlertEvent
from engine.org.state import Outcome

__all__ = ["EVENT_TYPES", "Command", "Event", "RequestRecorded"]


@final
class RequestRecorded(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """A write with an Idempotency-Key was accepted; retries get ``outcome``."""

    key: str
    fingerprint: str
    outcome: Outcome
    at: datetime


Event = AccessEvent | AlertEvent | RequestRecorded
Command = AccessCommand | AlertCommand

EVENT_TYPES: tuple[type, ...] = (*ACCESS_EVENT_TYPES, *ALERT_EVENT_TYPES, RequestRecorded)
