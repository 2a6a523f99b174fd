"""Live updates over /api/v1/ws: auth by first frame, snapshot + ordered deltas, resume,
overflow, revocation and isolation; real PostgreSQL through the app harness."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from quart.testing.connections import WebsocketDisconnectError

from engine import PAGING_EVENT_TYPES, SYSTEM, AddMember, RemoveMember
from tests.helpers.app import Harness, Org, open_harness
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

WS = "/api/v1/ws"
PAGING = frozenset(t.__name__ for t in PAGING_EVENT_TYPES)
ALERTS = "/api/v1/alerts"
PASSWORD = "correct horse battery"


class Socket:
    """A test-client WebSocket speaking JSON frames."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self) -> dict[str, Any]:
        """The next frame other than a ping (5 s at most)."""
        with trio.fail_after(5):
            while True:
                frame: dict[str, Any] = json.loads(await self.ws.receive())
                if frame["type"] != "ping":
                    return frame

    async def nothing(self, seconds: float = 0.3) -> None:
        """Assert that no frame (but pings) arrives for ``seconds``."""
        with trio.move_on_after(seconds):
            frame = await self.recv()
            raise AssertionError(f"unexpected frame {frame}")

    async def closed(self) -> tuple[dict[str, Any], int]:
        """The error frame before the close, and the close code."""
        error = await self.recv()
        assert error["type"] == "error", error
        with trio.fail_after(5), pytest.raises(WebsocketDisconnectError) as closed:
            await self.ws.receive()
        return error, int(closed.value.args[0])

    async def subscribe(self, sub_id: str, topic: str, **kw: Any) -> dict[str, Any]:
        await self.send(type="subscribe", id=sub_id, topic=topic, **kw)
        return await self.recv()

    async def deltas(self, sub_id: str, count: int) -> list[dict[str, Any]]:
        """The next ``count`` deltas of ``sub_id`` (``event`` and ``events`` frames unrolled)."""
        out: list[dict[str, Any]] = []
        while len(out) < count:
            frame = await self.recv()
            assert frame.get("id") == sub_id, frame
            if frame["type"] == "event":
                assert frame["version"] == frame["event"]["version"]
                out.append(frame["event"])
            else:
                assert frame["type"] == "events", frame
                assert frame["version"] == frame["events"][-1]["version"]
                out.extend(frame["events"])
        return out


@asynccontextmanager
async def raw(api: Harness, path: str = WS) -> AsyncIterator[Socket]:
    async with api.client.websocket(path) as ws:
        yield Socket(ws)


@asynccontextmanager
async def connect(api: Harness, token: str | None = None) -> AsyncIterator[Socket]:
    """A socket authenticated with ``token`` (default: the harness org's API key)."""
    async with raw(api) as socket:
        await socket.send(type="auth", token=token or api.org.api_key)
        ready = await socket.recv()
        assert ready["type"] == "ready", ready
        yield socket


@asynccontextmanager
async def harness(**config: Any) -> AsyncIterator[Harness]:
    """The app over a fresh database, with ``config`` (e.g. a tiny ``ws_queue_size``)."""
    config = {"cookie_secure": False, "test_mode": True, **config}
    async with fresh_database() as dsn, open_harness(dsn, **config) as app:
        yield app


@asynccontextmanager
async def connected(**config: Any) -> AsyncIterator[tuple[Harness, Socket]]:
    """A harness with ``config`` and a socket authenticated with its API key."""
    async with harness(**config) as app, connect(app) as socket:
        yield app, socket


@pytest.fixture
async def api() -> AsyncIterator[Harness]:
    async with harness() as app:
        yield app


async def create(api: Harness, org: Org | None = None, **body: Any) -> str:
    response = await api.post(ALERTS, json={"message": "disk full", **body}, org=org)
    assert response.status_code == 202, await response.get_data()
    return str((await response.get_json())["alert_id"])


async def act(api: Harness, alert_id: str, action: str, **body: Any) -> None:
    response = await api.post(f"{ALERTS}/{alert_id}/{action}", json=body)
    assert response.status_code == 200, await response.get_data()


async def register(api: Harness, email: str, org: str = "Acme") -> dict[str, Any]:
    response = await api.client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Ada", "organization": org},
    )
    assert response.status_code == 201, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    body["refresh_token"] = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    return body


# -- authentication ---------------------------------------------------------------------


async def test_a_bad_token_gets_an_error_and_a_close(api: Harness) -> None:
    """An unknown key or a malformed JWT is answered by an error frame, then close 4401."""
    for token in ("pk_not-a-key", "a.b.c"):
        async with raw(api) as socket:
            await socket.send(type="auth", token=token)
            error, code = await socket.closed()
            assert (error["code"], code) == ("unauthorized", 4401)


async def test_the_first_frame_must_be_auth_and_a_query_token_is_ignored(api: Harness) -> None:
    """A valid key in the URL opens nothing: the first frame is the only credential."""
    key = api.org.api_key
    async with raw(api, f"{WS}?token={key}&apiKey={key}&access_token={key}") as socket:
        await socket.send(type="subscribe", id="a", topic="alerts")
        error, code = await socket.closed()
        assert (error["code"], code) == ("unauthorized", 4401)
    async with raw(api) as socket:
        await socket.ws.send("not json")
        assert (await socket.closed())[1] == 4401


async def test_an_api_key_and_an_access_token_both_open_the_stream(api: Harness) -> None:
    """Ready names the principal; a user's token works like a key."""
    signed_in = await register(api, "ada@example.com")
    async with raw(api) as socket:
        await socket.send(type="auth", token=signed_in["access_token"])
        ready = await socket.recv()
        assert ready["type"] == "ready"
        assert ready["org_id"] == signed_in["organization"]["id"]
        assert ready["principal"]["kind"] == "user"
        assert "read" in ready["permissions"]
        snapshot = await socket.subscribe("a", "alerts")
        assert snapshot["type"] == "snapshot"
    async with connect(api) as socket:
        snapshot = await socket.subscribe("a", "alerts")
        assert snapshot["data"] == {"topic": "alerts", "alerts": [], "next_cursor": None}


async def test_no_auth_frame_in_time_closes() -> None:
    async with harness(ws_auth_timeout=0.2) as app, raw(app) as socket:
        error, code = await socket.closed()
        assert (error["code"], code) == ("unauthorized", 4401)


# -- snapshot and deltas ------------------------------------------------------------------


async def test_snapshot_then_live_deltas_in_version_order(api: Harness) -> None:
    """The snapshot holds what exists at its version; each later write is one delta, in order."""
    first = await create(api, priority="P2")
    async with connect(api) as socket:
        snapshot = await socket.subscribe("list", "alerts", filter={"status": "open"})
        assert snapshot["type"] == "snapshot"
        assert [a["id"] for a in snapshot["data"]["alerts"]] == [first]
        second = await create(api, message="cpu")
        await act(api, first, "acknowledge")
        await act(api, first, "notes", note="on it")
        deltas = await socket.deltas("list", 3)
        versions = [d["version"] for d in deltas]
        assert versions == sorted(versions)
        assert versions[0] > snapshot["version"]
        types = [d["type"] for d in deltas]
        assert types == ["AlertCreated", "AlertAcknowledged", "AlertNoteAdded"]
        assert deltas[0]["alert"]["id"] == second
        assert deltas[1]["alert"]["acknowledged"] is True
        assert all(d["topic"] == "alerts" and d["deleted"] is False for d in deltas)
        # The list shape of REST: the full fields are left out.
        assert "notes" not in deltas[2]["alert"]


async def test_an_alert_that_stops_matching_the_filter_is_removed(api: Harness) -> None:
    """Close → removal (alert null, not deleted); a non-matching new alert sends nothing;
    a priority change into the filter upserts; a delete says so."""
    async with connect(api) as socket:
        await socket.subscribe("p1", "alerts", filter={"status": "open", "priority": ["P1"]})
        alert = await create(api, priority="P1")
        (created,) = await socket.deltas("p1", 1)
        assert created["alert"]["id"] == alert
        await act(api, alert, "close")
        (closed,) = await socket.deltas("p1", 1)
        assert (closed["type"], closed["alert"], closed["deleted"]) == ("AlertClosed", None, False)
        assert closed["alert_id"] == alert
        other = await create(api, priority="P5")
        await socket.nothing()
        response = await api.client.put(
            f"{ALERTS}/{other}/priority", json={"priority": "P1"}, headers=api.org.headers
        )
        assert response.status_code == 200
        (raised,) = await socket.deltas("p1", 1)
        assert (raised["type"], raised["alert"]["priority"]) == ("AlertPriorityUpdated", "P1")
        deleted = await api.client.delete(f"{ALERTS}/{other}", headers=api.org.headers)
        assert deleted.status_code == 200
        (gone,) = await socket.deltas("p1", 1)
        assert (gone["type"], gone["alert"], gone["deleted"]) == ("AlertDeleted", None, True)


async def test_a_bad_filter_is_refused_by_name(api: Harness) -> None:
    async with connect(api) as socket:
        refused = await socket.subscribe("a", "alerts", filter={"status": "maybe"})
        assert (refused["type"], refused["id"]) == ("error", "a")
        assert refused["code"] == "invalid_filter"
        refused = await socket.subscribe("b", "alerts", filter={"sort": "colour"})
        assert (refused["code"], refused["field"]) == ("invalid_field", "sort")
        refused = await socket.subscribe("c", "alerts", filter={"limit": 0})
        assert refused["code"] == "invalid_field"
        refused = await socket.subscribe("d", "alert", filter={"id": "nope"})
        assert refused["code"] == "alert_not_found"
        refused = await socket.subscribe("e", "weather")
        assert refused["code"] == "invalid_frame"
        await socket.subscribe("f", "counts")
        duplicate = await socket.subscribe("f", "counts")
        assert duplicate["code"] == "duplicate_id"


async def test_the_alert_topic_has_history_then_entries(api: Harness) -> None:
    alert = await create(api, note="first")
    await act(api, alert, "acknowledge")
    async with connect(api) as socket:
        snapshot = await socket.subscribe("one", "alert", filter={"id": alert})
        data = snapshot["data"]
        assert (data["alert"]["id"], data["alert"]["acknowledged"]) == (alert, True)
        types = [h["type"] for h in data["history"]]
        assert types == ["AlertCreated", "AlertNoteAdded", "AlertAcknowledged"]
        rest = await (await api.get(f"{ALERTS}/{alert}/history")).get_json()
        assert rest["data"] == data["history"]
        await create(api, message="another alert")
        await act(api, alert, "notes", note="looking")
        (entry,) = await socket.deltas("one", 1)
        assert entry["type"] == "AlertNoteAdded"
        assert entry["alert"]["notes"][-1]["note"] == "looking"
        assert entry["entry"]["event"]["note"] == "looking"
        assert entry["entry"]["actor"]["kind"] == "api_key"
        tiny = await socket.subscribe("tiny", "alert", filter={"id": "1", "identifierType": "tiny"})
        assert tiny["data"]["alert"]["id"] == alert


async def test_counts_by_priority_and_team(api: Harness) -> None:
    """Counts change with creation and acknowledgement; only the newest value is sent."""
    await create(api, priority="P1")
    async with connect(api) as socket:
        snapshot = await socket.subscribe("c", "counts")
        counts = snapshot["data"]["counts"]
        assert (counts["open"], counts["unacked"]) == (1, 1)
        assert counts["priority"]["P1"] == {"open": 1, "unacked": 1}
        alert = await create(api, priority="P2", responders=[{"type": "team", "id": "t-ops"}])
        (change,) = await socket.deltas("c", 1)
        assert change["counts"]["team"] == {"t-ops": {"open": 1, "unacked": 1}}
        await act(api, alert, "acknowledge")
        (change,) = await socket.deltas("c", 1)
        assert change["counts"]["priority"]["P2"] == {"open": 1, "unacked": 0}
        assert (change["counts"]["open"], change["counts"]["unacked"]) == (2, 1)
        await act(api, alert, "notes", note="no count change")
        await socket.nothing()


async def test_who_is_on_call(api: Harness) -> None:
    """A new schedule is its creation and its first on-call set."""
    ana = AddMember(account_id="ana", email="ana@example.com", role="member", actor_role="owner")
    await api.services.supervisor.submit(api.org.org_id, ana, SYSTEM)
    rotation = {
        "name": "primary",
        "type": "daily",
        "startDate": "2020-01-01T00:00:00Z",
        "participants": [{"type": "user", "username": "ana@example.com"}],
    }
    async with connect(api) as socket:
        snapshot = await socket.subscribe("on", "oncall")
        assert snapshot["data"] == {"topic": "oncall", "schedules": []}
        response = await api.post(
            "/api/v1/schedules", json={"name": "ops", "timezone": "UTC", "rotations": [rotation]}
        )
        assert response.status_code == 201, await response.get_data()
        deltas = await socket.deltas("on", 2)
        assert [d["type"] for d in deltas] == ["ScheduleCreated", "OnCallChanged"]
        assert deltas[-1]["oncall"]["users"] == ["ana"]
        assert deltas[-1]["oncall"]["name"] == "ops"


async def test_unsubscribe_stops_deltas(api: Harness) -> None:
    async with connect(api) as socket:
        await socket.subscribe("a", "alerts")
        await socket.subscribe("c", "counts")
        await socket.send(type="unsubscribe", id="a")
        assert await socket.recv() == {"type": "unsubscribed", "id": "a"}
        await create(api)
        frame = await socket.recv()
        assert frame["id"] == "c"
        await socket.nothing()


async def test_ping_is_answered_and_the_server_pings() -> None:
    async with connected(ws_ping_interval=0.2) as (_, socket):
        await socket.send(type="ping")
        with trio.fail_after(5):
            kinds = {json.loads(await socket.ws.receive())["type"] for _ in range(2)}
        assert kinds == {"pong", "ping"}


async def test_an_idle_connection_is_closed() -> None:
    """Nothing received (not even a pong) for ws_idle_timeout: error, then close 4408."""
    async with connected(ws_idle_timeout=0.3) as (_, socket):
        error, code = await socket.closed()
        assert (error["code"], code) == ("idle_timeout", 4408)


# -- resume ----------------------------------------------------------------------------


async def test_since_replays_exactly_the_missed_events(api: Harness) -> None:
    alert = await create(api)
    async with connect(api) as socket:
        snapshot = await socket.subscribe("a", "alerts")
    since = snapshot["version"]
    other = await create(api, message="missed")
    await act(api, alert, "acknowledge")
    heartbeat = {"name": "hb", "interval": 5, "intervalUnit": "minutes"}
    assert (await api.post("/api/v1/heartbeats", json=heartbeat)).status_code == 201
    async with connect(api) as socket:
        await socket.send(type="subscribe", id="a", topic="alerts", since=since)
        frames = [await socket.recv() for _ in range(3)]
        assert [f["type"] for f in frames] == ["event", "event", "caught_up"]
        assert [f["event"]["type"] for f in frames[:2]] == ["AlertCreated", "AlertAcknowledged"]
        assert [f["event"]["alert_id"] for f in frames[:2]] == [other, alert]
        assert frames[0]["version"] == since + 1
        assert frames[2]["replayed"] == 2
        assert frames[2]["version"] >= frames[1]["version"]
        await act(api, other, "close")
        (live,) = await socket.deltas("a", 1)
        assert live["version"] > frames[2]["version"]
        await socket.send(type="subscribe", id="b", topic="alerts", since=live["version"])
        assert await socket.recv() == {
            "type": "caught_up",
            "id": "b",
            "version": live["version"],
            "replayed": 0,
        }


async def test_a_too_old_since_gets_a_snapshot() -> None:
    async with harness(ws_replay_limit=2) as app:
        async with connect(app) as socket:
            snapshot = await socket.subscribe("a", "alerts")
        for _ in range(3):
            await create(app)
        async with connect(app) as socket:
            fresh = await socket.subscribe("a", "alerts", since=snapshot["version"])
            assert fresh["type"] == "snapshot"
            assert len(fresh["data"]["alerts"]) == 3
            ahead = await socket.subscribe("b", "alerts", since=fresh["version"] + 100)
            assert ahead["type"] == "snapshot"


# -- slow clients --------------------------------------------------------------------


async def test_overflow_tells_the_client_to_resync() -> None:
    """More queued events than ws_queue_size: resync, the queue dropped, no more deltas."""
    async with connected(ws_queue_size=3) as (app, socket):
        snapshot = await socket.subscribe("a", "alerts")
        await socket.subscribe("c", "counts")
        batch = [{"message": f"m{i}"} for i in range(5)]
        response = await app.post(f"{ALERTS}/batch", json=batch)
        assert response.status_code == 202
        frames = [await socket.recv(), await socket.recv()]
        assert sorted((f["type"], f["id"], f["reason"]) for f in frames) == [
            ("resync", "a", "overflow"),
            ("resync", "c", "overflow"),
        ]
        await create(app)
        await socket.nothing()
        # Resubscribing with the last version seen resumes from the log.
        await socket.send(type="subscribe", id="a", topic="alerts", since=snapshot["version"])
        frames = [await socket.recv() for _ in range(7)]
        assert [f["type"] for f in frames] == ["event"] * 6 + ["caught_up"]


async def test_a_client_that_stops_reading_is_resynced_not_waited_for() -> None:
    """A stuck reader never holds up the writers; it gets a resync when it reads again."""
    async with connected(ws_queue_size=5) as (app, socket):
        await socket.subscribe("a", "alerts")
        with trio.fail_after(20):
            for _ in range(30):
                await create(app)  # each one commit; the socket is not read
        frames = []
        while not frames or frames[-1]["type"] != "resync":
            frames.append(await socket.recv())
        assert frames[-1] == {"type": "resync", "id": "a", "reason": "overflow"}
        assert all(f["type"] in ("event", "events") for f in frames[:-1])


# -- revocation ---------------------------------------------------------------------


async def test_a_revoked_api_key_is_disconnected(api: Harness) -> None:
    response = await api.post("/api/v1/api-keys", json={"name": "wall", "rights": ["read"]})
    assert response.status_code == 201, await response.get_data()
    key = (await response.get_json())["data"]
    async with connect(api, key["key"]) as socket:
        await socket.subscribe("a", "alerts")
        revoked = await api.client.delete(f"/api/v1/api-keys/{key['id']}", headers=api.org.headers)
        assert revoked.status_code in (200, 204), await revoked.get_data()
        error, code = await socket.closed()
        assert (error["code"], code) == ("key_revoked", 4401)


async def test_a_removed_member_is_disconnected(api: Harness) -> None:
    owner = await register(api, "ada@example.com")
    bob = await register(api, "bob@example.com", org="Bobco")
    acme, bob_id = owner["organization"]["id"], bob["user"]["id"]
    svc = api.services
    await svc.supervisor.submit(
        acme,
        AddMember(account_id=bob_id, email="bob@example.com", role="member", actor_role="owner"),
        SYSTEM,
    )
    svc.directory.learn_member(acme, bob_id, "member")
    token = svc.extra["tokens"].issue(bob_id, acme, "bob-session", svc.clock.now())
    async with connect(api, token) as socket:
        await socket.subscribe("a", "alerts")
        await svc.supervisor.submit(
            acme, RemoveMember(account_id=bob_id, actor_role="owner"), SYSTEM
        )
        error, code = await socket.closed()
        assert (error["code"], code) == ("member_removed", 4401)


async def test_logging_out_disconnects_the_session(api: Harness) -> None:
    signed_in = await register(api, "ada@example.com")
    async with connect(api, signed_in["access_token"]) as socket:
        out = await api.client.post(
            "/api/v1/auth/logout", json={"refresh_token": signed_in["refresh_token"]}
        )
        assert out.status_code == 204
        error, code = await socket.closed()
        assert (error["code"], code) == ("session_revoked", 4401)


async def test_an_expired_token_is_closed_by_the_recheck_and_a_refresh_keeps_it() -> None:
    """A refreshed token sent as ``auth`` keeps the stream; one left to expire closes it."""
    async with harness(ws_recheck_interval=0.2) as h:
        signed_in = await register(h, "ada@example.com")
        async with connect(h, signed_in["access_token"]) as socket:
            await h.post("/api/test/clock/advance", json={"seconds": 600})
            refreshed = await h.client.post(
                "/api/v1/auth/refresh", json={"refresh_token": signed_in["refresh_token"]}
            )
            assert refreshed.status_code == 200, await refreshed.get_data()
            await socket.send(type="auth", token=(await refreshed.get_json())["access_token"])
            assert (await socket.recv())["type"] == "ready"
            await h.post("/api/test/clock/advance", json={"seconds": 901})
            error, code = await socket.closed()
            assert (error["code"], code) == ("token_expired", 4401)


async def test_reauth_with_a_bad_or_foreign_token_closes(api: Harness) -> None:
    other = await api.new_org()
    async with connect(api) as socket:
        await socket.send(type="auth", token=api.org.api_key)
        assert (await socket.recv())["type"] == "ready"
        await socket.send(type="auth", token=other.api_key)
        error, code = await socket.closed()
        assert (error["code"], code) == ("principal_changed", 4403)
    async with connect(api) as socket:
        await socket.send(type="auth", token="pk_wrong")
        error, code = await socket.closed()
        assert (error["code"], code) == ("unauthorized", 4401)


# -- isolation -------------------------------------------------------------------------


async def test_another_organizations_events_never_arrive(api: Harness) -> None:
    other = await api.new_org()
    async with connect(api) as socket:
        for topic in ("alerts", "counts", "oncall", "heartbeats"):
            assert (await socket.subscribe(topic, topic))["type"] == "snapshot"
        foreign = await create(api, org=other, message="theirs")
        await act_as(api, other, foreign, "acknowledge")
        await socket.nothing()
        mine = await create(api, message="mine")
        frames = [await socket.recv(), await socket.recv()]
        assert {f["id"] for f in frames} == {"alerts", "counts"}
        assert "theirs" not in json.dumps(frames)
        assert frames[0]["event"].get("alert_id", mine) == mine


async def act_as(api: Harness, org: Org, alert_id: str, action: str) -> None:
    response = await api.post(f"{ALERTS}/{alert_id}/{action}", json={}, org=org)
    assert response.status_code == 200


# -- heartbeats ------------------------------------------------------------------------

BEATS = "/api/v1/heartbeats"


async def beat_call(api: Harness, method: str, path: str, body: Any = None) -> Any:
    response = await getattr(api.client, method)(path, json=body, headers=api.org.headers)
    assert response.status_code in (200, 201, 202), await response.get_data()
    return await response.get_json()


async def new_beat(api: Harness, name: str, org: Org | None = None, minutes: int = 5) -> None:
    body = {"name": name, "interval": minutes, "intervalUnit": "minutes"}
    response = await api.post(BEATS, json=body, org=org)
    assert response.status_code == 201, await response.get_data()


async def test_heartbeats_snapshot_then_every_change(api: Harness) -> None:
    """The snapshot is GET /heartbeats' items; each event upserts its heartbeat or
    removes it; another organization's heartbeats never arrive."""
    await new_beat(api, "db")
    listed = (await beat_call(api, "get", BEATS))["data"]
    other = await api.new_org()
    async with connect(api) as socket:
        snapshot = await socket.subscribe("h", "heartbeats")
        assert snapshot["type"] == "snapshot"
        assert snapshot["data"] == {"topic": "heartbeats", "heartbeats": listed}
        await new_beat(api, "theirs", org=other)
        await socket.nothing()
        await new_beat(api, "web")
        await beat_call(api, "post", f"{BEATS}/db/ping")
        await beat_call(api, "patch", f"{BEATS}/db", {"description": "nightly dump"})
        await beat_call(api, "post", f"{BEATS}/web/disable")
        await beat_call(api, "post", f"{BEATS}/web/enable")
        await beat_call(api, "delete", f"{BEATS}/db")
        deltas = await socket.deltas("h", 6)
        assert [(d["topic"], d["type"], d["name"]) for d in deltas] == [
            ("heartbeats", "HeartbeatCreated", "web"),
            ("heartbeats", "HeartbeatPinged", "db"),
            ("heartbeats", "HeartbeatUpdated", "db"),
            ("heartbeats", "HeartbeatDisabled", "web"),
            ("heartbeats", "HeartbeatEnabled", "web"),
            ("heartbeats", "HeartbeatDeleted", "db"),
        ]
        assert [d["version"] for d in deltas] == sorted(d["version"] for d in deltas)
        assert deltas[0]["heartbeat"] == (await beat_call(api, "get", f"{BEATS}/web"))["data"]
        assert deltas[1]["heartbeat"]["lastPingTime"] is not None
        assert deltas[2]["heartbeat"]["description"] == "nightly dump"
        assert deltas[3]["heartbeat"]["enabled"] is False
        assert deltas[5]["heartbeat"] is None
        await create(api)  # an alert is no heartbeat change
        await socket.nothing()


async def test_heartbeats_since_replays_the_missed_heartbeat_events(api: Harness) -> None:
    async with connect(api) as socket:
        snapshot = await socket.subscribe("h", "heartbeats")
    since = snapshot["version"]
    await new_beat(api, "db")
    await create(api, message="not a heartbeat")
    await beat_call(api, "post", f"{BEATS}/db/ping")
    async with connect(api) as socket:
        await socket.send(type="subscribe", id="h", topic="heartbeats", since=since)
        frames = [await socket.recv() for _ in range(3)]
        assert [f["type"] for f in frames] == ["event", "event", "caught_up"]
        assert [f["event"]["type"] for f in frames[:2]] == ["HeartbeatCreated", "HeartbeatPinged"]
        assert frames[0]["version"] == since + 1
        assert frames[2]["replayed"] == 2
        # Replayed events carry the heartbeat as it is now (pinged already).
        assert frames[0]["event"]["heartbeat"]["lastPingTime"] is not None
        await beat_call(api, "delete", f"{BEATS}/db")
        (live,) = await socket.deltas("h", 1)
        assert (live["type"], live["heartbeat"]) == ("HeartbeatDeleted", None)
        assert live["version"] > frames[2]["version"]


async def test_an_expiring_heartbeat_arrives_expired() -> None:
    """Expiry happens on the actor's timer: subscribers see it without asking."""
    async with harness(test_clock=True) as app, connect(app) as socket:
        await new_beat(app, "cron", minutes=1)
        snapshot = await socket.subscribe("h", "heartbeats")
        assert snapshot["data"]["heartbeats"][0]["expired"] is False
        clock = await app.post("/api/v1/_test/clock", json={"advance_seconds": 61})
        assert clock.status_code == 200, await clock.get_data()
        (expired,) = await socket.deltas("h", 1)
        assert (expired["type"], expired["heartbeat"]["expired"]) == ("HeartbeatExpired", True)


# -- changes (configuration lists) -----------------------------------------------------------


async def created(api: Harness, path: str, body: Any, org: Org | None = None) -> str:
    response = await api.post(path, json=body, org=org)
    assert response.status_code == 201, await response.get_data()
    return str((await response.get_json())["data"]["id"])


async def test_changes_notify_each_configuration_change_by_area_and_id(api: Harness) -> None:
    """A team and a maintenance window created over REST: two notifications, ids only;
    another organization's changes never arrive; ``since`` replays the missed ones."""
    hook = await created(api, "/api/v1/integrations", {"name": "web", "type": "api"})
    other = await api.new_org()
    future = "2999-01-01T00:00:00Z"
    window = {"start": future, "entities": [{"type": "integration", "id": hook}]}
    async with connect(api) as socket:
        snapshot = await socket.subscribe("c", "changes")
        assert snapshot["type"] == "snapshot"
        assert snapshot["data"] == {"topic": "changes", "version": snapshot["version"]}
        await created(api, "/api/v1/teams", {"name": "Theirs"}, org=other)
        await socket.nothing()
        team = await created(api, "/api/v1/teams", {"name": "Ops"})
        maintenance = await created(api, "/api/v1/maintenance", window)
        await create(api)  # an alert is no configuration change
        notes = await socket.deltas("c", 2)
        assert [(n["topic"], n["area"], n["id"]) for n in notes] == [
            ("changes", "teams", team),
            ("changes", "maintenance", maintenance),
        ]
        assert all(set(n) == {"topic", "version", "area", "id"} for n in notes)
        await socket.nothing()
    since = notes[-1]["version"]
    key = await api.post("/api/v1/api-keys", json={"name": "ci", "rights": ["read"]})
    assert key.status_code == 201, await key.get_data()
    key_id = (await key.get_json())["data"]["id"]
    async with connect(api) as socket:
        await socket.send(type="subscribe", id="c", topic="changes", since=since)
        frames = [await socket.recv() for _ in range(2)]
        assert [f["type"] for f in frames] == ["event", "caught_up"]
        assert (frames[0]["event"]["area"], frames[0]["event"]["id"]) == ("api-keys", key_id)
        assert set(frames[0]["event"]) == {"topic", "version", "area", "id"}  # no secret
        assert frames[1]["replayed"] == 1


async def read_key(api: Harness, **body: Any) -> str:
    """A new API key's secret (``body``: its rights, team...; read only by default)."""
    response = await api.post("/api/v1/api-keys", json={"name": "k", "rights": ["read"], **body})
    assert response.status_code == 201, await response.get_data()
    return str((await response.get_json())["data"]["key"])


async def test_member_changes_notify_members_invitations_only_their_managers(
    api: Harness,
) -> None:
    """Adding a member over REST: the member's note for every reader, its set-up
    invitation's note only for a principal who may manage members."""
    reader = await read_key(api)
    async with connect(api) as manager, connect(api, reader) as socket:
        await manager.subscribe("c", "changes")
        await socket.subscribe("c", "changes")
        response = await api.post(
            "/api/v1/users", json={"email": "ann@example.com", "name": "Ann", "role": "member"}
        )
        assert response.status_code == 201, await response.get_data()
        answer = await response.get_json()
        user, invitation = answer["data"]["id"], answer["invitation"]["id"]
        notes = await manager.deltas("c", 2)
        assert [(n["area"], n["id"]) for n in notes] == [
            ("members", user),
            ("members", invitation),
        ]
        (note,) = await socket.deltas("c", 1)
        assert (note["area"], note["id"]) == ("members", user)
        await socket.nothing()


async def test_the_audit_area_needs_audit_read_and_notes_each_flush(api: Harness) -> None:
    """``audit`` is refused without ``audit:read``; with it, an alert (no configuration
    area) is told as one note at the newest version, without an id."""
    async with connect(api, await read_key(api)) as socket:
        refused = await socket.subscribe("l", "changes", filter={"areas": ["audit"]})
        assert (refused["type"], refused["id"], refused["code"]) == ("error", "l", "forbidden")
        bad = await socket.subscribe("x", "changes", filter={"areas": ["nope"]})
        assert (bad["type"], bad["code"]) == ("error", "invalid_filter")
    async with connect(api) as socket:
        snapshot = await socket.subscribe("l", "changes", filter={"areas": ["audit"]})
        assert snapshot["type"] == "snapshot"
        alert_id = await create(api)
        head = await api.services.store.stream_version(api.org.org_id)
        notes = await socket.deltas("l", 1)
        while notes[-1]["version"] < head:  # the alert's batch (and paging) may come in parts
            notes += await socket.deltas("l", 1)
        assert {(n["area"], n["id"]) for n in notes} == {("audit", None)}
        assert notes[-1]["version"] == head
        assert any(e.type == "AlertCreated" for e in await read_alert(api, alert_id))


async def read_alert(api: Harness, alert_id: str) -> list[Any]:
    return list(await api.services.store.read_subject(api.org.org_id, alert_id))


async def test_a_recorded_delivery_notifies_paging_subscribers(api: Harness) -> None:
    """``paging`` (asked for): each paging event of an alert, up to the notifier's
    record of the page's fate (failed here: no SMTP), names the alert; another
    team's key hears nothing of it."""
    teams = await api.post("/api/v1/teams", json={"name": "Web"})
    assert teams.status_code == 201, await teams.get_data()
    web = await read_key(api, team_id=(await teams.get_json())["data"]["id"])
    response = await api.post(
        "/api/v1/users", json={"email": "ann@example.com", "name": "Ann", "role": "member"}
    )
    assert response.status_code == 201, await response.get_data()
    user = (await response.get_json())["data"]["id"]
    async with connect(api) as socket, connect(api, web) as theirs:
        await socket.subscribe("p", "changes", filter={"areas": ["paging"]})
        await theirs.subscribe("p", "changes", filter={"areas": ["paging"]})
        alert_id = await create(api, responders=[{"type": "user", "id": user}])
        notes: list[dict[str, Any]] = []
        failed: list[int] = []
        while not failed or notes[-1]["version"] < failed[0]:
            notes += await socket.deltas("p", 1)
            log = await read_alert(api, alert_id)
            failed = [e.version for e in log if e.type == "NotificationFailed"]
        paging = [e.version for e in log if e.type in PAGING and e.version <= notes[-1]["version"]]
        assert [n["version"] for n in notes] == paging  # one note per paging event
        assert {(n["area"], n["id"]) for n in notes} == {("paging", alert_id)}
        assert failed[0] in paging
        await theirs.nothing()
