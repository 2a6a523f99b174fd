"""The hub without sockets: fan-out per organization, coalescing, overflow, gaps,
revocations and the ticker (web.ws.hub). Async only for trio's clock."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import msgspec
import pytest
import trio
import trio.testing

from engine import (
    IDENTITY_STREAM,
    AddMember,
    AlertQuery,
    ChangeMemberRole,
    CreateAlert,
    CreateApiKey,
    CreateHeartbeat,
    CreateOrganization,
    CreateSchedule,
    CreateTeam,
    DeleteHeartbeat,
    DeleteOrganization,
    Permission,
    PingHeartbeat,
    RegisterAccount,
    RevokeApiKey,
    RevokeSessionFamily,
    StartSession,
)
from tests.helpers.decider import NOW
from tests.helpers.log import OrgLog
from web.auth.principal import Principal
from web.config import Config
from web.ws import hub as hub_module
from web.ws.client import Client, Subscription
from web.ws.hub import Hub
from web.ws.protocol import Error
from web.ws.topics import AlertsView, ChangesView, CountsView, HeartbeatsView, OnCallView


class Peer:
    """A connection as the hub sees it, recording how it was closed."""

    def __init__(self, hub: Hub, org: OrgLog, **principal: Any) -> None:
        fields: dict[str, Any] = {
            "org_id": org.org_id,
            "kind": "api_key",
            "id": "k1",
            "name": "key",
            "permissions": frozenset({Permission.READ}),
            **principal,
        }
        self.closed: list[tuple[int, str]] = []
        self.client = Client(hub, Principal(**fields), on_close=self._close)
        self.hub = hub
        self.org = org
        hub.attach(self.client)

    def _close(self, code: int, error: Error) -> None:
        self.closed.append((code, error.code))

    def subscribe(self, sub_id: str = "a", view: Any = None, *, ready: bool = True) -> Subscription:
        sub = Subscription(
            sub_id, "alerts", view or AlertsView(AlertQuery()), self.org.state.version
        )
        self.hub.subscribe(self.client, sub, self.org.state)
        sub.ready = ready
        return sub

    def frames(self) -> list[dict[str, Any]]:
        return [json.loads(f) for f in self.client.take_frames()]


def config(**kw: Any) -> Config:
    return msgspec.structs.replace(Config(), **kw)


def commit(hub: Hub, org: OrgLog, *commands: Any) -> None:
    hub(org.org_id, org.commit(*commands), org.state)


def alert(alert_id: str) -> CreateAlert:
    return CreateAlert(alert_id=alert_id, message=f"alert {alert_id}")


async def test_pending_events_leave_as_one_frame_per_subscription() -> None:
    """Two batches before the sender runs: one ``events`` frame, in version order."""
    hub, org = Hub(Config()), OrgLog()
    peer = Peer(hub, org)
    peer.subscribe("a")
    peer.subscribe("c", CountsView(None))
    commit(hub, org, alert("x"))
    commit(hub, org, alert("y"))
    frames = peer.frames()
    assert [(f["type"], f["id"], f["version"]) for f in frames] == [
        ("events", "a", 2),
        ("event", "c", 2),  # counts: only the newest value
    ]
    assert [e["alert_id"] for e in frames[0]["events"]] == ["x", "y"]
    assert peer.frames() == []
    commit(hub, org, alert("z"))
    assert [(f["type"], f["event"]["version"]) for f in peer.frames()] == [
        ("event", 3),
        ("event", 3),
    ]


async def test_a_subscription_not_yet_ready_keeps_its_deltas_for_later() -> None:
    hub, org = Hub(Config()), OrgLog()
    peer = Peer(hub, org)
    sub = peer.subscribe("a", ready=False)
    commit(hub, org, alert("x"))
    assert peer.frames() == []
    peer.client.push(b'{"type":"snapshot"}')
    sub.ready = True
    frames = peer.frames()
    assert [f["type"] for f in frames] == ["snapshot", "event"]


async def test_overflow_resyncs_every_subscription_and_drops_the_queue() -> None:
    hub, org = Hub(config(ws_queue_size=3)), OrgLog()
    peer = Peer(hub, org)
    peer.subscribe("a")
    peer.subscribe("b")
    commit(hub, org, alert("x"))  # 2 queued (1 per subscription)
    commit(hub, org, alert("y"))  # 4 > 3
    assert peer.frames() == [
        {"type": "resync", "id": "a", "reason": "overflow"},
        {"type": "resync", "id": "b", "reason": "overflow"},
    ]
    assert (peer.client.subs, peer.client.weight, hub.resyncs) == ({}, 0, 1)
    commit(hub, org, alert("z"))
    assert peer.frames() == []
    assert hub.statistics().subscriptions == 0


async def test_other_organizations_never_reach_a_connection() -> None:
    hub, mine, theirs = Hub(Config()), OrgLog("o1"), OrgLog("o2")
    peer = Peer(hub, mine)
    peer.subscribe("a")
    commit(hub, theirs, alert("secret"))
    assert (peer.frames(), hub.batches) == ([], 0)
    commit(hub, mine, alert("x"))
    assert [f["event"]["alert_id"] for f in peer.frames()] == ["x"]


async def test_an_organization_without_subscriptions_costs_no_batch() -> None:
    hub, org = Hub(Config()), OrgLog()
    Peer(hub, org)  # connected, not subscribed
    commit(hub, org, alert("x"))
    assert hub.batches == 0


async def test_a_version_gap_resyncs_the_organizations_subscriptions() -> None:
    """An append that committed without being published: live subscribers missed it."""
    hub, org = Hub(Config()), OrgLog()
    peer = Peer(hub, org)
    peer.subscribe("a")
    commit(hub, org, alert("x"))
    org.commit(alert("lost"))  # committed, never published
    commit(hub, org, alert("y"))
    frames = peer.frames()
    assert frames[-1] == {"type": "resync", "id": "a", "reason": "gap"}


async def test_a_subscription_after_unpublished_events_resyncs_the_older_ones() -> None:
    hub, org = Hub(Config()), OrgLog()
    first = Peer(hub, org)
    first.subscribe("a")
    commit(hub, org, alert("x"))
    org.commit(alert("lost"))
    second = Peer(hub, org, id="k2")
    second.subscribe("b")
    assert first.frames()[-1] == {"type": "resync", "id": "a", "reason": "gap"}
    assert second.client.subs


async def test_revoking_the_key_closes_its_connections_only() -> None:
    hub, org = Hub(Config()), OrgLog()
    org.commit(CreateOrganization(org_id="o1", name="acme"))
    for key_id in ("k1", "k2"):
        org.commit(CreateApiKey(key_id=key_id, name=key_id, key_hash=key_id * 8))
    revoked, kept = Peer(hub, org, id="k1"), Peer(hub, org, id="k2")
    commit(hub, org, RevokeApiKey(key_id="k1"))
    assert (revoked.closed, kept.closed) == ([(4401, "key_revoked")], [])


async def test_a_role_change_updates_permissions_and_deleting_the_organization_closes() -> None:
    hub, org = Hub(Config()), OrgLog()
    org.commit(
        CreateOrganization(
            org_id="o1", name="acme", owner_account_id="u0", owner_email="u0@example.com"
        ),
        AddMember(account_id="u1", email="u1@example.com", role="viewer", actor_role="owner"),
    )
    user = Peer(hub, org, kind="user", id="u1")
    commit(hub, org, ChangeMemberRole(account_id="u1", role="admin", actor_role="owner"))
    assert user.client.principal.can(Permission.CONFIGURE)
    assert user.client.principal.role == "admin"
    commit(hub, org, DeleteOrganization(actor_role="owner"))
    assert user.closed == [(4401, "organization_deleted")]


async def test_a_revoked_session_closes_its_connections() -> None:
    hub, org, identity = Hub(Config()), OrgLog(), OrgLog(IDENTITY_STREAM)
    identity.commit(RegisterAccount(account_id="u1", email="u1@example.com", name="U"))
    for family in ("f1", "f2"):
        identity.commit(
            StartSession(
                family_id=family,
                account_id="u1",
                token_hash=family * 8,
                org_id="o1",
                expires_at=NOW + timedelta(days=1),
            )
        )
    one = Peer(hub, org, kind="user", id="u1", session_id="f1")
    two = Peer(hub, org, kind="user", id="u1", session_id="f2")
    commit(hub, identity, RevokeSessionFamily(family_id="f1", reason="logout"))
    assert (one.closed, two.closed) == ([(4401, "session_revoked")], [])


async def test_a_connection_is_flushed_at_most_once_per_interval() -> None:
    """More connections than the frame rate allows per tick stretch the interval."""
    hub, org = Hub(config(ws_tick=0.01, ws_frame_rate=100)), OrgLog()
    peers = [Peer(hub, org, id=f"k{i}") for i in range(5)]
    for peer in peers:
        peer.subscribe()
    assert hub.interval() == pytest.approx(0.05)
    hub._frame_cost = 0.02  # measured: writing to all five takes 0.1 s
    assert hub.interval() == pytest.approx(0.1)
    hub._frame_cost = 0.0
    commit(hub, org, alert("x"))
    assert set(hub.due(100.0)) == {p.client for p in peers}
    peers[0].client.take_frames()  # flushed at trio time "now"
    commit(hub, org, alert("y"))
    peers[1].client.sending = True  # still writing: not woken again
    now = peers[0].client.flushed_at
    due = hub.due(now + 0.01)
    assert peers[0].client not in due
    assert peers[1].client not in due
    assert hub.due(now + 0.05) == [peers[0].client]


async def test_the_ticker_wakes_dirty_connections_after_a_tick(
    autojump_clock: trio.testing.MockClock,
) -> None:
    hub, org = Hub(config(ws_tick=0.01)), OrgLog()
    peer = Peer(hub, org)
    peer.subscribe()
    async with trio.open_nursery() as nursery:
        await nursery.start(hub.run)
        start = trio.current_time()
        commit(hub, org, alert("x"))
        assert not peer.client.wake.is_set()
        await peer.client.wake.wait()
        assert trio.current_time() - start == pytest.approx(0.01)
        assert len(peer.frames()) == 1
        nursery.cancel_scope.cancel()


async def test_the_ticker_wakes_senders_in_waves(autojump_clock: trio.testing.MockClock) -> None:
    """At most 32 senders run at once; the next wave waits for them (or 50 ms)."""
    hub, org = Hub(config(ws_tick=0.01, ws_frame_rate=0)), OrgLog()
    peers = [Peer(hub, org, id=f"k{i}") for i in range(40)]
    for peer in peers:
        peer.subscribe()
    async with trio.open_nursery() as nursery:
        await nursery.start(hub.run)
        commit(hub, org, alert("x"))
        await trio.sleep(0.011)
        woken = [p for p in peers if p.client.wake.is_set()]
        assert len(woken) == 32
        for peer in woken:
            peer.client.take_frames()
            peer.client.done.set()
        await trio.testing.wait_all_tasks_blocked()
        assert all(p.client.wake.is_set() for p in peers if p not in woken)
        nursery.cancel_scope.cancel()


# -- heartbeats ------------------------------------------------------------------------


def heartbeat(name: str) -> CreateHeartbeat:
    return CreateHeartbeat(name=name, heartbeat_id=name, interval=5, interval_unit="minutes")


async def test_heartbeat_subscribers_get_heartbeat_changes_only() -> None:
    hub, org = Hub(Config()), OrgLog()
    peer = Peer(hub, org)
    peer.subscribe("h", HeartbeatsView())
    commit(hub, org, alert("x"))  # no heartbeat subscription cares: no batch
    assert (peer.frames(), hub.batches) == ([], 0)
    commit(hub, org, heartbeat("db"), PingHeartbeat(name="db"))
    commit(hub, org, DeleteHeartbeat(name="db"))
    (frame,) = peer.frames()
    assert (frame["type"], frame["id"], frame["version"]) == ("events", "h", 4)
    events = frame["events"]
    assert [(e["type"], e["name"]) for e in events] == [
        ("HeartbeatCreated", "db"),
        ("HeartbeatPinged", "db"),
        ("HeartbeatDeleted", "db"),
    ]
    assert events[0]["heartbeat"]["lastPingTime"] is not None  # as after its batch
    assert events[2]["heartbeat"] is None


async def test_heartbeats_cost_nothing_without_a_heartbeat_subscription(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With only alert subscriptions, heartbeat events are neither decoded nor copied."""
    made: list[str] = []
    real = hub_module.heartbeat_entry

    def counted(envelope: Any, *args: Any) -> Any:
        made.append(envelope.type)
        return real(envelope, *args)

    monkeypatch.setattr(hub_module, "heartbeat_entry", counted)
    hub, org = Hub(Config()), OrgLog()
    peer = Peer(hub, org)
    peer.subscribe("a")
    commit(hub, org, heartbeat("db"))
    assert (made, hub.batches, peer.frames()) == ([], 0, [])
    sub = peer.subscribe("h", HeartbeatsView())
    commit(hub, org, PingHeartbeat(name="db"))
    assert made == ["HeartbeatPinged"]
    assert [f["id"] for f in peer.frames()] == ["h"]
    hub.drop(peer.client, sub)
    commit(hub, org, PingHeartbeat(name="db"))
    assert made == ["HeartbeatPinged"]


async def test_heartbeat_subscriptions_resync_on_overflow() -> None:
    hub, org = Hub(config(ws_queue_size=2)), OrgLog()
    peer = Peer(hub, org)
    peer.subscribe("h", HeartbeatsView())
    commit(hub, org, heartbeat("a"), heartbeat("b"), heartbeat("c"))
    assert peer.frames() == [{"type": "resync", "id": "h", "reason": "overflow"}]
    assert hub.statistics().subscriptions == 0


# -- changes ---------------------------------------------------------------------------


async def test_changes_subscribers_get_configuration_notes_only() -> None:
    """Ids and areas, in version order; a schedule event reaches ``oncall`` and ``changes``."""
    hub, org = Hub(Config()), OrgLog()
    peer = Peer(hub, org)
    peer.subscribe("c", ChangesView(None))
    peer.subscribe("o", OnCallView())
    commit(hub, org, alert("x"), heartbeat("db"))  # no configuration change: no batch
    assert (hub.batches, peer.frames()) == (0, [])
    commit(hub, org, CreateTeam(team_id="t1", name="Ops"))
    commit(hub, org, CreateSchedule(schedule_id="s1", name="Ops", timezone="UTC"))
    frames = peer.frames()
    assert [f["id"] for f in frames] == ["c", "o"]
    notes = frames[0]["events"]
    assert [(n["topic"], n["area"], n["id"]) for n in notes] == [
        ("changes", "teams", "t1"),
        ("changes", "schedules", "s1"),
    ]
    assert hub.statistics().subscriptions == 2


async def test_an_audit_subscriber_hears_of_every_batch_while_it_may_read_the_log() -> None:
    """One ``audit`` note per flush, at the newest version, for events of any area or
    none; a demotion (the hub updates the principal) stops them at once."""
    hub, org = Hub(Config()), OrgLog()
    org.commit(
        CreateOrganization(
            org_id="o1", name="acme", owner_account_id="u0", owner_email="u0@example.com"
        ),
        AddMember(account_id="u1", email="u1@example.com", role="admin", actor_role="owner"),
    )
    admin = Peer(
        hub,
        org,
        kind="user",
        id="u1",
        role="admin",
        permissions=frozenset({Permission.READ, Permission.READ_AUDIT}),
    )
    view = ChangesView(None, ["audit"], can=lambda p: admin.client.principal.can(p))
    admin.subscribe("l", view)
    commit(hub, org, alert("x"), heartbeat("db"))
    commit(hub, org, CreateTeam(team_id="t1", name="Ops"))
    (frame,) = admin.frames()
    note = {"topic": "changes", "version": org.state.version, "area": "audit", "id": None}
    assert (frame["type"], frame["event"]) == ("event", note)
    commit(hub, org, ChangeMemberRole(account_id="u1", role="member", actor_role="owner"))
    commit(hub, org, alert("y"))
    assert admin.frames() == []
    assert admin.closed == []


async def test_changes_cost_nothing_without_a_changes_subscription(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With only other topics, configuration events are never looked at for ``changes``;
    the subscription is counted per organization and its drop stops the work."""
    made: list[str] = []
    real = hub_module.change_note

    def counted(envelope: Any, *args: Any) -> Any:
        made.append(envelope.type)
        return real(envelope, *args)

    monkeypatch.setattr(hub_module, "change_note", counted)
    hub, org, other = Hub(Config()), OrgLog(), OrgLog("o2")
    peer, theirs = Peer(hub, org), Peer(hub, other)
    peer.subscribe("a")
    theirs.subscribe("c", ChangesView(None))
    commit(hub, org, CreateTeam(team_id="t1", name="Ops"))
    assert (made, peer.frames(), theirs.frames()) == ([], [], [])
    sub = peer.subscribe("c", ChangesView(None))
    commit(hub, org, CreateTeam(team_id="t2", name="Web"))
    assert made == ["TeamCreated"]
    assert [f["id"] for f in peer.frames()] == ["c"]
    assert theirs.frames() == []  # another organization's changes never arrive
    hub.drop(peer.client, sub)
    commit(hub, org, CreateTeam(team_id="t3", name="Db"))
    assert made == ["TeamCreated"]
