"""Heartbeats over HTTP: the native ``/api/v1/heartbeats`` and Opsgenie's ``/v2/heartbeats``.

Both APIs take the same Opsgenie-shaped JSON (camelCase) and address a heartbeat by
its name; they differ only in their envelope: native bodies carry ``request_id``
and Pulsar's error shape, Opsgenie bodies carry ``took`` and ``requestId`` and
Opsgenie's error shape (compat-api.md sections 1, 4.1, 4.2, 4.10). The Opsgenie routes
also answer under any path prefix (``/opsgenie/v2/heartbeats/db/ping``), like the
alert API (``web.compat.prefix.mount``). Every write is
answered after its event is committed. Another organization's heartbeat is simply
not in this organization's state, so it is a 404 like any unknown name.

A ping (GET, POST, PUT, PATCH or HEAD ``.../{name}/ping``) restarts the heartbeat's
countdown and closes its open expiry alert; the expiry itself runs on the org
actor's timer (``engine.org.decider``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, final

import msgspec
from quart import Blueprint, Response

from engine import (
    Command,
    CreateHeartbeat,
    DeleteHeartbeat,
    DisableHeartbeat,
    EnableHeartbeat,
    Heartbeat,
    NotFound,
    OrgState,
    PingHeartbeat,
    PulsarError,
    UpdateHeartbeat,
    find_heartbeat,
    heartbeat_expired,
    new_id,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.compat.opsgenie.wire import og_error, og_response
from web.compat.prefix import mount
from web.errors import ApiError, from_engine

__all__ = ["blueprint", "opsgenie_blueprint"]

blueprint = Blueprint("heartbeats", __name__)
opsgenie_blueprint = Blueprint("opsgenie_heartbeats", __name__)

T = TypeVar("T")
PONG = "PONG - Heartbeat received"
PING_METHODS = ["GET", "POST", "PUT", "PATCH", "HEAD"]


# -- JSON shapes ---------------------------------------------------------------------------


@final
class TeamRef(msgspec.Struct, kw_only=True):
    """Opsgenie's ``ownerTeam`` object; until teams exist, its name (or id) is kept."""

    id: str = ""
    name: str = ""


@final
class HeartbeatIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A create or update body; absent fields are ``None`` (unknown fields are ignored)."""

    name: str | None = None
    description: str | None = None
    interval: int | None = None
    interval_unit: str | None = None
    enabled: bool | None = None
    owner_team: str | TeamRef | None = None
    alert_message: str | None = None
    alert_tags: list[str] | None = None
    alert_priority: str | None = None


@final
class HeartbeatOut(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True):
    """Opsgenie's heartbeat object."""

    name: str
    description: str
    interval: int
    interval_unit: str
    enabled: bool
    expired: bool
    alert_message: str
    alert_tags: list[str]
    alert_priority: str
    last_ping_time: datetime | None = None
    owner_team: TeamRef | None = None


def heartbeat_out(heartbeat: Heartbeat, now: datetime) -> HeartbeatOut:
    """The JSON shape of ``heartbeat`` as seen at ``now``."""
    s = heartbeat.settings
    return HeartbeatOut(
        name=heartbeat.name,
        description=s.description,
        interval=s.interval,
        interval_unit=s.interval_unit,
        enabled=heartbeat.enabled,
        expired=heartbeat_expired(heartbeat, now),
        alert_message=s.alert_message,
        alert_tags=list(s.alert_tags),
        alert_priority=s.alert_priority,
        last_ping_time=heartbeat.last_ping_at,
        owner_team=TeamRef(name=s.owner_team) if s.owner_team else None,
    )


def _owner_team(value: str | TeamRef | None) -> str | None:
    """``ownerTeam`` as a string; ``None`` (unchanged) for an absent or empty object."""
    if isinstance(value, TeamRef):
        return (value.name or value.id) or None
    return value


def _required(value: T | None, field: str) -> T:
    """``value``, or a 422 naming the missing ``field``."""
    if value is None:
        raise ApiError(422, "invalid_field", f"{field} is required", field=field)
    return value


# -- the operations, shared by both APIs ---------------------------------------------------


async def _view(org_id: str, name: str) -> HeartbeatOut:
    now = services().clock.now()
    return await services().supervisor.read(
        org_id, lambda s: heartbeat_out(find_heartbeat(s.heartbeats, name), now)
    )


async def _submit(command: Command) -> str:
    """Submit ``command`` for the request's organization; return the org id."""
    key = principal()
    ctx = await command_context(key)
    await services().supervisor.submit(key.org_id, command, ctx)
    return key.org_id


async def _create() -> HeartbeatOut:
    principal()
    body = await parse_body(HeartbeatIn)
    command = CreateHeartbeat(
        name=_required(body.name, "name"),
        heartbeat_id=new_id(),
        enabled=True if body.enabled is None else body.enabled,
        description=body.description or "",
        interval=_required(body.interval, "interval"),
        interval_unit=_required(body.interval_unit, "intervalUnit"),
        owner_team=_owner_team(body.owner_team) or "",
        alert_message=body.alert_message or "",
        alert_tags=tuple(body.alert_tags or ()),
        alert_priority=body.alert_priority or "P3",
    )
    org_id = await _submit(command)
    return await _view(org_id, command.name.strip())


async def _update(name: str) -> HeartbeatOut:
    principal()
    body = await parse_body(HeartbeatIn, optional=True)
    if body.name is not None and body.name.strip() != name:
        raise ApiError(422, "invalid_field", "a heartbeat cannot be renamed", field="name")
    command = UpdateHeartbeat(
        name=name,
        enabled=body.enabled,
        description=body.description,
        interval=body.interval,
        interval_unit=body.interval_unit,
        owner_team=_owner_team(body.owner_team),
        alert_message=body.alert_message,
        alert_tags=None if body.alert_tags is None else tuple(body.alert_tags),
        alert_priority=body.alert_priority,
    )
    return await _view(await _submit(command), name)


async def _list() -> list[HeartbeatOut]:
    key = principal()
    now = services().clock.now()

    def view(state: OrgState) -> list[HeartbeatOut]:
        beats = sorted(state.heartbeats.heartbeats.values(), key=lambda h: h.name)
        return [heartbeat_out(h, now) for h in beats]

    return await services().supervisor.read(key.org_id, view)


async def _get(name: str) -> HeartbeatOut:
    return await _view(principal().org_id, name)


async def _toggle(name: str, enabled: bool) -> HeartbeatOut:
    command = EnableHeartbeat(name=name) if enabled else DisableHeartbeat(name=name)
    return await _view(await _submit(command), name)


def _status(out: HeartbeatOut) -> dict[str, Any]:
    """Opsgenie's short answer to update, enable and disable."""
    return {"name": out.name, "enabled": out.enabled, "expired": out.expired}


# -- native API (/api/v1) ------------------------------------------------------------------


@blueprint.post("/heartbeats")
async def create_heartbeat() -> Response:
    """Create a heartbeat (201 with the heartbeat)."""
    return json_response({"data": await _create()}, 201)


@blueprint.get("/heartbeats")
async def list_heartbeats() -> Response:
    """Every heartbeat of the organization, by name."""
    return json_response({"data": await _list()})


@blueprint.get("/heartbeats/<name>")
async def get_heartbeat(name: str) -> Response:
    return json_response({"data": await _get(name)})


@blueprint.patch("/heartbeats/<name>")
async def update_heartbeat(name: str) -> Response:
    """Change the given fields; the others stay as they are."""
    return json_response({"data": await _update(name)})


@blueprint.delete("/heartbeats/<name>")
async def delete_heartbeat(name: str) -> Response:
    await _submit(DeleteHeartbeat(name=name))
    return json_response({"result": "deleted"})


@blueprint.post("/heartbeats/<name>/enable")
async def enable_heartbeat(name: str) -> Response:
    """Enable (the countdown restarts); a no-op if enabled."""
    return json_response({"data": await _toggle(name, True)})


@blueprint.post("/heartbeats/<name>/disable")
async def disable_heartbeat(name: str) -> Response:
    """Disable: the heartbeat no longer expires; pings are still recorded."""
    return json_response({"data": await _toggle(name, False)})


@blueprint.route("/heartbeats/<name>/ping", methods=PING_METHODS)
async def ping_heartbeat(name: str) -> Response:
    """Record a ping (202)."""
    await _submit(PingHeartbeat(name=name))
    return json_response({"result": PONG}, 202)


# -- Opsgenie-compatible API (/v2) ---------------------------------------------------------


@opsgenie_blueprint.errorhandler(ApiError)
async def _api_error(error: ApiError) -> Response:
    message = "Could not authenticate" if error.status == 401 else error.message
    return og_error(error.status, message, field=error.field, headers=error.headers)


@opsgenie_blueprint.errorhandler(PulsarError)
async def _engine_error(error: PulsarError) -> Response:
    message = "Heartbeat does not exist" if isinstance(error, NotFound) else error.message
    return og_error(from_engine(error).status_code, message, field=error.field)


async def og_create() -> Response:
    """Create (201 ``{"data": Heartbeat}``); a name in use is 409."""
    return og_response({"data": await _create()}, 201)


async def og_list() -> Response:
    return og_response({"data": {"heartbeats": await _list()}})


async def og_get(name: str) -> Response:
    return og_response({"data": await _get(name)})


async def og_update(name: str) -> Response:
    return og_response({"data": _status(await _update(name))})


async def og_delete(name: str) -> Response:
    await _submit(DeleteHeartbeat(name=name))
    return og_response({"result": "Deleted"})


async def og_enable(name: str) -> Response:
    return og_response({"data": _status(await _toggle(name, True))})


async def og_disable(name: str) -> Response:
    return og_response({"data": _status(await _toggle(name, False))})


async def og_ping(name: str) -> Response:
    """Ping (202 ``{"result": "PONG - Heartbeat received"}``).

    Like Opsgenie, a ping of a heartbeat that does not exist is still PONG
    (compat-api.md 4.10), so a cron job never fails on it; nothing is written.
    The native route answers 404 instead.
    """
    try:
        await _submit(PingHeartbeat(name=name))
    except NotFound:
        pass
    return og_response({"result": PONG}, 202)


# At the root and under any path prefix, like the alert API (compat-api.md 1.1).
mount(opsgenie_blueprint, "/v2/heartbeats", ["POST"])(og_create)
mount(opsgenie_blueprint, "/v2/heartbeats", ["GET"])(og_list)
mount(opsgenie_blueprint, "/v2/heartbeats/<name>", ["GET"])(og_get)
mount(opsgenie_blueprint, "/v2/heartbeats/<name>", ["PATCH"])(og_update)
mount(opsgenie_blueprint, "/v2/heartbeats/<name>", ["DELETE"])(og_delete)
mount(opsgenie_blueprint, "/v2/heartbeats/<name>/enable", ["POST"])(og_enable)
mount(opsgenie_blueprint, "/v2/heartbeats/<name>/disable", ["POST"])(og_disable)
mount(opsgenie_blueprint, "/v2/heartbeats/<name>/ping", PING_METHODS)(og_ping)
