"""State of the identity area: global accounts and refresh-token session families.

A login starts a *family* of refresh tokens; every refresh rotates the family to
a new token. The family remembers every token hash it issued, so a token that
was already rotated away and is presented again is recognised as *reused*
(the web layer then revokes the family: one of the two holders is a thief).

Memory stays bounded without a timer: a family is kept until a day after it
expires (``PRUNE_AFTER``), each issued hash until a day after the expiry it was
issued with; ``engine.identity.decider`` prunes as session events arrive,
using the ``expiries`` heap (its docstring has the details).

Mutable like every area state: ``evolve`` updates it in place (see
``engine.org.decider``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, final

import msgspec

from engine.identity.commands import normalize_email

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_TIMEZONE",
    "IDENTITY_STREAM",
    "PRUNE_AFTER",
    "Account",
    "IdentityState",
    "SessionFamily",
    "account_by_email",
    "family_of_token",
]

# Accounts are global, so the identity area lives in one stream of its own,
# run by the same actor machinery (and OrgState) as an organization's stream.
# Stream ids are UUIDs in the log; this one is fixed and never an organization's
# (organization ids are UUIDv7, this one has version nibble 0).
IDENTITY_STREAM: Final = "00000000-0000-0000-0000-00000000a11d"

DEFAULT_TIMEZONE: Final = "UTC"
DEFAULT_LOCALE: Final = "en"

# How long an expired family (and an issued hash past its expiry) is kept, so
# a late presentation is still told apart from an unknown token.
PRUNE_AFTER: Final = timedelta(days=1)


@final
class Account(msgspec.Struct, kw_only=True):
    """A global user account; ``password_hash`` is None until a password is set."""

    id: str
    email: str
    name: str
    password_hash: str | None
    timezone: str = DEFAULT_TIMEZONE
    locale: str = DEFAULT_LOCALE
    created_at: datetime


@final
class SessionFamily(msgspec.Struct, kw_only=True):
    """The refresh tokens of one login, rotated on every refresh."""

    id: str
    account_id: str
    org_id: str
    current_hash: str
    started_at: datetime
    expires_at: datetime
    # Every hash issued in this family, oldest first, with the expiry it was
    # issued with (hashes older than that expiry plus PRUNE_AFTER are dropped).
    issued: dict[str, datetime] = msgspec.field(default_factory=dict)
    revoked_at: datetime | None = None
    reason: str | None = None

    def is_live(self, now: datetime) -> bool:
        """Not revoked and not expired: a family expires *at* ``expires_at``."""
        return self.revoked_at is None and now < self.expires_at


@final
class IdentityState(msgspec.Struct, kw_only=True):
    accounts: dict[str, Account] = msgspec.field(default_factory=dict)
    by_email: dict[str, str] = msgspec.field(default_factory=dict)  # normalized email -> id
    families: dict[str, SessionFamily] = msgspec.field(default_factory=dict)
    # family ids of each account, oldest first (only accounts with kept families)
    families_of_account: dict[str, list[str]] = msgspec.field(default_factory=dict)
    # every hash issued in a kept family -> that family's id
    family_by_token: dict[str, str] = msgspec.field(default_factory=dict)
    # min-heap of (expires_at, family_id), lazily deleted: see the module docstring
    expiries: list[tuple[datetime, str]] = msgspec.field(default_factory=list)


def account_by_email(state: IdentityState, email: str) -> Account | None:
    """The account registered with ``email`` (compared normalized), if any."""
    account_id = state.by_email.get(normalize_email(email))
    return state.accounts.get(account_id) if account_id is not None else None


def family_of_token(state: IdentityState, token_hash: str) -> SessionFamily | None:
    """The kept family that issued ``token_hash`` (current or rotated away), if any."""
    family_id = state.family_by_token.get(token_hash)
    return state.families.get(family_id) if family_id is not None else None
