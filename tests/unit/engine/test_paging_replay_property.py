"""Paging through the org aggregate: replay rebuilds it exactly, and no page is requested twice.

Random interleavings of new alerts, acknowledges, closes, snoozes, manual
escalations, rule changes, delivery outcomes, members leaving and coming back,
and the timer (``due_commands`` at each step's time, as the actor runs them) —
then:

- I7: folding the encoded log gives the live state byte for byte (paging's
  due index included);
- I4: every notification id is requested at most once;
- every undelivered page belongs to an open alert and a current member (a
  member's pages are withdrawn when they leave), and a firing timer always
  makes progress (nothing stays due in the past).
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import (
    AcknowledgeAlert,
    CloseAlert,
    CreateAlert,
    CreateOrganization,
    EscalateToNext,
    NotificationRequested,
    RecordDelivery,
    Responder,
    SnoozeAlert,
    UnacknowledgeAlert,
    access,
    contacts,
    escalations,
)
from engine.context import CommandContext
from engine.errors import PulsarError
from engine.org import (
    Command,
    Event,
    OrgState,
    decode_payloads,
    due_commands,
    encode_event,
    encode_state,
    execute,
    fold,
    initial_state,
    next_due,
)
from tests.strategies import BASE_TIME

CTX = CommandContext(principal_kind="user", principal_id="ann")
ORG = "00000000-0000-7000-8000-0000000000aa"
PEOPLE = ["00000000-0000-7000-8000-00000000000a", "00000000-0000-7000-8000-00000000000b"]
POLICY = "00000000-0000-7000-8000-0000000000e1"
ALERTS = [f"00000000-0000-7000-8000-0000000001{i:02d}" for i in range(6)]
METHOD = "00000000-0000-7000-8000-0000000000c1"


def _rule(delay: int, who: str, condition: str = "if-not-acked") -> escalations.EscalationRule:
    return escalations.EscalationRule(
        condition=condition,
        delay_minutes=delay,
        recipient=escalations.Recipient(type="user", id=who),
    )


SETUP: list[Command] = [
    CreateOrganization(org_id=ORG, name="acme"),
    *(
        access.AddMember(account_id=p, email=f"{n}@example.com", role="member", actor_role="owner")
        for p, n in zip(PEOPLE, "ab", strict=True)
    ),
    contacts.AddContactMethod(
        account_id=PEOPLE[0],
        method_id=METHOD,
        method="webhook",
        address="https://hooks.example/a",
        secret="s",
    ),
    escalations.CreateEscalationPolicy(
        policy_id=POLICY,
        name="p",
        rules=(_rule(0, PEOPLE[0]), _rule(10, PEOPLE[1]), _rule(25, PEOPLE[0], "if-not-closed")),
        repeat=escalations.Repeat(wait_interval_minutes=5, count=2, reset_recipient_states=True),
    ),
]

_alert = st.sampled_from(ALERTS)
_person = st.sampled_from(PEOPLE)
_responders = st.lists(
    st.sampled_from(
        [Responder(type="escalation", id=POLICY), Responder(type="user", id=PEOPLE[1])]
    ),
    min_size=0,
    max_size=2,
    unique=True,
)
_step_specs = st.lists(
    st.tuples(st.sampled_from([METHOD, contacts.DEFAULT_EMAIL_METHOD_ID]), st.integers(0, 40)),
    min_size=0,
    max_size=3,
)


def _steps(specs: list[tuple[str, int]]) -> tuple[contacts.StepSpec, ...]:
    return tuple(
        contacts.StepSpec(id=f"step-{i}", contact_method_id=m, send_after_minutes=t)
        for i, (m, t) in enumerate(specs)
    )


_command = st.one_of(
    st.builds(
        lambda a, r, p: CreateAlert(alert_id=a, message=a[-3:], responders=tuple(r), priority=p),
        _alert,
        _responders,
        st.sampled_from(["P1", "P3"]),
    ),
    st.builds(lambda a: AcknowledgeAlert(alert_id=a, user="a"), _alert),
    st.builds(lambda a: UnacknowledgeAlert(alert_id=a, user="a"), _alert),
    st.builds(lambda a: CloseAlert(alert_id=a, user="a"), _alert),
    st.builds(lambda a: EscalateToNext(alert_id=a, source="api"), _alert),
    st.builds(lambda a: ("snooze", a), _alert),
    st.builds(lambda ok: ("deliver", ok), st.booleans()),
    st.builds(lambda p: access.RemoveMember(account_id=p, actor_role="owner"), _person),
    st.builds(
        lambda p: access.AddMember(
            account_id=p, email=f"{p[-1]}@example.com", role="member", actor_role="owner"
        ),
        _person,
    ),
    st.builds(
        lambda specs: contacts.UpdateNotificationRule(
            account_id=PEOPLE[0], rule_id=contacts.DEFAULT_RULE_ID, steps=_steps(specs)
        ),
        _step_specs,
    ),
)
_scenario = st.lists(st.tuples(st.integers(0, 20), _command), min_size=1, max_size=40)


def _concrete(state: OrgState, command: object, now: object) -> Command | None:
    """Commands that depend on the state: snooze until a later time, report a delivery."""
    if isinstance(command, tuple) and command[0] == "snooze":
        return SnoozeAlert(alert_id=command[1], end_time=now + timedelta(minutes=12), user="a")  # type: ignore[operator]
    if isinstance(command, tuple) and command[0] == "deliver":
        pending = next(iter(state.paging.outbox.values()), None)
        if pending is None:
            return None
        return RecordDelivery(
            notification_id=pending.notification_id,
            alert_id=pending.alert_id,
            delivered=command[1],
            detail="ok" if command[1] else "refused",
        )
    return command  # type: ignore[return-value]


@settings(max_examples=200, deadline=None)
@given(scenario=_scenario)
def test_paging_replays_exactly_and_requests_each_page_once(
    scenario: list[tuple[int, object]],
) -> None:
    live = initial_state()
    log: list[Event] = []
    now = BASE_TIME

    def run(command: Command) -> None:
        try:
            events, _ = execute(live, command, CTX, now)
        except PulsarError:
            return
        log.extend(events)

    for command in SETUP:
        run(command)
    for minutes, step in scenario:
        target = now + timedelta(minutes=minutes)
        # The actor's timer: every due-time on the way fires at its own instant.
        while (due := next_due(live)) is not None and due <= target:
            now = max(now, due)
            for timer in due_commands(live, now):
                run(timer)
        now = target
        concrete = _concrete(live, step, now)
        if concrete is not None:
            run(concrete)
        by_alert: dict[str, set[str]] = {}
        for ident, pending in live.paging.outbox.items():
            assert live.alerts.alerts[pending.alert_id].status == "open"
            assert pending.account_id in live.access.members
            by_alert.setdefault(pending.alert_id, set()).add(ident)
        assert {a: set(ids) for a, ids in live.paging.outbox_of.items()} == by_alert
        for timer in due_commands(live, now):
            run(timer)
        due = next_due(live)
        assert due is None or due > now, "a timer fired without making progress"

    requested = [e.notification_id for e in log if isinstance(e, NotificationRequested)]
    assert len(requested) == len(set(requested))
    joined = b",".join(encode_event(event, b"{}").data for event in log)
    replayed = fold(initial_state(), decode_payloads(joined))
    assert encode_state(replayed) == encode_state(live)
