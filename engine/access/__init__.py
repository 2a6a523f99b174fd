"""Access area: the organization record and its API keys (pure)."""

from engine.access.commands import AccessCommand, CreateApiKey, CreateOrganization, RevokeApiKey
from engine.access.decider import decide, evolve, initial_state
from engine.access.events import (
    ACCESS_EVENT_TYPES,
    AccessEvent,
    ApiKeyCreated,
    ApiKeyRevoked,
    OrganizationCreated,
)
from engine.access.state import AccessState, ApiKey

__all__ = [
    "ACCESS_EVENT_TYPES",
    "AccessCommand",
    "AccessEvent",
    "AccessState",
    "ApiKey",
    "ApiKeyCreated",
    "ApiKeyRevoked",
    "CreateApiKey",
    "CreateOrganization",
    "OrganizationCreated",
    "RevokeApiKey",
    "decide",
    "evolve",
    "initial_state",
]
