"""Closing and acknowledging an alert by alias, resolved atomically inside ``decide``."""

from __future__ import annotations

from datetime import timedelta

from engine import CommandContext, CreateAlert
from engine.alerts import (
    AcknowledgeAlertByAlias,
    AlertAcknowledged,
    AlertClosed,
    AlertCreated,
    AlertNoteAdded,
    CloseAlertByAlias,
    Integration,
)
from engine.org import execute, initial_state
from tests.helpers.decider import NOW, given

T1 = NOW + timedelta(seconds=2)
AM = Integration(id="i1", name="prom", type="alertmanager")
OPEN = AlertCreated(alert_id="a1", at=NOW, tiny_id=1, alias="fp1", message="m", integration=AM)


def test_close_by_alias_closes_the_open_alert() -> None:
    """The open alert with the alias is closed as if by id."""
    state = (
        given([OPEN])
        .when(CloseAlertByAlias(alias="fp1", source="am"), now=T1)
        .then([AlertClosed(alert_id="a1", at=T1, source="am", close_time=2000)])
    )
    assert state.alerts["a1"].status == "closed"


def test_close_by_alias_without_an_open_alert_is_a_no_op() -> None:
    """A resolve for an unknown or already closed alias changes nothing."""
    given().when(CloseAlertByAlias(alias="fp1")).then([])
    closed = AlertClosed(alert_id="a1", at=T1, close_time=2000)
    given([OPEN, closed]).when(CloseAlertByAlias(alias="fp1")).then([])


def test_by_alias_ignores_an_alert_of_another_integration() -> None:
    """With an integration id, an alert opened elsewhere (or by the API) is left alone."""
    given([OPEN]).when(CloseAlertByAlias(alias="fp1", integration_id="i2")).then([])
    api = AlertCreated(alert_id="a2", at=NOW, tiny_id=1, alias="x", message="m")
    given([api]).when(AcknowledgeAlertByAlias(alias="x", integration_id="i1")).then([])


def test_by_alias_with_the_same_integration_acts() -> None:
    """The owning integration may close its own alert."""
    given([OPEN]).when(CloseAlertByAlias(alias="fp1", integration_id="i1"), now=T1).then(
        [AlertClosed(alert_id="a1", at=T1, close_time=2000)]
    )


def test_acknowledge_by_alias_acknowledges_with_note() -> None:
    """Acknowledging by alias sets the flag and appends the note."""
    given([OPEN]).when(AcknowledgeAlertByAlias(alias="fp1", user="pd", note="ack"), now=T1).then(
        [
            AlertAcknowledged(alert_id="a1", at=T1, user="pd", ack_time=2000),
            AlertNoteAdded(alert_id="a1", at=T1, user="pd", note="ack"),
        ]
    )


def test_outcome_of_a_by_alias_command_names_the_alert() -> None:
    """The org outcome of a by-alias close carries the alert it closed."""
    state = initial_state()
    ctx = CommandContext(principal_kind="integration", principal_id="i1")
    execute(state, _create(), ctx, NOW)
    _, outcome = execute(state, CloseAlertByAlias(alias="fp1"), ctx, T1)
    assert (outcome.result, outcome.alert_id, outcome.tiny_id) == ("updated", "a1", 1)
    _, outcome = execute(state, CloseAlertByAlias(alias="fp1"), ctx, T1)
    assert (outcome.result, outcome.alert_id) == ("noop", None)


def _create() -> CreateAlert:

    return CreateAlert(alert_id="a1", message="m", alias="fp1")
