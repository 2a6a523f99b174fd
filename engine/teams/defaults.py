"""A new team's default resources: Opsgenie's schedule, escalation policy and routing rule.

Opsgenie gives every new team ``<team>_schedule`` and ``<team>_escalation`` (both
owned by the team) and a default routing rule to that policy; Terraform's
``opsgenie_team`` with ``delete_default_resources`` finds them by owner team and
deletes (or, the rule, re-points) them, and fails when they are missing. Pulsar
makes them when a team is created through ``/v2/teams`` (or the native API asks
for them), in the team's own batch (``engine.org.decider``):

* **Schedule** ``<team>_schedule`` in ``DefaultResources.timezone`` (UTC unless the
  caller says otherwise): one weekly rotation from local midnight of the creation
  day, of the team's initial members in the order given. A team created without
  members gets the *team itself* as the rotation's one participant, so whoever
  joins later is on call until someone sets up a real rotation (an empty schedule
  would page nobody). Members added later do not join the rotation (Opsgenie's
  behaviour: the schedule is the team's to edit).
* **Escalation policy** ``<team>_escalation``, modelled on Opsgenie's default: while
  the alert is not acknowledged, page the on-call users of ``<team>_schedule`` at
  once, the next on-call users after 5 minutes, and every member of the team after
  10 minutes; no repeat.
* **Routing rule** "Default Routing Rule": every alert, at any time, to
  ``<team>_escalation``; always the team's last rule (``engine.routing``).

Names: a name already in use (a schedule or policy left over from a deleted team
of the same name, say) gets the first free ``_2``, ``_3``… suffix instead of
refusing the team (Terraform finds the resources by owner team, not by name); a
long team name is shortened so the whole name fits the 100-character limit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Final, final
from zoneinfo import ZoneInfo

import msgspec

from engine.escalations import CreateEscalationPolicy, EscalationRule, Recipient
from engine.routing import CreateRoutingRule, RoutingTarget
from engine.schedules import CreateSchedule, Participant, Rotation, check_timezone
from engine.teams.commands import DefaultResources

__all__ = [
    "DEFAULT_RULE_NAME",
    "ESCALATION_SUFFIX",
    "SCHEDULE_SUFFIX",
    "DefaultCommands",
    "default_name",
    "default_resource_commands",
]

SCHEDULE_SUFFIX: Final = "_schedule"
ESCALATION_SUFFIX: Final = "_escalation"
DEFAULT_RULE_NAME: Final = "Default Routing Rule"
ROTATION_NAME: Final = "Weekly rotation"
MAX_NAME: Final = 100  # the schedules' and policies' name limit
NEXT_DELAY: Final = 5  # minutes
TEAM_DELAY: Final = 10


@final
class DefaultCommands(msgspec.Struct, frozen=True, kw_only=True):
    """The commands that make a team's default resources, in the order to decide them."""

    schedule: CreateSchedule
    policy: CreateEscalationPolicy
    rule: CreateRoutingRule


def default_name(team_name: str, suffix: str, taken: Callable[[str], bool]) -> str:
    """``<team_name><suffix>``, or with the first free ``_2``, ``_3``… after it.

    The team name is cut so the result has at most ``MAX_NAME`` characters.
    """
    tail, number = suffix, 1
    while True:
        name = team_name[: MAX_NAME - len(tail)].rstrip() + tail
        if not taken(name):
            return name
        number += 1
        tail = f"{suffix}_{number}"


def default_resource_commands(
    team_id: str,
    team_name: str,
    members: tuple[str, ...],
    spec: DefaultResources,
    now: datetime,
    *,
    schedule_taken: Callable[[str], bool],
    policy_taken: Callable[[str], bool],
) -> DefaultCommands:
    """The commands that create team ``team_id``'s default resources at ``now``.

    Args:
        team_id: the new team's id (the resources' owner team).
        team_name: its name, which the resource names start with.
        members: the account ids of its initial members, in order (the rotation).
        spec: the resources' ids and time zone.
        now: the creation instant (the rotation starts at its local midnight).
        schedule_taken: whether a schedule name is in use (ignoring case).
        policy_taken: whether a policy name is in use (ignoring case).

    Raises:
        Rejected: ``invalid_field`` (``timezone``) for an unknown time zone.
    """
    zone = ZoneInfo(check_timezone(spec.timezone))
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    participants = tuple(Participant(type="user", id=a) for a in members) or (
        Participant(type="team", id=team_id),
    )
    rotation = Rotation(
        id=spec.rotation_id,
        name=ROTATION_NAME,
        type="weekly",
        start=midnight,
        participants=participants,
    )
    schedule = CreateSchedule(
        schedule_id=spec.schedule_id,
        name=default_name(team_name, SCHEDULE_SUFFIX, schedule_taken),
        timezone=spec.timezone,
        owner_team=team_id,
        rotations=(rotation,),
    )
    on_call = Recipient(type="schedule", id=spec.schedule_id)
    rules = (
        EscalationRule(condition="if-not-acked", delay_minutes=0, recipient=on_call),
        EscalationRule(
            condition="if-not-acked",
            delay_minutes=NEXT_DELAY,
            recipient=on_call,
            notify_type="next",
        ),
        EscalationRule(
            condition="if-not-acked",
            delay_minutes=TEAM_DELAY,
            recipient=Recipient(type="team", id=team_id),
        ),
    )
    policy = CreateEscalationPolicy(
        policy_id=spec.policy_id,
        name=default_name(team_name, ESCALATION_SUFFIX, policy_taken),
        owner_team=team_id,
        rules=rules,
    )
    rule = CreateRoutingRule(
        team_id=team_id,
        rule_id=spec.rule_id,
        name=DEFAULT_RULE_NAME,
        timezone=spec.timezone,
        target=RoutingTarget(type="escalation", id=spec.policy_id),
        is_default=True,
    )
    return DefaultCommands(schedule=schedule, policy=policy, rule=rule)
