"""Answering ``subscribe``: a snapshot at a version, or the events missed since one.

Every topic registers its subscription with the hub *inside* the
``supervisor.read`` that takes its snapshot, so the snapshot's version V and
the first delta the subscription receives (V + 1) meet without a gap or an
overlap (``web.ws.hub``).

A resume (``since``) of the ``alerts``, ``alert``, ``heartbeats`` or ``changes`` topic
within ``ws_replay_limit`` events of V is answered from the log: one ``event``
frame per missed event that concerns the subscription, carrying the alert (or
heartbeat) as it is now (``changes``: the area and id), then ``caught_up``.
Further behind (or ahead, or another topic): a fresh snapshot.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from werkzeug.datastructures import MultiDict

from engine import AlertPage, OrgState, Permission, PulsarError, list_alerts
from eventstore import Envelope, EventStoreError
from web.api.alerts import alert_query, visible_query
from web.api.heartbeats import heartbeat_out
from web.api.schemas import alert_out, history_entry
from web.app import Services
from web.auth.scope import find_visible_alert
from web.errors import ApiError
from web.ws.client import Client, Subscription
from web.ws.hub import Hub
from web.ws.protocol import (
    AlertData,
    AlertFilter,
    AlertsData,
    AlertsFilter,
    CaughtUp,
    ChangesData,
    ChangesFilter,
    CountsData,
    EmptyFilter,
    Error,
    HeartbeatsData,
    OnCallData,
    Snapshot,
    SnapshotData,
    Subscribe,
    encode,
    event_frame,
)
from web.ws.topics import (
    ALERT_TYPES,
    HEARTBEAT_TYPES,
    AlertsView,
    AlertView,
    Batch,
    Change,
    ChangesView,
    CountsView,
    HeartbeatsView,
    OnCallView,
    Snap,
    change_note,
    counts_of,
    freeze,
    heartbeat_entry,
    schedule_on_call,
)

__all__ = ["SubscribeError", "open_subscription"]

F = TypeVar("F", bound=msgspec.Struct)


class SubscribeError(Exception):
    """A refused ``subscribe``: answered with an ``error`` frame naming the subscription."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.error = Error(code=code, message=message, field=field)


async def open_subscription(svc: Services, hub: Hub, client: Client, frame: Subscribe) -> None:
    """Register ``frame``'s subscription and queue its snapshot or replay on ``client``.

    Raises:
        SubscribeError: a bad filter, an unknown alert, no permission, or the
            organization is unavailable; nothing stays registered.
    """
    if not client.principal.can(Permission.READ):
        raise SubscribeError("forbidden", "this needs the 'read' permission")
    try:
        await _TOPICS[frame.topic](svc, hub, client, frame)
    except (ApiError, PulsarError) as error:
        _drop(hub, client, frame.id)
        raise SubscribeError(error.code, error.message, error.field) from None
    except EventStoreError:
        _drop(hub, client, frame.id)
        raise SubscribeError("unavailable", "the event log is unavailable; retry") from None


def _drop(hub: Hub, client: Client, sub_id: str) -> None:
    sub = client.subs.get(sub_id)
    if sub is not None:
        hub.drop(client, sub)


def _filter(frame: Subscribe, kind: type[F]) -> F:
    try:
        return msgspec.convert(frame.filter, kind)
    except msgspec.ValidationError as error:
        raise SubscribeError("invalid_filter", f"filter: {error}", "filter") from None


def _resumes(frame: Subscribe, version: int, limit: int) -> bool:
    """Whether ``since`` is answered by a replay (else a snapshot)."""
    since = frame.since
    return since is not None and 0 <= since <= version and version - since <= limit


def _ready(client: Client, sub: Subscription, version: int, data: SnapshotData) -> None:
    client.push(encode(Snapshot(id=sub.id, version=version, data=data)))
    sub.ready = True


async def _alerts(svc: Services, hub: Hub, client: Client, frame: Subscribe) -> None:
    query = alert_query(MultiDict(_query_args(_filter(frame, AlertsFilter))))
    key = client.principal

    def view(state: OrgState) -> tuple[Subscription, AlertsData | None]:
        scoped = visible_query(key, state, query)
        sub = Subscription(frame.id, frame.topic, AlertsView(scoped), after=state.version)
        hub.subscribe(client, sub, state)
        if _resumes(frame, state.version, svc.config.ws_replay_limit):
            return sub, None
        page = AlertPage(items=[], next_cursor=None)
        if scoped is not None:
            page = list_alerts(state.alerts, scoped)
        items = [alert_out(a, full=False) for a in page.items]
        return sub, AlertsData(alerts=items, next_cursor=page.next_cursor)

    sub, data = await svc.supervisor.read(key.org_id, view)
    if data is not None:
        _ready(client, sub, sub.after, data)
    else:
        await _replay(svc, client, sub, frame.since or 0, alert_id=None)


def _query_args(flt: AlertsFilter) -> list[tuple[str, str]]:
    """The REST query parameters of ``flt`` (parsed by the same ``alert_query``)."""
    args: list[tuple[str, str]] = []
    for name in ("status", "query", "team", "sort", "order"):
        value = getattr(flt, name)
        if value is not None:
            args.append((name, value))
    if flt.acknowledged is not None:
        args.append(("acknowledged", "true" if flt.acknowledged else "false"))
    for name in ("priority", "tag"):
        value = getattr(flt, name)
        values = [value] if isinstance(value, str) else value or []
        args.extend((name, v) for v in values)
    args.append(("limit", str(flt.limit)))
    return args


async def _alert(svc: Services, hub: Hub, client: Client, frame: Subscribe) -> None:
    flt = _filter(frame, AlertFilter)
    key = client.principal

    def view(state: OrgState) -> tuple[Subscription, Any]:
        alert = find_visible_alert(key, state.alerts, flt.id, flt.identifier_type)
        sub = Subscription(frame.id, frame.topic, AlertView(alert.id), after=state.version)
        hub.subscribe(client, sub, state)
        if _resumes(frame, state.version, svc.config.ws_replay_limit):
            return sub, None
        return sub, alert_out(alert)

    sub, full = await svc.supervisor.read(key.org_id, view)
    assert isinstance(sub.view, AlertView)
    if full is None:
        await _replay(svc, client, sub, frame.since or 0, alert_id=sub.view.alert_id)
        return
    envelopes = await svc.store.read_subject(key.org_id, sub.view.alert_id)
    if sub.dropped:
        return
    history = [history_entry(e) for e in envelopes if e.version <= sub.after]
    _ready(client, sub, sub.after, AlertData(alert=full, history=history))


async def _counts(svc: Services, hub: Hub, client: Client, frame: Subscribe) -> None:
    _filter(frame, EmptyFilter)
    key = client.principal

    def view(state: OrgState) -> tuple[Subscription, CountsData]:
        sub = Subscription(frame.id, frame.topic, CountsView(key.team_id), after=state.version)
        hub.subscribe(client, sub, state)
        counts = counts_of(hub.counts_cells(key.org_id), key.team_id)
        return sub, CountsData(counts=counts)

    sub, data = await svc.supervisor.read(key.org_id, view)
    _ready(client, sub, sub.after, data)


async def _oncall(svc: Services, hub: Hub, client: Client, frame: Subscribe) -> None:
    _filter(frame, EmptyFilter)
    key = client.principal

    def view(state: OrgState) -> tuple[Subscription, OnCallData]:
        sub = Subscription(frame.id, frame.topic, OnCallView(), after=state.version)
        hub.subscribe(client, sub, state)
        records = state.schedules.schedules.values()
        entries = sorted((schedule_on_call(r) for r in records), key=lambda e: e.name.casefold())
        return sub, OnCallData(schedules=entries)

    sub, data = await svc.supervisor.read(key.org_id, view)
    _ready(client, sub, sub.after, data)


async def _heartbeats(svc: Services, hub: Hub, client: Client, frame: Subscribe) -> None:
    _filter(frame, EmptyFilter)
    key = client.principal
    now = svc.clock.now()

    def view(state: OrgState) -> tuple[Subscription, HeartbeatsData | None]:
        sub = Subscription(frame.id, frame.topic, HeartbeatsView(), after=state.version)
        hub.subscribe(client, sub, state)
        if _resumes(frame, state.version, svc.config.ws_replay_limit):
            return sub, None
        beats = sorted(state.heartbeats.heartbeats.values(), key=lambda h: h.name)
        return sub, HeartbeatsData(heartbeats=[heartbeat_out(h, now) for h in beats])

    sub, data = await svc.supervisor.read(key.org_id, view)
    if data is not None:
        _ready(client, sub, sub.after, data)
        return
    envelopes = await _missed(svc, client, sub, frame.since or 0)
    relevant = [e for e in envelopes if e.type in HEARTBEAT_TYPES]

    def changes(state: OrgState) -> list[Change]:
        beats, at = state.heartbeats.heartbeats, svc.clock.now()
        return [Change(e, heartbeat=heartbeat_entry(e, beats, at)) for e in relevant]

    found = await svc.supervisor.read(key.org_id, changes) if relevant else []
    if not sub.dropped:
        _replayed(client, sub, frame.since or 0, Batch(sub.after, heartbeat_changes=found))


async def _changes(svc: Services, hub: Hub, client: Client, frame: Subscribe) -> None:
    areas = _filter(frame, ChangesFilter).areas
    key = client.principal
    if areas is not None and "audit" in areas and not key.can(Permission.READ_AUDIT):
        raise SubscribeError("forbidden", "the audit area needs the 'audit:read' permission")
    # The principal as it is at delivery: a role change while subscribed counts.
    changes_view = ChangesView(key.team_id, areas, can=lambda p: client.principal.can(p))

    def view(state: OrgState) -> tuple[Subscription, bool]:
        sub = Subscription(frame.id, frame.topic, changes_view, after=state.version)
        hub.subscribe(client, sub, state)
        return sub, _resumes(frame, state.version, svc.config.ws_replay_limit)

    sub, resumes = await svc.supervisor.read(key.org_id, view)
    if not resumes:
        _ready(client, sub, sub.after, ChangesData(version=sub.after))
        return
    envelopes = await _missed(svc, client, sub, frame.since or 0)

    def changes(state: OrgState) -> list[Change]:
        notes = ((e, change_note(e, state)) for e in envelopes)
        return [Change(e, note=note) for e, note in notes if note is not None]

    found = await svc.supervisor.read(key.org_id, changes) if envelopes else []
    if not sub.dropped:
        _replayed(client, sub, frame.since or 0, Batch(sub.after, note_changes=found))


async def _missed(svc: Services, client: Client, sub: Subscription, since: int) -> list[Envelope]:
    """The organization's events in (since, sub.after]."""
    version = sub.after
    if version <= since:
        return []
    org_id = client.principal.org_id
    return await svc.store.read_stream(org_id, after_version=since, limit=version - since)


def _replayed(client: Client, sub: Subscription, since: int, batch: Batch) -> None:
    """Queue ``batch``'s deltas for ``sub`` after ``since`` as ``event`` frames, then
    ``caught_up``; live deltas (after ``sub.after``) follow."""
    deltas = sub.view.deltas([batch], since)
    for delta in deltas:
        client.outbox.append(event_frame(sub.id, [delta]))
    client.push(encode(CaughtUp(id=sub.id, version=sub.after, replayed=len(deltas))))
    sub.ready = True


async def _replay(
    svc: Services, client: Client, sub: Subscription, since: int, *, alert_id: str | None
) -> None:
    """Queue one ``event`` frame per alert event in (since, sub.after] that concerns
    ``sub``, then ``caught_up``; live deltas (after ``sub.after``) follow."""
    org_id = client.principal.org_id
    version = sub.after
    envelopes = await _missed(svc, client, sub, since)
    relevant = [
        e
        for e in envelopes
        if e.type in ALERT_TYPES and (alert_id is None or e.subject == alert_id)
    ]
    ids = {e.subject or "" for e in relevant}

    def snaps(state: OrgState) -> dict[str, Snap]:
        live = state.alerts.alerts
        return {i: Snap(i, freeze(a) if (a := live.get(i)) is not None else None) for i in ids}

    now = await svc.supervisor.read(org_id, snaps) if ids else {}
    if sub.dropped:
        return
    batch = Batch(version, [Change(e, snap=now[e.subject or ""]) for e in relevant])
    _replayed(client, sub, since, batch)


_TOPICS = {
    "alerts": _alerts,
    "alert": _alert,
    "counts": _counts,
    "oncall": _oncall,
    "heartbeats": _heartbeats,
    "changes": _changes,
}
