"""Snapshot bytes of an organization's state without stalling the process.

Encoding a state is O(state) and one C call that holds the GIL: about 1-3 µs
per alert here, so an organization with 100,000 open alerts would stop every
task of the process (every organization's actor, HTTP, WebSocket fan-out) for
0.1-0.3 s each time it snapshots. Above ``FORK_MIN_ALERTS`` alerts the actor
therefore forks (as Redis does for BGSAVE): the child encodes its copy-on-write
image of the state — exactly the state at the instant of the fork, whatever the
parent does next — writes it to a pipe and exits; the parent pays only for the
fork (a few ms; it grows with the whole process's memory, not with the
organization) and reads the pipe in the background. Below the threshold, or
where ``fork`` is unavailable, encoding at once is cheaper. One child at a time per
process (each holds a copy-on-write image): another organization waits for its
turn, and a failed fork or save is retried an interval later, not at once.

The child runs nothing but the encoder and ``os._exit``: no trio, no I/O but
its pipe, no interpreter shutdown (which would flush or close what the parent
owns).

A snapshot is the msgpack state compressed with zlib at level 1 (``snapshot_data``;
``state_of`` reads it): about 6 times smaller (100,000 alerts: 76 → 12 MB). Compressing
costs ~3 µs per alert where the encoding runs, and it saves far more than that
elsewhere: writing a 76 MB value made PostgreSQL write and flush as much WAL, and
every append committed meanwhile waited behind that flush (the escalation
benchmark's page lateness p99 at 1,000 pages/s: ~0.5 s of timer delay with
uncompressed snapshots, ~0.08 s without any).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import signal
import zlib
from typing import Final, final

import msgspec
import structlog
import trio

from engine.org import OrgState, decode_state, encode_state

__all__ = [
    "FORK_MIN_ALERTS",
    "PendingSnapshot",
    "SnapshotEncodingFailed",
    "encode_snapshot",
    "snapshot_data",
    "state_of",
]

log = structlog.get_logger("pulsar.actor")

FORK_MIN_ALERTS: Final = 5_000  # ~20 ms to encode and compress inline; a fork costs a few ms
_HEADER: Final = 8  # the child writes the length first: a short read is detected
_PIPE_SIZE: Final = 1 << 20  # fewer, larger reads (Linux; the default is 64 KiB)
_MAX_FD: Final = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536


def snapshot_data(state: OrgState) -> bytes:
    """The bytes a snapshot stores: ``state`` encoded, then compressed."""
    return zlib.compress(encode_state(state), 1)


def state_of(data: bytes) -> OrgState:
    """The state a snapshot's bytes hold; ``msgspec.DecodeError`` when they hold none."""
    try:
        return decode_state(zlib.decompress(data))
    except zlib.error as error:
        raise msgspec.DecodeError(f"not a compressed snapshot: {error}") from None


class SnapshotEncodingFailed(Exception):
    """The forked encoder died or wrote an incomplete snapshot."""


@final
class PendingSnapshot:
    """The bytes of a state as it was when ``encode_snapshot`` was called."""

    __slots__ = ("_data", "_fd", "_pid")

    def __init__(self, data: bytes | None = None, *, pid: int = 0, fd: int = -1) -> None:
        self._data, self._pid, self._fd = data, pid, fd

    @property
    def forked(self) -> bool:
        return self._pid != 0

    async def result(self) -> bytes:
        """The encoded state (waits for the child when forked); call once."""
        if self._data is not None:
            return self._data
        global _forked
        chunks: list[bytes] = []
        done = False
        try:
            async with trio.lowlevel.FdStream(self._fd) as pipe:
                while chunk := await pipe.receive_some(_PIPE_SIZE):
                    chunks.append(chunk)
            done = True
        finally:
            # Reap the child even when cancelled or failing, killing it first then:
            # nothing it could still write would be read.
            if not done:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._pid, signal.SIGKILL)
            with trio.CancelScope(shield=True):
                _, status = await trio.to_thread.run_sync(os.waitpid, self._pid, 0)
            _forked -= 1
        data = b"".join(chunks)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or len(data) < _HEADER:
            raise SnapshotEncodingFailed(f"encoder exited with {code} after {len(data)} bytes")
        size = int.from_bytes(data[:_HEADER], "big")
        if size != len(data) - _HEADER:
            raise SnapshotEncodingFailed(f"encoder wrote {len(data) - _HEADER} of {size} bytes")
        return data[_HEADER:]


_forked = 0  # children encoding now (at most one: each costs a copy-on-write image)


def encode_snapshot(
    state: OrgState, *, fork_min_alerts: int = FORK_MIN_ALERTS
) -> PendingSnapshot | None:
    """Start encoding ``state`` as it is now (see the module docstring).

    ``None``: another organization's snapshot is being encoded by a child; ask again
    later. Raises ``SnapshotEncodingFailed`` when the fork fails (out of memory or
    processes): the caller should wait a whole interval before trying again.
    """
    global _forked
    if len(state.alerts.alerts) < fork_min_alerts or not hasattr(os, "fork"):
        return PendingSnapshot(snapshot_data(state))
    if _forked:
        return None
    read, write = os.pipe()
    with contextlib.suppress(AttributeError, OSError):  # F_SETPIPE_SZ is Linux's
        fcntl.fcntl(read, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    try:
        pid = os.fork()
    except OSError as error:
        os.close(read)
        os.close(write)
        raise SnapshotEncodingFailed(f"fork failed: {error!r}") from None
    if pid == 0:  # pragma: no cover - the child (coverage does not follow os._exit)
        _encode_in_child(state, read, write)
    os.close(write)
    _forked += 1
    return PendingSnapshot(pid=pid, fd=read)


def _encode_in_child(state: OrgState, read: int, write: int) -> None:  # pragma: no cover
    code = 1
    try:
        gc.disable()
        # Not the server: default signals (trio's handlers would swallow SIGTERM), no
        # wakeup fd, no inherited descriptors (listening socket, database sessions),
        # and the first to go if memory runs out.
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.closerange(3, write)
        os.closerange(write + 1, _MAX_FD)
        with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as score:
            score.write("1000")
        data = snapshot_data(state)
        with open(write, "wb", closefd=True) as pipe:
            pipe.write(len(data).to_bytes(_HEADER, "big"))
            pipe.write(data)
        code = 0
    finally:
        os._exit(code)
