"""Commands of the access area: the organization itself and its API keys."""

from __future__ import annotations

from typing import final

import msgspec

__all__ = ["AccessCommand", "CreateApiKey", "CreateOrganization", "RevokeApiKey"]


@final
class CreateOrganization(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Start a new organization with a first full-rights API key."""

    org_id: str
    name: str
    key_id: str
    key_hash: str


@final
class CreateApiKey(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Add an API key; only its hash is ever stored."""

    key_id: str
    name: str
    key_hash: str
    rights: tuple[str, ...] = ("full",)


@final
class RevokeApiKey(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    key_id: str


AccessCommand = CreateOrganization | CreateApiKey | RevokeApiKey
