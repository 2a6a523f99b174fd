"""The notifier's delivery: a pending page, read against committed state, sent by a channel.

``engine.runtime.notifier`` decides *when* a page goes out and records the
outcome; this module says *what* goes out: it reads the organization's
committed state (is the page still pending? the alert, the person, the
contact method's address and secret), builds the ``Message`` every channel
renders (with signed acknowledge/close links when ``PULSAR_PUBLIC_URL`` is
set), and hands it to the channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from engine import (
    Clock,
    DeliveryReport,
    Message,
    OrgState,
    Pending,
    Result,
    Target,
    method_of,
)
from web.auth.links import ActionLinks

__all__ = ["ChannelDelivery", "build_message"]


class Sender(Protocol):
    async def send(self, target: Target, message: Message) -> Result: ...


class ChannelDelivery:
    """The notifier's ``Delivery``: messages built from committed state, sent by ``sender``."""

    def __init__(
        self, sender: Sender, clock: Clock, links: ActionLinks | None, public_url: str
    ) -> None:
        self._sender = sender
        self._clock = clock
        self._links = links
        self._public_url = public_url

    def build(
        self, state: OrgState, pending: Pending, possibly_duplicate: bool
    ) -> tuple[Target, Message] | None:
        return build_message(
            state,
            pending,
            self._clock.now(),
            possibly_duplicate=possibly_duplicate,
            links=self._links,
            public_url=self._public_url,
        )

    async def send(self, outgoing: tuple[Target, Message]) -> DeliveryReport:
        result = await self._sender.send(*outgoing)
        detail = result.detail
        if result.provider_ref:
            detail = f"{detail} ({result.provider_ref})"
        return DeliveryReport(
            delivered=result.delivered, detail=detail, provider_ref=result.provider_ref or ""
        )


def build_message(
    state: OrgState,
    pending: Pending,
    now: datetime,
    *,
    possibly_duplicate: bool = False,
    links: ActionLinks | None = None,
    public_url: str = "",
) -> tuple[Target, Message] | None:
    """The target and message of a page still pending in ``state`` (None: withdrawn)."""
    if pending.notification_id not in state.paging.outbox:
        return None
    alert = state.alerts.alerts.get(pending.alert_id)
    member = state.access.members.get(pending.account_id)
    if alert is None or member is None:
        return None
    method = method_of(state.contacts, member.account_id, member.email, pending.contact_method_id)
    address = method.address if method is not None else pending.address
    held = state.paging.alerts.get(alert.id)
    thread = held.threads.get(address) if held is not None and pending.method == "slack" else None
    target = Target(
        method=pending.method,
        address=address,
        secret=method.secret if method else None,
        thread=thread,
    )
    urls = (
        links.urls(public_url, state.access.org_id, alert.id, member.account_id, now)
        if links is not None
        else None
    )
    status = (
        "closed" if alert.status == "closed" else ("acknowledged" if alert.acknowledged else "open")
    )
    message = Message(
        notification_id=pending.notification_id,
        org_id=state.access.org_id,
        org_name=state.access.name,
        alert_id=alert.id,
        tiny_id=alert.tiny_id,
        message=alert.message,
        description=alert.description,
        priority=alert.priority,
        status=status,
        tags=alert.tags,
        details=alert.details,
        source=alert.source,
        entity=alert.entity,
        created_at=alert.created_at,
        recipient_id=member.account_id,
        recipient_name=member.name or member.email,
        recipient_email=member.email,
        reason=pending.reason,
        late=pending.late,
        possibly_duplicate=possibly_duplicate,
        alert_url=urls.alert_url if urls else None,
        ack_url=urls.ack_url if urls else None,
        close_url=urls.close_url if urls else None,
        integration_id=alert.integration.id if alert.integration else "",
        integration_name=alert.integration.name if alert.integration else "",
    )
    return target, message
