"""The WebSocket hub: committed batches in, per-connection bounded queues out.

The hub is a commit listener of the org supervisor (``web.server`` wires it).
The actor calls it after every committed batch, before its next checkpoint,
with the batch's envelopes and the state after it. The listener never blocks:
for an organization with subscribers it builds one shared ``Batch``
(``web.ws.topics``: O(batch) copies of the touched alerts, the counts,
on-call, heartbeat and configuration (``changes``) notes — each part only
while a subscription of its topic exists) and appends a reference to it to each interested
subscription's queue. Everything per subscriber — filtering, encoding,
sending — happens in the connection's own sender task (``web.ws.connection``).

Ticks: the listener only marks a connection dirty; the hub's ticker task
(``run``) wakes the dirty connections' senders every ``ws_tick`` seconds, so
the HTTP answers of the writes go out before the fan-out starts, and a
connection's pending events leave as one frame per subscription. A connection
is woken at most once per ``interval()``: ``ws_tick``, or longer when there
are more subscribed connections than ``ws_frame_rate`` frames per second
allow (1,000 connections at 10,000 frames/s: every 100 ms), or than writing
to every subscribed connection takes (measured, smoothed: the rule that sets
the pace on a slow machine). Sending a frame costs far more than the bytes in
it, so under load events are coalesced rather than queued behind each other.
Senders are woken in waves of 32 so that HTTP requests keep their turn
(``_release``); a sender still writing (a slow or stuck peer) is skipped, and
a wave waits for it at most 50 ms.

Bounded and never blocking: a connection whose queued events exceed
``ws_queue_size`` gets a ``resync`` frame for each subscription and its queue
is dropped (the client subscribes again with ``since``). An organization
without subscribers costs one dict lookup per batch.

Gap-free: a subscription is registered inside a ``supervisor.read`` (which
runs on committed state at version V, after the listener saw every batch up
to V) and takes only events after V. A batch whose first version does not
follow the last one seen (an append that committed but whose actor crashed
before publishing) resyncs the organization's subscriptions.

Revocation: access events of a connected organization (``ApiKeyRevoked``,
``MemberRemoved``, ``MemberRoleChanged``, ``OrganizationDeleted``) and
``SessionFamilyRevoked`` of the identity stream close the connections they
concern at once, without waiting for the periodic re-check.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final, final

import msgspec
import structlog
import trio

from engine import (
    IDENTITY_STREAM,
    ApiKeyRevoked,
    MemberRemoved,
    MemberRoleChanged,
    OrganizationDeleted,
    OrgState,
    SessionFamilyRevoked,
    decode_event,
)
from eventstore import Envelope
from web.auth.principal import Principal
from web.config import Config
from web.ws.client import UNAUTHORIZED, Client, Subscription
from web.ws.protocol import Error
from web.ws.topics import (
    ALERT_TYPES,
    BUSY_AREAS,
    CHANGE_AREAS,
    HEARTBEAT_TYPES,
    ONCALL_TYPES,
    Batch,
    Change,
    ChangesView,
    CountsModel,
    CountsView,
    HeartbeatsView,
    OnCallView,
    Snap,
    change_note,
    freeze,
    heartbeat_entry,
    schedule_on_call,
)

__all__ = ["Hub", "HubStatistics"]

log = structlog.get_logger("pulsar.ws")

_WAVE: Final = 32  # senders woken together by the ticker
_WAVE_TIMEOUT: Final = 0.05  # a wave slower than this no longer holds up the next
_SMOOTHING: Final = 0.2  # weight of the newest release in the frame cost's average
_ACCESS_TYPES: Final = frozenset(
    {"ApiKeyRevoked", "MemberRemoved", "MemberRoleChanged", "OrganizationDeleted"}
)


@final
class HubStatistics(msgspec.Struct, frozen=True, kw_only=True):
    connections: int
    subscriptions: int
    organizations: int
    batches: int
    resyncs: int


@final
class _Channel:
    """An organization's connections and what their subscriptions need from a batch."""

    __slots__ = ("clients", "counts", "last_version", "subs")

    def __init__(self) -> None:
        self.clients: set[Client] = set()
        self.subs: Counter[str] = Counter()  # subscriptions by kind (``_kinds``)
        self.counts: CountsModel | None = None
        self.last_version: int | None = None  # the last version published

    @property
    def subscriptions(self) -> int:
        return sum(n for kind, n in self.subs.items() if ":" not in kind)  # not the areas


# The kind of a subscription's view: what a batch must prepare for it.
_KINDS: Final[dict[type, str]] = {
    CountsView: "counts",
    OnCallView: "oncall",
    HeartbeatsView: "heartbeats",
    ChangesView: "changes",
}


def _kinds(view: object) -> tuple[str, ...]:
    """``alerts`` for the alert list and one-alert topics, else the topic's own kind;
    a ``changes`` subscription also counts as ``changes:<area>`` for each busy area it
    asked for, so that those notes are made only while someone wants them."""
    kind = _KINDS.get(type(view), "alerts")
    if not isinstance(view, ChangesView):
        return (kind,)
    busy = view.areas & BUSY_AREAS | ({"audit"} if view.audit else set())
    return (kind, *(f"changes:{area}" for area in sorted(busy)))


def _note_wanted(subs: Counter[str], event_type: str) -> bool:
    """Whether some ``changes`` subscription may hear of an event of ``event_type``: an
    audit subscription hears of every event; a busy area's note only when asked for."""
    if subs["changes:audit"]:
        return True
    area = CHANGE_AREAS.get(event_type)
    return area is not None and (area not in BUSY_AREAS or subs[f"changes:{area}"] > 0)


@final
class Hub:
    """Fans committed batches out to WebSocket connections; see the module docstring."""

    def __init__(self, config: Config) -> None:
        self.queue_size = config.ws_queue_size
        self.tick = config.ws_tick
        self.frame_rate = config.ws_frame_rate
        self._orgs: dict[str, _Channel] = {}
        self._sessions: dict[str, set[Client]] = {}  # session family -> user connections
        self._dirty: set[Client] = set()  # connections with undelivered events
        self._has_dirty = trio.Event()
        self._subscribed = 0  # connections with at least one subscription
        self._frame_cost = 0.0  # seconds a release takes per connection (smoothed)
        self._next_check = math.inf  # the ticker's next look at waiting connections
        self.batches = 0
        self.resyncs = 0

    # -- the ticker ---------------------------------------------------------------
    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Wake dirty connections' senders a ``tick`` after they become dirty or due
        (runs for the server's life; sleeps while nothing is pending)."""
        task_status.started()
        while True:
            with trio.move_on_at(self._next_check):
                await self._has_dirty.wait()
            self._has_dirty = trio.Event()
            await trio.sleep(self.tick)
            due = self.due(trio.current_time())
            if due:
                started = trio.current_time()
                await self._release(due)
                cost = (trio.current_time() - started) / len(due)
                self._frame_cost += (cost - self._frame_cost) * _SMOOTHING

    async def _release(self, due: list[Client]) -> None:
        """Wake ``due`` senders in waves, each wave done (or late) before the next.

        trio runs every runnable task one step per scheduling round, and an HTTP
        request needs a dozen steps: with a thousand senders runnable at once,
        each of its steps would wait for a thousand sends.
        """
        for start in range(0, len(due), _WAVE):
            wave = due[start : start + _WAVE]
            for client in wave:
                client.done = trio.Event()
                client.wake.set()
            with trio.move_on_after(_WAVE_TIMEOUT):
                for client in wave:
                    if not client.done.is_set():  # (wait() checkpoints even when set)
                        await client.done.wait()

    def interval(self) -> float:
        """The least time between two flushes of one connection (see the module docstring)."""
        budget = self._subscribed / self.frame_rate if self.frame_rate else 0.0
        return max(self.tick, budget, self._subscribed * self._frame_cost)

    def due(self, now: float) -> list[Client]:
        """Take the dirty connections to flush now: last flushed at least ``interval()``
        ago, and not still writing their previous frames (a stuck peer waits alone)."""
        # Half a tick of slack: a connection flushed just after the last tick is due
        # at this one, not one tick later.
        interval = self.interval()
        since = now - interval + self.tick / 2
        due, waiting = [], set()
        next_check = math.inf  # when the first of the waiting ones is due
        for client in self._dirty:
            if not client.weight:
                continue  # nothing left to deliver (flushed meanwhile, or resynced)
            if client.flushed_at <= since and not client.sending:
                due.append(client)
                continue
            waiting.add(client)
            if client.sending:
                next_check = now  # it may finish any moment: look again next tick
            else:
                next_check = min(next_check, client.flushed_at + interval - self.tick)
        self._dirty = waiting
        self._next_check = next_check
        return due

    def mark_dirty(self, client: Client) -> None:
        """``client`` has undelivered events: wake its sender at a coming tick."""
        self._dirty.add(client)
        self._has_dirty.set()

    # -- connections -------------------------------------------------------------
    def attach(self, client: Client) -> None:
        """Register an authenticated connection (revocations reach it from now on)."""
        self._orgs.setdefault(client.principal.org_id, _Channel()).clients.add(client)
        if client.principal.session_id:
            self._sessions.setdefault(client.principal.session_id, set()).add(client)

    def detach(self, client: Client) -> None:
        """Forget a connection and its subscriptions (idempotent)."""
        for sub in list(client.subs.values()):
            self.drop(client, sub)
        self._dirty.discard(client)
        client.done.set()
        channel = self._orgs.get(client.principal.org_id)
        if channel is not None:
            channel.clients.discard(client)
            if not channel.clients:
                del self._orgs[client.principal.org_id]
        session = client.principal.session_id
        if session and session in self._sessions:
            self._sessions[session].discard(client)
            if not self._sessions[session]:
                del self._sessions[session]

    def subscribe(self, client: Client, sub: Subscription, state: OrgState) -> None:
        """Register ``sub`` at ``state.version``; call only inside ``supervisor.read``.

        Batches after that version reach it; the caller queues its snapshot (or
        replay) and then marks it ``ready``.
        """
        channel = self._orgs.get(client.principal.org_id)
        if channel is None or client not in channel.clients:
            sub.dropped = True  # the connection was closed meanwhile
            return
        if channel.last_version is not None and channel.last_version < state.version:
            # Events were committed but never published (the actor crashed after
            # its append): subscriptions already live missed them.
            for other in list(channel.clients):
                if other.subs:
                    other.resync_all("gap")
        channel.last_version = state.version
        if not client.subs:
            self._subscribed += 1
        client.subs[sub.id] = sub
        channel.subs.update(_kinds(sub.view))
        if channel.subs["counts"] and channel.counts is None:
            channel.counts = CountsModel(state.alerts.alerts.values())

    def counts_cells(self, org_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        """The organization's current counts (empty without a ``counts`` subscription)."""
        channel = self._orgs.get(org_id)
        return {} if channel is None or channel.counts is None else channel.counts.cells()

    def update_principal(self, client: Client, principal: Principal) -> None:
        """The connection re-authenticated (same organization and principal)."""
        old = client.principal.session_id
        if old and old in self._sessions and old != principal.session_id:
            self._sessions[old].discard(client)
            if not self._sessions[old]:
                del self._sessions[old]
        client.principal = principal
        if principal.session_id:
            self._sessions.setdefault(principal.session_id, set()).add(client)

    def drop(self, client: Client, sub: Subscription) -> None:
        """Remove ``sub`` (unsubscribe, resync, disconnect); its queue is dropped."""
        if client.subs.get(sub.id) is not sub:
            return
        del client.subs[sub.id]
        if not client.subs:
            self._subscribed -= 1
        sub.dropped = True
        client.weight -= sub.weight
        sub.pending, sub.weight = [], 0
        channel = self._orgs.get(client.principal.org_id)
        if channel is None:
            return
        channel.subs.subtract(_kinds(sub.view))
        if not channel.subs["counts"]:
            channel.counts = None
        if not channel.subscriptions:
            channel.last_version = None

    def statistics(self) -> HubStatistics:
        clients = [c for channel in self._orgs.values() for c in channel.clients]
        return HubStatistics(
            connections=len(clients),
            subscriptions=sum(len(c.subs) for c in clients),
            organizations=len(self._orgs),
            batches=self.batches,
            resyncs=self.resyncs,
        )

    # -- the commit listener -------------------------------------------------------
    def __call__(self, org_id: str, envelopes: Sequence[Envelope], state: OrgState) -> None:
        """Publish one committed batch (the supervisor's ``CommitListener``)."""
        if org_id == IDENTITY_STREAM:
            if self._sessions:
                self._session_revocations(envelopes)
            return
        channel = self._orgs.get(org_id)
        if channel is None:
            return
        self._access_changes(channel, envelopes)
        if not channel.subscriptions or not envelopes:
            return
        if channel.last_version is not None and envelopes[0].version != channel.last_version + 1:
            for client in list(channel.clients):
                if client.subs:
                    client.resync_all("gap")
        channel.last_version = envelopes[-1].version
        batch = self._batch(channel, envelopes, state)
        if batch is None:
            return
        self.batches += 1
        for client in list(channel.clients):
            if client.subs:
                client.offer(batch)

    def _batch(
        self, channel: _Channel, envelopes: Sequence[Envelope], state: OrgState
    ) -> Batch | None:
        alerts = state.alerts.alerts
        snaps: dict[str, Snap] = {}
        alert_changes: list[Change] = []
        oncall_changes: list[Change] = []
        heartbeat_changes: list[Change] = []
        note_changes: list[Change] = []
        touched: set[str] = set()
        subs = channel.subs
        for envelope in envelopes:
            if envelope.type in ALERT_TYPES:
                alert_id = envelope.subject or ""
                touched.add(alert_id)
                if subs["alerts"]:
                    snap = snaps.get(alert_id)
                    if snap is None:
                        live = alerts.get(alert_id)
                        snap = snaps[alert_id] = Snap(alert_id, freeze(live) if live else None)
                    alert_changes.append(Change(envelope, snap=snap))
            elif envelope.type in ONCALL_TYPES and subs["oncall"]:
                schedule_id = str(getattr(decode_event(envelope), "schedule_id", ""))
                record = state.schedules.schedules.get(schedule_id)
                entry = schedule_on_call(record) if record is not None else None
                oncall_changes.append(Change(envelope, schedule=(schedule_id, entry)))
            elif subs["heartbeats"] and envelope.type in HEARTBEAT_TYPES:
                beat = heartbeat_entry(envelope, state.heartbeats.heartbeats)
                heartbeat_changes.append(Change(envelope, heartbeat=beat))
            if subs["changes"] and _note_wanted(subs, envelope.type):
                note_changes.append(Change(envelope, note=change_note(envelope, state)))
        cells = None
        if channel.counts is not None:
            changed = False
            for alert_id in touched:
                changed = channel.counts.update(alert_id, alerts.get(alert_id)) or changed
            cells = channel.counts.cells() if changed else None
        changes = alert_changes or oncall_changes or heartbeat_changes or note_changes
        if not changes and cells is None:
            return None
        return Batch(
            envelopes[-1].version,
            alert_changes,
            oncall_changes,
            cells,
            heartbeat_changes,
            note_changes,
        )

    def _access_changes(self, channel: _Channel, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            if envelope.type not in _ACCESS_TYPES:
                continue
            event = decode_event(envelope)
            for client in list(channel.clients):
                who = client.principal
                match event:
                    case ApiKeyRevoked() if who.kind == "api_key" and who.id == event.key_id:
                        message = "the API key was revoked"
                        client.revoke(UNAUTHORIZED, _error("key_revoked", message))
                    case MemberRemoved() if who.kind == "user" and who.id == event.account_id:
                        message = "you were removed from the organization"
                        client.revoke(UNAUTHORIZED, _error("member_removed", message))
                    case MemberRoleChanged() if who.kind == "user" and who.id == event.account_id:
                        client.role_changed(event.role)
                    case OrganizationDeleted():
                        message = "the organization was deleted"
                        client.revoke(UNAUTHORIZED, _error("organization_deleted", message))

    def _session_revocations(self, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            if envelope.type != "SessionFamilyRevoked":
                continue
            event = decode_event(envelope)
            assert isinstance(event, SessionFamilyRevoked)
            for client in list(self._sessions.get(event.family_id, ())):
                client.revoke(UNAUTHORIZED, _error("session_revoked", "the session was revoked"))


def _error(code: str, message: str) -> Error:
    return Error(code=code, message=message)
