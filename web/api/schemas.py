"""JSON request and response shapes of the native alert API (msgspec Structs).

Field names follow Opsgenie's (camelCase) so people migrating read the same
words in both APIs. Unknown request fields are ignored; wrong types are 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

from engine import Alert, Event, Integration, Note, Responder, decode_event, decode_meta
from eventstore import Envelope

__all__ = [
    "ActionRequest",
    "AlertIntegration",
    "AlertOut",
    "AssignRequest",
    "CreateAlertRequest",
    "DescriptionRequest",
    "DetailsRequest",
    "EscalateRequest",
    "HistoryActor",
    "HistoryEntry",
    "MessageRequest",
    "NoteRequest",
    "PriorityRequest",
    "RecipientIn",
    "ResponderRequest",
    "SnoozeRequest",
    "TagsRequest",
    "alert_out",
    "history_entry",
]


@final
class RecipientIn(msgspec.Struct, kw_only=True):
    type: str = ""
    id: str = ""
    name: str = ""
    username: str = ""

    def to_responder(self, default_type: str = "") -> Responder:
        """Without ``type``: a ``username`` is a user, else ``default_type``; ``""`` has the
        engine resolve the id or name against the organization (``engine.org.responders``)."""
        ident = (self.id or self.name or self.username).strip()
        kind = self.type or ("user" if self.username else default_type)
        return Responder(type=kind, id=ident)


class ActionRequest(msgspec.Struct, kw_only=True):
    user: str = ""
    source: str = ""
    note: str = ""


@final
class CreateAlertRequest(msgspec.Struct, kw_only=True):
    message: str
    alias: str = ""
    description: str = ""
    responders: list[RecipientIn] = []
    visibleTo: list[RecipientIn] = []
    actions: list[str] = []
    tags: list[str] = []
    details: dict[str, str] = {}
    entity: str = ""
    source: str = ""
    priority: str = "P3"
    user: str = ""
    note: str = ""


@final
class SnoozeRequest(ActionRequest, kw_only=True):
    endTime: datetime


@final
class AssignRequest(ActionRequest, kw_only=True):
    owner: RecipientIn


@final
class EscalateRequest(ActionRequest, kw_only=True):
    escalation: RecipientIn


@final
class ResponderRequest(ActionRequest, kw_only=True):
    responder: RecipientIn


@final
class NoteRequest(ActionRequest, kw_only=True):
    pass


@final
class TagsRequest(ActionRequest, kw_only=True):
    tags: list[str]


@final
class DetailsRequest(ActionRequest, kw_only=True):
    details: dict[str, str]


@final
class PriorityRequest(ActionRequest, kw_only=True):
    priority: str


@final
class MessageRequest(ActionRequest, kw_only=True):
    message: str


@final
class DescriptionRequest(ActionRequest, kw_only=True):
    description: str


@final
class NoteOut(msgspec.Struct, kw_only=True, rename="camel"):
    note: str
    owner: str
    created_at: datetime


@final
class AlertIntegration(msgspec.Struct, kw_only=True):
    """The integration an alert came through (Opsgenie's ``{"id", "name", "type"}``):
    an API key or ``api``/``opsgenie`` integration key is type ``API``, a webhook
    integration its kind (``alertmanager``, ``grafana``, ...)."""

    id: str
    name: str
    type: str


@final
class AlertOut(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True):
    id: str
    tiny_id: str
    alias: str
    message: str
    status: str
    acknowledged: bool
    snoozed: bool
    count: int
    created_at: datetime
    updated_at: datetime
    last_occurred_at: datetime
    source: str
    owner: str
    priority: str
    tags: list[str]
    responders: list[Responder]
    report: dict[str, int | str]
    description: str = ""
    details: dict[str, str] = {}
    entity: str = ""
    actions: list[str] = []
    notes: list[NoteOut] = []
    snoozed_until: datetime | None = None
    # Always set (``null``: created by a user or the system), so always in the JSON; the
    # UNSET default only keeps it optional in the generated TypeScript for older fixtures.
    integration: AlertIntegration | msgspec.UnsetType | None = msgspec.UNSET


def alert_out(alert: Alert, *, full: bool = True) -> AlertOut:
    """The JSON shape of ``alert``; list items (``full=False``) omit the bulky fields."""
    report = {k: v for k, v in msgspec.structs.asdict(alert.report).items() if v is not None}
    out = AlertOut(
        id=alert.id,
        tiny_id=str(alert.tiny_id),
        alias=alert.alias,
        message=alert.message,
        status=alert.status,
        acknowledged=alert.acknowledged,
        snoozed=alert.snoozed,
        snoozed_until=alert.snoozed_until,
        count=alert.count,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        last_occurred_at=alert.last_occurred_at,
        source=alert.source,
        owner=alert.owner,
        priority=alert.priority,
        tags=list(alert.tags),
        responders=list(alert.responders),
        report={_camel(k): v for k, v in report.items()},
        integration=_integration(alert.integration),
    )
    if full:
        out.description, out.details, out.entity = (
            alert.description,
            dict(alert.details),
            alert.entity,
        )
        out.actions = list(alert.actions)
        out.notes = [_note(n) for n in alert.notes]
    return out


def _integration(integration: Integration | None) -> AlertIntegration | None:
    if integration is None:
        return None
    return AlertIntegration(id=integration.id, name=integration.name, type=integration.type)


def _note(note: Note) -> NoteOut:
    return NoteOut(note=note.note, owner=note.owner, created_at=note.created_at)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@final
class HistoryActor(msgspec.Struct, frozen=True, kw_only=True):
    """Who caused an event: ``kind`` is ``user``, ``api_key``, ``integration`` or ``system``."""

    kind: str
    id: str


@final
class HistoryEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One event of an alert's history, from the log (``GET /alerts/{id}/history``)."""

    version: int
    type: str
    recorded_at: datetime
    event: Event
    actor: HistoryActor
    request_id: str
    remote_addr: str


def history_entry(envelope: Envelope) -> HistoryEntry:
    """The history entry of one logged event: the event and who caused it, from where."""
    meta = decode_meta(envelope)
    return HistoryEntry(
        version=envelope.version,
        type=envelope.type,
        recorded_at=envelope.recorded_at,
        event=decode_event(envelope),
        actor=HistoryActor(kind=meta.principal_kind, id=meta.principal_id),
        request_id=meta.request_id,
        remote_addr=meta.remote_addr,
    )
