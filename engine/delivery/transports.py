"""Every channel behind one object, opened once for the process's lifetime.

``Transports(config)`` is an async context manager: it owns two
``httpx.AsyncClient``s (timeouts on every attempt; no redirects) and, when
SMTP is configured, a trio-asyncio loop for aiosmtplib. URLs a member typed
(webhooks, Slack incoming webhooks and interaction ``response_url``s, Teams
workflows) go through the guarded one, which connects only to addresses the
outbound policy allows (``guard``, ``destinations``: ``allowed_networks``);
the operator's own endpoint (``slack_api_url``) through the other.
``send(target, message)`` dispatches on ``target.method`` and never raises for
a delivery failure: an unconfigured channel, a refused message or destination,
an unreachable peer and even an unexpected error in a channel come back as
``Result(delivered=False)`` (the last one logged), because the outbox must keep
going.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from types import TracebackType
from typing import final

import httpx
import msgspec
import structlog
import trio_asyncio

from engine.clock import Clock, TrioClock
from engine.delivery.destinations import OutboundPolicy
from engine.delivery.email import EmailTransport, tls_mode
from engine.delivery.guard import GuardedTransport
from engine.delivery.message import Message, Result, Target
from engine.delivery.retry import RetryPolicy
from engine.delivery.slack import SlackTransport
from engine.delivery.teams import TeamsTransport
from engine.delivery.webhook import WebhookTransport

__all__ = ["DeliveryConfig", "Transports"]

log = structlog.get_logger("pulsar.delivery")
EMAIL_NOT_CONFIGURED = "email is not configured (PULSAR_SMTP_HOST)"


@final
class DeliveryConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The channels' settings (``web.config.Config`` fills them from the environment).

    ``smtp_host`` empty turns email off; ``smtp_tls`` empty picks by port
    (``email.tls_mode``). ``allowed_networks`` (CIDRs) are reachable by
    member-configured URLs although not globally routable
    (``PULSAR_OUTBOUND_ALLOWED_NETWORKS``). ``timeout`` bounds each attempt;
    ``attempts`` counts the first; ``backoff`` is the first retry's wait,
    doubling up to ``max_backoff`` (which also caps a provider's ``Retry-After``).
    """

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_from: str = "Pulsar <pulsar@localhost>"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: str = ""
    slack_bot_token: str = ""
    slack_api_url: str = "https://slack.com/api"
    allowed_networks: tuple[str, ...] = ()
    timeout: float = 10.0
    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=max(self.attempts, 1), base_delay=self.backoff, max_delay=self.max_backoff
        )


@final
class Transports:
    """The channels: ``async with Transports(config) as transports: await transports.send(...)``.

    ``mailer`` is the ``EmailTransport`` (``None`` without SMTP) for mail that
    is not a notification; ``slack`` also answers Slack interactions. A
    ``client`` given is used for every channel as is (tests: no policy applies).

    Raises:
        ValueError: a bad setting (SMTP TLS mode, an allowed network that is not
            a CIDR), at construction, so that it fails at start-up.
    """

    mailer: EmailTransport | None
    slack: SlackTransport

    def __init__(
        self,
        config: DeliveryConfig,
        *,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        tls_mode(config.smtp_port, config.smtp_tls)  # a bad setting fails at start-up
        self.outbound = OutboundPolicy.from_setting(config.allowed_networks)
        self.config = config
        self._clock = clock
        self._client = client
        self._stack = AsyncExitStack()
        self._channels: dict[str, WebhookTransport | SlackTransport | TeamsTransport] = {}
        self.mailer = None

    async def __aenter__(self) -> Transports:
        config, policy = self.config, self.config.policy()
        clock = self._clock or TrioClock(follow_wall_clock=True)
        async with AsyncExitStack() as stack:
            if self._client is not None:
                client = guarded = self._client
            else:
                client = await stack.enter_async_context(_client(config))
                guarded = await stack.enter_async_context(
                    _client(config, GuardedTransport(self.outbound))
                )
            if config.smtp_host:
                loop = await stack.enter_async_context(trio_asyncio.open_loop())
                self.mailer = EmailTransport(
                    host=config.smtp_host,
                    port=config.smtp_port,
                    sender=config.smtp_from,
                    username=config.smtp_user,
                    password=config.smtp_password,
                    tls=config.smtp_tls,
                    timeout=config.timeout,
                    policy=policy,
                    clock=clock,
                    loop=loop,
                )
            self.slack = SlackTransport(
                client,
                policy,
                bot_token=config.slack_bot_token,
                api_url=config.slack_api_url,
                hooks=guarded,
            )
            self._channels = {
                "webhook": WebhookTransport(guarded, policy, clock),
                "slack": self.slack,
                "teams": TeamsTransport(guarded, policy),
            }
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        self.mailer = None
        self._channels = {}
        return await self._stack.__aexit__(exc_type, exc, tb)

    async def send(self, target: Target, message: Message) -> Result:
        """Deliver ``message`` on ``target.method``'s channel; never raises for a failure.

        A checkpoint. Cancellation propagates (the outcome is then unknown).

        Raises:
            RuntimeError: used outside ``async with`` (a programming error).
        """
        if not self._channels:
            raise RuntimeError("Transports used outside its 'async with' block")
        try:
            result = await self._dispatch(target, message)
        except Exception:
            log.exception(
                "delivery_crashed", method=target.method, notification_id=message.notification_id
            )
            result = Result(delivered=False, detail="internal error in the channel (logged)")
        log.info(
            "delivery",
            method=target.method,
            notification_id=message.notification_id,
            org_id=message.org_id,
            delivered=result.delivered,
            detail=result.detail,
        )
        return result

    async def _dispatch(self, target: Target, message: Message) -> Result:
        if target.method == "email":
            if self.mailer is None:
                return Result(delivered=False, detail=EMAIL_NOT_CONFIGURED)
            return await self.mailer.send(target, message)
        channel = self._channels.get(target.method)
        if channel is None:
            return Result(delivered=False, detail=f"unknown contact method {target.method!r}")
        return await channel.send(target, message)


def _client(
    config: DeliveryConfig, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(config.timeout),
        follow_redirects=False,
        headers={"User-Agent": "Pulsar"},
        transport=transport,
    )
