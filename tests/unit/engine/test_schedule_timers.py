"""On-call hand-offs on the org actor's timer, over the memory store under trio's MockClock.

Days of schedule time pass in milliseconds (``autojump_clock``); the wall clock the
engine sees moves with trio's clock (``TrioClock``). Rotations are whole-day UTC
turns, so the instants do not depend on finer rotation arithmetic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import trio
import trio.testing

from engine import (
    AddMember,
    CommandContext,
    CreateSchedule,
    OnCallChanged,
    OrgSupervisor,
    Participant,
    Rotation,
    TrioClock,
    UpdateSchedule,
    decode_events,
    open_org_supervisor,
)
from eventstore import MemoryEventStore

ORG = "00000000-0000-7000-8000-000000000001"
SID = "00000000-0000-7000-8000-0000000000c1"
START = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 24 * 3600
CTX = CommandContext(principal_kind="api_key", principal_id="k1")


def create() -> CreateSchedule:
    rotation = Rotation(
        id="r1",
        name="primary",
        type="daily",
        start=START,
        participants=(Participant(id="ana"), Participant(id="bob")),
    )
    return CreateSchedule(schedule_id=SID, name="ops", timezone="UTC", rotations=(rotation,))


async def setup(sup: OrgSupervisor) -> None:
    """Members ana and bob, and the schedule ``create()`` makes (participants are members)."""
    for user in ("ana", "bob"):
        member = AddMember(
            account_id=user, email=f"{user}@example.com", role="member", actor_role="owner"
        )
        await sup.submit(ORG, member, CTX)
    await sup.submit(ORG, create(), CTX)


async def changes(
    store: MemoryEventStore,
) -> list[tuple[datetime, tuple[str, ...], tuple[str, ...]]]:
    """(at, went_off, came_on) of every recorded OnCallChanged."""
    events = decode_events(await store.read_stream(ORG))
    return [(e.at, e.went_off, e.came_on) for e in events if isinstance(e, OnCallChanged)]


async def test_hand_off_is_recorded_at_the_exact_instant(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """No change a millisecond before the hand-off; at it, ana goes off and bob comes on."""
    store = MemoryEventStore()
    async with open_org_supervisor(store, TrioClock(start=START)) as sup:
        await setup(sup)
        await trio.sleep(DAY - 0.001)
        assert await sup.read(ORG, lambda s: s.schedules.schedules[SID].on_call) == ("ana",)
        await trio.sleep(0.002)
        assert await sup.read(ORG, lambda s: s.schedules.schedules[SID].on_call) == ("bob",)
    hand_off = START + timedelta(days=1)
    assert [(START, (), ("ana",)), (hand_off, ("ana",), ("bob",))] == await changes(store)


async def test_disabled_schedule_has_no_hand_offs(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Disabling takes everyone off at once; no hand-off is recorded while disabled."""
    store = MemoryEventStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        await setup(sup)
        await sup.submit(ORG, UpdateSchedule(schedule_id=SID, enabled=False), CTX)
        await trio.sleep(5 * DAY)
    assert await changes(store) == [(START, (), ("ana",)), (START, ("ana",), ())]


async def test_hand_offs_missed_while_down_are_recorded_at_their_instants_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Down for 2.5 days: on start both hand-offs are recorded at their instants, once."""
    store = MemoryEventStore()
    clock = TrioClock(start=START)
    async with open_org_supervisor(store, clock) as sup:
        await setup(sup)
    await trio.sleep(2.5 * DAY)
    for _ in range(2):  # two restarts over the same log
        async with open_org_supervisor(store, clock) as sup:
            await sup.start_all([ORG])
            await trio.sleep(60)
    day1, day2 = START + timedelta(days=1), START + timedelta(days=2)
    assert [
        (START, (), ("ana",)),
        (day1, ("ana",), ("bob",)),
        (day2, ("bob",), ("ana",)),
    ] == await changes(store)
