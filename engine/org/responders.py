"""Responders of alert commands, resolved against the organization before the alerts area decides.

Clients name responders by name (Opsgenie's ``{"type": "team", "name": "ops"}``, an
integration's owning team): a team responder whose id is no team's id but some team's
name (ignoring case) gets that team's id, so the team filters, which compare ids, see it.
Unknown typed names stay as given: nothing is refused, paging logs "no such team".

Opsgenie requires a responder's ``type``, yet some clients leave it out: the Python SDK's
``TeamRecipient``/``EscalationRecipient``/``ScheduleRecipient`` serialise only ``name`` or
``id`` (compat-api.md 4.6, opsgenie-python-sdk#60) and the Go SDK sends ``"type": ""``
when unset. Such a responder arrives typeless (``Responder(type="", id=<id or name>)``;
a ``username`` already made it a user) and is resolved:

1. by id: a team, member (account id), escalation policy or schedule with that id (ids
   are generated, unique across kinds, so their order does not matter);
2. by name, in the order Opsgenie's migration guide lists responder kinds ("teams, users,
   escalations and schedules"): a team (ignoring case), a user by username, i.e. email
   (ignoring case), an escalation policy (ignoring case), a schedule (exact name, else
   ignoring case: ``schedules.schedule_id_of``).
   Teams first also because ``TeamRecipient(name=...)`` is the SDKs' common case; an
   escalation before a same-named schedule because it usually wraps that schedule.

One that names nothing stays typeless: ``CreateAlert`` keeps the alert and records the
name on its log (lenient ingestion, compat-api.md 1.6); ``AddResponder`` refuses it.
"""

from __future__ import annotations

from typing import Final

import msgspec

from engine import access, alerts, escalations, schedules, teams
from engine.org.state import OrgState

__all__ = ["TYPELESS_ORDER", "resolve_responder", "with_resolved_responders"]

# The name lookups of a typeless responder, in order.
TYPELESS_ORDER: Final = ("team", "user", "escalation", "schedule")


def with_resolved_responders(state: OrgState, command: alerts.AlertCommand) -> alerts.AlertCommand:
    """``command`` with its responders resolved (unchanged when there is nothing to resolve)."""
    if isinstance(command, alerts.CreateAlert) and command.responders:
        resolved = tuple(resolve_responder(state, r) for r in command.responders)
        if resolved != command.responders:
            return msgspec.structs.replace(command, responders=resolved)
    elif isinstance(command, alerts.AddResponder):
        responder = resolve_responder(state, command.responder)
        if responder != command.responder:
            return msgspec.structs.replace(command, responder=responder)
    return command


def resolve_responder(state: OrgState, responder: alerts.Responder) -> alerts.Responder:
    """A team named by name gets its id; a typeless one gets its kind and id if found."""
    if responder.type == "":
        return _typeless(state, responder.id.strip()) or responder
    if responder.type != "team" or responder.id in state.teams.teams:
        return responder
    team = teams.team_by_name(state.teams, responder.id)
    return responder if team is None else alerts.Responder(type="team", id=team.id)


def _typeless(state: OrgState, ref: str) -> alerts.Responder | None:
    if not ref:
        return None
    by_id = {
        "team": ref in state.teams.teams,
        "user": ref in state.access.members,
        "escalation": ref in state.escalations.policies,
        "schedule": ref in state.schedules.schedules,
    }
    for kind in TYPELESS_ORDER:
        if by_id[kind]:
            return alerts.Responder(type=kind, id=ref)
    for kind in TYPELESS_ORDER:
        found = _by_name(state, kind, ref)
        if found is not None:
            return alerts.Responder(type=kind, id=found)
    return None


def _by_name(state: OrgState, kind: str, name: str) -> str | None:
    """The id of the ``kind`` called ``name``, if any."""
    if kind == "team":
        team = teams.team_by_name(state.teams, name)
        return team.id if team is not None else None
    if kind == "user":
        member = access.member_by_email(state.access, name) if "@" in name else None
        return member.account_id if member is not None else None
    if kind == "escalation":
        policy = escalations.policy_by_name(state.escalations, name)
        return policy.id if policy is not None else None
    return schedules.schedule_id_of(state.schedules, name)
