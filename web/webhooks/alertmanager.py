"""Prometheus Alertmanager ``webhook_configs`` (payload version 4) → alerts.

One Pulsar alert per Alertmanager alert: alias = its ``fingerprint`` (or, without one, the
SHA-256 of the group key and the sorted labels); ``firing`` creates or deduplicates,
``resolved`` closes. Labels become ``key:value`` tags and details (annotations too); the
priority comes from the integration's priority label (default ``severity``).

Out of order: a resolved alert's ``endsAt`` is remembered for its alias; a ``firing`` whose
``startsAt`` is not after it is a late delivery of the episode already resolved, answered
``stale``, and opens nothing (Alertmanager would never resolve it again). A new episode has
a later ``startsAt`` and opens a new alert. The mirror case: a ``resolved`` whose ``endsAt``
is before the ``startsAt`` of the open alert's episode is a late resolve of an earlier
episode, answered ``stale``; the open alert stays open. A new episode's ``firing`` that
deduplicates into the still open alert moves its ``startsAt`` to the later one, so the late
resolve of the episode before is ``stale`` too.

    POST /v1/webhooks/alertmanager/<key>          (or Authorization: Bearer <key>)
"""

from __future__ import annotations

import hashlib
from typing import final

import msgspec
from quart import Response, request

from web.app import json_response
from web.errors import ApiError
from web.webhooks import blueprint
from web.webhooks.common import (
    IntegrationView,
    Item,
    Malformed,
    Resolve,
    authenticate,
    ingest,
    instant,
    invalid,
    priority_of,
    request_key,
    status_of,
    tags_of,
    trigger,
)

__all__ = [
    "WebhookAlert",
    "WebhookPayload",
    "alias_of",
    "item_paths",
    "map_alert",
    "map_payload",
    "parse",
]


@final
class WebhookAlert(msgspec.Struct, kw_only=True):
    """One alert of an Alertmanager or Grafana webhook payload (unknown fields ignored)."""

    status: str
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: str = ""
    endsAt: str = ""
    generatorURL: str = ""
    fingerprint: str = ""


@final
class WebhookPayload(msgspec.Struct, kw_only=True):
    """The envelope; each alert is decoded on its own so one bad item spares the others."""

    alerts: list[msgspec.Raw]
    groupKey: str = ""
    version: str = ""
    title: str = ""


_payload = msgspec.json.Decoder(WebhookPayload)
_alert = msgspec.json.Decoder(WebhookAlert)


def parse(body: bytes) -> WebhookPayload:
    """The payload envelope; ``ApiError`` 400 when it is not one."""
    try:
        return _payload.decode(body)
    except msgspec.DecodeError as error:
        raise ApiError(400, "invalid_payload", f"not a webhook payload: {error}") from None


def alias_of(alert: WebhookAlert, group_key: str) -> str:
    """The fingerprint, else a SHA-256 of the group key and the sorted labels."""
    if alert.fingerprint.strip():
        return alert.fingerprint.strip()
    labels = ",".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    return hashlib.sha256(f"{group_key}\n{labels}".encode()).hexdigest()


def map_alert(
    raw: bytes, group_key: str, integration: IntegrationView, source: str, fallback: str = ""
) -> Item:
    """One webhook alert as an item: ``firing`` → trigger, ``resolved`` → resolve."""
    try:
        alert = _alert.decode(raw)
    except msgspec.ValidationError as error:
        return invalid(error)
    except msgspec.DecodeError as error:
        return Malformed(f"invalid alert: {error}")
    alias = alias_of(alert, group_key)
    if alert.status == "resolved":
        return Resolve(alias=alias, source=source, ends_at=instant(alert.endsAt))
    if alert.status != "firing":
        return Malformed(f"status must be 'firing' or 'resolved', not {alert.status!r}", "status")
    notes = alert.annotations
    labels = alert.labels
    details = {**labels, **{k: v for k, v in notes.items() if k not in labels}}
    if alert.generatorURL:
        details.setdefault("generatorURL", alert.generatorURL)
    return trigger(
        message=notes.get("summary") or notes.get("title") or labels.get("alertname") or fallback,
        alias=alias,
        source=source,
        description=notes.get("description") or notes.get("message") or "",
        priority=priority_of(labels.get(integration.priority_label)),
        tags=tags_of(labels),
        details=details,
        entity=labels.get("instance", ""),
        starts_at=instant(alert.startsAt),
        message_field="annotations.summary",
    )


def map_payload(body: WebhookPayload, integration: IntegrationView, source: str) -> list[Item]:
    """Every alert of the payload as an item, in order."""
    return [
        map_alert(bytes(raw), body.groupKey, integration, source, body.title) for raw in body.alerts
    ]


def item_paths(body: WebhookPayload) -> list[str]:
    """The JSON path of each alert in the payload (``alerts[0]``, ...)."""
    return [f"alerts[{index}]" for index in range(len(body.alerts))]


async def receive(kind: str, source: str, key: str | None) -> Response:
    """Authenticate, map and ingest a webhook payload of ``kind``."""
    integration = await authenticate(kind, request_key(key))
    data = await request.get_data(as_text=False)
    body = parse(data if isinstance(data, bytes) else data.encode())
    results = await ingest(integration, map_payload(body, integration, source), item_paths(body))
    return json_response({"results": results}, status_of(results))


@blueprint.post("/v1/webhooks/alertmanager")
@blueprint.post("/v1/webhooks/alertmanager/<key>")
async def alertmanager(key: str | None = None) -> Response:
    """Alertmanager webhook v4: one alert per Alertmanager alert (202, per-item results)."""
    return await receive("alertmanager", "Alertmanager", key)
