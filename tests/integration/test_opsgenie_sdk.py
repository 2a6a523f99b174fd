"""The real Opsgenie Python SDK (``opsgenie-sdk`` 2.1.5) against a real ``pulsar serve``.

The SDK is synchronous, so every call runs in a worker thread (``trio.to_thread``). It
parses every answer into its typed models, so a shape Pulsar gets wrong fails here
(compat-api.md 4.9: missing responder ids, bad timestamps, empty bodies).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import httpx
import pytest
import trio

from tests.helpers.server import create_org, run_server
from tests.pg import fresh_database

og: Any = pytest.importorskip("opsgenie_sdk")

pytestmark = pytest.mark.postgres
T = TypeVar("T")


@pytest.fixture
async def alert_api() -> AsyncIterator[Any]:
    async with fresh_database() as dsn, run_server(dsn) as server:
        _, key = await create_org(dsn)
        await _key_accepted(server.base_url, key)
        conf = og.Configuration()
        conf.api_key["Authorization"] = key
        conf.host = server.base_url + "/opsgenie"  # a prefixed base URL works as well
        conf.retry_enabled = False
        yield og.AlertApi(api_client=og.ApiClient(configuration=conf))


async def _key_accepted(base_url: str, key: str) -> None:
    """The server follows the log: wait until it knows the key made by another process."""
    with trio.fail_after(10):
        async with httpx.AsyncClient() as client:
            while True:
                response = await client.get(f"{base_url}/v2/alerts/count?apiKey={key}")
                if response.status_code == 200:
                    return
                await trio.sleep(0.05)


async def sdk(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await trio.to_thread.run_sync(partial(call, *args, **kwargs))


async def settled(api: Any, response: Any) -> Any:
    """The request status of an async SDK call's answer."""
    assert response.result == "Request will be processed"
    assert response.request_id
    assert response.took > 0
    status = await sdk(api.get_request_status, response.request_id)
    return status.data


async def test_sdk_alert_lifecycle(alert_api: Any) -> None:
    """create (typed and typeless responders), get by alias, list, ack, note, close, status."""
    api = alert_api
    conf = api.api_client.configuration
    async with httpx.AsyncClient() as client:  # the typeless TeamRecipient resolves to it
        root, key = conf.host.removesuffix("/opsgenie"), conf.api_key["Authorization"]
        made = await client.post(f"{root}/v2/teams?apiKey={key}", json={"name": "ops"})
    ops_id = made.json()["data"]["id"]
    payload = og.CreateAlertPayload(
        message="disk full on db-1",
        alias="db-1-disk",
        priority="P2",
        tags=["db"],
        details={"host": "db-1"},
        responders=[og.TeamRecipient(name="ops"), {"name": "sre", "type": "team"}],
        visible_to=[og.TeamRecipient(name="ops")],
        note="created by the SDK",
        user="sdk",
    )
    status = await settled(api, await sdk(api.create_alert, create_alert_payload=payload))
    assert (status.is_success, status.action, status.alias) == (True, "Create", "db-1-disk")
    assert isinstance(status.processed_at, datetime)

    alert = (await sdk(api.get_alert, "db-1-disk", identifier_type="alias")).data
    assert alert.id == status.alert_id
    assert (alert.tiny_id, alert.message, alert.priority, alert.status) == (
        "1",
        "disk full on db-1",
        "P2",
        "open",
    )
    assert alert.details == {"host": "db-1"}
    assert sorted((r.type, r.id) for r in alert.responders) == sorted(
        [("team", ops_id), ("team", "sre")]
    )
    assert isinstance(alert.created_at, datetime)

    listed = await sdk(
        api.list_alerts, query="status:open", limit=10, sort="createdAt", order="desc"
    )
    assert [a.id for a in listed.data] == [alert.id]
    assert (await sdk(api.count_alerts, query="priority:P2")).data.count == 1

    ack = og.AcknowledgeAlertPayload(user="ana", note="mine")
    response = await sdk(
        api.acknowledge_alert, "1", identifier_type="tiny", acknowledge_alert_payload=ack
    )
    assert (await settled(api, response)).is_success is True

    note = og.AddNoteToAlertPayload(user="ana", note="looking into it")
    response = await sdk(api.add_note, alert.id, add_note_to_alert_payload=note)
    assert (await settled(api, response)).is_success is True
    notes = await sdk(api.list_notes, alert.id, order="asc")
    assert [n.note for n in notes.data] == ["created by the SDK", "mine", "looking into it"]

    response = await sdk(api.close_alert, "db-1-disk", identifier_type="alias")  # no body
    assert (await settled(api, response)).status == "Closed alert"
    closed = (await sdk(api.get_alert, alert.id)).data
    assert (closed.status, closed.acknowledged, closed.report.acknowledged_by) == (
        "closed",
        True,
        "ana",
    )
    logs = await sdk(api.list_logs, alert.id, order="asc")
    assert logs.data[0].log == "Alert created"


async def test_sdk_unknown_alert(alert_api: Any) -> None:
    """Closing an unknown alias is accepted; its request status fails; get raises 404."""
    api = alert_api
    response = await sdk(api.close_alert, "ghost", identifier_type="alias")
    status = await settled(api, response)
    assert (status.is_success, status.status) == (False, "Alert does not exist")
    with pytest.raises(og.ApiException) as raised:
        await sdk(api.get_alert, "ghost", identifier_type="alias")
    assert raised.value.status == 404
