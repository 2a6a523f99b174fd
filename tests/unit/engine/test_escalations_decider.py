"""The escalations area: policies, their validation, versions, history and recipients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from engine import (
    AddMember,
    CommandContext,
    CreateOrganization,
    CreateSchedule,
    CreateTeam,
    DeleteSchedule,
    DeleteTeam,
    RemoveMember,
    escalations,
)
from engine.errors import Conflict, NotFound, Rejected
from engine.escalations import (
    CreateEscalationPolicy,
    DeleteEscalationPolicy,
    EscalationCommand,
    EscalationEvent,
    EscalationPolicy,
    EscalationPolicyCreated,
    EscalationPolicyDeleted,
    EscalationPolicyUpdated,
    EscalationRule,
    EscalationsState,
    Recipient,
    RemoveRecipient,
    Repeat,
    UpdateEscalationPolicy,
    cycle_minutes,
    default_policy_of_team,
    find_policy,
    policy_by_name,
    policy_version,
    resolve_references,
)
from engine.org import (
    Command,
    Event,
    OrgState,
    decode_payloads,
    encode_event,
    encode_state,
    execute,
)
from engine.org import fold as org_fold
from engine.org import initial_state as org_initial_state
from tests.helpers.decider import NOW, Decider

POLICIES = Decider(escalations.initial_state, escalations.decide, escalations.evolve)
T1 = NOW + timedelta(minutes=1)
T2 = NOW + timedelta(minutes=2)


def rule(
    kind: str = "user",
    ref: str = "ann",
    delay: int = 0,
    condition: str = "if-not-acked",
    notify: str = "default",
) -> EscalationRule:
    return EscalationRule(
        condition=condition,
        delay_minutes=delay,
        recipient=Recipient(type=kind, id=ref),
        notify_type=notify,
    )


ANN = rule("user", "ann", 0)
OPS = rule("team", "t1", 5, "if-not-closed")
PRIMARY = rule("schedule", "s1", 10, notify="next")


def create(policy_id: str = "p1", name: str = "DB", **fields: Any) -> CreateEscalationPolicy:
    fields.setdefault("rules", (ANN,))
    return CreateEscalationPolicy(policy_id=policy_id, name=name, **fields)


def policy(policy_id: str = "p1", name: str = "DB", **fields: Any) -> EscalationPolicy:
    values: dict[str, Any] = {
        "description": "",
        "owner_team_id": None,
        "rules": (ANN,),
        "repeat": Repeat(),
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return EscalationPolicy(id=policy_id, name=name, **(values | fields))


def created(policy_id: str = "p1", name: str = "DB", **fields: Any) -> EscalationPolicyCreated:
    return EscalationPolicyCreated(policy=policy(policy_id, name, **fields), at=NOW)


DB = created()


def versions(events: Sequence[object]) -> list[EscalationPolicy]:
    """The policy versions ``events`` record (other events are skipped)."""
    return [
        event.policy
        for event in events
        if isinstance(event, EscalationPolicyCreated | EscalationPolicyUpdated)
    ]


def state_of(events: list[EscalationEvent]) -> EscalationsState:
    return POLICIES.fold(events)


def rejected_field(history: list[EscalationEvent], command: EscalationCommand) -> str | None:
    result = POLICIES.given(history).when(command).then_rejected("invalid_field")
    return result.field


def conflict(history: list[EscalationEvent], command: EscalationCommand) -> str:
    with pytest.raises(Conflict) as raised:
        POLICIES.given(history).when(command)
    return raised.value.code


# -- create --------------------------------------------------------------------------------


def test_create_policy() -> None:
    """A policy gets its stripped name, its rules sorted by delay (stable), version 1."""
    command = create(
        name="  DB on call ",
        description="pages the DBAs",
        owner_team=" t1 ",
        rules=(PRIMARY, rule("user", " bob ", 5), ANN, OPS),
        repeat=Repeat(wait_interval_minutes=30, count=2, close_alert_after_all=True),
    )
    expected = policy(
        name="DB on call",
        description="pages the DBAs",
        owner_team_id="t1",
        rules=(ANN, rule("user", "bob", 5), OPS, PRIMARY),
        repeat=Repeat(wait_interval_minutes=30, count=2, close_alert_after_all=True),
    )
    state = POLICIES.given().when(command).then([EscalationPolicyCreated(policy=expected, at=NOW)])
    assert {"p1": expected} == state.policies
    assert {"p1@1": expected} == state.history
    assert policy_version(state, "p1", 1) == expected


def test_a_blank_owner_team_is_none() -> None:
    """An owner team of only spaces means no owner team."""
    POLICIES.given().when(create(owner_team="  ")).then([DB])


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (create(policy_id=" "), "id"),
        (create(name=" "), "name"),
        (create(name="x" * 101), "name"),
        (create(name="a/b"), "name"),
        (create(description="d" * 10001), "description"),
        (create(rules=()), "rules"),
        (create(rules=(ANN,) * 51), "rules"),
        (create(rules=(ANN, rule(condition="if-not-seen"))), "rules[1].condition"),
        (create(rules=(rule(delay=-1),)), "rules[0].delayMinutes"),
        (create(rules=(rule(delay=10081),)), "rules[0].delayMinutes"),
        (create(rules=(rule("escalation", "e1"),)), "rules[0].recipient"),
        (create(rules=(ANN, rule("user", " "))), "rules[1].recipient"),
        (create(rules=(rule("team", "t" * 256),)), "rules[0].recipient"),
        (create(rules=(rule("schedule", "s1", notify="users"),)), "rules[0].notifyType"),
        (create(rules=(rule("user", "ann", notify="next"),)), "rules[0].notifyType"),
        (create(rules=(rule("team", "t1", notify="all"),)), "rules[0].notifyType"),
        (create(repeat=Repeat(count=21, wait_interval_minutes=1)), "repeat.count"),
        (create(repeat=Repeat(count=-1)), "repeat.count"),
        (create(repeat=Repeat(wait_interval_minutes=-1)), "repeat.waitIntervalMinutes"),
        (create(repeat=Repeat(wait_interval_minutes=10081)), "repeat.waitIntervalMinutes"),
        (create(repeat=Repeat(count=1)), "repeat.waitIntervalMinutes"),
    ],
)
def test_create_checks_every_field(command: CreateEscalationPolicy, field: str) -> None:
    """Each invalid field is refused as invalid_field naming it (rules by their given index)."""
    assert field == rejected_field([], command)


@pytest.mark.parametrize(
    "command",
    [
        create(name="x" * 100),
        create(rules=(ANN,) * 50),
        create(rules=(rule(delay=10080),)),
        create(repeat=Repeat(count=20, wait_interval_minutes=10080)),
        create(repeat=Repeat(count=3, wait_interval_minutes=1)),
        create(rules=(rule(delay=1),), repeat=Repeat(count=3)),
        create(rules=tuple(rule("schedule", "s1", notify=n) for n in ("next", "previous", "all"))),
        create(rules=(rule(condition="if-not-closed"),)),
    ],
)
def test_limits_are_inclusive(command: CreateEscalationPolicy) -> None:
    """The largest allowed values, every schedule notify type and a repeat with a cycle pass."""
    assert len(POLICIES.given().when(command).events) == 1


def test_policy_names_and_ids_are_unique() -> None:
    """Another policy with the same name (ignoring case), or a used id, is refused."""
    assert conflict([DB], create(policy_id="p2", name=" db ")) == "escalation_policy_exists"
    assert conflict([DB], create(name="Other")) == "escalation_policy_exists"


def test_the_id_of_a_deleted_policy_is_not_reused() -> None:
    """Its versions stay in the history, so its id stays taken; its name is free again."""
    gone = EscalationPolicyDeleted(policy_id="p1", at=NOW)
    assert conflict([DB, gone], create(name="Other")) == "escalation_policy_exists"
    POLICIES.given([DB, gone]).when(create(policy_id="p2")).then([created("p2")])


# -- update --------------------------------------------------------------------------------


def test_update_makes_a_new_version_and_keeps_the_old_one() -> None:
    """Each change records the complete new version; earlier versions stay readable."""
    command = UpdateEscalationPolicy(
        policy_id="p1",
        name="DBA",
        description="new",
        owner_team="t2",
        rules=(OPS, ANN),
        repeat=Repeat(wait_interval_minutes=10, count=1, reset_recipient_states=True),
    )
    v2 = policy(
        name="DBA",
        description="new",
        owner_team_id="t2",
        rules=(ANN, OPS),
        repeat=Repeat(wait_interval_minutes=10, count=1, reset_recipient_states=True),
        version=2,
        updated_at=T1,
    )
    state = (
        POLICIES.given([DB]).when(command, now=T1).then([EscalationPolicyUpdated(policy=v2, at=T1)])
    )
    assert v2 == state.policies["p1"]
    assert policy() == policy_version(state, "p1", 1)
    assert v2 == policy_version(state, "p1", 2)
    assert policy_version(state, "p1", 3) is None


def test_update_leaves_absent_fields_as_they_are() -> None:
    """Only the given fields change; owner team "" removes the owner team."""
    owned = created(owner_team_id="t1", description="d", rules=(ANN, OPS))
    renamed = POLICIES.given([owned]).when(UpdateEscalationPolicy(policy_id="p1", name="DB2"))
    assert versions(renamed.events) == [
        policy(name="DB2", owner_team_id="t1", description="d", rules=(ANN, OPS), version=2)
    ]
    unowned = POLICIES.given([owned]).when(UpdateEscalationPolicy(policy_id="p1", owner_team=""))
    assert [p.owner_team_id for p in versions(unowned.events)] == [None]


@pytest.mark.parametrize(
    "command",
    [
        UpdateEscalationPolicy(policy_id="p1"),
        UpdateEscalationPolicy(policy_id="p1", name=" DB ", description="", rules=(ANN,)),
        UpdateEscalationPolicy(policy_id="p1", repeat=Repeat(), owner_team=" "),
    ],
)
def test_an_update_changing_nothing_emits_nothing(command: UpdateEscalationPolicy) -> None:
    """No new version when the result equals the current version."""
    POLICIES.given([DB]).when(command).then([])


def test_a_policy_may_change_the_case_of_its_own_name() -> None:
    events = POLICIES.given([DB]).when(UpdateEscalationPolicy(policy_id="p1", name="db")).events
    assert [p.name for p in versions(events)] == ["db"]


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (UpdateEscalationPolicy(policy_id="p1", name=""), "name"),
        (UpdateEscalationPolicy(policy_id="p1", description="d" * 10001), "description"),
        (UpdateEscalationPolicy(policy_id="p1", rules=()), "rules"),
        (UpdateEscalationPolicy(policy_id="p1", rules=(rule(delay=-5),)), "rules[0].delayMinutes"),
        (
            UpdateEscalationPolicy(policy_id="p1", repeat=Repeat(count=2)),
            "repeat.waitIntervalMinutes",
        ),
        (UpdateEscalationPolicy(policy_id="p2", rules=(ANN,)), "repeat.waitIntervalMinutes"),
    ],
)
def test_update_checks_the_fields_it_changes(command: UpdateEscalationPolicy, field: str) -> None:
    """The same rules as create; a repeat is checked against the rules it will run over."""
    repeating = created("p2", "Web", rules=(rule(delay=5),), repeat=Repeat(count=2))
    assert field == rejected_field([DB, repeating], command)


def test_update_to_another_policys_name_is_refused() -> None:
    other = created("p2", "Web")
    command = UpdateEscalationPolicy(policy_id="p2", name="DB")
    assert conflict([DB, other], command) == "escalation_policy_exists"


@pytest.mark.parametrize(
    "command",
    [
        UpdateEscalationPolicy(policy_id="nope", name="x"),
        DeleteEscalationPolicy(policy_id="nope"),
        UpdateEscalationPolicy(policy_id="p1", name="x"),
        DeleteEscalationPolicy(policy_id="p1"),
    ],
)
def test_unknown_or_deleted_policies_are_not_found(command: EscalationCommand) -> None:
    gone = EscalationPolicyDeleted(policy_id="p1", at=NOW)
    POLICIES.given([DB, gone]).when(command).then_rejected("escalation_policy_not_found")


# -- delete --------------------------------------------------------------------------------


def test_delete_keeps_the_history() -> None:
    """A deleted policy is no longer current, but every version of it stays readable."""
    v2 = EscalationPolicyUpdated(policy=policy(name="DB2", version=2, updated_at=T1), at=T1)
    state = (
        POLICIES.given([DB, v2])
        .when(DeleteEscalationPolicy(policy_id="p1"), now=T2)
        .then([EscalationPolicyDeleted(policy_id="p1", at=T2)])
    )
    assert state.policies == {}
    assert list(state.history) == ["p1@1", "p1@2"]
    assert policy_version(state, "p1", 2) == v2.policy
    assert policy_by_name(state, "DB2") is None
    with pytest.raises(NotFound):
        find_policy(state, "p1")


def test_evolve_is_total() -> None:
    """Deleting an unknown policy, or updating one never created, does not raise."""
    state = state_of([EscalationPolicyDeleted(policy_id="x", at=NOW)])
    assert state.policies == {}
    stray = EscalationPolicyUpdated(policy=policy("x", version=4), at=NOW)
    assert list(state_of([stray]).history) == ["x@4"]


# -- removing recipients -------------------------------------------------------------------


def test_a_departed_recipient_leaves_every_policy() -> None:
    """Each policy paging them gets a new version without their rules; others are untouched."""
    bob = rule("user", "bob", 3)
    history: list[EscalationEvent] = [
        created("p1", "DB", rules=(ANN, bob, OPS)),
        created("p2", "Web", rules=(OPS,)),
        created("p3", "Edge", rules=(bob, bob)),
    ]
    events = (
        POLICIES.given(history)
        .when(RemoveRecipient(recipient_type="user", id="bob"), now=T1)
        .events
    )
    assert [
        EscalationPolicyUpdated(
            policy=policy("p1", "DB", rules=(ANN, OPS), version=2, updated_at=T1), at=T1
        ),
        EscalationPolicyUpdated(
            policy=policy("p3", "Edge", rules=(), version=2, updated_at=T1), at=T1
        ),
    ] == events


def test_a_deleted_team_leaves_rules_and_ownership() -> None:
    """A team's rules are dropped and the policies it owned lose their owner team."""
    history: list[EscalationEvent] = [
        created("p1", "DB", rules=(ANN, OPS)),
        created("p2", "Web", owner_team_id="t1"),
        created("p3", "Edge", owner_team_id="t2", rules=(OPS,)),
    ]
    events = POLICIES.given(history).when(RemoveRecipient(recipient_type="team", id="t1")).events
    assert [
        policy("p1", "DB", rules=(ANN,), version=2),
        policy("p2", "Web", owner_team_id=None, version=2),
        policy("p3", "Edge", owner_team_id="t2", rules=(), version=2),
    ] == versions(events)


def test_an_owner_team_is_not_a_user() -> None:
    """Removing a user whose id equals an owner team's id leaves the ownership alone."""
    owned = created(owner_team_id="t1")
    POLICIES.given([owned]).when(RemoveRecipient(recipient_type="user", id="t1")).then([])


def test_a_repeat_left_without_a_cycle_is_switched_off() -> None:
    """Removing the only delayed rule of a repeating policy stops the repeat (no tight loop)."""
    history: list[EscalationEvent] = [
        created(
            "p1", "DB", rules=(ANN, PRIMARY), repeat=Repeat(count=3, close_alert_after_all=True)
        ),
        created("p2", "Web", rules=(ANN, PRIMARY), repeat=Repeat(count=3, wait_interval_minutes=5)),
    ]
    events = (
        POLICIES.given(history).when(RemoveRecipient(recipient_type="schedule", id="s1")).events
    )
    assert [
        Repeat(count=0, close_alert_after_all=True),
        Repeat(count=3, wait_interval_minutes=5),
    ] == [p.repeat for p in versions(events)]


# -- queries -------------------------------------------------------------------------------


def test_find_policy_by_id_or_name() -> None:
    state = state_of([DB])
    assert find_policy(state, "p1") is find_policy(state, " db ", by_name=True)
    assert policy_by_name(state, "DB") is state.policies["p1"]
    for identifier, by_name in (("DB", False), ("p1", True)):
        with pytest.raises(NotFound) as raised:
            find_policy(state, identifier, by_name=by_name)
        assert raised.value.code == "escalation_policy_not_found"


def test_the_default_policy_of_a_team() -> None:
    """The team's own <team>_escalation, else its oldest policy, else none."""
    oldest = created("p1", "First", owner_team_id="t1")
    newer = EscalationPolicyCreated(
        policy=policy("p2", "Second", owner_team_id="t1", created_at=T1), at=T1
    )
    named = EscalationPolicyCreated(
        policy=policy("p3", "OPS_Escalation", owner_team_id="t1", created_at=T2), at=T2
    )
    foreign = created("p4", "ops_escalation2", owner_team_id="t2")
    state = state_of([newer, oldest, foreign])
    assert default_policy_of_team(state, "t1", "Ops") == oldest.policy
    state = state_of([oldest, newer, named, foreign])
    assert default_policy_of_team(state, "t1", "Ops") == named.policy
    assert default_policy_of_team(state, "t3", "Web") is None


def test_another_teams_named_policy_is_not_the_default() -> None:
    """A policy named like the team's default but owned by someone else does not count."""
    state = state_of([created("p1", "Ops_escalation", owner_team_id="t2")])
    assert default_policy_of_team(state, "t1", "Ops") is None


def test_cycle_minutes() -> None:
    assert cycle_minutes((ANN, OPS), Repeat(wait_interval_minutes=10)) == 15
    assert cycle_minutes((), Repeat()) == 0


# -- references ----------------------------------------------------------------------------

USERS = {"ann": "ann", "ann@example.com": "ann"}
SCHEDULES = {"s1": "s1", "Primary": "s1"}
TEAMS = {"t1": "t1", "Ops": "t1"}


def resolve(command: EscalationCommand) -> EscalationCommand:
    return resolve_references(command, USERS.get, SCHEDULES.get, TEAMS.get)


def test_references_are_resolved_to_ids() -> None:
    """Users by email, schedules and teams by name, the owner team too; ids stay ids."""
    command = create(
        owner_team=" Ops ",
        rules=(
            rule("user", " ann@example.com "),
            rule("schedule", "Primary"),
            rule("team", "Ops"),
            rule("user", "ann"),
        ),
    )
    resolved = resolve(command)
    assert isinstance(resolved, CreateEscalationPolicy)
    assert resolved.owner_team == "t1"
    assert [(r.recipient.type, r.recipient.id) for r in resolved.rules] == [
        ("user", "ann"),
        ("schedule", "s1"),
        ("team", "t1"),
        ("user", "ann"),
    ]


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (create(rules=(ANN, rule("user", "zed@example.com"))), "rules[1].recipient"),
        (create(rules=(rule("schedule", "Nope"),)), "rules[0].recipient"),
        (create(rules=(rule("team", "s1"),)), "rules[0].recipient"),
        (create(owner_team="Dev"), "ownerTeam"),
        (UpdateEscalationPolicy(policy_id="p1", owner_team="Dev"), "ownerTeam"),
        (UpdateEscalationPolicy(policy_id="p1", rules=(rule("user", "t1"),)), "rules[0].recipient"),
    ],
)
def test_unknown_references_are_refused(command: EscalationCommand, field: str) -> None:
    """An unknown user, schedule or team is invalid_field naming where it was given."""
    with pytest.raises(Rejected) as raised:
        resolve(command)
    assert ("invalid_field", field) == (raised.value.code, raised.value.field)


@pytest.mark.parametrize(
    "command",
    [
        create(rules=(rule("user", " "), rule("escalation", "e1"))),
        create(owner_team=""),
        UpdateEscalationPolicy(policy_id="p1"),
        UpdateEscalationPolicy(policy_id="p1", owner_team=""),
        DeleteEscalationPolicy(policy_id="p1"),
        RemoveRecipient(recipient_type="user", id="zed"),
    ],
)
def test_what_names_nobody_is_left_as_it_is(command: EscalationCommand) -> None:
    """Blank references and unknown types are left to decide to refuse; others pass through."""
    assert command == resolve(command)


def test_commands_and_events_round_trip_through_json() -> None:
    """The system command's tag differs from the schedules area's RemoveRecipient."""
    remove = RemoveRecipient(recipient_type="team", id="t1")
    assert b'"type":"RemoveEscalationRecipient"' in msgspec.json.encode(remove)
    for value in (
        DB,
        remove,
        create(rules=(OPS, PRIMARY), repeat=Repeat(count=1, wait_interval_minutes=1)),
    ):
        assert value == msgspec.json.decode(msgspec.json.encode(value), type=type(value))


# -- through the organization (cross-area rules of engine.org.decider) ---------------------

CTX = CommandContext(principal_kind="user", principal_id="ann")
ORG_SETUP: list[Command] = [
    CreateOrganization(
        org_id="o1", name="acme", owner_account_id="ann", owner_email="ann@example.com"
    ),
    AddMember(account_id="bob", email="bob@example.com", role="member", actor_role="owner"),
    CreateTeam(team_id="t1", name="Ops"),
    CreateSchedule(schedule_id="s1", name="Primary", timezone="UTC"),
]
BY_REFERENCE = create(
    owner_team="ops",
    rules=(
        rule("user", "BOB@example.com", 1),
        rule("schedule", "primary", 2, notify="all"),
        rule("team", "Ops", 3),
        rule("user", "ann", 4),
    ),
)


def org(commands: list[Command]) -> tuple[OrgState, list[Event]]:
    """The state after executing ``ORG_SETUP`` then ``commands``, and the log they wrote."""
    state, log = org_initial_state(), []
    for command in [*ORG_SETUP, *commands]:
        events, _ = execute(state, command, CTX, NOW)
        log += events
    return state, log


def test_the_organization_resolves_references_to_ids() -> None:
    """Users by email, schedules and teams by name (ignoring case) become ids in the event."""
    state, _ = org([])
    events, outcome = execute(state, BY_REFERENCE, CTX, NOW)
    assert outcome.subject_id == "p1"
    assert versions(events) == [
        policy(
            owner_team_id="t1",
            rules=(
                rule("user", "bob", 1),
                rule("schedule", "s1", 2, notify="all"),
                rule("team", "t1", 3),
                rule("user", "ann", 4),
            ),
        )
    ]
    assert state.escalations.policies["p1"] == versions(events)[0]


@pytest.mark.parametrize(
    ("reference", "field"),
    [
        (rule("user", "zed@example.com"), "rules[0].recipient"),
        (rule("schedule", "Secondary"), "rules[0].recipient"),
        (rule("team", "Dev"), "rules[0].recipient"),
    ],
)
def test_the_organization_refuses_strangers(reference: EscalationRule, field: str) -> None:
    """A user, schedule or team the organization does not have is invalid_field."""
    state, _ = org([])
    with pytest.raises(Rejected) as raised:
        execute(state, create(rules=(reference,)), CTX, NOW)
    assert (raised.value.code, raised.value.field) == ("invalid_field", field)
    assert state.escalations.policies == {}


@pytest.mark.parametrize(
    ("command", "gone"),
    [
        (RemoveMember(account_id="bob", actor_role="owner"), Recipient(type="user", id="bob")),
        (DeleteTeam(team_id="t1"), Recipient(type="team", id="t1")),
        (DeleteSchedule(schedule_id="s1"), Recipient(type="schedule", id="s1")),
    ],
)
def test_departures_leave_the_policies_in_the_same_batch(command: Command, gone: Recipient) -> None:
    """A removed member, deleted team or deleted schedule leaves every rule (and ownership)."""
    state, log = org([BY_REFERENCE])
    events, _ = execute(state, command, CTX, T1)
    after = state.escalations.policies["p1"]
    assert versions(events) == [after]
    assert (after.version, after.updated_at) == (2, T1)
    assert gone not in [r.recipient for r in after.rules]
    assert len(after.rules) == 3
    assert after.owner_team_id == (None if gone.type == "team" else "t1")
    replayed = org_fold(org_initial_state(), decode_payloads(_joined([*log, *events])))
    assert encode_state(replayed) == encode_state(state)


def _joined(log: list[Event]) -> bytes:
    return b",".join(encode_event(event, b"{}").data for event in log)
