"""Paging decisions through the org aggregate: who is paged, who is not, and why.

Each test drives ``engine.org.execute`` on an ``OrgState``, with the actor's
timer (``due_commands`` at each due-time, as the actor runs them), and asserts
the paging events exactly: the log is the product's explanation of every page
and of every page not sent (reliability.md I10). Times are minutes after START.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from engine import (
    AcknowledgeAlert,
    AddResponder,
    CloseAlert,
    CreateAlert,
    CreateOrganization,
    DeleteAlert,
    EscalateAlert,
    Responder,
    SnoozeAlert,
    UnacknowledgeAlert,
    access,
    contacts,
    escalations,
    maintenance,
    routing,
    schedules,
    teams,
)
from engine.context import CommandContext
from engine.errors import PulsarError
from engine.org import Command, Event, OrgState, due_commands, execute, initial_state, next_due
from engine.paging import (
    PAGING_EVENT_TYPES,
    EscalateToNext,
    EscalationResumed,
    EscalationRuleFired,
    EscalationStarted,
    FirePaging,
    NotificationCancelled,
    NotificationDelivered,
    NotificationFailed,
    NotificationRequested,
    NotificationSkipped,
    RecordDelivery,
    RoutingDecided,
    notification_id,
)

CTX = CommandContext(principal_kind="user", principal_id="ann")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
PEOPLE = ("ann", "bob", "cat", "dan")
EMAIL = contacts.DEFAULT_EMAIL_METHOD_ID
WEBHOOK = "hook"


def at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)


def email(account: str) -> str:
    return f"{account}@example.com"


class Org:
    """An organization (members ann, bob, cat, dan) at a simulated time."""

    def __init__(self) -> None:
        self.state: OrgState = initial_state()
        self.now = START
        self.run(CreateOrganization(org_id="org", name="acme"))
        for person in PEOPLE:
            self.run(
                access.AddMember(
                    account_id=person, email=email(person), role="member", actor_role="owner"
                )
            )

    def run(self, command: Command) -> list[Event]:
        events, _ = execute(self.state, command, CTX, self.now)
        return events

    def paging(self, command: Command) -> list[Event]:
        """The paging events of ``command``."""
        return paged(self.run(command))

    def refused(self, command: Command) -> str:
        with pytest.raises(PulsarError) as raised:
            self.run(command)
        return raised.value.code

    def advance(self, minute: float) -> list[Event]:
        """Go to ``minute``, the timer firing what comes due on the way at its own instant."""
        target = at(minute)
        events: list[Event] = []
        while (due := next_due(self.state)) is not None and due <= target:
            self.now = max(self.now, due)
            for timer in due_commands(self.state, self.now):
                events += self.run(timer)
        self.now = target
        return events

    def due(self, alert_id: str) -> datetime | None:
        return self.state.paging.due.get(alert_id)

    def policy(
        self,
        policy_id: str,
        *rules: tuple[int, str, str] | tuple[int, str, str, str] | tuple[int, str, str, str, str],
        repeat: escalations.Repeat | None = None,
    ) -> str:
        """A policy ``policy_id`` of ``(delay, recipient type, id[, condition[, notify type]])``."""
        built = tuple(
            escalations.EscalationRule(
                condition=r[3] if len(r) > 3 else "if-not-acked",
                delay_minutes=r[0],
                recipient=escalations.Recipient(type=r[1], id=r[2]),
                notify_type=r[4] if len(r) > 4 else "default",
            )
            for r in rules
        )
        self.run(
            escalations.CreateEscalationPolicy(
                policy_id=policy_id,
                name=policy_id,
                rules=built,
                repeat=repeat or escalations.Repeat(),
            )
        )
        return policy_id

    def team(self, team_id: str, *members: str) -> str:
        self.run(teams.CreateTeam(team_id=team_id, name=team_id))
        for member in members:
            self.run(teams.AddTeamMember(team_id=team_id, account_id=member))
        return team_id

    def schedule(
        self,
        schedule_id: str,
        *participants: schedules.Participant,
        start: datetime = START,
        enabled: bool = True,
    ) -> str:
        """An hourly rotation of ``participants`` from ``start`` (no participant: no rotation)."""
        rotations = (
            (
                schedules.Rotation(
                    id=f"{schedule_id}-r",
                    name="r",
                    type="hourly",
                    start=start,
                    participants=participants,
                ),
            )
            if participants
            else ()
        )
        self.run(
            schedules.CreateSchedule(
                schedule_id=schedule_id,
                name=schedule_id,
                timezone="UTC",
                enabled=enabled,
                rotations=rotations,
            )
        )
        return schedule_id

    def steps(self, account: str, *steps: tuple[str, int]) -> None:
        """Replace ``account``'s default notification rule steps by ``(method id, minutes)``."""
        specs = tuple(
            contacts.StepSpec(id=f"{account}-{i}", contact_method_id=m, send_after_minutes=t)
            for i, (m, t) in enumerate(steps)
        )
        self.run(
            contacts.UpdateNotificationRule(
                account_id=account, rule_id=contacts.DEFAULT_RULE_ID, steps=specs
            )
        )

    def webhook(self, account: str) -> None:
        self.run(
            contacts.AddContactMethod(
                account_id=account,
                method_id=WEBHOOK,
                method="webhook",
                address=f"https://hooks.example/{account}",
                secret="s3cret",
            )
        )

    def create(
        self, alert_id: str, *responders: tuple[str, str], priority: str = "P3"
    ) -> list[Event]:
        """Create an alert for ``(type, id)`` responders; its paging events."""
        command = CreateAlert(
            alert_id=alert_id,
            message=alert_id,
            priority=priority,
            responders=tuple(Responder(type=t, id=i) for t, i in responders),
        )
        return paged(self.run(command))

    def alert(self, alert_id: str, *responders: tuple[str, str], priority: str = "P3") -> str:
        self.create(alert_id, *responders, priority=priority)
        return alert_id


def paged(events: Sequence[object]) -> list[Event]:
    return [e for e in events if isinstance(e, PAGING_EVENT_TYPES)]


# -- the expected events, with the defaults of the common case -------------------
def routed(
    alert: str,
    kind: str,
    ident: str,
    target: str,
    target_id: str | None = None,
    *,
    minute: float = 0,
    rule_id: str | None = None,
    rule_name: str = "",
    detail: str = "",
) -> RoutingDecided:
    return RoutingDecided(
        alert_id=alert,
        at=at(minute),
        responder_type=kind,
        responder_id=ident,
        target_type=target,
        target_id=target_id,
        rule_id=rule_id,
        rule_name=rule_name,
        detail=detail,
    )


def started(
    alert: str,
    run: int,
    reason: str,
    *,
    minute: float = 0,
    policy: tuple[str, int] | None = None,
    recipient: tuple[str, str] = ("", ""),
    held_by: str | None = None,
) -> EscalationStarted:
    return EscalationStarted(
        alert_id=alert,
        at=at(minute),
        run_id=f"{alert}:{run}",
        started_at=at(minute),
        reason=reason,
        policy_id=policy[0] if policy else None,
        policy_version=policy[1] if policy else 0,
        recipient_type=recipient[0],
        recipient_id=recipient[1],
        held_by=held_by,
    )


def fired(
    alert: str,
    run: int,
    index: int,
    outcome: str,
    *,
    minute: float,
    due: float | None = None,
    pass_no: int = 0,
    recipients: tuple[str, ...] = (),
    detail: str = "",
    late: bool = False,
    manual: bool = False,
    until_closed: bool = False,
) -> EscalationRuleFired:
    return EscalationRuleFired(
        alert_id=alert,
        at=at(minute),
        run_id=f"{alert}:{run}",
        pass_no=pass_no,
        rule_index=index,
        due_at=at(minute if due is None else due),
        outcome=outcome,
        recipients=recipients,
        detail=detail,
        late=late,
        manual=manual,
        until_closed=until_closed,
    )


def requested(
    alert: str,
    account: str,
    reason: str,
    *,
    minute: float,
    cycle: float | None = None,
    due: float | None = None,
    via: str = EMAIL,
    late: bool = False,
    until_closed: bool = False,
) -> NotificationRequested:
    """A page of ``account`` for the cycle started at ``cycle`` (default: ``minute``)."""
    due_at, started_at = at(minute if due is None else due), at(minute if cycle is None else cycle)
    address = email(account) if via == EMAIL else f"https://hooks.example/{account}"
    return NotificationRequested(
        alert_id=alert,
        at=at(minute),
        notification_id=notification_id(alert, account, started_at, via, due_at),
        account_id=account,
        contact_method_id=via,
        method="email" if via == EMAIL else "webhook",
        address=address,
        due_at=due_at,
        reason=reason,
        late=late,
        until_closed=until_closed,
    )


def member_removed(org: Org, account: str) -> None:
    org.run(access.RemoveMember(account_id=account, actor_role="owner"))


# -- how each responder is routed ---------------------------------------------------
def test_responders_that_do_not_exist_are_logged_as_paging_nobody() -> None:
    """An unknown policy, schedule, user or team pages nobody, and the log says which."""
    org = Org()
    events = org.create(
        "A",
        ("escalation", "nope"),
        ("schedule", "nope"),
        ("user", "ghost@example.com"),
        ("team", "nope"),
    )
    assert events == [
        routed("A", "escalation", "nope", "none", detail="the escalation policy does not exist"),
        routed("A", "schedule", "nope", "none", detail="no such schedule"),
        routed("A", "user", "ghost@example.com", "none", detail="no such member"),
        routed("A", "team", "nope", "none", detail="no such team"),
    ]
    assert ("A" in org.state.paging.alerts, org.due("A")) == (False, None)
    assert org.refused(EscalateToNext(alert_id="A")) == "no_escalation"


def test_team_routing_rules_page_a_policy_a_schedule_or_nobody() -> None:
    """The matched routing rule decides: its policy, who is on call in its schedule, or
    nobody (naming the rule); the decision names the rule."""
    org = Org()
    org.team("ops", "cat")
    org.schedule("primary", schedules.Participant(id="ann"))
    org.policy("urgent", (5, "user", "bob"))
    for rule_id, priority, target in (
        ("r1", "P1", routing.RoutingTarget(type="schedule", id="primary")),
        ("r2", "P2", routing.RoutingTarget(type="none")),
        ("r3", "P4", routing.RoutingTarget(type="escalation", id="urgent")),
    ):
        condition = routing.RoutingCondition(
            field="priority", operation="equals", expected_value=priority
        )
        org.run(
            routing.CreateRoutingRule(
                team_id="ops",
                rule_id=rule_id,
                name=f"{priority} rule",
                criteria=routing.RoutingCriteria(
                    type="match-all-conditions", conditions=(condition,)
                ),
                target=target,
            )
        )
    assert org.create("A", ("team", "ops"), priority="P1") == [
        routed("A", "team", "ops", "schedule", "primary", rule_id="r1", rule_name="P1 rule"),
        started(
            "A",
            0,
            "team 'ops', routing rule 'P1 rule' -> schedule 'primary'",
            recipient=("schedule", "primary"),
        ),
        fired(
            "A",
            0,
            0,
            "paged",
            minute=0,
            recipients=("ann",),
            detail="direct page, rule 1 (schedule 'primary')",
        ),
        requested("A", "ann", "direct page, rule 1 (schedule 'primary')", minute=0),
    ]
    assert org.create("B", ("team", "ops"), priority="P2") == [
        routed(
            "B",
            "team",
            "ops",
            "none",
            rule_id="r2",
            rule_name="P2 rule",
            detail="routing rule 'P2 rule' notifies nobody",
        ),
    ]
    assert org.create("C", ("team", "ops"), priority="P4") == [
        routed("C", "team", "ops", "escalation", "urgent", rule_id="r3", rule_name="P4 rule"),
        started(
            "C",
            0,
            "team 'ops', routing rule 'P4 rule' -> escalation 'urgent'",
            policy=("urgent", 1),
        ),
    ]
    assert org.due("C") == at(5)


# -- whom a rule reaches ----------------------------------------------------------------
def test_a_removed_member_is_not_paged_again() -> None:
    """A member who left mid-escalation: their cycle's later steps stop, and a rule of the
    policy version the alert follows that names them pages nobody, saying why."""
    org = Org()
    org.webhook("ann")
    org.steps("ann", (WEBHOOK, 0), (WEBHOOK, 15))
    org.policy("p", (0, "user", "ann"), (10, "user", "bob"), (20, "user", "ann"))
    org.alert("A", ("escalation", "p"))
    org.advance(5)
    member_removed(org, "ann")
    bob = "escalation 'p', rule 2 (user bob@example.com)"
    assert paged(org.advance(10)) == [
        fired("A", 0, 1, "paged", minute=10, recipients=("bob",), detail=bob),
        requested("A", "bob", bob, minute=10),
    ]
    assert org.due("A") == at(20)  # not ann's step at 15
    assert paged(org.advance(20)) == [
        fired(
            "A",
            0,
            2,
            "nobody",
            minute=20,
            detail="escalation 'p', rule 3: the user is no longer a member",
        )
    ]
    assert org.due("A") is None


def test_a_deleted_team_or_schedule_pages_nobody() -> None:
    """Rules of the version the alert follows that name a team or schedule deleted since
    page nobody, saying it no longer exists."""
    org = Org()
    org.team("ops", "bob")
    org.schedule("primary", schedules.Participant(id="cat"))
    org.policy("p", (0, "user", "ann"), (10, "team", "ops"), (10, "schedule", "primary"))
    org.alert("A", ("escalation", "p"))
    org.advance(5)
    org.run(teams.DeleteTeam(team_id="ops"))
    org.run(schedules.DeleteSchedule(schedule_id="primary"))
    assert paged(org.advance(10)) == [
        fired(
            "A",
            0,
            1,
            "nobody",
            minute=10,
            detail="escalation 'p', rule 2: the team no longer exists",
        ),
        fired(
            "A",
            0,
            2,
            "nobody",
            minute=10,
            detail="escalation 'p', rule 3: the schedule no longer exists",
        ),
    ]


def test_an_empty_team_a_disabled_schedule_or_nobody_on_call_pages_nobody() -> None:
    """Direct pages of a team without members, a disabled schedule, a schedule without
    anyone on call, or its previous on-call when there was none, page nobody and say why."""
    org = Org()
    org.team("empty")
    org.schedule("off", schedules.Participant(id="ann"), enabled=False)
    org.schedule("vacant")
    org.schedule("fresh", schedules.Participant(id="ann"))
    org.policy("before", (0, "schedule", "fresh", "if-not-acked", "previous"))
    events = org.create(
        "A",
        ("team", "empty"),
        ("schedule", "off"),
        ("schedule", "vacant"),
        ("escalation", "before"),
    )
    assert [e for e in paged(events) if isinstance(e, EscalationRuleFired)] == [
        fired(
            "A", 0, 0, "nobody", minute=0, detail="direct page, rule 1: team 'empty' has no members"
        ),
        fired(
            "A", 1, 0, "nobody", minute=0, detail="direct page, rule 1: schedule 'off' is disabled"
        ),
        fired(
            "A",
            2,
            0,
            "nobody",
            minute=0,
            detail="direct page, rule 1: nobody on call in schedule 'vacant'",
        ),
        fired(
            "A",
            3,
            0,
            "nobody",
            minute=0,
            detail="escalation 'before', rule 1: nobody on call in schedule 'fresh' (previous)",
        ),
    ]
    assert [e.target_type for e in paged(events) if isinstance(e, RoutingDecided)] == [
        "members",
        "schedule",
        "schedule",
        "escalation",
    ]


def test_schedule_rules_page_the_current_next_previous_or_all_on_call() -> None:
    """Hourly ann, (gap), bob, team ops (cat, dan) from two hours ago: now bob is on call,
    next ops, previous ann (the gap skipped), all of them; each person gets one page."""
    org = Org()
    org.team("ops", "cat", "dan")
    org.schedule(
        "primary",
        schedules.Participant(id="ann"),
        schedules.Participant(type="none"),
        schedules.Participant(id="bob"),
        schedules.Participant(type="team", id="ops"),
        start=at(-120),
    )
    org.policy(
        "notify",
        *(
            (0, "schedule", "primary", "if-not-acked", notify_type)
            for notify_type in ("default", "next", "previous", "all")
        ),
    )
    label = "escalation 'notify', rule"
    details = [
        f"{label} 1 (schedule 'primary')",
        f"{label} 2 (schedule 'primary', next on call)",
        f"{label} 3 (schedule 'primary', previous on call)",
        f"{label} 4 (schedule 'primary', all on call)",
    ]
    events = org.create("A", ("escalation", "notify"))
    assert events[2:] == [
        fired("A", 0, 0, "paged", minute=0, recipients=("bob",), detail=details[0]),
        fired("A", 0, 1, "paged", minute=0, recipients=("cat", "dan"), detail=details[1]),
        fired("A", 0, 2, "paged", minute=0, recipients=("ann",), detail=details[2]),
        fired(
            "A", 0, 3, "paged", minute=0, recipients=("ann", "bob", "cat", "dan"), detail=details[3]
        ),
        # the last rule to reach a person explains their page
        requested("A", "bob", details[3], minute=0),
        requested("A", "cat", details[3], minute=0),
        requested("A", "dan", details[3], minute=0),
        requested("A", "ann", details[3], minute=0),
    ]


def test_a_person_reached_by_two_rules_at_once_has_one_cycle_kept_if_either_is_if_not_closed() -> (
    None
):
    """ann reached at once by an if-not-acked and an if-not-closed rule: one page, and the
    acknowledge neither withdraws it nor stops her later steps."""
    org = Org()
    org.steps("ann", (EMAIL, 0), (EMAIL, 10))
    org.policy("twice", (0, "user", "ann"), (0, "user", "ann", "if-not-closed"))
    first = "escalation 'twice', rule 1 (user ann@example.com)"
    second = "escalation 'twice', rule 2 (user ann@example.com)"
    events = org.create("A", ("escalation", "twice"))
    assert events[2:] == [
        fired("A", 0, 0, "paged", minute=0, recipients=("ann",), detail=first),
        fired("A", 0, 1, "paged", minute=0, recipients=("ann",), detail=second, until_closed=True),
        requested("A", "ann", second, minute=0, until_closed=True),
    ]
    org.advance(1)
    assert paged(org.run(AcknowledgeAlert(alert_id="A", user="ann"))) == []
    assert paged(org.advance(10)) == [
        requested("A", "ann", second, minute=10, cycle=0, until_closed=True)
    ]


def test_disabled_methods_and_quiet_hours_skip_pages_with_a_reason() -> None:
    """A disabled method is skipped; quiet hours (all day) skip a P3 but not a P1 page."""
    org = Org()
    org.webhook("ann")
    org.steps("ann", (EMAIL, 0), (WEBHOOK, 0))
    org.run(contacts.UpdateContactMethod(account_id="ann", method_id=EMAIL, enabled=False))
    quiet = contacts.QuietHours(enabled=True, start_minute=0, end_minute=0)
    org.run(contacts.SetQuietHours(account_id="ann", quiet_hours=quiet))
    direct = "direct page, rule 1 (user ann@example.com)"

    def skipped(alert: str, method: str, reason: str) -> NotificationSkipped:
        return NotificationSkipped(
            alert_id=alert,
            at=at(0),
            account_id="ann",
            contact_method_id=method,
            reason=reason,
            due_at=at(0),
        )

    assert org.create("A", ("user", "ann"), priority="P3")[3:] == [
        skipped("A", EMAIL, "the contact method is disabled"),
        skipped("A", WEBHOOK, "quiet hours"),
    ]
    assert org.create("B", ("user", "ann"), priority="P1")[3:] == [
        skipped("B", EMAIL, "the contact method is disabled"),
        requested("B", "ann", direct, minute=0, via=WEBHOOK),
    ]
    assert [(r.alert_id, r.status, r.reason) for r in org.state.paging.recent["ann"]] == [
        ("A", "skipped", "the contact method is disabled"),
        ("A", "skipped", "quiet hours"),
        ("B", "skipped", "the contact method is disabled"),
        ("B", "requested", direct),
    ]


# -- the timer -----------------------------------------------------------------------------
def test_the_timer_does_nothing_for_an_unknown_closed_or_snoozed_alert() -> None:
    """A firing that comes too late (alert closed) or too early (snoozed) pages nobody;
    a snooze moves the alert's due-time to its end."""
    org = Org()
    org.policy("p", (0, "user", "ann"), (10, "user", "bob"))
    org.alert("A", ("escalation", "p"))
    org.alert("B", ("escalation", "p"))
    org.advance(1)
    org.run(SnoozeAlert(alert_id="A", end_time=at(30), user="ann"))
    org.run(CloseAlert(alert_id="B", user="ann"))
    org.advance(10)
    assert (org.due("A"), org.due("B")) == (at(30), None)
    for alert in ("A", "B", "nope"):
        assert org.run(FirePaging(alert_id=alert)) == []


def test_a_rule_missed_over_several_passes_fires_once_late() -> None:
    """Down from 1 to 35 min, a rule repeated every 10 min fires once at 35, late, for the
    last pass it missed; its page is late too."""
    org = Org()
    org.policy(
        "r", (0, "user", "ann"), repeat=escalations.Repeat(wait_interval_minutes=10, count=3)
    )
    org.alert("A", ("escalation", "r"))
    org.advance(1)
    org.now = at(35)  # an outage: no timer ran
    detail = "escalation 'r', rule 1, repeat 3 (user ann@example.com)"
    assert paged(org.advance(35)) == [
        fired(
            "A",
            0,
            0,
            "paged",
            minute=35,
            due=30,
            pass_no=3,
            recipients=("ann",),
            detail=detail,
            late=True,
        ),
        requested("A", "ann", detail, minute=35, late=True),
    ]
    assert org.due("A") is None


# -- escalating by hand ------------------------------------------------------------------
def test_escalating_a_missing_or_closed_alert_or_one_without_escalation_is_refused() -> None:
    """EscalateToNext needs an open alert that follows an escalation."""
    org = Org()
    org.alert("quiet")
    org.alert("closed", ("user", "ann"))
    org.run(CloseAlert(alert_id="closed"))
    assert [
        org.refused(EscalateToNext(alert_id=alert)) for alert in ("nope", "closed", "quiet")
    ] == ["alert_not_found", "alert_closed", "no_escalation"]


def test_escalating_a_used_up_escalation_pages_its_last_rule_again() -> None:
    """After the last rule of the last repeat, escalating pages that rule again, each time."""
    org = Org()
    repeat = escalations.Repeat(wait_interval_minutes=5, count=1)
    org.policy("p", (0, "user", "ann"), (10, "user", "bob"), repeat=repeat)
    org.alert("A", ("escalation", "p"))
    org.advance(30)
    assert org.due("A") is None
    detail = "escalation 'p', rule 2, repeat 1 (user bob@example.com)"
    for minute in (30, 31):
        org.advance(minute)
        assert paged(org.run(EscalateToNext(alert_id="A", source="api"))) == [
            fired(
                "A",
                0,
                1,
                "paged",
                minute=minute,
                pass_no=1,
                recipients=("bob",),
                detail=detail,
                manual=True,
            ),
            requested("A", "bob", detail, minute=minute),
        ]


def test_removing_a_member_withdraws_their_pending_pages() -> None:
    """A member with undelivered pages on two alerts leaves: in the same batch both pages
    are withdrawn (the outbox and its per-alert index lose them, the alerts' logs say why);
    the other member's pages on the same alerts stay pending."""
    org = Org()
    org.alert("A", ("user", "ann"), ("user", "bob"))
    org.alert("B", ("user", "ann"), ("user", "bob"))
    org.advance(3)
    outbox = org.state.paging.outbox
    ann = [p.notification_id for p in outbox.values() if p.account_id == "ann"]
    bob = [p.notification_id for p in outbox.values() if p.account_id == "bob"]
    assert (len(ann), len(bob)) == (2, 2)
    events = org.run(access.RemoveMember(account_id="ann", actor_role="owner"))
    assert paged(events) == [
        NotificationCancelled(
            alert_id=alert, at=at(3), notification_id=ident, reason="member removed"
        )
        for alert, ident in zip("AB", ann, strict=True)
    ]
    assert bob == list(outbox)
    assert {"A": [bob[0]], "B": [bob[1]]} == {
        alert: list(ids) for alert, ids in org.state.paging.outbox_of.items()
    }
    assert [r.status for r in org.state.paging.recent["ann"]] == ["cancelled", "cancelled"]
    assert paged(org.run(access.RemoveMember(account_id="cat", actor_role="owner"))) == []


def test_escalating_passes_over_an_escalation_left_without_rules() -> None:
    """A policy emptied by its only recipient leaving pages nobody; escalating advances the
    alert's other escalations, and is refused when there is none."""
    org = Org()
    org.policy("solo", (0, "user", "dan"))
    member_removed(org, "dan")
    assert org.state.escalations.policies["solo"].rules == ()
    events = org.create("A", ("escalation", "solo"), ("user", "ann"))
    direct = "direct page, rule 1 (user ann@example.com)"
    assert events == [
        routed("A", "escalation", "solo", "escalation", "solo"),
        started("A", 0, "escalation 'solo' -> escalation 'solo'", policy=("solo", 2)),
        routed("A", "user", "ann", "user", "ann"),
        started("A", 1, "user ann@example.com -> user ann@example.com", recipient=("user", "ann")),
        fired("A", 1, 0, "paged", minute=0, recipients=("ann",), detail=direct),
        requested("A", "ann", direct, minute=0),
    ]
    org.advance(5)
    assert paged(org.run(EscalateToNext(alert_id="A"))) == [
        fired("A", 1, 0, "paged", minute=5, recipients=("ann",), detail=direct, manual=True),
        requested("A", "ann", direct, minute=5),
    ]
    org.alert("B", ("escalation", "solo"))
    assert org.refused(EscalateToNext(alert_id="B")) == "no_escalation"


# -- delivery outcomes ---------------------------------------------------------------------
def test_delivery_outcomes_are_recorded_once_also_for_a_withdrawn_page() -> None:
    """The notifier's report settles a pending page, or one withdrawn while it was being
    sent; a report on an unknown or already settled page changes nothing."""
    org = Org()
    org.alert("A", ("user", "ann"))
    org.alert("B", ("user", "bob"))
    [to_ann] = [p.notification_id for p in org.state.paging.outbox.values() if p.alert_id == "A"]
    [to_bob] = [p.notification_id for p in org.state.paging.outbox.values() if p.alert_id == "B"]
    org.advance(1)
    failed = RecordDelivery(notification_id=to_ann, alert_id="A", delivered=False, detail="550")
    assert org.run(failed) == [
        NotificationFailed(alert_id="A", at=at(1), notification_id=to_ann, reason="550")
    ]
    assert paged(org.run(AcknowledgeAlert(alert_id="B"))) == [
        NotificationCancelled(alert_id="B", at=at(1), notification_id=to_bob, reason="acknowledged")
    ]
    late = RecordDelivery(
        notification_id=to_bob,
        alert_id="B",
        delivered=True,
        detail="250 OK",
        possibly_duplicate=True,
    )
    assert org.run(late) == [
        NotificationDelivered(
            alert_id="B", at=at(1), notification_id=to_bob, detail="250 OK", possibly_duplicate=True
        )
    ]
    unknown = RecordDelivery(notification_id="nope", alert_id="A", delivered=True)
    for again in (failed, late, unknown):
        assert org.run(again) == []
    records = {a: org.state.paging.recent[a] for a in ("ann", "bob")}
    assert [(a, r.status, r.reason, r.possibly_duplicate) for a in records for r in records[a]] == [
        ("ann", "failed", "550", False),
        ("bob", "delivered", "250 OK", True),
    ]
    assert org.state.paging.outbox == {}


# -- what other areas' events start or stop ------------------------------------------------
def test_an_added_responder_is_paged_from_the_moment_it_was_added() -> None:
    """A policy added as a responder at 7 min times its rules from 7, not from creation."""
    org = Org()
    org.policy("p", (0, "user", "ann"), (10, "user", "bob"))
    org.alert("A")
    org.advance(7)
    ann = "escalation 'p', rule 1 (user ann@example.com)"
    added = org.run(AddResponder(alert_id="A", responder=Responder(type="escalation", id="p")))
    assert [type(e).__name__ for e in added][:1] == ["AlertResponderAdded"]
    assert paged(added) == [
        routed("A", "escalation", "p", "escalation", "p", minute=7),
        started("A", 0, "escalation 'p' -> escalation 'p'", minute=7, policy=("p", 1)),
        fired("A", 0, 0, "paged", minute=7, recipients=("ann",), detail=ann),
        requested("A", "ann", ann, minute=7),
    ]
    assert org.due("A") == at(17)


def test_escalating_an_acknowledged_alert_to_a_policy_starts_it_now() -> None:
    """Escalating to a policy un-acknowledges the alert and pages the policy's first rule
    at once, its later rules timed from then."""
    org = Org()
    org.policy("p", (0, "user", "bob"), (10, "user", "cat"))
    org.alert("A", ("user", "ann"))
    org.advance(2)
    org.run(AcknowledgeAlert(alert_id="A", user="ann"))
    org.advance(5)
    escalated = org.run(
        EscalateAlert(alert_id="A", escalation=Responder(type="escalation", id="p"))
    )
    bob = "escalation 'p', rule 1 (user bob@example.com)"
    assert [type(e).__name__ for e in escalated][:1] == ["AlertEscalated"]
    assert paged(escalated) == [
        routed("A", "escalation", "p", "escalation", "p", minute=5),
        started("A", 1, "escalation 'p' -> escalation 'p'", minute=5, policy=("p", 1)),
        fired("A", 1, 0, "paged", minute=5, recipients=("bob",), detail=bob),
        requested("A", "bob", bob, minute=5),
    ]
    assert (org.state.alerts.alerts["A"].acknowledged, org.due("A")) == (False, at(15))


def test_deleting_an_alert_withdraws_its_pages_and_its_paging() -> None:
    """A deleted alert's undelivered pages are cancelled and nothing of it stays due."""
    org = Org()
    org.policy("p", (0, "user", "ann"), (10, "user", "bob"))
    org.alert("A", ("escalation", "p"))
    [pending] = org.state.paging.outbox.values()
    events = org.run(DeleteAlert(alert_id="A"))
    assert [type(e).__name__ for e in events] == ["AlertDeleted", "NotificationCancelled"]
    assert paged(events) == [
        NotificationCancelled(
            alert_id="A", at=at(0), notification_id=pending.notification_id, reason="deleted"
        )
    ]
    assert (org.state.paging.outbox, org.state.paging.alerts, org.due("A")) == ({}, {}, None)


def _window(org: Org, policy: str, *, until: float) -> str:
    org.run(
        maintenance.CreateMaintenance(
            maintenance_id="m",
            start=org.now,
            end=at(until),
            entities=(maintenance.MaintenanceEntity(type="policy", id=policy),),
        )
    )
    return "m"


def test_the_end_of_a_window_releases_only_the_escalations_it_held() -> None:
    """Ending a window restarts its held escalations from rule 1; an alert it did not hold,
    or one closed meanwhile, is not paged by it."""
    org = Org()
    org.policy("p", (0, "user", "ann"), (10, "user", "bob"))
    org.policy("q", (0, "user", "cat"))
    window = _window(org, "p", until=60)
    held = org.create("A", ("escalation", "p"))
    assert paged(held) == [
        routed("A", "escalation", "p", "escalation", "p"),
        started("A", 0, "escalation 'p' -> escalation 'p'", policy=("p", 1), held_by=window),
    ]
    org.alert("B", ("escalation", "q"))
    org.alert("C", ("escalation", "p"))
    org.advance(30)
    org.run(CloseAlert(alert_id="C"))
    ann = "escalation 'p', rule 1 (user ann@example.com)"
    assert paged(org.advance(60)) == [
        EscalationResumed(alert_id="A", at=at(60), run_id="A:0"),
        fired("A", 0, 0, "paged", minute=60, recipients=("ann",), detail=ann),
        requested("A", "ann", ann, minute=60),
    ]
    assert (org.due("A"), org.due("B"), org.due("C")) == (at(70), None, None)


def test_an_escalation_released_during_a_snooze_pages_late_when_the_snooze_ends() -> None:
    """Released at 60 while snoozed until 90: rule 1 fires at 90, marked late."""
    org = Org()
    org.policy("p", (0, "user", "ann"))
    _window(org, "p", until=60)
    org.alert("A", ("escalation", "p"))
    org.advance(30)
    org.run(SnoozeAlert(alert_id="A", end_time=at(90)))
    assert paged(org.advance(89)) == [EscalationResumed(alert_id="A", at=at(60), run_id="A:0")]
    ann = "escalation 'p', rule 1 (user ann@example.com)"
    assert paged(org.advance(90)) == [
        fired("A", 0, 0, "paged", minute=90, due=60, recipients=("ann",), detail=ann, late=True),
        requested("A", "ann", ann, minute=90, late=True),
    ]


def test_changed_notification_rules_retime_the_cycles_of_open_alerts() -> None:
    """A step added at 10 for 30 min comes due at 30 in the open alert's cycle; the closed
    alert is forgotten by the person's index."""
    org = Org()
    org.steps("ann", (EMAIL, 0), (EMAIL, 60))
    org.alert("A", ("user", "ann"))
    org.alert("B", ("user", "ann"))
    org.advance(5)
    org.run(CloseAlert(alert_id="B"))
    assert org.due("A") == at(60)
    org.advance(10)
    org.steps("ann", (EMAIL, 0), (EMAIL, 30), (EMAIL, 60))
    assert (org.due("A"), list(org.state.paging.cycles_of["ann"])) == (at(30), ["A"])
    direct = "direct page, rule 1 (user ann@example.com)"
    assert paged(org.advance(30)) == [requested("A", "ann", direct, minute=30, cycle=0)]


def test_a_persons_notification_log_keeps_their_last_100_records() -> None:
    """The 101st page pushes the oldest record out of the person's log."""
    org = Org()
    alerts = [f"A{n:03d}" for n in range(101)]
    for alert in alerts:
        org.alert(alert, ("user", "ann"))
    assert [r.alert_id for r in org.state.paging.recent["ann"]] == alerts[1:]


# -- acknowledgements, repeats, closing ----------------------------------------------------
def test_rules_due_while_acknowledged_are_skipped_and_escalating_pages_the_next_one() -> None:
    """Acknowledged at 1: rule 2 (at 10) is recorded as skipped; escalating at 12
    un-acknowledges the alert and pages rule 3 at once."""
    org = Org()
    org.policy("p", (0, "user", "ann"), (10, "user", "bob"), (30, "user", "cat"))
    org.alert("A", ("escalation", "p"))
    org.advance(1)
    org.run(AcknowledgeAlert(alert_id="A", user="ann"))
    assert paged(org.advance(10)) == [
        fired("A", 0, 1, "skipped", minute=10, detail="escalation 'p', rule 2: acknowledged")
    ]
    org.advance(12)
    escalated = org.run(EscalateToNext(alert_id="A", user="ann", source="web", note="help"))
    cat = "escalation 'p', rule 3 (user cat@example.com)"
    assert [type(e).__name__ for e in escalated][:2] == ["AlertUnacknowledged", "AlertNoteAdded"]
    assert paged(escalated) == [
        fired("A", 0, 2, "paged", minute=12, recipients=("cat",), detail=cat, manual=True),
        requested("A", "cat", cat, minute=12),
    ]
    assert (org.state.alerts.alerts["A"].acknowledged, org.due("A")) == (False, None)


def test_escalating_an_alert_held_by_maintenance_is_refused() -> None:
    """An alert whose escalation a window holds does not page, not even by hand."""
    org = Org()
    org.policy("p", (0, "user", "ann"))
    _window(org, "p", until=60)
    org.alert("A", ("escalation", "p"))
    assert org.refused(EscalateToNext(alert_id="A")) == "in_maintenance"


def test_a_repeat_resets_the_acknowledgement_and_the_last_one_closes_the_alert() -> None:
    """Repeat once after 5 min, resetting the acknowledgement, then close: acknowledged at 1,
    the alert is un-acknowledged and paged at 5, and closed at 10 (its pages withdrawn)."""
    org = Org()
    repeat = escalations.Repeat(
        wait_interval_minutes=5, count=1, reset_recipient_states=True, close_alert_after_all=True
    )
    org.policy("loop", (0, "user", "ann"), repeat=repeat)
    org.alert("A", ("escalation", "loop"))
    org.advance(1)
    org.run(AcknowledgeAlert(alert_id="A", user="ann"))
    again = "escalation 'loop', rule 1, repeat 1 (user ann@example.com)"
    reset = org.advance(5)
    assert [(type(e).__name__, getattr(e, "note", "")) for e in reset[:2]] == [
        ("AlertUnacknowledged", ""),
        ("AlertNoteAdded", "Acknowledgement reset by escalation 'loop''s repeat 1"),
    ]
    assert paged(reset) == [
        fired("A", 0, 0, "paged", minute=5, pass_no=1, recipients=("ann",), detail=again),
        requested("A", "ann", again, minute=5),
    ]
    [pending] = org.state.paging.outbox
    note = "Closed by escalation 'loop': every repeat was done"
    closed = org.advance(10)
    assert [
        (type(e).__name__, getattr(e, "note", ""))
        for e in closed
        if not isinstance(e, PAGING_EVENT_TYPES)
    ] == [("AlertClosed", ""), ("AlertNoteAdded", note)]
    assert paged(closed) == [
        fired("A", 0, 1, "closed", minute=10, pass_no=1, detail=note),
        NotificationCancelled(alert_id="A", at=at(10), notification_id=pending, reason="closed"),
    ]
    assert org.state.alerts.alerts["A"].status == "closed"


def test_a_page_not_sent_because_no_rule_applies_or_the_method_is_unverified_says_why() -> None:
    """ann's only rule is for P1 alerts: a P3 page is skipped; bob's step uses an email
    address he has not verified: skipped."""
    org = Org()
    org.run(
        contacts.UpdateNotificationRule(
            account_id="ann", rule_id=contacts.DEFAULT_RULE_ID, priorities=("P1",)
        )
    )
    org.run(
        contacts.AddContactMethod(
            account_id="bob",
            method_id="pager",
            method="email",
            address="pager@example.com",
            code_hash="0" * 64,
        )
    )
    org.steps("bob", ("pager", 0))
    events = org.create("A", ("user", "ann"), ("user", "bob"))
    assert [e for e in paged(events) if isinstance(e, NotificationSkipped)] == [
        NotificationSkipped(
            alert_id="A",
            at=at(0),
            account_id="ann",
            contact_method_id="",
            reason="no notification rule of ann@example.com applies to a P3 alert",
            due_at=at(0),
        ),
        NotificationSkipped(
            alert_id="A",
            at=at(0),
            account_id="bob",
            contact_method_id="pager",
            reason="the contact method is not verified",
            due_at=at(0),
        ),
    ]


# -- regressions (found while covering this module) ----------------------------------


def test_the_last_rule_of_a_policy_that_closes_the_alert_is_paged() -> None:
    """bob, paged by the last rule of a policy that closes the alert after all, gets his
    page: it is not withdrawn in the batch that requested it."""
    org = Org()
    org.policy(
        "p",
        (0, "user", "ann"),
        (10, "user", "bob"),
        repeat=escalations.Repeat(close_alert_after_all=True),
    )
    org.alert("A", ("escalation", "p"))
    events = paged(org.advance(10))
    [to_bob] = [
        e.notification_id
        for e in events
        if isinstance(e, NotificationRequested) and e.account_id == "bob"
    ]
    assert to_bob not in {e.notification_id for e in events if isinstance(e, NotificationCancelled)}


def test_no_page_stays_pending_for_an_alert_closed_by_its_escalation_at_creation() -> None:
    """Every undelivered page belongs to an open alert, also when a policy whose rules are
    all immediate closes the alert as it is created."""
    org = Org()
    org.policy("p", (0, "user", "ann"), repeat=escalations.Repeat(close_alert_after_all=True))
    org.alert("A", ("escalation", "p"))
    assert [
        (p.alert_id, org.state.alerts.alerts[p.alert_id].status)
        for p in org.state.paging.outbox.values()
    ] in ([], [("A", "open")])


def test_a_person_paged_again_after_an_acknowledge_is_indexed_once() -> None:
    """ann paged, acknowledged and un-acknowledged twice, paged three times: the index of her
    cycles names the alert once."""
    org = Org()
    org.policy("p", (0, "user", "ann"), (10, "user", "ann"), (20, "user", "ann"))
    org.alert("A", ("escalation", "p"))
    for minute in (1, 11):
        org.advance(minute)
        org.run(AcknowledgeAlert(alert_id="A"))
        org.run(UnacknowledgeAlert(alert_id="A"))
    org.advance(25)
    assert list(org.state.paging.cycles_of["ann"]) == ["A"]


def test_a_person_reached_twice_at_one_instant_is_paged_once() -> None:
    """I4 (found by the replay property): the timer fires rule 3 (ann) at 25 and a manual
    escalation at the same instant reaches ann again (repeat 1, rule 1): the firing is
    logged, but her page of that instant stands and is not requested again, neither by
    the escalation nor by the timer after it."""
    org = Org()
    repeat = escalations.Repeat(wait_interval_minutes=5, count=2, reset_recipient_states=True)
    org.policy(
        "p", (0, "user", "ann"), (10, "user", "bob"), (25, "user", "ann", "if-not-closed"),
        repeat=repeat,
    )  # fmt: skip
    org.alert("A", ("escalation", "p"))
    log = paged(org.advance(25))
    manual = paged(org.run(EscalateToNext(alert_id="A", source="api")))
    assert [(type(e).__name__, getattr(e, "recipients", ())) for e in manual] == [
        ("EscalationRuleFired", ("ann",))
    ]
    log += manual + paged(org.advance(25)) + paged(org.advance(26))
    ids = [e.notification_id for e in log if isinstance(e, NotificationRequested)]
    assert len(ids) == len(set(ids)) == 2  # bob at 10, ann at 25 (ann at 0 came with A)
