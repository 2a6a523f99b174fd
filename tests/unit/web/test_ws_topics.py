"""What each live topic sends for a committed batch (web.ws.topics), and the frame splice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import (
    ESCALATION_EVENT_TYPES,
    INTEGRATION_EVENT_TYPES,
    MAINTENANCE_EVENT_TYPES,
    PAGING_EVENT_TYPES,
    ROUTING_EVENT_TYPES,
    SCHEDULE_EVENT_TYPES,
    SYSTEM,
    TEAM_EVENT_TYPES,
    AcceptInvitation,
    AcknowledgeAlert,
    AddMember,
    AlertQuery,
    ChangeMemberRole,
    CloseAlert,
    Command,
    CreateAlert,
    CreateApiKey,
    CreateHeartbeat,
    CreateInvitation,
    CreateOrganization,
    CreateTeam,
    DefaultResources,
    DeleteAlert,
    DeleteHeartbeat,
    DisableHeartbeat,
    ExpireHeartbeat,
    NotificationRequested,
    Permission,
    PingHeartbeat,
    PulsarError,
    RecordDelivery,
    RemoveMember,
    Responder,
    RevokeApiKey,
    RevokeInvitation,
    UpdatePriority,
    decode_event,
)
from tests.helpers.decider import NOW
from tests.helpers.log import OrgLog
from web.api.heartbeats import heartbeat_out
from web.ws.protocol import (
    CHANGE_AREA_NAMES,
    AlertChange,
    ChangeNote,
    CountsChange,
    Delta,
    EventFrame,
    EventsFrame,
    HeartbeatChange,
    encode,
    event_frame,
)
from web.ws.topics import (
    ALERT_TYPES,
    CHANGE_AREAS,
    DEFAULT_AREAS,
    HEARTBEAT_TYPES,
    AlertsView,
    AlertView,
    Batch,
    Change,
    ChangesView,
    CountsModel,
    CountsView,
    HeartbeatsView,
    OnCallView,
    Snap,
    change_note,
    counts_of,
    freeze,
    heartbeat_entry,
)


class Org(OrgLog):
    """An organization whose commits come back as the hub's ``Batch``."""

    def batch(self, *commands: Command) -> Batch:
        """The hub's ``Batch`` of committing ``commands`` (alert changes only)."""
        envelopes = self.commit(*commands)
        snaps: dict[str, Snap] = {}
        changes = []
        for e in envelopes:
            if e.type not in ALERT_TYPES:  # as the hub: paging events are not alert changes
                continue
            alert_id = e.subject or ""
            if alert_id not in snaps:
                live = self.state.alerts.alerts.get(alert_id)
                snaps[alert_id] = Snap(alert_id, freeze(live) if live else None)
            changes.append(Change(e, snap=snaps[alert_id]))
        return Batch(envelopes[-1].version, changes)


def create(alert_id: str, priority: str = "P3", team: str | None = None) -> CreateAlert:
    responders = (Responder(type="team", id=team),) if team else ()
    return CreateAlert(
        alert_id=alert_id, message=f"alert {alert_id}", priority=priority, responders=responders
    )


def decoded(deltas: list[tuple[int, bytes]]) -> list[dict[str, Any]]:
    return [msgspec.json.decode(d) for _, d in deltas]


def test_the_alert_list_upserts_matches_and_removes_what_stops_matching() -> None:
    """Created+matching: upsert; created+not matching: nothing; closed: removal, not deleted."""
    org = Org()
    view = AlertsView(AlertQuery(status="open", priority=["P1"]))
    (created,) = decoded(view.deltas([org.batch(create("a", "P1"), create("b", "P5"))], after=0))
    assert (created["type"], created["alert"]["id"], created["deleted"]) == (
        "AlertCreated",
        "a",
        False,
    )
    # Each event carries the alert as the batch left it: created and closed together
    # is one removal (the creation of what no longer matches sends nothing).
    batch = org.batch(create("c", "P1"), CloseAlert(alert_id="c"), CloseAlert(alert_id="a"))
    out = decoded(view.deltas([batch], after=0))
    assert [(d["type"], d["alert_id"], d["alert"], d["deleted"]) for d in out] == [
        ("AlertClosed", "c", None, False),
        ("AlertClosed", "a", None, False),
    ]
    raised = org.batch(UpdatePriority(alert_id="b", priority="P1"))
    (upsert,) = decoded(view.deltas([raised], after=0))
    assert (upsert["type"], upsert["alert"]["priority"]) == ("AlertPriorityUpdated", "P1")
    assert "notes" not in upsert["alert"]  # the list shape
    deleted = org.batch(DeleteAlert(alert_id="b"))
    (gone,) = decoded(view.deltas([deleted], after=0))
    assert (gone["alert"], gone["deleted"]) == (None, True)


def test_deltas_start_after_the_given_version_and_keep_version_order() -> None:
    org = Org()
    first = org.batch(create("a"), create("b"))
    second = org.batch(AcknowledgeAlert(alert_id="a"))
    view = AlertsView(AlertQuery())
    out = view.deltas([first, second], after=1)
    assert [v for v, _ in out] == [2, 3]
    assert view.weight(first) == 2


def test_a_team_scoped_view_of_another_team_sees_nothing() -> None:
    org = Org()
    batch = org.batch(create("a", team="t1"))
    assert AlertsView(None).weight(batch) == 0
    assert AlertsView(None).deltas([batch], after=0) == []
    assert decoded(AlertsView(AlertQuery(team="t1")).deltas([batch], after=0))[0]["alert_id"] == "a"
    assert AlertsView(AlertQuery(team="t2")).deltas([batch], after=0) == []


def test_the_alert_view_takes_its_alert_only_with_history_entries() -> None:
    org = Org()
    batch = org.batch(create("a"), create("b"), AcknowledgeAlert(alert_id="a"))
    view = AlertView("a")
    assert view.weight(batch) == 2
    out = decoded(view.deltas([batch], after=0))
    assert [d["type"] for d in out] == ["AlertCreated", "AlertAcknowledged"]
    assert out[1]["entry"]["event"]["type"] == "AlertAcknowledged"
    assert out[1]["entry"]["actor"] == {"kind": "system", "id": SYSTEM.principal_id}
    assert out[1]["alert"]["acknowledged"] is True
    assert AlertView("zzz").weight(batch) == 0


def test_an_encoded_delta_is_made_once_per_change() -> None:
    """A thousand subscribers share the bytes."""
    org = Org()
    batch = org.batch(create("a"))
    one = AlertsView(AlertQuery()).deltas([batch], after=0)
    two = AlertsView(AlertQuery(status="open")).deltas([batch], after=0)
    assert one[0][1] is two[0][1]


def test_a_snapshot_copy_does_not_follow_later_batches() -> None:
    org = Org()
    org.commit(create("a"))
    copy = freeze(org.state.alerts.alerts["a"])
    org.commit(AcknowledgeAlert(alert_id="a"))
    live = org.state.alerts.alerts["a"]
    live.details["later"] = "x"
    assert (copy.acknowledged, copy.details, copy.report.acknowledged_by) == (False, {}, None)
    assert live.report is not copy.report


def test_counts_send_only_the_newest_value_in_the_scope() -> None:
    model = CountsModel([])
    org = Org()
    batches = []
    for command in (create("a", "P1", team="t1"), create("b", "P2")):
        org.commit(command)
        for alert_id, alert in org.state.alerts.alerts.items():
            model.update(alert_id, alert)
        batches.append(Batch(org.state.version, (), (), model.cells()))
    everything = decoded(CountsView(None).deltas(batches, after=0))
    assert len(everything) == 1
    assert everything[0]["version"] == org.state.version
    assert (everything[0]["counts"]["open"], everything[0]["counts"]["team"]) == (
        2,
        {"t1": {"open": 1, "unacked": 1}},
    )
    (team,) = decoded(CountsView("t1").deltas(batches, after=0))
    assert (team["counts"]["open"], team["counts"]["priority"]["P2"]["open"]) == (1, 0)
    assert CountsView(None).deltas(batches, after=org.state.version) == []
    assert CountsView(None).weight(Batch(org.state.version + 1)) == 0


def test_counts_by_priority_and_team() -> None:
    org = Org()
    org.commit(
        create("a", "P1", team="t1"),
        create("b", "P1"),
        create("c", "P4", team="t2"),
        AcknowledgeAlert(alert_id="b"),
        create("d"),
        CloseAlert(alert_id="d"),
    )
    counts = counts_of(CountsModel(org.state.alerts.alerts.values()).cells())
    assert (counts.open, counts.unacked) == (3, 2)
    assert (counts.priority["P1"].open, counts.priority["P1"].unacked) == (2, 1)
    assert counts.priority["P3"].open == 0
    assert list(counts.priority) == ["P1", "P2", "P3", "P4", "P5"]
    assert {t: (v.open, v.unacked) for t, v in counts.team.items()} == {
        "t1": (1, 1),
        "t2": (1, 1),
    }


_commands = st.lists(
    st.tuples(
        st.sampled_from(["create", "ack", "close", "delete", "priority"]),
        st.sampled_from("abcd"),
        st.sampled_from(["P1", "P2", "P5"]),
        st.sampled_from([None, "t1", "t2"]),
    ),
    max_size=30,
)


@given(_commands)
def test_counts_kept_per_alert_equal_counts_from_scratch(ops: list[Any]) -> None:
    """After any sequence of changes, the incremental counts are a fresh count's."""
    org = Org()
    model = CountsModel([])
    for kind, alert_id, priority, team in ops:
        command: Command = {
            "create": create(alert_id, priority, team),
            "ack": AcknowledgeAlert(alert_id=alert_id),
            "close": CloseAlert(alert_id=alert_id),
            "delete": DeleteAlert(alert_id=alert_id),
            "priority": UpdatePriority(alert_id=alert_id, priority=priority),
        }[kind]
        try:
            org.commit(command)
        except PulsarError:  # rejected: nothing changed
            continue
        model.update(alert_id, org.state.alerts.alerts.get(alert_id))
    fresh = CountsModel(org.state.alerts.alerts.values())
    assert fresh.cells() == model.cells()
    for team in (None, "t1", "t2"):
        assert counts_of(fresh.cells(), team) == counts_of(model.cells(), team)


def test_the_spliced_frames_are_the_encoded_structs() -> None:
    """event_frame builds exactly what encoding EventFrame / EventsFrame gives."""
    org = Org()
    batch = org.batch(create("a"), AcknowledgeAlert(alert_id="a"))
    deltas = AlertsView(AlertQuery()).deltas([batch], after=0)
    counts = encode(CountsChange(version=3, counts=counts_of({})))
    as_delta = msgspec.json.Decoder(Delta).decode
    one = event_frame('sub "1"', deltas[:1])
    assert one == encode(EventFrame(id='sub "1"', version=1, event=as_delta(deltas[0][1])))
    many = event_frame("s", [*deltas, (3, counts)])
    events = [as_delta(d) for _, d in deltas] + [as_delta(counts)]
    assert many == encode(EventsFrame(id="s", version=3, events=events))
    assert isinstance(events[0], AlertChange)


# -- heartbeats --------------------------------------------------------------------------


def beat(name: str = "db", **kw: Any) -> CreateHeartbeat:
    return CreateHeartbeat(
        name=name, heartbeat_id=f"id-{name}", interval=5, interval_unit="minutes", **kw
    )


def beat_batch(org: Org, *commands: Command) -> Batch:
    """The hub's ``Batch`` of committing ``commands`` (heartbeat changes only)."""
    envelopes = org.commit(*commands)
    beats = org.state.heartbeats.heartbeats
    changes = [
        Change(e, heartbeat=heartbeat_entry(e, beats))
        for e in envelopes
        if e.type in HEARTBEAT_TYPES
    ]
    return Batch(envelopes[-1].version, heartbeat_changes=changes)


def test_heartbeat_deltas_upsert_the_heartbeat_and_null_removes_it() -> None:
    """Each event carries the heartbeat as after its batch, in the REST item shape."""
    org = Org()
    view = HeartbeatsView()
    created = beat_batch(org, beat("db"), beat("web"), PingHeartbeat(name="db"))
    first = decoded(view.deltas([created], after=0))
    assert [(d["topic"], d["version"], d["type"], d["name"]) for d in first] == [
        ("heartbeats", 1, "HeartbeatCreated", "db"),
        ("heartbeats", 2, "HeartbeatCreated", "web"),
        ("heartbeats", 3, "HeartbeatPinged", "db"),
    ]
    now = org.state.heartbeats.heartbeats
    assert first[0]["heartbeat"] == msgspec.to_builtins(heartbeat_out(now["db"], NOW))
    assert first[0]["heartbeat"]["lastPingTime"] is not None  # as after the batch
    assert first[1]["heartbeat"]["enabled"] is True
    toggled = beat_batch(org, DisableHeartbeat(name="web"), DeleteHeartbeat(name="db"))
    later = decoded(view.deltas([created, toggled], after=3))
    assert [(d["type"], d["name"]) for d in later] == [
        ("HeartbeatDisabled", "web"),
        ("HeartbeatDeleted", "db"),
    ]
    assert later[0]["heartbeat"]["enabled"] is False
    assert later[1]["heartbeat"] is None
    assert view.weight(toggled) == 2
    assert view.weight(Org().batch(create("a"))) == 0  # alert batches are not its concern


def test_a_heartbeat_delta_is_encoded_once_and_ignores_alert_views() -> None:
    org = Org()
    batch = beat_batch(org, beat("db"))
    (change,) = batch.heartbeat_changes
    assert change.heartbeat_delta() is change.heartbeat_delta()
    assert AlertsView(AlertQuery()).deltas([batch], after=0) == []
    assert AlertsView(AlertQuery()).weight(batch) == 0
    assert OnCallView().weight(batch) == CountsView(None).weight(batch) == 0


def test_an_expired_heartbeat_is_expired_as_of_its_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """``expired`` is judged at the event's time (the hub has no clock), or at ``now``."""
    org = Org()
    (created,) = org.commit(beat("db"))
    beats = org.state.heartbeats.heartbeats
    assert heartbeat_entry(created, beats)[1] == heartbeat_out(beats["db"], NOW)
    late = heartbeat_entry(created, beats, NOW + timedelta(minutes=6))[1]
    assert late is not None
    assert late.expired  # past its deadline at ``now``, before the timer ran
    assert heartbeat_entry(created, {}) == ("db", None)
    monkeypatch.setattr("tests.helpers.log.NOW", NOW + timedelta(minutes=6))
    batch = beat_batch(org, ExpireHeartbeat(name="db"))
    (delta,) = decoded(HeartbeatsView().deltas([batch], after=0))
    assert (delta["type"], delta["heartbeat"]["expired"]) == ("HeartbeatExpired", True)


def test_a_spliced_heartbeat_frame_is_the_encoded_struct() -> None:
    org = Org()
    deltas = HeartbeatsView().deltas([beat_batch(org, beat("db"), beat("x"))], after=0)
    as_delta = msgspec.json.Decoder(Delta).decode
    events = [as_delta(d) for _, d in deltas]
    assert all(isinstance(e, HeartbeatChange) for e in events)
    assert event_frame("h", deltas) == encode(EventsFrame(id="h", version=2, events=events))


# -- changes -------------------------------------------------------------------------------


def note_batch(org: Org, *commands: Command) -> Batch:
    """The hub's ``Batch`` of committing ``commands`` (``changes`` notes only)."""
    envelopes = org.commit(*commands)
    notes = ((e, change_note(e, org.state)) for e in envelopes)
    changes = [Change(e, note=n) for e, n in notes if n is not None]
    return Batch(envelopes[-1].version, note_changes=changes)


def test_every_configuration_event_type_maps_to_its_area() -> None:
    """The areas come from the engine's per-area tuples; timer checkpoints and feed
    tokens (on no list) and every other event type are the audit log's only."""
    members = (
        "MemberAdded",
        "MemberRoleChanged",
        "MemberRemoved",
        "InvitationCreated",
        "InvitationAccepted",
        "InvitationRevoked",
    )
    expected = {
        **dict.fromkeys((t.__name__ for t in MAINTENANCE_EVENT_TYPES), "maintenance"),
        **dict.fromkeys((t.__name__ for t in TEAM_EVENT_TYPES), "teams"),
        **dict.fromkeys(members, "members"),
        "ApiKeyCreated": "api-keys",
        "ApiKeyRevoked": "api-keys",
        **dict.fromkeys((t.__name__ for t in INTEGRATION_EVENT_TYPES), "integrations"),
        **dict.fromkeys((t.__name__ for t in ESCALATION_EVENT_TYPES), "escalation-policies"),
        **dict.fromkeys((t.__name__ for t in SCHEDULE_EVENT_TYPES), "schedules"),
        **dict.fromkeys((t.__name__ for t in ROUTING_EVENT_TYPES), "routing-rules"),
        **dict.fromkeys((t.__name__ for t in PAGING_EVENT_TYPES), "paging"),
    }
    for quiet in ("OnCallChecked", "FeedTokenCreated", "FeedTokenRevoked"):
        del expected[quiet]
    assert dict(CHANGE_AREAS) == expected
    assert "MaintenanceStarted" in CHANGE_AREAS  # a window's status boundary redraws the list
    for other in ("AlertCreated", "HeartbeatCreated", "OrganizationCreated", "OnCallChecked"):
        assert other not in CHANGE_AREAS
    assert set(CHANGE_AREAS.values()) | {"audit"} == set(CHANGE_AREA_NAMES)
    assert set(CHANGE_AREA_NAMES) - {"paging", "audit"} == DEFAULT_AREAS


def test_a_team_with_defaults_notifies_each_area_with_its_ids() -> None:
    """One batch of several areas: a note per event, each with its subject's id only."""
    org = Org()
    defaults = DefaultResources(schedule_id="s1", rotation_id="r1", policy_id="p1", rule_id="rr1")
    batch = note_batch(org, CreateTeam(team_id="t1", name="Ops", defaults=defaults))
    view = ChangesView(None)
    notes = decoded(view.deltas([batch], after=0))
    assert {(n["area"], n["id"]) for n in notes} >= {
        ("teams", "t1"),
        ("schedules", "s1"),
        ("escalation-policies", "p1"),
        ("routing-rules", "rr1"),
    }
    assert all(set(n) == {"topic", "version", "area", "id"} for n in notes)
    assert [n["version"] for n in notes] == sorted(n["version"] for n in notes)
    assert view.weight(batch) == len(notes)
    (first, *_) = batch.note_changes
    assert first.note_delta() is first.note_delta()  # encoded once for every subscriber
    assert AlertsView(AlertQuery()).weight(batch) == HeartbeatsView().weight(batch) == 0


def test_changes_deltas_start_after_the_given_version() -> None:
    """A resume replays exactly the notes after ``since``."""
    org = Org()
    first = note_batch(org, CreateTeam(team_id="t1", name="Ops"))
    org.commit(create("a"))  # not a configuration change
    second = note_batch(org, CreateTeam(team_id="t2", name="Web"))
    later = decoded(ChangesView(None).deltas([first, second], after=first.last))
    assert [(n["area"], n["id"], n["version"]) for n in later] == [("teams", "t2", 3)]


def test_a_team_scoped_key_is_told_of_its_team_s_api_keys_only() -> None:
    """As GET /api-keys: a team's key lists its team's keys; never a secret or hash."""
    org = Org()
    org.commit(CreateTeam(team_id="t1", name="Ops"))
    batch = note_batch(
        org,
        CreateApiKey(key_id="k1", name="ops", key_hash="h" * 8, team_id="t1"),
        CreateApiKey(key_id="k2", name="all", key_hash="s" * 8),
        RevokeApiKey(key_id="k1"),
    )
    everything = decoded(ChangesView(None).deltas([batch], after=0))
    assert [(n["area"], n["id"]) for n in everything] == [
        ("api-keys", "k1"),
        ("api-keys", "k2"),
        ("api-keys", "k1"),
    ]
    assert b"hhhh" not in b"".join(d for _, d in ChangesView(None).deltas([batch], after=0))
    scoped = ChangesView("t1")
    assert [n["id"] for n in decoded(scoped.deltas([batch], after=0))] == ["k1", "k1"]
    assert scoped.weight(batch) == 2
    assert ChangesView("t2").deltas([batch], after=0) == []
    teams = note_batch(org, CreateTeam(team_id="t2", name="Web"))
    assert len(ChangesView("t2").deltas([teams], after=0)) == 1  # other areas: REST scopes


def test_a_spliced_changes_frame_is_the_encoded_struct() -> None:
    org = Org()
    deltas = ChangesView(None).deltas([note_batch(org, CreateTeam(team_id="t", name="x"))], 0)
    (event,) = [msgspec.json.Decoder(Delta).decode(d) for _, d in deltas]
    assert event == ChangeNote(version=1, area="teams", id="t")
    assert event_frame("c", deltas) == encode(EventFrame(id="c", version=1, event=event))


def granted(*permissions: Permission) -> Any:
    """A principal's ``can``: true for ``permissions`` only."""
    return lambda permission: permission in permissions


def test_members_and_invitations_notify_members_invitations_only_their_managers() -> None:
    """Joins, role changes and removals name the member (anyone may list members);
    an invitation names itself and reaches only a principal who may list invitations,
    with the permission looked up at delivery; an accepted one names its new member."""
    org = Org()
    org.commit(CreateOrganization(org_id="o1", name="acme"))
    invite = CreateInvitation(
        invitation_id="i1",
        email="bob@example.com",
        role="member",
        token_hash="h" * 8,
        expires_at=NOW + timedelta(days=1),
        actor_role="owner",
    )
    batch = note_batch(
        org,
        AddMember(account_id="ann", email="ann@example.com", role="viewer", actor_role="owner"),
        ChangeMemberRole(account_id="ann", role="admin", actor_role="owner"),
        invite,
        AcceptInvitation(invitation_id="i1", account_id="bob"),
        RemoveMember(account_id="ann", actor_role="owner"),
        msgspec.structs.replace(invite, invitation_id="i2", email="cat@x.com", token_hash="c" * 8),
        RevokeInvitation(invitation_id="i2"),
    )
    reader = decoded(ChangesView(None).deltas([batch], after=0))
    assert [(n["area"], n["id"]) for n in reader] == [
        ("members", "ann"),
        ("members", "ann"),
        ("members", "bob"),  # InvitationAccepted: the member, not the invitation
        ("members", "bob"),  # MemberAdded
        ("members", "ann"),
    ]
    holds: set[Permission] = {Permission.MANAGE_MEMBERS}
    manager = ChangesView(None, can=lambda permission: permission in holds)
    ids = [n["id"] for n in decoded(manager.deltas([batch], after=0))]
    assert ids == ["ann", "ann", "i1", "bob", "bob", "ann", "i2", "i2"]
    assert manager.weight(batch) == 8
    holds.clear()  # demoted while subscribed
    assert [n["id"] for n in decoded(manager.deltas([batch], after=0))] == ["ann"] * 2 + [
        "bob",
        "bob",
        "ann",
    ]
    assert ChangesView(None, ["teams"]).deltas([batch], after=0) == []  # not asked for


def paged_org() -> tuple[Org, str]:
    """An organization whose alert ``a1`` (team t1's, paging ann) has a page requested:
    the page's notification id."""
    org = Org()
    org.commit(CreateOrganization(org_id="o1", name="acme"))
    org.commit(
        AddMember(account_id="ann", email="ann@example.com", role="member", actor_role="owner"),
        CreateTeam(team_id="t1", name="Ops"),
    )
    responders = (Responder(type="user", id="ann"), Responder(type="team", id="t1"))
    envelopes = org.commit(CreateAlert(alert_id="a1", message="m", responders=responders))
    (requested,) = [decode_event(e) for e in envelopes if e.type == "NotificationRequested"]
    assert isinstance(requested, NotificationRequested)
    return org, requested.notification_id


def test_a_recorded_delivery_notifies_paging_subscribers_of_the_alert() -> None:
    """``paging`` comes only when asked for: a delivery or failure names its alert, and a
    team-scoped key hears of its team's alerts only."""
    org, notification = paged_org()
    delivered = note_batch(
        org, RecordDelivery(notification_id=notification, alert_id="a1", delivered=True)
    )
    assert [c.type for c in delivered.note_changes] == ["NotificationDelivered"]
    paging = ChangesView(None, ["paging"])
    (note,) = decoded(paging.deltas([delivered], after=0))
    assert (note["area"], note["id"], note["version"]) == ("paging", "a1", delivered.last)
    assert ChangesView(None).deltas([delivered], after=0) == []  # not by default
    assert len(ChangesView("t1", ["paging"]).deltas([delivered], after=0)) == 1
    assert ChangesView("t2", ["paging"]).deltas([delivered], after=0) == []
    assert ChangesView("t2", ["paging"]).weight(delivered) == 0


def test_audit_subscribers_hear_of_every_event_once_per_delivery() -> None:
    """Whatever the area (or none), ``audit`` is one note at the newest version after
    ``after``, no id, and only while the principal may read the audit log."""
    org, _ = paged_org()
    first = note_batch(org, create("a2"), CreateTeam(team_id="t2", name="Web"))
    second = note_batch(org, create("a3"))
    holds = {Permission.READ_AUDIT}
    audit = ChangesView(None, ["audit"], can=lambda permission: permission in holds)
    assert audit.weight(first) == 1
    assert decoded(audit.deltas([first, second], after=0)) == [
        {"topic": "changes", "version": second.last, "area": "audit", "id": None}
    ]
    assert decoded(audit.deltas([first, second], after=second.last)) == []
    both = ChangesView(None, ["teams", "audit"], can=granted(Permission.READ_AUDIT))
    assert [(n["area"], n["version"]) for n in decoded(both.deltas([first], after=0))] == [
        ("teams", first.last),
        ("audit", first.last),
    ]
    holds.clear()  # demoted while subscribed
    assert (audit.weight(second), audit.deltas([second], after=0)) == (0, [])
    assert ChangesView(None, ["audit"]).deltas([first], after=0) == []  # without the right
    assert ChangesView(None, can=granted(Permission.READ_AUDIT)).deltas([second], 0) == []
