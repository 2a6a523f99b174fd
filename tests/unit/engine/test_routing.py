"""The routing area: a team's ordered rules, their validation, and which rule routes an alert."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from engine import escalations, routing, schedules, teams
from engine.alerts import Alert, Report
from engine.errors import Conflict, NotFound, Rejected
from engine.org import OrgState, fold
from engine.org import decide as org_decide
from engine.org import initial_state as org_initial_state
from engine.routing import (
    DEFAULT_ROUTE,
    ChangeRoutingRuleOrder,
    CreateRoutingRule,
    DeleteRoutingRule,
    RemoveRoutingTarget,
    RemoveRoutingTeam,
    RouteDecision,
    RoutingCommand,
    RoutingCondition,
    RoutingCriteria,
    RoutingEvent,
    RoutingRule,
    RoutingRuleCreated,
    RoutingRuleDeleted,
    RoutingRuleOrderChanged,
    RoutingRuleUpdated,
    RoutingTarget,
    UpdateRoutingRule,
    condition_holds,
    criteria_match,
    default_rule_of,
    find_routing_rule,
    restriction_covers,
    route,
    routing_rule_order,
    routing_rules_of,
)
from engine.schedules import Restriction, TimeWindow
from tests.helpers.decider import NOW, Decider

RULES = Decider(routing.initial_state, routing.decide, routing.evolve)
T1 = NOW + timedelta(minutes=1)
DB = RoutingTarget(type="escalation", id="db")
NOBODY = RoutingTarget(type="none")
P1_ONLY = RoutingCriteria(
    type="match-all-conditions",
    conditions=(RoutingCondition(field="priority", operation="equals", expected_value="P1"),),
)


def rule(rule_id: str = "r1", team_id: str = "t1", **fields: Any) -> RoutingRule:
    base: dict[str, Any] = {
        "id": rule_id,
        "team_id": team_id,
        "name": rule_id,
        "criteria": RoutingCriteria(),
        "target": DB,
        "created_at": NOW,
        "updated_at": NOW,
        **fields,
    }
    return msgspec.convert(base, RoutingRule, from_attributes=True)


def created(
    rule_id: str = "r1", order: int = 0, team_id: str = "t1", **fields: Any
) -> RoutingEvent:
    made = rule(rule_id, team_id, **fields)
    return RoutingRuleCreated(team_id=team_id, rule_id=rule_id, rule=made, order=order, at=NOW)


def create(rule_id: str = "r1", **fields: Any) -> CreateRoutingRule:
    return CreateRoutingRule(
        team_id="t1", rule_id=rule_id, **{"name": rule_id, "target": DB, **fields}
    )


THREE = [created("r1"), created("r2", 1), created("r3", 2)]


def order_of(history: list[RoutingEvent], command: RoutingCommand) -> list[str]:
    state = (
        RULES.given(history).when(command, now=NOW).then(RULES.given(history).when(command).events)
    )
    return [r.id for r in routing_rules_of(state, "t1")]


def rejected(
    command: RoutingCommand, field: str, history: list[RoutingEvent] | None = None
) -> None:
    RULES.given(history or []).when(command).then_rejected("invalid_field", field=field)


# -- create --------------------------------------------------------------------------------


def test_rules_are_appended_or_inserted_at_their_order() -> None:
    """Without an order a rule goes last; with one it is inserted there (clamped to the end)."""
    state = RULES.given().when(create(name=" First ")).then([created(name="First")])
    assert [routing_rule_order(state, r) for r in routing_rules_of(state, "t1")] == [0]
    assert order_of(THREE, create("r4")) == ["r1", "r2", "r3", "r4"]
    assert order_of(THREE, create("r4", order=0)) == ["r4", "r1", "r2", "r3"]
    assert order_of(THREE, create("r4", order=1)) == ["r1", "r4", "r2", "r3"]
    assert order_of(THREE, create("r4", order=99)) == ["r1", "r2", "r3", "r4"]
    assert routing_rules_of(state, "other") == ()


def test_a_rule_id_is_used_once() -> None:
    """Another rule with the same id (in any team) is routing_rule_exists."""
    with pytest.raises(Conflict) as raised:
        RULES.given(THREE).when(create("r2"))
    assert raised.value.code == "routing_rule_exists"


def test_a_team_has_at_most_100_rules() -> None:
    """The 101st rule is refused."""
    history = [created(f"r{i}", i) for i in range(100)]
    RULES.given(history).when(create("r100")).then_rejected("too_many_rules")


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (CreateRoutingRule(team_id="", rule_id="r1", target=DB), "team_id"),
        (CreateRoutingRule(team_id="t1", rule_id=" ", target=DB), "rule_id"),
        (CreateRoutingRule(team_id="t1", rule_id="r" * 201, target=DB), "rule_id"),
        (create(name="n" * 101), "name"),
        (create(order=-1), "order"),
        (create(timezone="Mars/Olympus"), "timezone"),
        (create(target=RoutingTarget(type="team", id="x")), "notify"),
        (create(target=RoutingTarget(type="schedule", id=" ")), "notify"),
        (create(criteria=RoutingCriteria(type="match-some")), "criteria"),
        (create(criteria=RoutingCriteria(type="match-any-condition")), "criteria"),
        (
            create(time_restriction=Restriction(type="weekly", windows=(TimeWindow(),))),
            "timeRestriction",
        ),  # type: ignore[arg-type]
        (create(time_restriction=Restriction(type="time-of-day", windows=())), "timeRestriction"),
    ],
)
def test_create_checks_its_fields(command: CreateRoutingRule, field: str) -> None:
    """Ids, name, order, time zone, target, criteria and restriction are validated."""
    rejected(command, field)


def conditions(*items: RoutingCondition) -> RoutingCriteria:
    return RoutingCriteria(type="match-all-conditions", conditions=items)


def when(field: str, operation: str, expected: str = "x", key: str = "") -> RoutingCondition:
    return RoutingCondition(field=field, operation=operation, expected_value=expected, key=key)


@pytest.mark.parametrize(
    "condition",
    [
        when("recipients", "contains"),
        when("message", "contains-key"),
        when("tags", "equals"),
        when("details", "starts-with"),
        when("priority", "contains", "P1"),
        when("priority", "equals", "P6"),
        when("message", "equals", "x", key="k"),
        when("extra-properties", "equals"),
        when("message", "equals", ""),
        when("message", "equals", "x" * 1001),
        when("message", "matches", "(unclosed"),
        when("message", "matches", "a" * 501),
        when("message", "matches", "(disk).*\\1"),  # RE2: no backreferences
        when("message", "matches", "(?=disk).*"),  # RE2: no lookaround
        when("message", "matches", "(?<!web)-1"),
    ],
)
def test_conditions_are_checked(condition: RoutingCondition) -> None:
    """Each field takes Opsgenie's operations; keys only for details; values and patterns valid."""
    rejected(create(criteria=conditions(condition)), "criteria")


def test_too_many_conditions_are_refused() -> None:
    """At most 50 conditions."""
    many = conditions(*(when("message", "contains") for _ in range(51)))
    rejected(create(criteria=many), "criteria")


def test_criteria_are_normalised() -> None:
    """Conditions are sorted by their order, keys stripped; match-all keeps none."""
    second = RoutingCondition(field="message", operation="is-empty", order=2)
    first = RoutingCondition(
        field="details", operation="equals", expected_value="v", key=" k ", order=1
    )
    events = RULES.given().when(create(criteria=conditions(second, first))).events
    stored = events[0].rule.criteria  # type: ignore[union-attr]
    assert (msgspec.structs.replace(first, key="k"), second) == stored.conditions
    match_all = RoutingCriteria(type="match-all", conditions=(second,))
    assert (
        RoutingCriteria() == RULES.given().when(create(criteria=match_all)).events[0].rule.criteria
    )  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "restriction",
    [
        Restriction(type="time-of-day", windows=(TimeWindow(), TimeWindow())),
        Restriction(type="time-of-day", windows=(TimeWindow(start_minute=1440),)),
        Restriction(type="time-of-day", windows=(TimeWindow(end_minute=1441),)),
        Restriction(type="time-of-day", windows=(TimeWindow(end_minute=-1),)),
        Restriction(type="time-of-day", windows=(TimeWindow(start_day=1, end_day=2),)),
        Restriction(type="weekday-and-time-of-day", windows=(TimeWindow(start_day=1),)),
        Restriction(type="weekday-and-time-of-day", windows=(TimeWindow(start_day=0, end_day=8),)),
        Restriction(
            type="weekday-and-time-of-day", windows=(TimeWindow(start_day=1, end_day=1),) * 51
        ),
    ],
)
def test_time_restrictions_are_checked(restriction: Restriction) -> None:
    """One daily window without days, or 1-50 weekday windows; minutes of a day."""
    rejected(create(time_restriction=restriction), "timeRestriction")


def test_a_none_target_keeps_no_id() -> None:
    """Routing to nobody drops any id given."""
    events = RULES.given().when(create(target=RoutingTarget(type="none", id="x"))).events
    assert events[0].rule.target == NOBODY  # type: ignore[union-attr]


# -- update, delete, order -----------------------------------------------------------------


def test_update_changes_the_given_fields() -> None:
    """Each given field changes; the whole rule is recorded with its update time."""
    night = Restriction(
        type="time-of-day", windows=(TimeWindow(start_minute=1320, end_minute=360),)
    )
    command = UpdateRoutingRule(
        team_id="t1",
        rule_id="r1",
        name="Night",
        criteria=P1_ONLY,
        time_restriction=night,
        timezone="Europe/Berlin",
        target=RoutingTarget(type="schedule", id="s1"),
    )
    after = rule(
        name="Night",
        criteria=P1_ONLY,
        time_restriction=night,
        timezone="Europe/Berlin",
        target=RoutingTarget(type="schedule", id="s1"),
        updated_at=T1,
    )
    state = (
        RULES.given([created()])
        .when(command, now=T1)
        .then([RoutingRuleUpdated(team_id="t1", rule_id="r1", rule=after, at=T1)])
    )
    assert after == find_routing_rule(state, "t1", "r1")
    clear = UpdateRoutingRule(team_id="t1", rule_id="r1", time_restriction=None)
    events = RULES.given([created(time_restriction=night)]).when(clear).events
    assert events[0].rule.time_restriction is None  # type: ignore[union-attr]


def test_update_without_change_is_a_noop() -> None:
    """Nothing given, or the same values, emits nothing."""
    RULES.given([created()]).when(UpdateRoutingRule(team_id="t1", rule_id="r1")).then([])
    same = UpdateRoutingRule(team_id="t1", rule_id="r1", name="r1", target=DB, timezone="UTC")
    RULES.given([created()]).when(same).then([])


def test_update_checks_its_fields() -> None:
    """Bad values are refused naming the field."""
    rejected(UpdateRoutingRule(team_id="t1", rule_id="r1", name="n" * 101), "name", [created()])
    bad = UpdateRoutingRule(team_id="t1", rule_id="r1", target=RoutingTarget(type="x"))
    rejected(bad, "notify", [created()])


def test_rules_are_found_through_their_own_team_only() -> None:
    """An unknown rule, or another team's, is routing_rule_not_found."""
    history = [created(), created("r9", team_id="t2")]
    for command in (
        UpdateRoutingRule(team_id="t1", rule_id="r9"),
        DeleteRoutingRule(team_id="t1", rule_id="nope"),
        ChangeRoutingRuleOrder(team_id="t1", rule_id="r9", order=0),
    ):
        RULES.given(history).when(command).then_rejected("routing_rule_not_found")
    with pytest.raises(NotFound):
        find_routing_rule(RULES.fold(history), "t2", "r1")


def test_delete_moves_the_later_rules_up() -> None:
    """The rules after a deleted one move up; the team's list goes with its last rule."""
    assert order_of(THREE, DeleteRoutingRule(team_id="t1", rule_id="r2")) == ["r1", "r3"]
    state = (
        RULES.given([created()])
        .when(DeleteRoutingRule(team_id="t1", rule_id="r1"))
        .then([RoutingRuleDeleted(team_id="t1", rule_id="r1", at=NOW)])
    )
    assert (state.rules, state.by_team) == ({}, {})


def test_change_order_moves_a_rule() -> None:
    """A rule moves to its new position (clamped to the last); the same position is a no-op."""
    move = ChangeRoutingRuleOrder(team_id="t1", rule_id="r3", order=0)
    assert order_of(THREE, move) == ["r3", "r1", "r2"]
    last = ChangeRoutingRuleOrder(team_id="t1", rule_id="r1", order=10)
    RULES.given(THREE).when(last).then(
        [RoutingRuleOrderChanged(team_id="t1", rule_id="r1", order=2, at=NOW)]
    )
    RULES.given(THREE).when(ChangeRoutingRuleOrder(team_id="t1", rule_id="r2", order=1)).then([])
    rejected(ChangeRoutingRuleOrder(team_id="t1", rule_id="r2", order=-1), "order", THREE)


def test_removing_a_team_deletes_its_rules() -> None:
    """RemoveRoutingTeam deletes every rule of the team, others stay."""
    history = [*THREE, created("r9", team_id="t2")]
    state = (
        RULES.given(history)
        .when(RemoveRoutingTeam(team_id="t1"))
        .then([RoutingRuleDeleted(team_id="t1", rule_id=r, at=NOW) for r in ("r1", "r2", "r3")])
    )
    assert (list(state.rules), list(state.by_team)) == (["r9"], ["t2"])


def test_removing_a_target_routes_its_rules_to_nobody() -> None:
    """Rules that targeted a deleted policy or schedule now target none."""
    history = [created(), created("r2", 1, target=RoutingTarget(type="schedule", id="db"))]
    state = (
        RULES.given(history)
        .when(RemoveRoutingTarget(target_type="escalation", target_id="db"), now=T1)
        .then(
            [
                RoutingRuleUpdated(
                    team_id="t1", rule_id="r1", rule=rule(target=NOBODY, updated_at=T1), at=T1
                )
            ]
        )
    )
    assert RoutingTarget(type="schedule", id="db") == state.rules["r2"].target


def test_evolve_ignores_events_it_cannot_apply() -> None:
    """evolve is total: a repeated creation, or events of unknown rules, change nothing."""
    state = RULES.fold(
        [
            created(),
            created("r1", name="again"),
            RoutingRuleUpdated(team_id="t1", rule_id="x", rule=rule("x"), at=NOW),
            RoutingRuleOrderChanged(team_id="t1", rule_id="x", order=0, at=NOW),
            RoutingRuleDeleted(team_id="t2", rule_id="x", at=NOW),
        ]
    )
    assert (list(state.rules), state.by_team, state.rules["r1"].name) == (
        ["r1"],
        {"t1": ("r1",)},
        "r1",
    )


# -- a team's default rule ----------------------------------------------------------------

DEFAULT = created("d", 0, is_default=True, name="Default Routing Rule")
WITH_DEFAULT = [DEFAULT, created("r1", 0), created("r2", 1)]  # r1, r2, d


def test_a_default_rule_goes_last_and_stays_last() -> None:
    """A default rule is created last whatever its order; later rules go before it."""
    made = create("d", is_default=True, order=0, name="Default Routing Rule")
    assert order_of(THREE, made) == ["r1", "r2", "r3", "d"]
    assert order_of(WITH_DEFAULT, create("r3")) == ["r1", "r2", "r3", "d"]
    assert order_of(WITH_DEFAULT, create("r3", order=99)) == ["r1", "r2", "r3", "d"]
    assert order_of(WITH_DEFAULT, create("r3", order=0)) == ["r3", "r1", "r2", "d"]
    state = RULES.fold(WITH_DEFAULT)
    assert default_rule_of(state, "t1") == state.rules["d"]
    assert default_rule_of(RULES.fold(THREE), "t1") is None
    assert default_rule_of(state, "t9") is None


def test_a_team_has_one_default_rule() -> None:
    """A second default rule is routing_rule_exists."""
    with pytest.raises(Conflict) as raised:
        RULES.given(WITH_DEFAULT).when(create("d2", is_default=True))
    assert raised.value.code == "routing_rule_exists"


def test_the_default_rule_cannot_be_deleted_or_moved() -> None:
    """Deleting it or moving it up is default_routing_rule; 'moving' it last is a no-op."""
    delete = DeleteRoutingRule(team_id="t1", rule_id="d")
    RULES.given(WITH_DEFAULT).when(delete).then_rejected("default_routing_rule")
    up = ChangeRoutingRuleOrder(team_id="t1", rule_id="d", order=1)
    RULES.given(WITH_DEFAULT).when(up).then_rejected("default_routing_rule")
    for order in (2, 50):
        stay = ChangeRoutingRuleOrder(team_id="t1", rule_id="d", order=order)
        RULES.given(WITH_DEFAULT).when(stay).then([])


def test_other_rules_move_before_the_default_rule_only() -> None:
    """A move beyond the end stops just before the default rule."""
    down = ChangeRoutingRuleOrder(team_id="t1", rule_id="r1", order=9)
    assert order_of(WITH_DEFAULT, down) == ["r2", "r1", "d"]
    top = ChangeRoutingRuleOrder(team_id="t1", rule_id="r2", order=0)
    assert order_of(WITH_DEFAULT, top) == ["r2", "r1", "d"]
    RULES.given(WITH_DEFAULT).when(
        ChangeRoutingRuleOrder(team_id="t1", rule_id="r2", order=5)
    ).then([])


def test_the_default_rule_changes_its_target_name_and_zone_only() -> None:
    """Its notify, name and time zone change; criteria stay match-all, no restriction."""
    nobody = UpdateRoutingRule(team_id="t1", rule_id="d", target=NOBODY, timezone="Asia/Tokyo")
    state = (
        RULES.given(WITH_DEFAULT)
        .when(nobody, now=T1)
        .then(
            [
                RoutingRuleUpdated(
                    team_id="t1",
                    rule_id="d",
                    rule=rule(
                        "d",
                        name="Default Routing Rule",
                        is_default=True,
                        target=NOBODY,
                        timezone="Asia/Tokyo",
                        updated_at=T1,
                    ),
                    at=T1,
                )
            ]
        )
    )
    assert state.rules["d"].is_default
    all_again = UpdateRoutingRule(team_id="t1", rule_id="d", criteria=RoutingCriteria())
    RULES.given(WITH_DEFAULT).when(all_again).then([])
    narrow = UpdateRoutingRule(team_id="t1", rule_id="d", criteria=P1_ONLY)
    rejected(narrow, "criteria", WITH_DEFAULT)
    nights = UpdateRoutingRule(team_id="t1", rule_id="d", time_restriction=NIGHT)
    rejected(nights, "timeRestriction", WITH_DEFAULT)
    rejected(create("d2", is_default=True, criteria=P1_ONLY), "criteria")
    rejected(create("d2", is_default=True, time_restriction=NIGHT), "timeRestriction")


def test_removing_the_team_removes_its_default_rule_too() -> None:
    state = (
        RULES.given(WITH_DEFAULT)
        .when(RemoveRoutingTeam(team_id="t1"))
        .then([RoutingRuleDeleted(team_id="t1", rule_id=r, at=NOW) for r in ("r1", "r2", "d")])
    )
    assert (state.rules, state.by_team) == ({}, {})


# -- matching ------------------------------------------------------------------------------


def alert(**fields: Any) -> Alert:
    base: dict[str, Any] = {
        "id": "a1",
        "tiny_id": 1,
        "alias": "web-down",
        "message": "Disk FULL on web-1",
        "description": "",
        "status": "open",
        "acknowledged": False,
        "snoozed": False,
        "snoozed_until": None,
        "count": 1,
        "created_at": NOW,
        "updated_at": NOW,
        "last_occurred_at": NOW,
        "source": "prometheus",
        "owner": "",
        "priority": "P2",
        "tags": ("prod", "Disk"),
        "details": {"region": "eu-west", "Team": "Storage"},
        "entity": "web-1",
        "responders": (),
        "actions": ("restart",),
        "notes": (),
        "report": Report(),
        **fields,
    }
    return msgspec.convert(base, Alert, from_attributes=True)


WEB = alert()


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (when("message", "equals", "disk full on WEB-1"), True),
        (when("message", "equals", "disk full"), False),
        (when("message", "contains", "full on"), True),
        (when("message", "starts-with", "disk"), True),
        (when("message", "ends-with", "WEB-1"), True),
        (when("message", "ends-with", "web"), False),
        (when("message", "equals-ignore-whitespace", "diskfullonweb-1"), True),
        (when("message", "matches", "Disk .* web-\\d"), True),
        (when("message", "matches", "Disk"), False),  # the whole value must match
        (when("message", "matches", "(?i)disk full on web-1"), True),
        (when("description", "is-empty"), True),
        (when("alias", "equals", "web-down"), True),
        (when("source", "starts-with", "prom"), True),
        (when("entity", "equals", "web-1"), True),
        (when("tags", "contains", "disk"), True),
        (when("tags", "contains", "dis"), False),
        (when("tags", "matches", "pr.d"), True),
        (when("tags", "is-empty"), False),
        (when("actions", "contains", "Restart"), True),
        (when("actions", "is-empty"), False),
        (when("details", "contains-key", "team"), True),
        (when("details", "contains-key", "eu-west"), False),
        (when("details", "contains-value", "STORAGE"), True),
        (when("details", "contains-value", "region"), False),
        (when("details", "contains", "west"), True),
        (when("details", "contains", "north"), False),
        (when("details", "is-empty"), False),
        (when("details", "starts-with", "eu-", key="region"), True),
        (when("extra-properties", "equals", "storage", key="Team"), True),
        (when("extra-properties", "equals", "storage", key="team"), False),  # keys are exact
        (when("extra-properties", "is-empty", key="missing"), True),
        (when("priority", "equals", "P2"), True),
        (when("priority", "greater-than", "P3"), True),
        (when("priority", "greater-than", "P2"), False),
        (when("priority", "less-than", "P1"), True),
        (when("priority", "less-than", "P2"), False),
    ],
)
def test_each_operation(condition: RoutingCondition, expected: bool) -> None:
    """Every field and operation, as the module documents them; `not` inverts each."""
    assert expected is condition_holds(condition, WEB)
    negated = msgspec.structs.replace(condition, negate=True)
    assert (not expected) is condition_holds(negated, WEB)


def test_empty_values_and_odd_priorities() -> None:
    """Empty lists and details are empty; odd priorities rank as P3; bad patterns never match."""
    bare = alert(tags=(), actions=(), details={}, priority="urgent", message="  ")
    assert condition_holds(when("tags", "is-empty"), bare)
    assert condition_holds(when("actions", "is-empty"), bare)
    assert condition_holds(when("details", "is-empty"), bare)
    assert condition_holds(when("message", "is-empty"), bare)
    assert condition_holds(when("priority", "equals", "P3"), bare)
    assert not condition_holds(when("message", "matches", "(bad"), WEB)


def test_a_pattern_cannot_stall_the_actor_by_backtracking() -> None:
    """Patterns run on RE2, in time linear in the text: ``(a+)+$`` against a long text
    that almost matches answers at once (Python's backtracking ``re`` would take
    about 2^n steps; the alarm turns such a hang into a failure)."""
    text = "a" * 5000 + "!"
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    try:
        assert not condition_holds(when("message", "matches", "(a+)+$"), alert(message=text))
        assert condition_holds(when("message", "matches", "(a+)+!"), alert(message=text))
        assert condition_holds(when("tags", "matches", "(x+x+)+y"), alert(tags=("x" * 40 + "y",)))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_stored_pattern_re2_cannot_run_never_holds_even_negated() -> None:
    """A rule saved before patterns ran on RE2 may hold a lookahead: it must neither match
    nor, negated, suddenly match every alert; the rule's other conditions still count."""
    lookahead = RoutingCondition(
        field="message", operation="matches", expected_value="(?!test).*", negate=True
    )
    assert not condition_holds(lookahead, WEB)
    assert not condition_holds(msgspec.structs.replace(lookahead, negate=False), WEB)
    other = when("message", "contains", "disk")
    assert criteria_match(conditions(lookahead, other), WEB) is False  # all conditions
    anyone = RoutingCriteria(type="match-any-condition", conditions=(lookahead, other))
    assert criteria_match(anyone, WEB)


def _hung(signum: int, frame: object) -> None:
    raise TimeoutError("the pattern is still matching after 5 s")


def test_match_types() -> None:
    """match-all matches anything; all-conditions needs every one, any-condition one."""
    yes, no = when("entity", "equals", "web-1"), when("entity", "equals", "db")
    assert criteria_match(RoutingCriteria(), WEB)
    assert criteria_match(conditions(yes, yes), WEB)
    assert not criteria_match(conditions(yes, no), WEB)
    assert criteria_match(RoutingCriteria(type="match-any-condition", conditions=(no, yes)), WEB)
    assert not criteria_match(RoutingCriteria(type="match-any-condition", conditions=(no, no)), WEB)


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    """Monday 2030-01-07 + ``day - 1`` days, at hour:minute UTC."""
    return datetime(2030, 1, 6 + day, hour, minute, tzinfo=UTC)


NIGHT = Restriction(
    type="time-of-day", windows=(TimeWindow(start_minute=22 * 60, end_minute=6 * 60),)
)
OFFICE = Restriction(
    type="time-of-day", windows=(TimeWindow(start_minute=9 * 60, end_minute=17 * 60),)
)
WEEKEND = Restriction(
    type="weekday-and-time-of-day",
    windows=(TimeWindow(start_day=6, start_minute=0, end_day=1, end_minute=8 * 60),),
)


def test_time_of_day_windows_cross_midnight() -> None:
    """22:00-06:00 covers 23:00 and 05:59, not 06:00 or 21:59; 09-17 is a plain window."""
    assert [
        restriction_covers(NIGHT, "UTC", t) for t in (at(23), at(5, 59), at(6), at(21, 59), at(22))
    ] == [True, True, False, False, True]
    assert [restriction_covers(OFFICE, "UTC", t) for t in (at(9), at(17))] == [True, False]
    assert restriction_covers(None, "UTC", at(3))


def test_equal_start_and_end_cover_the_whole_day() -> None:
    """A window from 00:00 to 00:00 (Opsgenie's 24:00) covers every minute."""
    all_day = Restriction(type="time-of-day", windows=(TimeWindow(),))
    assert all(restriction_covers(all_day, "UTC", at(h)) for h in range(24))


def test_an_end_at_24_00_is_the_end_of_the_day() -> None:
    """18:00-24:00 covers 23:59 but not 00:00 or 17:59; Sunday 20:00-24:00 likewise."""
    evening = Restriction(
        type="time-of-day", windows=(TimeWindow(start_minute=18 * 60, end_minute=1440),)
    )
    assert RULES.given().when(create(time_restriction=evening)).events  # accepted
    assert [restriction_covers(evening, "UTC", t) for t in (at(23, 59), at(0), at(17, 59))] == [
        True,
        False,
        False,
    ]
    sunday = Restriction(
        type="weekday-and-time-of-day",
        windows=(TimeWindow(start_day=7, start_minute=20 * 60, end_day=7, end_minute=1440),),
    )
    assert [restriction_covers(sunday, "UTC", t) for t in (at(23, 59, day=7), at(0, day=1))] == [
        True,
        False,
    ]


def test_weekday_windows_cross_the_weeks_end() -> None:
    """Saturday 00:00 - Monday 08:00 covers Sunday and early Monday, not Monday 08:00 or Friday."""
    assert [
        restriction_covers(WEEKEND, "UTC", t)
        for t in (at(0, day=6), at(12, day=7), at(7, 59, day=1), at(8, day=1), at(23, day=5))
    ] == [True, True, True, False, False]


def test_restrictions_are_read_in_the_rules_time_zone() -> None:
    """09-17 in New York is 14-22 UTC in winter; an unknown zone reads as UTC."""
    assert restriction_covers(OFFICE, "America/New_York", at(15))
    assert not restriction_covers(OFFICE, "America/New_York", at(10))
    assert restriction_covers(OFFICE, "Nowhere/Gone", at(10))


def test_route_takes_the_first_matching_rule_in_order() -> None:
    """Rules are tried in order; time restriction and criteria must both hold; else the default."""
    state = RULES.fold(
        [
            created("night", 0, time_restriction=NIGHT, target=NOBODY),
            created("p1", 1, criteria=P1_ONLY, target=RoutingTarget(type="schedule", id="s1")),
            created("all", 2),
            created("other", 0, team_id="t2"),
        ]
    )
    assert RouteDecision("night", "night", "none", None) == route(state, "t1", WEB, at(23))
    p1 = alert(priority="P1")
    assert RouteDecision("p1", "p1", "schedule", "s1") == route(state, "t1", p1, at(12))
    assert RouteDecision("all", "all", "escalation", "db") == route(state, "t1", WEB, at(12))
    assert route(state, "t3", WEB, at(12)) == DEFAULT_ROUTE
    assert RouteDecision(None, "default", "default", None) == DEFAULT_ROUTE


def test_a_team_with_a_default_rule_follows_it_when_nothing_else_matches() -> None:
    """The default rule (last, match-all) catches every alert the other rules leave."""
    state = RULES.fold(
        [
            created("d", 0, is_default=True, name="Default Routing Rule", target=NOBODY),
            created("p1", 0, criteria=P1_ONLY, target=RoutingTarget(type="schedule", id="s1")),
        ]
    )
    assert RouteDecision("p1", "p1", "schedule", "s1") == route(
        state, "t1", alert(priority="P1"), at(3)
    )
    assert RouteDecision("d", "Default Routing Rule", "none", None) == route(
        state, "t1", WEB, at(3)
    )


# -- the organization ---------------------------------------------------------------------


def org() -> OrgState:
    """An organization with team Ops (t1), policy DB (db) and schedule Primary (s1)."""
    state = org_initial_state()
    policy = escalations.EscalationPolicy(
        id="db",
        name="DB",
        description="",
        owner_team_id=None,
        rules=(),
        repeat=escalations.Repeat(),
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    fold(state, [teams.TeamCreated(team_id="t1", name="Ops", description="", at=NOW)])
    fold(state, [escalations.EscalationPolicyCreated(policy=policy, at=NOW)])
    schedule = schedules.CreateSchedule(schedule_id="s1", name="Primary", timezone="UTC")
    return fold(state, org_decide(state, schedule, NOW))


def run(state: OrgState, command: Any) -> list[Any]:
    events = org_decide(state, command, NOW)
    fold(state, events)
    return events


def test_the_organization_resolves_targets_by_id_or_name() -> None:
    """A policy or schedule named by name (any case) is recorded by id; none needs nothing."""
    state = org()
    run(state, create("r1", target=RoutingTarget(type="escalation", id="db")))
    run(state, create("r2", target=RoutingTarget(type="escalation", id="DB")))
    run(state, create("r3", target=RoutingTarget(type="schedule", id="primary")))
    run(state, create("r4", target=RoutingTarget(type="schedule", id="s1")))
    run(state, create("r5", target=NOBODY))
    run(
        state,
        UpdateRoutingRule(
            team_id="t1", rule_id="r5", target=RoutingTarget(type="schedule", id="PRIMARY")
        ),
    )
    targets = [r.target for r in routing_rules_of(state.routing, "t1")]
    assert [DB, DB, *[RoutingTarget(type="schedule", id="s1")] * 3] == targets


def test_the_organization_refuses_unknown_teams_and_targets() -> None:
    """The team must exist (404); an unknown policy or schedule is invalid notify (422)."""
    state = org()
    with pytest.raises(NotFound) as missing:
        org_decide(state, CreateRoutingRule(team_id="t9", rule_id="r1", target=DB), NOW)
    assert missing.value.code == "team_not_found"
    for target in (
        RoutingTarget(type="escalation", id="nope"),
        RoutingTarget(type="schedule", id="nope"),
    ):
        with pytest.raises(Rejected) as raised:
            org_decide(state, create(target=target), NOW)
        assert (raised.value.code, raised.value.field) == ("invalid_field", "notify")


def test_deleting_a_team_policy_or_schedule_updates_the_rules() -> None:
    """A deleted team takes its rules along; a deleted target leaves its rules routing to nobody."""
    state = org()
    run(state, create("r1"))
    run(state, create("r2", target=RoutingTarget(type="schedule", id="s1")))
    run(state, escalations.DeleteEscalationPolicy(policy_id="db"))
    run(state, schedules.DeleteSchedule(schedule_id="s1"))
    assert [r.target for r in routing_rules_of(state.routing, "t1")] == [NOBODY, NOBODY]
    run(state, teams.DeleteTeam(team_id="t1"))
    assert (state.routing.rules, state.routing.by_team) == ({}, {})
    run(state, RemoveRoutingTeam(team_id="t1"))
