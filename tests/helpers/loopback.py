"""Loopback peers for channel tests: a tiny HTTP/1.1 server and an SMTP server.

``open_http()`` serves on 127.0.0.1 (h11, one request per connection),
records every request and answers from a queue (``answer``), so a test can
script "500, then 200" and read back exactly what Pulsar sent. ``open_smtp()``
runs aiosmtpd's SMTP protocol inside a trio-asyncio loop (aiosmtpd's threaded
``Controller`` cannot create its own loop while trio-asyncio is imported) and
collects the envelopes it accepts. No test touches the network.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import h11
import msgspec
import trio
import trio_asyncio
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["Answer", "Http", "Recorded", "Smtp", "open_http", "open_smtp"]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes | str | dict[str, Any] = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)


@dataclass
class Http:
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    answers: deque[Answer] = field(default_factory=deque)
    default: Answer = field(default_factory=Answer)
    received: trio.Event = field(default_factory=trio.Event)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *answers: Answer) -> None:
        """Answer the next requests with ``answers``, in order, then with ``default``."""
        self.answers.extend(answers)

    async def handle(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        request: h11.Request | None = None
        body = b""
        async with stream:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await stream.receive_some(65536))
                    continue
                if isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    return  # closed before a whole request arrived
            assert request is not None
            self.requests.append(
                Recorded(
                    method=request.method.decode(),
                    path=request.target.decode(),
                    headers={k.decode().lower(): v.decode() for k, v in request.headers},
                    body=body,
                )
            )
            self.received.set()
            answer = self.answers.popleft() if self.answers else self.default
            await trio.sleep(answer.delay)
            payload = answer.body
            if isinstance(payload, dict):
                payload = msgspec.json.encode(payload)
            elif isinstance(payload, str):
                payload = payload.encode()
            headers = [
                ("content-length", str(len(payload))),
                ("connection", "close"),
                *answer.headers.items(),
            ]
            await stream.send_all(
                conn.send(h11.Response(status_code=answer.status, headers=headers))
            )
            await stream.send_all(conn.send(h11.Data(data=payload)))
            await stream.send_all(conn.send(h11.EndOfMessage()))


@asynccontextmanager
async def open_http() -> AsyncIterator[Http]:
    """A recording HTTP server on a free loopback port, stopped on exit."""
    server = Http()
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, server.handle, 0, host="127.0.0.1"))
        server.port = listeners[0].socket.getsockname()[1]
        try:
            yield server
        finally:
            nursery.cancel_scope.cancel()


@dataclass
class Smtp:
    port: int = 0
    envelopes: list[Envelope] = field(default_factory=list)
    tls_sessions: list[bool] = field(default_factory=list)
    rcpt_calls: int = 0
    rcpt_reply: str = "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.rcpt_calls += 1
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.tls_sessions.append(session.ssl is not None)
        return "250 2.0.0 Ok: queued"


@asynccontextmanager
async def open_smtp() -> AsyncIterator[Smtp]:
    """An SMTP server (no TLS, no AUTH) on a free loopback port, stopped on exit."""
    handler = Smtp()
    async with trio_asyncio.open_loop() as loop:
        factory: Callable[[], SMTP] = lambda: SMTP(handler, hostname="pulsar-test")  # noqa: E731
        server = await trio_asyncio.aio_as_trio(_start, loop=loop)(factory)
        handler.port = server.sockets[0].getsockname()[1]
        try:
            yield handler
        finally:
            server.close()
            await trio_asyncio.aio_as_trio(server.wait_closed, loop=loop)()


async def _start(factory: Callable[[], SMTP]) -> Any:
    import asyncio

    return await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
