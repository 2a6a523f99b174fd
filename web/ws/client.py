"""A WebSocket connection as the hub sees it: subscriptions, queued batches, outgoing frames.

The commit listener (``web.ws.hub``) appends shared ``Batch`` references to a
connection's subscriptions (``offer``); the connection's sender takes them as
frames (``take_frames``): the control frames queued by the receiver (snapshots,
answers) first, then one delta frame per subscription with everything it has
pending coalesced. Synchronous throughout: the listener, the ticker and the
connection's tasks share these objects within one trio thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, final

import msgspec
import structlog
import trio

from engine import Permission, permissions_of_role
from web.auth.principal import Principal
from web.ws.protocol import Error, Resync, encode, event_frame
from web.ws.topics import Batch, View

if TYPE_CHECKING:
    from web.ws.hub import Hub

__all__ = ["FORBIDDEN", "UNAUTHORIZED", "Client", "Subscription"]

log = structlog.get_logger("pulsar.ws")

# WebSocket close codes (4000-4999 are the application's).
UNAUTHORIZED: Final = 4401  # bad, expired or revoked credential
FORBIDDEN: Final = 4403  # authenticated, but may not read / another principal
_MAX_DELTAS_PER_FRAME: Final = 1000


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
        self.flushed_at = -math.inf  # trio time of the last take_frames
        self.sending = False  # the sender is writing frames
        self.done = trio.Event()  # set when a flush the ticker woke it for is written
        self.done.set()
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
            self.hub.mark_dirty(self)

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
        self.flushed_at = trio.current_time()
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
