"""A generic JSON webhook, mapped by the integration's ``FieldMapping``.

For tools Pulsar has no dedicated format for: the integration says which dotted
path of each item becomes the message, alias, priority, tags, details, entity
and description, which path holds the status, and which status values mean
"resolved" (those items close the open alert with their alias). ``items`` names
the list of alerts inside the body; empty means the body is one alert or a
JSON list of alerts.

    POST /v1/webhooks/generic/<key>               (or Authorization: Bearer <key>)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from quart import Response, request

from engine import FieldMapping
from web.app import json_response
from web.errors import ApiError
from web.webhooks import blueprint
from web.webhooks.common import (
    IntegrationView,
    Item,
    Malformed,
    Resolve,
    authenticate,
    clip_tags,
    ingest,
    priority_of,
    request_key,
    status_of,
    stringify,
    trigger,
)

__all__ = ["at_path", "generic", "item_paths", "map_body", "map_item"]

_MISSING = object()


def at_path(document: Any, path: str) -> Any:
    """The value at dotted ``path`` (list indexes as numbers), or ``_MISSING``."""
    value = document
    for part in path.split(".") if path else []:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _text(item: Any, path: str) -> str:
    value = at_path(item, path) if path else _MISSING
    if value is _MISSING or value is None:
        return ""
    return stringify(value)


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return clip_tags([stringify(v) for v in value])
    if isinstance(value, dict):
        return clip_tags([f"{k}:{stringify(v)}" for k, v in value.items()])
    if isinstance(value, str):
        return clip_tags([t for t in value.split(",")])
    return ()


def map_item(item: Any, mapping: FieldMapping, source: str) -> Item:
    """One JSON item as a trigger, a resolve, or a malformed report."""
    if not isinstance(item, dict):
        return Malformed(f"an alert must be a JSON object, not {type(item).__name__}")
    message = _text(item, mapping.message)
    alias = _text(item, mapping.alias) or hashlib.sha256(message.encode()).hexdigest()
    status = _text(item, mapping.status).strip().lower()
    if status and status in {v.lower() for v in mapping.resolved_values}:
        return Resolve(alias=alias, source=source)
    details = at_path(item, mapping.details) if mapping.details else _MISSING
    return trigger(
        message=message,
        alias=alias,
        source=source,
        description=_text(item, mapping.description),
        priority=priority_of(at_path(item, mapping.priority) if mapping.priority else None),
        tags=_tags(at_path(item, mapping.tags)) if mapping.tags else (),
        details={str(k): stringify(v) for k, v in details.items()}
        if isinstance(details, dict)
        else {},
        entity=_text(item, mapping.entity),
        message_field=mapping.message,
        alias_field=mapping.alias,
    )


def map_body(body: Any, mapping: FieldMapping, source: str) -> list[Item]:
    """Every item of a generic payload, in order."""
    items = at_path(body, mapping.items) if mapping.items else body
    if items is _MISSING:
        raise ApiError(400, "invalid_payload", f"no {mapping.items!r} in the payload")
    if not isinstance(items, list):
        items = [items]
    return [map_item(item, mapping, source) for item in items]


def item_paths(body: Any, mapping: FieldMapping) -> list[str]:
    """The path of each item ``map_body`` maps: ``alerts[0]``, ``[0]`` (a list body), or
    the items path itself (``""`` for the body) when it holds one object."""
    items = at_path(body, mapping.items) if mapping.items else body
    if not isinstance(items, list):
        return [mapping.items]
    return [f"{mapping.items}[{index}]" for index in range(len(items))]


@blueprint.post("/v1/webhooks/generic")
@blueprint.post("/v1/webhooks/generic/<key>")
async def generic(key: str | None = None) -> Response:
    """Generic JSON webhook: items mapped by the integration's field mapping (202)."""
    integration: IntegrationView = await authenticate("generic", request_key(key))
    data = await request.get_data(as_text=False)
    try:
        body = json.loads(data)
    except ValueError as error:
        raise ApiError(400, "invalid_json", f"malformed JSON: {error}") from None
    items = map_body(body, integration.mapping, integration.name)
    if not items:
        raise ApiError(400, "invalid_payload", "the payload holds no alerts")
    results = await ingest(integration, items, item_paths(body, integration.mapping))
    return json_response({"results": results}, status_of(results))
