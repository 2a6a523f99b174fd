"""Routing rule commands replay exactly from their events; a team's order stays gapless."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import routing
from engine.errors import Conflict, Rejected
from engine.routing import (
    ChangeRoutingRuleOrder,
    CreateRoutingRule,
    DeleteRoutingRule,
    RemoveRoutingTarget,
    RemoveRoutingTeam,
    RoutingCommand,
    RoutingCondition,
    RoutingCriteria,
    RoutingEvent,
    RoutingState,
    RoutingTarget,
    UpdateRoutingRule,
)
from engine.schedules import Restriction, TimeWindow
from tests.strategies import BASE_TIME, mostly

team_ids = st.sampled_from(["t1", "t2"])
rule_ids = st.sampled_from(["r1", "r2", "r3", "r4"])
orders = mostly(st.integers(min_value=0, max_value=5), st.just(-1), odds=20)
targets = mostly(
    st.builds(
        RoutingTarget,
        type=st.sampled_from(["escalation", "schedule", "none"]),
        id=st.sampled_from(["p1", "s1"]),
    ),
    st.just(RoutingTarget(type="team", id="x")),
)
conditions = st.builds(
    RoutingCondition,
    field=st.sampled_from(["message", "tags", "priority", "details"]),
    operation=st.sampled_from(["equals", "contains", "is-empty", "greater-than"]),
    expected_value=st.sampled_from(["P2", "db", ""]),
    negate=st.booleans(),
    order=st.integers(min_value=0, max_value=3),
)
criteria = st.one_of(
    st.just(RoutingCriteria()),
    st.builds(
        RoutingCriteria,
        type=st.sampled_from(["match-all-conditions", "match-any-condition"]),
        conditions=st.lists(conditions, min_size=1, max_size=3).map(tuple),
    ),
)
restrictions = st.one_of(
    st.none(),
    st.just(
        Restriction(type="time-of-day", windows=(TimeWindow(start_minute=1320, end_minute=360),))
    ),
)

commands: st.SearchStrategy[RoutingCommand] = st.one_of(
    st.builds(
        CreateRoutingRule,
        team_id=team_ids,
        rule_id=rule_ids,
        name=st.sampled_from(["", "night"]),
        order=st.one_of(st.none(), orders),
        criteria=criteria,
        time_restriction=restrictions,
        timezone=mostly(st.sampled_from(["UTC", "Europe/Berlin"]), st.just("Nowhere/x")),
        target=targets,
        is_default=mostly(st.just(False), st.just(True), odds=4),
    ),
    st.builds(
        UpdateRoutingRule,
        team_id=team_ids,
        rule_id=rule_ids,
        name=st.one_of(st.none(), st.sampled_from(["", "day"])),
        criteria=st.one_of(st.none(), criteria),
        time_restriction=st.one_of(st.just(msgspec.UNSET), restrictions),
        target=st.one_of(st.none(), targets),
    ),
    st.builds(DeleteRoutingRule, team_id=team_ids, rule_id=rule_ids),
    st.builds(ChangeRoutingRuleOrder, team_id=team_ids, rule_id=rule_ids, order=orders),
    st.builds(RemoveRoutingTeam, team_id=team_ids),
    st.builds(
        RemoveRoutingTarget,
        target_type=st.sampled_from(["escalation", "schedule"]),
        target_id=st.sampled_from(["p1", "s1"]),
    ),
)
steps = st.lists(st.tuples(st.integers(min_value=0, max_value=60), commands), max_size=50)

_events = msgspec.json.Decoder(list[RoutingEvent])


def check_invariants(state: RoutingState) -> None:
    """Each rule is in its team's list exactly once, and every listed rule exists; a
    team's default rule, if any, is its only one and its last, match-all, unrestricted."""
    listed = [rule_id for ids in state.by_team.values() for rule_id in ids]
    assert sorted(listed) == sorted(state.rules)
    for team_id, ids in state.by_team.items():
        assert ids
        assert all(state.rules[i].team_id == team_id for i in ids)
        defaults = [i for i in ids if state.rules[i].is_default]
        assert defaults in ([], [ids[-1]])
        for rule_id in defaults:
            rule = state.rules[rule_id]
            assert (rule.criteria.type, rule.time_restriction) == ("match-all", None)


@settings(max_examples=300, deadline=None)
@given(steps=steps)
def test_replaying_routing_events_rebuilds_the_live_state(
    steps: list[tuple[int, RoutingCommand]],
) -> None:
    """Folding the encoded log from the initial state gives the live state."""
    live = routing.initial_state()
    log: list[RoutingEvent] = []
    now: datetime = BASE_TIME
    for elapsed, command in steps:
        now += timedelta(minutes=elapsed)
        before = msgspec.json.encode(live)
        try:
            events = routing.decide(live, command, now)
        except (Rejected, Conflict):
            assert before == msgspec.json.encode(live), "a refused command changed the state"
            continue
        for event in events:
            routing.evolve(live, event)
        log += events
        check_invariants(live)
    replayed = routing.initial_state()
    for event in _events.decode(msgspec.json.encode(log)):
        routing.evolve(replayed, event)
    assert msgspec.json.encode(live) == msgspec.json.encode(replayed)
