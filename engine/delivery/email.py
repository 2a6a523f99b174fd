"""The email channel: SMTP through aiosmtplib, bridged into trio by trio-asyncio.

aiosmtplib is an asyncio library; every call goes through
``trio_asyncio.aio_as_trio(fn, loop=loop)`` with the loop passed explicitly
(request tasks do not inherit trio-asyncio's loop contextvar: stack-notes
section 2, gotcha 1). ``Transports`` opens that loop for its lifetime.

A notification is ``multipart/alternative`` (plain text + HTML) with
``Message-ID: <notification_id@pulsar>``: a resend after a restart has the
same id, so mail clients and receivers can drop the duplicate. Transient
failures (connection refused or lost, timeouts, SMTP 4xx replies) are retried
with back-off; permanent ones (5xx: unknown recipient, authentication) are not.
"""

from __future__ import annotations

import random
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, final

import aiosmtplib
import trio
import trio_asyncio

from engine.clock import Clock
from engine.delivery.message import DeliveryError, Message, Result, Target
from engine.delivery.render import email_html, email_subject, email_text
from engine.delivery.retry import RetryPolicy

__all__ = ["TLS_MODES", "EmailTransport", "tls_mode"]

TLS_MODES = ("starttls", "tls", "none")
_rng = random.Random()


def tls_mode(port: int, configured: str = "") -> str:
    """The SMTP TLS mode: ``configured``, or by port (587 starttls, 465 tls, else none).

    Raises:
        ValueError: ``configured`` is not one of ``TLS_MODES`` (nor empty).
    """
    mode = configured.strip().lower()
    if mode:
        if mode not in TLS_MODES:
            raise ValueError(f"PULSAR_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {mode!r}")
        return mode
    return {587: "starttls", 465: "tls"}.get(port, "none")


@final
class EmailTransport:
    """Sends notifications and other mail through one SMTP server."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str = "",
        password: str = "",
        tls: str = "",
        timeout: float = 10.0,
        policy: RetryPolicy,
        clock: Clock,
        loop: Any,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.tls = tls_mode(port, tls)
        self._username, self._password = username, password
        self._timeout = timeout
        self._policy = policy
        self._clock = clock
        self._loop = loop

    async def send(self, target: Target, message: Message) -> Result:
        """Deliver ``message`` to the address ``target`` names."""
        try:
            reply = await self._send(
                target.address,
                email_subject(message),
                email_text(message),
                email_html(message),
                f"<{message.notification_id}@pulsar>",
                {
                    "X-Pulsar-Notification-Id": message.notification_id,
                    "X-Pulsar-Alert-Id": message.alert_id,
                },
            )
        except DeliveryError as error:
            return Result(delivered=False, detail=str(error))
        return Result(delivered=True, detail=reply, provider_ref=reply)

    async def send_mail(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        message_id: str | None = None,
    ) -> None:
        """Send a mail that is not a notification (verification codes, invitations).

        Raises:
            DeliveryError: the server refused it, or could not be reached after retries.
        """
        await self._send(to, " ".join(subject.split()), text, html, message_id, {})

    def _build(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None,
        message_id: str | None,
        headers: dict[str, str],
    ) -> EmailMessage:
        mail = EmailMessage()
        try:
            mail["From"] = self.sender
            mail["To"] = to
            mail["Subject"] = subject
            mail["Date"] = format_datetime(self._clock.now())
            mail["Message-ID"] = message_id or make_msgid(domain="pulsar")
            for name, value in headers.items():
                mail[name] = value
        except (ValueError, IndexError) as error:
            raise DeliveryError(f"invalid email header: {error}") from None
        mail.set_content(text)
        if html is not None:
            mail.add_alternative(html, subtype="html")
        return mail

    async def _send(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None,
        message_id: str | None,
        headers: dict[str, str],
    ) -> str:
        """Send with retries; the server's final reply on success, else ``DeliveryError``."""
        mail = self._build(to, subject, text, html, message_id, headers)
        options: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "timeout": self._timeout,
            "use_tls": self.tls == "tls",
            "start_tls": self.tls == "starttls",
        }
        if self._username:
            options |= {"username": self._username, "password": self._password}
        failures = 0
        while True:
            try:
                _, reply = await trio_asyncio.aio_as_trio(aiosmtplib.send, loop=self._loop)(
                    mail, **options
                )
                return str(reply)
            except aiosmtplib.SMTPException as error:
                detail, transient = _classify(error)
            except OSError as error:
                detail, transient = f"SMTP server unreachable: {error}", True
            failures += 1
            if not transient or failures >= self._policy.attempts:
                suffix = f" (after {failures} attempts)" if failures > 1 else ""
                raise DeliveryError(detail[:300] + suffix)
            await trio.sleep(self._policy.backoff(failures, _rng))


def _classify(error: aiosmtplib.SMTPException) -> tuple[str, bool]:
    """A one-line reason, and whether trying again later may succeed."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in error.recipients]
        reasons = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        return f"SMTP recipient refused: {reasons}", all(400 <= c < 500 for c in codes)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        transient = 400 <= error.code < 500
        return f"SMTP {error.code}: {' '.join(error.message.split())}", transient
    if isinstance(error, aiosmtplib.SMTPTimeoutError | aiosmtplib.SMTPConnectError):
        return f"SMTP server unreachable: {error}", True
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return f"SMTP server disconnected: {error}", True
    return f"SMTP error: {error}", False
