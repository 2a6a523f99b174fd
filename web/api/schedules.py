"""Schedules over HTTP: the native ``/api/v1/schedules`` and Opsgenie's ``/v2/schedules``.

Both APIs take the same Opsgenie-shaped JSON (compat-api.md section 6: a schedule
with inline rotations, rotations with ``participants`` and ``timeRestriction``,
overrides addressed by ``alias``) and differ in their envelope and in the short
answers Opsgenie gives to writes. A schedule is addressed by id, or by name with
``identifierType=name`` (``scheduleIdentifierType`` on rotation, override and
on-call routes). Another organization's schedule is not in this organization's
state, so it is a 404 like any unknown id. Who is on call is computed from the
committed state at the request's ``date`` (default: now).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final, Literal, TypeVar, final

import msgspec
from quart import Blueprint, Response, request

from engine import (
    AddOverride,
    AddRotation,
    Command,
    CreateSchedule,
    DeleteOverride,
    DeleteRotation,
    DeleteSchedule,
    NotFound,
    OrgState,
    Override,
    Participant,
    Period,
    PulsarError,
    Restriction,
    Rotation,
    Schedule,
    TimeWindow,
    UpdateOverride,
    UpdateRotation,
    UpdateSchedule,
    find_schedule,
    new_id,
    next_on_call,
    on_call_at,
    timeline,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.auth.principal import Principal
from web.compat.opsgenie.wire import (
    authenticate,
    install_error_handlers,
    og_error,
    og_response,
    timestamp,
)
from web.errors import ApiError, from_engine

__all__ = [
    "blueprint",
    "opsgenie_blueprint",
    "parse_date",
    "resolve_schedule",
    "schedule_of",
    "user_schedules",
]

blueprint = Blueprint("schedules", __name__)
opsgenie_blueprint = Blueprint("opsgenie_schedules", __name__)
install_error_handlers(opsgenie_blueprint)

T = TypeVar("T")
WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INTERVAL_UNITS: Final = ("days", "weeks", "months")
MAX_TIMELINE: Final = timedelta(days=366)
USER_LOOKAHEAD: Final = timedelta(days=90)


# -- JSON shapes ---------------------------------------------------------------------------


@final
class Ref(msgspec.Struct, kw_only=True):
    """A ``{id|name|username}`` reference (owner team, rotation, user)."""

    type: str = "user"
    id: str = ""
    name: str = ""
    username: str = ""

    def key(self) -> str:
        """The identifier given: id first, then username, then name."""
        return (self.id or self.username or self.name).strip()


@final
class WindowIn(msgspec.Struct, kw_only=True, rename="camel"):
    """One restriction window (Opsgenie: hours and minutes, weekday names)."""

    start_day: str | None = None
    start_hour: int = 0
    start_min: int = 0
    end_day: str | None = None
    end_hour: int = 0
    end_min: int = 0


@final
class RestrictionIn(msgspec.Struct, kw_only=True):
    """``timeRestriction``: ``restriction`` (time-of-day) or ``restrictions`` (weekdays)."""

    type: Literal["time-of-day", "weekday-and-time-of-day"]
    restriction: WindowIn | None = None
    restrictions: list[WindowIn] | None = None


@final
class RotationIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A rotation body; absent fields are ``None`` (kept on PATCH)."""

    name: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    type: Literal["hourly", "daily", "weekly", "custom"] | None = None
    length: int | None = None
    custom_unit: Literal["hours", "days"] | None = None
    participants: list[Ref] | None = None
    time_restriction: RestrictionIn | None = None


@final
class ScheduleIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A schedule body, with inline rotations on create."""

    name: str | None = None
    description: str | None = None
    timezone: str | None = None
    enabled: bool | None = None
    owner_team: str | Ref | None = None
    rotations: list[RotationIn] | None = None


@final
class OverrideIn(msgspec.Struct, kw_only=True, rename="camel"):
    """An override body: ``user`` takes over in [startDate, endDate)."""

    alias: str | None = None
    user: str | Ref | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    rotations: list[Ref] | None = None


def _required(value: T | None, field: str) -> T:
    """``value``, or a 422 naming the missing ``field``."""
    if value is None:
        raise ApiError(422, "invalid_field", f"{field} is required", field=field)
    return value


def _day(name: str | None) -> int | None:
    if name is None:
        return None
    try:
        return WEEKDAYS.index(name.strip().lower()) + 1
    except ValueError:
        msg = f"unknown weekday {name!r}"
        raise ApiError(422, "invalid_field", msg, field="timeRestriction") from None


def _window(w: WindowIn) -> TimeWindow:
    for value, limit in ((w.start_hour, 24), (w.end_hour, 24), (w.start_min, 60), (w.end_min, 60)):
        if not 0 <= value < limit:
            msg = "hours must be 0-23 and minutes 0-59"
            raise ApiError(422, "invalid_field", msg, field="timeRestriction")
    return TimeWindow(
        start_day=_day(w.start_day),
        start_minute=w.start_hour * 60 + w.start_min,
        end_day=_day(w.end_day),
        end_minute=w.end_hour * 60 + w.end_min,
    )


def restriction_of(body: RestrictionIn) -> Restriction:
    """The model's restriction from Opsgenie's ``timeRestriction``."""
    windows = list(body.restrictions or ())
    if body.restriction is not None:
        windows.insert(0, body.restriction)
    return Restriction(type=body.type, windows=tuple(_window(w) for w in windows))


def _participant(ref: Ref) -> Participant:
    if ref.type == "none":
        return Participant(type="none")
    if ref.type != "user":
        msg = "participant type must be user or none (teams and escalations come later)"
        raise ApiError(422, "invalid_field", msg, field="participants")
    return Participant(type="user", id=ref.key())


def rotation_of(body: RotationIn, rotation_id: str, base: Rotation | None = None) -> Rotation:
    """A rotation from ``body``; on PATCH the fields of ``base`` fill what is absent."""
    rtype = body.type or (base.type if base else None)
    if rtype is None:
        raise ApiError(422, "invalid_field", "type is required", field="type")
    participants = (
        tuple(_participant(p) for p in body.participants)
        if body.participants is not None
        else (base.participants if base else ())
    )
    restriction = (
        restriction_of(body.time_restriction)
        if body.time_restriction is not None
        else (base.restriction if base else None)
    )
    start = body.start_date or (base.start if base else None)
    return Rotation(
        id=rotation_id,
        name=body.name or (base.name if base else "") or f"{rtype} rotation",
        type=rtype,
        length=body.length if body.length is not None else (base.length if base else 1),
        custom_unit=body.custom_unit or (base.custom_unit if base else "hours"),
        start=_required(start, "startDate"),
        end=body.end_date or (base.end if base else None),
        participants=participants,
        restriction=restriction,
    )


def _owner_team(value: str | Ref | None) -> str | None:
    """``ownerTeam`` as a string; ``None`` (unchanged) for absent, ``{}`` or ``""``."""
    if isinstance(value, Ref):
        return value.key() or None
    return value or None


def override_of(body: OverrideIn, schedule: Schedule, alias: str) -> Override:
    """An override from ``body``; rotations may be named by id or name."""
    user = body.user.key() if isinstance(body.user, Ref) else body.user
    by_name = {r.name: r.id for r in schedule.rotations}
    rotation_ids = tuple(by_name.get(ref.key(), ref.key()) for ref in body.rotations or ())
    return Override(
        id=alias,
        user=_required(user, "user"),
        start=_required(body.start_date, "startDate"),
        end=_required(body.end_date, "endDate"),
        rotation_ids=rotation_ids,
    )


def _window_out(w: TimeWindow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "startHour": w.start_minute // 60,
        "startMin": w.start_minute % 60,
        "endHour": w.end_minute // 60,
        "endMin": w.end_minute % 60,
    }
    if w.start_day is not None and w.end_day is not None:
        out = {"startDay": WEEKDAYS[w.start_day - 1], "endDay": WEEKDAYS[w.end_day - 1], **out}
    return out


def rotation_out(rotation: Rotation) -> dict[str, Any]:
    """Opsgenie's rotation object (plus ``customUnit`` for Pulsar's custom type)."""
    out: dict[str, Any] = {
        "id": rotation.id,
        "name": rotation.name,
        "type": rotation.type,
        "length": rotation.length,
        "startDate": timestamp(rotation.start),
        "participants": [
            {"type": "none"} if p.type == "none" else {"type": "user", "id": p.id, "username": p.id}
            for p in rotation.participants
        ],
    }
    if rotation.type == "custom":
        out["customUnit"] = rotation.custom_unit
    if rotation.end is not None:
        out["endDate"] = timestamp(rotation.end)
    r = rotation.restriction
    if r is not None and r.type == "time-of-day":
        out["timeRestriction"] = {"type": r.type, "restriction": _window_out(r.windows[0])}
    elif r is not None:
        out["timeRestriction"] = {
            "type": r.type,
            "restrictions": [_window_out(w) for w in r.windows],
        }
    return out


def override_out(override: Override, schedule: Schedule) -> dict[str, Any]:
    """Opsgenie's override object (``alias`` is its identifier)."""
    names = {r.id: r.name for r in schedule.rotations}
    return {
        "alias": override.id,
        "user": {"type": "user", "id": override.user, "username": override.user},
        "startDate": timestamp(override.start),
        "endDate": timestamp(override.end),
        "rotations": [{"id": r, "name": names.get(r, "")} for r in override.rotation_ids],
    }


def schedule_out(schedule: Schedule) -> dict[str, Any]:
    """Opsgenie's schedule object, with its rotations inline."""
    out: dict[str, Any] = {
        "id": schedule.id,
        "name": schedule.name,
        "description": schedule.description,
        "timezone": schedule.timezone,
        "enabled": schedule.enabled,
        "rotations": [rotation_out(r) for r in schedule.rotations],
    }
    if schedule.owner_team:
        out["ownerTeam"] = {"name": schedule.owner_team}
    return out


def period_out(period: Period) -> dict[str, Any]:
    """A timeline period: who is on call in [startDate, endDate) and from which sources."""
    return {
        "startDate": timestamp(period.start),
        "endDate": timestamp(period.end),
        "users": list(period.users),
        "sources": list(period.sources),
    }


# -- reading state -------------------------------------------------------------------------


def _by_name(param: str | None = "identifierType") -> bool:
    """Whether the request names schedules by name (``param=name``); ``None``: by id."""
    if param is None:
        return False
    kind = request.args.get(param, "id")
    if kind not in ("id", "name"):
        raise ApiError(422, "invalid_field", f"{param} must be id or name", field=param)
    return kind == "name"


def resolve_schedule(state: OrgState, identifier: str, param: str = "identifierType") -> Schedule:
    """The schedule ``identifier`` names under the request's identifier type; 404 if none."""
    return find_schedule(state.schedules, identifier, by_name=_by_name(param))


async def schedule_of(
    org_id: str, identifier: str, param: str | None = "identifierType"
) -> Schedule:
    """The committed schedule ``identifier`` names in ``org_id``."""
    by_name = _by_name(param)
    return await services().supervisor.read(
        org_id, lambda s: find_schedule(s.schedules, identifier, by_name=by_name)
    )


def parse_date(name: str = "date") -> datetime:
    """The ``date`` query parameter (RFC 3339, with offset), or now."""
    raw = request.args.get(name)
    if raw is None:
        return services().clock.now()
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        msg = f"{name} must be an ISO 8601 instant"
        raise ApiError(422, "invalid_field", msg, field=name) from None
    if moment.tzinfo is None:
        raise ApiError(422, "invalid_field", f"{name} must include a UTC offset", field=name)
    return moment


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def timeline_window() -> tuple[datetime, datetime]:
    """[date, date + interval intervalUnit) from the query (default one week), at most a year."""
    start = parse_date()
    unit = request.args.get("intervalUnit", "weeks")
    if unit not in INTERVAL_UNITS:
        msg = "intervalUnit must be days|weeks|months"
        raise ApiError(422, "invalid_field", msg, field="intervalUnit")
    try:
        interval = int(request.args.get("interval", "1"))
    except ValueError:
        interval = 0
    if interval < 1:
        raise ApiError(
            422, "invalid_field", "interval must be a positive integer", field="interval"
        )
    if unit == "months":
        end = _add_months(start, interval)
    else:
        end = start + timedelta(**{unit: interval})
    if end - start > MAX_TIMELINE:
        raise ApiError(422, "invalid_field", "a timeline spans at most a year", field="interval")
    return start, end


def user_schedules(state: OrgState, user: str, now: datetime) -> dict[str, Any]:
    """Which enabled schedules ``user`` is on call in now, and their next turns."""
    current: list[dict[str, Any]] = []
    upcoming: list[dict[str, Any]] = []
    for record in sorted(state.schedules.schedules.values(), key=lambda r: r.schedule.name):
        schedule = record.schedule
        ref = {"id": schedule.id, "name": schedule.name}
        periods = timeline(schedule, now, now + USER_LOOKAHEAD)
        mine = [p for p in periods if user in p.users]
        if mine and mine[0].start <= now:
            current.append({**ref, "endDate": timestamp(mine[0].end)})
            mine = mine[1:]
        if mine:
            upcoming.append(
                {**ref, "startDate": timestamp(mine[0].start), "endDate": timestamp(mine[0].end)}
            )
    return {"user": user, "onCall": current, "nextOnCall": upcoming}


# -- writes, shared by both APIs -----------------------------------------------------------


async def _submit(key: Principal, command: Command) -> None:
    ctx = await command_context(key)
    await services().supervisor.submit(key.org_id, command, ctx)


async def _create_schedule(key: Principal) -> Schedule:
    body = await parse_body(ScheduleIn)
    rotations = tuple(rotation_of(r, new_id()) for r in body.rotations or ())
    command = CreateSchedule(
        schedule_id=new_id(),
        name=_required(body.name, "name"),
        timezone=body.timezone or "UTC",
        description=body.description or "",
        enabled=True if body.enabled is None else body.enabled,
        owner_team=_owner_team(body.owner_team),
        rotations=rotations,
    )
    await _submit(key, command)
    return await schedule_of(key.org_id, command.schedule_id, None)


async def _update_schedule(key: Principal, identifier: str) -> Schedule:
    schedule = await schedule_of(key.org_id, identifier)
    body = await parse_body(ScheduleIn, optional=True)
    if body.rotations is not None:
        msg = "edit rotations at /schedules/{id}/rotations"
        raise ApiError(422, "invalid_field", msg, field="rotations")
    owner = body.owner_team
    command = UpdateSchedule(
        schedule_id=schedule.id,
        name=body.name,
        timezone=body.timezone,
        description=body.description,
        enabled=body.enabled,
        owner_team=_owner_team(owner) or ("" if owner == "" else None),
    )
    await _submit(key, command)
    return await schedule_of(key.org_id, schedule.id, None)


async def _delete_schedule(key: Principal, identifier: str) -> None:
    schedule = await schedule_of(key.org_id, identifier)
    await _submit(key, DeleteSchedule(schedule_id=schedule.id))


def _rotation(schedule: Schedule, rotation_id: str) -> Rotation:
    for rotation in schedule.rotations:
        if rotation_id in (rotation.id, rotation.name):
            return rotation
    raise NotFound("rotation_not_found", f"Rotation {rotation_id!r} does not exist")


def _override(schedule: Schedule, alias: str) -> Override:
    for override in schedule.overrides:
        if override.id == alias:
            return override
    raise NotFound("override_not_found", f"Override {alias!r} does not exist")


async def _add_rotation(key: Principal, identifier: str, param: str) -> Rotation:
    schedule = await schedule_of(key.org_id, identifier, param)
    rotation = rotation_of(await parse_body(RotationIn), new_id())
    await _submit(key, AddRotation(schedule_id=schedule.id, rotation=rotation))
    return _rotation(await schedule_of(key.org_id, schedule.id, None), rotation.id)


async def _update_rotation(key: Principal, identifier: str, rid: str, param: str) -> Rotation:
    schedule = await schedule_of(key.org_id, identifier, param)
    base = _rotation(schedule, rid)
    rotation = rotation_of(await parse_body(RotationIn, optional=True), base.id, base)
    await _submit(key, UpdateRotation(schedule_id=schedule.id, rotation=rotation))
    return _rotation(await schedule_of(key.org_id, schedule.id, None), base.id)


async def _delete_rotation(key: Principal, identifier: str, rid: str, param: str) -> None:
    schedule = await schedule_of(key.org_id, identifier, param)
    rotation_id = _rotation(schedule, rid).id
    await _submit(key, DeleteRotation(schedule_id=schedule.id, rotation_id=rotation_id))


async def _put_override(
    key: Principal, identifier: str, param: str, alias: str | None = None
) -> tuple[Schedule, Override]:
    """Add (``alias`` None) or replace an override; the schedule and override after it."""
    schedule = await schedule_of(key.org_id, identifier, param)
    body = await parse_body(OverrideIn)
    if alias is None:
        override = override_of(body, schedule, body.alias or new_id())
        command: Command = AddOverride(schedule_id=schedule.id, override=override)
    else:
        override = override_of(body, schedule, _override(schedule, alias).id)
        command = UpdateOverride(schedule_id=schedule.id, override=override)
    await _submit(key, command)
    after = await schedule_of(key.org_id, schedule.id, None)
    return after, _override(after, override.id)


async def _delete_override(key: Principal, identifier: str, alias: str, param: str) -> None:
    schedule = await schedule_of(key.org_id, identifier, param)
    _override(schedule, alias)
    await _submit(key, DeleteOverride(schedule_id=schedule.id, override_id=alias))


async def _list(org_id: str) -> list[Schedule]:
    def view(state: OrgState) -> list[Schedule]:
        records = sorted(state.schedules.schedules.values(), key=lambda r: r.schedule.name)
        return [r.schedule for r in records]

    return await services().supervisor.read(org_id, view)


# -- native API (/api/v1) ------------------------------------------------------------------


def _data(body: Any, status: int = 200) -> Response:
    return json_response({"data": body}, status)


@blueprint.post("/schedules")
async def create_schedule() -> Response:
    """Create a schedule with inline rotations (201 with the schedule)."""
    return _data(schedule_out(await _create_schedule(principal())), 201)


@blueprint.get("/schedules")
async def list_schedules() -> Response:
    """Every schedule of the organization, by name."""
    return _data([schedule_out(s) for s in await _list(principal().org_id)])


@blueprint.get("/schedules/<identifier>")
async def get_schedule(identifier: str) -> Response:
    schedule = await schedule_of(principal().org_id, identifier)
    return _data({**schedule_out(schedule), "overrides": _overrides_out(schedule)})


@blueprint.patch("/schedules/<identifier>")
async def update_schedule(identifier: str) -> Response:
    """Change the given settings (not rotations); the others stay."""
    return _data(schedule_out(await _update_schedule(principal(), identifier)))


@blueprint.delete("/schedules/<identifier>")
async def delete_schedule(identifier: str) -> Response:
    await _delete_schedule(principal(), identifier)
    return json_response({"result": "deleted"})


@blueprint.post("/schedules/<identifier>/rotations")
async def create_rotation(identifier: str) -> Response:
    return _data(rotation_out(await _add_rotation(principal(), identifier, "identifierType")), 201)


@blueprint.get("/schedules/<identifier>/rotations")
async def list_rotations(identifier: str) -> Response:
    schedule = await schedule_of(principal().org_id, identifier)
    return _data([rotation_out(r) for r in schedule.rotations])


@blueprint.get("/schedules/<identifier>/rotations/<rotation_id>")
async def get_rotation(identifier: str, rotation_id: str) -> Response:
    schedule = await schedule_of(principal().org_id, identifier)
    return _data(rotation_out(_rotation(schedule, rotation_id)))


@blueprint.patch("/schedules/<identifier>/rotations/<rotation_id>")
async def update_rotation(identifier: str, rotation_id: str) -> Response:
    key = principal()
    return _data(
        rotation_out(await _update_rotation(key, identifier, rotation_id, "identifierType"))
    )


@blueprint.delete("/schedules/<identifier>/rotations/<rotation_id>")
async def delete_rotation(identifier: str, rotation_id: str) -> Response:
    await _delete_rotation(principal(), identifier, rotation_id, "identifierType")
    return json_response({"result": "deleted"})


def _overrides_out(schedule: Schedule) -> list[dict[str, Any]]:
    return [override_out(o, schedule) for o in schedule.overrides]


@blueprint.post("/schedules/<identifier>/overrides")
async def create_override(identifier: str) -> Response:
    schedule, override = await _put_override(principal(), identifier, "identifierType")
    return _data(override_out(override, schedule), 201)


@blueprint.get("/schedules/<identifier>/overrides")
async def list_overrides(identifier: str) -> Response:
    return _data(_overrides_out(await schedule_of(principal().org_id, identifier)))


@blueprint.get("/schedules/<identifier>/overrides/<alias>")
async def get_override(identifier: str, alias: str) -> Response:
    schedule = await schedule_of(principal().org_id, identifier)
    return _data(override_out(_override(schedule, alias), schedule))


@blueprint.put("/schedules/<identifier>/overrides/<alias>")
async def update_override(identifier: str, alias: str) -> Response:
    schedule, override = await _put_override(principal(), identifier, "identifierType", alias)
    return _data(override_out(override, schedule))


@blueprint.delete("/schedules/<identifier>/overrides/<alias>")
async def delete_override(identifier: str, alias: str) -> Response:
    await _delete_override(principal(), identifier, alias, "identifierType")
    return json_response({"result": "deleted"})


def _parent(schedule: Schedule) -> dict[str, Any]:
    return {"id": schedule.id, "name": schedule.name, "enabled": schedule.enabled}


@blueprint.get("/schedules/<identifier>/on-calls")
async def on_calls(identifier: str) -> Response:
    """Who is on call at ``date`` (default now), and from which rotations/overrides."""
    schedule = await schedule_of(principal().org_id, identifier)
    at = parse_date()
    now = on_call_at(schedule, at)
    body = {"_parent": _parent(schedule), "date": timestamp(at), "users": list(now.users)}
    return _data({**body, "sources": list(now.sources)})


@blueprint.get("/schedules/<identifier>/next-on-calls")
async def next_on_calls(identifier: str) -> Response:
    """The next change after ``date``: its period (``null`` if nothing changes within a year)."""
    schedule = await schedule_of(principal().org_id, identifier)
    period = next_on_call(schedule, parse_date())
    return _data({"_parent": _parent(schedule), "next": period and period_out(period)})


@blueprint.get("/schedules/<identifier>/timeline")
async def schedule_timeline(identifier: str) -> Response:
    """The final timeline over ``interval`` ``intervalUnit`` from ``date``."""
    schedule = await schedule_of(principal().org_id, identifier)
    start, end = timeline_window()
    periods = [period_out(p) for p in timeline(schedule, start, end)]
    window = {"startDate": timestamp(start), "endDate": timestamp(end)}
    return _data({"_parent": _parent(schedule), **window, "periods": periods})


@blueprint.get("/users/<user>/on-call")
async def user_on_call(user: str) -> Response:
    """Which schedules ``user`` is on call in now, and the next turn in each (90 days)."""
    now = services().clock.now()
    return _data(await _read(principal().org_id, lambda s: user_schedules(s, user, now)))


async def _read(org_id: str, fn: Callable[[OrgState], T]) -> T:
    return await services().supervisor.read(org_id, fn)


# -- Opsgenie-compatible API (/v2) ---------------------------------------------------------


@opsgenie_blueprint.errorhandler(PulsarError)
async def _engine_error(error: PulsarError) -> Response:
    """Engine errors with their own message (``Schedule 'x' does not exist``)."""
    return og_error(from_engine(error).status_code, error.message, field=error.field)


OG = "/v2/schedules"
SCHED = "scheduleIdentifierType"


@opsgenie_blueprint.post(OG, strict_slashes=False)
async def og_create() -> Response:
    """Create (201 ``{"data": {id, name, enabled}}``)."""
    schedule = await _create_schedule(await authenticate())
    return og_response({"data": _parent(schedule)}, 201)


@opsgenie_blueprint.get(OG, strict_slashes=False)
async def og_list() -> Response:
    schedules = await _list((await authenticate()).org_id)
    return og_response({"data": [schedule_out(s) for s in schedules]})


@opsgenie_blueprint.get(f"{OG}/<identifier>")
async def og_get(identifier: str) -> Response:
    schedule = await schedule_of((await authenticate()).org_id, identifier)
    return og_response({"data": schedule_out(schedule)})


@opsgenie_blueprint.patch(f"{OG}/<identifier>")
async def og_update(identifier: str) -> Response:
    schedule = await _update_schedule(await authenticate(), identifier)
    return og_response({"data": _parent(schedule)})


@opsgenie_blueprint.delete(f"{OG}/<identifier>")
async def og_delete(identifier: str) -> Response:
    await _delete_schedule(await authenticate(), identifier)
    return og_response({"result": "Deleted"})


@opsgenie_blueprint.post(f"{OG}/<identifier>/rotations")
async def og_create_rotation(identifier: str) -> Response:
    rotation = await _add_rotation(await authenticate(), identifier, SCHED)
    return og_response({"data": {"id": rotation.id, "name": rotation.name}}, 201)


@opsgenie_blueprint.get(f"{OG}/<identifier>/rotations")
async def og_list_rotations(identifier: str) -> Response:
    schedule = await schedule_of((await authenticate()).org_id, identifier, SCHED)
    return og_response({"data": [rotation_out(r) for r in schedule.rotations]})


@opsgenie_blueprint.get(f"{OG}/<identifier>/rotations/<rotation_id>")
async def og_get_rotation(identifier: str, rotation_id: str) -> Response:
    schedule = await schedule_of((await authenticate()).org_id, identifier, SCHED)
    return og_response({"data": rotation_out(_rotation(schedule, rotation_id))})


@opsgenie_blueprint.patch(f"{OG}/<identifier>/rotations/<rotation_id>")
async def og_update_rotation(identifier: str, rotation_id: str) -> Response:
    rotation = await _update_rotation(await authenticate(), identifier, rotation_id, SCHED)
    return og_response({"data": {"id": rotation.id, "name": rotation.name}})


@opsgenie_blueprint.delete(f"{OG}/<identifier>/rotations/<rotation_id>")
async def og_delete_rotation(identifier: str, rotation_id: str) -> Response:
    await _delete_rotation(await authenticate(), identifier, rotation_id, SCHED)
    return og_response({"result": "Deleted"})


@opsgenie_blueprint.post(f"{OG}/<identifier>/overrides")
async def og_create_override(identifier: str) -> Response:
    _, override = await _put_override(await authenticate(), identifier, SCHED)
    return og_response({"data": {"alias": override.id}}, 201)


@opsgenie_blueprint.get(f"{OG}/<identifier>/overrides")
async def og_list_overrides(identifier: str) -> Response:
    schedule = await schedule_of((await authenticate()).org_id, identifier, SCHED)
    return og_response({"data": _overrides_out(schedule)})


@opsgenie_blueprint.get(f"{OG}/<identifier>/overrides/<alias>")
async def og_get_override(identifier: str, alias: str) -> Response:
    schedule = await schedule_of((await authenticate()).org_id, identifier, SCHED)
    return og_response({"data": override_out(_override(schedule, alias), schedule)})


@opsgenie_blueprint.put(f"{OG}/<identifier>/overrides/<alias>")
async def og_update_override(identifier: str, alias: str) -> Response:
    _, override = await _put_override(await authenticate(), identifier, SCHED, alias)
    return og_response({"data": {"alias": override.id}})


@opsgenie_blueprint.delete(f"{OG}/<identifier>/overrides/<alias>")
async def og_delete_override(identifier: str, alias: str) -> Response:
    await _delete_override(await authenticate(), identifier, alias, SCHED)
    return og_response({"result": "Deleted"})


def _flat() -> bool:
    return request.args.get("flat", "false").lower() == "true"


def _users_out(users: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"id": u, "name": u, "type": "user"} for u in users]


@opsgenie_blueprint.get(f"{OG}/<identifier>/on-calls")
async def og_on_calls(identifier: str) -> Response:
    """``onCallParticipants`` (objects), or ``onCallRecipients`` (names) with ``flat=true``."""
    schedule = await schedule_of((await authenticate()).org_id, identifier, SCHED)
    users = on_call_at(schedule, parse_date()).users
    data: dict[str, Any] = {"_parent": _parent(schedule)}
    if _flat():
        data["onCallRecipients"] = list(users)
    else:
        data["onCallParticipants"] = _users_out(users)
    return og_response({"data": data})


@opsgenie_blueprint.get(f"{OG}/<identifier>/next-on-calls")
async def og_next_on_calls(identifier: str) -> Response:
    """Who is on call after the next change (compat-api.md 4.11 names)."""
    schedule = await schedule_of((await authenticate()).org_id, identifier, SCHED)
    period = next_on_call(schedule, parse_date())
    users = period.users if period else ()
    data: dict[str, Any] = {"_parent": _parent(schedule)}
    if _flat():
        data["nextOnCallParticipants"] = list(users)
        data["exactNextOnCallParticipants"] = list(users)
    else:
        data["nextOnCallRecipients"] = _users_out(users)
        data["exactNextOnCallRecipients"] = _users_out(users)
    return og_response({"data": data})


@opsgenie_blueprint.get(f"{OG}/<identifier>/timeline")
async def og_timeline(identifier: str) -> Response:
    """The final timeline: one entry per period with its recipients."""
    schedule = await schedule_of((await authenticate()).org_id, identifier)
    start, end = timeline_window()
    periods = [
        {
            "startDate": timestamp(p.start),
            "endDate": timestamp(p.end),
            "type": "default",
            "recipients": _users_out(p.users),
        }
        for p in timeline(schedule, start, end)
    ]
    window = {"startDate": timestamp(start), "endDate": timestamp(end)}
    data = {"_parent": _parent(schedule), **window, "finalTimeline": {"periods": periods}}
    return og_response({"data": data})
