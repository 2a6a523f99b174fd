"""Events of the access area."""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

__all__ = [
    "ACCESS_EVENT_TYPES",
    "AccessEvent",
    "ApiKeyCreated",
    "ApiKeyRevoked",
    "OrganizationCreated",
]


@final
class OrganizationCreated(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    org_id: str
    name: str
    at: datetime


@final
class ApiKeyCreated(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    key_id: str
    name: str
    key_hash: str
    rights: tuple[str, ...]
    at: datetime


@final
class ApiKeyRevoked(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    key_id: str
    at: datetime


AccessEvent = OrganizationCreated | ApiKeyCreated | ApiKeyRevoked
ACCESS_EVENT_TYPES = (OrganizationCreated, ApiKeyCreated, ApiKeyRevoked)
