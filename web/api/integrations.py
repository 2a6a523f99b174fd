"""/api/v1/integrations: integrations and their ingestion keys.

The ingestion key is generated here, shown once in the create response, and only its hash
is stored (in the ``IntegrationCreated`` event, which the directory follows).
"""

from __future__ import annotations

from typing import Any, final

import msgspec
from quart import Blueprint, Response

from engine import (
    Command,
    CreateIntegration,
    DeleteIntegration,
    DisableIntegration,
    EnableIntegration,
    FieldMapping,
    IntegrationRecord,
    OrgState,
    UpdateIntegration,
    hash_api_key,
    new_api_key,
    new_id,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.auth.principal import Principal
from web.errors import ApiError

__all__ = ["blueprint"]

blueprint = Blueprint("integrations", __name__)

_PATHS = {
    "alertmanager": "/v1/webhooks/alertmanager/{key}",
    "grafana": "/v1/webhooks/grafana/{key}",
    "pagerduty": "/v2/enqueue",
    "generic": "/v1/webhooks/generic/{key}",
    "api": "/api/v1/alerts",
    "opsgenie": "/v2/alerts",
}


@final
class CreateIntegrationRequest(msgspec.Struct, kw_only=True):
    name: str
    type: str
    team: str = ""
    priorityLabel: str = "severity"
    mapping: FieldMapping = FieldMapping()


@final
class UpdateIntegrationRequest(msgspec.Struct, kw_only=True):
    name: str | None = None
    team: str | None = None
    priorityLabel: str | None = None
    mapping: FieldMapping | None = None


def integration_out(record: IntegrationRecord) -> dict[str, Any]:
    """The integration as JSON (never its key)."""
    return {
        "id": record.id,
        "name": record.name,
        "type": record.type,
        "team": record.team or None,
        "enabled": record.enabled,
        "priorityLabel": record.priority_label,
        "mapping": msgspec.to_builtins(record.mapping),
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    }


def ingestion_url(kind: str, key: str) -> str:
    """Where a tool of ``kind`` sends its payloads (relative to Pulsar's base URL)."""
    return _PATHS[kind].format(key=key)


async def _get(org_id: str, integration_id: str) -> dict[str, Any]:
    def view(state: OrgState) -> dict[str, Any] | None:
        record = state.integrations.integrations.get(integration_id)
        return integration_out(record) if record is not None else None

    data = await services().supervisor.read(org_id, view)
    if data is None:
        raise ApiError(
            404, "integration_not_found", f"Integration {integration_id!r} does not exist"
        )
    return data


_KEY_SHOWN_ONCE = (
    "this request was already processed; the ingestion key was in its first answer only"
)


@blueprint.post("/integrations")
async def create_integration() -> Response:
    """Create an integration; the answer holds its ingestion key, shown only this once (201)."""
    key = principal()
    body = await parse_body(CreateIntegrationRequest)
    ctx = await command_context(key)
    ingestion_key = new_api_key()
    command = CreateIntegration(
        integration_id=new_id(),
        name=body.name,
        kind=body.type,
        key_hash=hash_api_key(ingestion_key),
        team=body.team,
        priority_label=body.priorityLabel,
        mapping=body.mapping,
    )
    outcome = await services().supervisor.submit(key.org_id, command, ctx)
    integration_id = outcome.subject_id or command.integration_id
    if integration_id != command.integration_id:
        # A retry with the same Idempotency-Key: the integration exists, but its key was
        # shown only in the first answer (only its hash is stored), so none is shown now.
        data = await _get(key.org_id, integration_id)
        data["key"] = None
        return json_response({"data": data, "message": _KEY_SHOWN_ONCE}, 200)
    services().directory.learn_integration(
        key.org_id, command.integration_id, command.kind, command.key_hash
    )
    data = await _get(key.org_id, command.integration_id)
    data["key"] = ingestion_key
    data["url"] = ingestion_url(body.type, ingestion_key)
    return json_response({"data": data}, 201)


@blueprint.get("/integrations")
async def list_integrations() -> Response:
    key = principal()

    def view(state: OrgState) -> list[dict[str, Any]]:
        return [integration_out(r) for r in state.integrations.integrations.values()]

    return json_response({"data": await services().supervisor.read(key.org_id, view)})


@blueprint.get("/integrations/<integration_id>")
async def get_integration(integration_id: str) -> Response:
    key = principal()
    return json_response({"data": await _get(key.org_id, integration_id)})


async def _change(key: Principal, integration_id: str, command: Command) -> Response:
    ctx = await command_context(key)
    await services().supervisor.submit(key.org_id, command, ctx)
    return json_response({"data": await _get(key.org_id, integration_id)})


@blueprint.patch("/integrations/<integration_id>")
async def update_integration(integration_id: str) -> Response:
    """Change name, team, priority label or mapping (fields left out stay as they are)."""
    key = principal()
    body = await parse_body(UpdateIntegrationRequest)
    return await _change(
        key,
        integration_id,
        UpdateIntegration(
            integration_id=integration_id,
            name=body.name,
            team=body.team,
            priority_label=body.priorityLabel,
            mapping=body.mapping,
        ),
    )


@blueprint.post("/integrations/<integration_id>/disable")
async def disable_integration(integration_id: str) -> Response:
    """Reject the integration's traffic (403 ``integration_disabled``) until enabled."""
    return await _change(
        principal(), integration_id, DisableIntegration(integration_id=integration_id)
    )


@blueprint.post("/integrations/<integration_id>/enable")
async def enable_integration(integration_id: str) -> Response:
    return await _change(
        principal(), integration_id, EnableIntegration(integration_id=integration_id)
    )


@blueprint.delete("/integrations/<integration_id>")
async def delete_integration(integration_id: str) -> Response:
    """Remove the integration; its key stops working."""
    key = principal()
    ctx = await command_context(key)
    await services().supervisor.submit(
        key.org_id, DeleteIntegration(integration_id=integration_id), ctx
    )
    return json_response({"result": "deleted"})
