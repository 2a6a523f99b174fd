"""Escalation: how late timer-fired pages go out while 100,000 open alerts escalate.

One organization in this process, as ``pulsar serve`` runs it: the org actor
(``open_org_supervisor``) over PostgreSQL (a fresh database), a ``TrioClock``
on wall time, and the real ``Notifier`` (its default concurrency and queue)
with ``web.notify``'s delivery, which re-reads the committed state and builds
the message; only the channel is a fake that notes the instant it is asked to
send and answers "delivered". The garbage collector is tuned as the server
tunes it.

Setup: members A and B with the default contact (their account email, at
once) and one policy: rule 1 pages A ``RULE_MINUTES[0]`` minutes after an
alert's creation, rule 2 pages B ``RULE_MINUTES[1]`` minutes after it (both
``if-not-acked``; nobody acknowledges). ``ALERTS`` alerts name the policy as
their responder: every one of them has an active two-step escalation.

Timer firings at a known rate, in a bounded run. The alerts are created
(``submit_many``, ``BATCH_SECONDS`` of creation times per call, one call at a
time) while the organization's clock is stepped forward between calls
(``TrioClock.advance``, as test mode does), so that their creation times, and
so their rules' due-times, are spread at ``RATES[k]`` per second for
``SEGMENT`` seconds each, the rest at the last rate. Before the measured
window the clock is stepped once more, so that the first rule 1 is due
``LEAD`` seconds later. Nothing is due while the clock moves: every page in
the window is a timer firing at its own instant, as if the alerts had been
created minutes earlier, and the actor's timer sleeps until each due-time.
The window lasts as long as the segments (rule 1 firings only; every rule 2
stays pending); pages due in it and not sent ``GRACE`` seconds after it count
as later than any (censored, "never sent"). (The alerts without a responder,
for comparison, are created ``BASELINE_BATCH`` per call, not paced.)

Figures:

* page lateness = the instant the fake channel is asked to send - the rule's
  due-time (``EscalationRuleFired.due_at`` = creation + delay), p50/p99/max
  per rate; target p99 < 1 s. Split into the timer's part
  (``EscalationRuleFired.at`` - ``due_at``: the batch that fired it was
  decided) and the notifier's part (send - ``Pending.due_at``, which for an
  immediate contact is the firing instant);
* RSS per open alert (``/proc/self/statm`` after ``gc.collect()``, the lowest
  reading over ``SETTLE`` s) with the policy pending, and for the same alerts
  without a responder in a separate process (the difference is paging's
  share, allocator noise included); and, exact but without the actor, the
  bytes still allocated per alert (``tracemalloc``) of ``TRACED`` alerts built
  with the pure ``execute``, with and without the policy;
* restart: a separate process replays the organization with ``load_state``
  (with the snapshot the actor wrote, as a restart does, and from the log
  alone) while every alert's rules are pending, checks that it derives the
  same due-time for every alert as the live actor, and reports its RSS per
  alert.

Run: ``.venv/bin/python -m benchmarks escalation`` (about 2.5 minutes).
Environment: ``PULSAR_BENCH_ESCALATION_ALERTS`` (100000),
``PULSAR_BENCH_ESCALATION_RATES`` (pages due per second per segment, "200,1000"),
``PULSAR_BENCH_ESCALATION_SEGMENT`` (seconds per rate, 30),
``PULSAR_BENCH_ESCALATION_CONCURRENCY`` / ``_QUEUE`` (the notifier's, 32 / 10000).
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import random
import sys
import time
import tracemalloc
from array import array
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import trio

from benchmarks import Figure, fresh_database, percentile, report
from engine import (
    AddMember,
    CommandContext,
    CreateAlert,
    CreateOrganization,
    OrgState,
    OrgSupervisor,
    Responder,
    TrioClock,
    escalations,
    load_state,
    new_id,
    open_org_supervisor,
)
from engine.delivery import Message, Result, Target
from engine.org import execute
from engine.org import initial_state as org_initial_state
from engine.paging import Pending
from engine.runtime.notifier import Delivery, DeliveryReport, Notifier
from eventstore import EventStore, open_postgres_store
from web.logs import configure_logging
from web.notify import ChannelDelivery

ALERTS = int(os.environ.get("PULSAR_BENCH_ESCALATION_ALERTS", "100000"))
RATES = tuple(
    float(r) for r in os.environ.get("PULSAR_BENCH_ESCALATION_RATES", "200,1000").split(",")
)
SEGMENT = float(os.environ.get("PULSAR_BENCH_ESCALATION_SEGMENT", "30"))
CONCURRENCY = int(os.environ.get("PULSAR_BENCH_ESCALATION_CONCURRENCY", "32"))
QUEUE = int(os.environ.get("PULSAR_BENCH_ESCALATION_QUEUE", "10000"))
RULE_MINUTES = (5, 10)
BATCH_SECONDS = 0.1  # creation times per submit_many call (due-times come in steps of this)
BASELINE_BATCH = 1000  # alerts per submit_many call without a responder (not paced)
LEAD = 3.0  # seconds from the last clock step to the first due-time
GRACE = 10.0  # seconds after the window for the pages due in it to go out
SETTLE = 4.0  # seconds of RSS readings after creating the alerts
TRACED = 10_000  # alerts built under tracemalloc (pure, no actor) for exact state bytes
TARGET_P99 = 1.0  # seconds
SEED = 20240601
REGIONS = ("eu-west-1", "us-east-1", "ap-south-1")
CTX = CommandContext(principal_kind="api_key", principal_id="bench")

Figures = list[Figure]


# -- the organization ---------------------------------------------------------------
def alert_commands(n: int, responders: tuple[Responder, ...]) -> list[CreateAlert]:
    """``n`` realistic alerts (as ``memory.py``), distinct aliases, seeded."""
    rng = random.Random(SEED)
    commands = []
    for i in range(n):
        host = f"web-{rng.randrange(1000):04d}"
        region = rng.choice(REGIONS)
        commands.append(
            CreateAlert(
                alert_id=new_id(),
                message=f"CPU load above 95% on {host} ({region}) for 5 minutes",
                alias=f"{host}-cpu-high-{i}",
                tags=("cpu", "production", region),
                details={"host": host, "region": region, "runbook": "https://wiki.example.com/rb"},
                source="prometheus",
                priority=rng.choice(("P1", "P2", "P3", "P3", "P4")),
                responders=responders,
            )
        )
    return commands


def schedule(n: int) -> list[tuple[int, float]]:
    """``(first alert, creation offset in seconds)`` of each ``submit_many`` call: the
    alerts come ``RATES[k]`` per second for ``SEGMENT`` s each, the rest at the last rate."""
    calls: list[tuple[int, float]] = []
    first, offset = 0, 0.0
    for k, rate in enumerate(RATES):
        per_call = max(1, round(rate * BATCH_SECONDS))
        end = math.inf if k == len(RATES) - 1 else offset + SEGMENT
        while first < n and offset < end - 1e-9:
            calls.append((first, offset))
            first += per_call
            offset += per_call / rate
    return calls


async def create_alerts(
    supervisor: OrgSupervisor,
    org_id: str,
    commands: list[CreateAlert],
    clock: TrioClock | None = None,
) -> float:
    """Submit ``commands`` call by call as ``schedule`` says and step ``clock`` so each
    call's alerts are created at their offset; without a clock, ``BASELINE_BATCH`` per
    call. Returns seconds taken."""
    if clock is None:
        calls = [(i, 0.0) for i in range(0, len(commands), BASELINE_BATCH)]
    else:
        calls = schedule(len(commands))
    start = time.perf_counter()
    origin = clock.now() if clock is not None else None
    for (first, offset), (end, _) in zip(calls, [*calls[1:], (len(commands), 0.0)], strict=True):
        if clock is not None:
            assert origin is not None
            ahead = (origin + timedelta(seconds=offset) - clock.now()).total_seconds()
            clock.advance(max(0.0, ahead))
        results = await supervisor.submit_many(org_id, commands[first:end], CTX)
        failed = [r for r in results if isinstance(r, Exception)]
        assert not failed, failed[:3]
    return time.perf_counter() - start


async def setup_org(supervisor: OrgSupervisor, org_id: str) -> str:
    """The organization, members A and B, and the two-rule policy; returns its id."""
    await supervisor.submit(org_id, CreateOrganization(org_id=org_id, name="bench"), CTX)
    accounts = []
    for email in ("a@example.com", "b@example.com"):
        account = new_id()
        add = AddMember(account_id=account, email=email, role="member", actor_role="owner")
        await supervisor.submit(org_id, add, CTX)
        accounts.append(account)
    policy_id = new_id()
    create = escalations.CreateEscalationPolicy(
        policy_id=policy_id, name="bench", rules=_rules(accounts), repeat=escalations.Repeat()
    )
    await supervisor.submit(org_id, create, CTX)
    return policy_id


def _rules(accounts: list[str]) -> tuple[escalations.EscalationRule, ...]:
    return tuple(
        escalations.EscalationRule(
            condition="if-not-acked",
            delay_minutes=minutes,
            recipient=escalations.Recipient(type="user", id=account),
        )
        for minutes, account in zip(RULE_MINUTES, accounts, strict=True)
    )


# -- pages ----------------------------------------------------------------------------
class _Fired(msgspec.Struct):
    alert_id: str
    at: datetime
    due_at: datetime


_fired_decoder = msgspec.json.Decoder(_Fired)


class Pages:
    """Notes every firing (a commit listener) and every send (the fake channel)."""

    def __init__(self, clock: TrioClock) -> None:
        self.clock = clock
        self._rule_due: dict[tuple[str, datetime], datetime] = {}
        self._sent_at: dict[str, datetime] = {}
        self.fired: list[tuple[datetime, float]] = []  # (rule due, firing decided - due)
        self.sent: list[tuple[datetime, float]] = []  # (rule due, send - due)
        self.notifier = array("d")  # send - Pending.due_at
        self.unmatched = 0

    def listener(self, org_id: str, envelopes: Any, state: OrgState) -> None:
        for envelope in envelopes:
            if envelope.type == "EscalationRuleFired":
                fired = _fired_decoder.decode(envelope.data)
                self._rule_due[(fired.alert_id, fired.at)] = fired.due_at
                self.fired.append((fired.due_at, (fired.at - fired.due_at).total_seconds()))

    async def send(self, target: Target, message: Message) -> Result:
        self._sent_at[message.notification_id] = self.clock.now()
        return Result(delivered=True, detail="250 fake")

    def wrap(self, delivery: ChannelDelivery) -> Delivery:
        pages = self

        class Recording:
            def build(
                self, state: OrgState, pending: Pending, duplicate: bool
            ) -> tuple[Pending, tuple[Target, Message]] | None:
                built = delivery.build(state, pending, duplicate)
                return None if built is None else (pending, built)

            async def send(
                self, outgoing: tuple[Pending, tuple[Target, Message]]
            ) -> DeliveryReport:
                pending, built = outgoing
                outcome = await delivery.send(built)
                sent = pages._sent_at.pop(pending.notification_id, None)
                if sent is not None:
                    pages._note(pending, sent)
                return outcome

        return Recording()

    def _note(self, pending: Pending, sent: datetime) -> None:
        self.notifier.append((sent - pending.due_at).total_seconds())
        due = self._rule_due.pop((pending.alert_id, pending.requested_at), None)
        if due is None:
            self.unmatched += 1
        else:
            self.sent.append((due, (sent - due).total_seconds()))


# -- figures --------------------------------------------------------------------------
def rss_bytes() -> int:
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def settled_rss() -> int:
    """The lowest RSS over ``SETTLE`` seconds: the actor saves a snapshot of the whole
    state in the background (an encoded copy of it, ~100 MB with 100k alerts),
    which a single reading may or may not catch."""
    lowest = rss_bytes()
    for _ in range(round(SETTLE / 0.25)):
        await trio.sleep(0.25)
        lowest = min(lowest, rss_bytes())
    return lowest


def tune_gc() -> None:
    """As ``web.server`` does once started."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def due_fingerprint(state: OrgState) -> tuple[int, str]:
    """(alerts with a due-time, a hash of every alert's due-time)."""
    items = sorted((a, d.isoformat()) for a, d in state.paging.due.items())
    return len(items), hashlib.sha256(repr(items).encode()).hexdigest()[:16]


def latency(
    label: str, values: list[float], expected: int, *, target: float | None = None
) -> Figures:
    """p50/p99/max of ``values``; ``expected - len(values)`` pages never sent count as
    later than any: a percentile falling on one reads ``> GRACE`` (censored)."""
    missing = max(0, expected - len(values))
    ordered = [*sorted(values), *[math.inf] * missing]
    count = f"{len(values):,} pages" + (f", {missing:,} never sent" if missing else "")
    figures = []
    for name, value in (
        ("p50", percentile(ordered, 0.50)),
        ("p99", percentile(ordered, 0.99)),
        ("max", ordered[-1] if ordered else 0.0),
    ):
        censored = math.isinf(value)
        figures.append(
            Figure(
                "escalation",
                f"{label} {name}",
                GRACE if censored else value,
                "s",
                target if name == "p99" else None,
                higher_is_better=False,
                note=f"> {GRACE:.0f} s (never sent)" if censored else count,
            )
        )
    return figures


# -- helper processes -----------------------------------------------------------------
async def child(*args: str) -> dict[str, Any]:
    """Run this module with ``args`` in a new process; its last stdout line is JSON."""
    done = await trio.run_process(
        [sys.executable, "-m", "benchmarks.escalation", *args], capture_stdout=True
    )
    return dict(json.loads(done.stdout.decode().strip().splitlines()[-1]))


class _NoSnapshots:
    """The store without its snapshots: ``load_state`` folds the whole log."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def load_snapshot(self, org_id: str, schema_version: int) -> None:
        return None


async def replay_main(dsn: str, org_id: str) -> dict[str, Any]:
    """A restart: ``load_state`` with the actor's snapshot, then from the log alone."""
    async with open_postgres_store(dsn, migrate=False) as store:
        before = rss_bytes()
        start = time.perf_counter()
        state = await load_state(store, org_id)
        with_snapshot = time.perf_counter() - start
        rss = rss_bytes() - before
        alerts = len(state.alerts.alerts)
        fingerprint = due_fingerprint(state)
        del state
        gc.collect()
        start = time.perf_counter()
        state = await load_state(_NoSnapshots(store), org_id)
        log_only = time.perf_counter() - start
        return {
            "with_snapshot": with_snapshot,
            "log_only": log_only,
            "events": state.version,
            "alerts": alerts,
            "rss": rss,
            "due": fingerprint,
            "same": due_fingerprint(state) == fingerprint,
        }


async def baseline_main(dsn: str, n: int) -> dict[str, Any]:
    """RSS of ``n`` alerts without a responder (no paging), created as in the main run."""
    async with (
        open_postgres_store(dsn, migrate=False) as store,
        open_org_supervisor(store, TrioClock()) as supervisor,
    ):
        org_id = new_id()
        await supervisor.submit(org_id, CreateOrganization(org_id=org_id, name="base"), CTX)
        commands = alert_commands(n, ())
        tune_gc()
        before = rss_bytes()
        seconds = await create_alerts(supervisor, org_id, commands)
        del commands
        return {"rss": await settled_rss() - before, "seconds": seconds}


def traced_main(n: int) -> dict[str, Any]:
    """Bytes still allocated (``tracemalloc``) per alert of a state built with the
    engine's pure ``execute``: ``n`` alerts with the policy, then without a responder."""
    result: dict[str, Any] = {}
    ctx = CTX
    for name, paged in (("policy", True), ("none", False)):
        state = org_initial_state()
        start = datetime(2026, 3, 2, 9, tzinfo=UTC)
        commands: list[Any] = [CreateOrganization(org_id=new_id(), name="traced")]
        accounts = [new_id(), new_id()]
        commands += [
            AddMember(account_id=a, email=f"{a}@example.com", role="member", actor_role="owner")
            for a in accounts
        ]
        policy_id = new_id()
        commands.append(
            escalations.CreateEscalationPolicy(
                policy_id=policy_id,
                name="bench",
                rules=_rules(accounts),
                repeat=escalations.Repeat(),
            )
        )
        for command in commands:
            execute(state, command, ctx, start)
        responders = (Responder(type="escalation", id=policy_id),) if paged else ()
        gc.collect()
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        alerts = alert_commands(n, responders)  # (their strings become the alerts')
        for i, command in enumerate(alerts):
            execute(state, command, ctx, start + timedelta(milliseconds=i))
        del alerts
        gc.collect()
        current, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(state.paging.due) == (n if paged else 0)
        result[name] = (current - base) / n
        del state
    return result


# -- the run --------------------------------------------------------------------------
async def measure(dsn: str) -> Figures:
    org_id = new_id()
    async with (
        open_postgres_store(dsn) as store,
        open_org_supervisor(store, clock := TrioClock()) as supervisor,
        trio.open_nursery() as nursery,
    ):
        pages = Pages(clock)
        deliver = pages.wrap(ChannelDelivery(pages, clock, None, ""))
        notifier = Notifier(supervisor, deliver, concurrency=CONCURRENCY, queue_size=QUEUE)
        supervisor.listeners += [notifier.listener, pages.listener]
        await nursery.start(notifier.run)
        policy_id = await setup_org(supervisor, org_id)
        commands = alert_commands(ALERTS, (Responder(type="escalation", id=policy_id),))
        tune_gc()
        rss0 = rss_bytes()
        seconds = await create_alerts(supervisor, org_id, commands, clock)
        del commands
        rss_paging = await settled_rss() - rss0
        print(f"escalation: {ALERTS:,} alerts created in {seconds:.1f} s", flush=True)
        live_due = await supervisor.read(org_id, due_fingerprint)
        mark = time.perf_counter()
        restart = await child("replay", dsn, org_id)
        base = await child("baseline", dsn, str(ALERTS))
        traced = await child("traced", str(TRACED))
        elapsed = time.perf_counter() - mark
        print(f"escalation: replay, baseline, traced in {elapsed:.1f} s; window", flush=True)

        first_due = await supervisor.read(org_id, lambda s: min(s.paging.due.values()))
        advance = (first_due - clock.now()).total_seconds() - LEAD
        assert advance > 0, "a rule came due before the window: fewer alerts or a later rule 1"
        clock.advance(advance)
        supervisor.wake_all()
        window = len(RATES) * SEGMENT
        await trio.sleep(LEAD + window + GRACE)
        created = await supervisor.read(
            org_id, lambda s: [a.created_at for a in s.alerts.alerts.values()]
        )
        nursery.cancel_scope.cancel()

    # Which pages were due in which segment of the window (by their alert's creation).
    delay = timedelta(minutes=RULE_MINUTES[0])

    def segment(due: datetime) -> int | None:
        k = math.floor((due - first_due).total_seconds() / SEGMENT)
        return k if 0 <= k < len(RATES) else None

    expected = [0] * len(RATES)
    for at in created:
        k = segment(at + delay)
        if k is not None:
            expected[k] += 1
    late: list[list[float]] = [[] for _ in RATES]
    timer: list[list[float]] = [[] for _ in RATES]
    for due, value in pages.sent:
        if (k := segment(due)) is not None:
            late[k].append(value)
    for due, value in pages.fired:
        if (k := segment(due)) is not None:
            timer[k].append(value)

    figures = [
        Figure(
            "escalation",
            "open alerts, each with a two-step policy",
            ALERTS,
            "alerts",
            note=f"rules at +{RULE_MINUTES[0]} and +{RULE_MINUTES[1]} min",
        ),
        Figure(
            "escalation",
            "notifier concurrency / queue",
            CONCURRENCY,
            "tasks",
            note=f"queue {QUEUE:,}",
        ),
        Figure("escalation", "create (paced) seconds", seconds, "s"),
    ]
    for k, rate in enumerate(RATES):
        label = f"{rate:,.0f} pages/s due:"
        figures += latency(f"{label} page lateness", late[k], expected[k], target=TARGET_P99)
        figures += latency(f"{label} timer part", timer[k], expected[k])
    notifier_part = sorted(pages.notifier)
    figures += [
        Figure(
            "escalation",
            "notifier part (send - firing) p99",
            percentile(notifier_part, 0.99),
            "s",
            note=f"{len(notifier_part):,} pages sent in all",
        ),
        Figure("escalation", "pages unmatched to a firing", pages.unmatched, "pages"),
        Figure(
            "escalation",
            "RSS bytes / open alert, no responder",
            base["rss"] / ALERTS,
            "B",
            note=f"separate process, {BASELINE_BATCH:,} per call",
        ),
        Figure(
            "escalation",
            "RSS bytes / open alert, policy pending",
            rss_paging / ALERTS,
            "B",
            note=f"paging's share {(rss_paging - base['rss']) / ALERTS:,.0f} B",
        ),
        Figure(
            "escalation",
            "tracemalloc bytes / open alert, policy pending",
            traced["policy"],
            "B",
            note=f"pure execute, {TRACED:,} alerts; no responder: {traced['none']:,.0f} B",
        ),
        Figure(
            "escalation",
            "RSS bytes / open alert, replayed (restart)",
            restart["rss"] / ALERTS,
            "B",
            note="separate process, snapshot + tail",
        ),
        Figure(
            "escalation",
            "restart: load_state with snapshot",
            restart["with_snapshot"],
            "s",
            note=f"{restart['alerts']:,} alerts, {restart['events']:,} events",
        ),
        Figure("escalation", "restart: load_state from the log only", restart["log_only"], "s"),
        Figure(
            "escalation",
            "restart: same due-times as the live actor",
            float(restart["same"] and tuple(restart["due"]) == live_due),
            "bool",
            note=f"{live_due[0]:,} alerts due",
        ),
    ]
    return figures


async def main() -> None:
    configure_logging("warning")
    before = os.getloadavg()[0]
    async with fresh_database() as dsn:
        figures = await measure(dsn)
    load = f"load average {before:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    report(f"escalation ({ALERTS:,} open alerts; {load})", figures)


def child_main(args: list[str]) -> None:
    configure_logging("warning")
    if args[0] == "replay":
        result = trio.run(replay_main, args[1], args[2])
    elif args[0] == "traced":
        result = traced_main(int(args[1]))
    else:
        result = trio.run(baseline_main, args[1], int(args[2]))
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child_main(sys.argv[1:])
    else:
        trio.run(main)
