"""The access area: organization creation and API keys."""

from __future__ import annotations

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
