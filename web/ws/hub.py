"""The WebSocket hub: committed batches in, per-connection bounded queues out.

The hub is a commit listener of the org supervisor (``web.server`` wires it).
The actor calls it after every committed batch, before its next checkpoint,
with the batch's envelopes and the state after it. The listener never blocks:
for an organization with subscribers it builds one shared ``Batch``
(``web.ws.topics``: O(batch) copies of the touched alerts, the counts and
on-call changes) and appends a reference to it to each interested
subscription's queue; then it sets the connection's wake-up event. Everything
per subscriber — filtering, encoding, sending — happens in the connection's
own sender task (``web.ws.connection``).

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

from collections.abc import Callable, Sequence
from typing import Final, final

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
    Permission,
    SessionFamilyRevoked,
    decode_event,
    permissions_of_role,
)
from eventstore import Envelope
from web.auth.principal import Principal
from web.config import Config
from web.ws.protocol import Error, Resync, encode, event_frame
from web.ws.topics import (
    ALERT_TYPES,
    ONCALL_TYPES,
    AlertsView,
    AlertView,
    Batch,
    Change,
    CountsModel,
    CountsView,
    OnCallView,
    Snap,
    View,
    freeze,
    schedule_on_call,
)

__all__ = ["Client", "Hub", "HubStatistics", "Subscription"]

log = structlog.get_logger("pulsar.ws")

# WebSocket close codes (4000-4999 are the application's).
UNAUTHORIZED: Final = 4401  # bad, expired or revoked credential
FORBIDDEN: Final = 4403  # authenticated, but may not read / another principal
_ACCESS_TYPES: Final = frozenset(
    {"ApiKeyRevoked", "MemberRemoved", "MemberRoleChanged", "OrganizationDeleted"}
)
_MAX_DELTAS_PER_FRAME: Final = 1000


@final
class HubStatistics(msgspec.Struct, frozen=True, kw_only=True):
    connections: int
    subscriptions: int
    organizations: int
    batches: int
    resyncs: int


@final
class Subscription:
    """One ``subscribe``: its topic's view, queued batches, and where its deltas start."""

    __slots__ = ("after", "dropped", "id", "pending", "ready", "topic", "view", "weight")

    def __init__(self, sub_id: str, topic: str, view: View, after: int) -> None:
        self.id = sub_id
        self.topic = topic
        self.view = view
        self.after = after  # deltas for versions after this one
        self.pending: list[Batch] = []
        self.weight = 0  # deltas ``pending`` may hold
        self.ready = False  # its snapshot or replay is queued: deltas may follow
        self.dropped = False


@final
class Client:
    """A connection as the hub sees it: its principal, subscriptions and outgoing frames.

    All methods are synchronous (no checkpoints); the connection's tasks and the
    listener share it within one trio thread.
    """

    def __init__(
        self,
        hub: Hub,
        principal: Principal,
        *,
        on_close: Callable[[int, Error], None],
    ) -> None:
        self.hub = hub
        self.principal = principal
        self.subs: dict[str, Subscription] = {}
        self.outbox: list[bytes] = []  # control frames (snapshots, answers), in order
        self.wake = trio.Event()
        self.weight = 0  # events queued over all subscriptions
        self._on_close = on_close

    def push(self, frame: bytes) -> None:
        """Queue a control frame (sent before any delta rendered after it)."""
        self.outbox.append(frame)
        self.wake.set()

    def offer(self, batch: Batch) -> None:
        """Queue ``batch`` for the subscriptions it concerns; resync all on overflow."""
        woken = False
        for sub in self.subs.values():
            weight = sub.view.weight(batch)
            if weight:
                sub.pending.append(batch)
                sub.weight += weight
                self.weight += weight
                woken = True
        if self.weight > self.hub.queue_size:
            self.resync_all("overflow")
        elif woken:
            self.wake.set()

    def resync_all(self, reason: str) -> None:
        """Drop every subscription and its queue, telling the client to subscribe again."""
        for sub in list(self.subs.values()):
            self.hub.drop(self, sub)
            self.push(encode(Resync(id=sub.id, reason=reason)))
        self.hub.resyncs += 1
        log.info("ws_resync", org_id=self.principal.org_id, reason=reason)

    def take_frames(self) -> list[bytes]:
        """Everything to send now: queued control frames, then one delta frame per
        subscription with its queued deltas coalesced. Resets the wake-up event."""
        self.wake = trio.Event()
        frames, self.outbox = self.outbox, []
        for sub in self.subs.values():
            if not (sub.ready and sub.pending):
                continue
            deltas = sub.view.deltas(sub.pending, sub.after)
            sub.after = max(sub.after, sub.pending[-1].last)
            self.weight -= sub.weight
            sub.pending, sub.weight = [], 0
            for start in range(0, len(deltas), _MAX_DELTAS_PER_FRAME):
                frames.append(event_frame(sub.id, deltas[start : start + _MAX_DELTAS_PER_FRAME]))
        return frames

    def revoke(self, code: int, error: Error) -> None:
        """Close the connection with ``error`` (the hub saw its credential revoked)."""
        self._on_close(code, error)

    def role_changed(self, role: str) -> None:
        """The user's role changed: new permissions; no read permission closes."""
        permissions = permissions_of_role(role)
        self.principal = msgspec.structs.replace(self.principal, role=role, permissions=permissions)
        if Permission.READ not in permissions:
            self.revoke(FORBIDDEN, Error(code="forbidden", message="your role may not read"))


@final
class _Channel:
    """An organization's connections and what their subscriptions need from a batch."""

    __slots__ = ("alert_subs", "clients", "counts", "counts_subs", "last_version", "oncall_subs")

    def __init__(self) -> None:
        self.clients: set[Client] = set()
        self.alert_subs = 0  # alerts + alert topics
        self.counts_subs = 0
        self.oncall_subs = 0
        self.counts: CountsModel | None = None
        self.last_version: int | None = None  # the last version published

    @property
    def subscriptions(self) -> int:
        return self.alert_subs + self.counts_subs + self.oncall_subs


@final
class Hub:
    """Fans committed batches out to WebSocket connections; see the module docstring."""

    def __init__(self, config: Config) -> None:
        self.queue_size = config.ws_queue_size
        self._orgs: dict[str, _Channel] = {}
        self._sessions: dict[str, set[Client]] = {}  # session family -> user connections
        self.batches = 0
        self.resyncs = 0

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
        channel = self._orgs[client.principal.org_id]
        if channel.last_version is not None and channel.last_version < state.version:
            # Events were committed but never published (the actor crashed after
            # its append): subscriptions already live missed them.
            for other in list(channel.clients):
                if other.subs:
                    other.resync_all("gap")
        channel.last_version = state.version
        client.subs[sub.id] = sub
        if isinstance(sub.view, CountsView):
            if channel.counts is None:
                channel.counts = CountsModel(state.alerts.alerts.values())
            channel.counts_subs += 1
        elif isinstance(sub.view, OnCallView):
            channel.oncall_subs += 1
        else:
            channel.alert_subs += 1

    def drop(self, client: Client, sub: Subscription) -> None:
        """Remove ``sub`` (unsubscribe, resync, disconnect); its queue is dropped."""
        if client.subs.get(sub.id) is not sub:
            return
        del client.subs[sub.id]
        sub.dropped = True
        client.weight -= sub.weight
        sub.pending, sub.weight = [], 0
        channel = self._orgs.get(client.principal.org_id)
        if channel is None:
            return
        if isinstance(sub.view, CountsView):
            channel.counts_subs -= 1
            if not channel.counts_subs:
                channel.counts = None
        elif isinstance(sub.view, OnCallView):
            channel.oncall_subs -= 1
        else:
            channel.alert_subs -= 1
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
        touched: set[str] = set()
        for envelope in envelopes:
            if envelope.type in ALERT_TYPES:
                alert_id = envelope.subject or ""
                touched.add(alert_id)
                if channel.alert_subs:
                    snap = snaps.get(alert_id)
                    if snap is None:
                        live = alerts.get(alert_id)
                        snap = snaps[alert_id] = Snap(alert_id, freeze(live) if live else None)
                    alert_changes.append(Change(envelope, snap=snap))
            elif envelope.type in ONCALL_TYPES and channel.oncall_subs:
                schedule_id = str(getattr(decode_event(envelope), "schedule_id", ""))
                record = state.schedules.schedules.get(schedule_id)
                entry = schedule_on_call(record) if record is not None else None
                oncall_changes.append(Change(envelope, schedule=(schedule_id, entry)))
        cells = None
        if channel.counts is not None:
            changed = False
            for alert_id in touched:
                changed = channel.counts.update(alert_id, alerts.get(alert_id)) or changed
            cells = channel.counts.cells() if changed else None
        if not (alert_changes or oncall_changes or cells is not None):
            return None
        return Batch(envelopes[-1].version, alert_changes, oncall_changes, cells)

    def _access_changes(self, channel: _Channel, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            if envelope.type not in _ACCESS_TYPES:
                continue
            event = decode_event(envelope)
            for client in list(channel.clients):
                who = client.principal
                match event:
                    case ApiKeyRevoked() if who.kind == "api_key" and who.id == event.key_id:
                        client.revoke(UNAUTHORIZED, _error("key_revoked", "the API key was revoked"))
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
