"""The Slack channel: an incoming webhook, or ``chat.postMessage`` with the bot token.

The contact method's address is either an incoming-webhook URL (the message
goes to the webhook's channel) or a channel/user id (``C…``, ``U…``): then the
Web API's ``chat.postMessage`` at ``PULSAR_SLACK_API_URL`` is called with
``PULSAR_SLACK_BOT_TOKEN``. The Web API answers HTTP 200 with ``{"ok": false,
"error": ...}`` on failure: that is a failure reported by Slack, retried only
for ``ratelimited``. A later page of an alert already posted to the same
channel is a reply broadcast in the first message's thread, and the first
message is updated (``chat.update``) to say "Escalated" (S49); incoming
webhooks cannot thread, so there every page is a new message. The
interaction callback (``web/api/slack.py``) updates a message through
``respond``. Incoming webhooks and ``response_url``s come from outside, so
they go through the ``hooks`` client (the outbound policy's); the Web API at
the operator's ``PULSAR_SLACK_API_URL`` through ``client``.
"""

from __future__ import annotations

from typing import Any, final

import httpx
import msgspec

from engine.delivery.message import Message, Result, Target
from engine.delivery.render import slack_escalated, slack_message
from engine.delivery.retry import Attempted, RetryPolicy, describe, post
from engine.delivery.webhook import is_http_url

__all__ = ["SlackTransport"]

NOT_CONFIGURED = "Slack bot is not configured (PULSAR_SLACK_BOT_TOKEN)"
_JSON = "application/json; charset=utf-8"


@final
class SlackTransport:
    """Posts ``render.slack_message`` to a webhook URL or a channel through the Web API."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        policy: RetryPolicy,
        *,
        bot_token: str,
        api_url: str,
        hooks: httpx.AsyncClient | None = None,
    ) -> None:
        self._client = client
        self._hooks = hooks or client
        self._policy = policy
        self._token = bot_token
        self._api_url = api_url.rstrip("/")

    @property
    def configured(self) -> bool:
        """Whether channel/user ids can be posted to (a bot token is set)."""
        return bool(self._token)

    async def send(self, target: Target, message: Message) -> Result:
        body = slack_message(message)
        if is_http_url(target.address):
            body.pop("metadata")  # incoming webhooks take no message metadata
            return await self._webhook(target.address, body)
        if not self._token:
            return Result(delivered=False, detail=NOT_CONFIGURED)
        if target.thread is None:
            return await self._post_message(target.address, body)
        # A later page of the same alert (S49): a reply broadcast to the first
        # message's thread, and the first message now says "Escalated".
        channel, _, ts = target.thread.partition(":")
        result = await self._post_message(
            target.address, {**body, "thread_ts": ts, "reply_broadcast": True}
        )
        if result.delivered:
            update = {"channel": channel, "ts": ts, **slack_escalated(message)}
            marked = _api_result(await self._call("chat.update", update))
            if not marked.delivered:
                detail = f"{result.detail}; the first message was not marked: {marked.detail}"
                result = msgspec.structs.replace(result, detail=detail)
        return result

    async def respond(self, response_url: str, body: dict[str, Any]) -> Result:
        """POST ``body`` to an interaction's ``response_url`` (replace the message)."""
        return await self._webhook(response_url, body)

    async def _webhook(self, url: str, body: dict[str, Any]) -> Result:
        attempted = await post(
            self._hooks,
            url,
            content=msgspec.json.encode(body),
            headers={"Content-Type": _JSON},
            policy=self._policy,
        )
        response = attempted.response
        if response is not None and response.is_success:
            return Result(delivered=True, detail=response.text.strip()[:100] or "ok")
        return Result(delivered=False, detail=describe(attempted))

    async def _post_message(self, channel: str, body: dict[str, Any]) -> Result:
        return _api_result(await self._call("chat.postMessage", {"channel": channel, **body}))

    async def _call(self, api_method: str, body: dict[str, Any]) -> Attempted:
        return await post(
            self._client,
            f"{self._api_url}/{api_method}",
            content=msgspec.json.encode(body),
            headers={"Content-Type": _JSON, "Authorization": f"Bearer {self._token}"},
            policy=self._policy,
            retry_also=lambda response: _api_error(response) == "ratelimited",
        )


def _api_answer(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _api_error(response: httpx.Response) -> str | None:
    """Slack's ``error`` of a 200 ``{"ok": false}`` answer, else ``None``."""
    if response.status_code != 200:
        return None
    answer = _api_answer(response)
    return None if answer.get("ok") is True else str(answer.get("error") or "invalid_response")


def _api_result(attempted: Attempted) -> Result:
    response = attempted.response
    if response is None or response.status_code != 200:
        return Result(delivered=False, detail=describe(attempted))
    error = _api_error(response)
    if error is not None:
        suffix = f" (after {attempted.attempts} attempts)" if attempted.attempts > 1 else ""
        return Result(delivered=False, detail=f"Slack: {error}{suffix}")
    answer = _api_answer(response)
    ref = f"{answer.get('channel', '')}:{answer.get('ts', '')}"
    return Result(delivered=True, detail="ok", provider_ref=ref)
