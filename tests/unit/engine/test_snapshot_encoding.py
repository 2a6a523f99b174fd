"""Snapshot encoding off the process's hot path (``engine.runtime.snapshots``).

A large state is encoded by a forked child: the bytes must be exactly the
state at the instant ``encode_snapshot`` was called, whatever the parent does
afterwards; a child that dies is an error, never a short snapshot; a failed
fork falls back to encoding at once; a cancelled read still reaps the child.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
import trio

from engine import CommandContext, CreateAlert
from engine.org import OrgState, encode_state, execute, initial_state
from engine.runtime import snapshots
from engine.runtime.snapshots import (
    SnapshotEncodingFailed,
    encode_snapshot,
    snapshot_data,
    state_of,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
CTX = CommandContext(principal_kind="api_key", principal_id="k1")


def grow(state: OrgState, first: int, count: int) -> None:
    for n in range(first, first + count):
        command = CreateAlert(
            alert_id=f"00000000-0000-7000-8000-{n:012d}",
            message=f"disk full on db-{n}",
            alias=f"db-{n}",
            tags=("disk", "prod"),
            details={"host": f"db-{n}"},
        )
        execute(state, command, CTX, START + timedelta(seconds=n))


def state_with(count: int) -> OrgState:
    state = initial_state()
    grow(state, 0, count)
    return state


async def test_a_small_state_is_encoded_at_once() -> None:
    state = state_with(3)
    pending = encode_snapshot(state)  # 3 alerts: far below FORK_MIN_ALERTS
    assert pending is not None
    assert not pending.forked
    assert await pending.result() == snapshot_data(state)


async def test_a_forked_snapshot_is_the_state_at_the_call_not_after() -> None:
    state = state_with(50)
    expected = snapshot_data(state)
    pending = encode_snapshot(state, fork_min_alerts=10)
    assert pending is not None
    assert pending.forked
    grow(state, 50, 20)  # the parent moves on before the child is read
    state.alerts.alerts["00000000-0000-7000-8000-000000000001"].message = "changed"
    data = await pending.result()
    assert data == expected
    assert len(state_of(data).alerts.alerts) == 50
    assert snapshot_data(state) != expected


async def test_a_child_that_dies_is_an_error_not_a_short_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(state: OrgState) -> bytes:
        raise MemoryError("no room in the child")

    state = state_with(5)
    monkeypatch.setattr(snapshots, "encode_state", broken)  # the child inherits it
    pending = encode_snapshot(state, fork_min_alerts=0)
    assert pending is not None
    assert pending.forked
    with pytest.raises(SnapshotEncodingFailed, match="exited with 1"):
        await pending.result()


async def test_a_failed_fork_is_an_error_not_an_inline_stall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    with pytest.raises(SnapshotEncodingFailed, match="fork failed"):
        encode_snapshot(state_with(5), fork_min_alerts=0)


async def test_one_child_at_a_time() -> None:
    """While one organization's child encodes, another's snapshot waits its turn."""
    first = encode_snapshot(state_with(5), fork_min_alerts=0)
    assert first is not None
    assert first.forked
    assert encode_snapshot(state_with(6), fork_min_alerts=0) is None
    small = encode_snapshot(state_with(3))  # inline ones never wait
    assert small is not None
    assert not small.forked
    await first.result()
    second = encode_snapshot(state_with(6), fork_min_alerts=0)
    assert second is not None
    assert second.forked
    await second.result()


async def test_a_cancelled_read_still_reaps_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    forked: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    pending = encode_snapshot(state_with(20), fork_min_alerts=0)
    assert pending is not None
    with trio.CancelScope() as scope:
        scope.cancel()
        await pending.result()
    assert scope.cancelled_caught
    assert reaped(forked[0])  # no zombie left behind


def reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_snapshot_bytes_are_the_state_compressed() -> None:
    """Several times smaller than the encoded state, and read back to the same state;
    bytes that are not a snapshot are a ``DecodeError`` (``load_state`` then folds the log)."""
    state = state_with(200)
    data = snapshot_data(state)
    assert len(data) * 4 < len(encode_state(state))
    assert encode_state(state_of(data)) == encode_state(state)
    with pytest.raises(msgspec.DecodeError):
        state_of(encode_state(state))  # an uncompressed (older) snapshot
