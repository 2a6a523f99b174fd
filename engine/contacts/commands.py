"""Contact commands: a member's contact methods, notification rules and quiet hours.

Every command names the member (``account_id``); that they are a member of the
organization, and their account email (the implicit first contact method), are
supplied by ``engine.org.decider``. Ids of new methods, rules and steps, a
webhook's secret and a verification code's hash come in the commands, generated
by the web layer, so ``decide`` stays deterministic.
"""

from __future__ import annotations

import hashlib
from typing import Final, final

import msgspec

from engine.contacts.model import QuietHours
from engine.schedules import Restriction

__all__ = [
    "CONTACT_COMMAND_TYPES",
    "AddContactMethod",
    "AddNotificationRule",
    "ContactCommand",
    "DeleteContactMethod",
    "DeleteNotificationRule",
    "ResendVerification",
    "SetQuietHours",
    "StepSpec",
    "UpdateContactMethod",
    "UpdateNotificationRule",
    "VerifyContactMethod",
    "verification_hash",
]


def verification_hash(code: str, method_id: str) -> str:
    """The stored form of a verification code: SHA-256 of the code and the method's id.

    The method id salts the hash, so one code's hash is useless for another method.
    """
    return hashlib.sha256((code.strip() + method_id).encode()).hexdigest()


class _Command(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of the contact commands: whose contacts they change."""

    account_id: str


@final
class StepSpec(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A rule step as a command gives it (``decide`` works out its ``since``)."""

    id: str
    contact_method_id: str
    send_after_minutes: int = 0
    enabled: bool = True


@final
class AddContactMethod(_Command, frozen=True, kw_only=True):
    """Add an address; an email one starts a verification when ``code_hash`` is given.

    ``secret`` is required for (and only kept by) a ``webhook`` method.
    """

    method_id: str
    method: str
    address: str
    name: str = ""
    secret: str | None = None
    code_hash: str | None = None


@final
class UpdateContactMethod(_Command, frozen=True, kw_only=True):
    """Rename, readdress or enable/disable a method; ``None`` leaves a field as it is.

    A new email address is unverified again; ``code_hash`` starts its verification.
    """

    method_id: str
    name: str | None = None
    address: str | None = None
    enabled: bool | None = None
    code_hash: str | None = None


@final
class DeleteContactMethod(_Command, frozen=True, kw_only=True):
    """Remove a method and every rule step that uses it."""

    method_id: str


@final
class VerifyContactMethod(_Command, frozen=True, kw_only=True):
    """Try a verification code (by its ``verification_hash``)."""

    method_id: str
    code_hash: str


@final
class ResendVerification(_Command, frozen=True, kw_only=True):
    """Replace an unverified email method's code with a new one."""

    method_id: str
    code_hash: str


@final
class AddNotificationRule(_Command, frozen=True, kw_only=True):
    """Add a rule at position ``order`` (1-based; ``None``, 0 or past the end: last)."""

    rule_id: str
    name: str
    action_type: str = "create-alert"
    enabled: bool = True
    order: int | None = None
    priorities: tuple[str, ...] = ()
    time_restriction: Restriction | None = None
    timezone: str = "UTC"
    steps: tuple[StepSpec, ...] = ()


@final
class UpdateNotificationRule(_Command, frozen=True, kw_only=True):
    """Change a rule; ``None`` leaves a field as it is.

    ``steps`` replaces the rule's steps; ``clear_time_restriction`` removes the
    time restriction (``time_restriction`` sets one).
    """

    rule_id: str
    name: str | None = None
    enabled: bool | None = None
    order: int | None = None
    priorities: tuple[str, ...] | None = None
    time_restriction: Restriction | None = None
    clear_time_restriction: bool = False
    timezone: str | None = None
    steps: tuple[StepSpec, ...] | None = None


@final
class DeleteNotificationRule(_Command, frozen=True, kw_only=True):
    rule_id: str


@final
class SetQuietHours(_Command, frozen=True, kw_only=True):
    """Replace the member's quiet hours."""

    quiet_hours: QuietHours


ContactCommand = (
    AddContactMethod
    | UpdateContactMethod
    | DeleteContactMethod
    | VerifyContactMethod
    | ResendVerification
    | AddNotificationRule
    | UpdateNotificationRule
    | DeleteNotificationRule
    | SetQuietHours
)

CONTACT_COMMAND_TYPES: Final = (
    AddContactMethod,
    UpdateContactMethod,
    DeleteContactMethod,
    VerifyContactMethod,
    ResendVerification,
    AddNotificationRule,
    UpdateNotificationRule,
    DeleteNotificationRule,
    SetQuietHours,
)
