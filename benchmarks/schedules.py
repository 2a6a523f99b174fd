"""Schedules: how fast the pure on-call calculation answers (engine/schedules/oncall.py).

Builds ``SCHEDULES`` schedules (fixed seed) with 3 rotations each -- hourly, daily,
weekly and custom, lengths 1-4, half of them restricted (daily windows, some
crossing midnight; weekday windows, some crossing the week's end), start dates up
to five years back -- and 20 overrides each (whole schedule or one rotation,
overlapping, random sequences), over eight time zones. Then times:

* ``on_call_at`` once per schedule, cold (the first call compiles the schedule)
  and warm (best of ``REPEAT``; the steady state of a projection that asks again);
* the same warm pass with the instant moving on each round (every schedule's
  instant plus ``STEP`` per round), so that nothing remembered from an earlier
  round for an instant could answer the next one (``on_call_at`` caches nothing
  per instant; this figure shows it);
* a 90-day ``timeline`` for ``TIMELINES`` schedules;
* ``next_on_call`` for ``TIMELINES`` schedules.

No database. Run: ``.venv/bin/python -m benchmarks schedules``.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks import Figure, report
from engine.schedules.model import (
    Override,
    Participant,
    Restriction,
    Rotation,
    Schedule,
    TimeWindow,
)
from engine.schedules.oncall import next_on_call, on_call_at, timeline

SCHEDULES = 10_000
TIMELINES = 200
REPEAT = 5
STEP = timedelta(minutes=7)
SEED = 20240601
TARGET_TOTAL_MS = 100.0
NOW = datetime(2025, 3, 9, 7, 45, tzinfo=UTC)  # around the US spring-forward
ZONES = (
    "America/Chicago",
    "Europe/Berlin",
    "UTC",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/New_York",
    "Pacific/Auckland",
    "Asia/Tokyo",
)
BENCH = "schedules"


def _restriction(rng: random.Random) -> Restriction | None:
    kind = rng.random()
    if kind < 0.5:
        return None
    if kind < 0.75:
        window = TimeWindow(start_minute=rng.randrange(1440), end_minute=rng.randrange(1440))
        return Restriction(type="time-of-day", windows=(window,))
    windows = tuple(
        TimeWindow(
            start_day=rng.randint(1, 7),
            start_minute=rng.randrange(1440),
            end_day=rng.randint(1, 7),
            end_minute=rng.randrange(1440),
        )
        for _ in range(rng.randint(1, 3))
    )
    return Restriction(type="weekday-and-time-of-day", windows=windows)


def _rotation(rng: random.Random, index: int, tz: ZoneInfo) -> Rotation:
    start = NOW - timedelta(minutes=rng.randrange(5 * 365 * 1440))
    users = [f"u{rng.randrange(50)}" for _ in range(rng.randint(1, 6))]
    participants = tuple(
        Participant(type="none") if rng.random() < 0.1 else Participant(id=u) for u in users
    )
    return Rotation(
        id=f"r{index}",
        name=f"rotation {index}",
        type=rng.choice(("hourly", "daily", "weekly", "custom")),
        length=rng.randint(1, 4),
        custom_unit=rng.choice(("hours", "days")),
        start=start.astimezone(tz),
        end=None if rng.random() < 0.8 else NOW + timedelta(days=rng.randint(-30, 60)),
        participants=participants,
        restriction=_restriction(rng),
    )


def _override(rng: random.Random, index: int) -> Override:
    start = NOW + timedelta(minutes=rng.randrange(-60 * 24 * 10, 60 * 24 * 30))
    return Override(
        id=f"o{index}",
        user=f"u{rng.randrange(50)}",
        start=start,
        end=start + timedelta(minutes=rng.randrange(30, 60 * 24 * 3)),
        rotation_ids=() if rng.random() < 0.4 else (f"r{rng.randrange(3)}",),
        sequence=rng.randrange(100),
    )


def build(rng: random.Random) -> list[Schedule]:
    schedules = []
    for n in range(SCHEDULES):
        zone = rng.choice(ZONES)
        tz = ZoneInfo(zone)
        schedules.append(
            Schedule(
                id=f"s{n}",
                name=f"schedule {n}",
                timezone=zone,
                rotations=tuple(_rotation(rng, i, tz) for i in range(3)),
                overrides=tuple(_override(rng, i) for i in range(20)),
            )
        )
    return schedules


def _time_all(schedules: list[Schedule], at: list[datetime]) -> float:
    start = time.perf_counter()
    for schedule, t in zip(schedules, at, strict=True):
        on_call_at(schedule, t)
    return time.perf_counter() - start


def _load() -> float:
    """The 1-minute load average (Linux), to read the figures against; -1 elsewhere."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return float(f.read().split()[0])
    except OSError:
        return -1.0


def main() -> None:
    rng = random.Random(SEED)
    schedules = build(rng)
    at = [NOW + timedelta(seconds=rng.randrange(-86_400, 86_400)) for _ in schedules]
    cold = _time_all(schedules, at)
    warm = min(_time_all(schedules, at) for _ in range(REPEAT))
    moving = sorted(
        _time_all(schedules, [t + round_ * STEP for t in at]) for round_ in range(1, REPEAT + 1)
    )
    some = schedules[:TIMELINES]
    start = time.perf_counter()
    periods = sum(len(timeline(s, NOW, NOW + timedelta(days=90))) for s in some)
    per_timeline = (time.perf_counter() - start) / TIMELINES
    start = time.perf_counter()
    for s in some:
        next_on_call(s, NOW)
    per_next = (time.perf_counter() - start) / TIMELINES
    report(
        "schedules: pure on-call calculation",
        [
            Figure(BENCH, "on_call_at x10k, warm", warm * 1000, "ms", TARGET_TOTAL_MS, False),
            Figure(BENCH, "on_call_at, warm", SCHEDULES / warm, "calls/s"),
            Figure(
                BENCH,
                "on_call_at x10k, instant +7 min/round",
                moving[0] * 1000,
                "ms",
                TARGET_TOTAL_MS,
                False,
                note=f"median {moving[len(moving) // 2] * 1000:.1f} ms",
            ),
            Figure(BENCH, "on_call_at x10k, cold (compiles)", cold * 1000, "ms", note="1st call"),
            Figure(BENCH, "on_call_at, cold", SCHEDULES / cold, "calls/s"),
            Figure(BENCH, "timeline 90 days", per_timeline * 1000, "ms/schedule"),
            Figure(BENCH, "timeline 90 days periods", periods / TIMELINES, "periods/schedule"),
            Figure(BENCH, "next_on_call", per_next * 1000, "ms/call"),
            Figure(BENCH, "load average (1 min)", _load(), "", note="other sessions"),
        ],
    )


if __name__ == "__main__":
    main()
