"""decide/evolve for a whole organization: route to the owning area.

``evolve`` mutates the state in place and returns it. This is deliberate: an
organization may hold 100k alerts and replay must fold hundreds of thousands
of events per second, which copying frozen structures cannot do in Python.
It is safe because the org actor owns the only copy, and when an append
fails the actor discards the state and rebuilds it from the log
(design.md decision 4). ``decide`` never mutates.

``execute`` wraps ``decide`` with the request-level idempotency of
reliability.md decision 2: a command carrying an Idempotency-Key that was
already accepted returns the recorded outcome and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Final

import msgspec

from engine import (
    access,
    alerts,
    contacts,
    escalations,
    heartbeats,
    identity,
    integrations,
    maintenance,
    paging,
    routing,
    schedules,
    teams,
)
from engine.context import CommandContext
from engine.errors import Conflict, NotFound, Rejected
from engine.org.events import Command, Event, RequestRecorded
from engine.org.responders import resolve_responder, with_resolved_responders
from engine.org.state import OrgState, Outcome, RecordedRequest

__all__ = ["IDEMPOTENCY_TTL", "decide", "due_commands", "evolve", "execute", "fold", "next_due"]

IDEMPOTENCY_TTL = timedelta(hours=24)

_ACCESS_COMMANDS = access.ACCESS_COMMAND_TYPES


def decide(state: OrgState, command: Command, now: datetime) -> list[Event]:
    """The events ``command`` produces against ``state``; raises ``Rejected``."""
    if isinstance(command, _ACCESS_COMMANDS):
        return _decide_access(state, command, now)
    if isinstance(command, teams.TEAM_COMMAND_TYPES):
        return _decide_team(state, command, now)
    if isinstance(command, integrations.INTEGRATION_COMMAND_TYPES):
        return list(integrations.decide(state.integrations, command, now))
    if isinstance(command, heartbeats.HEARTBEAT_COMMAND_TYPES):
        return _decide_heartbeat(state, command, now)
    if isinstance(command, schedules.SCHEDULE_COMMAND_TYPES):
        return _decide_schedule(state, command, now)
    if isinstance(command, identity.IDENTITY_COMMAND_TYPES):
        return list(identity.decide(state.identity, command, now))
    if isinstance(command, escalations.ESCALATION_COMMAND_TYPES):
        return _decide_escalation(state, command, now)
    if isinstance(command, maintenance.MAINTENANCE_COMMAND_TYPES):
        return _decide_maintenance(state, command, now)
    if isinstance(command, routing.ROUTING_COMMAND_TYPES):
        return _decide_routing(state, command, now)
    if isinstance(command, contacts.CONTACT_COMMAND_TYPES):
        return _decide_contacts(state, command, now)
    if isinstance(command, paging.PAGING_COMMAND_TYPES):
        return list(paging.decide(state.paging, state, command, now))
    _check_integration_enabled(state, command)
    return list(alerts.decide(state.alerts, with_resolved_responders(state, command), now))


def _check_integration_enabled(state: OrgState, command: Command) -> None:
    """Refuse an alert command sent through a disabled integration.

    The webhooks check this before submitting, for a clear 403; checking again
    here, in the actor, closes the race with a disable committed meanwhile.
    """
    integration = getattr(command, "integration", None)
    integration_id = getattr(command, "integration_id", None) or (
        integration.id if integration is not None else None
    )
    record = state.integrations.integrations.get(integration_id) if integration_id else None
    if record is not None and not record.enabled:
        raise Rejected(
            "integration_disabled", f"integration {record.name!r} is disabled", field="integration"
        )


def evolve(state: OrgState, event: Event) -> OrgState:
    """Apply one committed event; total, never raises.

    Dispatched by the event's exact type (every event class is final): one dict
    lookup instead of up to a dozen ``isinstance`` checks against the areas' type
    tuples, which took about half of replay's fold time.
    """
    state.version += 1
    _EVOLVERS.get(type(event), _evolve_alert)(state, event)
    return state


def _evolve_contact(state: OrgState, event: contacts.ContactEvent) -> None:
    contacts.evolve(state.contacts, event)
    paging.on_account_change(state.paging, state, event.account_id)


def _evolve_alert(state: OrgState, event: alerts.AlertEvent) -> None:
    alerts.evolve(state.alerts, event)
    paging.on_alert_event(state.paging, state, event)


_Evolver = Callable[[OrgState, Any], object]  # (some areas return their state)


def _evolvers() -> dict[type, _Evolver]:
    """The evolve of each event type, from the areas' event type tuples."""
    areas: list[tuple[tuple[type, ...], _Evolver]] = [
        ((RequestRecorded,), lambda s, e: _record_request(s, e)),  # (defined below)
        (access.ACCESS_EVENT_TYPES, lambda s, e: access.evolve(s.access, e)),
        (integrations.INTEGRATION_EVENT_TYPES, lambda s, e: integrations.evolve(s.integrations, e)),
        (heartbeats.HEARTBEAT_EVENT_TYPES, lambda s, e: heartbeats.evolve(s.heartbeats, e)),
        (schedules.SCHEDULE_EVENT_TYPES, lambda s, e: schedules.evolve(s.schedules, e)),
        (identity.IDENTITY_EVENT_TYPES, lambda s, e: identity.evolve(s.identity, e)),
        (teams.TEAM_EVENT_TYPES, lambda s, e: teams.evolve(s.teams, e)),
        (contacts.CONTACT_EVENT_TYPES, _evolve_contact),
        (paging.PAGING_EVENT_TYPES, lambda s, e: paging.evolve(s.paging, s, e)),
        (escalations.ESCALATION_EVENT_TYPES, lambda s, e: escalations.evolve(s.escalations, e)),
        (maintenance.MAINTENANCE_EVENT_TYPES, lambda s, e: maintenance.evolve(s.maintenance, e)),
        (routing.ROUTING_EVENT_TYPES, lambda s, e: routing.evolve(s.routing, e)),
        (alerts.ALERT_EVENT_TYPES, _evolve_alert),
        (alerts.ALIAS_EVENT_TYPES, lambda s, e: alerts.evolve(s.alerts, e)),
    ]
    return {kind: apply for types, apply in areas for kind in types}


_EVOLVERS: Final = _evolvers()


def fold(state: OrgState, events: Iterable[Event]) -> OrgState:
    for event in events:
        evolve(state, event)
    return state


def execute(
    state: OrgState, command: Command, ctx: CommandContext, now: datetime
) -> tuple[list[Event], Outcome]:
    """Decide ``command`` and evolve ``state`` with its events (in place).

    Returns the events to append and the outcome to answer. Raises
    ``Rejected`` (nothing changed) or ``Conflict`` when an Idempotency-Key is
    reused for a different request.
    """
    key = ctx.idempotency_key
    if key is not None and key in state.requests:
        recorded = state.requests[key]
        if recorded.fingerprint != ctx.fingerprint:
            raise Conflict(
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            )
        return [], recorded.outcome
    events = decide(state, command, now)
    for event in events:
        evolve(state, event)
    # What the command's events mean for paging (a new alert pages its responders,
    # an acknowledge withdraws undelivered pages), decided on the evolved state.
    reactions = paging.react(state.paging, state, events, now)
    for event in reactions:
        evolve(state, event)
    outcome = outcome_of(state, command, events)
    events += reactions
    if key is not None and events:
        recorded_event = RequestRecorded(
            key=key, fingerprint=ctx.fingerprint, outcome=outcome, at=now
        )
        evolve(state, recorded_event)
        events.append(recorded_event)
    return events, outcome


# Id fields of non-alert commands, reported as the outcome's ``subject_id`` (so a
# retried request with the same Idempotency-Key learns which entity it made).
# (``rule_id`` before ``team_id``: a routing rule command names both.)
_SUBJECT_FIELDS = (
    "integration_id",
    "schedule_id",
    "heartbeat_id",
    "method_id",
    "rule_id",
    "team_id",
    "policy_id",
    "maintenance_id",
)


def outcome_of(state: OrgState, command: Command, events: list[Event]) -> Outcome:
    """What to answer for ``command`` given the events it produced (already evolved)."""
    if isinstance(command, _ACCESS_COMMANDS):
        # Key commands answer their key; invitation and member commands their subject.
        key_id = getattr(command, "key_id", None) or None
        subject_id = getattr(command, "invitation_id", None) or getattr(command, "account_id", None)
        return Outcome(result="updated" if events else "noop", key_id=key_id, subject_id=subject_id)
    if isinstance(command, identity.IDENTITY_COMMAND_TYPES):
        return _identity_outcome(command, events)
    if not isinstance(command, alerts.ALERT_COMMAND_TYPES):
        subject_id = next(
            (value for name in _SUBJECT_FIELDS if (value := getattr(command, name, None))), None
        )
        return Outcome(result="updated" if events else "noop", subject_id=subject_id)
    alert_id = getattr(command, "alert_id", None)
    if alert_id is None and events:  # by-alias commands: the alert their events name
        alert_id = getattr(events[0], "alert_id", None)
    alert = state.alerts.alerts.get(alert_id) if alert_id else None
    if events and isinstance(events[0], alerts.AlertDeduplicated):
        alert_id = events[0].alert_id
        alert = state.alerts.alerts.get(alert_id) if alert_id else None
        result = "deduplicated"
    elif events and isinstance(events[0], alerts.AlertCreated):
        result = "created"
    elif isinstance(command, alerts.CreateAlert) and alerts.stale_firing(state.alerts, command):
        return Outcome(result="stale")  # a late firing of an episode already resolved: no alert
    elif isinstance(command, alerts.CloseAlertByAlias) and alerts.stale_resolve(
        state.alerts, command
    ):
        return Outcome(result="stale")  # a late resolve of an earlier episode: the alert stays
    else:  # a resolve that only recorded its episode's end (AlertAliasResolved) names no alert
        result = "updated" if events and alert_id else "noop"
    if alert is None:
        return Outcome(result=result, alert_id=alert_id)
    return Outcome(result=result, alert_id=alert.id, tiny_id=alert.tiny_id, count=alert.count)


def _identity_outcome(command: identity.IdentityCommand, events: list[Event]) -> Outcome:
    """The account (or, for session commands, the family) an identity command touched."""
    subject_id = getattr(command, "family_id", None) or getattr(command, "account_id", None)
    if subject_id is None and events:  # RotateSession names its family by token only
        subject_id = getattr(events[0], "family_id", None)
    return Outcome(result="updated" if events else "noop", subject_id=subject_id)


def _record_request(state: OrgState, event: RequestRecorded) -> None:
    horizon = event.at - IDEMPOTENCY_TTL
    requests = state.requests
    while requests:
        oldest = next(iter(requests))
        if requests[oldest].at >= horizon:
            break
        del requests[oldest]
    requests[event.key] = RecordedRequest(
        fingerprint=event.fingerprint, outcome=event.outcome, at=event.at
    )


def next_due(state: OrgState) -> datetime | None:
    """The earliest due-time of any timer in the organization."""
    dues = (
        alerts.next_due(state.alerts),
        heartbeats.next_due(state.heartbeats),
        schedules.next_due(state.schedules),
        maintenance.next_due(state.maintenance),
        paging.next_due(state.paging),
    )
    return min((due for due in dues if due is not None), default=None)


def due_commands(state: OrgState, now: datetime) -> list[Command]:
    """The system commands whose due-time has come (snooze end, heartbeat expiry)."""
    unsnoozes: list[Command] = [
        alerts.UnsnoozeAlert(alert_id=alert_id)
        for alert_id, until in state.alerts.snoozed_until.items()
        if until <= now
    ]
    expiries = heartbeats.due_heartbeats(state.heartbeats, now)
    handoffs: list[Command] = [
        schedules.RecordOnCall(schedule_id=schedule_id)
        for schedule_id in schedules.due_schedules(state.schedules, now)
    ]
    boundaries: list[Command] = [
        maintenance.RecordMaintenanceBoundary(maintenance_id=window_id)
        for window_id in maintenance.due_windows(state.maintenance, now)
    ]
    pages: list[Command] = [
        paging.FirePaging(alert_id=alert_id) for alert_id in paging.due_alerts(state.paging, now)
    ]
    return (
        unsnoozes
        + [heartbeats.ExpireHeartbeat(name=name) for name in expiries]
        + handoffs
        + boundaries
        + pages  # last: after the snoozes that end and the windows that close
    )


def _decide_access(state: OrgState, command: access.AccessCommand, now: datetime) -> list[Event]:
    """An access command's events, with the cross-area rules.

    A team-scoped API key must name an existing team; removing a member also
    removes them from every team they are in, every schedule (rotations, overrides,
    calendar feeds), every policy and their contacts, and withdraws their pages still
    pending in the outbox, in the same batch.
    """
    events: list[Event] = list(access.decide(state.access, command, now))
    first = events[0] if events else None
    if isinstance(first, access.ApiKeyCreated) and first.team_id is not None:
        teams.find_team(state.teams, first.team_id)
    elif isinstance(first, access.MemberRemoved):
        for team_id in teams.teams_of(state.teams, first.account_id):
            leave = teams.RemoveTeamMember(team_id=team_id, account_id=first.account_id)
            events += teams.decide(state.teams, leave, now)
        gone = schedules.RemoveRecipient(recipient_type="user", id=first.account_id)
        events += schedules.decide(state.schedules, gone, now)
        events += _remove_escalation_recipient(state, "user", first.account_id, now)
        events += contacts.remove_user(state.contacts, first.account_id, now)
        events += paging.withdraw_pages_of(state.paging, first.account_id, now)
    return events


def _decide_team(state: OrgState, command: teams.TeamCommand, now: datetime) -> list[Event]:
    """A team command's events; only members of the organization join a team.

    A new team may come with its default resources (``_create_team_extras``). A
    deleted team leaves every schedule (rotations, overrides, ownership) and policy
    (rules, ownership), and its routing rules go: its default schedule and policy
    stay, without an owner team.
    """
    if state.access.deleted_at is not None:
        raise Rejected("organization_deleted", "the organization was deleted")
    events: list[Event] = list(teams.decide(state.teams, command, now))
    if (
        isinstance(command, teams.AddTeamMember)
        and access.member_role(state.access, command.account_id) is None
    ):
        raise Rejected(
            "not_a_member", "only members of the organization join a team", field="account_id"
        )
    if isinstance(command, teams.CreateTeam):
        events += _create_team_extras(state, events, command, now)
    if isinstance(command, teams.DeleteTeam) and events:
        gone = schedules.RemoveRecipient(recipient_type="team", id=command.team_id)
        events += schedules.decide(state.schedules, gone, now)
        events += _remove_escalation_recipient(state, "team", command.team_id, now)
        leave = routing.RemoveRoutingTeam(team_id=command.team_id)
        events += routing.decide(state.routing, leave, now)
    return events


def _create_team_extras(
    state: OrgState, events: list[Event], command: teams.CreateTeam, now: datetime
) -> list[Event]:
    """A new team's members must be members here; its default resources, if asked for.

    The resources' commands name the new team, its members and each other by id, so
    they go straight to their areas' ``decide`` (nothing to resolve, and none of them
    is in ``state`` before this batch is evolved).
    """
    added = [e.account_id for e in events if isinstance(e, teams.TeamMemberAdded)]
    if any(access.member_role(state.access, a) is None for a in added):
        raise Rejected(
            "not_a_member", "only members of the organization join a team", field="members"
        )
    if command.defaults is None:
        return []
    created = events[0]
    assert isinstance(created, teams.TeamCreated)
    schedule_names = {r.schedule.name.casefold() for r in state.schedules.schedules.values()}
    made = teams.default_resource_commands(
        created.team_id,
        created.name,
        tuple(added),
        command.defaults,
        now,
        schedule_taken=lambda name: name.casefold() in schedule_names,
        policy_taken=lambda name: escalations.policy_by_name(state.escalations, name) is not None,
    )
    extras: list[Event] = list(schedules.decide(state.schedules, made.schedule, now))
    extras += escalations.decide(state.escalations, made.policy, now)
    extras += routing.decide(state.routing, made.rule, now)
    return extras


def _decide_contacts(
    state: OrgState, command: contacts.ContactCommand, now: datetime
) -> list[Event]:
    """A contacts command's events; only a member of the organization has contacts.

    The member's account email is the address of their default contact method.
    """
    if state.access.deleted_at is not None:
        raise Rejected("organization_deleted", "the organization was deleted")
    member = state.access.members.get(command.account_id)
    if member is None:
        raise NotFound("user_not_found", f"user {command.account_id!r} is not a member")
    return list(contacts.decide(state.contacts, command, now, email=member.email))


def _decide_schedule(
    state: OrgState, command: schedules.ScheduleCommand, now: datetime
) -> list[Event]:
    """A schedule command's events; the users and teams it names must exist here.

    Users are named by account id or email (Opsgenie's username), teams by id or
    name; the events carry the ids. Another organization's ids are unknown here.
    """

    def user(ref: str) -> str | None:
        member = state.access.members.get(ref) or access.member_by_email(state.access, ref)
        return None if member is None else member.account_id

    def team(ref: str) -> str | None:
        found = state.teams.teams.get(ref) or teams.team_by_name(state.teams, ref)
        return None if found is None else found.id

    resolved = schedules.resolve_references(command, user, team)
    events: list[Event] = list(schedules.decide(state.schedules, resolved, now))
    if isinstance(command, schedules.DeleteSchedule) and events:
        events += _remove_escalation_recipient(state, "schedule", command.schedule_id, now)
        events += _remove_routing_target(state, "schedule", command.schedule_id, now)
    return events


def _decide_escalation(
    state: OrgState, command: escalations.EscalationCommand, now: datetime
) -> list[Event]:
    """An escalation policy command's events; the recipients it names must exist here.

    Users are named by account id or email (Opsgenie's username), schedules and teams
    by id or name; the events carry the ids. Another organization's ids are unknown here.
    """

    def user(ref: str) -> str | None:
        member = state.access.members.get(ref) or access.member_by_email(state.access, ref)
        return None if member is None else member.account_id

    def schedule(ref: str) -> str | None:
        return schedules.schedule_id_of(state.schedules, ref)

    def team(ref: str) -> str | None:
        found = state.teams.teams.get(ref) or teams.team_by_name(state.teams, ref)
        return None if found is None else found.id

    resolved = escalations.resolve_references(command, user, schedule, team)
    events: list[Event] = list(escalations.decide(state.escalations, resolved, now))
    if isinstance(command, escalations.DeleteEscalationPolicy) and events:
        events += _remove_routing_target(state, "escalation", command.policy_id, now)
    return events


def _remove_escalation_recipient(
    state: OrgState, recipient_type: str, recipient_id: str, now: datetime
) -> list[Event]:
    """The new versions of the policies that page a departed user, team or schedule."""
    gone = escalations.RemoveRecipient(recipient_type=recipient_type, id=recipient_id)
    return list(escalations.decide(state.escalations, gone, now))


def _decide_heartbeat(
    state: OrgState, command: heartbeats.HeartbeatCommand, now: datetime
) -> list[Event]:
    """A heartbeat command's events, plus the alert its expiry raises or its ping closes."""
    events: list[Event] = list(heartbeats.decide(state.heartbeats, command, now))
    first = events[0] if events else None
    if isinstance(first, heartbeats.HeartbeatExpired):
        events += _raise_heartbeat_alert(state, first, now)
    elif isinstance(first, heartbeats.HeartbeatPinged):
        events += _close_heartbeat_alert(state, first.name, now)
    return events


def _raise_heartbeat_alert(
    state: OrgState, expired: heartbeats.HeartbeatExpired, now: datetime
) -> list[Event]:
    """The alert of an expired heartbeat: created, or counted on its open alias."""
    settings = state.heartbeats.heartbeats[expired.name].settings
    # The heartbeat's owner team is the alert's responder (Opsgenie): it pages the team.
    owner = alerts.Responder(type="team", id=settings.owner_team)
    command = alerts.CreateAlert(
        alert_id=expired.alert_id,
        message=settings.alert_message,
        alias=expired.alert_alias,
        tags=settings.alert_tags,
        priority=settings.alert_priority,
        entity=expired.name,
        source="heartbeat",
        responders=(resolve_responder(state, owner),) if settings.owner_team else (),
    )
    try:
        return list(alerts.decide(state.alerts, command, now))
    except Rejected:
        # A timer command must not fail, or the timer would retry it forever: the
        # expiry is still recorded (HeartbeatExpired) without an alert.
        return []


def _close_heartbeat_alert(state: OrgState, name: str, now: datetime) -> list[Event]:
    """A ping closes the heartbeat's open alert, if there is one."""
    alert_id = state.alerts.open_by_alias.get(heartbeats.alert_alias(name))
    if alert_id is None:
        return []
    close = alerts.CloseAlert(alert_id=alert_id, source="heartbeat", note="Heartbeat pinged")
    return list(alerts.decide(state.alerts, close, now))


def _decide_maintenance(
    state: OrgState, command: maintenance.MaintenanceCommand, now: datetime
) -> list[Event]:
    """A maintenance command's events; the integrations and policies it names must exist here.

    Entities are named by id. Another organization's ids are unknown here (422).
    """
    entities = getattr(command, "entities", None) or ()
    for entity in entities:
        known = (
            state.integrations.integrations
            if entity.type == "integration"
            else state.escalations.policies
        )
        if entity.type in maintenance.ENTITY_TYPES and entity.id.strip() not in known:
            kind = "Integration" if entity.type == "integration" else "Escalation policy"
            raise Rejected(
                "invalid_field", f"{kind} {entity.id!r} does not exist", field="entities"
            )
    return list(maintenance.decide(state.maintenance, command, now))


def _decide_routing(state: OrgState, command: routing.RoutingCommand, now: datetime) -> list[Event]:
    """A routing rule command's events: its team must exist; targets resolve to ids.

    A target policy is named by id or name (ignoring case), a schedule likewise;
    an unknown one (another organization's too) is refused, naming ``notify``.
    """
    if isinstance(command, routing.RemoveRoutingTeam | routing.RemoveRoutingTarget):
        return list(routing.decide(state.routing, command, now))
    teams.find_team(state.teams, command.team_id)
    target = getattr(command, "target", None)
    if target is not None and target.type in ("escalation", "schedule"):
        resolved = _routing_target_id(state, target.type, target.id.strip())
        if resolved is None:
            kind = "Escalation policy" if target.type == "escalation" else "Schedule"
            message = f"{kind} {target.id!r} does not exist"
            raise Rejected("invalid_field", message, field="notify")
        target = routing.RoutingTarget(type=target.type, id=resolved)
        command = msgspec.structs.replace(command, target=target)
    return list(routing.decide(state.routing, command, now))


def _routing_target_id(state: OrgState, kind: str, ref: str) -> str | None:
    """The id of the policy (``escalation``) or schedule ``ref`` names by id or name."""
    if kind == "escalation":
        if ref in state.escalations.policies:
            return ref
        policy = escalations.policy_by_name(state.escalations, ref)
        return None if policy is None else policy.id
    if ref in state.schedules.schedules:
        return ref
    records = state.schedules.schedules.values()
    named = [r.schedule.id for r in records if r.schedule.name.casefold() == ref.casefold()]
    return named[0] if named else None


def _remove_routing_target(
    state: OrgState, target_type: str, target_id: str, now: datetime
) -> list[Event]:
    """The routing rules that targeted a deleted policy or schedule, now routing to nobody."""
    gone = routing.RemoveRoutingTarget(target_type=target_type, target_id=target_id)
    return list(routing.decide(state.routing, gone, now))
