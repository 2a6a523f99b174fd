"""The schedules area's due-time memo returns exactly what a recomputation would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.schedules import state as schedules_state
from engine.schedules.model import Participant, Rotation, Schedule
from engine.schedules.state import ScheduleRecord, due_at

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def record(schedule_id: str, *, checked_at: datetime = T0, enabled: bool = True) -> ScheduleRecord:
    rotation = Rotation(
        id="r",
        name="r",
        type="daily",
        start=T0,
        participants=(Participant(id="a"), Participant(id="b")),
    )
    schedule = Schedule(
        id=schedule_id, name=schedule_id, timezone="UTC", enabled=enabled, rotations=(rotation,)
    )
    return ScheduleRecord(schedule=schedule, created_at=T0, updated_at=T0, checked_at=checked_at)


def test_due_is_the_next_hand_off_and_follows_checked_at() -> None:
    """A daily rotation is due at the next midnight; moving checked_at moves the due-time."""
    rec = record("s1")
    assert due_at(rec) == T0 + timedelta(days=1)
    assert due_at(rec) == T0 + timedelta(days=1)  # memo hit
    rec.checked_at = T0 + timedelta(days=1)
    assert due_at(rec) == T0 + timedelta(days=2)
    assert due_at(record("off", enabled=False)) is None


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """When full, the memo is emptied and answers stay correct."""
    monkeypatch.setattr(schedules_state, "_DUE_MEMO_SIZE", 2)
    records = [record(f"s{i}") for i in range(5)]
    assert [due_at(r) for r in records] == [T0 + timedelta(days=1)] * 5
    assert len(schedules_state._due_memo) <= 2
