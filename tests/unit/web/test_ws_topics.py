"""What each live topic sends for a committed batch (web.ws.topics), and the frame splice."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from engine import (
    SYSTEM,
    AcknowledgeAlert,
    AlertQuery,
    CloseAlert,
    Command,
    CreateAlert,
    DeleteAlert,
    PulsarError,
    Responder,
    UpdatePriority,
)
from tests.helpers.log import OrgLog
from web.ws.protocol import (
    AlertChange,
    CountsChange,
    Delta,
    EventFrame,
    EventsFrame,
    encode,
    event_frame,
)
from web.ws.topics import (
    ALERT_TYPES,
    AlertsView,
    AlertView,
    Batch,
    Change,
    CountsModel,
    CountsView,
    Snap,
    counts_of,
    freeze,
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
