"""Who is paged for an alert, when, and how (pure).

Timing follows Opsgenie and reliability.md decisions 5-7:

- A run's rule ``i`` of pass ``p`` is due at ``started_at + p * cycle + delay_i``,
  where ``cycle`` is the longest rule delay plus the repeat's wait interval.
  ``started_at`` is the alert's creation for its responders (rule delays count
  from creation), or the moment a responder was added, a policy escalated to
  by hand, or a maintenance window holding the run ended.
- Rules handled late (after an outage or a snooze) fire once each at the
  moment they are handled, marked late; a rule missed several passes over
  fires once; later rules keep their own due-times.
- A firing reaches people; each starts a *cycle* in which their notification
  rules' steps come due relative to the cycle's start. A step never fires for
  a due-time before it existed (S07, S08). Several steps of one contact method
  due at once are one page.
- An acknowledge ends the cycles of if-not-acked rules and withdraws their
  undelivered pages; later if-not-acked rules are recorded as skipped; a
  close ends everything. A member who leaves the organization has their
  undelivered pages withdrawn (``withdraw_pages_of``); their cycles end quietly.

``decide`` answers paging commands; ``react`` adds the paging that other
areas' events cause (a new alert, an added responder, an acknowledge, the end
of a maintenance window). Neither mutates; ``evolve`` applies the events.
"""

from __future__ import annotations

import heapq
import uuid
import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from msgspec.structs import replace

from engine import alerts, contacts, escalations, maintenance, routing, schedules
from engine.access import member_by_email
from engine.errors import NotFound, Rejected
from engine.paging import commands as c
from engine.paging import events as e
from engine.paging.state import (
    RECENT_PER_ACCOUNT,
    AlertPaging,
    Cycle,
    NotificationRecord,
    PagingState,
    Pending,
    Run,
)
from engine.paging.world import World

__all__ = [
    "LATE_AFTER",
    "decide",
    "due_alerts",
    "evolve",
    "next_due",
    "on_account_change",
    "on_alert_event",
    "react",
    "withdraw_pages_of",
]

LATE_AFTER = timedelta(seconds=60)  # handled later than this after its due-time: "late"
_NAMESPACE = uuid.UUID("6f0b7a8e-51f6-4f4e-9d2a-7c1e0c5a9b11")
_NO_REPEAT = escalations.Repeat()
_TICK = timedelta(microseconds=1)
_PREVIOUS_WINDOW = timedelta(days=62)

Events = list[e.PagingEvent | alerts.AlertEvent]


# -- what a run follows ------------------------------------------------------
class _Plan(NamedTuple):
    rules: tuple[escalations.EscalationRule, ...]
    repeat: escalations.Repeat
    name: str  # "escalation 'ops'" or "direct page"


def _plan(world: World, run: Run) -> _Plan | None:
    if run.policy_id is not None:
        policy = escalations.policy_version(world.escalations, run.policy_id, run.policy_version)
        if policy is None:  # pragma: no cover -- versions are kept forever; defensive
            return None
        return _Plan(policy.rules, policy.repeat, f"escalation {policy.name!r}")
    rule = escalations.EscalationRule(
        condition="if-not-acked",
        delay_minutes=0,
        recipient=escalations.Recipient(type=run.recipient_type, id=run.recipient_id),
    )
    return _Plan((rule,), _NO_REPEAT, "direct page")


def _cycle(plan: _Plan) -> timedelta:
    if plan.repeat.count <= 0 or not plan.rules:
        return timedelta(0)
    longest = max(rule.delay_minutes for rule in plan.rules)
    return timedelta(minutes=longest + plan.repeat.wait_interval_minutes)


def _passes(plan: _Plan) -> int:
    return 1 + max(plan.repeat.count, 0) if _cycle(plan) else 1


def _due(run: Run, plan: _Plan, pass_no: int, index: int) -> datetime:
    cycle = _cycle(plan)
    if index >= len(plan.rules):
        # The close-after-all step: the wait interval after the last pass's last rule,
        # and at least a minute after it, so that rule's pages go out before the close.
        longest = max((r.delay_minutes for r in plan.rules), default=0)
        wait = max(plan.repeat.wait_interval_minutes, 1)
        return run.started_at + pass_no * cycle + timedelta(minutes=longest + wait)
    return run.started_at + pass_no * cycle + timedelta(minutes=plan.rules[index].delay_minutes)


def _after(plan: _Plan, pass_no: int, index: int) -> tuple[int, int, bool]:
    """The cursor after firing ``(pass_no, index)``: ``(pass, index, done)``."""
    rules = len(plan.rules)
    if index >= rules:
        return pass_no, index, True
    if index + 1 < rules:
        return pass_no, index + 1, False
    if pass_no + 1 < _passes(plan):
        return pass_no + 1, 0, False
    if plan.repeat.close_alert_after_all:
        return pass_no, rules, False
    return pass_no, rules, True


def _next(run: Run, plan: _Plan) -> tuple[int, int, datetime] | None:
    if run.done or run.held_by is not None or not plan.rules:
        return None
    return run.next_pass, run.next_index, _due(run, plan, run.next_pass, run.next_index)


def _due_firings(run: Run, plan: _Plan, now: datetime) -> list[tuple[int, int, datetime]]:
    """The firings of ``run`` due by ``now``, a rule missed over several passes once."""
    latest: dict[int, tuple[int, int, datetime]] = {}
    nxt = _next(run, plan)
    while nxt is not None and nxt[2] <= now:
        latest[nxt[1]] = nxt
        p, i, done = _after(plan, nxt[0], nxt[1])
        nxt = None if done else (p, i, _due(run, plan, p, i))
    return sorted(latest.values(), key=lambda f: (f[2], f[1]))


# -- decide ---------------------------------------------------------------------
def decide(paging: PagingState, world: World, command: c.PagingCommand, now: datetime) -> Events:
    """The events of a paging command; raises ``Rejected``/``NotFound``."""
    match command:
        case c.FirePaging():
            alert = world.alerts.alerts.get(command.alert_id)
            held = paging.alerts.get(command.alert_id)
            if alert is None or held is None or alert.status == "closed" or _snoozed(alert, now):
                return []
            return _fire(world, alert, held.runs, held.cycles, now)
        case c.EscalateToNext():
            return _escalate_to_next(paging, world, command, now)
        case c.RecordDelivery():
            return _record_delivery(paging, command, now)
    raise AssertionError(f"unhandled command {command!r}")  # pragma: no cover


def _snoozed(alert: alerts.Alert, now: datetime) -> bool:
    return alert.snoozed and alert.snoozed_until is not None and alert.snoozed_until > now


def _fire(
    world: World,
    alert: alerts.Alert,
    runs: Sequence[Run],
    cycles: dict[str, Cycle],
    now: datetime,
    *,
    manual: dict[str, tuple[int, int]] | None = None,
    earlier: dict[str, Cycle] | None = None,
) -> Events:
    """Fire what is due of ``runs`` (or, with ``manual``, the given firing of each run)
    and of the people's ``cycles``, at ``now``.

    A person reached again at the instant an ``earlier`` cycle of theirs started (two
    firings at one instant, e.g. the timer's then a manual escalation) keeps what that
    cycle already paged: the same page is never requested twice (I4)."""
    earlier = cycles if earlier is None else earlier
    events: Events = []
    reached: dict[str, tuple[str, bool, bool]] = {}  # account -> (reason, until_closed, late)
    acked = [alert.acknowledged]  # a repeat may reset it
    for run in runs:
        plan = _plan(world, run)
        if plan is None:  # pragma: no cover -- see _plan
            continue
        if manual is None:
            firings = _due_firings(run, plan, now)
        elif run.run_id in manual:
            p, i = manual[run.run_id]
            firings = [(p, i, now)]
        else:
            continue
        for pass_no, index, due in firings:
            firing = (pass_no, index, due)
            events += _fire_rule(world, alert, run, plan, firing, now, reached, acked, manual)
    for account, (reason, until_closed, late) in reached.items():
        cycle = Cycle(account_id=account, started_at=now, reason=reason, until_closed=until_closed)
        before = earlier.get(account)
        if before is not None and before.started_at == now:
            cycle.processed_until = before.processed_until
        events += _cycle_pages(world, alert, cycle, now, first=True, late=late)
    for account, cycle in cycles.items():
        if account not in reached:
            events += _cycle_pages(world, alert, cycle, now, first=False)
    return events


def _fire_rule(
    world: World,
    alert: alerts.Alert,
    run: Run,
    plan: _Plan,
    firing: tuple[int, int, datetime],
    now: datetime,
    reached: dict[str, tuple[str, bool, bool]],
    acked: list[bool],
    manual: dict[str, tuple[int, int]] | None,
) -> Events:
    pass_no, index, due = firing
    events: Events = []
    late = now - due > LATE_AFTER
    fired = e.EscalationRuleFired(
        alert_id=alert.id,
        at=now,
        run_id=run.run_id,
        pass_no=pass_no,
        rule_index=index,
        due_at=due,
        outcome="",
        late=late,
        manual=manual is not None,
    )
    if index >= len(plan.rules):
        note = f"Closed by {plan.name}: every repeat was done"
        close = alerts.CloseAlert(alert_id=alert.id, source="escalation", note=note)
        closing = list(alerts.decide(world.alerts, close, now))
        return [replace(fired, outcome="closed", detail=note), *closing]
    rule = plan.rules[index]
    until_closed = rule.condition == "if-not-closed"
    fired = replace(fired, until_closed=until_closed)
    label = f"{plan.name}, rule {index + 1}" + (f", repeat {pass_no}" if pass_no else "")
    reset = plan.repeat.reset_recipient_states and pass_no > 0 and index == 0
    if reset and acked[0] and manual is None:
        note = f"Acknowledgement reset by {plan.name}'s repeat {pass_no}"
        unack = alerts.UnacknowledgeAlert(alert_id=alert.id, source="escalation", note=note)
        events += alerts.decide(world.alerts, unack, now)
        acked[0] = False
    if acked[0] and not until_closed and manual is None:
        skipped = replace(fired, outcome="skipped", detail=f"{label}: acknowledged")
        return [*events, skipped]
    people, why = recipients(world, rule, now)
    if not people:
        return [*events, replace(fired, outcome="nobody", detail=f"{label}: {why}")]
    reason = f"{label} ({why})"
    for account in people:
        earlier = reached.get(account)
        if earlier is not None:
            reached[account] = (reason, until_closed or earlier[1], late and earlier[2])
        else:
            reached[account] = (reason, until_closed, late)
    paged = replace(fired, outcome="paged", recipients=people, detail=reason)
    return [*events, paged]


def recipients(
    world: World, rule: escalations.EscalationRule, now: datetime
) -> tuple[tuple[str, ...], str]:
    """The members a rule reaches at ``now`` (account ids, in order) and a description.

    With nobody to reach, the description says why (nobody on call, team empty...).
    """
    kind, ident = rule.recipient.type, rule.recipient.id
    members = world.access.members
    if kind == "user":
        member = members.get(ident)
        if member is None:
            return (), "the user is no longer a member"
        return (ident,), f"user {member.email}"
    if kind == "team":
        team = world.teams.teams.get(ident)
        if team is None:
            return (), "the team no longer exists"
        people = tuple(a for a in team.members if a in members)
        return people, f"team {team.name!r}" if people else f"team {team.name!r} has no members"
    record = world.schedules.schedules.get(ident)
    if record is None:
        return (), "the schedule no longer exists"
    schedule = record.schedule
    label = f"schedule {schedule.name!r}"
    if not schedule.enabled:
        return (), f"{label} is disabled"
    keys = _schedule_keys(schedule, rule.notify_type, now)
    people = _expand(world, keys)
    if not people:
        return (), f"nobody on call in {label}" + (
            "" if rule.notify_type == "default" else f" ({rule.notify_type})"
        )
    which = "" if rule.notify_type == "default" else f", {rule.notify_type} on call"
    return people, f"{label}{which}"


def _schedule_keys(schedule: schedules.Schedule, notify_type: str, now: datetime) -> Iterable[str]:
    if notify_type == "next":
        period = schedules.next_on_call(schedule, now)
        return period.users if period is not None else ()
    if notify_type == "previous":
        periods = schedules.timeline(schedule, now - _PREVIOUS_WINDOW, now + _TICK)
        current = next((i for i, p in enumerate(periods) if p.start <= now < p.end), None)
        earlier = [p for p in periods[: current or 0] if p.users]
        return earlier[-1].users if current and earlier else ()
    if notify_type == "all":
        participants = (p for r in schedule.rotations for p in r.participants)
        return [schedules.recipient_key(p.type, p.id) for p in participants if p.type != "none"]
    return schedules.on_call_at(schedule, now).users


def _expand(world: World, keys: Iterable[str]) -> tuple[str, ...]:
    """Account ids of recipient keys (teams become their members), members only, once."""
    people: dict[str, None] = {}
    for key in keys:
        kind, ident = schedules.split_recipient(key)
        if kind == "team":
            team = world.teams.teams.get(ident)
            people |= dict.fromkeys(team.members if team is not None else ())
        elif ident:
            people[ident] = None
    return tuple(a for a in people if a in world.access.members)


def _cycle_pages(
    world: World,
    alert: alerts.Alert,
    cycle: Cycle,
    now: datetime,
    *,
    first: bool,
    late: bool = False,
) -> Events:
    """The pages of ``cycle`` due by ``now``: one per contact method, or why not."""
    account = cycle.account_id
    member = world.access.members.get(account)

    def skipped(method_id: str, reason: str, due: datetime) -> e.NotificationSkipped:
        return e.NotificationSkipped(
            alert_id=alert.id,
            at=now,
            account_id=account,
            contact_method_id=method_id,
            reason=reason,
            due_at=due,
        )

    if member is None:  # removed since the rule reached them: their cycle ends quietly
        return []
    plan = contacts.notification_plan(
        world.contacts, account, member.email, alert.priority, cycle.started_at
    )
    if not plan and first:
        reason = f"no notification rule of {member.email} applies to a {alert.priority} alert"
        return [skipped("", reason, now)]
    due_by_method: dict[str, datetime] = {}
    for step in plan:
        t = cycle.started_at + timedelta(minutes=step.delay_minutes)
        if t > now or t < step.since:
            continue
        if cycle.processed_until is not None and t <= cycle.processed_until:
            continue
        previous = due_by_method.get(step.contact_method_id)
        due_by_method[step.contact_method_id] = t if previous is None else max(previous, t)
    events: Events = []
    for method_id, due in sorted(due_by_method.items(), key=lambda item: item[1]):
        method = contacts.method_of(world.contacts, account, member.email, method_id)
        if method is None:  # pragma: no cover -- deleting a method deletes its steps
            continue
        skip = _why_not(world, method, account, alert.priority, now)
        if skip is not None:
            events.append(skipped(method_id, skip, due))
            continue
        events.append(
            e.NotificationRequested(
                notification_id=notification_id(
                    alert.id, account, cycle.started_at, method_id, due
                ),
                contact_method_id=method_id,
                method=method.method,
                address=method.address,
                due_at=due,
                reason=cycle.reason,
                late=late or now - due > LATE_AFTER,
                until_closed=cycle.until_closed,
                alert_id=alert.id,
                at=now,
                account_id=account,
            )
        )
    return events


def _why_not(
    world: World, method: contacts.ContactMethod, account: str, priority: str, now: datetime
) -> str | None:
    if not method.enabled:
        return "the contact method is disabled"
    if not method.verified:
        return "the contact method is not verified"
    if contacts.quiet_at(world.contacts, account, priority, now):
        return "quiet hours"
    return None


def notification_id(
    alert_id: str, account: str, started_at: datetime, method_id: str, due: datetime
) -> str:
    """The stable id of one page: the same firing always has the same id."""
    key = f"{alert_id}|{account}|{started_at.isoformat()}|{method_id}|{due.isoformat()}"
    return str(uuid.uuid5(_NAMESPACE, key))


def _escalate_to_next(
    paging: PagingState, world: World, command: c.EscalateToNext, now: datetime
) -> Events:
    alert = world.alerts.alerts.get(command.alert_id)
    if alert is None:
        raise NotFound("alert_not_found", f"Alert {command.alert_id!r} does not exist")
    if alert.status == "closed":
        raise Rejected("alert_closed", "a closed alert cannot be escalated")
    held = paging.alerts.get(alert.id)
    runs = held.runs if held is not None else []
    if any(run.held_by is not None for run in runs):
        raise Rejected("in_maintenance", "the alert is in a maintenance window; it does not page")
    manual: dict[str, tuple[int, int]] = {}
    for run in runs:
        plan = _plan(world, run)
        if plan is None or not plan.rules:
            continue
        nxt = _next(run, plan)
        if nxt is None or nxt[1] >= len(plan.rules):  # used up: page the last rule again
            manual[run.run_id] = (_passes(plan) - 1, len(plan.rules) - 1)
        else:
            manual[run.run_id] = (nxt[0], nxt[1])
    if not manual:
        raise Rejected("no_escalation", "the alert has no escalation to advance")
    events: Events = []
    if alert.acknowledged:
        unack = alerts.UnacknowledgeAlert(
            alert_id=alert.id, user=command.user, source=command.source, note=command.note
        )
        events += alerts.decide(world.alerts, unack, now)
    assert held is not None
    return events + _fire(world, alert, runs, {}, now, manual=manual, earlier=held.cycles)


def _record_delivery(paging: PagingState, command: c.RecordDelivery, now: datetime) -> Events:
    """The outcome of a page, once: for a pending page, or one withdrawn meanwhile."""
    ident = command.notification_id
    if ident not in paging.outbox and not _was_cancelled(paging, command):
        return []
    alert_id, dup = command.alert_id, command.possibly_duplicate
    if command.delivered:
        return [
            e.NotificationDelivered(
                alert_id=alert_id,
                at=now,
                notification_id=ident,
                detail=command.detail,
                possibly_duplicate=dup,
                provider_ref=command.provider_ref,
            )
        ]
    return [
        e.NotificationFailed(
            alert_id=alert_id,
            at=now,
            notification_id=ident,
            reason=command.detail,
            possibly_duplicate=dup,
        )
    ]


def _was_cancelled(paging: PagingState, command: c.RecordDelivery) -> bool:
    return any(
        r.notification_id == command.notification_id and r.status == "cancelled"
        for records in paging.recent.values()
        for r in records
    )


# -- react ------------------------------------------------------------------------
def react(paging: PagingState, world: World, events: Sequence[object], now: datetime) -> Events:
    """The paging caused by other areas' committed-to-be events (already evolved into
    ``world``): new alerts and responders start escalations, an acknowledge or close
    withdraws undelivered pages, the end of a maintenance window releases held runs."""
    out: Events = []
    for event in events:
        match event:
            case alerts.AlertCreated():
                alert = world.alerts.alerts[event.alert_id]
                out += _start(paging, world, alert, alert.responders, now, alert.created_at)
            case alerts.AlertResponderAdded():
                alert = world.alerts.alerts[event.alert_id]
                out += _start(paging, world, alert, (event.responder,), now, now)
            case alerts.AlertEscalated():
                alert = world.alerts.alerts[event.alert_id]
                out += _start(paging, world, alert, (event.escalation,), now, now)
            case alerts.AlertAcknowledged():
                out += _withdraw(
                    paging, event.alert_id, "acknowledged", now, keep_until_closed=True
                )
            case alerts.AlertClosed():
                out += _withdraw(paging, event.alert_id, "closed", now)
            case alerts.AlertDeleted():
                out += _withdraw(paging, event.alert_id, "deleted", now)
            case maintenance.MaintenanceEnded():
                out += _release(paging, world, event.maintenance_id, now)
            case _:
                pass
    return out


class _Target(NamedTuple):
    decision: e.RoutingDecided
    policy: escalations.EscalationPolicy | None = None
    recipient: escalations.Recipient | None = None


def _start(
    paging: PagingState,
    world: World,
    alert: alerts.Alert,
    responders: Iterable[alerts.Responder],
    now: datetime,
    started_at: datetime,
) -> Events:
    held = paging.alerts.get(alert.id)
    number = len(held.runs) if held is not None else 0
    integration = alert.integration.id if alert.integration is not None else None
    events: Events = []
    runs: list[Run] = []
    for responder in responders:
        target = _route(world, alert, responder, now)
        events.append(target.decision)
        if target.policy is None and target.recipient is None:
            continue
        policy_ids = [target.policy.id] if target.policy is not None else []
        window = maintenance.covering(world.maintenance, now, integration, policy_ids)
        started = e.EscalationStarted(
            alert_id=alert.id,
            at=now,
            run_id=f"{alert.id}:{number}",
            started_at=started_at,
            reason=_describe(world, target.decision),
            policy_id=target.policy.id if target.policy is not None else None,
            policy_version=target.policy.version if target.policy is not None else 0,
            recipient_type=target.recipient.type if target.recipient is not None else "",
            recipient_id=target.recipient.id if target.recipient is not None else "",
            held_by=window.id if window is not None else None,
        )
        number += 1
        events.append(started)
        runs.append(run_of(started))
    if alert.status != "closed" and not _snoozed(alert, now):
        free = [r for r in runs if r.held_by is None]
        known = held.cycles if held is not None else {}
        events += _fire(world, alert, free, {}, now, earlier=known)
    return events


def _describe(world: World, decision: e.RoutingDecided) -> str:
    """Why a run exists, by names: "team 'ops', routing rule 'db' -> escalation 'db-oncall'"."""
    kind = decision.responder_type
    who = f"{kind} {_name_of(world, kind, decision.responder_id)}"
    if decision.rule_id is not None:
        who += f", routing rule {decision.rule_name!r}"
    target = decision.target_type
    named = "team" if target == "members" else target
    return f"{who} -> {target} {_name_of(world, named, decision.target_id or '')}"


def _name_of(world: World, kind: str, ident: str) -> str:
    """A responder's or target's name for people to read (its id when it has none)."""
    name: str | None = None
    if kind == "escalation":
        policy = world.escalations.policies.get(ident)
        name = policy.name if policy is not None else None
    elif kind == "schedule":
        record = world.schedules.schedules.get(ident)
        name = record.schedule.name if record is not None else None
    elif kind == "team":
        team = world.teams.teams.get(ident)
        name = team.name if team is not None else None
    elif kind == "user":
        member = world.access.members.get(ident)
        return member.email if member is not None else ident
    return repr(name) if name is not None else ident


def _route(
    world: World, alert: alerts.Alert, responder: alerts.Responder, now: datetime
) -> _Target:
    """How ``responder`` is paged: a policy, one recipient, or nobody (and why)."""
    kind, ident = responder.type, responder.id
    rule_id: str | None = None
    rule_name = ""

    def decided(
        target_type: str, target_id: str | None = None, detail: str = ""
    ) -> e.RoutingDecided:
        return e.RoutingDecided(
            alert_id=alert.id,
            at=now,
            responder_type=kind,
            responder_id=ident,
            target_type=target_type,
            target_id=target_id,
            rule_id=rule_id,
            rule_name=rule_name,
            detail=detail,
        )

    def follow(policy: escalations.EscalationPolicy | None) -> _Target:
        if policy is None:
            return _Target(decided("none", detail="the escalation policy does not exist"))
        return _Target(decided("escalation", policy.id), policy=policy)

    def page(recipient_type: str, recipient_id: str) -> _Target:
        target_type = "members" if recipient_type == "team" else recipient_type
        recipient = escalations.Recipient(type=recipient_type, id=recipient_id)
        return _Target(decided(target_type, recipient_id), recipient=recipient)

    if kind == "escalation":
        policies = world.escalations
        return follow(policies.policies.get(ident) or escalations.policy_by_name(policies, ident))
    if kind == "schedule":
        found = schedules.schedule_id_of(world.schedules, ident)
        if found is None:
            return _Target(decided("none", detail="no such schedule"))
        return page("schedule", found)
    if kind == "user":
        member = world.access.members.get(ident) or member_by_email(world.access, ident)
        if member is None:
            return _Target(decided("none", detail="no such member"))
        return page("user", member.account_id)
    team = world.teams.teams.get(ident)
    if team is None:
        return _Target(decided("none", detail="no such team"))
    route = routing.route(world.routing, team.id, alert, now)
    rule_id, rule_name = route.rule_id, route.rule_name
    if route.target_type == "escalation" and route.target_id is not None:
        return follow(world.escalations.policies.get(route.target_id))
    if route.target_type == "schedule" and route.target_id is not None:
        return page("schedule", route.target_id)
    if route.target_type == "none":
        return _Target(decided("none", detail=f"routing rule {rule_name!r} notifies nobody"))
    policy = escalations.default_policy_of_team(world.escalations, team.id, team.name)
    return follow(policy) if policy is not None else page("team", team.id)


def _withdraw(
    paging: PagingState, alert_id: str, why: str, now: datetime, *, keep_until_closed: bool = False
) -> Events:
    return [
        e.NotificationCancelled(
            alert_id=alert_id, at=now, notification_id=pending.notification_id, reason=why
        )
        for pending in map(paging.outbox.__getitem__, paging.outbox_of.get(alert_id, ()))
        if not (keep_until_closed and pending.until_closed)
    ]


def withdraw_pages_of(paging: PagingState, account_id: str, now: datetime) -> Events:
    """
    Withdraw every undelivered page of ``account_id``, a member who left the organization.

    Without this the pages would stay in the outbox until their alerts closed, the
    notifier skipping them at every sweep. One pass over the outbox (the pending pages of
    every alert, in the order they were requested): a member leaves rarely, and an index
    by person would cost every page its upkeep.

    Args:
        paging: the paging state.
        account_id: the member removed in the same batch.
        now: the batch's time, stamped on the events.

    Returns:
        One ``NotificationCancelled`` per pending page of theirs (``[]`` when none).
    """
    return [
        e.NotificationCancelled(
            alert_id=pending.alert_id,
            at=now,
            notification_id=pending.notification_id,
            reason="member removed",
        )
        for pending in paging.outbox.values()
        if pending.account_id == account_id
    ]


def _release(paging: PagingState, world: World, maintenance_id: str, now: datetime) -> Events:
    """Runs held by the window that ended start over now, from their first rule."""
    events: Events = []
    for alert_id, held in paging.alerts.items():
        released = [run for run in held.runs if run.held_by == maintenance_id]
        alert = world.alerts.alerts.get(alert_id)
        if not released or alert is None or alert.status == "closed":
            continue
        fresh = []
        for run in released:
            events.append(e.EscalationResumed(alert_id=alert_id, at=now, run_id=run.run_id))
            fresh.append(_restarted(run, now))
        if not _snoozed(alert, now):
            events += _fire(world, alert, fresh, {}, now, earlier=held.cycles)
    return events


# -- evolve -----------------------------------------------------------------------
def run_of(event: e.EscalationStarted) -> Run:
    return Run(
        run_id=event.run_id,
        started_at=event.started_at,
        reason=event.reason,
        policy_id=event.policy_id,
        policy_version=event.policy_version,
        recipient_type=event.recipient_type,
        recipient_id=event.recipient_id,
        held_by=event.held_by,
    )


def _restarted(run: Run, at: datetime) -> Run:
    """``run`` started over at ``at`` from its first rule (a held run released)."""
    return replace(run, started_at=at, held_by=None, next_pass=0, next_index=0, done=False)


def evolve(paging: PagingState, world: World, event: e.PagingEvent) -> None:
    """Apply a committed paging event (in place); total."""
    held = paging.alerts.get(event.alert_id)
    match event:
        case e.EscalationStarted():
            if held is None:
                held = paging.alerts[event.alert_id] = AlertPaging()
            held.runs.append(run_of(event))
        case e.EscalationResumed() if held is not None:
            for i, run in enumerate(held.runs):
                if run.run_id == event.run_id:
                    held.runs[i] = _restarted(run, event.at)
        case e.EscalationRuleFired() if held is not None:
            _fired(paging, world, held, event)
        case e.NotificationRequested():
            paging.outbox_of.setdefault(event.alert_id, {})[event.notification_id] = None
            paging.outbox[event.notification_id] = Pending(
                notification_id=event.notification_id,
                alert_id=event.alert_id,
                account_id=event.account_id,
                contact_method_id=event.contact_method_id,
                method=event.method,
                address=event.address,
                requested_at=event.at,
                due_at=event.due_at,
                reason=event.reason,
                late=event.late,
                until_closed=event.until_closed,
            )
            _processed(held, event.account_id, event.due_at)
            _remember(paging, event.account_id, event, "requested", event.reason)
        case e.NotificationSkipped():
            _processed(held, event.account_id, event.due_at)
            _remember(paging, event.account_id, event, "skipped", event.reason)
        case e.NotificationDelivered():
            _thread(paging, held, event)
            _settle(paging, event.notification_id, "delivered", event.detail, event)
        case e.NotificationFailed():
            _settle(paging, event.notification_id, "failed", event.reason, event)
        case e.NotificationCancelled():
            _settle(paging, event.notification_id, "cancelled", event.reason, event)
        case _:
            return
    _refresh(paging, world, event.alert_id)


def _fired(
    paging: PagingState, world: World, held: AlertPaging, event: e.EscalationRuleFired
) -> None:
    for run in held.runs:
        if run.run_id != event.run_id:
            continue
        plan = _plan(world, run)
        if plan is not None and (event.pass_no, event.rule_index) >= (
            run.next_pass,
            run.next_index,
        ):
            run.next_pass, run.next_index, run.done = _after(plan, event.pass_no, event.rule_index)
    if event.outcome != "paged":
        return
    for account in event.recipients:
        earlier = held.cycles.get(account)
        # reached again at the instant the earlier cycle started: its pages stand
        if earlier is None or earlier.started_at != event.at:
            earlier = None
        held.cycles[account] = Cycle(
            account_id=account,
            started_at=event.at,
            reason=event.detail,
            until_closed=event.until_closed or (earlier is not None and earlier.until_closed),
            processed_until=earlier.processed_until if earlier is not None else None,
        )
        paging.cycles_of.setdefault(account, {})[event.alert_id] = None


def _processed(held: AlertPaging | None, account: str, due: datetime) -> None:
    cycle = held.cycles.get(account) if held is not None else None
    if cycle is not None and (cycle.processed_until is None or due > cycle.processed_until):
        cycle.processed_until = due


def _remember(
    paging: PagingState,
    account: str,
    event: e.NotificationRequested | e.NotificationSkipped,
    status: str,
    reason: str,
) -> None:
    ident = event.notification_id if isinstance(event, e.NotificationRequested) else ""
    method = event.method if isinstance(event, e.NotificationRequested) else ""
    records = paging.recent.setdefault(account, [])
    records.append(
        NotificationRecord(
            notification_id=ident,
            alert_id=event.alert_id,
            contact_method_id=event.contact_method_id,
            method=method,
            status=status,
            reason=reason,
            at=event.at,
            late=isinstance(event, e.NotificationRequested) and event.late,
        )
    )
    if len(records) > RECENT_PER_ACCOUNT:
        del records[: len(records) - RECENT_PER_ACCOUNT]


def _thread(paging: PagingState, held: AlertPaging | None, event: e.NotificationDelivered) -> None:
    """The alert's first Slack message at an address starts the thread later pages join."""
    pending = paging.outbox.get(event.notification_id)
    slack = pending is not None and pending.method == "slack"
    if held is not None and pending is not None and slack and event.provider_ref:
        held.threads.setdefault(pending.address, event.provider_ref)


def _settle(
    paging: PagingState,
    ident: str,
    status: str,
    reason: str,
    event: e.NotificationDelivered | e.NotificationFailed | e.NotificationCancelled,
) -> None:
    pending = paging.outbox.pop(ident, None)
    if pending is not None:
        ids = paging.outbox_of[pending.alert_id]
        del ids[ident]
        if not ids:
            del paging.outbox_of[pending.alert_id]
    account = pending.account_id if pending is not None else None
    for key in [account] if account is not None else list(paging.recent):
        for record in reversed(paging.recent.get(key, [])):
            if record.notification_id == ident:
                record.status, record.reason, record.at = status, reason or record.reason, event.at
                record.possibly_duplicate = getattr(event, "possibly_duplicate", False)
                return


def on_alert_event(paging: PagingState, world: World, event: alerts.AlertEvent) -> None:
    """Keep the alert's paging in step with the alert (called after the alert evolved)."""
    held = paging.alerts.get(event.alert_id)
    if held is None:
        return
    if isinstance(event, alerts.AlertClosed | alerts.AlertDeleted):
        del paging.alerts[event.alert_id]
        paging.due.pop(event.alert_id, None)
        for account in held.cycles:
            paging.cycles_of.get(account, {}).pop(event.alert_id, None)
        return
    if isinstance(event, alerts.AlertAcknowledged):
        held.cycles = {a: cycle for a, cycle in held.cycles.items() if cycle.until_closed}
    _refresh(paging, world, event.alert_id)


def on_account_change(paging: PagingState, world: World, account_id: str) -> None:
    """A person's notification rules changed: their cycles' due-times may have."""
    alert_ids = paging.cycles_of.get(account_id)
    if not alert_ids:
        return
    live = {
        a: None for a in alert_ids if a in paging.alerts and account_id in paging.alerts[a].cycles
    }
    paging.cycles_of[account_id] = live
    for alert_id in live:
        _refresh(paging, world, alert_id)


# -- timers -----------------------------------------------------------------------
def alert_due(paging: PagingState, world: World, alert_id: str) -> datetime | None:
    """When ``alert_id``'s paging next needs the timer (None: nothing pending)."""
    held = paging.alerts.get(alert_id)
    alert = world.alerts.alerts.get(alert_id)
    if held is None or alert is None or alert.status == "closed":
        return None
    dues: list[datetime] = []
    for run in held.runs:
        policy = _plan(world, run)
        nxt = _next(run, policy) if policy is not None else None
        if nxt is not None:
            dues.append(nxt[2])
    member_of = world.access.members
    for cycle in held.cycles.values():
        member = member_of.get(cycle.account_id)
        if member is None:
            continue
        steps = contacts.notification_plan(
            world.contacts, cycle.account_id, member.email, alert.priority, cycle.started_at
        )
        for step in steps:
            t = cycle.started_at + timedelta(minutes=step.delay_minutes)
            if t >= step.since and (cycle.processed_until is None or t > cycle.processed_until):
                dues.append(t)
    due = min(dues, default=None)
    if due is not None and alert.snoozed and alert.snoozed_until is not None:
        due = max(due, alert.snoozed_until)
    return due


# A heap of (due, alert id) beside each paging state: a cache over ``PagingState.due``
# (entries whose due-time changed since are skipped), built from it on first use, so
# it is not part of the state a snapshot or a replay must reproduce.
# Keyed by the state's id; an entry leaves with its state (``weakref.finalize``).
_heaps: dict[int, list[tuple[datetime, str]]] = {}


def _heap(paging: PagingState) -> list[tuple[datetime, str]]:
    heap = _heaps.get(id(paging))
    if heap is None:
        heap = [(due, alert_id) for alert_id, due in paging.due.items()]
        heapq.heapify(heap)
        _heaps[id(paging)] = heap
        weakref.finalize(paging, _heaps.pop, id(paging), None)
    return heap


def _refresh(paging: PagingState, world: World, alert_id: str) -> None:
    due = alert_due(paging, world, alert_id)
    if due is None:
        paging.due.pop(alert_id, None)
    elif paging.due.get(alert_id) != due:
        paging.due[alert_id] = due
        heap = _heaps.get(id(paging))
        if heap is not None:
            heapq.heappush(heap, (due, alert_id))


def next_due(paging: PagingState) -> datetime | None:
    """The earliest due-time of any alert's paging (drops outdated heap entries)."""
    heap, due = _heap(paging), paging.due
    while heap and due.get(heap[0][1]) != heap[0][0]:
        heapq.heappop(heap)
    return heap[0][0] if heap else None


def due_alerts(paging: PagingState, now: datetime) -> list[str]:
    """Alerts whose paging is due at ``now``, earliest first (each becomes ``FirePaging``)."""
    heap, due = _heap(paging), paging.due
    found: list[tuple[datetime, str]] = []
    while heap and heap[0][0] <= now:
        entry = heapq.heappop(heap)
        if due.get(entry[1]) == entry[0]:
            found.append(entry)
    for entry in found:  # still due until their firing is committed
        heapq.heappush(heap, entry)
    return list(dict.fromkeys(alert_id for _, alert_id in found))
