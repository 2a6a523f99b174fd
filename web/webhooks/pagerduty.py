"""PagerDuty Events API v2 (``/v2/enqueue``) → alerts.

``routing_key`` (in the body) is the integration key; ``dedup_key`` is the alias.
``trigger`` creates or deduplicates, ``acknowledge`` acknowledges, ``resolve`` closes (ack
and resolve of an unknown or closed key are dropped, still 202). Severity maps to priority:
critical → P1, error → P2, warning → P3, info → P5. The answer is PagerDuty's:
``202 {"status": "success", "message": "Event processed", "dedup_key": …}``.
"""

from __future__ import annotations

from typing import Any, final

import msgspec
from quart import Response, request

from engine import new_id
from web.app import json_response
from web.webhooks import blueprint
from web.webhooks.common import (
    Acknowledge,
    Item,
    Malformed,
    Resolve,
    authenticate,
    clip_tags,
    ingest,
    priority_of,
    stringify,
    trigger,
)

__all__ = ["PagerDutyEvent", "map_event"]

_SEVERITIES = frozenset({"critical", "error", "warning", "info"})


@final
class PagerDutyPayload(msgspec.Struct, kw_only=True):
    summary: str = ""
    source: str = ""
    severity: str = ""
    component: str = ""
    group: str = ""
    class_: str = msgspec.field(default="", name="class")
    custom_details: dict[str, Any] | None = None


@final
class PagerDutyEvent(msgspec.Struct, kw_only=True):
    routing_key: str
    event_action: str
    dedup_key: str = ""
    payload: PagerDutyPayload | None = None
    client: str = ""
    client_url: str = ""


_decoder = msgspec.json.Decoder(PagerDutyEvent)


def map_event(event: PagerDutyEvent, dedup_key: str) -> Item:
    """The item an event becomes; ``Malformed`` says what PagerDuty would call invalid."""
    match event.event_action:
        case "acknowledge":
            return Acknowledge(alias=dedup_key, source="PagerDuty")
        case "resolve":
            return Resolve(alias=dedup_key, source="PagerDuty")
        case "trigger":
            return _trigger(event, dedup_key)
    return Malformed("event_action must be trigger, acknowledge or resolve")


def _trigger(event: PagerDutyEvent, dedup_key: str) -> Item:
    body = event.payload
    if body is None or not body.summary.strip() or not body.source.strip():
        return Malformed("payload.summary and payload.source are required for trigger")
    if body.severity not in _SEVERITIES:
        return Malformed("payload.severity must be critical, error, warning or info")
    details = {k: stringify(v) for k, v in (body.custom_details or {}).items()}
    if event.client_url:
        details.setdefault("client_url", event.client_url)
    tags = [f"{name}:{value}" for name, value in _parts(body) if value]
    return trigger(
        message=body.summary,
        alias=dedup_key,
        source=body.source,
        description=body.summary if len(body.summary) > 130 else "",
        priority=priority_of(body.severity),
        tags=clip_tags(tags),
        details=details,
        entity=body.component,
    )


def _parts(body: PagerDutyPayload) -> list[tuple[str, str]]:
    return [("component", body.component), ("group", body.group), ("class", body.class_)]


def _invalid(message: str) -> Response:
    return json_response(
        {"status": "invalid event", "message": "Event object is invalid", "errors": [message]},
        400,
    )


@blueprint.post("/v2/enqueue")
@blueprint.post("/v1/webhooks/pagerduty")
@blueprint.post("/v1/webhooks/pagerduty/v2/enqueue")
async def enqueue() -> Response:
    """One PagerDuty event (202 with status, message and dedup_key after it is durable)."""
    data = await request.get_data(as_text=False)
    try:
        event = _decoder.decode(data if isinstance(data, bytes) else data.encode())
    except msgspec.DecodeError as error:
        return _invalid(str(error))
    integration = await authenticate("pagerduty", event.routing_key)
    dedup_key = event.dedup_key.strip()[:255]
    if not dedup_key and event.event_action != "trigger":
        return _invalid("dedup_key is required for acknowledge and resolve")
    item = map_event(event, dedup_key or new_id())
    if isinstance(item, Malformed):
        return _invalid(item.message)
    result = (await ingest(integration, [item]))[0]
    if result["result"] == "rejected":
        return _invalid(result["message"])
    return json_response(
        {
            "status": "success",
            "message": "Event processed",
            "dedup_key": getattr(item, "alias", dedup_key),
            "result": result["result"],
        },
        202,
    )
