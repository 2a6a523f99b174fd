"""The notifier: delivers every organization's outbox and reports each outcome back.

Design.md decision 7: a page is a committed ``NotificationRequested`` first.
The notifier learns of it from the actor's commit listener (at once) and from
a sweep of every running actor's outbox (after a restart, or when its queue
was full). It delivers each page through a ``Delivery`` and submits the outcome
as a ``RecordDelivery`` command, which becomes ``NotificationDelivered`` or
``NotificationFailed``.

Promises (reliability.md I3, I4, decision 8):

- a page in the outbox is delivered by this process at most once; only a page
  found in the outbox by a sweep that this process never saw requested (it was
  requested before a restart, and may have been sent just before the crash)
  is sent again, with the same notification id and marked possibly duplicated;
- a delivered page whose outcome could not be recorded (database down) is not
  sent again: its outcome is re-submitted until it is recorded;
- ``Delivery.build`` re-checks the committed state first, so a page withdrawn
  meanwhile (acknowledged, closed) is not sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Protocol, final

import msgspec
import structlog
import trio

from engine.context import SYSTEM
from engine.errors import PulsarError
from engine.org import OrgState
from engine.paging import Pending, RecordDelivery
from engine.runtime.supervisor import OrgSupervisor
from eventstore import Envelope

__all__ = ["Delivery", "DeliveryReport", "Notifier"]

log = structlog.get_logger("pulsar.notifier")

_REQUESTED: Final = "NotificationRequested"
_DONE_REMEMBERED: Final = 100_000
_BATCH: Final = 256  # pages built in one actor read, at most


@final
class DeliveryReport(msgspec.Struct, frozen=True, kw_only=True):
    """What ``Delivery.send`` reports: sent or not, with the provider's words."""

    delivered: bool
    detail: str = ""
    provider_ref: str = ""  # the provider's id of the message (Slack "channel:ts")


class Delivery(Protocol):
    """How pages go out, in two steps.

    ``build`` runs inside one actor read shared by a batch of pages (so a burst
    costs one actor visit per batch, not one per page): it returns what to send
    for a page still pending in the committed ``state``, or ``None`` when the
    page was withdrawn meanwhile (nothing is sent and nothing is recorded).
    ``send`` then delivers it, outside the actor.
    """

    def build(self, state: OrgState, pending: Pending, possibly_duplicate: bool) -> object | None:
        """What to send for ``pending`` (pure; runs in the actor)."""
        ...

    async def send(self, outgoing: Any) -> DeliveryReport:
        """Deliver what ``build`` returned."""
        ...


@final
class _Job(msgspec.Struct, frozen=True):
    org_id: str
    pending: Pending
    possibly_duplicate: bool


@final
class Notifier:
    """One per process; ``listener`` goes into the supervisor's listeners."""

    def __init__(
        self,
        supervisor: OrgSupervisor,
        delivery: Delivery,
        *,
        concurrency: int = 32,
        queue_size: int = 10_000,
        sweep_interval: float = 5.0,
    ) -> None:
        self._supervisor = supervisor
        self._delivery = delivery
        self._limiter = trio.CapacityLimiter(concurrency)
        self._send, self._recv = trio.open_memory_channel[_Job](queue_size)
        self._sweep_interval = sweep_interval
        self._seen: set[str] = set()  # requested while this process ran (or taken by a sweep)
        self._done: dict[str, None] = {}  # settled here lately (a sweep may read an older outbox)
        self._overflowed: set[str] = set()  # requested here, dropped unsent (queue full, no read)
        self._unrecorded: dict[str, tuple[str, RecordDelivery]] = {}  # id -> (org, outcome)
        self._wake = trio.Event()
        self.delivered = 0
        self.failed = 0

    # -- the commit listener (never blocks the actor) ----------------------
    def listener(self, org_id: str, envelopes: Sequence[Envelope], state: OrgState) -> None:
        outbox = state.paging.outbox
        for envelope in envelopes:
            if envelope.type != _REQUESTED:
                continue
            for ident, pending in _requested(envelope, outbox):
                self._seen.add(ident)
                self._queue(_Job(org_id, pending, False))

    def _queue(self, job: _Job) -> bool:
        """Queue ``job``; False when the queue is full: the page stays in the outbox and
        a later sweep queues it (bounded memory, I9). Not a wake-up: a full queue
        drains only as deliveries finish, and sweeping sooner would only spin."""
        ident = job.pending.notification_id
        try:
            self._send.send_nowait(job)
        except trio.WouldBlock:
            self._seen.discard(ident)
            if not job.possibly_duplicate:
                self._overflowed.add(ident)  # requested here and never sent: no duplicate
            return False
        self._overflowed.discard(ident)
        return True

    def wake(self) -> None:
        """Sweep now (e.g. once every organization's actor has been started)."""
        self._wake.set()

    # -- the tasks ---------------------------------------------------------
    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Deliver until cancelled: batches of pages built in one actor read per
        organization, each sent by its own task (at most ``concurrency`` at once), and
        the sweep.

        Every page of a batch holds a sending slot before the batch is built, so what
        is sent was read from committed state just before, never while waiting for a
        slot (an acknowledgement meanwhile withdraws it, S74)."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._sweep_loop)
            task_status.started()
            async for job in self._recv:
                await self._limiter.acquire_on_behalf_of(job.pending.notification_id)
                batch = [job, *self._more()]
                for org_id, jobs in _by_org(batch).items():
                    await self._build_and_send(nursery, org_id, jobs)

    def _more(self) -> list[_Job]:
        """Queued jobs that can be sent at once (each takes a free slot)."""
        jobs: list[_Job] = []
        while self._limiter.available_tokens > 0 and len(jobs) < _BATCH:
            try:
                job = self._recv.receive_nowait()
            except trio.WouldBlock:
                break
            self._limiter.acquire_on_behalf_of_nowait(job.pending.notification_id)
            jobs.append(job)
        return jobs

    async def _build_and_send(self, nursery: trio.Nursery, org_id: str, jobs: list[_Job]) -> None:
        build = self._delivery.build

        def read(state: OrgState) -> list[object | None]:
            return [build(state, job.pending, job.possibly_duplicate) for job in jobs]

        try:
            built = await self._supervisor.read(org_id, read)
        except Exception as error:
            # The actor is unavailable (or a bug in ``build``): the pages stay in the
            # outbox and a later sweep brings them back.
            log.warning("delivery_not_built", org_id=org_id, pages=len(jobs), error=repr(error))
            for job in jobs:
                ident = job.pending.notification_id
                self._limiter.release_on_behalf_of(ident)
                self._seen.discard(ident)
                if not job.possibly_duplicate:
                    self._overflowed.add(ident)  # never sent: not a duplicate when swept
            return
        for job, outgoing in zip(jobs, built, strict=True):
            if outgoing is None:
                self._limiter.release_on_behalf_of(job.pending.notification_id)
                self._settled(job.pending.notification_id)
            else:
                nursery.start_soon(self._handle, job, outgoing)

    async def _sweep_loop(self) -> None:
        while True:
            await self.sweep()
            with trio.move_on_after(self._sweep_interval):
                await self._wake.wait()
            self._wake = trio.Event()

    async def sweep(self) -> None:
        """Queue every outbox entry this process has not seen; re-record unrecorded outcomes."""
        for ident, (org_id, record) in list(self._unrecorded.items()):
            if await self._record(org_id, record):
                del self._unrecorded[ident]
                self._settled(ident)
        for stats in self._supervisor.statistics():
            org_id = stats.org_id
            try:
                pending = await self._supervisor.read(org_id, _outbox)
            except PulsarError:
                continue
            for item in pending:
                ident = item.notification_id
                if ident in self._seen or ident in self._done or ident in self._unrecorded:
                    continue
                # Not seen requested by this process: requested before a restart, and
                # perhaps sent just before it (decision 8) — unless it overflowed here.
                resumed = ident not in self._overflowed
                self._seen.add(ident)
                if not self._queue(_Job(org_id, item, resumed)):
                    return  # the queue is full: the next sweep goes on
                if resumed:
                    log.info("notification_resumed", org_id=org_id, notification_id=ident)

    async def _handle(self, job: _Job, outgoing: object) -> None:
        ident = job.pending.notification_id
        try:
            outcome = await self._delivery.send(outgoing)
        except Exception as error:  # a bug in a channel must not lose the page silently
            log.exception("delivery_crashed", org_id=job.org_id, notification_id=ident)
            outcome = DeliveryReport(delivered=False, detail=f"internal error: {error!r}")
        finally:
            self._limiter.release_on_behalf_of(ident)
        if outcome.delivered:
            self.delivered += 1
        else:
            self.failed += 1
        record = RecordDelivery(
            notification_id=ident,
            alert_id=job.pending.alert_id,
            delivered=outcome.delivered,
            detail=outcome.detail[:1000],
            possibly_duplicate=job.possibly_duplicate,
            provider_ref=outcome.provider_ref[:200],
        )
        if not await self._record(job.org_id, record):
            self._unrecorded[ident] = (job.org_id, record)
            return
        self._settled(ident)

    def _settled(self, ident: str) -> None:
        self._seen.discard(ident)
        self._done[ident] = None
        if len(self._done) > _DONE_REMEMBERED:
            del self._done[next(iter(self._done))]

    async def _record(self, org_id: str, record: RecordDelivery) -> bool:
        ctx = msgspec.structs.replace(SYSTEM, causation=f"notifier:{record.notification_id}")
        try:
            await self._supervisor.submit(org_id, record, ctx)
        except PulsarError as error:
            log.warning(
                "delivery_not_recorded",
                org_id=org_id,
                notification_id=record.notification_id,
                error=str(error),
            )
            return False
        return True


_id_decoder = msgspec.json.Decoder(dict[str, Any])


def _requested(envelope: Envelope, outbox: dict[str, Pending]) -> list[tuple[str, Pending]]:
    ident = _id_decoder.decode(envelope.data).get("notification_id")
    pending = outbox.get(ident) if isinstance(ident, str) else None
    return [] if pending is None or ident is None else [(ident, pending)]


def _by_org(jobs: list[_Job]) -> dict[str, list[_Job]]:
    groups: dict[str, list[_Job]] = {}
    for job in jobs:
        groups.setdefault(job.org_id, []).append(job)
    return groups


def _outbox(state: OrgState) -> list[Pending]:
    return list(state.paging.outbox.values())
