"""Escalation policy events; a created or updated policy is carried whole.

Carrying the full policy version (not a diff) lets ``evolve`` record it in the
history as it is, and lets a reader of the log see exactly what each version said.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.escalations.state import EscalationPolicy

__all__ = [
    "ESCALATION_EVENT_TYPES",
    "EscalationEvent",
    "EscalationPolicyCreated",
    "EscalationPolicyDeleted",
    "EscalationPolicyUpdated",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the escalation events: when it happened."""

    at: datetime


@final
class EscalationPolicyCreated(_Event, frozen=True, kw_only=True):
    """A policy was added; ``policy.version`` is 1."""

    policy: EscalationPolicy


@final
class EscalationPolicyUpdated(_Event, frozen=True, kw_only=True):
    """A policy's new version (its version is the previous one + 1)."""

    policy: EscalationPolicy


@final
class EscalationPolicyDeleted(_Event, frozen=True, kw_only=True):
    """A policy was removed; its versions stay in the history."""

    policy_id: str


EscalationEvent = EscalationPolicyCreated | EscalationPolicyUpdated | EscalationPolicyDeleted

ESCALATION_EVENT_TYPES: Final = (
    EscalationPolicyCreated,
    EscalationPolicyUpdated,
    EscalationPolicyDeleted,
)
