"""Paging commands: the timer's firing, a manual escalation, a delivery's outcome."""

from __future__ import annotations

from typing import Final, final

import msgspec

__all__ = [
    "PAGING_COMMAND_TYPES",
    "EscalateToNext",
    "FirePaging",
    "PagingCommand",
    "RecordDelivery",
]


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of every paging command."""


@final
class FirePaging(_Command, frozen=True, kw_only=True):
    """The timer: handle whatever of ``alert_id``'s paging is due now."""

    alert_id: str


@final
class EscalateToNext(_Command, frozen=True, kw_only=True):
    """Page the next rule of every escalation of the alert at once; un-acknowledges it."""

    alert_id: str
    user: str = ""
    source: str = ""
    note: str = ""


@final
class RecordDelivery(_Command, frozen=True, kw_only=True):
    """The notifier's report on one requested notification."""

    notification_id: str
    alert_id: str
    delivered: bool
    detail: str = ""
    possibly_duplicate: bool = False
    provider_ref: str = ""  # the provider's id of the message (Slack "channel:ts")


PagingCommand = FirePaging | EscalateToNext | RecordDelivery

PAGING_COMMAND_TYPES: Final = (FirePaging, EscalateToNext, RecordDelivery)
