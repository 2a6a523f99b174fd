"""Outbound deliveries and server-side request forgery, over HTTP with the default policy.

A contact method whose URL host is a refused literal address (or ``localhost``) is
a 422 at once, in the native and the Opsgenie contact APIs, on create and update
(so is a URL that cannot be parsed); a host name is accepted (it is judged when a
notification connects). A method that still points at a refused address (saved
before, or under a wider ``PULSAR_OUTBOUND_ALLOWED_NETWORKS``) is a failed page
with the reason in the alert's notification log, and the outbox goes on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio

from engine import SYSTEM, AddContactMethod
from tests.helpers.app import Harness, open_harness
from tests.helpers.loopback import open_http
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

SUFFIX = "; allow it with PULSAR_OUTBOUND_ALLOWED_NETWORKS"


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with fresh_database() as dsn, open_harness(dsn, notify_backoff=0.001) as harness:
        yield harness


async def _call(api: Harness, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    response = await api.client.open(path, method=method, headers=api.org.headers, json=body)
    return response.status_code, await response.get_json()


async def _ok(api: Harness, method: str, path: str, body: Any = None) -> Any:
    status, answer = await _call(api, method, path, body)
    assert 200 <= status < 300, answer
    return answer


async def _member(api: Harness, email: str) -> str:
    answer = await _ok(api, "POST", "/api/v1/users", {"email": email, "name": email[:3]})
    account_id: str = answer["data"]["id"]
    return account_id


REFUSED_URLS = [
    ("webhook", "http://127.0.0.1:9000/hook", "127.0.0.1 is a loopback address"),
    (
        "webhook",
        "http://localhost:9000/hook",
        "localhost resolves to 127.0.0.1, a loopback address",
    ),
    ("webhook", "http://169.254.169.254/latest", "169.254.169.254 is a link-local address"),
    ("slack", "https://10.1.2.3/services/x", "10.1.2.3 is a private address"),
    ("teams", "https://[::1]/workflow", "::1 is a loopback address"),
    ("teams", "https://[::ffff:192.168.0.9]/w", "::ffff:192.168.0.9 is a private address"),
]


async def test_a_url_at_a_refused_literal_address_is_a_422_at_once(api: Harness) -> None:
    """Create (native and Opsgenie) and update: 422 ``invalid_field`` on ``address`` with
    the reason; nothing is stored; a host name is accepted as is."""
    ann = await _member(api, "ann@example.com")
    methods = f"/api/v1/users/{ann}/contact-methods"
    for method, url, reason in REFUSED_URLS:
        status, body = await _call(api, "POST", methods, {"method": method, "address": url})
        assert (status, body["code"], body.get("field")) == (422, "invalid_field", "address")
        assert body["message"].startswith(f"refused: {reason}"), body
        assert body["message"].endswith(SUFFIX), body
        assert body["request_id"]
    unparsable = {"method": "teams", "address": "https://[::1/workflow"}
    status, body = await _call(api, "POST", methods, unparsable)  # not a 500
    assert (status, body["code"], body.get("field")) == (422, "invalid_field", "address"), body
    assert body["message"].startswith("refused: 'https://[::1/workflow' is not a URL that can be")
    hook = {"method": "webhook", "address": "https://hooks.example.com/in"}
    created = (await _ok(api, "POST", methods, hook))["data"]
    status, body = await _call(
        api, "PATCH", f"{methods}/{created['id']}", {"address": "http://10.0.0.5/in"}
    )
    assert (status, body["message"]) == (422, f"refused: 10.0.0.5 is a private address{SUFFIX}")
    status, body = await _call(
        api, "POST", f"/v2/users/{ann}/contacts", {"method": "webhook", "to": "http://0.0.0.0/"}
    )
    assert status == 422, body
    assert body["message"] == f"refused: 0.0.0.0 is an unspecified address{SUFFIX}"
    stored = [(m["method"], m["address"]) for m in (await _ok(api, "GET", methods))["data"]]
    assert stored == [("email", "ann@example.com"), ("webhook", "https://hooks.example.com/in")]


async def _page_only(api: Harness, account_id: str, method_id: str) -> str:
    """The member's default rule pages only ``method_id``; a policy paging them; its id."""
    rules = (await _ok(api, "GET", f"/api/v1/users/{account_id}/notification-rules"))["data"]
    steps = [{"contactMethodId": method_id, "sendAfterMinutes": 0}]
    rule = f"/api/v1/users/{account_id}/notification-rules/{rules[0]['id']}"
    await _ok(api, "PATCH", rule, {"steps": steps})
    policy = {
        "name": f"policy-{method_id}",
        "rules": [{"delayMinutes": 0, "recipient": {"type": "user", "id": account_id}}],
    }
    policy_id: str = (await _ok(api, "POST", "/api/v1/escalation-policies", policy))["data"]["id"]
    return policy_id


async def _outcome(api: Harness, policy_id: str) -> tuple[str, dict[str, Any]]:
    """Raise an alert for the policy; the type and event of its one page's outcome."""
    body = {"message": "Database down", "responders": [{"type": "escalation", "id": policy_id}]}
    alert_id = (await _ok(api, "POST", "/api/v1/alerts", body))["alert_id"]
    outcomes = {"NotificationDelivered", "NotificationFailed"}
    with trio.fail_after(15):
        while True:
            log = (await _ok(api, "GET", f"/api/v1/alerts/{alert_id}/notifications"))["data"]
            done = [(e["type"], e["event"]) for e in log["log"] if e["type"] in outcomes]
            if done:
                return done[0]
            await trio.sleep(0.05)


async def test_a_page_to_a_refused_address_fails_with_the_reason_and_the_outbox_goes_on(
    api: Harness,
) -> None:
    """A webhook saved earlier at a loopback URL: its page fails at once (no request, no
    retry), the reason is in the notification log, and later pages still go out."""
    async with open_http() as peer:
        bob = await _member(api, "bob@example.com")
        command = AddContactMethod(
            account_id=bob,
            method_id="hook-1",
            method="webhook",
            address=peer.url("/hook"),
            secret="s3cret",
        )
        await api.services.supervisor.submit(api.org.org_id, command, SYSTEM)
        policy_id = await _page_only(api, bob, "hook-1")
        first = await _outcome(api, policy_id)
        second = await _outcome(api, policy_id)
    failed = ("NotificationFailed", f"refused: 127.0.0.1 is a loopback address{SUFFIX}")
    assert [failed, failed] == [(kind, event["reason"]) for kind, event in (first, second)]
    assert peer.requests == []
    assert api.services.extra["notifier"].failed == 2
