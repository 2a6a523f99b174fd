"""/api/v1/api-keys: the organization's API keys, created, listed and revoked.

The secret is generated here and shown once, in the create answer; only its
SHA-256 (``engine.hash_api_key``) and its first ten characters (``prefix``, to
recognise it in listings) are stored, in the ``ApiKeyCreated`` event. Rights are
Opsgenie's (``read``, ``create-and-update``, ``delete``,
``configuration-access``); a key never grants more than its creator holds.

A key may be scoped to a team (``team_id``, the team's id or name): it then
acts for that team only (``web.auth.scope``), and it manages only keys of
that team.

Keys authenticate through the directory, which follows the log; after a
create or a revoke this process catches its directory up before answering,
so the new key works, and the revoked one fails, on the very next request
(other processes follow within their tail interval).
"""

from __future__ import annotations

from typing import Any, final

import msgspec
from quart import Blueprint, Response

from engine import (
    KEY_RIGHTS,
    ApiKey,
    CreateApiKey,
    Directory,
    NotFound,
    OrgState,
    RevokeApiKey,
    hash_api_key,
    new_api_key,
    new_id,
    permissions_of_rights,
    team_by_name,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.auth.principal import Principal
from web.errors import ApiError

__all__ = ["blueprint"]

blueprint = Blueprint("api_keys", __name__)

PREFIX_LENGTH = 10
_SHOWN_ONCE = "this request was already processed; the key was in its first answer only"


@final
class ApiKeyIn(msgspec.Struct, kw_only=True):
    name: str
    rights: list[str]
    team_id: str | None = None


def key_out(key: ApiKey, state: OrgState, directory: Directory) -> dict[str, Any]:
    """The key as JSON: never its secret nor its hash.

    ``last_used_at`` is when this process last authenticated a request with it
    (kept in memory: ``Directory.touch``).
    """
    team = state.teams.teams.get(key.team_id) if key.team_id else None
    return {
        "id": key.key_id,
        "name": key.name,
        "rights": list(key.rights),
        "prefix": key.prefix,
        "team_id": key.team_id,
        "team_name": team.name if team else None,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
        "last_used_at": directory.last_used(key.key_id),
    }


def _rights(creator: Principal, rights: list[str]) -> tuple[str, ...]:
    """``rights`` checked: a non-empty subset of ``KEY_RIGHTS`` the creator holds itself."""
    if not rights or any(right not in KEY_RIGHTS for right in rights):
        raise ApiError(
            422,
            "invalid_field",
            f"rights must be a non-empty list of {', '.join(KEY_RIGHTS)}",
            field="rights",
        )
    checked = tuple(right for right in KEY_RIGHTS if right in rights)
    if not permissions_of_rights(checked) <= creator.permissions:
        raise ApiError(
            403, "forbidden", "a key cannot get rights its creator does not have", field="rights"
        )
    return checked


async def _team_id(creator: Principal, team: str | None) -> str | None:
    """The id of the team ``team`` names (by id, else by name); a scoped creator's own team."""
    if team is None or not team.strip():
        return creator.team_id

    def view(state: OrgState) -> str:
        if team in state.teams.teams:
            return team
        found = team_by_name(state.teams, team)
        if found is None:
            raise NotFound("team_not_found", f"Team {team!r} does not exist", field="team_id")
        return found.id

    team_id = await services().supervisor.read(creator.org_id, view)
    if creator.team_id is not None and team_id != creator.team_id:
        raise ApiError(
            403, "forbidden", "a team's key creates keys of its team only", field="team_id"
        )
    return team_id


async def _key(org_id: str, key_id: str) -> dict[str, Any]:
    directory = services().directory

    def view(state: OrgState) -> dict[str, Any] | None:
        key = state.access.api_keys.get(key_id)
        return None if key is None else key_out(key, state, directory)

    found = await services().supervisor.read(org_id, view)
    if found is None:
        raise ApiError(404, "api_key_not_found", f"API key {key_id!r} does not exist")
    return found


async def _catch_up() -> None:
    """Apply the key change this request committed to the directory (see the module doc)."""
    svc = services()
    await svc.directory.catch_up(svc.store)


@blueprint.post("/api-keys")
async def create_api_key() -> Response:
    """Create a key; the answer holds the secret, shown only this once (201)."""
    creator = principal()
    body = await parse_body(ApiKeyIn)
    rights = _rights(creator, body.rights)
    team_id = await _team_id(creator, body.team_id)
    ctx = await command_context(creator)
    secret = new_api_key()
    command = CreateApiKey(
        key_id=new_id(),
        name=body.name,
        key_hash=hash_api_key(secret),
        rights=rights,
        prefix=secret[:PREFIX_LENGTH],
        team_id=team_id,
    )
    outcome = await services().supervisor.submit(creator.org_id, command, ctx)
    key_id = outcome.key_id or command.key_id
    if key_id != command.key_id:
        # A retry with the same Idempotency-Key: the key exists, but only its hash is
        # stored, so the secret cannot be shown again.
        data = await _key(creator.org_id, key_id)
        return json_response({"data": {**data, "key": None}, "message": _SHOWN_ONCE}, 200)
    await _catch_up()
    data = await _key(creator.org_id, key_id)
    return json_response({"data": {**data, "key": secret}}, 201)


@blueprint.get("/api-keys")
async def list_api_keys() -> Response:
    """Every key of the organization, revoked ones too (a team's key: its team's keys)."""
    creator = principal()
    directory = services().directory

    def view(state: OrgState) -> list[dict[str, Any]]:
        keys = state.access.api_keys.values()
        return [
            key_out(k, state, directory)
            for k in keys
            if creator.team_id is None or k.team_id == creator.team_id
        ]

    return json_response({"data": await services().supervisor.read(creator.org_id, view)})


@blueprint.delete("/api-keys/<key_id>")
async def revoke_api_key(key_id: str) -> Response:
    """Revoke a key: from the answer on, it no longer authenticates (200)."""
    creator = principal()
    if creator.team_id is not None:
        found = await _key(creator.org_id, key_id)
        if found["team_id"] != creator.team_id:
            raise ApiError(404, "api_key_not_found", f"API key {key_id!r} does not exist")
    ctx = await command_context(creator)
    await services().supervisor.submit(creator.org_id, RevokeApiKey(key_id=key_id), ctx)
    await _catch_up()
    return json_response({"result": "revoked", "data": await _key(creator.org_id, key_id)})
