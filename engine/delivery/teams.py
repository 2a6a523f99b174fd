"""The Microsoft Teams channel: an Adaptive Card posted to a Teams workflow URL.

The contact method's address is the URL of a Teams workflow ("Post to a
channel when a webhook request is received"); it answers 2xx (usually 202)
when it accepted the card. The card's buttons open the signed action pages:
a workflow cannot call Pulsar back without credentials.
"""

from __future__ import annotations

from typing import final

import httpx
import msgspec

from engine.delivery.message import Message, Result, Target
from engine.delivery.render import teams_card
from engine.delivery.retry import RetryPolicy, describe, post
from engine.delivery.webhook import is_http_url

__all__ = ["TeamsTransport"]


@final
class TeamsTransport:
    """POSTs ``render.teams_card`` to the workflow URL."""

    def __init__(self, client: httpx.AsyncClient, policy: RetryPolicy) -> None:
        self._client = client
        self._policy = policy

    async def send(self, target: Target, message: Message) -> Result:
        if not is_http_url(target.address):
            return Result(delivered=False, detail="Teams address must be a workflow http(s) URL")
        attempted = await post(
            self._client,
            target.address,
            content=msgspec.json.encode(teams_card(message)),
            headers={
                "Content-Type": "application/json",
                "X-Pulsar-Notification-Id": message.notification_id,
            },
            policy=self._policy,
        )
        response = attempted.response
        if response is not None and response.is_success:
            return Result(delivered=True, detail=f"HTTP {response.status_code}")
        return Result(delivered=False, detail=describe(attempted))
