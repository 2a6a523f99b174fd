"""The supervisor: a nursery of org actors, started on first use.

An actor that crashes (failed append, conflict, bug) is dropped; its callers
already got ``Unavailable``. The supervisor then rebuilds it from snapshot +
log (design.md decision 4) — at once if a command arrives, otherwise after a
back-off (1 s doubling to 30 s while the database stays down), so an
organization's timers keep running after an outage.
Actors with no timers pending stop after ``idle_timeout`` seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar, final

import structlog
import trio

from engine.clock import Clock
from engine.context import CommandContext
from engine.errors import PulsarError, Unavailable
from engine.org import Command, OrgState, Outcome
from engine.runtime.actor import ActorStatistics, CommitListener, OrgActor
from eventstore import EventStore, EventStoreError

__all__ = ["OrgSupervisor", "open_org_supervisor"]

T = TypeVar("T")
log = structlog.get_logger("pulsar.supervisor")


@final
class OrgSupervisor:
    """Routes commands and reads to the owning actor, starting it on demand."""

    def __init__(
        self, store: EventStore, clock: Clock, nursery: trio.Nursery, **actor_options: Any
    ) -> None:
        self.store = store
        self.clock = clock
        self._nursery = nursery
        self._options = actor_options
        self._actors: dict[str, OrgActor] = {}
        self._starting: dict[str, trio.Event] = {}
        self.listeners: list[CommitListener] = []

    async def actor(self, org_id: str) -> OrgActor:
        """The running actor of ``org_id``; starts (loads) it if needed.

        Raises ``Unavailable`` when its state cannot be loaded.
        """
        while True:
            actor = self._actors.get(org_id)
            if actor is not None and not actor.stopped:
                return actor
            starting = self._starting.get(org_id)
            if starting is None:
                break
            await starting.wait()
        self._starting[org_id] = done = trio.Event()
        try:
            actor = OrgActor(
                org_id, self.store, self.clock, listeners=self.listeners, **self._options
            )
            try:
                await self._nursery.start(self._run, actor)
            except EventStoreError as error:
                raise Unavailable("store_unavailable", "the event log is unavailable") from error
            self._actors[org_id] = actor
            return actor
        finally:
            del self._starting[org_id]
            done.set()

    async def submit(self, org_id: str, command: Command, ctx: CommandContext) -> Outcome:
        """Execute ``command`` in ``org_id``'s actor; see ``OrgActor.submit``."""
        for attempt in range(2):
            actor = await self.actor(org_id)
            try:
                return await actor.submit(command, ctx)
            except Unavailable as error:
                # An actor that stopped while idle never saw the command: retry once.
                if error.code != "actor_stopped" or attempt:
                    raise
        raise AssertionError("unreachable")

    async def submit_many(
        self, org_id: str, commands: Sequence[Command], ctx: CommandContext
    ) -> list[Outcome | PulsarError]:
        """Execute ``commands`` together; see ``OrgActor.submit_many``."""
        actor = await self.actor(org_id)
        return await actor.submit_many(commands, ctx)

    async def read(self, org_id: str, fn: Callable[[OrgState], T]) -> T:
        """Run ``fn`` on ``org_id``'s committed state (once more on a rebuilt actor when
        the batch it waited for failed)."""
        for attempt in range(2):
            try:
                return await (await self.actor(org_id)).read(fn)
            except Unavailable as error:
                if error.code != "actor_stopped" or attempt:
                    raise
        raise AssertionError("unreachable")

    async def start_all(self, org_ids: Sequence[str]) -> None:
        """Start the given organizations' actors (so their timers run after a restart)."""
        for org_id in org_ids:
            await self.actor(org_id)

    def wake_all(self) -> None:
        """Make every actor re-check its timers against the clock."""
        for actor in self._actors.values():
            actor.wake()

    def statistics(self) -> list[ActorStatistics]:
        return [a.statistics() for a in self._actors.values() if not a.stopped]

    async def _run(self, actor: OrgActor, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        try:
            await actor.run(task_status=task_status)
        except Exception as error:
            if not actor.loaded:
                raise  # failed while loading: nursery.start re-raises it to the caller
            log.error("actor_crashed", org_id=actor.org_id, error=repr(error))
            self._nursery.start_soon(self._restart, actor.org_id)
        finally:
            if self._actors.get(actor.org_id) is actor:
                del self._actors[actor.org_id]

    async def _restart(self, org_id: str) -> None:
        delay = 1.0
        while True:
            await trio.sleep(delay)
            try:
                await self.actor(org_id)
                log.info("actor_restarted", org_id=org_id)
                return
            except Unavailable:
                delay = min(delay * 2, 30.0)


@asynccontextmanager
async def open_org_supervisor(
    store: EventStore, clock: Clock, **actor_options: Any
) -> AsyncIterator[OrgSupervisor]:
    """Run a supervisor; its actors are cancelled when the block exits."""
    async with trio.open_nursery() as nursery:
        supervisor = OrgSupervisor(store, clock, nursery, **actor_options)
        try:
            yield supervisor
        finally:
            nursery.cancel_scope.cancel()
