"""How a ``Message`` reads on each channel: pure functions from values to text and JSON.

No I/O here, so every body is unit-tested as data (tests/unit/engine/
test_delivery_render.py). The transports (``email``, ``webhook``, ``slack``,
``teams``) only add headers, signatures and the network.

Action links are signed tokens inside URLs (``web/auth/links.py``); a message
without them (no ``PULSAR_PUBLIC_URL``) says so in its body. A Slack button
carries the same token as its ``value`` (``action_token``).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from engine.delivery.message import Message

__all__ = [
    "NO_LINKS",
    "NO_SUMMARY",
    "SLACK_ACK",
    "SLACK_CLOSE",
    "action_token",
    "email_html",
    "email_subject",
    "email_text",
    "slack_escalated",
    "slack_message",
    "slack_update",
    "summary",
    "teams_card",
    "webhook_payload",
]

NO_SUMMARY = "No summary provided"
NO_LINKS = (
    "Acknowledge and close links are not included: this Pulsar has no public URL "
    "(PULSAR_PUBLIC_URL)."
)
LATE = "Late: this page came due while Pulsar could not send it."
DUPLICATE = (
    "This may repeat a notification sent just before Pulsar restarted "
    "(same notification id); if you already have it, ignore this one."
)
PREFETCH = "Opening a link shows a confirmation page; nothing changes until you press its button."
SLACK_ACK = "pulsar_ack"
SLACK_CLOSE = "pulsar_close"
_PRIORITY_COLOURS = {
    "P1": "#d0021b",
    "P2": "#f5772a",
    "P3": "#f2c744",
    "P4": "#3a87ad",
    "P5": "#9b9b9b",
}
_STATUS_COLOURS = {"acknowledged": "#7b61ff", "closed": "#2eb67d"}
_SUBJECT_MAX = 200
_SLACK_HEADER_MAX = 150  # Slack's limit for a header block's text
_SLACK_TEXT_MAX = 2900  # under Slack's 3,000 characters per text object
_MAX_DETAILS = 20


def summary(message: Message) -> str:
    """The alert's message on one line, or ``NO_SUMMARY`` when it is empty."""
    text = " ".join(message.message.split())
    return text or NO_SUMMARY


def _title(message: Message) -> str:
    return f"#{message.tiny_id} {message.priority} {summary(message)}"


def email_subject(message: Message) -> str:
    """``[Pulsar] #12 P1 Database down`` (``[late]`` appended for a late page)."""
    subject = f"[Pulsar] {_title(message)}"
    if len(subject) > _SUBJECT_MAX:
        subject = subject[: _SUBJECT_MAX - 1] + "…"
    return subject + (" [late]" if message.late else "")


def _facts(message: Message) -> list[tuple[str, str]]:
    """Label/value pairs shown by every rich channel (empty values left out)."""
    facts = [
        ("Priority", message.priority),
        ("Status", message.status),
        ("Source", message.source),
        ("Entity", message.entity),
        ("Tags", ", ".join(message.tags)),
        ("Organization", message.org_name),
    ]
    return [(label, value) for label, value in facts if value]


def _details(message: Message) -> list[tuple[str, str]]:
    return sorted(message.details.items())[:_MAX_DETAILS]


def _notes(message: Message) -> list[str]:
    notes = [LATE] if message.late else []
    return [*notes, DUPLICATE] if message.possibly_duplicate else notes


def _links(message: Message) -> list[tuple[str, str]]:
    links = [("Acknowledge", message.ack_url), ("Close", message.close_url)]
    links.append(("Open in Pulsar", message.alert_url))
    return [(label, url) for label, url in links if url]


def email_text(message: Message) -> str:
    """The plain-text part of an email notification."""
    lines = [_title(message), ""]
    lines += [f"{label}: {value}" for label, value in _facts(message)]
    if message.description.strip():
        lines += ["", "Description:", message.description.strip()]
    if message.details:
        lines += ["", "Details:"] + [f"  {key}: {value}" for key, value in _details(message)]
    lines += ["", f"Why you: {message.reason}"]
    lines += [f"Note: {note}" for note in _notes(message)]
    lines.append("")
    links = _links(message)
    lines += [f"{label}: {url}" for label, url in links]
    lines.append(PREFETCH if message.ack_url or message.close_url else NO_LINKS)
    lines += ["", "-- ", f"Pulsar · {message.org_name} · notification {message.notification_id}"]
    return "\n".join(lines) + "\n"


def email_html(message: Message) -> str:
    """The HTML part of an email notification (inline styles only, no scripts)."""
    e = html.escape
    colour = _PRIORITY_COLOURS.get(message.priority, "#9b9b9b")
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(label)}</th>'
        f"<td>{e(value)}</td></tr>"
        for label, value in _facts(message) + _details(message)
    )
    parts = [
        '<!doctype html><html><body style="font-family:sans-serif;color:#222">',
        f'<h2 style="border-left:6px solid {colour};padding-left:8px">{e(_title(message))}</h2>',
    ]
    if message.description.strip():
        parts.append(f'<p style="white-space:pre-wrap">{e(message.description.strip())}</p>')
    parts.append(f"<table>{rows}</table>")
    parts.append(f"<p><b>Why you:</b> {e(message.reason)}</p>")
    parts += [f"<p><i>{e(note)}</i></p>" for note in _notes(message)]
    buttons = " ".join(
        f'<a href="{e(url)}" style="display:inline-block;padding:8px 14px;margin-right:8px;'
        f'background:#333;color:#fff;text-decoration:none;border-radius:4px">{e(label)}</a>'
        for label, url in _links(message)
    )
    if buttons:
        parts.append(f"<p>{buttons}</p>")
    notice = PREFETCH if message.ack_url or message.close_url else NO_LINKS
    parts.append(f'<p style="color:#666;font-size:12px">{e(notice)}</p>')
    parts.append(
        f'<p style="color:#999;font-size:11px">Pulsar · {e(message.org_name)} · '
        f"notification {e(message.notification_id)}</p></body></html>"
    )
    return "".join(parts)


def webhook_payload(message: Message, sent_at: datetime) -> dict[str, Any]:
    """The generic webhook's JSON body (also carries the ``Type``/``Summary`` keys of S49)."""
    return {
        "type": "Alert",
        "notificationId": message.notification_id,
        "org": {"id": message.org_id, "name": message.org_name},
        "alert": {
            "id": message.alert_id,
            "tinyId": str(message.tiny_id),
            "message": message.message,
            "description": message.description,
            "priority": message.priority,
            "status": message.status,
            "tags": list(message.tags),
            "details": dict(message.details),
            "source": message.source,
            "entity": message.entity,
            "createdAt": message.created_at.isoformat(),
            "url": message.alert_url,
        },
        "recipient": {
            "id": message.recipient_id,
            "name": message.recipient_name,
            "email": message.recipient_email,
        },
        "reason": message.reason,
        "late": message.late,
        "possiblyDuplicate": message.possibly_duplicate,
        "sentAt": sent_at.isoformat(),
        "Type": "Alert",
        "Summary": summary(message),
        "Details": dict(message.details),
        "ServiceID": message.integration_id,
        "ServiceName": message.integration_name,
    }


def action_token(url: str | None) -> str | None:
    """The signed token at the end of an action link (a Slack button's value)."""
    if not url or "/actions/" not in url:
        return None
    return url.rsplit("/", 1)[-1] or None


def _mrkdwn(text: str) -> str:
    """``text`` safe inside Slack mrkdwn (only ``&``, ``<`` and ``>`` are special)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_header(message: Message) -> dict[str, Any]:
    text = _clip(_title(message), _SLACK_HEADER_MAX)
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _slack_context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text, 2900)}]}


def _slack_buttons(message: Message, *, ack: bool, close: bool) -> dict[str, Any] | None:
    elements: list[dict[str, Any]] = []
    ack_token, close_token = action_token(message.ack_url), action_token(message.close_url)
    if ack and ack_token:
        elements.append(_button("Acknowledge", SLACK_ACK, ack_token, style="primary"))
    if close and close_token:
        elements.append(_button("Close", SLACK_CLOSE, close_token, style="danger"))
    if message.alert_url:
        elements.append(
            {
                "type": "button",
                "action_id": "pulsar_open",
                "text": {"type": "plain_text", "text": "Open in Pulsar"},
                "url": message.alert_url,
            }
        )
    return (
        {"type": "actions", "block_id": "pulsar_actions", "elements": elements}
        if elements
        else None
    )


def _button(label: str, action_id: str, value: str, *, style: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": value,
        "style": style,
    }


def _slack_body(message: Message) -> list[dict[str, Any]]:
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_mrkdwn(value)}"}
        for label, value in _facts(message)[:10]
    ]
    blocks: list[dict[str, Any]] = [{"type": "section", "fields": fields}] if fields else []
    if message.description.strip():
        text = _clip(_mrkdwn(message.description.strip()), _SLACK_TEXT_MAX)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if message.details:
        lines = "\n".join(f"*{_mrkdwn(k)}*: {_mrkdwn(v)}" for k, v in _details(message))
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _clip(lines, _SLACK_TEXT_MAX)}}
        )
    return blocks


def slack_message(message: Message) -> dict[str, Any]:
    """A ``chat.postMessage`` / incoming-webhook body: header, facts, reason, buttons.

    The colour bar is the priority's (an attachment's ``color``); the buttons'
    values are the signed action tokens; ``metadata`` carries the notification
    id so a resend can be recognised.
    """
    blocks = [_slack_header(message), *_slack_body(message)]
    notes = " ".join(_notes(message))
    reason = f"{_mrkdwn(message.reason)}{' · ' + _mrkdwn(notes) if notes else ''}"
    blocks.append(_slack_context(reason))
    buttons = _slack_buttons(message, ack=message.status == "open", close=True)
    if buttons is not None:
        blocks.append(buttons)
    elif not message.ack_url:
        blocks.append(_slack_context(_mrkdwn(NO_LINKS)))
    return {
        "text": _clip(f"[Pulsar] {_title(message)}", _SLACK_TEXT_MAX),
        "attachments": [
            {"color": _PRIORITY_COLOURS.get(message.priority, "#9b9b9b"), "blocks": blocks}
        ],
        "metadata": {
            "event_type": "pulsar_notification",
            "event_payload": {
                "notification_id": message.notification_id,
                "alert_id": message.alert_id,
            },
        },
    }


def slack_escalated(message: Message) -> dict[str, Any]:
    """The alert's first Slack message once a later page went to its thread (S49):
    "Escalated", still with the Acknowledge and Close buttons."""
    blocks = [_slack_header(message), *_slack_body(message)]
    blocks.append(_slack_context("*Escalated* · see the thread for the latest page"))
    buttons = _slack_buttons(message, ack=message.status == "open", close=True)
    if buttons is not None:
        blocks.append(buttons)
    return {
        "text": _clip(f"[Pulsar] {_title(message)}: Escalated", _SLACK_TEXT_MAX),
        "attachments": [
            {"color": _PRIORITY_COLOURS.get(message.priority, "#9b9b9b"), "blocks": blocks}
        ],
    }


def slack_update(message: Message, action: str, by: str) -> dict[str, Any]:
    """The message after a button click (Slack ``response_url`` body, replacing it).

    ``action`` "ack": "Acknowledged by <by>", the acknowledged colour, only Close
    left. "close": "Closed by <by>", the closed colour, no buttons and no details.
    """
    closed = action == "close"
    verb = "Closed" if closed else "Acknowledged"
    status = f"*{verb} by {_mrkdwn(by)}*"
    blocks = [_slack_header(message)]
    if not closed:
        blocks += _slack_body(message)
    blocks.append(_slack_context(status))
    buttons = None if closed else _slack_buttons(message, ack=False, close=True)
    if buttons is not None:
        blocks.append(buttons)
    return {
        "replace_original": True,
        "text": f"[Pulsar] {_title(message)}: {verb} by {by}",
        "attachments": [
            {"color": _STATUS_COLOURS["closed" if closed else "acknowledged"], "blocks": blocks}
        ],
    }


def teams_card(message: Message) -> dict[str, Any]:
    """A Teams workflow message: one Adaptive Card (1.4) with OpenUrl buttons to the links.

    Teams workflows cannot call Pulsar back unauthenticated, so the buttons open
    the signed action pages in the browser instead.
    """
    urgent = message.priority in {"P1", "P2"}
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _title(message),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": "Attention" if urgent else "Default",
        }
    ]
    if message.description.strip():
        body.append({"type": "TextBlock", "text": message.description.strip(), "wrap": True})
    facts = [{"title": label, "value": value} for label, value in _facts(message)]
    facts += [{"title": key, "value": value} for key, value in _details(message)]
    body.append({"type": "FactSet", "facts": facts})
    for text in [f"Why you: {message.reason}", *_notes(message)]:
        body.append({"type": "TextBlock", "text": text, "wrap": True, "isSubtle": True})
    if not message.ack_url:
        body.append({"type": "TextBlock", "text": NO_LINKS, "wrap": True, "isSubtle": True})
    actions = [
        {"type": "Action.OpenUrl", "title": label, "url": url} for label, url in _links(message)
    ]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
