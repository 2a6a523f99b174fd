"""A new team's default resources (Opsgenie's ``<team>_schedule``, ``<team>_escalation``
and "Default Routing Rule"), made in the team's own batch by the org aggregate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from engine import (
    AddMember,
    CommandContext,
    CreateOrganization,
    CreateTeam,
    DefaultResources,
    DeleteTeam,
    Event,
    NewMember,
    TeamCreated,
    TeamMemberAdded,
    routing,
    schedules,
    teams,
)
from engine.errors import Conflict, Rejected
from engine.escalations import (
    CreateEscalationPolicy,
    DeleteEscalationPolicy,
    EscalationPolicyCreated,
    EscalationRule,
    Recipient,
)
from engine.org import Command, OrgState, decide, execute, fold, initial_state
from engine.routing import RoutingRuleCreated, UpdateRoutingRule
from engine.schedules import CreateSchedule, DeleteSchedule, ScheduleCreated
from engine.teams import default_name
from tests.helpers.decider import NOW

CTX = CommandContext(principal_kind="user", principal_id="ann")
SPEC = DefaultResources(schedule_id="s1", rotation_id="rot1", policy_id="p1", rule_id="r1")
SETUP: list[Command] = [
    CreateOrganization(
        org_id="o1", name="acme", owner_account_id="ann", owner_email="ann@example.com"
    ),
    AddMember(account_id="bob", email="bob@example.com", role="member", actor_role="owner"),
]


def org(*commands: Command) -> tuple[OrgState, list[Event]]:
    """The state after executing SETUP and ``commands``, and the events ``commands`` wrote."""
    state, log = initial_state(), []
    for command in SETUP:
        execute(state, command, CTX, NOW)
    for command in commands:
        events, _ = execute(state, command, CTX, NOW)
        log += events
    return state, log


def ops(**fields: object) -> CreateTeam:
    base: dict[str, object] = {
        "team_id": "t1",
        "name": "ops",
        "members": (NewMember(account_id="bob"), NewMember(account_id="ann", role="admin")),
        "defaults": SPEC,
    }
    return CreateTeam(**{**base, **fields})  # type: ignore[arg-type]


def test_a_team_with_defaults_gets_them_in_its_own_batch() -> None:
    """Team, members, schedule, policy and default rule: one batch, in that order."""
    state, log = org(ops())
    kinds = [type(e).__name__ for e in log]
    assert kinds[:3] == ["TeamCreated", "TeamMemberAdded", "TeamMemberAdded"]
    assert kinds[3] == "ScheduleCreated"
    assert kinds[-2:] == ["EscalationPolicyCreated", "RoutingRuleCreated"]
    assert state.teams.teams["t1"].members == {"bob": "member", "ann": "admin"}

    schedule = state.schedules.schedules["s1"].schedule
    assert (schedule.name, schedule.owner_team, schedule.timezone) == ("ops_schedule", "t1", "UTC")
    [rotation] = schedule.rotations
    assert (rotation.id, rotation.type, rotation.length) == ("rot1", "weekly", 1)
    assert rotation.start == datetime(2030, 1, 1, tzinfo=UTC)
    assert [(p.type, p.id) for p in rotation.participants] == [("user", "bob"), ("user", "ann")]
    assert schedules.on_call_at(schedule, NOW).users == ("bob",)

    policy = state.escalations.policies["p1"]
    assert (policy.name, policy.owner_team_id, policy.repeat.count) == ("ops_escalation", "t1", 0)
    assert [
        (r.condition, r.delay_minutes, r.recipient.type, r.recipient.id, r.notify_type)
        for r in policy.rules
    ] == [
        ("if-not-acked", 0, "schedule", "s1", "default"),
        ("if-not-acked", 5, "schedule", "s1", "next"),
        ("if-not-acked", 10, "team", "t1", "default"),
    ]

    [rule] = routing.routing_rules_of(state.routing, "t1")
    assert (rule.id, rule.name, rule.is_default) == ("r1", "Default Routing Rule", True)
    assert (rule.criteria, rule.time_restriction) == (routing.RoutingCriteria(), None)
    assert rule.target == routing.RoutingTarget(type="escalation", id="p1")
    assert routing.default_rule_of(state.routing, "t1") == rule


def test_without_defaults_a_team_gets_only_its_members() -> None:
    """``defaults`` None (the native API's default): no schedule, policy or rule."""
    state, log = org(ops(defaults=None))
    assert [type(e) for e in log] == [TeamCreated, TeamMemberAdded, TeamMemberAdded]
    assert (state.schedules.schedules, state.escalations.policies, state.routing.rules) == (
        {},
        {},
        {},
    )


def test_a_team_without_members_is_itself_on_call() -> None:
    """No initial members: the rotation's one participant is the team, so later members
    are on call; the rotation starts at local midnight of the creation day."""
    spec = msgspec.structs.replace(SPEC, timezone="Asia/Tokyo")
    state, _ = org(ops(members=(), defaults=spec))
    schedule = state.schedules.schedules["s1"].schedule
    [rotation] = schedule.rotations
    assert rotation.participants == (schedules.Participant(type="team", id="t1"),)
    assert rotation.start.isoformat() == "2030-01-01T00:00:00+09:00"  # NOW is 21:00 in Tokyo
    assert schedule.timezone == "Asia/Tokyo"
    assert state.routing.rules["r1"].timezone == "Asia/Tokyo"
    assert schedules.on_call_at(schedule, NOW).users == ("team:t1",)


def test_names_in_use_get_a_numbered_suffix() -> None:
    """A schedule or policy already called ``<team>_schedule`` / ``<team>_escalation``
    (in any case) does not stop the team: the next free ``_2``, ``_3`` is used."""
    taken = [
        CreateSchedule(schedule_id="x1", name="OPS_schedule", timezone="UTC"),
        CreateSchedule(schedule_id="x2", name="ops_schedule_2", timezone="UTC"),
        CreateEscalationPolicy(
            policy_id="y1",
            name="ops_escalation",
            rules=(
                EscalationRule(
                    condition="if-not-acked",
                    delay_minutes=0,
                    recipient=Recipient(type="user", id="ann"),
                ),
            ),
        ),
    ]
    state, _ = org(*taken, ops())
    assert state.schedules.schedules["s1"].schedule.name == "ops_schedule_3"
    assert state.escalations.policies["p1"].name == "ops_escalation_2"


def test_long_team_names_are_cut_so_the_names_fit() -> None:
    """Names stay within 100 characters, suffix included."""
    name = "a" * 100
    assert default_name(name, "_schedule", lambda _: False) == "a" * 91 + "_schedule"
    taken = {"a" * 91 + "_schedule"}
    assert default_name(name, "_schedule", taken.__contains__) == "a" * 89 + "_schedule_2"
    spaced = "a" * 90 + " " + "b" * 9
    assert default_name(spaced, "_escalation", lambda _: False) == "a" * 89 + "_escalation"
    state, _ = org(ops(name="t" * 100, members=()))
    assert len(state.schedules.schedules["s1"].schedule.name) == 100
    assert len(state.escalations.policies["p1"].name) == 100


@pytest.mark.parametrize(
    ("command", "code", "field"),
    [
        (ops(members=(NewMember(account_id="zed"),)), "not_a_member", "members"),
        (ops(members=(NewMember(account_id=" "),)), "invalid_field", "members"),
        (ops(members=(NewMember(account_id="bob", role="boss"),)), "invalid_field", "members"),
        (
            ops(defaults=msgspec.structs.replace(SPEC, timezone="Mars/Base")),
            "invalid_field",
            "timezone",
        ),
    ],
)
def test_bad_members_or_defaults_refuse_the_whole_team(
    command: CreateTeam, code: str, field: str
) -> None:
    """Nothing is written: not the team, not its members, not its resources."""
    state, _ = org()
    with pytest.raises(Rejected) as raised:
        decide(state, command, NOW)
    assert (raised.value.code, raised.value.field) == (code, field)


def test_a_member_listed_twice_is_a_conflict() -> None:
    state, _ = org()
    twice = ops(members=(NewMember(account_id="bob"), NewMember(account_id="bob")))
    with pytest.raises(Conflict) as raised:
        decide(state, twice, NOW)
    assert raised.value.code == "team_member_exists"


def test_a_used_resource_id_refuses_the_team() -> None:
    """Ids are the caller's (new ids); a reused one refuses the whole command."""
    state, _ = org(CreateSchedule(schedule_id="s1", name="other", timezone="UTC"))
    with pytest.raises(Conflict):
        decide(state, ops(), NOW)
    assert "t1" not in state.teams.teams


def test_deleting_the_team_keeps_its_schedule_and_policy_without_an_owner() -> None:
    """The team's rules (its default rule too) go; its schedule and policy stay, ownerless,
    without the team's rotation slot or the rule paging the team."""
    state, _ = org(ops(members=()), DeleteTeam(team_id="t1"))
    assert routing.routing_rules_of(state.routing, "t1") == ()
    schedule = state.schedules.schedules["s1"].schedule
    assert schedule.owner_team is None
    assert [p.type for p in schedule.rotations[0].participants] == ["none"]
    policy = state.escalations.policies["p1"]
    assert policy.owner_team_id is None
    assert [r.recipient.type for r in policy.rules] == ["schedule", "schedule"]
    # A new team of the same name gets fresh resources next to the old ones.
    again = ops(
        team_id="t2",
        members=(),
        defaults=DefaultResources(
            schedule_id="s2", rotation_id="rot2", policy_id="p2", rule_id="r2"
        ),
    )
    state, _ = org(ops(members=()), DeleteTeam(team_id="t1"), again)
    assert state.schedules.schedules["s2"].schedule.name == "ops_schedule_2"
    assert state.escalations.policies["p2"].name == "ops_escalation_2"


def test_the_terraform_cleanup_leaves_a_default_rule_to_nobody() -> None:
    """Rule to none, delete policy, delete schedule (the provider's order): the rule
    stays and routes to nobody; alerts then follow it (Opsgenie's semantics)."""
    cleanup: list[Command] = [
        UpdateRoutingRule(team_id="t1", rule_id="r1", target=routing.RoutingTarget(type="none")),
        DeleteEscalationPolicy(policy_id="p1"),
        DeleteSchedule(schedule_id="s1"),
    ]
    state, _ = org(ops(), *cleanup)
    [rule] = routing.routing_rules_of(state.routing, "t1")
    assert (rule.is_default, rule.target.type) == (True, "none")
    assert (state.schedules.schedules, state.escalations.policies) == ({}, {})


def test_deleting_the_default_policy_reroutes_the_default_rule_to_nobody() -> None:
    """As for any rule whose target is deleted."""
    state, _ = org(ops(), DeleteEscalationPolicy(policy_id="p1"))
    assert state.routing.rules["r1"].target == routing.RoutingTarget(type="none")


def test_the_batch_replays_to_the_same_state() -> None:
    """Folding the team's events (encoded) rebuilds the live state."""
    state, _ = org()
    events, _ = execute(state, ops(), CTX, NOW + timedelta(minutes=1))
    replayed, _ = org()
    fold(replayed, events)
    assert msgspec.json.encode(replayed) == msgspec.json.encode(state)
    created = [e for e in events if isinstance(e, ScheduleCreated | EscalationPolicyCreated)]
    assert len(created) == 2
    assert any(isinstance(e, RoutingRuleCreated) and e.rule.is_default for e in events)


def test_the_teams_area_alone_ignores_defaults() -> None:
    """``engine.teams.decide`` makes the team and its members; the rest is the org's."""
    events = teams.decide(teams.initial_state(), ops(), NOW)
    assert [type(e) for e in events] == [TeamCreated, TeamMemberAdded, TeamMemberAdded]
