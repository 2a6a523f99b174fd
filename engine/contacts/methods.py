"""How contact commands change a member's contact methods, and their email verification.

Part of ``decide`` (``engine.contacts.decider``): each function takes the member's
contacts (stored, or their default) and returns the events, or raises.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import msgspec

from engine.contacts import commands as c
from engine.contacts import events as e
from engine.contacts.checks import (
    MAX_METHODS,
    RESEND_INTERVAL,
    VERIFICATION_TTL,
    check_address,
    check_id,
    check_method,
    check_method_name,
    invalid,
)
from engine.contacts.model import (
    DEFAULT_EMAIL_METHOD_ID,
    ContactMethod,
    Verification,
)
from engine.contacts.state import UserContacts
from engine.errors import Conflict, NotFound, Rejected

__all__ = [
    "add_method",
    "delete_method",
    "find_method",
    "resend_code",
    "update_method",
    "verify_method",
]


def find_method(user: UserContacts, method_id: str) -> ContactMethod:
    found = user.methods.get(method_id)
    if found is None:
        raise NotFound("contact_method_not_found", f"contact method {method_id!r} does not exist")
    return found


def _address_of(method: ContactMethod, email: str) -> str:
    return email if method.id == DEFAULT_EMAIL_METHOD_ID and email else method.address


def _check_unique(user: UserContacts, method: str, address: str, email: str, own: str) -> None:
    for other in user.methods.values():
        if other.id != own and other.method == method and _address_of(other, email) == address:
            raise Conflict("contact_method_exists", f"{method} {address!r} is already a method")


def _verification(
    account_id: str, method_id: str, code_hash: str | None, now: datetime
) -> list[e.ContactEvent]:
    if not code_hash:
        return []
    expires_at = now + VERIFICATION_TTL
    return [
        e.ContactVerificationStarted(
            account_id=account_id,
            method_id=method_id,
            code_hash=code_hash,
            expires_at=expires_at,
            at=now,
        )
    ]


def add_method(
    user: UserContacts, command: c.AddContactMethod, now: datetime, email: str
) -> list[e.ContactEvent]:
    method_id = check_id(command.method_id, "method_id")
    kind = check_method(command.method)
    address = check_address(kind, command.address)
    name = check_method_name(command.name, kind, address)
    secret = None
    if kind == "webhook":
        secret = command.secret
        if not secret or len(secret) > 200:
            raise invalid("secret", "a webhook method needs a secret of 1-200 characters")
    if method_id in user.methods:
        raise Conflict("contact_method_exists", f"contact method {method_id!r} exists")
    _check_unique(user, kind, address, email, method_id)
    if len(user.methods) >= MAX_METHODS:
        raise Rejected(
            "too_many_contact_methods",
            f"a user has at most {MAX_METHODS} contact methods",
            field="method",
        )
    method = ContactMethod(
        id=method_id,
        account_id=command.account_id,
        method=kind,
        address=address,
        name=name,
        enabled=True,
        verified=kind != "email",
        secret=secret,
        created_at=now,
    )
    added = e.ContactMethodAdded(account_id=command.account_id, method=method, at=now)
    code = command.code_hash if kind == "email" else None
    return [added, *_verification(command.account_id, method_id, code, now)]


def update_method(
    user: UserContacts, command: c.UpdateContactMethod, now: datetime, email: str
) -> list[e.ContactEvent]:
    old = find_method(user, command.method_id)
    address = _address_of(old, email)
    if command.address is not None:
        address = check_address(old.method, command.address)
        if old.id == DEFAULT_EMAIL_METHOD_ID and address != _address_of(old, email):
            raise invalid("address", "the account email follows the account; it can't change")
        _check_unique(user, old.method, address, email, old.id)
    name = (
        old.name if command.name is None else check_method_name(command.name, old.method, address)
    )
    enabled = old.enabled if command.enabled is None else command.enabled
    readdressed = address != _address_of(old, email)
    verified = old.verified and not (readdressed and old.method == "email")
    # The account email's stored address is not kept up to date: queries read the account's.
    stored = old.address if old.id == DEFAULT_EMAIL_METHOD_ID else address
    new = msgspec.structs.replace(
        old, address=stored, name=name, enabled=enabled, verified=verified
    )
    if new == old:
        return []
    updated = e.ContactMethodUpdated(account_id=command.account_id, method=new, at=now)
    code = command.code_hash if readdressed and old.method == "email" else None
    return [updated, *_verification(command.account_id, old.id, code, now)]


def _pending(user: UserContacts, method: ContactMethod) -> Verification | None:
    if method.method != "email" or method.verified:
        raise Rejected(
            "contact_method_verified",
            f"contact method {method.id!r} needs no verification",
            field="method_id",
        )
    return user.verifications.get(method.id)


def verify_method(
    user: UserContacts, command: c.VerifyContactMethod, now: datetime
) -> list[e.ContactEvent]:
    method = find_method(user, command.method_id)
    if method.verified:
        return []
    pending = _pending(user, method)
    if pending is None:
        raise Rejected(
            "verification_not_pending",
            "no verification code is pending: request a new one",
            field="code",
        )
    if now >= pending.expires_at:
        raise Rejected(
            "verification_expired", "the verification code expired: request a new one", field="code"
        )
    account_id = command.account_id
    if hmac.compare_digest(pending.code_hash, command.code_hash):
        return [e.ContactMethodVerified(account_id=account_id, method_id=method.id, at=now)]
    failed = e.ContactVerificationFailed(
        account_id=account_id, method_id=method.id, attempts=pending.attempts + 1, at=now
    )
    return [failed]


def resend_code(
    user: UserContacts, command: c.ResendVerification, now: datetime
) -> list[e.ContactEvent]:
    method = find_method(user, command.method_id)
    pending = _pending(user, method)
    if pending is not None and now < pending.sent_at + RESEND_INTERVAL:
        seconds = int(RESEND_INTERVAL.total_seconds())
        raise Rejected(
            "verification_resent_too_soon",
            f"a code was sent less than {seconds} seconds ago",
            field="method_id",
        )
    if not command.code_hash:
        raise invalid("code_hash", "code_hash is required")
    return _verification(command.account_id, method.id, command.code_hash, now)


def delete_method(
    user: UserContacts, command: c.DeleteContactMethod, now: datetime
) -> list[e.ContactEvent]:
    """The method's deletion; the account email is never deleted (disable it instead)."""
    if find_method(user, command.method_id).id == DEFAULT_EMAIL_METHOD_ID:
        raise Rejected(
            "default_contact_method",
            "the account email cannot be deleted; disable it instead",
            field="method_id",
        )
    return [
        e.ContactMethodDeleted(account_id=command.account_id, method_id=command.method_id, at=now)
    ]
