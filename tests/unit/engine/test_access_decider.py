"""The access area: organization creation and API keys."""

from __future__ import annotations

import msgspec
import pytest

from engine import access
from engine.access import (
    ApiKeyCreated,
    ApiKeyRevoked,
    CreateApiKey,
    CreateOrganization,
    OrganizationCreated,
    RevokeApiKey,
)
from tests.helpers.decider import NOW, Decider

ACCESS = Decider(access.initial_state, access.decide, access.evolve)
CREATED = [
    OrganizationCreated(org_id="o1", name="acme", at=NOW),
    ApiKeyCreated(key_id="k1", name="default", key_hash="h1", rights=("full",), at=NOW),
]


def test_create_organization_creates_org_and_full_rights_key() -> None:
    """A new organization gets its name and one full-rights key."""
    state = (
        ACCESS.given()
        .when(CreateOrganization(org_id="o1", name=" acme ", key_id="k1", key_hash="h1"))
        .then(CREATED)
    )
    assert (state.org_id, state.name, state.created_at) == ("o1", "acme", NOW)
    assert state.api_keys["k1"].key_hash == "h1"


def test_organization_cannot_be_created_twice() -> None:
    """Creating an existing organization is rejected."""
    ACCESS.given(CREATED).when(
        CreateOrganization(org_id="o1", name="x", key_id="k2", key_hash="h2")
    ).then_rejected("organization_exists")


def test_organization_name_must_be_1_to_100_characters() -> None:
    """Blank and over-long names are invalid fields."""
    for name in ("  ", "x" * 101):
        ACCESS.given().when(
            CreateOrganization(org_id="o1", name=name, key_id="k1", key_hash="h1")
        ).then_rejected("invalid_field")


def test_create_and_revoke_api_key() -> None:
    """A key can be added and revoked; revoking twice is a no-op."""
    added = ApiKeyCreated(key_id="k2", name="ci", key_hash="h2", rights=("read",), at=NOW)
    ACCESS.given(CREATED).when(
        CreateApiKey(key_id="k2", name="ci", key_hash="h2", rights=("read",))
    ).then([added])
    state = (
        ACCESS.given([*CREATED, added])
        .when(RevokeApiKey(key_id="k2"))
        .then([ApiKeyRevoked(key_id="k2", at=NOW)])
    )
    assert state.api_keys["k2"].revoked_at == NOW
    ACCESS.given([*CREATED, added, ApiKeyRevoked(key_id="k2", at=NOW)]).when(
        RevokeApiKey(key_id="k2")
    ).then([])


def test_duplicate_or_unknown_keys_are_rejected() -> None:
    """A reused key id is rejected; revoking an unknown key is not found."""
    ACCESS.given(CREATED).when(
        CreateApiKey(key_id="k1", name="again", key_hash="h9")
    ).then_rejected("api_key_exists")
    ACCESS.given(CREATED).when(CreateApiKey(key_id="k3", name="", key_hash="h3")).then_rejected(
        "invalid_field"
    )
    ACCESS.given(CREATED).when(RevokeApiKey(key_id="nope")).then_rejected("api_key_not_found")


def test_evolve_ignores_revocation_of_unknown_key() -> None:
    """evolve is total: a revocation for a key it never saw changes nothing."""
    state = ACCESS.fold([*CREATED, ApiKeyRevoked(key_id="ghost", at=NOW)])
    assert list(state.api_keys) == ["k1"]


def test_api_key_keeps_its_prefix_and_team() -> None:
    """A key records its visible prefix and optional team; a blank team is none."""
    command = CreateApiKey(
        key_id="k2", name="ci", key_hash="h2", rights=("read",), prefix=" pk_ab ", team_id=" t1 "
    )
    added = ApiKeyCreated(
        key_id="k2",
        name="ci",
        key_hash="h2",
        rights=("read",),
        at=NOW,
        prefix="pk_ab",
        team_id="t1",
    )
    state = ACCESS.given(CREATED).when(command).then([added])
    assert (state.api_keys["k2"].prefix, state.api_keys["k2"].team_id) == ("pk_ab", "t1")
    blank = CreateApiKey(key_id="k3", name="ci", key_hash="h3", team_id="  ")
    assert ACCESS.given(CREATED).when(blank).events[0].team_id is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("rights", "stored"),
    [
        (("full",), ("full",)),
        (("read",), ("read",)),
        (("delete", "read", "read"), ("read", "delete")),
        (
            ("configuration-access", "delete", "create-and-update", "read"),
            ("read", "create-and-update", "delete", "configuration-access"),
        ),
    ],
)
def test_api_key_rights_are_a_subset_or_full(
    rights: tuple[str, ...], stored: tuple[str, ...]
) -> None:
    """Rights are full, or key rights stored once each in their canonical order."""
    command = CreateApiKey(key_id="k2", name="ci", key_hash="h2", rights=rights)
    assert ACCESS.given(CREATED).when(command).events[0].rights == stored  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "rights", [(), ("full", "read"), ("admin",), ("read", "write"), ("full", "full")]
)
def test_other_api_key_rights_are_invalid(rights: tuple[str, ...]) -> None:
    """No rights, unknown rights, or full mixed with others is invalid_field rights."""
    command = CreateApiKey(key_id="k2", name="ci", key_hash="h2", rights=rights)
    ACCESS.given(CREATED).when(command).then_rejected("invalid_field", field="rights")


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (CreateApiKey(key_id=" ", name="ci", key_hash="h2"), "key_id"),
        (CreateApiKey(key_id="k2", name="ci", key_hash=""), "key_hash"),
        (CreateApiKey(key_id="k2", name="ci", key_hash="h2", prefix="p" * 33), "prefix"),
    ],
)
def test_api_key_fields_are_checked(command: CreateApiKey, field: str) -> None:
    """A key needs an id and a hash; its prefix is at most 32 characters."""
    ACCESS.given(CREATED).when(command).then_rejected("invalid_field", field=field)


def test_first_shape_key_events_still_decode() -> None:
    """ApiKeyCreated and OrganizationCreated written before prefix/team/owner existed decode."""
    old = (
        b'{"type":"ApiKeyCreated","key_id":"k","name":"n","key_hash":"h",'
        b'"rights":["full"],"at":"2030-01-01T12:00:00Z"}'
    )
    key = msgspec.json.decode(old, type=access.AccessEvent)
    assert key == ApiKeyCreated(key_id="k", name="n", key_hash="h", rights=("full",), at=NOW)
    org = b'{"type":"OrganizationCreated","org_id":"o","name":"n","at":"2030-01-01T12:00:00Z"}'
    assert msgspec.json.decode(org, type=access.AccessEvent) == OrganizationCreated(
        org_id="o", name="n", at=NOW
    )
