"""What every webhook shares: the integration key, the mapped items, one group commit.

A format module (``alertmanager``, ``grafana``, ``pagerduty``, ``generic``) turns a payload
into a list of :data:`Item` with pure functions; :func:`ingest` authenticates the
integration, turns the items into commands and submits them with ``submit_many`` so one
request is one group-committed append, answered only after it is durable.

The answer has one result per item, in order. A rejected item (malformed, or refused by
the engine) names its ``index``, the JSON path of the offending ``field`` in the payload
(``alerts[3].labels``; the item itself, ``alerts[3]``, when no one field is at fault), a
``code`` and a human ``message``; the valid items are kept. A firing that arrives after
the resolve of its episode (Alertmanager's and Grafana's ``startsAt``/``endsAt``) is
answered ``stale`` and changes nothing (``engine.alerts.stale_firing``); so is a resolve
that ended before the open alert's episode started, which leaves that newer alert open
(``engine.alerts.stale_resolve``).

Ingestion is lenient (compat-api.md §1.6): over-long fields are truncated, unknown
priorities become P3, tags and details are clipped to Opsgenie's limits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import msgspec
from quart import g, request

from engine import (
    AcknowledgeAlertByAlias,
    CloseAlertByAlias,
    Command,
    CommandContext,
    CreateAlert,
    FieldMapping,
    Integration,
    OrgState,
    Outcome,
    Responder,
    hash_api_key,
    new_id,
)
from web.app import request_keys, services
from web.errors import ApiError, from_validation

__all__ = [
    "Acknowledge",
    "IntegrationView",
    "Item",
    "Malformed",
    "Resolve",
    "Trigger",
    "authenticate",
    "clip",
    "clip_tags",
    "ingest",
    "instant",
    "invalid",
    "json_path",
    "priority_of",
    "stringify",
    "tags_of",
]

MAX_MESSAGE: Final = 130
MAX_ALIAS: Final = 512
MAX_DESCRIPTION: Final = 15000
MAX_TAGS: Final = 20
MAX_TAG: Final = 50
MAX_DETAILS: Final = 8000
MAX_ENTITY: Final = 512
MAX_SOURCE: Final = 100

_SEVERITY: Final = {
    "critical": "P1",
    "fatal": "P1",
    "emergency": "P1",
    "alert": "P1",
    "page": "P1",
    "high": "P2",
    "error": "P2",
    "major": "P2",
    "warning": "P3",
    "warn": "P3",
    "medium": "P3",
    "moderate": "P3",
    "minor": "P4",
    "low": "P4",
    "info": "P5",
    "informational": "P5",
    "none": "P5",
}


@dataclass(frozen=True)
class Trigger:
    """Create an alert, or count one more occurrence of the open one with ``alias``."""

    message: str
    alias: str
    source: str
    description: str = ""
    priority: str = "P3"
    tags: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict)
    entity: str = ""
    starts_at: datetime | None = None  # when the sender says this episode began


@dataclass(frozen=True)
class Resolve:
    """Close the open alert with ``alias`` (a no-op if there is none)."""

    alias: str
    source: str
    ends_at: datetime | None = None  # when the sender says the episode ended


@dataclass(frozen=True)
class Acknowledge:
    """Acknowledge the open alert with ``alias`` (a no-op if there is none)."""

    alias: str
    source: str


@dataclass(frozen=True)
class Malformed:
    """An item that cannot be mapped; reported, never submitted.

    ``field`` is the offending field's path inside the item (``labels.severity``), ``""``
    for the item as a whole.
    """

    message: str
    field: str = ""


Item = Trigger | Resolve | Acknowledge | Malformed


@dataclass(frozen=True)
class IntegrationView:
    """An integration as the webhooks need it, copied out of the org state."""

    org_id: str
    id: str
    name: str
    kind: str
    team: str
    priority_label: str
    mapping: FieldMapping
    enabled: bool


# -- pure helpers ------------------------------------------------------------------------


def clip(value: str, limit: int) -> str:
    """``value`` stripped and cut to ``limit`` characters."""
    return value.strip()[:limit]


def priority_of(value: object) -> str:
    """A severity word or ``P1``..``P5`` (any case) as a priority; anything else is P3."""
    text = str(value).strip() if value is not None else ""
    if text.upper() in {"P1", "P2", "P3", "P4", "P5"}:
        return text.upper()
    return _SEVERITY.get(text.lower(), "P3")


def stringify(value: object) -> str:
    """A detail value as text: strings as they are, other JSON as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def tags_of(pairs: dict[str, str], *, skip: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Sorted ``key:value`` tags of ``pairs`` (minus ``skip``), clipped to Opsgenie's limits."""
    tags = [clip(f"{k}:{v}", MAX_TAG) for k, v in sorted(pairs.items()) if k not in skip]
    return tuple(dict.fromkeys(t for t in tags if t))[:MAX_TAGS]


def clip_tags(tags: list[str]) -> tuple[str, ...]:
    """Non-empty, de-duplicated tags clipped to Opsgenie's limits."""
    clipped = (clip(t, MAX_TAG) for t in tags)
    return tuple(dict.fromkeys(t for t in clipped if t))[:MAX_TAGS]


def clip_details(details: dict[str, str]) -> dict[str, str]:
    """Details with non-empty keys, keeping entries in order while they fit 8,000 characters."""
    out: dict[str, str] = {}
    used = 0
    for key, value in details.items():
        key = key.strip()[:MAX_DETAILS]
        if not key:
            continue
        room = MAX_DETAILS - used - len(key)
        if room < 0:
            break
        out[key] = value[:room]
        used += len(key) + len(out[key])
    return out


def instant(text: str) -> datetime | None:
    """A sender's RFC 3339 timestamp (UTC when it has no offset); ``None`` when empty,
    unparsable or Go's zero time (``0001-01-01T00:00:00Z``, a firing alert's ``endsAt``)."""
    try:
        value = msgspec.convert(text.strip(), datetime) if text.strip() else None
    except msgspec.ValidationError:
        return None
    if value is None or value.year <= 1:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def invalid(error: msgspec.ValidationError) -> Malformed:
    """The ``Malformed`` of an item msgspec refused: its message, and the field it names."""
    refused = from_validation(error)
    where = refused.field or ""
    message = refused.message.removeprefix(f"{where}: ") if where else refused.message
    return Malformed(message, where)


def json_path(item: str, field: str) -> str:
    """``field`` (a path inside an item) under the item's own path: ``alerts[3].labels``."""
    if not field or not item:
        return item or field
    return f"{item}{field}" if field.startswith("[") else f"{item}.{field}"


def trigger(
    *,
    message: str,
    alias: str,
    source: str,
    description: str = "",
    priority: str = "P3",
    tags: tuple[str, ...] = (),
    details: dict[str, str] | None = None,
    entity: str = "",
    starts_at: datetime | None = None,
    message_field: str = "",
    alias_field: str = "",
) -> Item:
    """A ``Trigger`` with every field clipped; ``Malformed`` without a message or alias.

    ``message_field`` and ``alias_field`` name where the format reads them, for the report.
    """
    message, alias = clip(message, MAX_MESSAGE), clip(alias, MAX_ALIAS)
    if not message:
        return Malformed("the alert has no message", message_field)
    if not alias:
        return Malformed("the alert has no alias", alias_field)
    return Trigger(
        message=message,
        alias=alias,
        source=clip(source, MAX_SOURCE),
        description=description[:MAX_DESCRIPTION],
        priority=priority,
        tags=tags,
        details=clip_details(details or {}),
        entity=clip(entity, MAX_ENTITY),
        starts_at=starts_at,
    )


def command_of(item: Item, integration: IntegrationView) -> Command | None:
    """The command an item becomes for ``integration`` (``None`` for a malformed item)."""
    match item:
        case Trigger():
            team = (Responder(type="team", id=integration.team),) if integration.team else ()
            return CreateAlert(
                alert_id=new_id(),
                message=item.message,
                alias=item.alias,
                description=item.description,
                tags=item.tags,
                details=item.details,
                entity=item.entity,
                source=item.source,
                priority=item.priority,
                responders=team,
                integration=Integration(
                    id=integration.id, name=integration.name, type=integration.kind
                ),
                starts_at=item.starts_at,
            )
        case Resolve():
            return CloseAlertByAlias(
                alias=clip(item.alias, MAX_ALIAS),
                integration_id=integration.id,
                source=clip(item.source, MAX_SOURCE),
                ends_at=item.ends_at,
            )
        case Acknowledge():
            return AcknowledgeAlertByAlias(
                alias=clip(item.alias, MAX_ALIAS),
                integration_id=integration.id,
                source=clip(item.source, MAX_SOURCE),
            )
        case Malformed():
            return None


# -- request plumbing ----------------------------------------------------------------------


def request_key(path_key: str | None) -> str:
    """The ingestion key: URL path, then ``Authorization`` (Bearer, GenieKey, Basic), then
    the ``apiKey``/``key`` query parameter."""
    if path_key:
        return path_key
    keys = request_keys()
    return keys[0] if keys else request.args.get("key", "")


async def authenticate(kind: str, key: str) -> IntegrationView:
    """The enabled integration of type ``kind`` that ``key`` opens; 401 / 403 otherwise."""
    if not key:
        raise ApiError(401, "unauthorized", "missing integration key")
    entry = services().directory.lookup_integration(hash_api_key(key))
    if entry is None:
        raise ApiError(401, "unauthorized", "invalid integration key")
    g.org_id = entry.org_id
    services().extra["limits"].check_ingest(entry.integration_id)

    def view(state: OrgState) -> IntegrationView | None:
        record = state.integrations.integrations.get(entry.integration_id)
        if record is None:
            return None
        return IntegrationView(
            org_id=entry.org_id,
            id=record.id,
            name=record.name,
            kind=record.type,
            team=record.team,
            priority_label=record.priority_label,
            mapping=record.mapping,
            enabled=record.enabled,
        )

    integration = await services().supervisor.read(entry.org_id, view)
    if integration is None:
        raise ApiError(401, "unauthorized", "invalid integration key")
    if not integration.enabled:
        raise ApiError(403, "integration_disabled", f"integration {integration.name!r} is disabled")
    if integration.kind != kind:
        raise ApiError(
            403,
            "integration_type_mismatch",
            f"this key belongs to a {integration.kind!r} integration, not {kind!r}",
        )
    return integration


async def ingest(
    integration: IntegrationView, items: list[Item], paths: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Submit the valid items as one group commit; per-item results in the items' order.

    ``paths`` are the items' JSON paths in the payload (``alerts[0]``, ...; none for a
    payload that is one item), named by rejected items.
    """
    commands = [command_of(item, integration) for item in items]
    valid = [c for c in commands if c is not None]
    ctx = CommandContext(
        principal_kind="integration",
        principal_id=integration.id,
        request_id=g.request_id,
        remote_addr=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", "")[:200],
    )
    outcomes = iter(
        await services().supervisor.submit_many(integration.org_id, valid, ctx) if valid else []
    )
    results: list[dict[str, Any]] = []
    for index, (item, command) in enumerate(zip(items, commands, strict=True)):
        path = paths[index] if index < len(paths) else ""
        if command is None:
            assert isinstance(item, Malformed)
            where = json_path(path, item.field)
            results.append(_rejected(index, None, "invalid_item", where, item.message))
            continue
        outcome = next(outcomes)
        alias = getattr(item, "alias", "")
        if isinstance(outcome, Outcome):
            results.append(_accepted(index, alias, outcome, isinstance(item, Resolve)))
        else:
            results.append(_rejected(index, alias, outcome.code, path, outcome.message))
    return results


def _rejected(index: int, alias: str | None, code: str, where: str, message: str) -> dict[str, Any]:
    """A rejected item: its index, alias (once known), code, JSON path and reason."""
    result: dict[str, Any] = {"index": index, "result": "rejected", "code": code}
    if alias is not None:
        result["alias"] = alias
    result.update(field=where, message=message)
    return result


def _accepted(index: int, alias: str, outcome: Outcome, resolve: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"index": index, "alias": alias, "result": outcome.result}
    if outcome.alert_id is not None:
        result["alert_id"] = outcome.alert_id
    if outcome.tiny_id is not None:
        result["tiny_id"] = str(outcome.tiny_id)
    if outcome.result == "stale":
        result["message"] = _STALE_RESOLVE if resolve else _STALE_FIRING
    return result


_STALE_FIRING = "a late firing of an alert episode already resolved: ignored"
_STALE_RESOLVE = "a late resolve of an episode before the open alert's: ignored, it stays open"


def status_of(results: list[dict[str, Any]]) -> int:
    """202 when anything was accepted (or nothing was sent), 422 when every item failed."""
    if results and all(r["result"] == "rejected" for r in results):
        return 422
    return 202
