"""/api/v1/actions/{token}: acknowledge or close an alert from a notification, no sign-in.

The signed token (``web.auth.links``) is the credential: it names the
organization, the alert, the person and the action, and expires. ``GET``
only shows a small page with a button: mail scanners and link previews
fetch links, so opening one must never change anything. ``POST`` (the
button) submits ``AcknowledgeAlert``/``CloseAlert`` as that person, with
source ``email-link``, and answers a page saying what happened. A person who
left the organization can no longer use their links.

Pages are self-contained HTML (no scripts, no external resources) under a
strict CSP; a client asking for JSON (``Accept: application/json``) gets
JSON and the uniform error envelope instead.
"""

from __future__ import annotations

import html
from typing import Any, final

import msgspec
from quart import Blueprint, Response, g, request

from engine import (
    AcknowledgeAlert,
    CloseAlert,
    CommandContext,
    OrgState,
    Permission,
    Rejected,
    permissions_of_role,
)
from web.app import json_response, services
from web.auth.links import ActionClaim, ActionLinks, InvalidActionLink
from web.errors import error_response

__all__ = ["actor_name", "blueprint", "may_work_alerts", "verify_token"]

blueprint = Blueprint("actions", __name__)

SOURCE = "email-link"
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_VERBS = {"ack": ("Acknowledge", "acknowledged"), "close": ("Close", "closed")}


@final
class _Seen(msgspec.Struct, frozen=True, kw_only=True):
    """What the page needs of the alert and the person, read from the org state."""

    tiny_id: int
    message: str
    priority: str
    status: str
    acknowledged: bool
    by: str  # the person's display name


class _Failure(Exception):
    def __init__(self, status: int, code: str, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.title, self.message = status, code, title, message


def verify_token(links: ActionLinks, token: str) -> ActionClaim:
    """The claim of ``token`` at the services' clock, or the failure to answer.

    Malformed is 400; forged, expired, of someone no longer a member, or of a
    member whose role may not work alerts (viewer) is 403.
    """
    svc = services()
    try:
        claim = links.verify(token, svc.clock.now())
    except InvalidActionLink as error:
        status = 400 if error.reason == "malformed" else 403
        code = "link_expired" if error.reason == "expired" else "invalid_link"
        raise _Failure(status, code, "Link not valid", str(error)) from None
    role = svc.directory.role_of(claim.account_id, claim.org_id)
    if role is None:
        raise _Failure(
            403,
            "invalid_link",
            "Link not valid",
            "this link's person is no longer a member of the organization",
        )
    if not may_work_alerts(role):
        raise _Failure(403, "forbidden", "Not allowed", f"a {role} cannot acknowledge or close")
    return claim


def may_work_alerts(role: str) -> bool:
    """Whether a member with ``role`` may acknowledge and close alerts."""
    return Permission.ALERT_WRITE in permissions_of_role(role)


def actor_name(state: OrgState, account_id: str) -> str:
    """How the alert log names the member: their name, else their email, else the id."""
    member = state.access.members.get(account_id)
    if member is None:
        return account_id
    return member.name or member.email or account_id


async def _seen(claim: ActionClaim) -> _Seen:
    def view(state: OrgState) -> _Seen | None:
        alert = state.alerts.alerts.get(claim.alert_id)
        if alert is None:
            return None
        return _Seen(
            tiny_id=alert.tiny_id,
            message=alert.message,
            priority=alert.priority,
            status=alert.status,
            acknowledged=alert.acknowledged,
            by=actor_name(state, claim.account_id),
        )

    seen = await services().supervisor.read(claim.org_id, view)
    if seen is None:
        raise _Failure(404, "alert_not_found", "Alert not found", "this alert no longer exists")
    return seen


def _already(claim: ActionClaim, seen: _Seen) -> str | None:
    """Why the action has nothing left to do ("closed"/"acknowledged"), or ``None``."""
    if seen.status == "closed":
        return "closed"
    if claim.action == "ack" and seen.acknowledged:
        return "acknowledged"
    return None


@blueprint.get("/actions/<token>")
async def show_action(token: str) -> Response:
    """A confirmation page with one button; viewing it changes nothing."""
    try:
        claim = verify_token(_links(), token)
        seen = await _seen(claim)
    except _Failure as failure:
        return _failed(failure)
    label = f"{_VERBS[claim.action][0]} #{seen.tiny_id}"
    done = _already(claim, seen)
    if _wants_json():
        return json_response(_json(claim, seen, "already_" + done if done else "pending"))
    if done is not None:
        return _page(200, f"Already {done}", _summary(seen), f"This alert is already {done}.")
    form = f'<form method="post"><button type="submit">{html.escape(label)}</button></form>'
    note = f"You are acting as {seen.by}. Nothing changes until you press the button."
    return _page(200, label, _summary(seen), note, form)


@blueprint.post("/actions/<token>")
async def perform_action(token: str) -> Response:
    """Acknowledge or close the alert as the link's person; say what happened."""
    try:
        claim = verify_token(_links(), token)
        seen = await _seen(claim)
        result = _already(claim, seen)
        if result is None:
            result = await _submit(claim, seen.by)
            seen = await _seen(claim)  # as it is now, for the answer
        else:
            result = "already_" + result
    except _Failure as failure:
        return _failed(failure)
    if _wants_json():
        return json_response(_json(claim, seen, result))
    if result.startswith("already_"):
        status = result.removeprefix("already_")
        return _page(200, f"Already {status}", _summary(seen), f"This alert is already {status}.")
    done = _VERBS[claim.action][1]
    return _page(200, f"{done.capitalize()} by {seen.by}", _summary(seen), "Thank you.")


async def _submit(claim: ActionClaim, by: str) -> str:
    """Submit the claim's action; ``"acknowledged"``/``"closed"`` or ``"already_closed"``."""
    command: Any
    if claim.action == "ack":
        command = AcknowledgeAlert(alert_id=claim.alert_id, user=by[:100], source=SOURCE)
    else:
        command = CloseAlert(alert_id=claim.alert_id, user=by[:100], source=SOURCE)
    ctx = CommandContext(
        principal_kind="user",
        principal_id=claim.account_id,
        request_id=g.request_id,
        remote_addr=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", "")[:200],
    )
    try:
        await services().supervisor.submit(claim.org_id, command, ctx)
    except Rejected as error:
        if error.code == "alert_closed":  # closed between our read and the submit
            return "already_closed"
        if error.code == "alert_not_found":
            gone = "this alert no longer exists"
            raise _Failure(404, "alert_not_found", "Alert not found", gone) from None
        raise
    return _VERBS[claim.action][1]


def _links() -> ActionLinks:
    links: ActionLinks = services().extra["action_links"]
    return links


def _json(claim: ActionClaim, seen: _Seen, result: str) -> dict[str, Any]:
    return {
        "result": result,
        "action": claim.action,
        "alert_id": claim.alert_id,
        "tiny_id": str(seen.tiny_id),
        "status": seen.status,
        "by": seen.by,
    }


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _failed(failure: _Failure) -> Response:
    if _wants_json():
        return error_response(failure.status, failure.code, failure.message)
    return _page(failure.status, failure.title, "", failure.message.capitalize() + ".")


def _summary(seen: _Seen) -> str:
    message = " ".join(seen.message.split()) or "No summary provided"
    return f"#{seen.tiny_id} {seen.priority} {message} ({seen.status})"


_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f5f5f7;color:#222;margin:0}"
    "main{max-width:34rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.1)}h1{font-size:1.4rem;margin-top:0}"
    ".alert{font-weight:600}.note{color:#555}"
    "button{font-size:1rem;padding:.6rem 1.4rem;border:0;border-radius:6px;background:#222;"
    "color:#fff;cursor:pointer}"
)


def _page(status: int, title: str, summary: str, note: str, form: str = "") -> Response:
    e = html.escape
    alert = f'<p class="alert">{e(summary)}</p>' if summary else ""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{e(title)} · Pulsar</title><style>{_STYLE}</style></head>"
        f'<body><main><h1>{e(title)}</h1>{alert}<p class="note">{e(note)}</p>{form}'
        "</main></body></html>"
    )
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["Cache-Control"] = "no-store"
    return response
