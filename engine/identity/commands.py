"""Identity commands and their stateless validation.

Accounts and refresh-token sessions are global (an account may belong to
several organizations), so these commands go to the one identity stream
(``IDENTITY_STREAM``). Ids, password hashes and refresh-token hashes come in
the commands, so ``decide`` stays deterministic: the web layer draws the ids
and tokens, hashes the password with argon2 and the refresh token with a
keyed hash, and sends only the hashes. A refresh token itself never reaches
the engine.

Validation raises ``Rejected("invalid_field", field=...)`` naming the field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final, final

import msgspec

from engine.errors import Rejected

__all__ = [
    "IDENTITY_COMMAND_TYPES",
    "IdentityCommand",
    "RegisterAccount",
    "RevokeAccountSessions",
    "RevokeSessionFamily",
    "RotateSession",
    "SetPassword",
    "StartSession",
    "UpdateProfile",
    "check_aware_future",
    "check_email",
    "check_locale",
    "check_name",
    "check_password_hash",
    "check_reason",
    "normalize_email",
]

MAX_EMAIL: Final = 254  # RFC 5321's path limit, less the angle brackets
MAX_LOCAL_PART: Final = 64
MAX_NAME: Final = 100
MAX_LOCALE: Final = 35  # RFC 5646's minimum buffer for a language tag
MAX_PASSWORD_HASH: Final = 1024
MAX_REASON: Final = 64

# "en", "en-US", "zh-Hant-TW", "es-419": a 2-3 letter language and subtags.
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# No whitespace or control characters anywhere in an address.
_BLANK_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the identity commands."""


@final
class RegisterAccount(_Command, frozen=True, kw_only=True):
    """Create a global account; ``password_hash`` None: created by an admin, no password yet."""

    account_id: str
    email: str
    name: str
    password_hash: str | None = None


@final
class SetPassword(_Command, frozen=True, kw_only=True):
    """Set or replace the account's password hash (also a transparent rehash at login)."""

    account_id: str
    password_hash: str


@final
class UpdateProfile(_Command, frozen=True, kw_only=True):
    """Change the profile fields that are given; ``None`` keeps a field as it is."""

    account_id: str
    name: str | None = None
    timezone: str | None = None
    locale: str | None = None


@final
class StartSession(_Command, frozen=True, kw_only=True):
    """A login: a new refresh-token family whose first token hashes to ``token_hash``."""

    family_id: str
    account_id: str
    token_hash: str
    org_id: str
    expires_at: datetime


@final
class RotateSession(_Command, frozen=True, kw_only=True):
    """A refresh: replace the family's current token; ``org_id`` switches organization."""

    token_hash: str
    new_token_hash: str
    org_id: str | None = None
    expires_at: datetime


@final
class RevokeSessionFamily(_Command, frozen=True, kw_only=True):
    """End one family (``reason``: "logout", "reuse", ...); a dead family is a no-op."""

    family_id: str
    reason: str


@final
class RevokeAccountSessions(_Command, frozen=True, kw_only=True):
    """End every live family of the account (``reason``: "password_changed", ...)."""

    account_id: str
    reason: str


IdentityCommand = (
    RegisterAccount
    | SetPassword
    | UpdateProfile
    | StartSession
    | RotateSession
    | RevokeSessionFamily
    | RevokeAccountSessions
)

IDENTITY_COMMAND_TYPES: Final = (
    RegisterAccount,
    SetPassword,
    UpdateProfile,
    StartSession,
    RotateSession,
    RevokeSessionFamily,
    RevokeAccountSessions,
)


def _invalid(field: str, message: str) -> Rejected:
    return Rejected("invalid_field", message, field=field)


def normalize_email(email: str) -> str:
    """``email`` as accounts are keyed: stripped and lower-cased (not validated)."""
    return email.strip().lower()


def check_email(email: str) -> str:
    """``email`` normalized, if it is a plausible address.

    Plausible: at most 254 characters, exactly one ``@``, a non-empty local
    part of at most 64 characters, and a domain of non-empty dot-separated
    labels with at least one dot; no whitespace or control characters. Whether
    it receives mail is for an invitation or a reset link to prove.
    """
    normalized = normalize_email(email)
    if len(normalized) > MAX_EMAIL:
        raise _invalid("email", f"email must be at most {MAX_EMAIL} characters")
    local, at, domain = normalized.partition("@")
    labels = domain.split(".")
    if (
        not at
        or "@" in domain
        or not local
        or len(local) > MAX_LOCAL_PART
        or len(labels) < 2
        or not all(labels)
        or _BLANK_OR_CONTROL.search(normalized)
    ):
        raise _invalid("email", f"{email!r} is not a valid email address")
    return normalized


def check_name(name: str) -> str:
    """``name`` stripped, if it has 1-100 characters."""
    stripped = name.strip()
    if not stripped or len(stripped) > MAX_NAME:
        raise _invalid("name", f"name must be 1-{MAX_NAME} characters")
    return stripped


def check_locale(locale: str) -> str:
    """``locale`` if it looks like a language tag ("en", "en-US") of at most 35 characters."""
    if len(locale) > MAX_LOCALE or not _LOCALE.fullmatch(locale):
        raise _invalid("locale", f"{locale!r} is not a language tag like 'en' or 'en-US'")
    return locale


def check_password_hash(password_hash: str) -> str:
    """``password_hash`` if it is an argon2 hash: a plaintext password must never be logged."""
    if not password_hash.startswith("$argon2") or len(password_hash) > MAX_PASSWORD_HASH:
        raise _invalid("password_hash", "password_hash must be an argon2 hash")
    return password_hash


def check_reason(reason: str) -> str:
    """``reason`` stripped, if it has 1-64 characters."""
    stripped = reason.strip()
    if not stripped or len(stripped) > MAX_REASON:
        raise _invalid("reason", f"reason must be 1-{MAX_REASON} characters")
    return stripped


def check_aware_future(field: str, moment: datetime, now: datetime) -> datetime:
    """``moment`` if it carries a UTC offset and is later than ``now``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _invalid(field, f"{field} must include a UTC offset")
    if moment <= now:
        raise _invalid(field, f"{field} must be in the future")
    return moment
