"""Closing and acknowledging an alert by alias, resolved atomically inside ``decide``;
out-of-order webhooks: a late firing of an episode already resolved is stale."""

from __future__ import annotations

from datetime import datetime, timedelta

from msgspec.structs import replace

from engine import CommandContext, CreateAlert
from engine.alerts import (
    AcknowledgeAlertByAlias,
    AlertAcknowledged,
    AlertAliasResolved,
    AlertClosed,
    AlertCreated,
    AlertNoteAdded,
    CloseAlertByAlias,
    Integration,
    stale_firing,
)
from engine.org import Outcome, execute, initial_state
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


# -- out of order: a firing of an episode already resolved is stale ----------------------

STARTS = NOW - timedelta(minutes=10)  # the episode's startsAt (the sender's clock)
ENDS = NOW - timedelta(minutes=5)  # its endsAt
ENDED = AlertAliasResolved(at=T1, alias="fp1", integration_id="i1", ends_at=ENDS)


def _firing(
    starts_at: datetime | None, alert_id: str = "a2", integration: Integration = AM
) -> CreateAlert:
    return CreateAlert(
        alert_id=alert_id, message="m", alias="fp1", integration=integration, starts_at=starts_at
    )


def _resolve(ends_at: datetime | None = ENDS, integration_id: str = "i1") -> CloseAlertByAlias:
    return CloseAlertByAlias(alias="fp1", integration_id=integration_id, ends_at=ends_at)


def test_a_resolve_records_the_end_of_its_episode() -> None:
    """Closing by alias with ``ends_at`` closes the alert and remembers the end."""
    state = (
        given([OPEN])
        .when(_resolve(), now=T1)
        .then([AlertClosed(alert_id="a1", at=T1, close_time=2000), ENDED])
    )
    assert state.resolved_until == {"i1": {"fp1": ENDS}}


def test_a_resolve_before_its_firing_records_the_end_alone() -> None:
    """No open alert (or another integration's): the end is recorded, nothing is closed."""
    given().when(_resolve(), now=T1).then([ENDED])
    other = AlertAliasResolved(at=T1, alias="fp1", integration_id="i2", ends_at=ENDS)
    given([OPEN]).when(_resolve(integration_id="i2"), now=T1).then([other])


def test_an_end_no_later_than_the_last_one_is_not_recorded_again() -> None:
    """A repeated (or older) resolve changes nothing; a later one moves the end forward."""
    given([ENDED]).when(_resolve(), now=T1).then([])
    given([ENDED]).when(_resolve(ENDS - timedelta(seconds=1)), now=T1).then([])
    later = ENDS + timedelta(seconds=1)
    state = given([ENDED]).when(_resolve(later), now=T1).then([replace(ENDED, ends_at=later)])
    assert {"i1": {"fp1": later}} == state.resolved_until


def test_a_firing_that_started_before_the_end_is_stale() -> None:
    """startsAt not after the recorded end: nothing is created, re-opened or counted."""
    given([ENDED]).when(_firing(STARTS), now=T1).then([])
    given([ENDED]).when(_firing(ENDS), now=T1).then([])
    given([OPEN, ENDED]).when(_firing(STARTS), now=T1).then([])  # not even a dedup
    assert stale_firing(given([ENDED]).when(_firing(ENDS)).state, _firing(ENDS))


def test_a_later_episode_opens_a_new_alert() -> None:
    """A firing that started after the end is a new episode: a new alert."""
    events = given([OPEN, AlertClosed(alert_id="a1", at=T1, close_time=2000), ENDED]).when(
        _firing(ENDS + timedelta(milliseconds=1)), now=T1
    )
    assert [AlertCreated] == [type(e) for e in events.events]
    assert events.events[0].alert_id == "a2"


def test_a_firing_without_start_or_of_another_integration_is_never_stale() -> None:
    """No ``starts_at`` (the API, Opsgenie, PagerDuty), or another sender: as before."""
    for command in (
        _firing(None),
        _firing(STARTS, integration=Integration(id="i2", name="other", type="alertmanager")),
    ):
        events = given([ENDED]).when(command, now=T1).events
        assert [AlertCreated] == [type(e) for e in events]


def test_sender_times_need_a_time_zone() -> None:
    """A naive ``startsAt``/``endsAt`` cannot be compared: ``invalid_field``."""
    naive = datetime(2030, 1, 1, 11, 0)
    given([ENDED]).when(_firing(naive)).then_rejected("invalid_field", field="startsAt")
    given().when(_resolve(naive)).then_rejected("invalid_field", field="endsAt")


def test_the_org_outcome_says_stale_and_a_bare_end_is_a_noop() -> None:
    """The answer of a stale firing is ``stale`` without an alert; a resolve that only
    recorded its end is ``noop``; the one that closed an alert is ``updated``."""
    state = initial_state()
    ctx = CommandContext(principal_kind="integration", principal_id="i1")
    events, outcome = execute(state, _resolve(), ctx, T1)
    assert ([AlertAliasResolved], "noop", None) == (
        [type(e) for e in events],
        outcome.result,
        outcome.alert_id,
    )
    events, outcome = execute(state, _firing(STARTS), ctx, T1)
    assert ([], Outcome(result="stale")) == (events, outcome)
    _, outcome = execute(state, _firing(ENDS + timedelta(seconds=1)), ctx, T1)
    assert (outcome.result, outcome.alert_id) == ("created", "a2")
    later = ENDS + timedelta(minutes=1)
    _, outcome = execute(state, _resolve(later), ctx, T1)
    assert (outcome.result, outcome.alert_id) == ("updated", "a2")
