"""Paging, black box: a real ``pulsar serve`` over PostgreSQL with the test clock, mailing
a loopback SMTP server (aiosmtpd) — issue 6 "Proof" and "Test clock".

One server (and organization) serves the module; each test has its own people, so
what one test's clock moves cannot page another's. Covered: an email page end to end
(one multipart message whose Message-ID is the notification id of the alert's log;
its acknowledge link is a GET form and a POST that acknowledges, after which nothing
more is sent), a two-step policy's second rule 30 minutes later, the notification logs
(``/alerts/{id}/notifications``, ``/users/{id|me}/notifications``), manual
``escalate-to-next`` and the test clock endpoint.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.helpers.app import open_harness
from tests.helpers.loopback import Smtp, open_smtp
from tests.helpers.paging_server import (
    CLOCK,
    Api,
    in_background,
    mails_to,
    paging_env,
    serve_with_org,
)
from tests.helpers.server import free_port
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Stack:
    base_url: str
    api_key: str
    smtp: Smtp


@asynccontextmanager
async def _stack() -> AsyncIterator[Stack]:
    async with fresh_database() as dsn, open_smtp() as smtp:
        port = free_port()
        env = paging_env(smtp_port=smtp.port, public_url=f"http://127.0.0.1:{port}")
        async with serve_with_org(dsn, env, port=port) as (server, key):
            yield Stack(server.base_url, key, smtp)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with in_background(_stack) as running:
        yield running


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[Api]:
    headers = {"Authorization": f"GenieKey {stack.api_key}"}
    async with httpx.AsyncClient(base_url=stack.base_url, headers=headers) as client:
        yield Api(client)


@pytest.fixture
async def other(stack: Stack) -> AsyncIterator[tuple[Api, str]]:
    """A second organization's signed-in owner (registered through the API): their API
    and account id."""
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        body = {
            "email": f"owner-{uuid.uuid4().hex[:12]}@beta.example.com",
            "password": PASSWORD,
            "name": "Olga",
            "organization": "Beta",
        }
        response = await client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 201, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        yield Api(client), response.json()["user"]["id"]


def _part(message: Any, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None, f"no {kind} part"
    content: str = part.get_content()
    return content


def _types(log: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in log]


async def _alert_data(api: Api, alert_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (await api.call("GET", f"/api/v1/alerts/{alert_id}"))["data"]
    return data


# -- email end to end ----------------------------------------------------------------------


async def test_an_email_page_end_to_end_and_its_acknowledge_link_stops_the_escalation(
    api: Api, stack: Stack
) -> None:
    ann = await api.member("ann@example.com", "Ann")
    policy = await api.policy("payments", (0, ann), (30, ann))
    alert = await api.alert("Payment API down", policy)
    [page] = await api.settled(alert, pages=1)

    [mail] = mails_to(stack.smtp, "ann@example.com")
    notification_id = page["notification_id"]
    assert mail["Message-ID"] == f"<{notification_id}@pulsar>"
    assert mail["X-Pulsar-Notification-Id"] == notification_id
    assert mail["To"] == "ann@example.com"
    assert mail.get_content_type() == "multipart/alternative"
    assert "Payment API down" in mail["Subject"]
    text, html = _part(mail, "plain"), _part(mail, "html")
    assert "Payment API down" in text
    assert "Payment API down" in html
    # the alert's log and Ann's log name this very message
    assert page["account_id"] == ann
    assert page["method"] == "email"
    delivered = await api.log(alert, "NotificationDelivered")
    assert [e["notification_id"] for e in delivered] == [notification_id]
    records = (await api.call("GET", f"/api/v1/users/{ann}/notifications"))["data"]
    assert [(r["notificationId"], r["alertId"]) for r in records] == [(notification_id, alert)]

    # the acknowledge link: GET shows a form and changes nothing, POST acknowledges
    found = re.search(r"^Acknowledge: (\S+)", text, re.MULTILINE)
    assert found is not None, text
    link = found.group(1)
    assert link.startswith(stack.base_url + "/api/v1/actions/")
    async with httpx.AsyncClient() as browser:  # no credential: the link is one
        shown = await browser.get(link)
        assert shown.status_code == 200
        assert '<form method="post">' in shown.text
        assert (await _alert_data(api, alert)).get("acknowledged", False) is False
        done = await browser.post(link)
        assert done.status_code == 200
        assert "Acknowledged by Ann" in done.text
    assert (await _alert_data(api, alert))["acknowledged"] is True

    # rule 2 (Ann again, 30 minutes) is skipped: nothing more is sent
    await api.advance(31 * 60)
    fired = await api.log(alert, "EscalationRuleFired")
    assert [(e["rule_index"], e["outcome"]) for e in fired] == [(0, "paged"), (1, "skipped")]
    assert len(await api.log(alert, "NotificationRequested")) == 1
    assert (await api.paging(alert))["nextDueAt"] is None
    assert len(mails_to(stack.smtp, "ann@example.com")) == 1


async def test_a_two_step_policy_pages_its_second_rule_30_minutes_after_the_alert(
    api: Api, stack: Stack
) -> None:
    ben = await api.member("ben@example.com", "Ben")
    cat = await api.member("cat@example.com", "Cat")
    policy = await api.policy("checkout", (0, ben), (30, cat))
    alert = await api.alert("Checkout errors", policy)
    [first] = await api.settled(alert, pages=1)
    assert first["account_id"] == ben
    created = datetime.fromisoformat(first["due_at"])

    await api.advance(29 * 60)
    assert len(await api.log(alert, "EscalationRuleFired")) == 1
    assert len(mails_to(stack.smtp, "cat@example.com")) == 0

    await api.advance(60)
    _, second = await api.settled(alert, pages=2)
    assert second["account_id"] == cat
    assert second["late"] is False
    [_, rule_2] = await api.log(alert, "EscalationRuleFired")
    assert datetime.fromisoformat(rule_2["due_at"]) == created + timedelta(minutes=30)
    [mail] = mails_to(stack.smtp, "cat@example.com")
    assert mail["Message-ID"] == f"<{second['notification_id']}@pulsar>"

    await api.advance(6 * 3600)  # quiescent: no rule, repeat or step is left
    assert len(mails_to(stack.smtp, "ben@example.com")) == 1
    assert len(mails_to(stack.smtp, "cat@example.com")) == 1
    assert (await api.paging(alert))["nextDueAt"] is None


# -- the notification logs -----------------------------------------------------------------


async def test_an_alerts_notifications_tell_its_escalations_pending_pages_and_log(
    api: Api, other: tuple[Api, str]
) -> None:
    dan = await api.member("dan@example.com", "Dan")
    policy = await api.policy("search", (0, dan), (10, dan))
    alert = await api.alert("Search slow", policy)
    [page] = await api.settled(alert, pages=1)

    data = await api.paging(alert)
    [run] = data["escalations"]
    assert run["policy"] == {"id": policy, "name": "search"}
    assert run["policyVersion"] == 1
    assert run["nextRule"] == 1
    assert run["done"] is False
    assert data["pending"] == []
    due = datetime.fromisoformat(page["due_at"]) + timedelta(minutes=10)
    assert datetime.fromisoformat(data["nextDueAt"]) == due
    assert _types([e["event"] for e in data["log"]]) == [
        "RoutingDecided",
        "EscalationStarted",
        "EscalationRuleFired",
        "NotificationRequested",
        "NotificationDelivered",
    ]
    tiny = (await _alert_data(api, alert))["tinyId"]
    by_tiny = await api.call("GET", f"/api/v1/alerts/{tiny}/notifications?identifierType=tiny")
    assert by_tiny["data"]["log"] == data["log"]

    await api.call("GET", "/api/v1/alerts/no-such-alert/notifications", expect=404)
    theirs, olga = other
    their_policy = await theirs.policy("beta", (0, olga))
    their_alert = await theirs.alert("Beta down", their_policy)
    await api.call("GET", f"/api/v1/alerts/{their_alert}/notifications", expect=404)
    await api.call("POST", f"/api/v1/alerts/{alert}/close", {})


async def test_a_persons_notifications_are_theirs_newest_first_and_out_of_other_orgs_reach(
    api: Api, stack: Stack, other: tuple[Api, str]
) -> None:
    eve = await api.member("eve@example.com", "Eve")
    policy = await api.policy("mail", (0, eve))
    first = await api.alert("Mail queue growing", policy)
    second = await api.alert("Mail bounced", policy)
    await api.settled(first, pages=1)
    await api.settled(second, pages=1)

    records = (await api.call("GET", f"/api/v1/users/{eve}/notifications"))["data"]
    assert [r["alertId"] for r in records] == [second, first]  # newest first
    assert {r["status"] for r in records} == {"delivered"}
    assert {r["method"] for r in records} == {"email"}
    assert {r["contactMethodId"] for r in records} == {"account-email"}
    assert len(mails_to(stack.smtp, "eve@example.com")) == 2
    by_email = await api.call("GET", "/api/v1/users/eve@example.com/notifications")
    assert by_email["data"] == records

    error = await api.call("GET", "/api/v1/users/me/notifications", expect=422)
    assert error["code"] == "invalid_field"  # an API key is nobody
    await api.call("GET", "/api/v1/users/no-such-user/notifications", expect=404)

    theirs, olga = other
    await api.call("GET", f"/api/v1/users/{olga}/notifications", expect=404)
    await theirs.call("GET", f"/api/v1/users/{eve}/notifications", expect=404)
    their_policy = await theirs.policy("beta-mail", (0, olga))
    their_alert = await theirs.alert("Beta mail down", their_policy)
    await theirs.settled(their_alert, pages=1)
    mine = (await theirs.call("GET", "/api/v1/users/me/notifications"))["data"]
    assert their_alert in [r["alertId"] for r in mine]
    assert first not in [r["alertId"] for r in mine]
    for alert in (first, second):
        await api.call("POST", f"/api/v1/alerts/{alert}/close", {})


# -- escalate to next ----------------------------------------------------------------------


async def test_escalate_to_next_pages_the_next_rule_now_and_refuses_what_it_cannot(
    api: Api, stack: Stack, other: tuple[Api, str]
) -> None:
    fay = await api.member("fay@example.com", "Fay")
    gus = await api.member("gus@example.com", "Gus")
    policy = await api.policy("storage", (0, fay), (30, gus))
    alert = await api.alert("Storage full", policy)
    await api.settled(alert, pages=1)

    await api.call("POST", f"/api/v1/alerts/{alert}/escalate-to-next", {})
    _, page = await api.settled(alert, pages=2)
    assert page["account_id"] == gus
    [_, manual] = await api.log(alert, "EscalationRuleFired")
    assert (manual["rule_index"], manual["manual"]) == (1, True)
    assert len(mails_to(stack.smtp, "gus@example.com")) == 1

    # bad identifiers, another organization's alert
    await api.call("POST", "/api/v1/alerts/no-such-alert/escalate-to-next", {}, expect=404)
    await api.call(
        "POST", "/api/v1/alerts/999999/escalate-to-next?identifierType=tiny", {}, expect=404
    )
    theirs, olga = other
    their_alert = await theirs.alert("Beta storage", await theirs.policy("b", (0, olga)))
    await api.call("POST", f"/api/v1/alerts/{their_alert}/escalate-to-next", {}, expect=404)

    # a closed alert
    await api.call("POST", f"/api/v1/alerts/{alert}/close", {})
    error = await api.call("POST", f"/api/v1/alerts/{alert}/escalate-to-next", {}, expect=409)
    assert error["code"] == "alert_closed"

    # an alert of a policy in maintenance: recorded, silent, not escalated by hand
    hal = await api.member("hal@example.com", "Hal")
    quiet = await api.policy("quiet", (0, hal), (5, hal))
    body = {"description": "upgrade", "entities": [{"type": "policy", "id": quiet}]}
    window = (await api.call("POST", "/api/v1/maintenance", body, expect=201))["data"]["id"]
    held = await api.alert("During the upgrade", quiet)
    [run] = (await api.paging(held))["escalations"]
    assert run["heldBy"] == window
    response = await api.client.post(f"/api/v1/alerts/{held}/escalate-to-next", json={})
    assert response.status_code == 409, response.text  # a refusal because of state
    assert response.json()["code"] == "in_maintenance"
    await api.call("POST", f"/api/v1/alerts/{held}/close", {})
    await api.call("POST", f"/api/v1/maintenance/{window}/cancel", {})
    assert await api.log(held, "NotificationRequested") == []
    assert mails_to(stack.smtp, "hal@example.com") == []


# -- the test clock ------------------------------------------------------------------------


async def test_the_test_clock_reads_moves_forward_only_and_refuses_bad_bodies(
    api: Api, stack: Stack
) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        assert (await anonymous.get(CLOCK)).status_code == 200
        assert (await anonymous.post(CLOCK, json={"advance_seconds": 1})).status_code == 401

    before = await api.now()
    after = await api.advance(3600)
    assert after >= before + timedelta(seconds=3600)
    assert after - before < timedelta(seconds=3600 + 30)
    target = after + timedelta(minutes=5)
    assert await api.set_clock(target) >= target

    past = (await api.now() - timedelta(minutes=1)).isoformat()
    bad: list[Any] = [
        {},
        {"advance_seconds": 1, "set": (target + timedelta(hours=1)).isoformat()},
        {"advance_seconds": -1},
        {"advance_seconds": 400 * 86400},
        {"advance_seconds": "soon"},
        {"set": past},  # backwards
        {"set": "2999-01-01T00:00:00"},  # no time zone
        {"set": "tomorrow"},
        {"seconds": 5},  # unknown field
        [],
    ]
    for body in bad:
        response = await api.client.post(CLOCK, json=body)
        assert response.status_code == 422, (body, response.text)
    response = await api.client.post(CLOCK, content=b"{", headers={"Content-Type": "x"})
    assert response.status_code == 400
    assert await api.now() >= target


async def test_the_test_clock_does_not_exist_without_pulsar_test_clock() -> None:
    async with fresh_database() as dsn, open_harness(dsn) as app:
        assert (await app.get(CLOCK)).status_code == 404
        response = await app.post(CLOCK, json={"advance_seconds": 60})
        assert response.status_code == 404
        assert datetime.now(UTC) - app.services.clock.now() < timedelta(seconds=30)
