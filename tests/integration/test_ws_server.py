"""Live updates against a real ``pulsar serve`` process, with trio-websocket as the client."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, open_websocket_url

from tests.helpers.server import create_org, run_server
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def receive(ws: WebSocketConnection) -> dict[str, Any]:
    with trio.fail_after(10):
        while True:
            frame: dict[str, Any] = json.loads(await ws.get_message())
            if frame["type"] != "ping":
                return frame


async def test_a_real_server_streams_deltas_and_closes_on_a_bad_token() -> None:
    async with fresh_database() as dsn:
        _, key = await create_org(dsn)
        async with run_server(dsn) as server, httpx.AsyncClient() as http:
            url = server.base_url.replace("http://", "ws://") + "/api/v1/ws"
            async with open_websocket_url(url) as ws:
                await ws.send_message(json.dumps({"type": "auth", "token": key}))
                assert (await receive(ws))["type"] == "ready"
                await ws.send_message(
                    json.dumps({"type": "subscribe", "id": "a", "topic": "alerts"})
                )
                snapshot = await receive(ws)
                assert (snapshot["type"], snapshot["data"]["alerts"]) == ("snapshot", [])
                response = await http.post(
                    server.base_url + "/api/v1/alerts",
                    json={"message": "disk full"},
                    headers={"Authorization": f"GenieKey {key}"},
                )
                assert response.status_code == 202
                delta = await receive(ws)
                assert delta["type"] == "event"
                assert delta["event"]["alert"]["message"] == "disk full"
                assert delta["version"] > snapshot["version"]
            async with open_websocket_url(f"{url}?token={key}") as ws:
                await ws.send_message(json.dumps({"type": "subscribe", "id": "a", "topic": "x"}))
                error = await receive(ws)
                assert error["code"] == "unauthorized"
                with pytest.raises(ConnectionClosed) as closed:
                    await receive(ws)
                assert closed.value.reason.code == 4401
                # trio-websocket 0.12 leaves its socket open when the server closes
                # first (its reader stops at EOF without closing the stream).
                await ws._stream.aclose()
