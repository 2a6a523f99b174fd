"""kill -9 ``pulsar serve`` at each point of a page's life and restart it on the same
database: each person receives exactly the intended pages (issue 6 "Proof";
reliability.md I3 no lost page, I4 no double page, decisions 6 and 8).

Everyone is paged by a webhook contact method whose loopback receiver records every
request (path = the person, header ``X-Pulsar-Notification-Id``). The points:

- after delivered (Alice): her page was answered and recorded before the kill; it
  is never sent again;
- after requested, before delivered (Carol, Erin): the receiver holds the request open
  and the server is killed; after the restart the page is delivered once more, with the
  same notification id, marked possibly duplicated, and never a third time;
- before requested (Bob, Dave): the server is killed before the rule's due time. Bob's
  server restarts ten minutes after his rule was due: he is paged once, marked late.
  Dave's restarts before his rule is due: he is paged once, on time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import trio

from tests.helpers.loopback import Answer, Http, open_http
from tests.helpers.paging_server import (
    Api,
    eventually,
    hook_requests,
    paging_env,
    serve_with_org,
)
from tests.helpers.server import run_server
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PEOPLE = ("alice", "bob", "carol", "dave", "erin")
HELD = Answer(delay=3600)  # a receiver that never answers: the send is cut off by the kill


def _ids(hook: Http, person: str) -> list[str]:
    """The notification ids of the requests ``person``'s receiver got, in order."""
    return [r.headers["x-pulsar-notification-id"] for r in hook_requests(hook, f"/{person}")]


def _counts(hook: Http) -> dict[str, int]:
    return {person: len(hook_requests(hook, f"/{person}")) for person in PEOPLE}


def _requested(log: list[dict[str, Any]], account: str) -> list[dict[str, Any]]:
    return [e for e in log if e["type"] == "NotificationRequested" and e["account_id"] == account]


def _at(event: dict[str, Any], key: str = "due_at") -> datetime:
    return datetime.fromisoformat(event[key])


async def _held_request(hook: Http, person: str) -> None:
    """Wait until ``person``'s receiver holds a request open (the send has started)."""
    await eventually(lambda: hook_requests(hook, f"/{person}"))


async def test_kill_9_mid_escalation_pages_each_person_exactly_as_intended() -> None:
    async with fresh_database() as dsn, open_http() as hook:
        # -- life 1: Alice's page delivered, Carol's cut off mid-send, Bob's not yet due --
        async with serve_with_org(dsn, paging_env()) as (server, key):
            headers = {"Authorization": f"GenieKey {key}"}
            async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:
                api = Api(client)
                who = {p: await api.member(f"{p}@example.com", p.title()) for p in PEOPLE}
                for person, account in who.items():
                    await api.webhook_only(account, hook.url(f"/{person}"))
                db = await api.policy("db", (0, who["alice"]), (30, who["bob"]))
                web = await api.policy("web", (0, who["carol"]), (45, who["dave"]))
                lone = await api.policy("lone", (0, who["erin"]))

                db_alert = await api.alert("Database down", db)
                [alice_page] = await api.settled(db_alert, pages=1)
                hook.answer(HELD)
                web_alert = await api.alert("Web down", web)
                await _held_request(hook, "carol")
                [carol_page] = _requested(await api.log(web_alert), who["carol"])
                server.kill()  # SIGKILL: Carol's send started, its outcome never recorded
        assert _counts(hook) == {"alice": 1, "bob": 0, "carol": 1, "dave": 0, "erin": 0}
        assert _ids(hook, "alice") == [alice_page["notification_id"]]
        assert _ids(hook, "carol") == [carol_page["notification_id"]]
        bob_due = _at(alice_page) + timedelta(minutes=30)
        dave_due = _at(carol_page) + timedelta(minutes=45)

        # -- life 2 starts ten minutes after Bob's rule was due, before Dave's ----------
        restart = bob_due + timedelta(minutes=10)
        async with (
            run_server(dsn, env=paging_env(clock_start=restart)) as server,
            httpx.AsyncClient(base_url=server.base_url, headers=headers) as client,
        ):
            api = Api(client)
            # Carol: delivered again after the restart, same id, marked possibly duplicated
            await eventually(lambda: len(_ids(hook, "carol")) == 2)
            await api.settled(web_alert, pages=1)
            # Bob: his rule was due while Pulsar was down; it fires once, late
            _, bob_page = await api.settled(db_alert, pages=2)
            assert bob_page["account_id"] == who["bob"]
            assert bob_page["late"] is True
            fired = await api.log(db_alert, "EscalationRuleFired")
            assert [(e["rule_index"], e["late"]) for e in fired] == [(0, False), (1, True)]
            assert _at(fired[1]) == bob_due
            assert restart <= _at(fired[1], "at") < restart + timedelta(seconds=60)  # I3
            # Dave: his rule comes due after the restart, on time
            await api.set_clock(dave_due + timedelta(minutes=1))
            _, dave_page = await api.settled(web_alert, pages=2)
            assert dave_page["account_id"] == who["dave"]
            assert dave_page["late"] is False
            fired = await api.log(web_alert, "EscalationRuleFired")
            assert [(e["rule_index"], e["late"]) for e in fired] == [(0, False), (1, False)]
            assert _at(fired[1]) == dave_due
            assert dave_due <= _at(fired[1], "at") < dave_due + timedelta(seconds=60)
            # Erin: cut off mid-send like Carol, to show that life 3 swept its outbox
            hook.answer(HELD)
            lone_alert = await api.alert("Disk full", lone)
            await _held_request(hook, "erin")
            [erin_page] = _requested(await api.log(lone_alert), who["erin"])
            life2_clock = await api.now()
            server.kill()
        assert _counts(hook) == {"alice": 1, "bob": 1, "carol": 2, "dave": 1, "erin": 1}

        # -- life 3: only Erin's cut-off page is sent again ------------------------------
        async with (
            run_server(dsn, env=paging_env(clock_start=life2_clock)) as server,
            httpx.AsyncClient(base_url=server.base_url, headers=headers) as client,
        ):
            api = Api(client)
            await eventually(lambda: len(_ids(hook, "erin")) == 2)
            await api.settled(lone_alert, pages=1)
            await trio.sleep(0.5)  # the same sweep would have resent anything else by now
            await api.advance(24 * 3600)  # no rule, repeat or step is left anywhere
            for alert in (db_alert, web_alert, lone_alert):
                paging = await api.paging(alert)
                assert paging["pending"] == []
                assert paging["nextDueAt"] is None
            carol_log = await api.log(web_alert)
            me = await api.call("GET", f"/api/v1/users/{who['carol']}/notifications")

        assert _counts(hook) == {"alice": 1, "bob": 1, "carol": 2, "dave": 1, "erin": 2}
        assert _ids(hook, "alice") == [alice_page["notification_id"]]
        assert _ids(hook, "bob") == [bob_page["notification_id"]]
        assert _ids(hook, "carol") == [carol_page["notification_id"]] * 2
        assert _ids(hook, "dave") == [dave_page["notification_id"]]
        assert _ids(hook, "erin") == [erin_page["notification_id"]] * 2
        # what each receiver was told: the resend says it may be a duplicate, Bob's is late
        bodies = {p: [r.json() for r in hook_requests(hook, f"/{p}")] for p in PEOPLE}
        assert [b["possiblyDuplicate"] for b in bodies["carol"]] == [False, True]
        assert [b["possiblyDuplicate"] for b in bodies["erin"]] == [False, True]
        assert [b["late"] for b in bodies["bob"]] == [True]
        assert not any(b["late"] or b["possiblyDuplicate"] for p in ("alice", "dave")
                       for b in bodies[p])  # fmt: skip
        # ...and the logs say so (I10)
        [delivered] = [e for e in carol_log if e["type"] == "NotificationDelivered"
                       and e["notification_id"] == carol_page["notification_id"]]  # fmt: skip
        assert delivered["possibly_duplicate"] is True
        carols = [r for r in me["data"] if r["notificationId"] == carol_page["notification_id"]]
        assert carols
        assert any(r["possiblyDuplicate"] for r in carols)
