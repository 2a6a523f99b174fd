"""Heartbeat expiry on the org actor's timer, over the memory store under trio's MockClock.

Minutes and days of heartbeat time pass in milliseconds (``autojump_clock``); the
wall clock the engine sees moves with trio's clock (``TrioClock``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import trio
import trio.testing

from engine import (
    CommandContext,
    CreateHeartbeat,
    DisableHeartbeat,
    EnableHeartbeat,
    OrgState,
    PingHeartbeat,
    TrioClock,
    decode_events,
    open_org_supervisor,
)
from engine.heartbeats import alert_alias, expiry_alert_id
from eventstore import MemoryEventStore

ORG = "00000000-0000-7000-8000-000000000001"
HB_ID = "00000000-0000-7000-8000-0000000000b1"
START = datetime(2026, 1, 1, tzinfo=UTC)
CTX = CommandContext(principal_kind="api_key", principal_id="k1")


def create(interval: int = 5, unit: str = "minutes") -> CreateHeartbeat:
    return CreateHeartbeat(name="db", heartbeat_id=HB_ID, interval=interval, interval_unit=unit)


def heartbeat_alert(state: OrgState) -> tuple[str, int] | None:
    """(status, count) of the newest alert with the heartbeat's alias, if any."""
    ids = state.alerts.ids_by_alias.get(alert_alias("db"))
    if not ids:
        return None
    alert = state.alerts.alerts[ids[-1]]
    return alert.status, alert.count


async def event_types(store: MemoryEventStore) -> list[str]:
    return [type(e).__name__ for e in decode_events(await store.read_stream(ORG))]


async def test_expires_at_the_exact_due_instant_and_next_ping_closes(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """No alert a millisecond before the deadline; at it, one alert; the next ping closes it."""
    store = MemoryEventStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        await sup.submit(ORG, create(), CTX)
        await trio.sleep(5 * 60 - 0.001)
        assert await sup.read(ORG, heartbeat_alert) is None
        await trio.sleep(0.002)
        assert await sup.read(ORG, heartbeat_alert) == ("open", 1)
        alert_id = expiry_alert_id(HB_ID, START + timedelta(minutes=5))
        alert = await sup.read(ORG, lambda s: s.alerts.alerts[alert_id])
        assert START + timedelta(minutes=5) == alert.created_at
        await trio.sleep(3600)  # expired once: no second alert while nobody pings
        assert await sup.read(ORG, heartbeat_alert) == ("open", 1)
        await sup.submit(ORG, PingHeartbeat(name="db"), CTX)
        assert await sup.read(ORG, heartbeat_alert) == ("closed", 1)
    assert (await event_types(store)).count("HeartbeatExpired") == 1


async def test_pings_within_the_interval_keep_a_daily_heartbeat_alive(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Pinging every 23 hours never expires a 1-day heartbeat; stopping expires it a day later."""
    store = MemoryEventStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        await sup.submit(ORG, create(1, "days"), CTX)
        for _ in range(5):
            await trio.sleep(23 * 3600)
            await sup.submit(ORG, PingHeartbeat(name="db"), CTX)
        last_ping = clock.now()
        assert await sup.read(ORG, heartbeat_alert) is None
        await trio.sleep(24 * 3600 + 1)
        alert_id = expiry_alert_id(HB_ID, last_ping + timedelta(days=1))
        assert await sup.read(ORG, lambda s: s.alerts.alerts[alert_id].status) == "open"


async def test_disabled_heartbeat_never_expires_and_enable_restarts_the_countdown(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Disabled for a week: no alert (pings recorded); enabled: expires one interval later."""
    store = MemoryEventStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        await sup.submit(ORG, create(1, "hours"), CTX)
        await sup.submit(ORG, DisableHeartbeat(name="db"), CTX)
        await trio.sleep(3 * 24 * 3600)
        await sup.submit(ORG, PingHeartbeat(name="db"), CTX)
        await trio.sleep(4 * 24 * 3600)
        assert await sup.read(ORG, heartbeat_alert) is None
        last_ping = await sup.read(ORG, lambda s: s.heartbeats.heartbeats["db"].last_ping_at)
        assert START + timedelta(days=3) == last_ping
        await sup.submit(ORG, EnableHeartbeat(name="db"), CTX)
        enabled_at = clock.now()
        await trio.sleep(3600 - 1)
        assert await sup.read(ORG, heartbeat_alert) is None
        await trio.sleep(2)
        alert_id = expiry_alert_id(HB_ID, enabled_at + timedelta(hours=1))
        assert await sup.read(ORG, lambda s: s.alerts.alerts[alert_id].status) == "open"


async def test_expired_while_down_raises_once_on_start_and_not_again(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A deadline passed while Pulsar was down raises the alert once at start, never twice."""
    store = MemoryEventStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        await sup.submit(ORG, create(10), CTX)
    await trio.sleep(3600)  # Pulsar is down for an hour
    restarted_at = clock.now()
    for _ in range(2):  # two restarts: a new supervisor over the same log, started for its orgs
        async with open_org_supervisor(store, clock) as sup:
            await sup.start_all([ORG])
            await trio.sleep(60)
            assert await sup.read(ORG, heartbeat_alert) == ("open", 1)
    assert await event_types(store) == ["HeartbeatCreated", "HeartbeatExpired", "AlertCreated"]
    expired = decode_events(await store.read_stream(ORG))[1]
    assert (restarted_at, START + timedelta(minutes=10)) == (
        expired.at,
        expired.deadline,  # type: ignore[union-attr]
    )
