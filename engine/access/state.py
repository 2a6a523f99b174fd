"""State of the access area: the organization's name and its API keys."""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

__all__ = ["AccessState", "ApiKey"]


@final
class ApiKey(msgspec.Struct, kw_only=True):
    key_id: str
    name: str
    key_hash: str
    rights: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None = None


@final
class AccessState(msgspec.Struct, kw_only=True):
    org_id: str = ""
    name: str = ""
    created_at: datetime | None = None
    api_keys: dict[str, ApiKey] = msgspec.field(default_factory=dict)
