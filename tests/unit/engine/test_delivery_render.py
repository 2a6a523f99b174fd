"""How a notification reads on each channel (engine.delivery.render, pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from engine.delivery import Message
from engine.delivery.render import (
    DUPLICATE,
    LATE,
    NO_LINKS,
    NO_SUMMARY,
    PREFETCH,
    SLACK_ACK,
    SLACK_CLOSE,
    action_token,
    email_html,
    email_subject,
    email_text,
    slack_message,
    slack_update,
    summary,
    teams_card,
    webhook_payload,
)

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SENT = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
BASE = "https://pulsar.example.com"


def message(**changes: Any) -> Message:
    base = Message(
        notification_id="n-1",
        org_id="org-1",
        org_name="Acme",
        alert_id="a-1",
        tiny_id=12,
        message="Database down",
        description="Primary is not answering.",
        priority="P1",
        status="open",
        tags=("db", "prod"),
        details={"host": "db1", "region": "eu"},
        source="prometheus",
        entity="db1",
        created_at=CREATED,
        recipient_id="acc-1",
        recipient_name="Alice",
        recipient_email="alice@example.com",
        reason="Escalation 'db-oncall', rule 2 (schedule 'primary')",
        alert_url=f"{BASE}/alerts/a-1",
        ack_url=f"{BASE}/api/v1/actions/ACKTOKEN",
        close_url=f"{BASE}/api/v1/actions/CLOSETOKEN",
        integration_id="int-1",
        integration_name="Prometheus",
    )
    return msgspec.structs.replace(base, **changes)


NO_URLS: dict[str, Any] = {"alert_url": None, "ack_url": None, "close_url": None}


def _blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = body["attachments"][0]["blocks"]
    return blocks


def _actions(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = [b for b in _blocks(body) if b["type"] == "actions"]
    return found[0]["elements"] if found else []


def test_summary_is_the_message_on_one_line() -> None:
    """Whitespace collapses; an empty message reads "No summary provided"."""
    assert summary(message(message="Disk \n full")) != "Disk  full"
    assert summary(message(message="Disk \n full")) == "Disk full"
    assert summary(message(message="  ")) == NO_SUMMARY


def test_email_subject_names_tiny_id_priority_and_summary() -> None:
    """``[Pulsar] #12 P1 Database down``; a late page says so; a long one is cut."""
    assert email_subject(message()) == "[Pulsar] #12 P1 Database down"
    assert email_subject(message(late=True)) == "[Pulsar] #12 P1 Database down [late]"
    long = email_subject(message(message="x" * 500))
    assert len(long) == 200
    assert long.endswith("…")
    assert email_subject(message(message="")) == "[Pulsar] #12 P1 No summary provided"


def test_email_text_has_every_part() -> None:
    """Summary, facts, description, details, reason, then the links and the GET notice."""
    text = email_text(message())
    for part in (
        "#12 P1 Database down",
        "Priority: P1",
        "Tags: db, prod",
        "Description:\nPrimary is not answering.",
        "  host: db1",
        "Why you: Escalation 'db-oncall', rule 2 (schedule 'primary')",
        f"Acknowledge: {BASE}/api/v1/actions/ACKTOKEN",
        f"Close: {BASE}/api/v1/actions/CLOSETOKEN",
        f"Open in Pulsar: {BASE}/alerts/a-1",
        PREFETCH,
        "notification n-1",
    ):
        assert part in text
    assert LATE not in text
    assert DUPLICATE not in text
    assert NO_LINKS not in text


def test_email_text_without_links_late_and_duplicate() -> None:
    """No public URL: the body says why there are no links; late and repeat notes show."""
    text = email_text(
        message(late=True, possibly_duplicate=True, description="", details={}, **NO_URLS)
    )
    assert NO_LINKS in text
    assert LATE in text
    assert DUPLICATE in text
    assert "Acknowledge:" not in text
    assert "Description:" not in text
    assert "Details:" not in text


def test_email_html_escapes_and_links() -> None:
    """Alert text is escaped; the links are anchors; without links the notice shows."""
    page = email_html(message(message="<script>x</script>", details={"a": "<b>"}))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "&lt;b&gt;" in page
    assert f'href="{BASE}/api/v1/actions/ACKTOKEN"' in page
    assert PREFETCH in page
    bare = email_html(message(description=" ", late=True, possibly_duplicate=True, **NO_URLS))
    assert "href=" not in bare
    assert NO_LINKS in bare
    assert LATE in bare
    assert "repeat a notification" in bare
    assert "#9b9b9b" in email_html(message(priority="PX"))


def test_webhook_payload_shape() -> None:
    """Pulsar's own keys plus the Type/Summary/Details/ServiceID/ServiceName of S49."""
    body = webhook_payload(message(possibly_duplicate=True), SENT)
    assert {
        "type": "Alert",
        "notificationId": "n-1",
        "org": {"id": "org-1", "name": "Acme"},
        "alert": {
            "id": "a-1",
            "tinyId": "12",
            "message": "Database down",
            "description": "Primary is not answering.",
            "priority": "P1",
            "status": "open",
            "tags": ["db", "prod"],
            "details": {"host": "db1", "region": "eu"},
            "source": "prometheus",
            "entity": "db1",
            "createdAt": "2026-03-01T12:00:00+00:00",
            "url": f"{BASE}/alerts/a-1",
        },
        "recipient": {"id": "acc-1", "name": "Alice", "email": "alice@example.com"},
        "reason": "Escalation 'db-oncall', rule 2 (schedule 'primary')",
        "late": False,
        "possiblyDuplicate": True,
        "sentAt": "2026-03-01T12:05:00+00:00",
        "Type": "Alert",
        "Summary": "Database down",
        "Details": {"host": "db1", "region": "eu"},
        "ServiceID": "int-1",
        "ServiceName": "Prometheus",
    } == body


def test_action_token_is_the_last_path_segment_of_an_action_link() -> None:
    assert action_token(f"{BASE}/api/v1/actions/TOK") == "TOK"
    assert None is action_token(None)
    assert None is action_token(f"{BASE}/alerts/a-1")
    assert None is action_token(f"{BASE}/api/v1/actions/")


def test_slack_message_has_buttons_metadata_and_colour() -> None:
    """Acknowledge and Close carry the signed tokens; metadata names the notification."""
    body = slack_message(message())
    assert body["text"] == "[Pulsar] #12 P1 Database down"
    assert body["attachments"][0]["color"] == "#d0021b"
    assert body["metadata"] == {
        "event_type": "pulsar_notification",
        "event_payload": {"notification_id": "n-1", "alert_id": "a-1"},
    }
    header = _blocks(body)[0]
    assert (header) == {
        "type": "header",
        "text": {"type": "plain_text", "text": "#12 P1 Database down"},
    }
    buttons = _actions(body)
    assert [(b["action_id"], b["value"]) for b in buttons[:2]] == [
        (SLACK_ACK, "ACKTOKEN"),
        (SLACK_CLOSE, "CLOSETOKEN"),
    ]
    assert f"{BASE}/alerts/a-1" == buttons[2]["url"]
    context = [b for b in _blocks(body) if b["type"] == "context"]
    assert "Escalation 'db-oncall'" in context[0]["elements"][0]["text"]


def test_slack_message_escapes_and_clips() -> None:
    """mrkdwn specials are escaped; a long title is cut to Slack's header limit."""
    body = slack_message(
        message(message="y" * 300, tags=("<!channel>",), details={"k&": "<v>"}, late=True)
    )
    text = str(body)
    assert "&lt;!channel&gt;" in text
    assert "*k&amp;*: &lt;v&gt;" in text
    assert len(_blocks(body)[0]["text"]["text"]) == 150
    context = next(b for b in _blocks(body) if b["type"] == "context")
    assert LATE in context["elements"][0]["text"]


def test_slack_message_of_an_acknowledged_alert_has_only_close() -> None:
    body = slack_message(message(status="acknowledged"))
    assert [b["action_id"] for b in _actions(body)] == [SLACK_CLOSE, "pulsar_open"]


def test_slack_message_without_links_says_why() -> None:
    """No public URL: no buttons, and a context line explains it."""
    body = slack_message(message(description="", details={}, tags=(), source="", **NO_URLS))
    assert _actions(body) == []
    assert NO_LINKS in str(_blocks(body)[-1])
    assert slack_message(message(priority="")).get("attachments", [{}])[0]["color"] == "#9b9b9b"


def test_slack_message_without_facts_has_no_fields_block() -> None:
    bare = message(
        priority="",
        status="",
        source="",
        entity="",
        tags=(),
        org_name="",
        description="",
        details={},
    )
    assert "section" not in [b["type"] for b in _blocks(slack_message(bare))]


def test_slack_update_after_acknowledge() -> None:
    """ "Acknowledged by Bob", another colour, and only the Close button left."""
    body = slack_update(message(), "ack", "Bob")
    assert body["replace_original"] is True
    assert body["attachments"][0]["color"] == "#7b61ff"
    assert "Acknowledged by Bob" in body["text"]
    assert [b["action_id"] for b in _actions(body)] == [SLACK_CLOSE, "pulsar_open"]
    assert "*Acknowledged by Bob*" in str(_blocks(body))
    assert "db1" in str(_blocks(body))


def test_slack_update_after_close_hides_buttons_and_details() -> None:
    """ "Closed by Bob": no buttons, no facts, no description, no details."""
    body = slack_update(message(), "close", "Bob")
    assert body["attachments"][0]["color"] == "#2eb67d"
    assert "Closed by Bob" in body["text"]
    assert [b["type"] for b in _blocks(body)] == ["header", "context"]
    assert "db1" not in str(_blocks(body))


def test_slack_update_without_links_has_no_actions() -> None:
    body = slack_update(message(**NO_URLS), "ack", "Bob")
    assert _actions(body) == []


def test_teams_card_is_an_adaptive_card_with_open_url_buttons() -> None:
    """An AdaptiveCard 1.4 inside a message envelope; buttons open the action pages."""
    body = teams_card(message(late=True))
    assert body["type"] == "message"
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["body"][0]["color"] == "Attention"
    assert [
        ("Action.OpenUrl", "Acknowledge", f"{BASE}/api/v1/actions/ACKTOKEN"),
        ("Action.OpenUrl", "Close", f"{BASE}/api/v1/actions/CLOSETOKEN"),
        ("Action.OpenUrl", "Open in Pulsar", f"{BASE}/alerts/a-1"),
    ] == [(a["type"], a["title"], a["url"]) for a in card["actions"]]
    facts = next(b for b in card["body"] if b["type"] == "FactSet")["facts"]
    assert {"title": "host", "value": "db1"} in facts
    assert LATE in str(card["body"])


def test_teams_card_without_links() -> None:
    card = teams_card(message(priority="P4", description="", **NO_URLS))["attachments"][0][
        "content"
    ]
    assert card["body"][0]["color"] == "Default"
    assert card["actions"] == []
    assert NO_LINKS in str(card["body"])
