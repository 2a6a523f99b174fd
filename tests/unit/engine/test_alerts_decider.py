"""The alerts decider: every decide path, every rejection code, and evolve's effects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from engine.alerts import (
    ALERT_COMMAND_TYPES,
    ALERT_EVENT_TYPES,
    AcknowledgeAlert,
    AddDetails,
    AddNote,
    AddResponder,
    AddTags,
    AlertAcknowledged,
    AlertAssigned,
    AlertClosed,
    AlertCommand,
    AlertCreated,
    AlertDeduplicated,
    AlertDeleted,
    AlertDescriptionUpdated,
    AlertDetailsAdded,
    AlertDetailsRemoved,
    AlertEscalated,
    AlertEvent,
    AlertMessageUpdated,
    AlertNoteAdded,
    AlertPriorityUpdated,
    AlertResponderAdded,
    AlertSnoozed,
    AlertTagsAdded,
    AlertTagsRemoved,
    AlertUnacknowledged,
    AlertUnsnoozed,
    AssignAlert,
    CloseAlert,
    CreateAlert,
    DeleteAlert,
    EscalateAlert,
    Integration,
    Note,
    RemoveDetails,
    RemoveTags,
    Report,
    Responder,
    SnoozeAlert,
    UnacknowledgeAlert,
    UnsnoozeAlert,
    UpdateDescription,
    UpdateMessage,
    UpdatePriority,
    due_snoozes,
    evolve,
    find_alert,
    initial_state,
    next_due,
    subject_of,
)
from engine.errors import NotFound, Rejected
from tests.helpers.decider import ALERTS, NOW, given

T0 = NOW
T1 = T0 + timedelta(seconds=1, milliseconds=500)
T2 = T0 + timedelta(minutes=10)
LATER = T0 + timedelta(hours=1)
TEAM = Responder(type="team", id="ops")
ESC = Responder(type="escalation", id="esc-1")


def created(
    alert_id: str = "a1", tiny_id: int = 1, alias: str | None = None, **kw: Any
) -> AlertCreated:
    """An ``AlertCreated`` as decide emits it for a plain create at ``T0``."""
    fields: dict[str, Any] = {"at": T0, "message": "disk full", **kw}
    return AlertCreated(alert_id=alert_id, tiny_id=tiny_id, alias=alias or alert_id, **fields)


def closed(alert_id: str = "a1", at: datetime = T1) -> AlertClosed:
    return AlertClosed(alert_id=alert_id, at=at, close_time=int((at - T0).total_seconds() * 1000))


# -- create ----------------------------------------------------------------------------------


def test_create_opens_a_new_alert_with_opsgenie_defaults() -> None:
    """A create without alias opens alert #1 whose alias is its id, priority P3, count 1."""
    state = (
        given()
        .when(CreateAlert(alert_id="a1", message="disk full", source="10.0.0.1"))
        .then([created(source="10.0.0.1")])
    )
    alert = state.alerts["a1"]
    assert (
        alert.status,
        alert.acknowledged,
        alert.snoozed,
        alert.snoozed_until,
        alert.count,
    ) == ("open", False, False, None, 1)
    assert (alert.created_at, alert.updated_at, alert.last_occurred_at) == (T0, T0, T0)
    assert ("a1", "P3", "", "10.0.0.1", Report()) == (
        alert.alias,
        alert.priority,
        alert.owner,
        alert.source,
        alert.report,
    )
    assert state.open_by_alias == {"a1": "a1"}
    assert state.by_tiny_id == {1: "a1"}
    assert state.next_tiny_id == 2


def test_create_normalises_message_alias_tags_and_responders() -> None:
    """Message and alias are stripped, tags and responders de-duplicated in first-seen order."""
    integration = Integration(id="i1", name="prom", type="API")
    command = CreateAlert(
        alert_id="a1",
        message="  disk full  ",
        alias=" web-1 ",
        description="d",
        tags=("b", " a ", "b", "a"),
        details={"k": "v"},
        entity="web",
        priority="P1",
        responders=(TEAM, TEAM, ESC),
        actions=("Restart",),
        user="alice",
        integration=integration,
    )
    expected = created(
        alias="web-1",
        description="d",
        tags=("b", "a"),
        details={"k": "v"},
        entity="web",
        priority="P1",
        responders=(TEAM, ESC),
        actions=("Restart",),
        user="alice",
        integration=integration,
    )
    state = given().when(command).then([expected])
    alert = state.alerts["a1"]
    assert (
        alert.tags,
        alert.responders,
        alert.actions,
        alert.created_by,
    ) == (("b", "a"), (TEAM, ESC), ("Restart",), "alice")


def test_create_with_note_stores_it_as_first_note() -> None:
    """A create's note is emitted after the creation and becomes the alert's first note."""
    state = (
        given()
        .when(CreateAlert(alert_id="a1", message="disk full", user="bob", note="hi"))
        .then(
            [
                created(user="bob"),
                AlertNoteAdded(alert_id="a1", at=T0, user="bob", note="hi"),
            ]
        )
    )
    assert (Note(note="hi", owner="bob", created_at=T0),) == state.alerts["a1"].notes


def test_create_gives_increasing_tiny_ids() -> None:
    """Each new alert gets the next per-org tiny id."""
    state = (
        given([created()])
        .when(CreateAlert(alert_id="a2", message="cpu"), now=T1)
        .then([AlertCreated(alert_id="a2", at=T1, tiny_id=2, alias="a2", message="cpu")])
    )
    assert state.next_tiny_id == 3


def test_create_with_alias_of_open_alert_deduplicates() -> None:
    """A create with the alias of an open alert bumps its count and keeps its other fields."""
    command = CreateAlert(alert_id="a2", message="other", alias="web", priority="P1", user="u")
    state = (
        given([created(alias="web")])
        .when(command, now=T1)
        .then([AlertDeduplicated(alert_id="a1", at=T1, count=2, user="u")])
    )
    alert = state.alerts["a1"]
    assert (
        alert.count,
        alert.last_occurred_at,
        alert.updated_at,
        alert.created_at,
    ) == (2, T1, T1, T0)
    assert (alert.message, alert.priority) == ("disk full", "P3")
    assert "a2" not in state.alerts


def test_dedup_count_keeps_growing() -> None:
    """Every further occurrence adds one to the count."""
    history = [created(alias="web"), AlertDeduplicated(alert_id="a1", at=T1, count=2)]
    given(history).when(CreateAlert(alert_id="a3", message="m", alias="web"), now=T2).then(
        [AlertDeduplicated(alert_id="a1", at=T2, count=3)]
    )


def test_dedup_with_note_adds_the_note_to_the_existing_alert() -> None:
    """A deduplicated create's note lands on the existing alert."""
    given([created(alias="web")]).when(
        CreateAlert(alert_id="a2", message="m", alias="web", note="again"), now=T1
    ).then(
        [
            AlertDeduplicated(alert_id="a1", at=T1, count=2),
            AlertNoteAdded(alert_id="a1", at=T1, note="again"),
        ]
    )


def test_create_after_close_opens_a_new_alert_with_the_alias() -> None:
    """Once the alert with an alias is closed, the alias opens a new alert."""
    state = (
        given([created(alias="web"), closed()])
        .when(CreateAlert(alert_id="a2", message="m", alias="web"), now=T2)
        .then([AlertCreated(alert_id="a2", at=T2, tiny_id=2, alias="web", message="m")])
    )
    assert state.open_by_alias == {"web": "a2"}
    assert state.ids_by_alias["web"] == ("a1", "a2")


def test_create_with_an_existing_alert_id_is_rejected() -> None:
    """Reusing an existing alert id under another alias is rejected with alert_exists."""
    given([created()]).when(CreateAlert(alert_id="a1", message="m", alias="x")).then_rejected(
        "alert_exists"
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"alert_id": ""}, "id"),
        ({"message": ""}, "message"),
        ({"message": "   "}, "message"),
        ({"message": "x" * 131}, "message"),
        ({"alias": "x" * 513}, "alias"),
        ({"description": "x" * 15001}, "description"),
        ({"tags": tuple(f"t{i}" for i in range(21))}, "tags"),
        ({"tags": ("x" * 51,)}, "tags"),
        ({"tags": (" ",)}, "tags"),
        ({"details": {"k": "x" * 8000}}, "details"),
        ({"details": {" ": "v"}}, "details"),
        ({"entity": "x" * 513}, "entity"),
        ({"priority": "P6"}, "priority"),
        (
            {"responders": tuple(Responder(type="user", id=f"u{i}") for i in range(51))},
            "responders",
        ),
        ({"responders": (Responder(type="teams", id="x"),)}, "responders"),
        ({"responders": (Responder(type="team", id=" "),)}, "responders"),
        ({"actions": tuple(f"a{i}" for i in range(11))}, "actions"),
        ({"actions": ("x" * 51,)}, "actions"),
        ({"actions": ("",)}, "actions"),
        ({"user": "x" * 101}, "user"),
        ({"source": "x" * 101}, "source"),
        ({"note": "x" * 25001}, "note"),
    ],
)
def test_create_rejects_fields_over_opsgenie_limits(overrides: dict[str, Any], field: str) -> None:
    """A create breaking a documented limit is rejected as invalid_field naming the field."""
    command = msgspec.structs.replace(CreateAlert(alert_id="a1", message="m"), **overrides)
    given().when(command).then_rejected("invalid_field", field=field)


def test_create_accepts_values_at_the_limits() -> None:
    """Fields exactly at their limits (and duplicate tags beyond 20) are accepted."""
    command = CreateAlert(
        alert_id="a1",
        message="m" * 130,
        alias="a" * 512,
        tags=tuple(f"t{i % 20}" for i in range(25)),
        details={"k": "v" * 7999},
        source="s" * 100,
        user="u" * 100,
        note="n" * 25000,
    )
    events = given().when(command).events
    assert len(events[0].tags) == 20  # type: ignore[union-attr]


# -- acknowledge / unacknowledge / close -------------------------------------------------------


def test_acknowledge_sets_flag_and_report() -> None:
    """Acknowledging records who and how many milliseconds after creation."""
    state = (
        given([created()])
        .when(AcknowledgeAlert(alert_id="a1", user="alice", source="web"), now=T1)
        .then([AlertAcknowledged(alert_id="a1", at=T1, user="alice", source="web", ack_time=1500)])
    )
    alert = state.alerts["a1"]
    assert (
        alert.acknowledged,
        alert.report.ack_time,
        alert.report.acknowledged_by,
        alert.updated_at,
    ) == (True, 1500, "alice", T1)


def test_acknowledge_without_user_leaves_acknowledged_by_unset() -> None:
    """An acknowledgement without a user leaves report.acknowledgedBy unset."""
    state = (
        given([created()])
        .when(AcknowledgeAlert(alert_id="a1"), now=T1)
        .then([AlertAcknowledged(alert_id="a1", at=T1, ack_time=1500)])
    )
    assert None is state.alerts["a1"].report.acknowledged_by


def test_acknowledge_acknowledged_alert_is_a_no_op() -> None:
    """Acknowledging an acknowledged alert emits nothing."""
    given([created(), AlertAcknowledged(alert_id="a1", at=T1, ack_time=1500)]).when(
        AcknowledgeAlert(alert_id="a1"), now=T2
    ).then([])


def test_no_op_action_still_adds_its_note() -> None:
    """A no-op action with a note still appends the note."""
    given([created(), AlertAcknowledged(alert_id="a1", at=T1, ack_time=1500)]).when(
        AcknowledgeAlert(alert_id="a1", user="u", note="seen"), now=T2
    ).then([AlertNoteAdded(alert_id="a1", at=T2, user="u", note="seen")])


def test_action_with_note_emits_the_note_after_the_action() -> None:
    """An action's note follows the action's own event."""
    given([created()]).when(AcknowledgeAlert(alert_id="a1", note="on it"), now=T1).then(
        [
            AlertAcknowledged(alert_id="a1", at=T1, ack_time=1500),
            AlertNoteAdded(alert_id="a1", at=T1, note="on it"),
        ]
    )


def test_unacknowledge_clears_the_flag() -> None:
    """Unacknowledging an acknowledged alert clears the flag."""
    state = (
        given([created(), AlertAcknowledged(alert_id="a1", at=T1, ack_time=1500)])
        .when(UnacknowledgeAlert(alert_id="a1", user="bob"), now=T2)
        .then([AlertUnacknowledged(alert_id="a1", at=T2, user="bob")])
    )
    assert (state.alerts["a1"].acknowledged, state.alerts["a1"].updated_at) == (False, T2)


def test_unacknowledge_unacknowledged_alert_is_a_no_op() -> None:
    """Unacknowledging an alert that is not acknowledged emits nothing."""
    given([created()]).when(UnacknowledgeAlert(alert_id="a1")).then([])


def test_close_sets_status_report_and_frees_the_alias() -> None:
    """Closing records closedBy and closeTime, frees the alias and ends a snooze."""
    history = [created(alias="web"), AlertSnoozed(alert_id="a1", at=T0, end_time=LATER)]
    state = (
        given(history)
        .when(CloseAlert(alert_id="a1", user="carol", source="api"), now=T1)
        .then([AlertClosed(alert_id="a1", at=T1, user="carol", source="api", close_time=1500)])
    )
    alert = state.alerts["a1"]
    assert (
        alert.status,
        alert.report.close_time,
        alert.report.closed_by,
        alert.snoozed,
        alert.snoozed_until,
    ) == ("closed", 1500, "carol", False, None)
    assert state.open_by_alias == {}
    assert state.snoozed_until == {}
    assert None is next_due(state)


def test_close_closed_alert_is_a_no_op() -> None:
    """Closing a closed alert emits nothing (and its note is still added)."""
    given([created(), closed()]).when(CloseAlert(alert_id="a1"), now=T2).then([])
    given([created(), closed()]).when(CloseAlert(alert_id="a1", note="n"), now=T2).then(
        [AlertNoteAdded(alert_id="a1", at=T2, note="n")]
    )


@pytest.mark.parametrize(
    "command",
    [
        AcknowledgeAlert(alert_id="a1"),
        UnacknowledgeAlert(alert_id="a1"),
        SnoozeAlert(alert_id="a1", end_time=LATER),
        AssignAlert(alert_id="a1", owner="bob"),
        UpdatePriority(alert_id="a1", priority="P1"),
        UpdateMessage(alert_id="a1", message="new"),
        UpdateDescription(alert_id="a1", description="new"),
        EscalateAlert(alert_id="a1", escalation=ESC),
        AddResponder(alert_id="a1", responder=TEAM),
    ],
)
def test_acting_on_a_closed_alert_is_rejected(command: AlertCommand) -> None:
    """State-changing actions on a closed alert are rejected with alert_closed."""
    given([created(), closed()]).when(command, now=T2).then_rejected("alert_closed")


@pytest.mark.parametrize(
    "command",
    [
        AcknowledgeAlert(alert_id="nope"),
        UnacknowledgeAlert(alert_id="nope"),
        CloseAlert(alert_id="nope"),
        SnoozeAlert(alert_id="nope", end_time=LATER),
        AssignAlert(alert_id="nope", owner="bob"),
        AddNote(alert_id="nope", note="n"),
        AddTags(alert_id="nope", tags=("t",)),
        RemoveTags(alert_id="nope", tags=("t",)),
        AddDetails(alert_id="nope", details={"k": "v"}),
        RemoveDetails(alert_id="nope", keys=("k",)),
        UpdatePriority(alert_id="nope", priority="P1"),
        UpdateMessage(alert_id="nope", message="m"),
        UpdateDescription(alert_id="nope", description="d"),
        EscalateAlert(alert_id="nope", escalation=ESC),
        AddResponder(alert_id="nope", responder=TEAM),
        DeleteAlert(alert_id="nope"),
    ],
)
def test_acting_on_an_unknown_alert_is_rejected(command: AlertCommand) -> None:
    """Every action on an alert id that does not exist is rejected with alert_not_found."""
    error = given([created()]).when(command).then_rejected("alert_not_found")
    assert isinstance(error, NotFound)


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (AcknowledgeAlert(alert_id="a1", user="x" * 101), "user"),
        (CloseAlert(alert_id="a1", source="x" * 101), "source"),
        (UnacknowledgeAlert(alert_id="a1", note="x" * 25001), "note"),
        (AddNote(alert_id="a1", note="x", user="x" * 101), "user"),
        (DeleteAlert(alert_id="a1", source="x" * 101), "source"),
    ],
)
def test_actor_fields_over_limits_are_rejected(command: AlertCommand, field: str) -> None:
    """user, source and note over their limits are rejected on every action."""
    given([created()]).when(command).then_rejected("invalid_field", field=field)


# -- snooze -------------------------------------------------------------------------------------


def test_snooze_sets_due_time() -> None:
    """Snoozing records the end time and indexes it for the timer."""
    state = (
        given([created()])
        .when(SnoozeAlert(alert_id="a1", end_time=LATER, user="u"), now=T1)
        .then([AlertSnoozed(alert_id="a1", at=T1, user="u", end_time=LATER)])
    )
    alert = state.alerts["a1"]
    assert (alert.snoozed, alert.snoozed_until) == (True, LATER)
    assert next_due(state) == LATER
    assert due_snoozes(state, T2) == []
    assert due_snoozes(state, LATER) == ["a1"]


def test_snooze_again_moves_the_end_time() -> None:
    """Snoozing a snoozed alert replaces its end time."""
    state = (
        given([created(), AlertSnoozed(alert_id="a1", at=T0, end_time=LATER)])
        .when(SnoozeAlert(alert_id="a1", end_time=T2), now=T1)
        .then([AlertSnoozed(alert_id="a1", at=T1, end_time=T2)])
    )
    assert next_due(state) == T2


@pytest.mark.parametrize("end", [T1, T1 - timedelta(seconds=1)])
def test_snooze_end_not_in_the_future_is_rejected(end: datetime) -> None:
    """A snooze ending now or earlier is rejected with invalid_snooze_end on endTime."""
    given([created()]).when(SnoozeAlert(alert_id="a1", end_time=end), now=T1).then_rejected(
        "invalid_snooze_end", field="endTime"
    )


def test_snooze_end_without_time_zone_is_rejected() -> None:
    """A naive endTime is rejected as invalid_field endTime."""
    naive = datetime(2031, 1, 1)
    given([created()]).when(SnoozeAlert(alert_id="a1", end_time=naive)).then_rejected(
        "invalid_field", field="endTime"
    )


def test_unsnooze_when_due_ends_the_snooze() -> None:
    """The timer's unsnooze at or after the end time clears the snooze."""
    state = (
        given([created(), AlertSnoozed(alert_id="a1", at=T0, end_time=T2)])
        .when(UnsnoozeAlert(alert_id="a1"), now=T2)
        .then([AlertUnsnoozed(alert_id="a1", at=T2)])
    )
    alert = state.alerts["a1"]
    assert (alert.snoozed, alert.snoozed_until, next_due(state)) == (False, None, None)


@pytest.mark.parametrize(
    ("history", "alert_id"),
    [
        ([created(), AlertSnoozed(alert_id="a1", at=T0, end_time=LATER)], "a1"),  # not yet due
        ([created()], "a1"),  # not snoozed
        ([], "gone"),  # deleted or never existed
        ([created(), AlertSnoozed(alert_id="a1", at=T0, end_time=T1), closed()], "a1"),
    ],
)
def test_unsnooze_is_tolerant(history: list[AlertEvent], alert_id: str) -> None:
    """An unsnooze that is early, repeated, or for a closed or missing alert emits nothing."""
    given(history).when(UnsnoozeAlert(alert_id=alert_id), now=T2).then([])


def test_next_due_is_the_earliest_snooze_end() -> None:
    """next_due is the earliest end among snoozed alerts; due_snoozes lists due ones in order."""
    state = ALERTS.fold(
        [
            created(),
            created("a2", 2),
            created("a3", 3),
            AlertSnoozed(alert_id="a1", at=T0, end_time=LATER),
            AlertSnoozed(alert_id="a2", at=T0, end_time=T2),
        ]
    )
    assert next_due(state) == T2
    assert due_snoozes(state, LATER) == ["a2", "a1"]
    assert None is next_due(initial_state())


# -- assign, notes -------------------------------------------------------------------------------


def test_assign_sets_the_owner() -> None:
    """Assigning sets the (stripped) owner."""
    state = (
        given([created()])
        .when(AssignAlert(alert_id="a1", owner=" bob ", user="alice"), now=T1)
        .then([AlertAssigned(alert_id="a1", at=T1, user="alice", owner="bob")])
    )
    assert state.alerts["a1"].owner == "bob"


def test_assign_same_owner_is_a_no_op() -> None:
    """Assigning the current owner emits nothing."""
    history = [created(), AlertAssigned(alert_id="a1", at=T1, owner="bob")]
    given(history).when(AssignAlert(alert_id="a1", owner="bob")).then([])


@pytest.mark.parametrize("owner", ["", "  ", "x" * 101])
def test_assign_invalid_owner_is_rejected(owner: str) -> None:
    """An empty or over-long owner is rejected as invalid_field owner."""
    given([created()]).when(AssignAlert(alert_id="a1", owner=owner)).then_rejected(
        "invalid_field", field="owner"
    )


def test_add_note_appends_a_note_even_to_a_closed_alert() -> None:
    """Notes may be added to open and closed alerts alike."""
    state = (
        given([created(), closed()])
        .when(AddNote(alert_id="a1", note="post-mortem", user="dan"), now=T2)
        .then([AlertNoteAdded(alert_id="a1", at=T2, user="dan", note="post-mortem")])
    )
    assert (Note(note="post-mortem", owner="dan", created_at=T2),) == state.alerts["a1"].notes
    assert state.alerts["a1"].updated_at == T2


@pytest.mark.parametrize("note", ["", "   ", "x" * 25001])
def test_add_note_invalid_note_is_rejected(note: str) -> None:
    """An empty or over-long note is rejected as invalid_field note."""
    given([created()]).when(AddNote(alert_id="a1", note=note)).then_rejected(
        "invalid_field", field="note"
    )


# -- tags and details ---------------------------------------------------------------------------


def test_add_tags_appends_only_new_tags_in_order() -> None:
    """Adding tags appends the ones the alert lacks, in order, once each."""
    state = (
        given([created(tags=("a",))])
        .when(AddTags(alert_id="a1", tags=("b", "a", " c ", "b")), now=T1)
        .then([AlertTagsAdded(alert_id="a1", at=T1, tags=("b", "c"))])
    )
    assert state.alerts["a1"].tags == ("a", "b", "c")


def test_add_existing_tags_is_a_no_op() -> None:
    """Adding only tags the alert has emits nothing."""
    given([created(tags=("a",))]).when(AddTags(alert_id="a1", tags=("a",))).then([])


def test_add_tags_to_a_closed_alert_is_allowed() -> None:
    """Tags may be added to a closed alert."""
    given([created(), closed()]).when(AddTags(alert_id="a1", tags=("x",)), now=T2).then(
        [AlertTagsAdded(alert_id="a1", at=T2, tags=("x",))]
    )


@pytest.mark.parametrize("tags", [(), ("",), ("x" * 51,), tuple(f"n{i}" for i in range(20))])
def test_add_tags_invalid_is_rejected(tags: tuple[str, ...]) -> None:
    """Empty lists, empty or long tags, and going over 20 tags are rejected on tags."""
    given([created(tags=("a",))]).when(AddTags(alert_id="a1", tags=tags)).then_rejected(
        "invalid_field", field="tags"
    )


def test_remove_tags_removes_present_tags_and_ignores_absent_ones() -> None:
    """Removing tags removes those present; absent ones are ignored."""
    state = (
        given([created(tags=("a", "b", "c"))])
        .when(RemoveTags(alert_id="a1", tags=("c", "zz", "a")), now=T1)
        .then([AlertTagsRemoved(alert_id="a1", at=T1, tags=("c", "a"))])
    )
    assert state.alerts["a1"].tags == ("b",)


def test_remove_absent_tags_is_a_no_op() -> None:
    """Removing only absent tags emits nothing."""
    given([created(tags=("a",))]).when(RemoveTags(alert_id="a1", tags=("b",))).then([])


def test_remove_no_tags_is_rejected() -> None:
    """Removing an empty tag list is rejected on tags."""
    given([created()]).when(RemoveTags(alert_id="a1", tags=())).then_rejected(
        "invalid_field", field="tags"
    )


def test_add_details_sets_new_and_changed_properties() -> None:
    """Adding details lists only new keys and changed values."""
    state = (
        given([created(details={"a": "1", "b": "2"})])
        .when(AddDetails(alert_id="a1", details={"a": "1", "b": "3", "c": "4"}), now=T1)
        .then([AlertDetailsAdded(alert_id="a1", at=T1, details={"b": "3", "c": "4"})])
    )
    assert state.alerts["a1"].details == {"a": "1", "b": "3", "c": "4"}


def test_add_unchanged_details_is_a_no_op() -> None:
    """Adding details the alert already has emits nothing."""
    given([created(details={"a": "1"})]).when(AddDetails(alert_id="a1", details={"a": "1"})).then(
        []
    )


@pytest.mark.parametrize("details", [{}, {"": "v"}, {"k": "x" * 7990}])
def test_add_details_invalid_is_rejected(details: dict[str, str]) -> None:
    """Empty details, empty keys, and a total over 8000 characters are rejected on details."""
    given([created(details={"old": "x" * 100})]).when(
        AddDetails(alert_id="a1", details=details)
    ).then_rejected("invalid_field", field="details")


def test_remove_details_removes_present_keys() -> None:
    """Removing details removes present keys once each and ignores absent ones."""
    state = (
        given([created(details={"a": "1", "b": "2"})])
        .when(RemoveDetails(alert_id="a1", keys=("a", "zz", "a")), now=T1)
        .then([AlertDetailsRemoved(alert_id="a1", at=T1, keys=("a",))])
    )
    assert state.alerts["a1"].details == {"b": "2"}


def test_remove_absent_details_is_a_no_op_but_keeps_the_note() -> None:
    """Removing absent keys emits only the note, if any."""
    given([created()]).when(RemoveDetails(alert_id="a1", keys=("k",), note="n"), now=T1).then(
        [AlertNoteAdded(alert_id="a1", at=T1, note="n")]
    )


def test_remove_no_keys_is_rejected() -> None:
    """Removing an empty key list is rejected on keys."""
    given([created()]).when(RemoveDetails(alert_id="a1", keys=())).then_rejected(
        "invalid_field", field="keys"
    )


# -- priority, message, description ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "event", "attribute", "value"),
    [
        (
            UpdatePriority(alert_id="a1", priority="P1"),
            AlertPriorityUpdated(alert_id="a1", at=T1, priority="P1"),
            "priority",
            "P1",
        ),
        (
            UpdateMessage(alert_id="a1", message=" new "),
            AlertMessageUpdated(alert_id="a1", at=T1, message="new"),
            "message",
            "new",
        ),
        (
            UpdateDescription(alert_id="a1", description="long story"),
            AlertDescriptionUpdated(alert_id="a1", at=T1, description="long story"),
            "description",
            "long story",
        ),
    ],
)
def test_updates_change_the_field(
    command: AlertCommand, event: AlertEvent, attribute: str, value: str
) -> None:
    """Priority, message and description updates set the new value."""
    state = given([created()]).when(command, now=T1).then([event])
    assert value == getattr(state.alerts["a1"], attribute)
    assert state.alerts["a1"].updated_at == T1


@pytest.mark.parametrize(
    "command",
    [
        UpdatePriority(alert_id="a1", priority="P3"),
        UpdateMessage(alert_id="a1", message="disk full "),
        UpdateDescription(alert_id="a1", description=""),
    ],
)
def test_updates_to_the_same_value_are_no_ops(command: AlertCommand) -> None:
    """Updating a field to its current value emits nothing."""
    given([created()]).when(command).then([])


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (UpdatePriority(alert_id="a1", priority="p1"), "priority"),
        (UpdateMessage(alert_id="a1", message=" "), "message"),
        (UpdateMessage(alert_id="a1", message="x" * 131), "message"),
        (UpdateDescription(alert_id="a1", description="x" * 15001), "description"),
    ],
)
def test_invalid_updates_are_rejected(command: AlertCommand, field: str) -> None:
    """Invalid priority, message or description values are rejected on their field."""
    given([created()]).when(command).then_rejected("invalid_field", field=field)


# -- escalate, responders -----------------------------------------------------------------------


def test_escalate_adds_the_escalation_and_unacknowledges() -> None:
    """Escalating records the escalation as responder once and clears the acknowledgement."""
    history = [created(responders=(TEAM,)), AlertAcknowledged(alert_id="a1", at=T1, ack_time=1)]
    state = (
        given(history)
        .when(EscalateAlert(alert_id="a1", escalation=ESC, user="u"), now=T2)
        .then([AlertEscalated(alert_id="a1", at=T2, user="u", escalation=ESC)])
    )
    assert (state.alerts["a1"].acknowledged, state.alerts["a1"].responders) == (False, (TEAM, ESC))
    evolve(state, AlertEscalated(alert_id="a1", at=LATER, escalation=ESC))
    assert state.alerts["a1"].responders == (TEAM, ESC)


@pytest.mark.parametrize(
    "escalation", [Responder(type="team", id="ops"), Responder(type="escalation", id="")]
)
def test_escalate_to_a_non_escalation_is_rejected(escalation: Responder) -> None:
    """Escalating needs an escalation responder with an id."""
    given([created()]).when(EscalateAlert(alert_id="a1", escalation=escalation)).then_rejected(
        "invalid_field", field="escalation"
    )


def test_add_responder_appends_it() -> None:
    """Adding a responder appends it to the alert's responders."""
    state = (
        given([created()])
        .when(AddResponder(alert_id="a1", responder=TEAM), now=T1)
        .then([AlertResponderAdded(alert_id="a1", at=T1, responder=TEAM)])
    )
    assert state.alerts["a1"].responders == (TEAM,)
    evolve(state, AlertResponderAdded(alert_id="a1", at=T2, responder=TEAM))
    assert state.alerts["a1"].responders == (TEAM,)


def test_add_existing_responder_is_a_no_op() -> None:
    """Adding a responder the alert has emits nothing."""
    given([created(responders=(TEAM,))]).when(AddResponder(alert_id="a1", responder=TEAM)).then([])


def test_add_responder_over_the_limit_is_rejected() -> None:
    """An alert holds at most 50 responders."""
    full = tuple(Responder(type="user", id=f"u{i}") for i in range(50))
    given([created(responders=full)]).when(
        AddResponder(alert_id="a1", responder=TEAM)
    ).then_rejected("invalid_field", field="responder")


def test_add_invalid_responder_is_rejected() -> None:
    """A responder of unknown type is rejected on responder."""
    bad = Responder(type="group", id="x")
    given([created()]).when(AddResponder(alert_id="a1", responder=bad)).then_rejected(
        "invalid_field", field="responder"
    )


# -- delete -------------------------------------------------------------------------------------


def test_delete_removes_the_alert_and_its_index_entries() -> None:
    """Deleting removes the alert from every index; lookups then fail."""
    history = [created(alias="web"), AlertSnoozed(alert_id="a1", at=T0, end_time=LATER)]
    state = (
        given(history)
        .when(DeleteAlert(alert_id="a1", user="u", source="s"), now=T1)
        .then([AlertDeleted(alert_id="a1", at=T1, user="u", source="s")])
    )
    assert (
        state.alerts,
        state.open_by_alias,
        state.ids_by_alias,
        state.by_tiny_id,
        state.snoozed_until,
    ) == ({}, {}, {}, {}, {})
    assert state.next_tiny_id == 2
    with pytest.raises(NotFound):
        find_alert(state, "a1", "id")


def test_delete_a_closed_alert_keeps_the_open_one_with_its_alias() -> None:
    """Deleting a closed alert leaves the newer open alert with the same alias alone."""
    history = [created(alias="web"), closed(), created("a2", 2, alias="web")]
    state = (
        given(history)
        .when(DeleteAlert(alert_id="a1"), now=T2)
        .then([AlertDeleted(alert_id="a1", at=T2)])
    )
    assert (state.open_by_alias, state.ids_by_alias) == ({"web": "a2"}, {"web": ("a2",)})


def test_delete_newest_alias_falls_back_to_the_older_closed_alert() -> None:
    """After the newest alert of an alias is deleted, alias lookup finds the older one."""
    history = [
        created(alias="web"),
        closed(),
        created("a2", 2, alias="web"),
        AlertDeleted(alert_id="a2", at=T2),
    ]
    state = ALERTS.fold(history)
    assert find_alert(state, "web", "alias").id == "a1"


# -- evolve, lookups, codec -----------------------------------------------------------------------


def test_evolve_mutates_in_place_and_ignores_unknown_alerts() -> None:
    """evolve returns the very state it was given and ignores events about missing alerts."""
    state = initial_state()
    assert state is evolve(state, created())
    for event in [
        AlertAcknowledged(alert_id="x", at=T1, ack_time=1),
        AlertDeleted(alert_id="x", at=T1),
        AlertTagsAdded(alert_id="x", at=T1, tags=("t",)),
    ]:
        assert state is evolve(state, event)
    assert list(state.alerts) == ["a1"]


def test_evolve_tolerates_a_deleted_alert_missing_from_its_alias_index() -> None:
    """Deleting an alert whose alias index entry is already gone does not raise."""
    state = ALERTS.fold([created(alias="web")])
    state.ids_by_alias.clear()
    evolve(state, AlertDeleted(alert_id="a1", at=T1))
    assert state.alerts == {}


def test_find_alert_by_id_tiny_and_alias() -> None:
    """find_alert resolves ids, tiny ids (tiny or tinyId) and aliases, open alias first."""
    state = ALERTS.fold([created(alias="web"), closed(), created("a2", 2, alias="web")])
    assert find_alert(state, "a1", "id").id == "a1"
    assert find_alert(state, "1", "tiny").id == "a1"
    assert find_alert(state, " 2 ", "tinyId").id == "a2"
    assert find_alert(state, "web", "alias").id == "a2"
    evolve(state, AlertClosed(alert_id="a2", at=T2, close_time=1))
    assert find_alert(state, "web", "alias").id == "a2"


@pytest.mark.parametrize(
    ("identifier", "kind"), [("zz", "id"), ("x1", "tiny"), ("9", "tiny"), ("nope", "alias")]
)
def test_find_alert_unknown_raises_not_found(identifier: str, kind: str) -> None:
    """Unknown identifiers of every type raise alert_not_found."""
    with pytest.raises(NotFound) as info:
        find_alert(ALERTS.fold([created()]), identifier, kind)
    assert info.value.code == "alert_not_found"


def test_find_alert_unknown_identifier_type_is_rejected() -> None:
    """An identifierType other than id, tiny or alias is rejected on identifierType."""
    with pytest.raises(Rejected) as info:
        find_alert(initial_state(), "a1", "name")
    assert (info.value.code, info.value.field) == ("invalid_field", "identifierType")


def test_subject_of_is_the_alert_id() -> None:
    """Every alert event is about its alert_id."""
    assert subject_of(AlertNoteAdded(alert_id="a1", at=T0, note="n")) == "a1"


def test_every_type_is_tagged_with_its_class_name() -> None:
    """Commands and events encode with "type" = class name and decode back through the union."""
    for cls in (*ALERT_COMMAND_TYPES, *ALERT_EVENT_TYPES):
        assert cls.__name__ == cls.__struct_config__.tag
        assert cls.__struct_config__.tag_field == "type"
        assert cls.__struct_config__.frozen
    event = created(responders=(TEAM,), details={"k": "v"})
    raw = msgspec.json.encode(event)
    assert b'"type":"AlertCreated"' in raw
    assert event == msgspec.json.decode(raw, type=AlertEvent)
    command = SnoozeAlert(alert_id="a1", end_time=datetime(2031, 1, 1, tzinfo=UTC))
    assert command == msgspec.json.decode(msgspec.json.encode(command), type=AlertCommand)
