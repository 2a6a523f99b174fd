"""Lean WebSocket clients for ``benchmarks.live``: N connections in one process, one thread.

Run by ``benchmarks.live`` as its own process::

    python -m benchmarks.live_clients <port> <key> <n>

It opens ``n`` WebSocket connections to ``/api/v1/ws`` (RFC 6455 handshake,
masked client frames), authenticates each with its first frame, subscribes it
to ``alerts`` with ``{"status": "open"}`` and waits for the snapshot; then
prints ``connected <seconds>``. From then on one ``selectors`` loop reads every
socket, parses the server's frames and notes the receipt time
(``time.perf_counter``) of each ``AlertCreated`` delta. It answers the
server's ``ping`` frames (protocol and application level). A line
``expect <count>`` on stdin says how many receipts end the run; the run also
ends ``DRAIN`` seconds after that line. Last, one JSON object on stdout:
receipts (alias → receipt times), frames, resyncs, errors.

Why not trio-websocket in the benchmark's own process (``PULSAR_BENCH_LIVE_CLIENT=
trio-websocket`` still does that): its per-message cost (~150 µs here) is as
large as the server's per-frame cost, and with 1,000 clients on the same two
cores the clients' own queueing shows up as delivery latency. This reader costs
a ``recv`` and a ``msgspec`` decode per frame, so the figure is mostly the
server's. A browser on another machine costs the server the same frames.
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import socket
import sys
import time
from typing import Final

import msgspec

DRAIN: Final = 5.0
HANDSHAKE_TIMEOUT: Final = 30.0
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


class _Alert(msgspec.Struct):
    alias: str


class _Delta(msgspec.Struct):
    type: str
    alert: _Alert | None = None


class _Frame(msgspec.Struct):
    type: str
    event: _Delta | None = None
    events: list[_Delta] | None = None


decode_frame = msgspec.json.Decoder(_Frame).decode


def client_frame(payload: bytes, opcode: int = _TEXT) -> bytes:
    """One masked, final client frame (RFC 6455 §5.2)."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, 0x80 | size))
    elif size < 1 << 16:
        header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    mask = os.urandom(4)
    if not size:
        return header + mask
    key = (mask * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")
    return header + mask + masked


def parse_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take every complete frame off the front of ``buffer``: ``(opcode, payload)``.

    Server frames are unmasked; a fragmented message (never sent by the server
    today) is returned as its fragments, opcode 0 for the continuations.
    """
    frames = []
    while len(buffer) >= 2:
        size, start = buffer[1] & 0x7F, 2
        if size == 126:
            if len(buffer) < 4:
                break
            size, start = int.from_bytes(buffer[2:4], "big"), 4
        elif size == 127:
            if len(buffer) < 10:
                break
            size, start = int.from_bytes(buffer[2:10], "big"), 10
        if len(buffer) < start + size:
            break
        frames.append((buffer[0] & 0x0F, bytes(buffer[start : start + size])))
        del buffer[: start + size]
    return frames


class _Conn:
    __slots__ = ("buffer", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()


def _open(port: int, key: str) -> _Conn:
    """Connect, upgrade, authenticate and subscribe (blocking, with a timeout)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    nonce = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    conn = _Conn(sock)
    while b"\r\n\r\n" not in conn.buffer:
        conn.buffer += _recv(sock)
    head, _, rest = bytes(conn.buffer).partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"upgrade refused: {head[:80]!r}")
    conn.buffer = bytearray(rest)
    sock.sendall(client_frame(json.dumps({"type": "auth", "token": key}).encode()))
    _expect(conn, "ready")
    subscribe = {"type": "subscribe", "id": "list", "topic": "alerts", "filter": {"status": "open"}}
    sock.sendall(client_frame(json.dumps(subscribe).encode()))
    _expect(conn, "snapshot")
    sock.setblocking(False)
    return conn


def _recv(sock: socket.socket) -> bytes:
    data = sock.recv(1 << 18)
    if not data:
        raise RuntimeError("closed during the handshake")
    return data


def _expect(conn: _Conn, kind: str) -> None:
    """Read frames until a text frame of type ``kind`` (the server's answer)."""
    while True:
        for opcode, payload in parse_frames(conn.buffer):
            if opcode == _TEXT:
                got = json.loads(payload)["type"]
                if got != kind:
                    raise RuntimeError(f"expected {kind}, got {payload[:200]!r}")
                return
        conn.buffer += _recv(conn.sock)


class Results(msgspec.Struct):
    receipts: dict[str, list[float]]
    frames: int = 0
    resyncs: int = 0
    errors: list[str] = msgspec.field(default_factory=list)
    connect_seconds: float = 0.0


def run(port: int, key: str, n: int) -> Results:
    results = Results(receipts={})
    started = time.perf_counter()
    conns = [_open(port, key) for _ in range(n)]
    results.connect_seconds = time.perf_counter() - started
    print(f"connected {results.connect_seconds:.3f}", flush=True)

    selector = selectors.DefaultSelector()
    for conn in conns:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    selector.register(sys.stdin, selectors.EVENT_READ, None)
    receipts = results.receipts
    received, expected, deadline = 0, 0, float("inf")
    open_conns = n
    while open_conns and time.perf_counter() < deadline and not (expected and received >= expected):
        for selected, _ in selector.select(timeout=0.2):
            conn = selected.data
            if conn is None:  # the parent: "expect <count>"
                line = sys.stdin.readline()
                if not line:
                    return results
                expected = int(line.split()[1])
                deadline = time.perf_counter() + DRAIN
                selector.unregister(sys.stdin)
                continue
            try:
                data = conn.sock.recv(1 << 18)
            except BlockingIOError:
                continue
            now = time.perf_counter()
            if not data:
                results.errors.append("closed by the server")
                selector.unregister(conn.sock)
                open_conns -= 1
                continue
            conn.buffer += data
            for opcode, payload in parse_frames(conn.buffer):
                if opcode == _PING:
                    conn.sock.sendall(client_frame(payload, _PONG))
                    continue
                if opcode == _CLOSE:
                    results.errors.append(f"close frame {payload[:2].hex()}")
                    continue
                if opcode != _TEXT:
                    continue
                results.frames += 1
                frame = decode_frame(payload)
                if frame.type == "ping":
                    conn.sock.sendall(client_frame(b'{"type":"pong"}'))
                    continue
                if frame.type == "resync":
                    results.resyncs += 1
                    continue
                deltas = frame.events if frame.events is not None else [frame.event]
                for delta in deltas:
                    if delta is not None and delta.type == "AlertCreated" and delta.alert:
                        receipts.setdefault(delta.alert.alias, []).append(now)
                        received += 1
    return results


def main() -> None:
    port, key, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    results = run(port, key, n)
    sys.stdout.buffer.write(msgspec.json.encode(results) + b"\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
