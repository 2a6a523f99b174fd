"""Schedules state: the schedules of one organization, their on-call record and feeds.

Each schedule keeps, next to its definition (``engine.schedules.model``), the
on-call set last recorded by ``OnCallChanged`` and the instant the record is
valid from (``checked_at``). The area's timer is the next change after
``checked_at``, computed with ``oncall.next_on_call`` and capped at ``HORIZON``:
when nothing changes within it, a checkpoint (``OnCallChecked``) moves
``checked_at`` on, so the search never grows. Mutable like every area state:
``evolve`` updates it in place (see ``engine.org.decider``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal, final

import msgspec

from engine.schedules import oncall
from engine.schedules.model import Schedule

__all__ = [
    "FEED_KINDS",
    "HORIZON",
    "FeedToken",
    "ScheduleRecord",
    "SchedulesState",
    "due_at",
    "due_schedules",
    "initial_state",
    "next_due",
    "schedule_id_of",
]

HORIZON: Final = timedelta(days=30)
FEED_KINDS: Final = ("schedule", "user")
FeedKind = Literal["schedule", "user"]


@final
class ScheduleRecord(msgspec.Struct, kw_only=True):
    """One schedule, its recorded on-call set, and its next sequence for overrides."""

    schedule: Schedule
    created_at: datetime
    updated_at: datetime
    checked_at: datetime
    on_call: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    next_sequence: int = 1


@final
class FeedToken(msgspec.Struct, frozen=True, kw_only=True):
    """An iCalendar feed: a schedule's or a user's, at a URL holding the token.

    Only the token's SHA-256 is kept (``token_hash``), like API keys.
    """

    id: str
    kind: FeedKind
    target: str
    token_hash: str
    created_at: datetime


@final
class SchedulesState(msgspec.Struct, kw_only=True):
    """Every schedule of one organization by id, and every live feed token by id."""

    schedules: dict[str, ScheduleRecord] = msgspec.field(default_factory=dict)
    feeds: dict[str, FeedToken] = msgspec.field(default_factory=dict)


def initial_state() -> SchedulesState:
    """A fresh state without schedules (never shared: ``evolve`` mutates it)."""
    return SchedulesState()


# The actor asks for the next due-time at every wake-up, and next_on_call costs
# ~0.4 ms: memoise it per (schedule object, checked_at). Schedules are frozen, so
# an edit is a new object; the entry holds the object, so its id cannot be reused
# while cached. Deterministic: a cache hit returns what a recomputation would.
_DUE_MEMO_SIZE = 16_384
_due_memo: dict[int, tuple[Schedule, datetime, datetime | None]] = {}


def due_at(record: ScheduleRecord) -> datetime | None:
    """When the schedule's timer is due: its next change, or the horizon checkpoint.

    ``None`` for a disabled schedule (nobody is on call, nothing changes).
    """
    schedule = record.schedule
    if not schedule.enabled:
        return None
    hit = _due_memo.get(id(schedule))
    if hit is not None and hit[0] is schedule and hit[1] == record.checked_at:
        return hit[2]
    change = oncall.next_on_call(schedule, record.checked_at, horizon=HORIZON)
    due = record.checked_at + HORIZON if change is None else change.start
    if len(_due_memo) >= _DUE_MEMO_SIZE:
        _due_memo.clear()
    _due_memo[id(schedule)] = (schedule, record.checked_at, due)
    return due


def next_due(state: SchedulesState) -> datetime | None:
    """The earliest due-time of any schedule, or ``None``."""
    dues = (due_at(record) for record in state.schedules.values())
    return min((due for due in dues if due is not None), default=None)


def due_schedules(state: SchedulesState, now: datetime) -> list[str]:
    """Ids of the schedules whose timer has come at ``now``, in id order."""
    return [
        schedule_id
        for schedule_id, record in sorted(state.schedules.items())
        if (due := due_at(record)) is not None and due <= now
    ]


def schedule_id_of(state: SchedulesState, ref: str) -> str | None:
    """The id of the schedule ``ref`` names: its id, else its exact name, else its name
    ignoring case (the first created wins a tie); ``None`` when none does."""
    if ref in state.schedules:
        return ref
    records = state.schedules.values()
    folded = ref.casefold()
    exact = next((r.schedule.id for r in records if r.schedule.name == ref), None)
    if exact is not None:
        return exact
    return next((r.schedule.id for r in records if r.schedule.name.casefold() == folded), None)
