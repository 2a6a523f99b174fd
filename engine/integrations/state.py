"""State of the integrations area: each integration, its key hash and its settings.

An integration is how a monitoring tool sends alerts in: it has a type (which payload
format its ingestion URL accepts), an ingestion key (only its SHA-256 hash is kept), an
optional owning team (added as a ``team`` responder to the alerts it creates), and the
settings its mapping reads. ``FieldMapping`` is the per-integration mapping of the generic
JSON webhook.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

__all__ = [
    "DEFAULT_PRIORITY_LABEL",
    "INTEGRATION_TYPES",
    "FieldMapping",
    "IntegrationRecord",
    "IntegrationsState",
    "initial_state",
]

INTEGRATION_TYPES: Final = ("api", "opsgenie", "alertmanager", "grafana", "pagerduty", "generic")
"""``api``: native alerts API; ``opsgenie``: Opsgenie-compatible API; ``generic``: a JSON
webhook read through the integration's ``FieldMapping``."""

DEFAULT_PRIORITY_LABEL: Final = "severity"


@final
class FieldMapping(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which dotted JSON path of a generic webhook item becomes which alert field.

    Paths are dot-separated keys (list indexes as numbers, ``a.b.0.c``). ``items`` names the
    list of alerts inside the body (``""``: the body is one alert, or a list of alerts). An
    item whose ``status`` value is one of ``resolved_values`` closes the alert with its alias.
    """

    items: str = ""
    message: str = "message"
    alias: str = "alias"
    description: str = "description"
    priority: str = "priority"
    tags: str = "tags"
    details: str = "details"
    entity: str = "entity"
    status: str = "status"
    resolved_values: tuple[str, ...] = ("resolved", "ok", "closed")


@final
class IntegrationRecord(msgspec.Struct, kw_only=True):
    """One integration as ``evolve`` keeps it (mutable, owned by the org actor)."""

    id: str
    name: str
    type: str
    key_hash: str
    team: str
    priority_label: str
    mapping: FieldMapping
    enabled: bool
    created_at: datetime
    updated_at: datetime


@final
class IntegrationsState(msgspec.Struct, kw_only=True):
    """Every integration of an organization, by id."""

    integrations: dict[str, IntegrationRecord] = msgspec.field(default_factory=dict)


def initial_state() -> IntegrationsState:
    """An organization without integrations."""
    return IntegrationsState()
