"""decide/evolve for the integrations area.

``evolve`` mutates the state in place and returns it, like every area: the org actor owns
the only copy and discards it if an append fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from engine.errors import NotFound, Rejected
from engine.integrations.commands import (
    CreateIntegration,
    DeleteIntegration,
    DisableIntegration,
    EnableIntegration,
    IntegrationCommand,
    UpdateIntegration,
)
from engine.integrations.events import (
    IntegrationCreated,
    IntegrationDeleted,
    IntegrationDisabled,
    IntegrationEnabled,
    IntegrationEvent,
    IntegrationUpdated,
)
from engine.integrations.state import (
    INTEGRATION_TYPES,
    FieldMapping,
    IntegrationRecord,
    IntegrationsState,
    initial_state,
)

__all__ = ["decide", "evolve", "initial_state"]

MAX_NAME: Final = 100
MAX_TEAM: Final = 100
MAX_LABEL: Final = 100
MAX_PATH: Final = 200


def decide(
    state: IntegrationsState, command: IntegrationCommand, now: datetime
) -> list[IntegrationEvent]:
    """The events ``command`` causes; raises ``Rejected`` or ``NotFound``."""
    match command:
        case CreateIntegration():
            return [_create(state, command, now)]
        case UpdateIntegration():
            return _update(_get(state, command.integration_id), command, now)
        case DisableIntegration():
            record = _get(state, command.integration_id)
            if not record.enabled:
                return []
            return [IntegrationDisabled(integration_id=record.id, at=now)]
        case EnableIntegration():
            record = _get(state, command.integration_id)
            if record.enabled:
                return []
            return [IntegrationEnabled(integration_id=record.id, at=now)]
        case DeleteIntegration():
            record = _get(state, command.integration_id)
            return [IntegrationDeleted(integration_id=record.id, key_hash=record.key_hash, at=now)]


def _create(
    state: IntegrationsState, command: CreateIntegration, now: datetime
) -> IntegrationCreated:
    if command.integration_id in state.integrations:
        raise Rejected("integration_exists", "an integration with this id exists")
    if command.kind not in INTEGRATION_TYPES:
        raise Rejected(
            "invalid_field", f"type must be one of {', '.join(INTEGRATION_TYPES)}", field="type"
        )
    if not command.key_hash:
        raise Rejected("invalid_field", "an ingestion key is required", field="key")
    return IntegrationCreated(
        integration_id=command.integration_id,
        name=_name(command.name),
        kind=command.kind,
        key_hash=command.key_hash,
        team=_team(command.team),
        priority_label=_label(command.priority_label),
        mapping=_mapping(command.mapping),
        at=now,
    )


def _update(
    record: IntegrationRecord, command: UpdateIntegration, now: datetime
) -> list[IntegrationEvent]:
    name = record.name if command.name is None else _name(command.name)
    team = record.team if command.team is None else _team(command.team)
    label = (
        record.priority_label if command.priority_label is None else _label(command.priority_label)
    )
    mapping = record.mapping if command.mapping is None else _mapping(command.mapping)
    if (name, team, label, mapping) == (
        record.name,
        record.team,
        record.priority_label,
        record.mapping,
    ):
        return []
    return [
        IntegrationUpdated(
            integration_id=record.id,
            name=name,
            team=team,
            priority_label=label,
            mapping=mapping,
            at=now,
        )
    ]


def _get(state: IntegrationsState, integration_id: str) -> IntegrationRecord:
    record = state.integrations.get(integration_id)
    if record is None:
        raise NotFound("integration_not_found", f"Integration {integration_id!r} does not exist")
    return record


def _name(name: str) -> str:
    name = name.strip()
    if not 0 < len(name) <= MAX_NAME:
        raise Rejected("invalid_field", f"name must be 1-{MAX_NAME} characters", field="name")
    return name


def _team(team: str) -> str:
    team = team.strip()
    if len(team) > MAX_TEAM:
        raise Rejected("invalid_field", f"team must be 0-{MAX_TEAM} characters", field="team")
    return team


def _label(label: str) -> str:
    label = label.strip()
    if not 0 < len(label) <= MAX_LABEL:
        raise Rejected(
            "invalid_field",
            f"priorityLabel must be 1-{MAX_LABEL} characters",
            field="priorityLabel",
        )
    return label


def _mapping(mapping: FieldMapping) -> FieldMapping:
    paths = (
        mapping.items,
        mapping.message,
        mapping.alias,
        mapping.description,
        mapping.priority,
        mapping.tags,
        mapping.details,
        mapping.entity,
        mapping.status,
    )
    if any(len(path) > MAX_PATH for path in paths) or not mapping.message:
        raise Rejected(
            "invalid_field",
            f"mapping paths must be at most {MAX_PATH} characters and message is required",
            field="mapping",
        )
    return mapping


def evolve(state: IntegrationsState, event: IntegrationEvent) -> IntegrationsState:
    """Apply one committed event; total, never raises."""
    match event:
        case IntegrationCreated():
            state.integrations[event.integration_id] = IntegrationRecord(
                id=event.integration_id,
                name=event.name,
                type=event.kind,
                key_hash=event.key_hash,
                team=event.team,
                priority_label=event.priority_label,
                mapping=event.mapping,
                enabled=True,
                created_at=event.at,
                updated_at=event.at,
            )
        case IntegrationDeleted():
            state.integrations.pop(event.integration_id, None)
        case _:
            record = state.integrations.get(event.integration_id)
            if record is not None:
                _change(record, event)
    return state


def _change(
    record: IntegrationRecord,
    event: IntegrationUpdated | IntegrationDisabled | IntegrationEnabled,
) -> None:
    match event:
        case IntegrationUpdated():
            record.name, record.team = event.name, event.team
            record.priority_label, record.mapping = event.priority_label, event.mapping
        case IntegrationDisabled():
            record.enabled = False
        case IntegrationEnabled():
            record.enabled = True
    record.updated_at = event.at
