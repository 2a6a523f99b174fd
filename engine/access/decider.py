"""decide/evolve for the access area.

``evolve`` mutates the state in place and returns it, like every area: the
org actor owns the only copy and discards it if an append fails.
"""

from __future__ import annotations

from datetime import datetime

from engine.access.commands import AccessCommand, CreateApiKey, CreateOrganization, RevokeApiKey
from engine.access.events import AccessEvent, ApiKeyCreated, ApiKeyRevoked, OrganizationCreated
from engine.access.state import AccessState, ApiKey
from engine.errors import NotFound, Rejected

__all__ = ["decide", "evolve", "initial_state"]

_NAME_MAX = 100


def initial_state() -> AccessState:
    return AccessState()


def decide(state: AccessState, command: AccessCommand, now: datetime) -> list[AccessEvent]:
    match command:
        case CreateOrganization():
            if state.created_at is not None:
                raise Rejected("organization_exists", "the organization already exists")
            _check_name(command.name)
            return [
                OrganizationCreated(org_id=command.org_id, name=command.name.strip(), at=now),
                ApiKeyCreated(
                    key_id=command.key_id,
                    name="default",
                    key_hash=command.key_hash,
                    rights=("full",),
                    at=now,
                ),
            ]
        case CreateApiKey():
            _check_name(command.name)
            if command.key_id in state.api_keys:
                raise Rejected("api_key_exists", "an API key with this id exists")
            return [
                ApiKeyCreated(
                    key_id=command.key_id,
                    name=command.name.strip(),
                    key_hash=command.key_hash,
                    rights=command.rights,
                    at=now,
                )
            ]
        case RevokeApiKey():
            key = state.api_keys.get(command.key_id)
            if key is None:
                raise NotFound("api_key_not_found", "no such API key")
            if key.revoked_at is not None:
                return []
            return [ApiKeyRevoked(key_id=command.key_id, at=now)]


def _check_name(name: str) -> None:
    if not name.strip() or len(name.strip()) > _NAME_MAX:
        raise Rejected("invalid_field", f"name must be 1-{_NAME_MAX} characters", field="name")


def evolve(state: AccessState, event: AccessEvent) -> AccessState:
    match event:
        case OrganizationCreated():
            state.org_id, state.name, state.created_at = event.org_id, event.name, event.at
        case ApiKeyCreated():
            state.api_keys[event.key_id] = ApiKey(
                key_id=event.key_id,
                name=event.name,
                key_hash=event.key_hash,
                rights=event.rights,
                created_at=event.at,
            )
        case ApiKeyRevoked():
            key = state.api_keys.get(event.key_id)
            if key is not None:
                key.revoked_at = event.at
    return state
