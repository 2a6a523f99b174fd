"""What a channel delivers, where to, and what came of it.

``Message`` is everything a channel renders: the outbox (``engine.paging``)
builds one per ``NotificationRequested`` and hands it to ``Transports.send``
with the contact method's ``Target``. ``Result`` is the channel's answer; a
transport never raises for a delivery failure, it returns ``delivered=False``
with the reason, which becomes ``NotificationFailed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, final

import msgspec

__all__ = ["CHANNELS", "DeliveryError", "Message", "Result", "Target", "Transport"]

CHANNELS = ("email", "slack", "teams", "webhook")


@final
class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One notification about one alert to one person, as every channel renders it.

    ``notification_id`` is the idempotency key receivers see (email Message-ID,
    webhook header, Slack metadata): a resend after a restart carries the same
    one and sets ``possibly_duplicate``. The links are ``None`` when Pulsar has
    no public URL (``PULSAR_PUBLIC_URL``); channels then say so instead.
    """

    notification_id: str
    org_id: str
    org_name: str
    alert_id: str
    tiny_id: int
    message: str
    description: str
    priority: str
    status: str  # "open" | "acknowledged" | "closed"
    tags: tuple[str, ...]
    details: dict[str, str]
    source: str
    entity: str
    created_at: datetime
    recipient_id: str
    recipient_name: str
    recipient_email: str
    reason: str  # why this person is paged, e.g. "Escalation 'db-oncall', rule 2"
    late: bool = False
    possibly_duplicate: bool = False
    alert_url: str | None = None
    ack_url: str | None = None
    close_url: str | None = None
    # The integration the alert arrived through (webhook ``ServiceID``/``ServiceName``).
    integration_id: str = ""
    integration_name: str = ""


@final
class Target(msgspec.Struct, frozen=True, kw_only=True):
    """A contact method's channel and address (and a webhook's HMAC secret)."""

    method: str  # one of CHANNELS
    address: str  # email address, Slack webhook URL or channel/user id, workflow URL, URL
    secret: str | None = None
    # Slack: "channel:ts" of the alert's earlier message there; this page is a reply
    # broadcast in its thread and that message is marked escalated (S49).
    thread: str | None = None


@final
class Result(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one delivery, after the transport's own retries.

    ``detail`` is human-readable (the provider's answer or why it failed);
    ``provider_ref`` identifies the delivered message at the provider (Slack
    ``"channel:ts"``, the SMTP server's reply), when there is one.
    """

    delivered: bool
    detail: str
    provider_ref: str | None = None


class Transport(Protocol):
    """One channel: delivers a message to a target, never raising for a failure."""

    async def send(self, target: Target, message: Message) -> Result:
        """Deliver ``message`` to ``target``; ``Result(delivered=False)`` says why not.

        A checkpoint (network I/O, retries with back-off). Cancellation leaves
        the outcome unknown: the outbox treats that as an unclear send.
        """
        ...


class DeliveryError(Exception):
    """A message that is not a notification (``EmailTransport.send_mail``) was not sent."""
