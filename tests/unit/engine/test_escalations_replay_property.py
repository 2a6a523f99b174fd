"""Escalation policy commands, mixed with the departures of the people, teams and schedules
they name, replay exactly through the org aggregate; policies only ever name what exists."""

from __future__ import annotations

from collections.abc import Container
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import (
    AddMember,
    CommandContext,
    CreateOrganization,
    CreateSchedule,
    CreateTeam,
    DeleteSchedule,
    DeleteTeam,
    RemoveMember,
)
from engine.errors import Conflict, Rejected
from engine.escalations import (
    CONDITIONS,
    NOTIFY_TYPES,
    CreateEscalationPolicy,
    DeleteEscalationPolicy,
    EscalationRule,
    Recipient,
    Repeat,
    UpdateEscalationPolicy,
    cycle_minutes,
    history_key,
    name_key,
)
from engine.org import (
    Command,
    Event,
    OrgState,
    decode_payloads,
    decode_state,
    encode_event,
    encode_state,
    execute,
    fold,
    initial_state,
)
from tests.strategies import BASE_TIME

CTX = CommandContext(principal_kind="user", principal_id="ann")
OPENING = CreateOrganization(
    org_id="o1", name="acme", owner_account_id="ann", owner_email="ann@example.com"
)


def rarely(common: list[str], odd: list[str], odds: int = 20) -> st.SearchStrategy[str]:
    """One of ``common``, and now and then one of ``odd`` (a flat ``sampled_from``: fast)."""
    return st.sampled_from(common * odds + odd)


policy_ids = st.sampled_from(["p1", "p2"])
policy_names = rarely(["DB", " db ", "Web", "Edge"], ["", "a/b"])
# References as clients give them: ids, emails, names in any case; rarely a stranger
# or a blank. Who exists changes as the departures below run.
user_refs = rarely(["ann", "bob", "bob@example.com", "CY@example.com"], ["zed", " "], 40)
team_refs = rarely(["t1", "t2", "ops", "Dev"], ["t9"], 40)
schedule_refs = rarely(["s1", "s2", "primary", "Secondary"], ["s9"], 40)
conditions = rarely(list(CONDITIONS), ["if-not-seen"])
delays = st.sampled_from([0, 0, 5, 10, 30] * 10 + [-1])


def _rules(kind: str, refs: st.SearchStrategy[str]) -> st.SearchStrategy[EscalationRule]:
    return st.builds(
        EscalationRule,
        condition=conditions,
        delay_minutes=delays,
        recipient=st.builds(Recipient, type=rarely([kind], ["escalation"], 60), id=refs),
        notify_type=rarely(list(NOTIFY_TYPES[kind]), ["users"], 30),
    )


rules = st.one_of(
    _rules("user", user_refs), _rules("team", team_refs), _rules("schedule", schedule_refs)
)
# 1-4 rules, and now and then none (refused)
rule_lists = st.tuples(
    st.sampled_from([True] * 20 + [False]), st.lists(rules, min_size=1, max_size=4)
).map(lambda drawn: tuple(drawn[1]) if drawn[0] else ())
repeats = st.builds(
    Repeat,
    wait_interval_minutes=st.sampled_from([0, 0, 15]),
    count=st.sampled_from([0, 0, 1, 3] * 10 + [21]),
    reset_recipient_states=st.booleans(),
    close_alert_after_all=st.booleans(),
)
owner_teams = st.sampled_from([None] * 6 + ["", "t1", "Dev", "t9"])

create_policy: st.SearchStrategy[Command] = st.builds(
    CreateEscalationPolicy,
    policy_id=policy_ids,
    name=policy_names,
    owner_team=owner_teams,
    rules=rule_lists,
    repeat=repeats,
)
update_policy: st.SearchStrategy[Command] = st.builds(
    UpdateEscalationPolicy,
    policy_id=policy_ids,
    name=st.none() | policy_names,
    description=st.none() | st.sampled_from(["", "pages the DBAs"]),
    owner_team=owner_teams,
    rules=st.none() | rule_lists,
    repeat=st.none() | repeats,
)
delete_policy: st.SearchStrategy[Command] = st.builds(DeleteEscalationPolicy, policy_id=policy_ids)
ARRIVALS: list[Command] = [
    AddMember(account_id="bob", email="bob@example.com", role="member", actor_role="owner"),
    AddMember(account_id="cy", email="cy@example.com", role="member", actor_role="owner"),
    CreateTeam(team_id="t1", name="Ops"),
    CreateTeam(team_id="t2", name="Dev"),
    CreateSchedule(schedule_id="s1", name="Primary", timezone="UTC"),
    CreateSchedule(schedule_id="s2", name="Secondary", timezone="UTC"),
]
DEPARTURES: list[Command] = [
    RemoveMember(account_id="bob", actor_role="owner"),
    RemoveMember(account_id="cy", actor_role="owner"),
    DeleteTeam(team_id="t1"),
    DeleteTeam(team_id="t2"),
    DeleteSchedule(schedule_id="s1"),
    DeleteSchedule(schedule_id="s2"),
]
departure_command: st.SearchStrategy[Command] = st.sampled_from(DEPARTURES + ARRIVALS)
steps = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 60]),
        # 7 in 9 policy commands, the rest people, teams and schedules coming and going
        st.sampled_from(
            [create_policy] * 3 + [update_policy] * 3 + [delete_policy] + [departure_command] * 2
        ).flatmap(lambda strategy: strategy),
    ),
    max_size=40,
)


def check_invariants(state: OrgState) -> None:
    """Policies name only what exists, keep their rules sorted, and every version is kept."""
    escalations = state.escalations
    exists: dict[str, Container[str]] = {
        "user": state.access.members,
        "team": state.teams.teams,
        "schedule": state.schedules.schedules,
    }
    for policy in escalations.policies.values():
        assert all(r.recipient.id in exists[r.recipient.type] for r in policy.rules)
        assert policy.owner_team_id is None or policy.owner_team_id in state.teams.teams
        delays = [r.delay_minutes for r in policy.rules]
        assert delays == sorted(delays)
        assert policy.repeat.count == 0 or cycle_minutes(policy.rules, policy.repeat) > 0
        assert escalations.history[history_key(policy.id, policy.version)] == policy
        assert all(
            history_key(policy.id, v) in escalations.history for v in range(1, policy.version)
        )
    names = [name_key(p.name) for p in escalations.policies.values()]
    assert len(names) == len(set(names))


@settings(max_examples=300, deadline=None)
@given(steps=steps)
def test_replaying_escalation_events_rebuilds_the_live_state(
    steps: list[tuple[int, Command]],
) -> None:
    """The encoded log folds to the live org state, and so does its snapshot."""
    live = initial_state()
    log: list[Event] = []
    now = BASE_TIME
    for elapsed, command in [(0, OPENING), *((0, c) for c in ARRIVALS), *steps]:
        now += timedelta(minutes=elapsed)
        before = encode_state(live)
        try:
            events, _ = execute(live, command, CTX, now)
        except (Rejected, Conflict):
            assert before == encode_state(live), "a refused command changed the state"
            continue
        log += events
        check_invariants(live)

    joined = b",".join(encode_event(event, b"{}").data for event in log)
    replayed = fold(initial_state(), decode_payloads(joined))
    assert encode_state(replayed) == encode_state(live)
    assert encode_state(decode_state(encode_state(live))) == encode_state(live)
