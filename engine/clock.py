"""The one time source of the engine (reliability.md decision 9).

Business time is read from a ``Clock`` once per actor batch or timer wake-up
and written into events; nothing in the engine calls ``datetime.now``.

``TrioClock`` derives wall time from ``trio.current_time()`` anchored at
start-up, so a ``trio.testing.MockClock`` moves both trio deadlines *and* the
wall clock the engine sees: a week of timers runs in milliseconds in tests.
In production (``follow_wall_clock=True``) it re-anchors to the real wall
clock at most every 30 s, so a stepped system clock is noticed.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Protocol, final

import trio

__all__ = ["Clock", "FixedClock", "TrioClock"]

_REANCHOR_SECONDS = 30.0


class Clock(Protocol):
    def now(self) -> datetime:
        """The current UTC time (timezone-aware)."""
        ...

    def deadline_for(self, when: datetime) -> float:
        """The ``trio.current_time()`` deadline at which ``when`` is reached."""
        ...


@final
class TrioClock:
    """Wall time as an offset from trio's clock; must be used inside ``trio.run``."""

    def __init__(self, *, start: datetime | None = None, follow_wall_clock: bool = False) -> None:
        self._follow = follow_wall_clock
        self._anchor_wall = start or datetime.now(UTC)
        self._anchor_trio = trio.current_time()

    def now(self) -> datetime:
        elapsed = trio.current_time() - self._anchor_trio
        if self._follow and elapsed > _REANCHOR_SECONDS:
            self._anchor_wall = datetime.now(UTC)
            self._anchor_trio = trio.current_time()
            elapsed = 0.0
        return self._anchor_wall + timedelta(seconds=elapsed)

    def deadline_for(self, when: datetime) -> float:
        delta = (when - self.now()).total_seconds()
        return trio.current_time() + max(delta, 0.0)

    def advance(self, seconds: float) -> None:
        """Move this clock's wall time forward (test mode only; trio time is untouched)."""
        self._anchor_wall += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        """Make ``now()`` read ``when`` (test mode only; callers keep it moving forward)."""
        self._anchor_wall += when - self.now()


@final
class FixedClock:
    """A clock that only moves when told to; for pure tests without trio."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def deadline_for(self, when: datetime) -> float:
        return math.inf

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
