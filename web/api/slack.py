"""/api/v1/slack/interactions: the Acknowledge and Close buttons of Slack notifications.

Slack POSTs ``payload=<json>`` (form-encoded) here when a button is clicked.
The request is genuine when ``X-Slack-Signature`` is ``v0=`` + hex
HMAC-SHA256(``PULSAR_SLACK_SIGNING_SECRET``, ``"v0:<timestamp>:<raw body>"``)
and the timestamp is within five minutes of Pulsar's clock; anything else is
401. The button's value is a signed action token (``web.auth.links``): it
names the organization, the alert and the action. The clicking Slack user
must be linked to a member of that organization (a Slack contact method whose
address is their Slack user id); an unlinked user gets an ephemeral prompt.
A linked user's click acknowledges or closes the alert as them, and the
message is replaced through the payload's ``response_url``: "Acknowledged by
<name>" with only Close left, or "Closed by <name>" without buttons or details.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qs

import msgspec
import structlog
from quart import Blueprint, Response, g, request

from engine import (
    SLACK_ACK,
    SLACK_CLOSE,
    AcknowledgeAlert,
    CloseAlert,
    CommandContext,
    Message,
    OrgState,
    Rejected,
    Transports,
    slack_update,
)
from web.api.actions import actor_name, may_work_alerts
from web.app import services
from web.auth.links import ActionClaim, ActionLinks, InvalidActionLink
from web.errors import ApiError

__all__ = ["blueprint", "linked_account", "slack_signature"]

blueprint = Blueprint("slack", __name__)
log = structlog.get_logger("pulsar.slack")

SOURCE = "slack"
MAX_SKEW = 5 * 60  # seconds between Slack's timestamp and our clock
LINK_PROMPT = (
    "Link your Slack account in Pulsar (Settings → Contact methods: add a Slack "
    "contact method with your Slack member ID) to acknowledge or close alerts from Slack."
)
_ACTIONS = {SLACK_ACK: "ack", SLACK_CLOSE: "close"}


class _User(msgspec.Struct):
    id: str


class _Action(msgspec.Struct):
    action_id: str = ""
    value: str = ""


class _Payload(msgspec.Struct):
    type: str
    user: _User | None = None
    actions: list[_Action] = []
    response_url: str = ""
    message: dict[str, Any] | None = None


_decode_payload = msgspec.json.Decoder(_Payload)


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``"v0:<timestamp>:<body>"`` keyed with ``secret``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _verify(body: bytes) -> None:
    """Raise 401 unless the request carries a valid, fresh Slack signature."""
    secret = services().config.slack_signing_secret
    if not secret:
        raise ApiError(401, "unauthorized", "Slack is not configured (PULSAR_SLACK_SIGNING_SECRET)")
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    presented = request.headers.get("X-Slack-Signature", "")
    try:
        skew = abs(services().clock.now().timestamp() - int(timestamp))
    except ValueError:
        raise ApiError(401, "unauthorized", "invalid Slack request timestamp") from None
    if skew > MAX_SKEW:
        raise ApiError(401, "unauthorized", "stale Slack request timestamp")
    expected = slack_signature(secret, timestamp, body)
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "invalid Slack signature")


def _payload(body: bytes) -> _Payload:
    fields = parse_qs(body.decode("utf-8", "replace"))
    raw = fields.get("payload", [""])[0]
    try:
        return _decode_payload.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise ApiError(400, "invalid_json", "payload must be a Slack interaction JSON") from None


def linked_account(state: OrgState, slack_user_id: str) -> str | None:
    """The member whose Slack contact method's address is ``slack_user_id``, if any.

    Verified and enabled methods are preferred when several members claim the
    same Slack user; ties go to the lowest account id (deterministic).
    """
    found = sorted(
        (not method.verified, not method.enabled, account_id)
        for account_id, user in state.contacts.users.items()
        if account_id in state.access.members
        for method in user.methods.values()
        if method.method == "slack" and method.address == slack_user_id
    )
    return found[0][2] if found else None


@blueprint.post("/slack/interactions")
async def interactions() -> Response:
    """Handle a button click; 200 (Slack retries nothing we answer with 200)."""
    body = await request.get_data(as_text=False)
    raw = body if isinstance(body, bytes) else body.encode()
    _verify(raw)
    payload = _payload(raw)
    action = next((a for a in payload.actions if a.action_id in _ACTIONS), None)
    if payload.type != "block_actions" or action is None or payload.user is None:
        return Response("", status=200)
    links: ActionLinks = services().extra["action_links"]
    try:
        claim = links.verify(action.value, services().clock.now())
    except InvalidActionLink:
        return await _ephemeral(
            payload, "This button is no longer valid; open the alert in Pulsar."
        )
    if claim.action != _ACTIONS[action.action_id] or claim.org_id not in services().directory.orgs:
        return await _ephemeral(payload, "This button is not valid; open the alert in Pulsar.")
    slack_user = payload.user.id
    account_id = await services().supervisor.read(
        claim.org_id, lambda s: linked_account(s, slack_user)
    )
    role = None if account_id is None else services().directory.role_of(account_id, claim.org_id)
    if account_id is None or role is None:
        return await _ephemeral(payload, LINK_PROMPT)
    if not may_work_alerts(role):
        return await _ephemeral(payload, f"A {role} cannot acknowledge or close alerts.")
    return await _act(payload, claim, account_id)


async def _act(payload: _Payload, claim: ActionClaim, account_id: str) -> Response:
    supervisor = services().supervisor
    name = await supervisor.read(claim.org_id, lambda s: actor_name(s, account_id))
    who = {"alert_id": claim.alert_id, "user": name[:100], "source": SOURCE}
    command = AcknowledgeAlert(**who) if claim.action == "ack" else CloseAlert(**who)
    ctx = CommandContext(
        principal_kind="user",
        principal_id=account_id,
        request_id=g.request_id,
        remote_addr=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", "")[:200],
    )
    try:
        await supervisor.submit(claim.org_id, command, ctx)
    except Rejected as error:
        if error.code not in {"alert_closed", "alert_not_found"}:
            raise
        text = "This alert is already closed." if error.code == "alert_closed" else None
        return await _ephemeral(payload, text or "This alert no longer exists.")
    message = await supervisor.read(claim.org_id, lambda s: _message(s, payload, claim, account_id))
    if message is not None and payload.response_url:
        await _respond(payload.response_url, slack_update(message, claim.action, name))
    return Response("", status=200)


def _message(
    state: OrgState, payload: _Payload, claim: ActionClaim, account_id: str
) -> Message | None:
    """The alert as it is now, in the shape ``slack_update`` renders (close link re-signed)."""
    alert = state.alerts.alerts.get(claim.alert_id)
    if alert is None:
        return None
    svc = services()
    links: ActionLinks = svc.extra["action_links"]
    urls = links.urls(svc.config.public_url, claim.org_id, alert.id, account_id, svc.clock.now())
    member = state.access.members.get(account_id)
    meta = (payload.message or {}).get("metadata") or {}
    notification_id = str((meta.get("event_payload") or {}).get("notification_id", ""))
    return Message(
        notification_id=notification_id,
        org_id=claim.org_id,
        org_name=svc.directory.orgs.get(claim.org_id, ""),
        alert_id=alert.id,
        tiny_id=alert.tiny_id,
        message=alert.message,
        description=alert.description,
        priority=alert.priority,
        status="acknowledged" if alert.acknowledged and alert.status == "open" else alert.status,
        tags=alert.tags,
        details=alert.details,
        source=alert.source,
        entity=alert.entity,
        created_at=alert.created_at,
        recipient_id=account_id,
        recipient_name="" if member is None else member.name,
        recipient_email="" if member is None else member.email,
        reason="",
        alert_url=None if urls is None else urls.alert_url,
        ack_url=None if urls is None else urls.ack_url,
        close_url=None if urls is None else urls.close_url,
        integration_id="" if alert.integration is None else alert.integration.id,
        integration_name="" if alert.integration is None else alert.integration.name,
    )


async def _respond(response_url: str, body: dict[str, Any]) -> None:
    transports: Transports | None = services().extra.get("transports")
    if transports is None:
        log.warning("slack_respond_skipped", reason="no transports")
        return
    result = await transports.slack.respond(response_url, body)
    if not result.delivered:
        log.warning("slack_respond_failed", detail=result.detail)


async def _ephemeral(payload: _Payload, text: str) -> Response:
    """Tell only the clicking user ``text`` (the answer, and through ``response_url``)."""
    body = {"response_type": "ephemeral", "replace_original": False, "text": text}
    if payload.response_url:
        await _respond(payload.response_url, body)
    return Response(msgspec.json.encode(body), status=200, content_type="application/json")
