"""Every delivery channel against loopback peers: SMTP (aiosmtpd) and a recording HTTP server.

What each channel sends (headers, signatures, payload shapes), what it retries
(connection errors, timeouts, 429, 5xx, Slack ``ratelimited``) and what it
does not (other 4xx, Slack ``ok: false``, a destination the outbound policy
refuses), all with a tiny back-off. The peers listen on loopback, which the
channels reach only because ``FAST`` allows 127.0.0.0/8
(``PULSAR_OUTBOUND_ALLOWED_NETWORKS``); the policy's own tests set it empty.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import msgspec
import pytest
import trio

from engine import FixedClock
from engine.delivery import (
    DeliveryConfig,
    DeliveryError,
    Message,
    Result,
    Target,
    Transports,
    tls_mode,
)
from tests.helpers.loopback import Answer, open_http, open_smtp

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BASE = "https://pulsar.example.com"
LOOPBACK = ("127.0.0.0/8", "::1/128")
FAST = {"backoff": 0.001, "attempts": 3, "timeout": 2.0, "allowed_networks": LOOPBACK}
REFUSED = "; allow it with PULSAR_OUTBOUND_ALLOWED_NETWORKS"


def message(**changes: Any) -> Message:
    base = Message(
        notification_id="n-42",
        org_id="org-1",
        org_name="Acme",
        alert_id="alert-1",
        tiny_id=12,
        message="Database down",
        description="Primary is not answering.",
        priority="P1",
        status="open",
        tags=("db",),
        details={"host": "db1"},
        source="prometheus",
        entity="db1",
        created_at=NOW,
        recipient_id="acc-1",
        recipient_name="Alice",
        recipient_email="alice@example.com",
        reason="Escalation 'db-oncall', rule 1 (user 'Alice')",
        alert_url=f"{BASE}/alerts/alert-1",
        ack_url=f"{BASE}/api/v1/actions/ACKTOKEN",
        close_url=f"{BASE}/api/v1/actions/CLOSETOKEN",
    )
    return msgspec.structs.replace(base, **changes)


@asynccontextmanager
async def transports(**settings: Any) -> AsyncIterator[Transports]:
    async with Transports(DeliveryConfig(**{**FAST, **settings}), clock=FixedClock(NOW)) as t:
        yield t


def _mail(raw: bytes) -> EmailMessage:
    parsed: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[assignment]
    return parsed


# --- email ---------------------------------------------------------------------------


async def test_email_is_multipart_with_stable_message_id_and_links() -> None:
    """Plain text + HTML; Message-ID from the notification id; summary, reason and links."""
    async with (
        open_smtp() as smtp,
        transports(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none") as t,
    ):
        result = await t.send(Target(method="email", address="alice@example.com"), message())
    assert result.delivered, result.detail
    assert "queued" in result.detail
    [envelope] = smtp.envelopes
    assert envelope.rcpt_tos == ["alice@example.com"]
    assert smtp.tls_sessions == [False]  # STARTTLS off: plain SMTP on loopback
    mail = _mail(envelope.content)  # type: ignore[arg-type]
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Message-ID"] == "<n-42@pulsar>"
    assert mail["Subject"] == "[Pulsar] #12 P1 Database down"
    assert mail["From"] == "Pulsar <pulsar@localhost>"
    assert mail["X-Pulsar-Notification-Id"] == "n-42"
    assert mail["X-Pulsar-Alert-Id"] == "alert-1"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Database down" in text
    assert "Why you: Escalation 'db-oncall'" in text
    assert f"Acknowledge: {BASE}/api/v1/actions/ACKTOKEN" in text
    assert f'href="{BASE}/api/v1/actions/CLOSETOKEN"' in html


async def test_email_of_an_empty_late_repeat() -> None:
    """ "No summary provided"; "[late]" in the subject; the repeat note; same Message-ID."""
    async with open_smtp() as smtp, transports(smtp_host="127.0.0.1", smtp_port=smtp.port) as t:
        first = message(message="", late=True, possibly_duplicate=True)
        assert (await t.send(Target(method="email", address="a@example.com"), first)).delivered
    mail = _mail(smtp.envelopes[0].content)  # type: ignore[arg-type]
    assert mail["Subject"] == "[Pulsar] #12 P1 No summary provided [late]"
    assert mail["Message-ID"] == "<n-42@pulsar>"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "may repeat a notification" in text


async def test_send_mail_for_other_mail() -> None:
    """The mailer also sends plain mails (verification codes) with a given Message-ID."""
    async with open_smtp() as smtp, transports(smtp_host="127.0.0.1", smtp_port=smtp.port) as t:
        assert t.mailer is not None
        await t.mailer.send_mail("b@example.com", "Your code\n123", "Code: 123", message_id="<c@x>")
        await t.mailer.send_mail("b@example.com", "Hello", "text", html="<p>text</p>")
    first, second = (_mail(e.content) for e in smtp.envelopes)  # type: ignore[arg-type]
    assert (first["Subject"], first["Message-ID"]) == ("Your code 123", "<c@x>")
    assert first.get_content_type() == "text/plain"
    assert second.get_content_type() == "multipart/alternative"
    assert second["Message-ID"].endswith("@pulsar>")


async def test_unreachable_smtp_fails_after_retries() -> None:
    """Connection refused is retried, then reported; send_mail raises DeliveryError."""
    port = await _closed_port()
    async with transports(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none") as t:
        result = await t.send(Target(method="email", address="a@example.com"), message())
        assert not result.delivered
        assert "unreachable" in result.detail
        assert "(after 3 attempts)" in result.detail
        assert t.mailer is not None
        with pytest.raises(DeliveryError, match="unreachable"):
            await t.mailer.send_mail("a@example.com", "s", "t")


async def test_refused_recipient_is_not_retried() -> None:
    """A 5xx reply is permanent: one attempt, the server's reason in the result."""
    async with open_smtp() as smtp, transports(smtp_host="127.0.0.1", smtp_port=smtp.port) as t:
        smtp.rcpt_reply = "550 5.1.1 no such user"
        result = await t.send(Target(method="email", address="nobody@example.com"), message())
    assert not result.delivered
    assert "550" in result.detail
    assert "no such user" in result.detail
    assert smtp.rcpt_calls == 1


async def test_busy_recipient_is_retried() -> None:
    """A 4xx reply is transient: tried ``attempts`` times."""
    async with open_smtp() as smtp, transports(smtp_host="127.0.0.1", smtp_port=smtp.port) as t:
        smtp.rcpt_reply = "451 4.3.0 try again later"
        result = await t.send(Target(method="email", address="a@example.com"), message())
    assert not result.delivered
    assert smtp.rcpt_calls == 3


async def test_email_without_smtp_is_not_configured() -> None:
    async with transports() as t:
        assert t.mailer is None
        result = await t.send(Target(method="email", address="a@example.com"), message())
    assert result == Result(delivered=False, detail="email is not configured (PULSAR_SMTP_HOST)")


async def test_a_header_injection_is_refused() -> None:
    """An address with a line break never reaches the server."""
    async with open_smtp() as smtp, transports(smtp_host="127.0.0.1", smtp_port=smtp.port) as t:
        result = await t.send(Target(method="email", address="a@x\r\nBcc: b@y"), message())
    assert not result.delivered
    assert "invalid email header" in result.detail
    assert smtp.envelopes == []


def test_tls_mode_follows_the_port_unless_set() -> None:
    assert [tls_mode(587), tls_mode(465), tls_mode(25), tls_mode(25, "TLS")] == [
        "starttls",
        "tls",
        "none",
        "tls",
    ]
    with pytest.raises(ValueError, match="PULSAR_SMTP_TLS"):
        tls_mode(25, "ssl")
    with pytest.raises(ValueError, match="PULSAR_SMTP_TLS"):
        Transports(DeliveryConfig(smtp_tls="ssl"))


# --- webhook -------------------------------------------------------------------------


async def test_webhook_is_signed_with_the_secret() -> None:
    """The receiver can verify v1=HMAC(secret, "<timestamp>.<body>") and read the payload."""
    async with open_http() as peer, transports() as t:
        target = Target(method="webhook", address=peer.url("/hook"), secret="s3cret")
        result = await t.send(target, message())
    assert result == Result(delivered=True, detail="HTTP 200")
    [request] = peer.requests
    assert (request.method, request.path) == ("POST", "/hook")
    timestamp = request.headers["x-pulsar-timestamp"]
    assert timestamp == str(int(NOW.timestamp()))
    expected = hmac.new(b"s3cret", f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert request.headers["x-pulsar-signature"] == "v1=" + expected.hexdigest()
    assert request.headers["x-pulsar-notification-id"] == "n-42"
    body = request.json()
    assert body["type"] == body["Type"] == "Alert"
    assert body["notificationId"] == "n-42"
    assert (body["Summary"], body["Details"]) == ("Database down", {"host": "db1"})
    assert {"ServiceID", "ServiceName", "alert", "org", "recipient", "sentAt"} <= set(body)


async def test_webhook_without_secret_is_unsigned() -> None:
    async with open_http() as peer, transports() as t:
        await t.send(Target(method="webhook", address=peer.url()), message())
    assert "x-pulsar-signature" not in peer.requests[0].headers


async def test_webhook_retries_5xx_then_succeeds() -> None:
    """500 then 200: delivered on the second attempt with the same notification id."""
    async with open_http() as peer, transports() as t:
        peer.answer(Answer(status=500, body="boom"))
        result = await t.send(Target(method="webhook", address=peer.url()), message())
    assert result.delivered
    assert [r.headers["x-pulsar-notification-id"] for r in peer.requests] == ["n-42", "n-42"]


async def test_webhook_honours_retry_after_on_429() -> None:
    async with open_http() as peer, transports() as t:
        peer.answer(Answer(status=429, body="", headers={"Retry-After": "0"}))
        result = await t.send(Target(method="webhook", address=peer.url()), message())
    assert result.delivered
    assert len(peer.requests) == 2


async def test_webhook_4xx_is_not_retried() -> None:
    """A 400 is the receiver's refusal: reported once, with its answer."""
    async with open_http() as peer, transports() as t:
        peer.answer(Answer(status=400, body="bad payload"))
        result = await t.send(Target(method="webhook", address=peer.url()), message())
    assert result == Result(delivered=False, detail="HTTP 400: bad payload")
    assert len(peer.requests) == 1


async def test_webhook_gives_up_after_the_attempts() -> None:
    async with open_http() as peer, transports() as t:
        peer.default = Answer(status=503, body="down")
        result = await t.send(Target(method="webhook", address=peer.url()), message())
    assert result == Result(delivered=False, detail="HTTP 503: down (after 3 attempts)")
    assert len(peer.requests) == 3


async def test_webhook_timeout_and_refused_connection() -> None:
    """A peer slower than the timeout, and a closed port: retried, then reported."""
    async with open_http() as peer, transports(timeout=0.2, attempts=2) as t:
        peer.default = Answer(delay=1.0)
        slow = await t.send(Target(method="webhook", address=peer.url()), message())
        refused = await t.send(
            Target(method="webhook", address=f"http://127.0.0.1:{await _closed_port()}/"),
            message(),
        )
    assert not slow.delivered
    assert slow.detail.startswith("timed out")
    assert len(peer.requests) == 2
    assert not refused.delivered
    assert refused.detail.startswith("unreachable")


async def test_webhook_address_must_be_http() -> None:
    async with transports() as t:
        result = await t.send(Target(method="webhook", address="ftp://x/"), message())
        bad = await t.send(Target(method="webhook", address="http://[::1/"), message())
    assert result.detail == "webhook address must be an http(s) URL"
    assert not bad.delivered
    assert bad.detail.startswith("invalid URL")


# --- the outbound policy (SSRF) ------------------------------------------------------


async def test_a_webhook_to_loopback_is_refused_by_default_and_not_retried() -> None:
    """Without allowed networks nothing reaches the loopback peer: one failed result
    saying why (no retries: it would be refused again)."""
    async with open_http() as peer, transports(allowed_networks=()) as t:
        result = await t.send(Target(method="webhook", address=peer.url("/hook")), message())
    expected = f"refused: 127.0.0.1 is a loopback address{REFUSED}"
    assert Result(delivered=False, detail=expected) == result
    assert peer.requests == []


async def test_a_webhook_to_loopback_is_delivered_when_loopback_is_allowed() -> None:
    async with open_http() as peer, transports(allowed_networks=("127.0.0.0/8",)) as t:
        result = await t.send(Target(method="webhook", address=peer.url("/hook")), message())
    assert Result(delivered=True, detail="HTTP 200") == result
    assert [r.path for r in peer.requests] == ["/hook"]


async def test_a_name_resolving_to_loopback_is_refused_at_connect_time() -> None:
    """``localhost`` is resolved when connecting and its address judged; allowed, the
    request still names the host (``Host: localhost:<port>``)."""
    async with open_http() as peer:
        url = f"http://localhost:{peer.port}/hook"
        async with transports(allowed_networks=()) as t:
            refused = await t.send(Target(method="webhook", address=url), message())
        async with transports() as t:
            delivered = await t.send(Target(method="webhook", address=url), message())
    assert refused.delivered is False
    assert refused.detail.startswith("refused: localhost resolves to ")
    assert refused.detail.endswith(f", a loopback address{REFUSED}")
    assert delivered.delivered, delivered.detail
    [request] = peer.requests
    assert f"localhost:{peer.port}" == request.headers["host"]


async def test_slack_and_teams_urls_are_refused_but_not_the_operators_slack_api() -> None:
    """Member-typed Slack and Teams URLs (and a ``response_url``) obey the policy; the
    Web API at PULSAR_SLACK_API_URL is the operator's and is reached."""
    async with (
        open_http() as peer,
        transports(
            allowed_networks=(), slack_bot_token="xoxb-1", slack_api_url=peer.url("/api")
        ) as t,
    ):
        peer.default = Answer(body={"ok": True, "channel": "C1", "ts": "1.2"})
        slack = await t.send(Target(method="slack", address=peer.url("/services/x")), message())
        teams = await t.send(Target(method="teams", address=peer.url("/workflow")), message())
        responded = await t.slack.respond(peer.url("/respond"), {"text": "x"})
        api = await t.send(Target(method="slack", address="C1"), message())
    refused = Result(delivered=False, detail=f"refused: 127.0.0.1 is a loopback address{REFUSED}")
    assert [refused, refused, refused] == [slack, teams, responded]
    assert Result(delivered=True, detail="ok", provider_ref="C1:1.2") == api
    assert [r.path for r in peer.requests] == ["/api/chat.postMessage"]


async def test_a_bad_allowed_network_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="PULSAR_OUTBOUND_ALLOWED_NETWORKS"):
        Transports(DeliveryConfig(allowed_networks=("intranet",)))


# --- Slack ---------------------------------------------------------------------------


async def test_slack_chat_post_message() -> None:
    """Bearer token, channel, blocks with signed buttons, metadata; ``channel:ts`` back."""
    async with (
        open_http() as api,
        transports(slack_bot_token="xoxb-1", slack_api_url=api.url("/api")) as t,
    ):
        api.answer(Answer(body={"ok": True, "channel": "C1", "ts": "1700.01"}))
        result = await t.send(Target(method="slack", address="C1"), message())
    assert result == Result(delivered=True, detail="ok", provider_ref="C1:1700.01")
    [request] = api.requests
    assert request.path == "/api/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-1"
    body = request.json()
    assert body["channel"] == "C1"
    assert body["metadata"]["event_payload"] == {"notification_id": "n-42", "alert_id": "alert-1"}
    blocks = body["attachments"][0]["blocks"]
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [(b["action_id"], b.get("value")) for b in buttons] == [
        ("pulsar_ack", "ACKTOKEN"),
        ("pulsar_close", "CLOSETOKEN"),
        ("pulsar_open", None),
    ]


async def test_slack_later_page_is_a_thread_reply_broadcast_and_marks_the_first_escalated() -> None:
    """S49: an escalation posts a reply broadcast to the first message's thread, and
    the first message (chat.update) shows "Escalated" with its buttons kept."""
    async with (
        open_http() as api,
        transports(slack_bot_token="xoxb-1", slack_api_url=api.url("/api")) as t,
    ):
        api.answer(Answer(body={"ok": True, "channel": "C1", "ts": "1700.02"}))
        api.answer(Answer(body={"ok": True, "channel": "C1", "ts": "1700.01"}))
        target = Target(method="slack", address="C1", thread="C1:1700.01")
        result = await t.send(target, message(notification_id="n-43"))
    assert result == Result(delivered=True, detail="ok", provider_ref="C1:1700.02")
    reply, update = api.requests
    assert reply.path == "/api/chat.postMessage"
    assert reply.json()["thread_ts"] == "1700.01"
    assert reply.json()["reply_broadcast"] is True
    assert reply.json()["metadata"]["event_payload"]["notification_id"] == "n-43"
    assert update.path == "/api/chat.update"
    assert update.headers["authorization"] == "Bearer xoxb-1"
    body = update.json()
    assert (body["channel"], body["ts"]) == ("C1", "1700.01")
    assert body["text"].endswith(": Escalated")
    blocks = body["attachments"][0]["blocks"]
    assert any("*Escalated*" in str(b) for b in blocks)
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [b["action_id"] for b in buttons] == ["pulsar_ack", "pulsar_close", "pulsar_open"]


async def test_slack_thread_reply_still_counts_when_the_update_fails() -> None:
    async with (
        open_http() as api,
        transports(slack_bot_token="xoxb-1", slack_api_url=api.url("/api")) as t,
    ):
        api.answer(Answer(body={"ok": True, "channel": "C1", "ts": "1700.02"}))
        api.answer(Answer(body={"ok": False, "error": "message_not_found"}))
        target = Target(method="slack", address="C1", thread="C1:1700.01")
        result = await t.send(target, message())
    assert result.delivered
    assert result.detail == "ok; the first message was not marked: Slack: message_not_found"


async def test_slack_ok_false_is_a_failure_not_retried() -> None:
    async with (
        open_http() as api,
        transports(slack_bot_token="xoxb-1", slack_api_url=api.url("/api")) as t,
    ):
        api.answer(Answer(body={"ok": False, "error": "channel_not_found"}))
        result = await t.send(Target(method="slack", address="C404"), message())
    assert result == Result(delivered=False, detail="Slack: channel_not_found")
    assert len(api.requests) == 1


async def test_slack_ratelimited_is_retried() -> None:
    async with (
        open_http() as api,
        transports(slack_bot_token="xoxb-1", slack_api_url=api.url("/api")) as t,
    ):
        api.answer(Answer(body={"ok": False, "error": "ratelimited"}))
        api.default = Answer(body={"ok": True, "channel": "C1", "ts": "2"})
        result = await t.send(Target(method="slack", address="C1"), message())
        api.default = Answer(body={"ok": False, "error": "ratelimited"})
        failed = await t.send(Target(method="slack", address="C1"), message())
        api.default = Answer(status=200, body="not json")
        garbled = await t.send(Target(method="slack", address="C1"), message())
        api.default = Answer(status=404, body="")
        missing = await t.send(Target(method="slack", address="C1"), message())
    assert result.provider_ref == "C1:2"
    assert failed.detail == "Slack: ratelimited (after 3 attempts)"
    assert garbled.detail.startswith("Slack: invalid_response")
    assert missing.detail == "HTTP 404"


async def test_slack_incoming_webhook() -> None:
    """A webhook URL address: the same blocks, no metadata, delivered on "ok"."""
    async with open_http() as hook, transports() as t:
        result = await t.send(
            Target(method="slack", address=hook.url("/services/T/B/x")), message()
        )
        hook.answer(Answer(status=404, body="no_service"))
        gone = await t.send(Target(method="slack", address=hook.url("/services/T/B/x")), message())
    assert result == Result(delivered=True, detail="ok")
    assert "metadata" not in hook.requests[0].json()
    assert "attachments" in hook.requests[0].json()
    assert gone == Result(delivered=False, detail="HTTP 404: no_service")


async def test_slack_id_without_bot_token_is_not_configured() -> None:
    async with transports() as t:
        result = await t.send(Target(method="slack", address="C1"), message())
    assert result == Result(
        delivered=False, detail="Slack bot is not configured (PULSAR_SLACK_BOT_TOKEN)"
    )


# --- Teams ---------------------------------------------------------------------------


async def test_teams_adaptive_card() -> None:
    """An Adaptive Card message envelope with OpenUrl buttons; 202 is delivered."""
    async with open_http() as flow, transports() as t:
        flow.answer(Answer(status=202, body=""))
        result = await t.send(Target(method="teams", address=flow.url("/workflow")), message())
        refused = await t.send(Target(method="teams", address="not a url"), message())
    assert result == Result(delivered=True, detail="HTTP 202")
    body = flow.requests[0].json()
    assert body["type"] == "message"
    card = body["attachments"][0]["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert {a["type"] for a in card["actions"]} == {"Action.OpenUrl"}
    assert card["actions"][0]["url"] == f"{BASE}/api/v1/actions/ACKTOKEN"
    assert not refused.delivered


async def test_teams_failure() -> None:
    async with open_http() as flow, transports() as t:
        flow.answer(Answer(status=400, body="Invalid card"))
        result = await t.send(Target(method="teams", address=flow.url()), message())
    assert result == Result(delivered=False, detail="HTTP 400: Invalid card")


# --- dispatch --------------------------------------------------------------------------


async def test_unknown_method_and_a_crashing_channel() -> None:
    """Neither raises: an unknown method and an unexpected error are failed results."""
    async with transports() as t:
        unknown = await t.send(Target(method="pager", address="x"), message())

        async def boom(target: Target, message: Message) -> Result:
            raise RuntimeError("bug")

        t.slack.send = boom  # type: ignore[method-assign]
        crashed = await t.send(Target(method="slack", address="C1"), message())
    assert unknown == Result(delivered=False, detail="unknown contact method 'pager'")
    assert crashed == Result(delivered=False, detail="internal error in the channel (logged)")
    with pytest.raises(RuntimeError, match="outside"):
        await t.send(Target(method="webhook", address="http://x/"), message())


async def test_retry_after_as_http_date_is_capped() -> None:
    """An HTTP-date Retry-After in the past means now; a far one is capped at max_backoff."""
    async with open_http() as peer, transports(max_backoff=0.05) as t:
        peer.answer(
            Answer(status=429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            Answer(status=429, headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"}),
            Answer(status=503, headers={"Retry-After": "soon"}),
        )
        with trio.fail_after(5):
            result = await t.send(Target(method="webhook", address=peer.url()), message())
    assert result.delivered is False  # three transient answers: the attempts are used up
    assert len(peer.requests) == 3


async def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    sock = trio.socket.socket()
    await sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port
