"""The permission table: what each role and each key right grants."""

from __future__ import annotations

import itertools

import pytest

from engine.access.permissions import (
    KEY_RIGHTS,
    ROLES,
    Permission,
    permissions_of_rights,
    permissions_of_role,
)

P = Permission


def test_roles_are_nested_from_viewer_to_owner() -> None:
    grants = [permissions_of_role(role) for role in reversed(ROLES)]
    for lower, higher in itertools.pairwise(grants):
        assert lower < higher


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("viewer", {P.READ}),
        ("member", {P.READ, P.ALERT_WRITE}),
        (
            "admin",
            {
                P.READ,
                P.ALERT_WRITE,
                P.ALERT_DELETE,
                P.CONFIGURE,
                P.MANAGE_KEYS,
                P.MANAGE_MEMBERS,
                P.READ_AUDIT,
            },
        ),
        ("owner", set(Permission)),
        ("nobody", set()),
    ],
)
def test_each_role_grants_exactly(role: str, expected: set[Permission]) -> None:
    assert permissions_of_role(role) == expected


@pytest.mark.parametrize(
    ("rights", "expected"),
    [
        (("read",), {P.READ}),
        (("create-and-update",), {P.ALERT_WRITE}),
        (("delete",), {P.ALERT_DELETE}),
        (
            ("configuration-access",),
            {P.CONFIGURE, P.MANAGE_KEYS, P.MANAGE_MEMBERS, P.READ_AUDIT},
        ),
        (("read", "delete"), {P.READ, P.ALERT_DELETE}),
        (("unknown",), set()),
        ((), set()),
    ],
)
def test_each_key_right_grants_exactly(rights: tuple[str, ...], expected: set[Permission]) -> None:
    assert permissions_of_rights(rights) == expected


def test_full_is_every_key_right_and_never_an_owner_permission() -> None:
    full = permissions_of_rights(("full",))
    assert full == permissions_of_rights(KEY_RIGHTS)
    assert P.MANAGE_OWNERS not in full
    assert P.DELETE_ORGANIZATION not in full
