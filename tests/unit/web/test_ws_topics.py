"""What each live topic sends for a committed batch (web.ws.topics), and the frame splice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import (
    SYSTEM,
    AcknowledgeAlert,
    AlertQuery,
    CloseAlert,
    Command,
    CreateAlert,
    CreateHeartbeat,
    DeleteAlert,
    DeleteHeartbeat,
    DisableHeartbeat,
    ExpireHeartbeat,
    PingHeartbeat,
    PulsarError,
    Responder,
    UpdatePriority,
)
from tests.helpers.decider import NOW
from tests.helpers.log import OrgLog
from web.api.heartbeats import heartbeat_out
from web.ws.protocol import (
    AlertChange,
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
    HEARTBEAT_TYPES,
    AlertsView,
    AlertView,
    Batch,
    Change,
    CountsModel,
    CountsView,
    HeartbeatsView,
    OnCallView,
    Snap,
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
