"""Black-box paging tests against a real ``pulsar serve``: its environment, API shortcuts,
and reading what the loopback peers (``tests.helpers.loopback``) received.

The server runs with ``PULSAR_TEST_CLOCK=1``: ``Api.advance`` moves its clock (timers
fire at their own instants) and ``PULSAR_TEST_CLOCK_START`` starts a restarted server
where the test wants (a server's clock otherwise starts at wall time). ``in_background``
keeps an async context manager (a database, the peers, a server) open in a helper
thread's trio loop, so one server can serve a whole test module.
"""

from __future__ import annotations

import email
import email.policy
import inspect
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, TypeVar

import httpx
import trio

from tests.helpers.loopback import Http, Recorded, Smtp
from tests.helpers.server import ServerProcess, create_org, run_server

__all__ = [
    "CLOCK",
    "Api",
    "eventually",
    "hook_requests",
    "in_background",
    "mails_to",
    "paging_env",
    "serve_with_org",
]

T = TypeVar("T")
CLOCK = "/api/v1/_test/clock"
_OUTCOMES = frozenset({"NotificationDelivered", "NotificationFailed", "NotificationCancelled"})


def paging_env(
    *,
    smtp_port: int | None = None,
    public_url: str = "",
    clock_start: datetime | None = None,
) -> dict[str, str]:
    """The environment of a paging test server (test clock; SMTP on loopback, no TLS;
    webhooks may reach the loopback peers)."""
    env = {
        "PULSAR_TEST_CLOCK": "1",
        "PULSAR_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",
        "PULSAR_NOTIFY_BACKOFF": "0.01",
        "PULSAR_NOTIFY_TIMEOUT": "30",  # a held-open send outlives the kill that cuts it
        "PULSAR_SMTP_FROM": "Pulsar <pulsar@pulsar.test>",
    }
    if smtp_port is not None:
        env |= {
            "PULSAR_SMTP_HOST": "127.0.0.1",
            "PULSAR_SMTP_PORT": str(smtp_port),
            "PULSAR_SMTP_TLS": "none",
        }
    if public_url:
        env["PULSAR_PUBLIC_URL"] = public_url
    if clock_start is not None:
        env["PULSAR_TEST_CLOCK_START"] = clock_start.isoformat()
    return env


async def eventually(check: Callable[[], Any], within: float = 15.0) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail after
    ``within`` seconds."""
    with trio.move_on_after(within):
        while True:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            await trio.sleep(0.05)
    raise AssertionError(f"not reached within {within} s")


@dataclass
class Api:
    """Shortcuts over one organization's API (``client`` carries its credential)."""

    client: httpx.AsyncClient

    async def call(
        self, method: str, path: str, json: Any = None, *, expect: int | None = None
    ) -> Any:
        """The JSON of a 2xx answer (or of the ``expect`` status)."""
        response = await self.client.request(method, path, json=json)
        if expect is None:
            assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        else:
            assert response.status_code == expect, f"{method} {path}: {response.text}"
        return response.json()

    async def member(self, email_address: str, name: str) -> str:
        """Add a member; their account id (their account email pages them at once)."""
        body = {"email": email_address, "name": name}
        data = await self.call("POST", "/api/v1/users", body, expect=201)
        account_id: str = data["data"]["id"]
        return account_id

    async def policy(self, name: str, *rules: tuple[int, str]) -> str:
        """A policy paging ``(delay minutes, account id)`` rules, if not acknowledged."""
        body = {
            "name": name,
            "rules": [
                {"delayMinutes": delay, "recipient": {"type": "user", "id": account}}
                for delay, account in rules
            ],
        }
        data = await self.call("POST", "/api/v1/escalation-policies", body, expect=201)
        policy_id: str = data["data"]["id"]
        return policy_id

    async def alert(self, message: str, policy_id: str) -> str:
        """An alert with the policy as its responder; its id."""
        body = {"message": message, "responders": [{"type": "escalation", "id": policy_id}]}
        data = await self.call("POST", "/api/v1/alerts", body, expect=202)
        alert_id: str = data["alert_id"]
        return alert_id

    async def webhook_only(self, account_id: str, url: str) -> str:
        """Give the member a webhook contact method and make their default notification
        rule page only it, at once; the method's id."""
        path = f"/api/v1/users/{account_id}/contact-methods"
        body = {"method": "webhook", "address": url, "name": "pager"}
        method_id: str = (await self.call("POST", path, body, expect=201))["data"]["id"]
        rules = (await self.call("GET", f"/api/v1/users/{account_id}/notification-rules"))["data"]
        assert len(rules) == 1, rules  # the default "new alert" rule
        steps = [{"contactMethodId": method_id, "sendAfterMinutes": 0}]
        rule = f"/api/v1/users/{account_id}/notification-rules/{rules[0]['id']}"
        await self.call("PATCH", rule, {"steps": steps})
        return method_id

    async def paging(self, alert_id: str) -> dict[str, Any]:
        """``GET /api/v1/alerts/{id}/notifications``'s data."""
        data: dict[str, Any] = (await self.call("GET", f"/api/v1/alerts/{alert_id}/notifications"))[
            "data"
        ]
        return data

    async def log(self, alert_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        """The paging events of the alert's log (of one ``kind``), oldest first."""
        log = (await self.paging(alert_id))["log"]
        return [entry["event"] for entry in log if kind is None or entry["type"] == kind]

    async def settled(self, alert_id: str, pages: int) -> list[dict[str, Any]]:
        """Wait until the alert has requested ``pages`` pages and every one has an
        outcome, nothing pending; the NotificationRequested events."""

        async def check() -> list[dict[str, Any]] | None:
            data = await self.paging(alert_id)
            log = data["log"]
            requested = [e["event"] for e in log if e["type"] == "NotificationRequested"]
            done = {e["event"]["notification_id"] for e in log if e["type"] in _OUTCOMES}
            ids = {e["notification_id"] for e in requested}
            assert len(requested) <= pages, requested
            if len(requested) == pages and ids <= done and not data["pending"]:
                return requested
            return None

        requested: list[dict[str, Any]] = await eventually(check)
        return requested

    async def now(self) -> datetime:
        return datetime.fromisoformat((await self.call("GET", CLOCK))["now"])

    async def advance(self, seconds: float) -> datetime:
        """Move the server's test clock forward (timers fire on the way); the new time."""
        data = await self.call("POST", CLOCK, {"advance_seconds": seconds})
        return datetime.fromisoformat(data["now"])

    async def set_clock(self, when: datetime) -> datetime:
        data = await self.call("POST", CLOCK, {"set": when.isoformat()})
        return datetime.fromisoformat(data["now"])


def mails_to(smtp: Smtp, address: str) -> list[EmailMessage]:
    """The messages the SMTP peer accepted for ``address``, in order."""
    out = []
    for envelope in list(smtp.envelopes):
        if address in envelope.rcpt_tos:
            raw = envelope.original_content or envelope.content
            assert isinstance(raw, bytes)
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            out.append(parsed)
    return out


def hook_requests(hook: Http, path: str) -> list[Recorded]:
    """The requests the HTTP peer received on ``path``, in order."""
    return [r for r in list(hook.requests) if r.path == path]


@asynccontextmanager
async def serve_with_org(
    dsn: str, env: dict[str, str], *, port: int | None = None
) -> AsyncIterator[tuple[ServerProcess, str]]:
    """``pulsar serve`` and a new organization (``pulsar org create``, run while the server
    starts: it follows new organizations); the server and the organization's API key."""
    created: list[str] = []

    async def create() -> None:
        created.append((await create_org(dsn))[1])

    async with trio.open_nursery() as nursery:
        nursery.start_soon(create)
        async with run_server(dsn, env=env, port=port) as server:
            await eventually(lambda: created, within=60)
            headers = {"Authorization": f"GenieKey {created[0]}"}
            async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:

                async def accepted() -> bool:
                    return (await client.get("/api/v1/alerts")).status_code == 200

                await eventually(accepted, within=5)
            yield server, created[0]


@contextmanager
def in_background(factory: Callable[[], AbstractAsyncContextManager[T]]) -> Iterator[T]:
    """Enter ``factory()`` in a helper thread's trio loop; yield its value; exit it there.

    For module-scoped fixtures: pytest-trio runs each test in its own loop, so what
    outlives a test (a server and its peers) lives in this thread's loop.
    """
    ready: queue.Queue[tuple[bool, Any]] = queue.Queue()
    done = threading.Event()
    failure: list[BaseException] = []

    async def hold() -> None:
        async with factory() as value:
            ready.put((True, value))
            await trio.to_thread.run_sync(done.wait)

    def run() -> None:
        try:
            trio.run(hold)
        except BaseException as error:
            failure.append(error)
            ready.put((False, error))

    thread = threading.Thread(target=run, daemon=True, name="paging-stack")
    thread.start()
    ok, value = ready.get(timeout=180)
    if not ok:
        raise value
    try:
        yield value
    finally:
        done.set()
        thread.join(60)
        if failure:
            raise failure[0]
