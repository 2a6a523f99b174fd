"""The generic webhook channel: a signed JSON POST with a stable notification id.

Headers: ``X-Pulsar-Notification-Id`` (the idempotency key: a resend after a
restart repeats it), ``X-Pulsar-Timestamp`` (unix seconds) and, when the
contact method has a secret, ``X-Pulsar-Signature: v1=<hex>`` where ``<hex>``
is HMAC-SHA256(secret, ``"<timestamp>.<raw body>"``). A receiver recomputes
the HMAC over the raw bytes it received, compares in constant time, and
rejects timestamps far from its own clock (README, "Notifications").
"""

from __future__ import annotations

import hashlib
import hmac
from typing import final

import httpx
import msgspec

from engine.clock import Clock
from engine.delivery.message import Message, Result, Target
from engine.delivery.render import webhook_payload
from engine.delivery.retry import RetryPolicy, describe, post

__all__ = ["WebhookTransport", "is_http_url", "webhook_signature"]


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def is_http_url(address: str) -> bool:
    return address.startswith(("https://", "http://"))


@final
class WebhookTransport:
    """POSTs ``render.webhook_payload`` to the contact method's URL."""

    def __init__(self, client: httpx.AsyncClient, policy: RetryPolicy, clock: Clock) -> None:
        self._client = client
        self._policy = policy
        self._clock = clock

    async def send(self, target: Target, message: Message) -> Result:
        """Deliver; 2xx is delivered, anything else (after retries) is not."""
        if not is_http_url(target.address):
            return Result(delivered=False, detail="webhook address must be an http(s) URL")
        now = self._clock.now()
        timestamp = str(int(now.timestamp()))
        body = msgspec.json.encode(webhook_payload(message, now))
        headers = {
            "Content-Type": "application/json",
            "X-Pulsar-Notification-Id": message.notification_id,
            "X-Pulsar-Timestamp": timestamp,
        }
        if target.secret:
            headers["X-Pulsar-Signature"] = webhook_signature(target.secret, timestamp, body)
        attempted = await post(
            self._client, target.address, content=body, headers=headers, policy=self._policy
        )
        response = attempted.response
        if response is not None and response.is_success:
            return Result(delivered=True, detail=f"HTTP {response.status_code}")
        return Result(delivered=False, detail=describe(attempted))
