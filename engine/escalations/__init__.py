"""Escalations area: escalation policies and their versions (pure).

A policy says whom to page, and when, while an alert stays unacknowledged or open.
Every version of every policy is kept (``policy_version``), so an escalation follows
the version current when it started. That the users, schedules and teams a policy
names exist, and that departing ones leave every policy, are cross-area rules of
``engine.org.decider`` (``resolve_references``, ``RemoveRecipient``). Running
escalations is ``engine.paging``'s job. Import from this package, not its modules.
"""

from engine.escalations.commands import (
    ESCALATION_COMMAND_TYPES,
    CreateEscalationPolicy,
    DeleteEscalationPolicy,
    EscalationCommand,
    Lookup,
    RemoveRecipient,
    UpdateEscalationPolicy,
    resolve_references,
)
from engine.escalations.decider import decide, evolve, initial_state
from engine.escalations.events import (
    ESCALATION_EVENT_TYPES,
    EscalationEvent,
    EscalationPolicyCreated,
    EscalationPolicyDeleted,
    EscalationPolicyUpdated,
)
from engine.escalations.state import (
    CONDITIONS,
    NOTIFY_TYPES,
    RECIPIENT_TYPES,
    EscalationPolicy,
    EscalationRule,
    EscalationsState,
    Recipient,
    Repeat,
    cycle_minutes,
    default_policy_of_team,
    find_policy,
    history_key,
    name_key,
    policy_by_name,
    policy_version,
)

__all__ = [
    "CONDITIONS",
    "ESCALATION_COMMAND_TYPES",
    "ESCALATION_EVENT_TYPES",
    "NOTIFY_TYPES",
    "RECIPIENT_TYPES",
    "CreateEscalationPolicy",
    "DeleteEscalationPolicy",
    "EscalationCommand",
    "EscalationEvent",
    "EscalationPolicy",
    "EscalationPolicyCreated",
    "EscalationPolicyDeleted",
    "EscalationPolicyUpdated",
    "EscalationRule",
    "EscalationsState",
    "Lookup",
    "Recipient",
    "RemoveRecipient",
    "Repeat",
    "UpdateEscalationPolicy",
    "cycle_minutes",
    "decide",
    "default_policy_of_team",
    "evolve",
    "find_policy",
    "history_key",
    "initial_state",
    "name_key",
    "policy_by_name",
    "policy_version",
    "resolve_references",
]
