"""Opsgenie's HTTP envelope: auth, bodies with ``requestId``/``took``, errors, timestamps.

Every answer of the Opsgenie API is a JSON object carrying ``requestId`` (the id Pulsar
logs and records in event metadata) and ``took`` (seconds); errors are
``{"message", "took", "requestId"}`` plus ``errors: {field: text}`` for a bad field.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import msgspec
import structlog
from quart import Blueprint, Response, g
from werkzeug.exceptions import HTTPException

from engine import (
    Conflict,
    NotFound,
    Overloaded,
    PulsarError,
    Rejected,
)
from web.app import principal
from web.auth.principal import Principal
from web.errors import ApiError

__all__ = [
    "ACCEPTED",
    "authenticate",
    "install_error_handlers",
    "og_error",
    "og_response",
    "timestamp",
]

log = structlog.get_logger("pulsar.opsgenie")
_encoder = msgspec.json.Encoder()
ACCEPTED = "Request will be processed"
_STATE_CODES = frozenset({"alert_closed"})
_MISSING = re.compile(r"missing required field `([^`]+)`")


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and ``Z``, as Opsgenie writes them."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _took() -> float:
    started = g.get("started")
    elapsed = time.perf_counter() - started if started is not None else 0.0
    return max(round(elapsed, 3), 0.001)


def og_response(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    """A JSON object answer with ``took`` and ``requestId`` added."""
    took = _took()
    body["took"] = took
    body["requestId"] = g.get("request_id", "")
    response = Response(_encoder.encode(body), status=status, content_type="application/json")
    response.headers["X-Response-Time"] = str(took)
    response.headers["X-RateLimit-State"] = "OK"
    response.headers.update(headers)
    return response


def og_error(
    status: int, message: str, *, field: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """An error in Opsgenie's shape."""
    body: dict[str, Any] = {"message": message}
    if field:
        body["errors"] = {field: message}
    return og_response(body, status, **(headers or {}))


async def authenticate() -> Principal:
    """The caller, authenticated by the access hook (``web.auth.routes``).

    An organization API key, a user's access token, or the key of an enabled
    ``api``/``opsgenie`` integration (then ``id`` is the integration's id).
    """
    return principal()


def _engine_error(error: PulsarError) -> Response:
    match error:
        case NotFound():
            return og_error(404, "Alert does not exist")
        case Rejected():
            status = 409 if error.code in _STATE_CODES else 422
            return og_error(status, error.message, field=error.field)
        case Conflict():
            return og_error(409, error.message)
        case Overloaded():
            return og_error(429, error.message, headers={"Retry-After": "1"})
    return og_error(503, error.message, headers={"Retry-After": "1"})


def install_error_handlers(blueprint: Blueprint) -> None:
    """Answer every error raised under ``blueprint`` in Opsgenie's shape."""

    @blueprint.errorhandler(ApiError)
    async def api_error(error: ApiError) -> Response:
        missing = _MISSING.search(error.message)
        field = error.field or (missing.group(1) if missing else None)
        # Opsgenie's wording for every authentication failure.
        message = "Could not authenticate" if error.status == 401 else error.message
        return og_error(error.status, message, field=field, headers=error.headers)

    @blueprint.errorhandler(PulsarError)
    async def engine_error(error: PulsarError) -> Response:
        return _engine_error(error)

    async def http_error(error: HTTPException) -> Response:
        return og_error(error.code or 500, error.description or "HTTP error")

    # Code-specific app handlers (413) outrank class handlers: register per code too.
    for code in (400, 404, 405, 413, 415):
        blueprint.register_error_handler(code, http_error)
    blueprint.register_error_handler(HTTPException, http_error)

    @blueprint.errorhandler(Exception)
    async def internal(error: Exception) -> Response:
        log.exception("unhandled", request_id=g.get("request_id"))
        return og_error(500, "Internal error")
