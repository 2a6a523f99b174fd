"""Closing and acknowledging an alert by alias, resolved atomically inside ``decide``;
out-of-order webhooks: a late firing of an episode already resolved is stale, and so is a
late resolve of an episode before the open alert's; recorded ends are forgotten after
``RESOLVED_HORIZON``."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from msgspec.structs import replace

from engine import CommandContext, CreateAlert
from engine.alerts import (
    RESOLVED_HORIZON,
    RESOLVED_SWEEP_EVERY,
    AcknowledgeAlertByAlias,
    AlertAcknowledged,
    AlertAliasResolved,
    AlertClosed,
    AlertCreated,
    AlertDeduplicated,
    AlertEvent,
    AlertNoteAdded,
    AliasEvent,
    CloseAlertByAlias,
    EpisodeEnd,
    Integration,
    decide,
    episode_key,
    evolve,
    stale_firing,
)
from engine.alerts import initial_state as initial_alerts
from engine.org import Outcome, execute, initial_state
from tests.helpers.decider import ALERTS, NOW, given

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
    assert {episode_key("i1", "fp1"): EpisodeEnd(ends_at=ENDS, recorded_at=T1)} == (
        state.resolved_until
    )


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
    assert {episode_key("i1", "fp1"): EpisodeEnd(ends_at=later, recorded_at=T1)} == (
        state.resolved_until
    )


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


# -- the mirror case: a late resolve of an earlier episode leaves the newer alert open ----

LATER = ENDS + timedelta(minutes=30)  # the next episode's startsAt
CLOSED_A1 = AlertClosed(alert_id="a1", at=T1, close_time=2000)
NEWER = AlertCreated(
    alert_id="a2", at=T1, tiny_id=2, alias="fp1", message="m", integration=AM, starts_at=LATER
)


def test_the_alert_keeps_the_start_of_its_latest_episode() -> None:
    """A firing with ``starts_at`` opens an alert that records it; a dedup of its own
    integration with a later start moves it there, one with an earlier start, none, or
    from another integration does not."""
    state = given().when(_firing(LATER), now=T1).then([replace(NEWER, at=T1, tiny_id=1)])
    assert state.alerts["a2"].starts_at == LATER
    hour = timedelta(hours=1)
    dedup = AlertDeduplicated(alert_id="a2", at=NOW, count=2, starts_at=LATER + hour)
    moved = given([NEWER]).when(_firing(LATER + hour, alert_id="a3")).then([dedup])
    assert LATER + hour == moved.alerts["a2"].starts_at
    other = Integration(id="i2", name="other", type="alertmanager")
    for firing, starts_at in [
        (_firing(LATER - hour, alert_id="a3"), LATER - hour),
        (_firing(None, alert_id="a3"), None),
        (_firing(LATER + hour, alert_id="a3", integration=other), None),
    ]:
        kept = given([NEWER]).when(firing).then([replace(dedup, starts_at=starts_at)])
        assert kept.alerts["a2"].starts_at == LATER
    unstarted = given([replace(NEWER, starts_at=None)]).when(_firing(LATER, alert_id="a3"))
    moved = unstarted.then([replace(dedup, starts_at=LATER)])
    assert moved.alerts["a2"].starts_at == LATER


def test_a_late_resolve_leaves_open_an_alert_a_later_episode_deduplicated_into() -> None:
    """Episode 1 fires (a1), episode 2's firing arrives while a1 is open and deduplicates
    into it, then episode 1's resolve arrives late: ``stale``, a1 stays open (its end is
    recorded); episode 2's own resolve closes it.

    Until a dedup moved the start, that late resolve closed a1 while episode 2 still fired,
    and Alertmanager resends a firing only after its ``repeat_interval``: a lost page."""
    state = initial_state()
    ctx = CommandContext(principal_kind="integration", principal_id="i1")
    execute(state, _firing(STARTS, alert_id="a1"), ctx, NOW)
    _, outcome = execute(state, _firing(LATER), ctx, T1)
    assert (outcome.result, outcome.alert_id) == ("deduplicated", "a1")
    events, outcome = execute(state, _resolve(ENDS), ctx, T1)
    assert ([ENDED], Outcome(result="stale")) == (events, outcome)
    assert state.alerts.alerts["a1"].status == "open"
    _, outcome = execute(state, _resolve(LATER + timedelta(minutes=5)), ctx, T1)
    assert (outcome.result, outcome.alert_id) == ("updated", "a1")
    assert state.alerts.alerts["a1"].status == "closed"


def test_a_late_resolve_of_an_earlier_episode_leaves_the_newer_alert_open() -> None:
    """firing → resolve → the next episode's firing → the first resolve again: the open
    alert started after that resolve's end, so it stays open (``[]``, nothing to record);
    a first delivery of an earlier end records it and still closes nothing."""
    state = given([OPEN, CLOSED_A1, ENDED, NEWER]).when(_resolve(ENDS), now=T1).then([])
    assert state.alerts["a2"].status == "open"
    earlier = replace(ENDED, ends_at=LATER - timedelta(seconds=1))
    state = given([NEWER]).when(_resolve(earlier.ends_at), now=T1).then([earlier])
    assert state.alerts["a2"].status == "open"


def test_a_resolve_of_the_open_episode_closes_it() -> None:
    """An end at or after the alert's start is its episode's (at: the tie counts as the same
    episode, as for firings); without ``ends_at``, or for an alert opened without a start,
    a resolve closes as before."""
    closed = AlertClosed(alert_id="a2", at=T1, close_time=0)
    for ends_at in (LATER, LATER + timedelta(minutes=5)):
        recorded = replace(ENDED, ends_at=ends_at)
        given([ENDED, NEWER]).when(_resolve(ends_at), now=T1).then([closed, recorded])
    given([NEWER]).when(_resolve(None), now=T1).then([closed])
    given([OPEN]).when(_resolve(STARTS - timedelta(hours=1)), now=T1).then(
        [
            AlertClosed(alert_id="a1", at=T1, close_time=2000),
            replace(ENDED, ends_at=STARTS - timedelta(hours=1)),
        ]
    )


def test_the_org_outcome_of_a_late_resolve_is_stale() -> None:
    """The answer of a resolve that left a newer alert open is ``stale``, naming no alert."""
    state = initial_state()
    ctx = CommandContext(principal_kind="integration", principal_id="i1")
    execute(state, _firing(STARTS, alert_id="a1"), ctx, NOW)
    execute(state, _resolve(ENDS), ctx, T1)
    _, outcome = execute(state, _firing(LATER), ctx, T1)
    assert (outcome.result, outcome.alert_id) == ("created", "a2")
    events, outcome = execute(state, _resolve(ENDS), ctx, T1)
    assert ([], Outcome(result="stale")) == (events, outcome)
    assert state.alerts.alerts["a2"].status == "open"
    _, outcome = execute(state, _resolve(LATER + timedelta(minutes=5)), ctx, T1)
    assert (outcome.result, outcome.alert_id) == ("updated", "a2")


# -- the recorded ends are forgotten after RESOLVED_HORIZON ---------------------------------


def _resolved(alias: str, at: datetime, ends_at: datetime = ENDS) -> AlertAliasResolved:
    return AlertAliasResolved(at=at, alias=alias, integration_id="i1", ends_at=ends_at)


def test_ends_recorded_more_than_the_horizon_ago_are_forgotten() -> None:
    """A new pod name resolved each day for 30 days, and pod-3 again (a later end) on day
    25: only the ends recorded within a week of the newest are kept; the fold of the JSON
    round-tripped log is the same state, byte for byte."""
    live = initial_alerts()
    log: list[AlertEvent | AliasEvent] = []
    days = [(f"pod-{n}", float(n), ENDS) for n in range(30)]
    days.insert(26, ("pod-3", 25.5, ENDS + timedelta(seconds=1)))
    for alias, day, ends_at in days:
        resolve = CloseAlertByAlias(alias=alias, integration_id="i1", ends_at=ends_at)
        for event in decide(live, resolve, NOW + timedelta(days=day)):
            evolve(live, event)
            log.append(event)
    assert len(days) == len(log)
    kept = [*range(22, 26), 3, *range(26, 30)]
    assert [episode_key("i1", f"pod-{n}") for n in kept] == list(live.resolved_until)
    assert NOW + timedelta(days=25.5) == live.resolved_until[episode_key("i1", "pod-3")].recorded_at
    stored = msgspec.json.decode(msgspec.json.encode(log), type=list[AlertEvent | AliasEvent])
    assert msgspec.json.encode(live) == msgspec.json.encode(ALERTS.fold(stored))


def test_the_sweep_runs_once_per_sweep_interval() -> None:
    """Ends are swept out by the first resolve a ``RESOLVED_SWEEP_EVERY`` after the last
    sweep: an end may outlive the horizon by up to that much, never more."""
    assert (timedelta(days=7), timedelta(days=1)) == (RESOLVED_HORIZON, RESOLVED_SWEEP_EVERY)
    day = timedelta(days=1)
    log = [_resolved("old", NOW), _resolved("a", NOW + 7 * day), _resolved("b", NOW + 7.5 * day)]
    state = ALERTS.fold(log)
    assert (NOW + 7 * day, ["old", "a", "b"]) == (
        state.resolved_swept_at,
        [key.split(" ", 1)[1] for key in state.resolved_until],
    )
    state = ALERTS.fold([*log, _resolved("c", NOW + 8 * day)])
    assert (NOW + 8 * day, ["a", "b", "c"]) == (
        state.resolved_swept_at,
        [key.split(" ", 1)[1] for key in state.resolved_until],
    )


def test_a_firing_of_a_forgotten_episode_opens_an_alert() -> None:
    """Within the horizon a late firing is stale; once its end is forgotten it opens an
    alert again (the rule before stale firings existed: forgetting errs towards paging)."""
    late = NOW + RESOLVED_HORIZON
    within = [ENDED, _resolved("other", late)]
    given(within).when(_firing(STARTS), now=late).then([])
    forgotten = [ENDED, _resolved("other", late + timedelta(seconds=3))]
    events = given(forgotten).when(_firing(STARTS), now=late).events
    assert [AlertCreated] == [type(e) for e in events]
