"""Events of the identity area: accounts and refresh-token session families.

Password hashes are argon2 hashes (``check_password_hash``), never plaintext.
Refresh tokens appear only as hashes: the token itself never leaves the
client and the web layer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, final

import msgspec

__all__ = [
    "IDENTITY_EVENT_TYPES",
    "AccountRegistered",
    "IdentityEvent",
    "PasswordSet",
    "ProfileUpdated",
    "SessionFamilyRevoked",
    "SessionRotated",
    "SessionStarted",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the identity events."""


@final
class AccountRegistered(_Event, frozen=True, kw_only=True):
    account_id: str
    email: str  # normalized: stripped and lower-cased
    name: str
    password_hash: str | None
    at: datetime


@final
class PasswordSet(_Event, frozen=True, kw_only=True):
    account_id: str
    password_hash: str
    at: datetime


@final
class ProfileUpdated(_Event, frozen=True, kw_only=True):
    """The whole profile after the update, not only the fields that changed."""

    account_id: str
    name: str
    timezone: str
    locale: str
    at: datetime


@final
class SessionStarted(_Event, frozen=True, kw_only=True):
    family_id: str
    account_id: str
    token_hash: str
    org_id: str
    expires_at: datetime
    at: datetime


@final
class SessionRotated(_Event, frozen=True, kw_only=True):
    """The family's current token is now ``token_hash``; ``org_id`` is the family's org after."""

    family_id: str
    token_hash: str
    org_id: str
    expires_at: datetime
    at: datetime


@final
class SessionFamilyRevoked(_Event, frozen=True, kw_only=True):
    family_id: str
    account_id: str
    reason: str
    at: datetime


IdentityEvent = (
    AccountRegistered
    | PasswordSet
    | ProfileUpdated
    | SessionStarted
    | SessionRotated
    | SessionFamilyRevoked
)

IDENTITY_EVENT_TYPES: Final = (
    AccountRegistered,
    PasswordSet,
    ProfileUpdated,
    SessionStarted,
    SessionRotated,
    SessionFamilyRevoked,
)
