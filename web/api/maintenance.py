"""Maintenance windows over HTTP: native ``/api/v1/maintenance`` and Opsgenie's ``/v1/maintenance``.

A window silences a set of integrations and escalation policies (``entities``) from
its start to its end (none: until cancelled): new alerts of those entities are
recorded but do not page; escalations already running continue (``engine.maintenance``).
Its status is read from the clock: ``planned``, ``active``, ``past`` or ``cancelled``;
``startedAt``/``endedAt`` are when the org actor's timer (or a cancel, delete or
edit) recorded its boundaries. Another organization's window is not in this
organization's state, so it is a 404 like any unknown id; another organization's
integration or policy is refused like an unknown one (422 naming ``entities``).

The native API (camelCase JSON): ``POST {description?, start?, end? | durationMinutes?,
entities: [{type, id, state?}]}`` (no start: now; neither end nor duration: until
cancelled), ``GET ?status=active|planned|past|cancelled|all``, ``GET/PATCH/DELETE
/{id}`` (a PATCH ``end: null`` makes it last until cancelled; an end in the past ends
it at once) and ``POST /{id}/cancel``.

The Opsgenie API follows its Go SDK (``maintenance`` package, used by Terraform's
``opsgenie_maintenance``): ``time {type: for-5-minutes | for-30-minutes | for-1-hour |
indefinitely | schedule, startDate, endDate}`` and ``rules [{state: enabled | disabled,
entity: {id, type: integration | policy}}]``. An integration's rule is ``disabled``; a
policy's ``disabled`` silences it and ``enabled`` keeps it paging (recorded so it
reads back). ``policy`` means an escalation policy. ``GET ?type=all|past|non-expired``
(default ``non-expired``: planned and active); ``change-end-date`` moves the end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, TypeVar, final

import msgspec
from quart import Blueprint, Response, request

from engine import (
    MAINTENANCE_STATUSES,
    CancelMaintenance,
    Command,
    CreateMaintenance,
    DeleteMaintenance,
    Maintenance,
    MaintenanceEntity,
    OrgState,
    PulsarError,
    UpdateMaintenance,
    find_maintenance,
    maintenance_status,
    new_id,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.compat.opsgenie.wire import install_error_handlers, og_error, og_response, timestamp
from web.compat.prefix import mount
from web.errors import ApiError, from_engine

__all__ = ["blueprint", "opsgenie_blueprint"]

blueprint = Blueprint("maintenance", __name__)
opsgenie_blueprint = Blueprint("opsgenie_maintenance", __name__)
install_error_handlers(opsgenie_blueprint)

T = TypeVar("T")
MAX_DURATION_MINUTES: Final = 366 * 24 * 60
# Opsgenie's relative time types: the window starts now and lasts this long.
_DURATIONS: Final = {
    "for-5-minutes": timedelta(minutes=5),
    "for-30-minutes": timedelta(minutes=30),
    "for-1-hour": timedelta(hours=1),
}
_OG_TIME_TYPES: Final = (*_DURATIONS, "indefinitely", "schedule")
# Opsgenie's list ``type``: which statuses each shows.
_OG_LIST: Final = {
    "all": frozenset(MAINTENANCE_STATUSES),
    "non-expired": frozenset({"planned", "active"}),
    "past": frozenset({"past", "cancelled"}),
}


# -- JSON shapes ---------------------------------------------------------------------------


@final
class EntityIn(msgspec.Struct, kw_only=True):
    type: str
    id: str
    state: str = "disabled"


@final
class MaintenanceIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A native create or update body; absent fields stay (``end: null``: until cancelled)."""

    description: str | None = None
    start: datetime | None = None
    end: datetime | msgspec.UnsetType | None = msgspec.UNSET
    duration_minutes: int | None = None
    entities: list[EntityIn] | None = None


@final
class OgEntity(msgspec.Struct, kw_only=True):
    id: str = ""
    type: str = ""


@final
class OgRule(msgspec.Struct, kw_only=True):
    entity: OgEntity
    state: str = ""


@final
class OgTime(msgspec.Struct, kw_only=True, rename="camel"):
    type: str
    start_date: datetime | None = None
    end_date: datetime | None = None


@final
class OgMaintenanceIn(msgspec.Struct, kw_only=True):
    """Opsgenie's create and update (PUT) body: the whole window."""

    description: str = ""
    time: OgTime
    rules: list[OgRule]


@final
class OgEndDate(msgspec.Struct, kw_only=True, rename="camel"):
    end_date: datetime | None = None


def _entity_name(state: OrgState, entity: MaintenanceEntity) -> str:
    if entity.type == "integration":
        integration = state.integrations.integrations.get(entity.id)
        return integration.name if integration else ""
    policy = state.escalations.policies.get(entity.id)
    return policy.name if policy else ""


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


def window_out(state: OrgState, window: Maintenance, now: datetime) -> dict[str, Any]:
    """The native JSON of a window (entities named for display)."""
    return {
        "id": window.id,
        "description": window.description,
        "status": maintenance_status(window, now),
        "start": timestamp(window.start),
        "end": _iso(window.end),
        "timeType": window.time_type,
        "entities": [
            {"type": e.type, "id": e.id, "state": e.state, "name": _entity_name(state, e)}
            for e in window.entities
        ],
        "createdAt": timestamp(window.created_at),
        "updatedAt": timestamp(window.updated_at),
        "cancelledAt": _iso(window.cancelled_at),
        "startedAt": _iso(window.started_at),
        "endedAt": _iso(window.ended_at),
    }


# -- shared operations ---------------------------------------------------------------------


async def _read(fn: Any) -> Any:
    return await services().supervisor.read(principal().org_id, fn)


async def _submit(command: Command) -> str | None:
    """Submit ``command`` for the caller's organization; the id of the window it made."""
    key = principal()
    outcome = await services().supervisor.submit(key.org_id, command, await command_context(key))
    return outcome.subject_id


async def _window(maintenance_id: str) -> Maintenance:
    found: Maintenance = await _read(lambda s: find_maintenance(s.maintenance, maintenance_id))
    return found


async def _view(maintenance_id: str) -> dict[str, Any]:
    now = services().clock.now()
    view: dict[str, Any] = await _read(
        lambda s: window_out(s, find_maintenance(s.maintenance, maintenance_id), now)
    )
    return view


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_field", message, field=field)


def _entities(items: list[EntityIn]) -> tuple[MaintenanceEntity, ...]:
    return tuple(
        MaintenanceEntity(type=e.type.strip().lower(), id=e.id, state=e.state.strip().lower())
        for e in items
    )


def _end_of(body: MaintenanceIn, start: datetime) -> datetime | msgspec.UnsetType | None:
    """The body's end: ``end``, or ``start`` + ``durationMinutes`` (not both)."""
    if body.duration_minutes is None:
        return body.end
    if not isinstance(body.end, msgspec.UnsetType):
        raise _invalid("durationMinutes", "give end or durationMinutes, not both")
    if not 1 <= body.duration_minutes <= MAX_DURATION_MINUTES:
        msg = f"durationMinutes must be 1-{MAX_DURATION_MINUTES}"
        raise _invalid("durationMinutes", msg)
    return start + timedelta(minutes=body.duration_minutes)


def _statuses(param: str, choices: dict[str, frozenset[str]], default: str) -> frozenset[str]:
    value = request.args.get(param, default) or default
    if value not in choices:
        raise _invalid(param, f"{param} must be one of {', '.join(choices)}")
    return choices[value]


async def _list(statuses: frozenset[str], out: Any) -> list[dict[str, Any]]:
    """The windows with one of ``statuses``, by start then id, each through ``out``."""
    now = services().clock.now()

    def view(state: OrgState) -> list[dict[str, Any]]:
        windows = sorted(state.maintenance.windows.values(), key=lambda w: (w.start, w.id))
        return [out(state, w, now) for w in windows if maintenance_status(w, now) in statuses]

    found: list[dict[str, Any]] = await _read(view)
    return found


# -- native API (/api/v1) ------------------------------------------------------------------

_NATIVE_STATUSES: Final = {
    "all": frozenset(MAINTENANCE_STATUSES),
    **{status: frozenset({status}) for status in MAINTENANCE_STATUSES},
}


@blueprint.post("/maintenance")
async def create_maintenance() -> Response:
    """Plan a window (201 with the window); a start not in the future starts it at once."""
    body = await parse_body(MaintenanceIn)
    if body.entities is None:
        raise _invalid("entities", "entities is required")
    start = body.start or services().clock.now()
    end = _end_of(body, start)
    end = None if isinstance(end, msgspec.UnsetType) else end
    command = CreateMaintenance(
        maintenance_id=new_id(),
        description=body.description or "",
        start=start,
        end=end,
        entities=_entities(body.entities),
        time_type="indefinitely" if end is None else "schedule",
    )
    window_id = await _submit(command) or command.maintenance_id
    return json_response({"data": await _view(window_id)}, 201)


@blueprint.get("/maintenance")
async def list_maintenance() -> Response:
    """Windows by start: ``?status=`` one of planned, active, past, cancelled or all (default)."""
    statuses = _statuses("status", _NATIVE_STATUSES, "all")
    return json_response({"data": await _list(statuses, window_out)})


@blueprint.get("/maintenance/<maintenance_id>")
async def get_maintenance(maintenance_id: str) -> Response:
    return json_response({"data": await _view(maintenance_id)})


@blueprint.patch("/maintenance/<maintenance_id>")
async def update_maintenance(maintenance_id: str) -> Response:
    """Change the given fields of a planned or active window (409 once it is over)."""
    body = await parse_body(MaintenanceIn, optional=True)
    window = await _window(maintenance_id)
    end = _end_of(body, body.start or window.start)
    time_type = None
    if not isinstance(end, msgspec.UnsetType):
        time_type = "indefinitely" if end is None else "schedule"
    command = UpdateMaintenance(
        maintenance_id=window.id,
        description=body.description,
        start=body.start,
        end=end,
        entities=None if body.entities is None else _entities(body.entities),
        time_type=time_type,
    )
    await _submit(command)
    return json_response({"data": await _view(window.id)})


@blueprint.delete("/maintenance/<maintenance_id>")
async def delete_maintenance(maintenance_id: str) -> Response:
    """Remove a window (an active one ends first, so held escalations start)."""
    await _submit(DeleteMaintenance(maintenance_id=maintenance_id))
    return json_response({"result": "deleted"})


@blueprint.post("/maintenance/<maintenance_id>/cancel")
async def cancel_maintenance(maintenance_id: str) -> Response:
    """End a planned or active window now; it stays listed as cancelled."""
    await _submit(CancelMaintenance(maintenance_id=maintenance_id))
    return json_response({"data": await _view(maintenance_id)})


# -- Opsgenie-compatible API (/v1/maintenance) ---------------------------------------------

OG = "/v1/maintenance"


@opsgenie_blueprint.errorhandler(PulsarError)
async def _engine_error(error: PulsarError) -> Response:
    """Engine errors with their own message (``Maintenance 'x' does not exist``)."""
    return og_error(from_engine(error).status_code, error.message, field=error.field)


def _og_time(window: Maintenance) -> dict[str, Any]:
    time: dict[str, Any] = {"type": window.time_type, "startDate": timestamp(window.start)}
    if window.end is not None:
        time["endDate"] = timestamp(window.end)
    return time


def _og_out(state: OrgState, window: Maintenance, now: datetime) -> dict[str, Any]:
    """Opsgenie's short maintenance object (lists, create and update answers)."""
    return {
        "id": window.id,
        "status": maintenance_status(window, now),
        "time": _og_time(window),
        "description": window.description,
    }


def _og_detail(state: OrgState, window: Maintenance, now: datetime) -> dict[str, Any]:
    rules = [{"state": e.state, "entity": {"id": e.id, "type": e.type}} for e in window.entities]
    return {**_og_out(state, window, now), "rules": rules}


async def _og_view(maintenance_id: str, out: Any = _og_out) -> dict[str, Any]:
    now = services().clock.now()
    view: dict[str, Any] = await _read(
        lambda s: out(s, find_maintenance(s.maintenance, maintenance_id), now)
    )
    return view


def _og_times(time: OgTime, started: datetime | None = None) -> tuple[datetime, datetime | None]:
    """``(start, end)`` of Opsgenie's ``time`` object.

    The relative types start now, or keep ``started``, the start of a window that
    has begun (its start cannot move): ``for-1-hour`` then means "until an hour from now".
    """
    kind = time.type.strip().lower()
    if kind not in _OG_TIME_TYPES:
        raise _invalid("time.type", f"time.type must be one of {', '.join(_OG_TIME_TYPES)}")
    now = services().clock.now()
    if kind in _DURATIONS:
        return started or now, now + _DURATIONS[kind]
    if kind == "indefinitely":
        return started or time.start_date or now, None
    if time.start_date is None or time.end_date is None:
        raise _invalid("time", "a schedule maintenance needs startDate and endDate")
    return time.start_date, time.end_date


def _og_entities(rules: list[OgRule]) -> tuple[MaintenanceEntity, ...]:
    """The rules' entities; a rule's missing state is ``disabled``."""
    entities = []
    for rule in rules:
        state = rule.state.strip().lower() or "disabled"
        entities.append(
            MaintenanceEntity(type=rule.entity.type.strip().lower(), id=rule.entity.id, state=state)
        )
    return tuple(entities)


@mount(opsgenie_blueprint, OG, ["POST"])
async def og_create() -> Response:
    """Create (201 ``{"result": "Created", "data": {id, status, time, description}}``)."""
    body = await parse_body(OgMaintenanceIn)
    start, end = _og_times(body.time)
    command = CreateMaintenance(
        maintenance_id=new_id(),
        description=body.description,
        start=start,
        end=end,
        entities=_og_entities(body.rules),
        time_type=body.time.type.strip().lower(),
    )
    window_id = await _submit(command) or command.maintenance_id
    return og_response({"result": "Created", "data": await _og_view(window_id)}, 201)


@mount(opsgenie_blueprint, OG, ["GET"])
async def og_list() -> Response:
    """``?type=`` all, past (and cancelled) or non-expired (planned and active; the default)."""
    statuses = _statuses("type", _OG_LIST, "non-expired")
    return og_response({"data": await _list(statuses, _og_out)})


@mount(opsgenie_blueprint, f"{OG}/<maintenance_id>", ["GET"])
async def og_get(maintenance_id: str) -> Response:
    return og_response({"data": await _og_view(maintenance_id, _og_detail)})


@mount(opsgenie_blueprint, f"{OG}/<maintenance_id>", ["PUT"])
async def og_update(maintenance_id: str) -> Response:
    """Replace description, time and rules of a planned (or active) window."""
    body = await parse_body(OgMaintenanceIn)
    window = await _window(maintenance_id)
    started = window.start if window.start <= services().clock.now() else None
    start, end = _og_times(body.time, started)
    command = UpdateMaintenance(
        maintenance_id=window.id,
        description=body.description,
        start=start,
        end=end,
        entities=_og_entities(body.rules),
        time_type=body.time.type.strip().lower(),
    )
    await _submit(command)
    return og_response({"result": "Updated", "data": await _og_view(window.id)})


@mount(opsgenie_blueprint, f"{OG}/<maintenance_id>", ["DELETE"])
async def og_delete(maintenance_id: str) -> Response:
    await _submit(DeleteMaintenance(maintenance_id=maintenance_id))
    return og_response({"result": "Deleted"})


@mount(opsgenie_blueprint, f"{OG}/<maintenance_id>/cancel", ["POST"])
async def og_cancel(maintenance_id: str) -> Response:
    await _submit(CancelMaintenance(maintenance_id=maintenance_id))
    return og_response({"result": "Cancelled"})


@mount(opsgenie_blueprint, f"{OG}/<maintenance_id>/change-end-date", ["POST"])
async def og_change_end_date(maintenance_id: str) -> Response:
    """Move the end (``endDate``); one in the past ends an active window at once."""
    body = await parse_body(OgEndDate)
    if body.end_date is None:
        raise _invalid("endDate", "endDate is required")
    change = UpdateMaintenance(
        maintenance_id=maintenance_id, end=body.end_date, time_type="schedule"
    )
    await _submit(change)
    return og_response({"result": "Updated", "data": await _og_view(maintenance_id)})
