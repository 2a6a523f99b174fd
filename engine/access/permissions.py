"""The one permission table: what each role and each API-key right may do.

Every route names the ``Permission`` it needs (``web.permissions``); a
principal holds the set its role or its key's rights grant. Nothing else in
Pulsar decides who may do what.

Roles (an organization member has exactly one):

- ``viewer`` reads everything, changes nothing;
- ``member`` also works alerts (create, acknowledge, close, note, ...);
- ``admin`` also manages configuration (integrations, heartbeats, schedules,
  teams), API keys and members below owner, and reads the audit log;
- ``owner`` also manages owners and may delete the organization.

API-key rights are Opsgenie's: ``read``, ``create-and-update``, ``delete``,
``configuration-access``; ``full`` (the organization's first key) is all four.
A key never holds an owner-only permission.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "KEY_RIGHTS",
    "ROLES",
    "ROLE_RANK",
    "Permission",
    "permissions_of_rights",
    "permissions_of_role",
]


class Permission(StrEnum):
    READ = "read"  # every read of organization data
    ALERT_WRITE = "alert:write"  # create and work alerts
    ALERT_DELETE = "alert:delete"
    CONFIGURE = "configure"  # integrations, heartbeats, schedules, teams, feeds
    MANAGE_KEYS = "keys:manage"
    MANAGE_MEMBERS = "members:manage"  # invite, add, change role (below owner), remove
    READ_AUDIT = "audit:read"
    MANAGE_OWNERS = "owners:manage"  # grant or take the owner role
    DELETE_ORGANIZATION = "organization:delete"


ROLES: Final = ("owner", "admin", "member", "viewer")
ROLE_RANK: Final = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}
KEY_RIGHTS: Final = ("read", "create-and-update", "delete", "configuration-access")

_VIEWER = frozenset({Permission.READ})
_MEMBER = _VIEWER | {Permission.ALERT_WRITE}
_ADMIN = _MEMBER | {
    Permission.ALERT_DELETE,
    Permission.CONFIGURE,
    Permission.MANAGE_KEYS,
    Permission.MANAGE_MEMBERS,
    Permission.READ_AUDIT,
}
_OWNER = _ADMIN | {Permission.MANAGE_OWNERS, Permission.DELETE_ORGANIZATION}

_BY_ROLE: Final = {"viewer": _VIEWER, "member": _MEMBER, "admin": _ADMIN, "owner": _OWNER}

_BY_RIGHT: Final = {
    "read": frozenset({Permission.READ}),
    "create-and-update": frozenset({Permission.ALERT_WRITE}),
    "delete": frozenset({Permission.ALERT_DELETE}),
    "configuration-access": frozenset(
        {
            Permission.CONFIGURE,
            Permission.MANAGE_KEYS,
            Permission.MANAGE_MEMBERS,
            Permission.READ_AUDIT,
        }
    ),
}
_ALL_RIGHTS = frozenset().union(*_BY_RIGHT.values())


def permissions_of_role(role: str) -> frozenset[Permission]:
    """What a member with ``role`` may do; nothing for an unknown role."""
    return _BY_ROLE.get(role, frozenset())


def permissions_of_rights(rights: tuple[str, ...]) -> frozenset[Permission]:
    """What an API key with ``rights`` may do (``full`` is every key right)."""
    if "full" in rights:
        return _ALL_RIGHTS
    granted: frozenset[Permission] = frozenset()
    for right in rights:
        granted |= _BY_RIGHT.get(right, frozenset())
    return granted
