"""Opsgenie request and response shapes (msgspec Structs) and the lenient create mapping.

Ingestion is lenient as Opsgenie clients expect (compat-api.md 1.6, 4.6): over-limit
strings are truncated, a bad priority becomes P3, ``null``/``""`` mean absent, unknown
fields are ignored, responders without ``type`` are resolved by the engine. Wrong JSON *types*
(``"tags": "x"``) are still 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, final

import msgspec

from engine import PRIORITIES, RESPONDER_TYPES, Alert, Integration, Responder
from web.compat.opsgenie.wire import timestamp

__all__ = [
    "ActionIn",
    "AlertOut",
    "AssignIn",
    "BaseAlertOut",
    "CreateIn",
    "DescriptionIn",
    "DetailsIn",
    "EscalateIn",
    "MessageIn",
    "NoteIn",
    "PriorityIn",
    "RecipientIn",
    "ResponderIn",
    "SnoozeIn",
    "TagsIn",
    "TeamIn",
    "alert_out",
    "clean_details",
    "clean_tags",
]

Scalar = str | int | float | bool | None


@final
class RecipientIn(msgspec.Struct, kw_only=True):
    """A responder/recipient: ``type`` may be missing (the Python SDK omits it)."""

    type: str | None = None
    id: str | None = None
    name: str | None = None
    username: str | None = None

    def to_responder(self, default_type: str = "") -> Responder | None:
        """The engine responder; ``None`` when it names nobody.

        A missing or unknown ``type`` is inferred: ``username`` means a user, else
        ``default_type`` (the enclosing field's kind, e.g. ``escalation``), else it stays
        ``""`` and the engine resolves the id or name against the organization
        (``engine.org.responders``).
        """
        ident = (self.id or self.name or self.username or "").strip()
        if not ident:
            return None
        kind = (self.type or "").lower()
        if kind not in RESPONDER_TYPES:
            kind = "user" if self.username else default_type
        return Responder(type=kind, id=ident)


class ActionIn(msgspec.Struct, kw_only=True):
    """``user``/``source``/``note``, accepted by every action."""

    user: str | None = None
    source: str | None = None
    note: str | None = None

    def actor(self) -> dict[str, str]:
        return {"user": (self.user or "")[:100], "source": (self.source or "")[:100]}

    def noted(self) -> dict[str, str]:
        return {**self.actor(), "note": self.note or ""}


@final
class CreateIn(ActionIn, kw_only=True):
    message: str
    alias: str | None = None
    description: str | None = None
    responders: list[RecipientIn] | None = None
    visibleTo: list[RecipientIn] | None = None
    actions: list[str] | None = None
    tags: list[str] | None = None
    details: dict[str, Scalar] | None = None
    entity: str | None = None
    priority: str | None = None


@final
class SnoozeIn(ActionIn, kw_only=True):
    endTime: datetime


@final
class AssignIn(ActionIn, kw_only=True):
    owner: RecipientIn


@final
class EscalateIn(ActionIn, kw_only=True):
    escalation: RecipientIn


@final
class ResponderIn(ActionIn, kw_only=True):
    responder: RecipientIn


@final
class TeamIn(ActionIn, kw_only=True):
    team: RecipientIn


@final
class NoteIn(ActionIn, kw_only=True):
    pass


@final
class TagsIn(ActionIn, kw_only=True):
    tags: list[str]


@final
class DetailsIn(ActionIn, kw_only=True):
    details: dict[str, Scalar]


@final
class PriorityIn(ActionIn, kw_only=True):
    priority: str


@final
class MessageIn(ActionIn, kw_only=True):
    message: str


@final
class DescriptionIn(ActionIn, kw_only=True):
    description: str


def clean_tags(tags: list[str] | None) -> tuple[str, ...]:
    """Stripped, non-empty, truncated to 50 characters, unique, at most 20."""
    unique = dict.fromkeys(t.strip()[:50] for t in tags or () if t.strip())
    return tuple(unique)[:20]


def clean_details(details: dict[str, Scalar] | None) -> dict[str, str]:
    """String values (scalars stringified, ``null`` dropped), within 8000 characters."""
    out: dict[str, str] = {}
    size = 0
    for key, value in (details or {}).items():
        if value is None or not key.strip():
            continue
        text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
        size += len(key) + len(text)
        if size > 8000:
            break
        out[key] = text
    return out


def priority_or_p3(priority: str | None) -> str:
    value = (priority or "").strip().upper()
    return value if value in PRIORITIES else "P3"


def create_fields(body: CreateIn) -> dict[str, Any]:
    """The lenient mapping of a create body to ``CreateAlert`` keyword arguments."""
    responders = [r.to_responder() for r in body.responders or ()]
    return {
        "message": body.message.strip()[:130],
        "alias": (body.alias or "").strip()[:512],
        "description": (body.description or "")[:15000],
        "tags": clean_tags(body.tags),
        "details": clean_details(body.details),
        "entity": (body.entity or "")[:512],
        "priority": priority_or_p3(body.priority),
        "responders": tuple(dict.fromkeys(r for r in responders if r is not None))[:50],
        "actions": tuple(a.strip()[:50] for a in body.actions or () if a.strip())[:10],
        "user": (body.user or "")[:100],
        "note": (body.note or "")[:25000],
    }


@final
class ResponderOut(msgspec.Struct, kw_only=True):
    type: str
    id: str


@final
class IntegrationOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    type: str


class BaseAlertOut(msgspec.Struct, kw_only=True):
    """A list item (OAS ``BaseAlert``); ``UNSET`` fields are left out."""

    id: str
    tinyId: str
    alias: str
    message: str
    status: str
    acknowledged: bool
    isSeen: bool
    seen: bool
    tags: list[str]
    snoozed: bool
    count: int
    lastOccurredAt: str
    createdAt: str
    updatedAt: str
    source: str
    owner: str
    priority: str
    responders: list[ResponderOut]
    report: dict[str, int | str]
    snoozedUntil: str | msgspec.UnsetType = msgspec.UNSET
    integration: IntegrationOut | msgspec.UnsetType = msgspec.UNSET


@final
class AlertOut(BaseAlertOut, kw_only=True):
    """One alert (OAS ``Alert``): a list item plus its bulky fields."""

    actions: list[str]
    entity: str
    description: str
    details: dict[str, str]


def _report(alert: Alert) -> dict[str, int | str]:
    report = alert.report
    fields = {
        "ackTime": report.ack_time,
        "closeTime": report.close_time,
        "acknowledgedBy": report.acknowledged_by,
        "closedBy": report.closed_by,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _integration(integration: Integration | None) -> IntegrationOut | msgspec.UnsetType:
    if integration is None:
        return msgspec.UNSET
    return IntegrationOut(id=integration.id, name=integration.name, type=integration.type)


def _base_fields(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "tinyId": str(alert.tiny_id),
        "alias": alert.alias,
        "message": alert.message,
        "status": alert.status,
        "acknowledged": alert.acknowledged,
        "isSeen": False,
        "seen": False,
        "tags": list(alert.tags),
        "snoozed": alert.snoozed,
        "count": alert.count,
        "lastOccurredAt": timestamp(alert.last_occurred_at),
        "createdAt": timestamp(alert.created_at),
        "updatedAt": timestamp(alert.updated_at),
        "source": alert.source,
        "owner": alert.owner,
        "priority": alert.priority,
        "responders": [
            ResponderOut(type=r.type, id=r.id)
            for r in alert.responders
            if r.id and r.type in RESPONDER_TYPES
        ],
        "report": _report(alert),
        "snoozedUntil": timestamp(alert.snoozed_until)
        if alert.snoozed and alert.snoozed_until
        else msgspec.UNSET,
        "integration": _integration(alert.integration),
    }


def alert_out(alert: Alert, *, full: bool = True) -> BaseAlertOut:
    """The Opsgenie shape of ``alert`` (``full=False``: a list item)."""
    if not full:
        return BaseAlertOut(**_base_fields(alert))
    return AlertOut(
        **_base_fields(alert),
        actions=list(alert.actions),
        entity=alert.entity,
        description=alert.description,
        details=dict(alert.details),
    )
