"""GET /api/v1/audit: the organization's event log, newest first, for admins.

Every change in Pulsar is an event with its actor in the metadata (kind and
id of the user, key or integration, address, user agent, request id), so the
audit trail IS the log. Filters: ``actor`` (an id), ``entity`` (an alert,
team, key, schedule... id), ``type`` (event type names, comma-separated),
``since``/``until`` (RFC 3339, on the time the event was recorded). Cursor
pagination: ``next_cursor`` is the version to continue below.

A page scans at most ``_SCAN`` events of the stream; with narrow filters a
page can come back short (or empty) with a ``next_cursor``: keep following it
until it is null.

Secrets never leave: hashes of keys, passwords and tokens are redacted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from quart import Blueprint, Response, request

from engine import decode_event, decode_meta
from eventstore import Envelope
from web.app import json_response, principal, services
from web.errors import ApiError

__all__ = ["blueprint"]

blueprint = Blueprint("audit", __name__)

_SCAN = 5000
_MAX_LIMIT = 500
_REDACTED = "[redacted]"


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _REDACTED
            if (k.endswith("hash") or k in ("token", "password", "secret"))
            else _redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _time(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        message = f"{name} must be an RFC 3339 time"
        raise ApiError(422, "invalid_field", message, field=name) from None
    if value.tzinfo is None:
        raise ApiError(422, "invalid_field", f"{name} needs a UTC offset", field=name)
    return value


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(422, "invalid_field", f"{name} must be an integer", field=name) from None
    if not low <= value <= high:
        raise ApiError(422, "invalid_field", f"{name} must be {low}-{high}", field=name)
    return value


@blueprint.get("/audit")
async def list_events() -> Response:
    who = principal()
    store = services().store
    limit = _int("limit", 100, 1, _MAX_LIMIT)
    head = await store.stream_version(who.org_id)
    cursor = _int("cursor", head + 1, 1, 2**62)
    actor = request.args.get("actor") or None
    entity = request.args.get("entity") or None
    types = {t for t in (request.args.get("type") or "").split(",") if t.strip()} or None
    since, until = _time("since"), _time("until")

    below = min(cursor, head + 1)
    start = max(0, below - 1 - _SCAN)
    window = await store.read_stream(who.org_id, after_version=start, limit=below - 1 - start)
    found: list[dict[str, Any]] = []
    next_cursor: int | None = start + 1 if start > 0 else None
    for envelope in reversed(window):
        if since is not None and envelope.recorded_at < since:
            next_cursor = None  # older events are all before ``since``
            break
        if until is not None and envelope.recorded_at > until:
            continue
        if types is not None and envelope.type not in types:
            continue
        item = _entry(envelope)
        if actor is not None and item["actor"]["id"] != actor:
            continue
        if entity is not None and not _about(envelope, item["event"], entity):
            continue
        found.append(item)
        if len(found) == limit:
            next_cursor = envelope.version if envelope.version > 1 else None
            break
    return json_response({"data": found, "next_cursor": next_cursor})


def _entry(envelope: Envelope) -> dict[str, Any]:
    meta = decode_meta(envelope)
    return {
        "version": envelope.version,
        "type": envelope.type,
        "recorded_at": envelope.recorded_at,
        "actor": {
            "kind": meta.principal_kind,
            "id": meta.principal_id,
            "remote_addr": meta.remote_addr,
            "user_agent": meta.user_agent,
        },
        "request_id": meta.request_id,
        "event": _redact(msgspec.to_builtins(decode_event(envelope))),
    }


def _about(envelope: Envelope, event: dict[str, Any], entity: str) -> bool:
    if envelope.subject == entity:
        return True
    return any(k.endswith("id") and v == entity for k, v in event.items())
