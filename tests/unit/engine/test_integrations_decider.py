"""The integrations area: create, update, enable, disable, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import integrations
from engine.integrations import (
    CreateIntegration,
    DeleteIntegration,
    DisableIntegration,
    EnableIntegration,
    FieldMapping,
    IntegrationCreated,
    IntegrationDeleted,
    IntegrationDisabled,
    IntegrationEnabled,
    IntegrationUpdated,
    UpdateIntegration,
)
from tests.helpers.decider import NOW, Decider

INTEGRATIONS = Decider(integrations.initial_state, integrations.decide, integrations.evolve)
T1 = NOW + timedelta(minutes=1)
CREATED = IntegrationCreated(
    integration_id="i1",
    name="prom",
    kind="alertmanager",
    key_hash="h1",
    team="ops",
    priority_label="severity",
    mapping=FieldMapping(),
    at=NOW,
)


def test_create_integration_stores_it_enabled() -> None:
    """A new integration is enabled, with trimmed name and team."""
    state = (
        INTEGRATIONS.given()
        .when(
            CreateIntegration(
                integration_id="i1", name=" prom ", kind="alertmanager", key_hash="h1", team="ops "
            )
        )
        .then([CREATED])
    )
    record = state.integrations["i1"]
    assert (record.enabled, record.type, record.key_hash, record.team) == (
        True,
        "alertmanager",
        "h1",
        "ops",
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "nagios"}, "type"),
        ({"key_hash": ""}, "key"),
        ({"name": " "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"team": "t" * 101}, "team"),
        ({"priority_label": ""}, "priorityLabel"),
        ({"mapping": FieldMapping(message="")}, "mapping"),
        ({"mapping": FieldMapping(alias="a" * 201)}, "mapping"),
    ],
)
def test_create_rejects_invalid_fields(overrides: dict[str, object], field: str) -> None:
    """Unknown types, blank names, over-long settings are invalid fields."""
    fields: dict[str, object] = {
        "integration_id": "i1",
        "name": "n",
        "kind": "generic",
        "key_hash": "h",
        **overrides,
    }
    INTEGRATIONS.given().when(CreateIntegration(**fields)).then_rejected(  # type: ignore[arg-type]
        "invalid_field", field=field
    )


def test_create_twice_is_rejected() -> None:
    """An integration id is used once."""
    INTEGRATIONS.given([CREATED]).when(
        CreateIntegration(integration_id="i1", name="x", kind="api", key_hash="h2")
    ).then_rejected("integration_exists")


def test_update_changes_only_given_fields() -> None:
    """``None`` keeps a setting; the event carries every setting as it now is."""
    mapping = FieldMapping(message="title")
    state = (
        INTEGRATIONS.given([CREATED])
        .when(
            UpdateIntegration(integration_id="i1", priority_label="level", mapping=mapping), now=T1
        )
        .then(
            [
                IntegrationUpdated(
                    integration_id="i1",
                    name="prom",
                    team="ops",
                    priority_label="level",
                    mapping=mapping,
                    at=T1,
                )
            ]
        )
    )
    assert (state.integrations["i1"].priority_label, state.integrations["i1"].updated_at) == (
        "level",
        T1,
    )
    INTEGRATIONS.given([CREATED]).when(
        UpdateIntegration(integration_id="i1", name="prom", team="ops")
    ).then([])
    INTEGRATIONS.given([CREATED]).when(
        UpdateIntegration(integration_id="i1", name="new", team="")
    ).then(
        [
            IntegrationUpdated(
                integration_id="i1",
                name="new",
                team="",
                priority_label="severity",
                mapping=FieldMapping(),
                at=NOW,
            )
        ]
    )


def test_disable_and_enable_are_idempotent() -> None:
    """Disabling twice or enabling an enabled integration is a no-op."""
    disabled = IntegrationDisabled(integration_id="i1", at=T1)
    state = INTEGRATIONS.given([CREATED]).when(DisableIntegration(integration_id="i1"), now=T1)
    assert state.then([disabled]).integrations["i1"].enabled is False
    INTEGRATIONS.given([CREATED, disabled]).when(DisableIntegration(integration_id="i1")).then([])
    INTEGRATIONS.given([CREATED]).when(EnableIntegration(integration_id="i1")).then([])
    enabled = IntegrationEnabled(integration_id="i1", at=T1)
    state2 = (
        INTEGRATIONS.given([CREATED, disabled])
        .when(EnableIntegration(integration_id="i1"), now=T1)
        .then([enabled])
    )
    assert state2.integrations["i1"].enabled is True


def test_delete_removes_the_integration_and_names_its_key() -> None:
    """A deleted integration is gone; its key hash is in the event for the directory."""
    state = (
        INTEGRATIONS.given([CREATED])
        .when(DeleteIntegration(integration_id="i1"))
        .then([IntegrationDeleted(integration_id="i1", key_hash="h1", at=NOW)])
    )
    assert state.integrations == {}


@pytest.mark.parametrize(
    "command",
    [
        UpdateIntegration(integration_id="nope", name="x"),
        DisableIntegration(integration_id="nope"),
        EnableIntegration(integration_id="nope"),
        DeleteIntegration(integration_id="nope"),
    ],
)
def test_commands_on_unknown_integration_are_not_found(
    command: UpdateIntegration | DisableIntegration | EnableIntegration | DeleteIntegration,
) -> None:
    """Acting on an integration that does not exist raises ``integration_not_found``."""
    INTEGRATIONS.given([CREATED]).when(command).then_rejected("integration_not_found")


def test_evolve_tolerates_events_of_unknown_integrations() -> None:
    """``evolve`` is total: events for a missing integration change nothing."""
    state = INTEGRATIONS.fold(
        [
            IntegrationDisabled(integration_id="x", at=NOW),
            IntegrationDeleted(integration_id="x", key_hash="h", at=NOW),
        ]
    )
    assert state.integrations == {}
