"""Responders sent without a type are resolved against the organization (engine.org.responders).

By id (team, member, escalation policy, schedule), then by name in the order teams, users
(username = email), escalations, schedules. One that names nothing does not fail a create:
it is left off the alert and recorded on its ``AlertCreated``; adding one is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import (
    AddResponder,
    AlertCreated,
    AlertResponderAdded,
    CreateAlert,
    CreateOrganization,
    Rejected,
    Responder,
    access,
    escalations,
    schedules,
    teams,
)
from engine.context import CommandContext
from engine.org import OrgState, decide, execute, initial_state
from engine.org.responders import TYPELESS_ORDER, resolve_responder

CTX = CommandContext(principal_kind="api_key", principal_id="k")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = (
    escalations.EscalationRule(
        condition="if-not-acked",
        delay_minutes=0,
        recipient=escalations.Recipient(type="user", id="acc-ann"),
    ),
)


def org() -> OrgState:
    """Team "Ops" (t1), member ann@example.com (acc-ann), policy "Ops" (p1), schedule "Ops"
    (s1), policy "night" (p2) and schedule "night" (s2), schedule "Day" (s3)."""
    state = initial_state()
    commands = [
        CreateOrganization(org_id="org", name="acme"),
        teams.CreateTeam(team_id="t1", name="Ops"),
        access.AddMember(
            account_id="acc-ann", email="ann@example.com", role="member", actor_role="owner"
        ),
        escalations.CreateEscalationPolicy(policy_id="p1", name="Ops", rules=RULES),
        escalations.CreateEscalationPolicy(policy_id="p2", name="night", rules=RULES),
        schedules.CreateSchedule(schedule_id="s1", name="Ops", timezone="UTC"),
        schedules.CreateSchedule(schedule_id="s2", name="night", timezone="UTC"),
        schedules.CreateSchedule(schedule_id="s3", name="Day", timezone="UTC"),
    ]
    for command in commands:
        execute(state, command, CTX, NOW)
    return state


def typeless(ref: str) -> Responder:
    return Responder(type="", id=ref)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        # by id, whatever kind
        ("t1", Responder(type="team", id="t1")),
        ("acc-ann", Responder(type="user", id="acc-ann")),
        ("p1", Responder(type="escalation", id="p1")),
        ("s3", Responder(type="schedule", id="s3")),
        # by name: a team first ("Ops" is also a policy's and a schedule's name)
        ("ops", Responder(type="team", id="t1")),
        # a username (email), ignoring case
        ("Ann@Example.com", Responder(type="user", id="acc-ann")),
        # an escalation before a schedule of the same name
        ("NIGHT", Responder(type="escalation", id="p2")),
        # a schedule: exact name, else ignoring case
        ("Day", Responder(type="schedule", id="s3")),
        (" Day ", Responder(type="schedule", id="s3")),
        ("day", Responder(type="schedule", id="s3")),
        # nothing: stays typeless
        ("nobody", typeless("nobody")),
        ("bob@example.com", typeless("bob@example.com")),
        ("", typeless("")),
    ],
)
def test_a_typeless_responder_resolves_by_id_then_by_name(ref: str, expected: Responder) -> None:
    assert resolve_responder(org(), typeless(ref)) == expected


def test_the_name_order_is_teams_users_escalations_schedules() -> None:
    assert TYPELESS_ORDER == ("team", "user", "escalation", "schedule")


def test_typed_responders_are_not_reinterpreted() -> None:
    """A typed responder keeps its type: only a team's name becomes its id."""
    state = org()
    assert resolve_responder(state, Responder(type="schedule", id="Ops")) == Responder(
        type="schedule", id="Ops"
    )
    assert resolve_responder(state, Responder(type="team", id="OPS")) == Responder(
        type="team", id="t1"
    )
    assert resolve_responder(state, Responder(type="user", id="t1")) == Responder(
        type="user", id="t1"
    )


def test_a_create_keeps_the_alert_and_records_what_it_could_not_resolve() -> None:
    """Resolved ones become responders (de-duplicated); unresolved ones go to the event."""
    state = org()
    command = CreateAlert(
        alert_id="a1",
        message="m",
        responders=(
            typeless("Ops"),
            Responder(type="team", id="t1"),
            typeless("ghost"),
            typeless("night"),
            typeless("ann@example.com"),
        ),
    )
    [created] = decide(state, command, NOW)
    assert isinstance(created, AlertCreated)
    assert created.responders == (
        Responder(type="team", id="t1"),
        Responder(type="escalation", id="p2"),
        Responder(type="user", id="acc-ann"),
    )
    assert created.unresolved_responders == ("ghost",)
    execute(state, command, CTX, NOW)
    assert state.alerts.alerts["a1"].responders == created.responders


def test_a_create_with_only_unresolvable_responders_still_creates() -> None:
    [created] = decide(
        initial_state(), CreateAlert(alert_id="a1", message="m", responders=(typeless("x"),)), NOW
    )
    assert isinstance(created, AlertCreated)
    assert (created.responders, created.unresolved_responders) == ((), ("x",))


def test_a_typeless_responder_with_no_id_is_invalid() -> None:
    with pytest.raises(Rejected) as raised:
        decide(org(), CreateAlert(alert_id="a1", message="m", responders=(typeless(" "),)), NOW)
    assert (raised.value.code, raised.value.field) == ("invalid_field", "responders")


def test_add_responder_resolves_or_refuses() -> None:
    state = org()
    execute(state, CreateAlert(alert_id="a1", message="m"), CTX, NOW)
    [added] = decide(state, AddResponder(alert_id="a1", responder=typeless("Day")), NOW)
    assert isinstance(added, AlertResponderAdded)
    assert added.responder == Responder(type="schedule", id="s3")
    with pytest.raises(Rejected) as raised:
        decide(state, AddResponder(alert_id="a1", responder=typeless("ghost")), NOW)
    assert (raised.value.code, raised.value.field) == ("responder_not_found", "responder")
    with pytest.raises(Rejected) as raised:
        decide(state, AddResponder(alert_id="a1", responder=typeless("")), NOW)
    assert raised.value.code == "invalid_field"


def test_another_organizations_entities_do_not_resolve() -> None:
    """Resolution reads only this organization's state."""
    other = initial_state()
    execute(other, CreateOrganization(org_id="other", name="x"), CTX, NOW)
    for ref in ("t1", "Ops", "ann@example.com", "p1", "night", "Day"):
        assert resolve_responder(other, typeless(ref)) == typeless(ref)
