"""An organization on the org actor + notifier, under trio's MockClock, with a recording pager.

Scenario tests of escalation and notifications (../shared/scenarios.md) drive
it: members, contact methods, notification rules, policies and alerts are
made by the engine's own commands; ``Pager`` stands in for the channels and
records every page with the simulated minute it went out at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import trio

from engine import (
    CommandContext,
    CreateAlert,
    CreateOrganization,
    OrgState,
    OrgSupervisor,
    Responder,
    TrioClock,
    access,
    contacts,
    escalations,
    open_org_supervisor,
)
from engine.paging import Pending
from engine.runtime.notifier import DeliveryReport, Notifier
from eventstore import EventStore, MemoryEventStore

__all__ = ["ORG", "START", "Env", "Page", "open_env"]

ORG = "00000000-0000-7000-8000-0000000000aa"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
CTX = CommandContext(principal_kind="api_key", principal_id="k1")


@dataclass(frozen=True)
class Page:
    minute: float  # simulated minutes since START
    account: str
    method_id: str
    address: str
    alert_id: str
    notification_id: str
    late: bool
    possibly_duplicate: bool


@dataclass
class Pager:
    """The channels: records pages; ``fail`` addresses are refused by their provider."""

    clock: TrioClock
    supervisor: OrgSupervisor | None = None
    pages: list[Page] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)
    hang: set[str] = field(default_factory=set)  # never answer (a crash mid-delivery)

    def build(
        self, state: OrgState, pending: Pending, duplicate: bool
    ) -> tuple[Pending, bool] | None:
        return (pending, duplicate) if pending.notification_id in state.paging.outbox else None

    async def send(self, outgoing: tuple[Pending, bool]) -> DeliveryReport:
        pending, duplicate = outgoing
        minute = (self.clock.now() - START).total_seconds() / 60
        self.pages.append(
            Page(
                minute=round(minute, 3),
                account=pending.account_id,
                method_id=pending.contact_method_id,
                address=pending.address,
                alert_id=pending.alert_id,
                notification_id=pending.notification_id,
                late=pending.late,
                possibly_duplicate=duplicate,
            )
        )
        if pending.address in self.hang:
            await trio.sleep_forever()
        if pending.address in self.fail:
            return DeliveryReport(delivered=False, detail="provider refused: 21211 invalid number")
        # Slack answers with the message's "channel:ts" (its thread for later pages).
        ref = f"{pending.address}:{minute:.3f}" if pending.method == "slack" else ""
        return DeliveryReport(delivered=True, detail="250 OK", provider_ref=ref)


@dataclass
class Env:
    supervisor: OrgSupervisor
    clock: TrioClock
    pager: Pager
    store: EventStore
    notifier: Notifier
    _ids: int = 0

    def new_id(self, kind: str) -> str:
        self._ids += 1
        return f"00000000-0000-7000-8000-{self._ids:012d}"

    def minute(self) -> float:
        return (self.clock.now() - START).total_seconds() / 60

    async def at_minute(self, minute: float) -> None:
        """Sleep until ``minute`` simulated minutes after START (and let deliveries run)."""
        delay = minute * 60 - (self.clock.now() - START).total_seconds()
        await trio.sleep(max(delay, 0))
        await trio.sleep(0.001)

    async def run(self, command: object) -> object:
        return await self.supervisor.submit(ORG, command, CTX)  # type: ignore[arg-type]

    async def member(self, email: str) -> str:
        account = self.new_id("account")
        add = access.AddMember(
            account_id=account,
            email=email,
            name=email.split("@")[0],
            role="member",
            actor_role="owner",
        )
        await self.run(add)
        return account

    async def methods(
        self, account: str, steps: Sequence[tuple[str, float]], method: str = "webhook"
    ) -> list[str]:
        """Give ``account`` ``method`` methods and one rule: ``[(address, minutes), ...]``.

        Returns the method id of each step's address (one method per address).
        """
        ids: dict[str, str] = {}
        for address, _ in steps:
            if address not in ids:
                ids[address] = self.new_id("method")
                await self.run(
                    contacts.AddContactMethod(
                        account_id=account,
                        method_id=ids[address],
                        method=method,
                        address=address,
                        secret="s3cret" if method == "webhook" else None,
                    )
                )
        await self.set_steps(account, [(ids[a], m) for a, m in steps])
        return [ids[a] for a, _ in steps]

    async def set_steps(self, account: str, steps: Sequence[tuple[str, float]]) -> None:
        """Replace the default rule's steps by ``[(method id, minutes), ...]``."""
        specs = tuple(
            contacts.StepSpec(
                id=self.new_id("step"), contact_method_id=m, send_after_minutes=int(t)
            )
            for m, t in steps
        )
        await self.run(
            contacts.UpdateNotificationRule(
                account_id=account, rule_id=contacts.DEFAULT_RULE_ID, steps=specs
            )
        )

    async def policy(
        self,
        name: str,
        rules: Sequence[tuple[int, str, str]] | Sequence[tuple[int, str, str, str]],
        *,
        repeat: escalations.Repeat | None = None,
    ) -> str:
        """A policy of ``[(delay minutes, recipient type, recipient id[, condition])]``."""
        policy_id = self.new_id("policy")
        built = tuple(
            escalations.EscalationRule(
                condition=r[3] if len(r) > 3 else "if-not-acked",  # type: ignore[misc]
                delay_minutes=r[0],
                recipient=escalations.Recipient(type=r[1], id=r[2]),
            )
            for r in rules
        )
        await self.run(
            escalations.CreateEscalationPolicy(
                policy_id=policy_id, name=name, rules=built, repeat=repeat or escalations.Repeat()
            )
        )
        return policy_id

    async def alert(self, message: str, *responders: tuple[str, str], **fields: object) -> str:
        alert_id = self.new_id("alert")
        await self.run(
            CreateAlert(
                alert_id=alert_id,
                message=message,
                responders=tuple(Responder(type=t, id=i) for t, i in responders),
                **fields,  # type: ignore[arg-type]
            )
        )
        return alert_id

    def minutes(self, account: str, address: str | None = None) -> list[float]:
        """When ``account`` (at ``address``) was paged, in simulated minutes."""
        return [
            p.minute
            for p in self.pager.pages
            if p.account == account and (address is None or p.address == address)
        ]

    async def quiescent(self, minutes: float = 3) -> None:
        """Nothing further reaches anyone in the next ``minutes`` (scenarios.md)."""
        await trio.sleep(0.01)  # what is due now goes out first
        before = len(self.pager.pages)
        await trio.sleep(minutes * 60)
        assert self.pager.pages[before:] == []


@asynccontextmanager
async def open_env(
    store: EventStore | None = None, *, create: bool = True, **notifier: int
) -> AsyncIterator[Env]:
    """An organization named acme with its actor, notifier and a recording pager."""
    store = store if store is not None else MemoryEventStore()
    # Trio's MockClock starts at 0 in each test: trio time t is START + t, so a
    # restarted env (a new clock over the same store) goes on where the last one was.
    clock = TrioClock(start=START + timedelta(seconds=trio.current_time()))
    async with open_org_supervisor(store, clock) as supervisor, trio.open_nursery() as nursery:
        pager = Pager(clock, supervisor)
        sender = Notifier(supervisor, pager, sweep_interval=1.0, **notifier)
        supervisor.listeners.append(sender.listener)
        await nursery.start(sender.run)
        env = Env(supervisor, clock, pager, store, sender)
        if create:
            await env.run(CreateOrganization(org_id=ORG, name="acme"))
        else:
            await supervisor.start_all([ORG])
        try:
            yield env
        finally:
            nursery.cancel_scope.cancel()
