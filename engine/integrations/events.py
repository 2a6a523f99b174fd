"""Events of the integrations area; each carries the full facts replay needs."""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

from engine.integrations.state import FieldMapping

__all__ = [
    "INTEGRATION_EVENT_TYPES",
    "IntegrationCreated",
    "IntegrationDeleted",
    "IntegrationDisabled",
    "IntegrationEnabled",
    "IntegrationEvent",
    "IntegrationUpdated",
]


@final
class IntegrationCreated(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """An integration was added; ``key_hash`` is the SHA-256 of its ingestion key."""

    integration_id: str
    name: str
    kind: str
    key_hash: str
    team: str
    priority_label: str
    mapping: FieldMapping
    at: datetime


@final
class IntegrationUpdated(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """An integration's settings changed; the event holds all of them, as they now are."""

    integration_id: str
    name: str
    team: str
    priority_label: str
    mapping: FieldMapping
    at: datetime


@final
class IntegrationDisabled(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    integration_id: str
    at: datetime


@final
class IntegrationEnabled(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    integration_id: str
    at: datetime


@final
class IntegrationDeleted(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """An integration was removed; ``key_hash`` lets the directory forget its key."""

    integration_id: str
    key_hash: str
    at: datetime


IntegrationEvent = (
    IntegrationCreated
    | IntegrationUpdated
    | IntegrationDisabled
    | IntegrationEnabled
    | IntegrationDeleted
)
INTEGRATION_EVENT_TYPES: Final = (
    IntegrationCreated,
    IntegrationUpdated,
    IntegrationDisabled,
    IntegrationEnabled,
    IntegrationDeleted,
)
