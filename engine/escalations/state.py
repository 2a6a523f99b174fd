"""Escalation policies: the model, the state of one organization, and queries over it.

A policy is an ordered list of rules ("if the alert is not acknowledged N minutes
after it was created, page this recipient"), plus how often the whole list repeats.
Policies are immutable values: every change makes a new version, and every version
ever committed stays in ``history``, so an escalation that started under version 3
keeps following version 3 after the policy is edited or deleted (reliability.md).

Mutable like every area state: ``evolve`` updates it in place (see
``engine.org.decider``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.errors import NotFound

__all__ = [
    "CONDITIONS",
    "NOTIFY_TYPES",
    "RECIPIENT_TYPES",
    "EscalationPolicy",
    "EscalationRule",
    "EscalationsState",
    "Recipient",
    "Repeat",
    "cycle_minutes",
    "default_policy_of_team",
    "find_policy",
    "history_key",
    "initial_state",
    "name_key",
    "policy_by_name",
    "policy_version",
]

CONDITIONS: Final = ("if-not-acked", "if-not-closed")
RECIPIENT_TYPES: Final = ("user", "schedule", "team")
# Which notify types each recipient type takes: a schedule pages its current,
# next or previous on-call users, or all of them; users and teams only "default".
NOTIFY_TYPES: Final = {
    "user": ("default",),
    "schedule": ("default", "next", "previous", "all"),
    "team": ("default",),
}


@final
class Recipient(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Whom a rule pages: a user (account id), a schedule or a team (their ids).

    In commands the id may still be a reference (an email, a schedule or team name)
    until the org decider resolves it (``resolve_references``); in events and state
    it is always an id.
    """

    type: str
    id: str


@final
class EscalationRule(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Page ``recipient`` ``delay_minutes`` after the alert was created, if ``condition``.

    ``if-not-acked`` holds while the alert is open and unacknowledged,
    ``if-not-closed`` while it is open (Opsgenie's semantics).
    """

    condition: str
    delay_minutes: int
    recipient: Recipient
    notify_type: str = "default"


@final
class Repeat(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Run the rules again ``count`` times, ``wait_interval_minutes`` after the last rule.

    ``reset_recipient_states`` un-acknowledges the alert for its recipients at each
    repeat; ``close_alert_after_all`` closes the alert once the last repeat is done.
    """

    wait_interval_minutes: int = 0
    count: int = 0
    reset_recipient_states: bool = False
    close_alert_after_all: bool = False


@final
class EscalationPolicy(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One version of a policy; ``rules`` are sorted by delay (stable)."""

    id: str
    name: str
    description: str
    owner_team_id: str | None
    rules: tuple[EscalationRule, ...]
    repeat: Repeat
    version: int
    created_at: datetime
    updated_at: datetime


@final
class EscalationsState(msgspec.Struct, kw_only=True):
    """The current policies by id, and every version ever (``history_key``) by key.

    ``history`` keeps the versions of deleted policies too, so running escalations and
    "why was X paged?" can still read the version they followed.
    """

    policies: dict[str, EscalationPolicy] = msgspec.field(default_factory=dict)
    history: dict[str, EscalationPolicy] = msgspec.field(default_factory=dict)


def initial_state() -> EscalationsState:
    """A fresh state without policies (never shared: ``evolve`` mutates it)."""
    return EscalationsState()


def name_key(name: str) -> str:
    """How policy names compare: stripped and case-folded."""
    return name.strip().casefold()


def history_key(policy_id: str, version: int) -> str:
    """The key of one version of a policy in ``EscalationsState.history``."""
    return f"{policy_id}@{version}"


def cycle_minutes(rules: tuple[EscalationRule, ...], repeat: Repeat) -> int:
    """How long one pass over the rules lasts before a repeat starts: last delay + wait."""
    return max((rule.delay_minutes for rule in rules), default=0) + repeat.wait_interval_minutes


def policy_version(
    state: EscalationsState, policy_id: str, version: int
) -> EscalationPolicy | None:
    """Version ``version`` of policy ``policy_id``, also after later edits or deletion."""
    return state.history.get(history_key(policy_id, version))


def policy_by_name(state: EscalationsState, name: str) -> EscalationPolicy | None:
    """The current policy called ``name``, ignoring case, if any."""
    wanted = name_key(name)
    return next((p for p in state.policies.values() if name_key(p.name) == wanted), None)


def find_policy(
    state: EscalationsState, identifier: str, *, by_name: bool = False
) -> EscalationPolicy:
    """The current policy with id (or name) ``identifier``.

    Raises:
        NotFound: ``escalation_policy_not_found`` (also for a deleted policy).
    """
    found = policy_by_name(state, identifier) if by_name else state.policies.get(identifier)
    if found is None:
        raise NotFound(
            "escalation_policy_not_found", f"Escalation policy {identifier!r} does not exist"
        )
    return found


def default_policy_of_team(
    state: EscalationsState, team_id: str, team_name: str
) -> EscalationPolicy | None:
    """The policy an alert for team ``team_id`` follows when no routing rule says otherwise.

    The team's own policy named ``<team name>_escalation`` (ignoring case; the one
    Opsgenie creates with a team), else the oldest policy the team owns, else ``None``.
    Only a team without a default routing rule gets here: a team made with its
    default resources routes through that rule (``engine.routing``).
    """
    owned = [p for p in state.policies.values() if p.owner_team_id == team_id]
    wanted = name_key(f"{team_name}_escalation")
    named = next((p for p in owned if name_key(p.name) == wanted), None)
    if named is not None:
        return named
    # min() keeps the first of equal creation times: the one committed first.
    return min(owned, key=lambda p: p.created_at, default=None)
