"""The WebSocket protocol of ``/api/v1/ws``: every frame as a msgspec Struct.

Frames are JSON text frames; each is an object whose ``type`` names it. The
payloads reuse the REST shapes (``AlertOut`` of ``GET /api/v1/alerts``,
``HistoryEntry`` of ``GET /api/v1/alerts/{id}/history``), so a client needs
one set of types for both. README.md ("Live updates") documents the exchange
with an example session; this module is its single source of truth.

Client -> server: ``auth`` (first frame, and again whenever the token is
refreshed), ``subscribe``, ``unsubscribe``, ``ping``, ``pong``.

Server -> client: ``ready``, ``snapshot``, ``event`` (one delta), ``events``
(several deltas coalesced into one frame), ``caught_up`` (end of a resume),
``resync``, ``unsubscribed``, ``error``, ``ping``, ``pong``.

Snapshot ``data`` and deltas carry ``topic`` (``alerts`` | ``alert`` |
``counts`` | ``oncall`` | ``heartbeats`` | ``changes``) so each is decodable on its own.

The hub encodes the hot frames (``event``/``events``) by splicing deltas it
encoded once for every subscriber (``event_frame``); a unit test checks that
the splice is byte-for-byte what encoding the Structs gives.
"""

from __future__ import annotations

from typing import Any, Final, Literal, final, get_args

import msgspec

from web.api.heartbeats import HeartbeatOut
from web.api.schemas import AlertOut, HistoryEntry

__all__ = [
    "CHANGE_AREA_NAMES",
    "TOPICS",
    "AlertChange",
    "AlertData",
    "AlertEntry",
    "AlertFilter",
    "AlertsData",
    "AlertsFilter",
    "Auth",
    "CaughtUp",
    "ChangeArea",
    "ChangeNote",
    "ChangesData",
    "ChangesFilter",
    "ClientFrame",
    "Counts",
    "CountsChange",
    "CountsData",
    "Delta",
    "EmptyFilter",
    "Error",
    "EventFrame",
    "EventsFrame",
    "HeartbeatChange",
    "HeartbeatsData",
    "OnCallChange",
    "OnCallData",
    "Ping",
    "Pong",
    "PrincipalOut",
    "Ready",
    "Resync",
    "ScheduleOnCall",
    "ServerFrame",
    "Snapshot",
    "SnapshotData",
    "Subscribe",
    "Tally",
    "Unsubscribe",
    "Unsubscribed",
    "decode_client_frame",
    "encode",
    "event_frame",
]

Topic = Literal["alerts", "alert", "counts", "oncall", "heartbeats", "changes"]
TOPICS: Final = ("alerts", "alert", "counts", "oncall", "heartbeats", "changes")
# What a ``changes`` note is about: a configuration list, members, an alert's paging
# (on request), or — for ``audit`` only — any event of the log (on request).
ChangeArea = Literal[
    "maintenance",
    "teams",
    "members",
    "api-keys",
    "integrations",
    "escalation-policies",
    "schedules",
    "routing-rules",
    "paging",
    "audit",
]
CHANGE_AREA_NAMES: Final[tuple[str, ...]] = get_args(ChangeArea)


class _Frame(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every frame: tagged by ``type``."""


# -- client -> server ------------------------------------------------------------------


@final
class Auth(_Frame, frozen=True, kw_only=True, tag="auth"):
    """The first frame, and a refreshed credential later: an access token or an API key."""

    token: str


@final
class Subscribe(_Frame, frozen=True, kw_only=True, tag="subscribe"):
    """Subscribe to ``topic`` under the client-chosen ``id`` (unique per connection).

    ``filter`` is topic-specific (``AlertsFilter``, ``AlertFilter``,
    ``ChangesFilter``, or empty).
    ``since``: the last version the client saw; the answer is then the missed
    events (and ``caught_up``) instead of a snapshot when the gap is small.
    """

    id: str
    topic: Topic
    filter: dict[str, Any] = {}
    since: int | None = None


@final
class Unsubscribe(_Frame, frozen=True, kw_only=True, tag="unsubscribe"):
    id: str


@final
class Ping(_Frame, frozen=True, kw_only=True, tag="ping"):
    """Keep-alive, either way; the other side answers ``pong``."""


@final
class Pong(_Frame, frozen=True, kw_only=True, tag="pong"):
    """The answer to ``ping``."""


ClientFrame = Auth | Subscribe | Unsubscribe | Ping | Pong


@final
class AlertsFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The ``alerts`` topic's filter: the query parameters of ``GET /api/v1/alerts``.

    ``priority`` and ``tag`` take a list or a comma-separated string. ``limit``
    (1-100) bounds the snapshot only; deltas cover every matching alert.
    """

    status: Literal["open", "closed"] | None = None
    acknowledged: bool | None = None
    priority: list[str] | str | None = None
    tag: list[str] | str | None = None
    query: str | None = None
    team: str | None = None
    sort: str = "createdAt"
    order: str = "desc"
    limit: int = 20


@final
class AlertFilter(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, rename="camel"
):
    """The ``alert`` topic's filter: which alert (``identifierType`` as in REST)."""

    id: str
    identifier_type: Literal["id", "tiny", "alias"] = "id"


@final
class ChangesFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The ``changes`` topic's filter: the areas to be told of (absent: every
    configuration area and ``members``; ``paging`` and ``audit`` only when named)."""

    areas: list[ChangeArea] | None = None


@final
class EmptyFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``counts``, ``oncall`` and ``heartbeats`` take no filter (``{}``)."""


# -- payloads -----------------------------------------------------------------------


@final
class Tally(msgspec.Struct, frozen=True, kw_only=True):
    """Open alerts, and those of them not acknowledged."""

    open: int
    unacked: int


@final
class Counts(msgspec.Struct, frozen=True, kw_only=True):
    """The dashboard's counts of open alerts: in all, by priority (P1-P5 always present)
    and by team id (teams with at least one open alert)."""

    open: int
    unacked: int
    priority: dict[str, Tally]
    team: dict[str, Tally]


@final
class ScheduleOnCall(msgspec.Struct, frozen=True, kw_only=True):
    """Who is on call now in one schedule (``users``) and through which rotations or
    overrides (``sources``)."""

    schedule_id: str
    name: str
    enabled: bool
    owner_team: str | None
    users: list[str]
    sources: list[str]


class _Data(msgspec.Struct, frozen=True, kw_only=True, tag_field="topic"):
    """Base of snapshot data and deltas: tagged by ``topic``."""


@final
class AlertsData(_Data, frozen=True, kw_only=True, tag="alerts"):
    """The first page of the filtered list; older pages through REST with ``next_cursor``."""

    alerts: list[AlertOut]
    next_cursor: str | None


@final
class AlertData(_Data, frozen=True, kw_only=True, tag="alert"):
    """One alert in full, and its history up to the snapshot's version."""

    alert: AlertOut
    history: list[HistoryEntry]


@final
class CountsData(_Data, frozen=True, kw_only=True, tag="counts"):
    counts: Counts


@final
class OnCallData(_Data, frozen=True, kw_only=True, tag="oncall"):
    """Every schedule's current on-call set, by schedule name."""

    schedules: list[ScheduleOnCall]


@final
class HeartbeatsData(_Data, frozen=True, kw_only=True, tag="heartbeats"):
    """Every heartbeat of the organization, by name (``GET /api/v1/heartbeats``'s items)."""

    heartbeats: list[HeartbeatOut]


@final
class ChangesData(_Data, frozen=True, kw_only=True, tag="changes"):
    """The ``changes`` topic has no state: only the version notifications follow."""

    version: int


SnapshotData = AlertsData | AlertData | CountsData | OnCallData | HeartbeatsData | ChangesData


@final
class AlertChange(_Data, frozen=True, kw_only=True, tag="alerts"):
    """An event about an alert, for the alert list: upsert ``alert`` by id, or — when
    ``alert`` is null — remove ``alert_id`` (``deleted``: it is gone, else it stopped
    matching the filter). ``alert`` is the alert as of the event's batch."""

    version: int
    type: str
    alert_id: str
    alert: AlertOut | None
    deleted: bool


@final
class AlertEntry(_Data, frozen=True, kw_only=True, tag="alert"):
    """An event of the subscribed alert: the alert in full (null once deleted) and the
    history entry to append."""

    version: int
    type: str
    alert_id: str
    alert: AlertOut | None
    deleted: bool
    entry: HistoryEntry


@final
class CountsChange(_Data, frozen=True, kw_only=True, tag="counts"):
    """The new counts (sent only when they changed; replaces the old value)."""

    version: int
    counts: Counts


@final
class OnCallChange(_Data, frozen=True, kw_only=True, tag="oncall"):
    """A schedule's new on-call entry (upsert by ``schedule_id``; null: deleted)."""

    version: int
    type: str
    schedule_id: str
    oncall: ScheduleOnCall | None


@final
class HeartbeatChange(_Data, frozen=True, kw_only=True, tag="heartbeats"):
    """An event about a heartbeat: upsert ``heartbeat`` by ``name``, or — when it is
    null — remove ``name`` (deleted). ``heartbeat`` is as of the event's batch, its
    ``expired`` as of the event's time."""

    version: int
    type: str
    name: str
    heartbeat: HeartbeatOut | None


@final
class ChangeNote(_Data, frozen=True, kw_only=True, tag="changes"):
    """Something of ``area`` changed: a configuration list (``maintenance``,
    ``teams``, ``api-keys``, ``integrations``, ``escalation-policies``, ``schedules``,
    ``routing-rules``), the members and invitations (``members``), an alert's paging
    (``paging``, ``id``: the alert's), or the log itself (``audit``: events up to
    ``version``, ``id`` null): refetch over REST. ``id``: the subject's id, when the
    event has one. Ids only, never the data (no secrets, REST applies the scoping)."""

    version: int
    area: ChangeArea
    id: str | None


Delta = AlertChange | AlertEntry | CountsChange | OnCallChange | HeartbeatChange | ChangeNote


# -- server -> client ----------------------------------------------------------------


@final
class PrincipalOut(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # user | api_key
    id: str
    name: str


@final
class Ready(_Frame, frozen=True, kw_only=True, tag="ready"):
    """Authenticated (first ``auth``) or re-authenticated (a later ``auth``)."""

    org_id: str
    principal: PrincipalOut
    permissions: list[str]
    ping_interval: float
    idle_timeout: float


@final
class Snapshot(_Frame, frozen=True, kw_only=True, tag="snapshot"):
    """The subscription's state at the organization's ``version``."""

    id: str
    version: int
    data: SnapshotData


@final
class EventFrame(_Frame, frozen=True, kw_only=True, tag="event"):
    """One delta; ``version`` is the event's."""

    id: str
    version: int
    event: Delta


@final
class EventsFrame(_Frame, frozen=True, kw_only=True, tag="events"):
    """Several deltas in version order; ``version`` is the last one's."""

    id: str
    version: int
    events: list[Delta]


@final
class CaughtUp(_Frame, frozen=True, kw_only=True, tag="caught_up"):
    """A resume (``since``) is complete: ``replayed`` events were sent; the client is at
    ``version`` and live deltas follow."""

    id: str
    version: int
    replayed: int


@final
class Resync(_Frame, frozen=True, kw_only=True, tag="resync"):
    """The subscription is dropped (``reason``: ``overflow`` — the client fell too far
    behind; ``gap`` — the server lost track): subscribe again, with ``since``."""

    id: str
    reason: str


@final
class Unsubscribed(_Frame, frozen=True, kw_only=True, tag="unsubscribed"):
    id: str


@final
class Error(_Frame, frozen=True, kw_only=True, tag="error"):
    """What went wrong (``code`` as in the REST error envelope). With ``id``: that
    subscription was refused; an error before a close explains the close."""

    code: str
    message: str
    id: str | None = None
    field: str | None = None


ServerFrame = (
    Ready
    | Snapshot
    | EventFrame
    | EventsFrame
    | CaughtUp
    | Resync
    | Unsubscribed
    | Error
    | Ping
    | Pong
)

_encoder = msgspec.json.Encoder()
_client_decoder: msgspec.json.Decoder[ClientFrame] = msgspec.json.Decoder(ClientFrame)


def encode(frame: msgspec.Struct) -> bytes:
    """The JSON of ``frame`` (a frame, or a delta to splice with ``event_frame``)."""
    return _encoder.encode(frame)


def decode_client_frame(data: str | bytes) -> ClientFrame:
    """Decode one client frame.

    Raises:
        msgspec.DecodeError: not JSON; ``msgspec.ValidationError``: not a known frame.
    """
    return _client_decoder.decode(data)


def event_frame(sub_id: str, deltas: list[tuple[int, bytes]]) -> bytes:
    """The ``event`` (one delta) or ``events`` (several) frame of pre-encoded deltas.

    Args:
        sub_id: the subscription's id.
        deltas: ``(version, encoded delta)`` in version order, at least one.

    Returns:
        The same bytes as encoding ``EventFrame``/``EventsFrame`` of the decoded deltas.
    """
    head = b'{"type":"event' + (b'","id":' if len(deltas) == 1 else b's","id":')
    version = str(deltas[-1][0]).encode()
    if len(deltas) == 1:
        body = b',"event":' + deltas[0][1]
    else:
        body = b',"events":[' + b",".join(d for _, d in deltas) + b"]"
    return head + _encoder.encode(sub_id) + b',"version":' + version + body + b"}"
