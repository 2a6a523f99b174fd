"""Slack button clicks (/api/v1/slack/interactions) over a real PostgreSQL (scenarios S49).

Requests are signed like Slack signs them; the message update goes to a
loopback ``response_url``. Unsigned or stale requests are refused; an
unlinked Slack user is asked to link; a linked one acknowledges or closes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import msgspec
import pytest

from engine import SYSTEM, CommandContext
from engine.contacts import AddContactMethod
from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.loopback import Http, open_http
from tests.pg import fresh_database
from web.api.slack import LINK_PROMPT
from web.auth.links import ActionLinks

pytestmark = pytest.mark.postgres

PATH = "/api/v1/slack/interactions"
SECRET = "slack-signing-secret"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with (
        fresh_database() as dsn,
        open_harness(
            dsn,
            cookie_secure=False,
            public_url="https://pulsar.test",
            slack_signing_secret=SECRET,
            notify_backoff=0.001,
            outbound_allowed_networks=("127.0.0.0/8",),  # the response_url peer is loopback
        ) as harness,
    ):
        yield harness


@pytest.fixture
async def slack() -> AsyncIterator[Http]:
    async with open_http() as peer:
        yield peer


async def _member(api: Harness, email: str, name: str, org: Org | None = None) -> str:
    response = await api.post("/api/v1/users", json={"email": email, "name": name}, org=org)
    assert response.status_code == 201, await response.get_data()
    account_id: str = (await response.get_json())["data"]["id"]
    return account_id


async def _link(api: Harness, account_id: str, slack_user: str, org: Org | None = None) -> None:
    """Give the member a Slack contact method with their Slack user id."""
    command = AddContactMethod(
        account_id=account_id, method_id="slack-1", method="slack", address=slack_user
    )
    org_id = (org or api.org).org_id
    await api.services.supervisor.submit(org_id, command, SYSTEM)


async def _alert(api: Harness, org: Org | None = None) -> str:
    response = await api.post(
        "/api/v1/alerts", json={"message": "Database down", "details": {"host": "db1"}}, org=org
    )
    assert response.status_code == 202, await response.get_data()
    alert_id: str = (await response.get_json())["alert_id"]
    return alert_id


async def _state(api: Harness, alert_id: str, org: Org | None = None) -> dict[str, Any]:
    data: dict[str, Any] = (
        await (await api.get(f"/api/v1/alerts/{alert_id}", org=org)).get_json()
    )["data"]
    return data


def _token(api: Harness, alert_id: str, account: str, action: str, **kw: Any) -> str:
    links: ActionLinks = api.services.extra["action_links"]
    expires = api.services.clock.now() + kw.pop("ttl", timedelta(hours=1))
    org_id = kw.pop("org_id", api.org.org_id)
    return links.sign(org_id, alert_id, account, action, expires)  # type: ignore[arg-type]


def _payload(slack: Http, token: str, action_id: str, user: str = "U0ALICE1", **kw: Any) -> bytes:
    payload = {
        "type": kw.pop("type", "block_actions"),
        "user": {"id": user, "username": "someone", "team_id": "T1"},
        "actions": [{"type": "button", "action_id": action_id, "value": token}],
        "response_url": slack.url("/respond"),
        "message": {
            "metadata": {
                "event_type": "pulsar_notification",
                "event_payload": {"notification_id": "n-7", "alert_id": "a"},
            }
        },
    }
    return urlencode({"payload": msgspec.json.encode(payload).decode()}).encode()


async def _click(api: Harness, body: bytes, *, skew: int = 0, secret: str = SECRET) -> Any:
    timestamp = str(int(api.services.clock.now().timestamp()) + skew)
    base = f"v0:{timestamp}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return await api.client.post(
        PATH,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
    )


def _buttons(update: dict[str, Any]) -> list[str]:
    blocks = update["attachments"][0]["blocks"]
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_unsigned_or_stale_requests_are_refused(api: Harness, slack: Http) -> None:
    """A wrong signature, or a timestamp over five minutes away: 401, nothing done."""
    alice = await _member(api, "alice@example.com", "Alice")
    await _link(api, alice, "U0ALICE1")
    alert_id = await _alert(api)
    body = _payload(slack, _token(api, alert_id, alice, "ack"), "pulsar_ack")
    for skew, secret in [(0, "wrong"), (-301, SECRET), (301, SECRET)]:
        response = await _click(api, body, skew=skew, secret=secret)
        assert response.status_code == 401, (skew, secret)
        assert (await response.get_json())["code"] == "unauthorized"
    assert (await _state(api, alert_id))["acknowledged"] is False
    assert slack.requests == []


async def test_missing_headers_and_a_bad_payload(api: Harness, slack: Http) -> None:
    bare = await api.client.post(PATH, data=b"payload=%7B%7D")
    assert bare.status_code == 401
    garbled = await _click(api, b"payload=not-json")
    assert garbled.status_code == 400


async def test_an_unlinked_user_is_asked_to_link(api: Harness, slack: Http) -> None:
    """An ephemeral prompt, in the answer and through response_url; the alert is untouched."""
    alice = await _member(api, "alice@example.com", "Alice")
    alert_id = await _alert(api)
    body = _payload(slack, _token(api, alert_id, alice, "ack"), "pulsar_ack", user="U0STRANGER")
    response = await _click(api, body)
    assert response.status_code == 200
    expected = {"response_type": "ephemeral", "replace_original": False, "text": LINK_PROMPT}
    assert await response.get_json() == expected
    assert [r.json() for r in slack.requests] == [expected]
    assert (await _state(api, alert_id))["acknowledged"] is False


async def test_a_linked_user_acknowledges_then_closes(api: Harness, slack: Http) -> None:
    """Ack: "Acknowledged by Alice", new colour, only Close left. Close: no buttons, no details."""
    alice = await _member(api, "alice@example.com", "Alice")
    bob = await _member(api, "bob@example.com", "Bob")
    await _link(api, alice, "U0ALICE1")
    alert_id = await _alert(api)
    # Bob was paged; Alice clicks in the channel: the action is Alice's.
    response = await _click(
        api, _payload(slack, _token(api, alert_id, bob, "ack"), "pulsar_ack", user="U0ALICE1")
    )
    assert response.status_code == 200, await response.get_data()
    alert = await _state(api, alert_id)
    assert alert["acknowledged"] is True
    assert alert["report"]["acknowledgedBy"] == "Alice"
    [update] = [r.json() for r in slack.requests]
    assert update["replace_original"] is True
    assert "Acknowledged by Alice" in update["text"]
    assert update["attachments"][0]["color"] != "#d0021b"
    assert _buttons(update) == ["pulsar_close", "pulsar_open"]
    assert "db1" in str(update)
    close_token = next(
        e["value"]
        for b in update["attachments"][0]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "pulsar_close"
    )
    closed = await _click(api, _payload(slack, close_token, "pulsar_close", user="U0ALICE1"))
    assert closed.status_code == 200
    assert (await _state(api, alert_id))["status"] == "closed"
    final = slack.requests[-1].json()
    assert "Closed by Alice" in final["text"]
    assert _buttons(final) == []
    assert "db1" not in str(final)
    assert [b["type"] for b in final["attachments"][0]["blocks"]] == ["header", "context"]
    history = await (await api.get(f"/api/v1/alerts/{alert_id}/history")).get_json()
    sources = {h["type"]: h["event"].get("source") for h in history["data"]}
    assert sources["AlertAcknowledged"] == sources["AlertClosed"] == "slack"


async def test_expired_mismatched_and_other_clicks(api: Harness, slack: Http) -> None:
    """An expired token or a token of the other action is refused; other clicks are ignored."""
    alice = await _member(api, "alice@example.com", "Alice")
    await _link(api, alice, "U0ALICE1")
    alert_id = await _alert(api)
    expired = _token(api, alert_id, alice, "ack", ttl=timedelta(seconds=-5))
    answer = await (await _click(api, _payload(slack, expired, "pulsar_ack"))).get_json()
    assert "no longer valid" in answer["text"]
    close = _token(api, alert_id, alice, "close")
    answer = await (await _click(api, _payload(slack, close, "pulsar_ack"))).get_json()
    assert "not valid" in answer["text"]
    opened = await _click(api, _payload(slack, "", "pulsar_open"))
    assert (opened.status_code, await opened.get_data()) == (200, b"")
    shortcut = await _click(api, _payload(slack, close, "pulsar_close", type="shortcut"))
    assert (shortcut.status_code, await shortcut.get_data()) == (200, b"")
    assert (await _state(api, alert_id))["status"] == "open"


async def test_a_linked_viewer_cannot_act(api: Harness, slack: Http) -> None:
    response = await api.post(
        "/api/v1/users", json={"email": "vic@example.com", "name": "Vic", "role": "viewer"}
    )
    viewer = (await response.get_json())["data"]["id"]
    await _link(api, viewer, "U0VIEWER")
    alert_id = await _alert(api)
    token = _token(api, alert_id, viewer, "ack")
    answer = await (
        await _click(api, _payload(slack, token, "pulsar_ack", user="U0VIEWER"))
    ).get_json()
    assert answer["text"] == "A viewer cannot acknowledge or close alerts."
    assert (await _state(api, alert_id))["acknowledged"] is False


async def test_acknowledging_a_closed_alert_says_so(api: Harness, slack: Http) -> None:
    alice = await _member(api, "alice@example.com", "Alice")
    await _link(api, alice, "U0ALICE1")
    alert_id = await _alert(api)
    ctx = CommandContext(principal_kind="system", principal_id="test")
    from engine import CloseAlert

    await api.services.supervisor.submit(api.org.org_id, CloseAlert(alert_id=alert_id), ctx)
    answer = await (
        await _click(api, _payload(slack, _token(api, alert_id, alice, "ack"), "pulsar_ack"))
    ).get_json()
    assert answer["text"] == "This alert is already closed."


async def test_a_slack_user_linked_elsewhere_cannot_act_in_another_organization(
    api: Harness, slack: Http
) -> None:
    """Alice's Slack id is linked in org A only: a button of org B's alert only prompts."""
    other = await api.new_org("beta")
    alice = await _member(api, "alice@example.com", "Alice")
    await _link(api, alice, "U0ALICE1")
    bob = await _member(api, "bob@example.com", "Bob", org=other)
    theirs = await _alert(api, org=other)
    token = _token(api, theirs, bob, "close", org_id=other.org_id)
    answer = await (await _click(api, _payload(slack, token, "pulsar_close"))).get_json()
    assert answer["text"] == LINK_PROMPT
    assert (await _state(api, theirs, org=other))["status"] == "open"
