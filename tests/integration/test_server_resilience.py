"""One malformed connection must not stop the server (hypercorn issue #225)."""

from __future__ import annotations

import httpx
import pytest
import trio

from tests.helpers.server import run_server
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres


async def test_a_websocket_upgrade_with_trailing_bytes_leaves_the_server_serving() -> None:
    async with fresh_database() as dsn, run_server(dsn) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        await stream.send_all(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            b"trailing bytes"
        )
        with trio.move_on_after(2):
            await stream.receive_some(4096)
        await stream.aclose()
        await trio.sleep(0.5)
        assert server.process.returncode is None
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            assert (await client.get("/healthz")).status_code == 200
