"""One-click acknowledge/close links (/api/v1/actions/{token}) over a real PostgreSQL.

GET shows a confirmation page and changes nothing (mail scanners prefetch
links); POST acts as the link's person; expired, forged and malformed links,
links of people who left, and links into another organization do nothing.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from engine import Message, Target, Transports
from tests.helpers.app import Harness, Org, open_harness
from tests.helpers.loopback import open_smtp
from tests.pg import fresh_database
from web.auth.links import ActionLinks

pytestmark = pytest.mark.postgres

ACTIONS = "/api/v1/actions"
JSON = {"Accept": "application/json"}


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with (
        fresh_database() as dsn,
        open_harness(dsn, cookie_secure=False, public_url="https://pulsar.test") as harness,
    ):
        yield harness


def _links(api: Harness) -> ActionLinks:
    links: ActionLinks = api.services.extra["action_links"]
    return links


async def _member(api: Harness, email: str, name: str, org: Org | None = None) -> str:
    response = await api.post("/api/v1/users", json={"email": email, "name": name}, org=org)
    assert response.status_code == 201, await response.get_data()
    account_id: str = (await response.get_json())["data"]["id"]
    return account_id


async def _alert(api: Harness, message: str = "Database down", org: Org | None = None) -> str:
    response = await api.post("/api/v1/alerts", json={"message": message}, org=org)
    assert response.status_code == 202, await response.get_data()
    alert_id: str = (await response.get_json())["alert_id"]
    return alert_id


async def _state(api: Harness, alert_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/alerts/{alert_id}")
    data: dict[str, Any] = (await response.get_json())["data"]
    return data


def _token(api: Harness, alert_id: str, account: str, action: str, **kw: Any) -> str:
    org_id = kw.pop("org_id", api.org.org_id)
    expires = api.services.clock.now() + kw.pop("ttl", timedelta(hours=1))
    return _links(api).sign(org_id, alert_id, account, action, expires)  # type: ignore[arg-type]


async def _page(response: Any, status: int) -> str:
    text: str = (await response.get_data()).decode()
    assert response.status_code == status, text
    assert response.content_type.startswith("text/html")
    return text


async def test_get_shows_a_form_and_changes_nothing(api: Harness) -> None:
    """The page names the alert and the person, posts to itself, runs no script."""
    alice = await _member(api, "alice@example.com", "Alice")
    alert_id = await _alert(api)
    token = _token(api, alert_id, alice, "ack")
    response = await api.client.get(f"{ACTIONS}/{token}")
    page = await _page(response, 200)
    assert "Acknowledge #1" in page
    assert '<form method="post">' in page
    assert "acting as Alice" in page
    assert "Database down" in page
    assert "<script" not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert (await _state(api, alert_id))["acknowledged"] is False
    as_json = await api.client.get(f"{ACTIONS}/{token}", headers=JSON)
    assert (await as_json.get_json())["result"] == "pending"


async def test_post_acknowledges_once(api: Harness) -> None:
    """POST acknowledges as the link's person (source email-link); again: already done."""
    alice = await _member(api, "alice@example.com", "Alice")
    alert_id = await _alert(api)
    token = _token(api, alert_id, alice, "ack")
    page = await _page(await api.client.post(f"{ACTIONS}/{token}"), 200)
    assert "Acknowledged by Alice" in page
    alert = await _state(api, alert_id)
    assert alert["acknowledged"] is True
    assert alert["report"]["acknowledgedBy"] == "Alice"
    history = await (await api.get(f"/api/v1/alerts/{alert_id}/history")).get_json()
    acked = [h for h in history["data"] if h["type"] == "AlertAcknowledged"]
    assert acked[0]["event"]["source"] == "email-link"
    assert acked[0]["actor"] == {"kind": "user", "id": alice}
    again = await _page(await api.client.post(f"{ACTIONS}/{token}"), 200)
    assert "already acknowledged" in again
    as_json = await api.client.post(f"{ACTIONS}/{token}", headers=JSON)
    assert (await as_json.get_json())["result"] == "already_acknowledged"


async def test_close_link_and_links_of_a_closed_alert(api: Harness) -> None:
    """Close closes; afterwards the acknowledge link says the alert is closed."""
    bob = await _member(api, "bob@example.com", "")
    alert_id = await _alert(api, "Disk full")
    close = _token(api, alert_id, bob, "close")
    response = await api.client.post(f"{ACTIONS}/{close}", headers=JSON)
    body = await response.get_json()
    assert (body["result"], body["by"], body["status"]) == ("closed", "bob", "closed")
    assert (await _state(api, alert_id))["status"] == "closed"
    ack = _token(api, alert_id, bob, "ack")
    shown = await _page(await api.client.get(f"{ACTIONS}/{ack}"), 200)
    assert "already closed" in shown
    assert "<form" not in shown
    assert "#1 P3 Disk full (closed)" in shown
    posted = await _page(await api.client.post(f"{ACTIONS}/{ack}"), 200)
    assert "already closed" in posted


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("expired", 403, "link_expired"),
        ("forged", 403, "invalid_link"),
        ("junk", 400, "invalid_link"),
    ],
)
async def test_bad_links_do_nothing(api: Harness, kind: str, status: int, code: str) -> None:
    """Expired, tampered and malformed tokens: an HTML page or the JSON error, no change."""
    alice = await _member(api, "alice@example.com", "Alice")
    alert_id = await _alert(api)
    token = {
        "expired": _token(api, alert_id, alice, "ack", ttl=timedelta(seconds=-1)),
        "forged": _token(api, alert_id, alice, "ack")[:-2] + "AA",
        "junk": "not-a-token",
    }[kind]
    page = await _page(await api.client.post(f"{ACTIONS}/{token}"), status)
    assert "Link not valid" in page
    response = await api.client.post(f"{ACTIONS}/{token}", headers=JSON)
    assert response.status_code == status
    assert (await response.get_json())["code"] == code
    assert (await _state(api, alert_id))["acknowledged"] is False


async def test_a_removed_members_link_no_longer_works(api: Harness) -> None:
    alice = await _member(api, "alice@example.com", "Alice")
    alert_id = await _alert(api)
    token = _token(api, alert_id, alice, "ack")
    removed = await api.client.delete(f"/api/v1/users/{alice}", headers=api.org.headers)
    assert removed.status_code in (200, 204), await removed.get_data()
    await api.services.directory.catch_up(api.services.store)
    response = await api.client.post(f"{ACTIONS}/{token}", headers=JSON)
    assert response.status_code == 403
    assert "no longer a member" in (await response.get_json())["message"]
    assert (await _state(api, alert_id))["acknowledged"] is False


async def test_a_viewers_link_does_not_act(api: Harness) -> None:
    """A viewer may not work alerts: their link is refused (403 forbidden)."""
    response = await api.post(
        "/api/v1/users", json={"email": "vic@example.com", "name": "Vic", "role": "viewer"}
    )
    assert response.status_code == 201, await response.get_data()
    viewer = (await response.get_json())["data"]["id"]
    alert_id = await _alert(api)
    token = _token(api, alert_id, viewer, "ack")
    answer = await api.client.post(f"{ACTIONS}/{token}", headers=JSON)
    assert answer.status_code == 403
    assert (await answer.get_json())["code"] == "forbidden"
    assert "Not allowed" in await _page(await api.client.get(f"{ACTIONS}/{token}"), 403)
    assert (await _state(api, alert_id))["acknowledged"] is False


async def test_another_organizations_alert_is_out_of_reach(api: Harness) -> None:
    """A link of org A naming org B's alert id finds nothing (404), and B's alert is untouched."""
    other = await api.new_org("beta")
    alice = await _member(api, "alice@example.com", "Alice")
    theirs = await _alert(api, "Theirs", org=other)
    token = _token(api, theirs, alice, "close")
    response = await api.client.post(f"{ACTIONS}/{token}", headers=JSON)
    assert response.status_code == 404
    assert (await response.get_json())["code"] == "alert_not_found"
    page = await _page(await api.client.get(f"{ACTIONS}/{token}"), 404)
    assert "Alert not found" in page
    data = await (await api.get(f"/api/v1/alerts/{theirs}", org=other)).get_json()
    assert data["data"]["status"] == "open"


async def test_links_need_no_credential_but_are_rate_limited_by_address(api: Harness) -> None:
    """No Authorization header is needed; the route is counted against the caller's IP."""
    from web.auth.routes import access_of

    rule = access_of("actions.perform_action")
    assert rule is not None
    assert (rule.credential, rule.ip_limited) == (False, True)


async def test_the_link_in_a_delivered_email_acknowledges() -> None:
    """End to end: an email through loopback SMTP; its Acknowledge link is followed."""
    async with (
        open_smtp() as smtp,
        fresh_database() as dsn,
        open_harness(
            dsn,
            cookie_secure=False,
            public_url="https://pulsar.test",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
        ) as api,
    ):
        alice = await _member(api, "alice@example.com", "Alice")
        alert_id = await _alert(api)
        now = api.services.clock.now()
        urls = _links(api).urls("https://pulsar.test", api.org.org_id, alert_id, alice, now)
        assert urls is not None
        message = Message(
            notification_id="n-1",
            org_id=api.org.org_id,
            org_name="acme",
            alert_id=alert_id,
            tiny_id=1,
            message="Database down",
            description="",
            priority="P3",
            status="open",
            tags=(),
            details={},
            source="test",
            entity="",
            created_at=now,
            recipient_id=alice,
            recipient_name="Alice",
            recipient_email="alice@example.com",
            reason="test",
            alert_url=urls.alert_url,
            ack_url=urls.ack_url,
            close_url=urls.close_url,
        )
        transports: Transports = api.services.extra["transports"]
        result = await transports.send(Target(method="email", address="alice@example.com"), message)
        assert result.delivered, result.detail
        mail = email.message_from_bytes(smtp.envelopes[0].content, policy=email.policy.default)
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        link = re.search(r"Acknowledge: https://pulsar\.test(\S+)", text)
        assert link is not None
        shown = await _page(await api.client.get(link.group(1)), 200)
        assert "Acknowledge #1" in shown
        done = await _page(await api.client.post(link.group(1)), 200)
        assert "Acknowledged by Alice" in done
        assert (await _state(api, alert_id))["acknowledged"] is True
