"""The one mapping from errors to HTTP statuses and the JSON error envelope.

Every 4xx/5xx body is ``{"code", "message", "request_id"}`` plus ``"field"``
when one input field is at fault.

    code                      status
    invalid_json              400   body is not JSON
    invalid_field             422   a field has the wrong type or value
    unauthorized              401   missing or invalid credentials
    token_expired             401   the access token expired: refresh it
    forbidden                 403   the role or key lacks the route's permission
    *_not_found, not_found    404   (another organization's data is always 404)
    idempotency_key_reused    409
    alert_closed, other Rejected  409 when the state forbids it, 422 for bad input
    payload_too_large         413
    overloaded                429   mailbox full (Retry-After)
    rate_limited              429   over the key's, user's or address's budget (Retry-After)
    unavailable               503   not committed; safe to retry (Retry-After)
"""

from __future__ import annotations

import re

import msgspec
from quart import Response, g

from engine import Conflict, NotFound, Overloaded, PulsarError, Rejected, Unavailable

__all__ = ["ApiError", "error_response", "from_engine", "from_validation"]

_STATE_CODES = frozenset(
    {
        "alert_closed",
        "organization_exists",
        "api_key_exists",
        "last_owner",
        "organization_deleted",
        "invitation_expired",
        "invitation_used",
        "invitation_revoked",
        "refresh_token_reused",
        "in_maintenance",
        "no_escalation",
        "default_routing_rule",
    }
)


class ApiError(Exception):
    """An error raised in the web layer itself (auth, parsing)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, str] = {
        "code": code,
        "message": message,
        "request_id": getattr(g, "request_id", ""),
    }
    if field:
        body["field"] = field
    return Response(
        msgspec.json.encode(body),
        status=status,
        content_type="application/json",
        headers=headers or {},
    )


def from_engine(error: PulsarError) -> Response:
    match error:
        case NotFound():
            return error_response(404, error.code, error.message, field=error.field)
        case Rejected() if error.code == "forbidden":
            return error_response(403, error.code, error.message, field=error.field)
        case Rejected():
            status = 409 if error.code in _STATE_CODES else 422
            return error_response(status, error.code, error.message, field=error.field)
        case Conflict():
            return error_response(409, error.code, error.message)
        case Overloaded():
            return error_response(429, error.code, error.message, headers={"Retry-After": "1"})
        case Unavailable():
            return error_response(503, "unavailable", error.message, headers={"Retry-After": "1"})
    return error_response(500, "internal", "internal error")


_PATH = re.compile(r"at `\$(?P<path>[^`]*)`")
_MISSING = re.compile(r"missing required field `(?P<name>[^`]+)`")


def from_validation(error: msgspec.ValidationError) -> ApiError:
    """A 422 naming the offending field (a missing one too), from msgspec's message."""
    text = str(error)
    match = _PATH.search(text)
    field = match.group("path").replace("[...]", "").lstrip(".") if match else None
    missing = _MISSING.search(text)
    if missing:
        field = f"{field}.{missing['name']}" if field else missing["name"]
    message = _PATH.sub("", text).rstrip(" -")
    if field:
        message = f"{field}: {message}"
    return ApiError(422, "invalid_field", message, field=field or None)
