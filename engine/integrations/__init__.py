"""Integrations area: how monitoring tools send alerts in (pure).

An integration has a type (its payload format), an ingestion key (hash only), an optional
owning team and mapping settings; it can be disabled, which rejects its traffic.
"""

from engine.integrations.commands import (
    INTEGRATION_COMMAND_TYPES,
    CreateIntegration,
    DeleteIntegration,
    DisableIntegration,
    EnableIntegration,
    IntegrationCommand,
    UpdateIntegration,
)
from engine.integrations.decider import decide, evolve
from engine.integrations.events import (
    INTEGRATION_EVENT_TYPES,
    IntegrationCreated,
    IntegrationDeleted,
    IntegrationDisabled,
    IntegrationEnabled,
    IntegrationEvent,
    IntegrationUpdated,
)
from engine.integrations.state import (
    DEFAULT_PRIORITY_LABEL,
    INTEGRATION_TYPES,
    FieldMapping,
    IntegrationRecord,
    IntegrationsState,
    initial_state,
)

__all__ = [
    "DEFAULT_PRIORITY_LABEL",
    "INTEGRATION_COMMAND_TYPES",
    "INTEGRATION_EVENT_TYPES",
    "INTEGRATION_TYPES",
    "CreateIntegration",
    "DeleteIntegration",
    "DisableIntegration",
    "EnableIntegration",
    "FieldMapping",
    "IntegrationCommand",
    "IntegrationCreated",
    "IntegrationDeleted",
    "IntegrationDisabled",
    "IntegrationEnabled",
    "IntegrationEvent",
    "IntegrationRecord",
    "IntegrationUpdated",
    "IntegrationsState",
    "UpdateIntegration",
    "decide",
    "evolve",
    "initial_state",
]
