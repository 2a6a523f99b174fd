"""Schedules over HTTP: the native ``/api/v1/schedules`` and Opsgenie's ``/v2/schedules``.

Both APIs take the same Opsgenie-shaped JSON (``web.api.schedule_json``; compat-api.md
section 6) and differ in their envelope and in the short answers Opsgenie gives to
writes. A schedule is addressed by id, or by name with ``identifierType=name``
(``scheduleIdentifierType`` on rotation, override and on-call routes). Another
organization's schedule is not in this organization's state, so it is a 404 like any
unknown id; its users and teams are unknown here too (a 422 when named in a body).
Who is on call is computed from the committed state at the request's ``date``
(default: now).

Lists: the native list pages by name (``limit``, ``cursor`` -> ``next_cursor``) and
filters by owner team (``team``, an id or name); Opsgenie's list inlines rotations
only with ``expand=rotation``, as Opsgenie does.
"""

from __future__ import annotations

import base64
import binascii
import calendar
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

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
    PulsarError,
    Rotation,
    Schedule,
    UpdateOverride,
    UpdateRotation,
    UpdateSchedule,
    find_schedule,
    member_by_email,
    new_id,
    next_on_call,
    on_call_at,
    split_recipient,
    team_by_name,
    timeline,
)
from web.api.schedule_json import (
    Names,
    OverrideIn,
    RotationIn,
    ScheduleIn,
    names_of,
    override_of,
    override_out,
    owner_team_of,
    period_out,
    recipients_out,
    required,
    rotation_of,
    rotation_out,
    schedule_out,
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
from web.compat.prefix import mount
from web.errors import ApiError, from_engine

__all__ = [
    "blueprint",
    "member_id",
    "opsgenie_blueprint",
    "parse_date",
    "schedule_of",
    "user_schedules",
    "visible",
]

blueprint = Blueprint("schedules", __name__)
opsgenie_blueprint = Blueprint("opsgenie_schedules", __name__)
install_error_handlers(opsgenie_blueprint)

T = TypeVar("T")
INTERVAL_UNITS: Final = ("days", "weeks", "months")
MAX_TIMELINE: Final = timedelta(days=366)
USER_LOOKAHEAD: Final = timedelta(days=90)
MAX_PAGE: Final = 100


# -- reading state -------------------------------------------------------------------------


def _by_name(param: str | None = "identifierType") -> bool:
    """Whether the request names schedules by name (``param=name``); ``None``: by id."""
    if param is None:
        return False
    kind = request.args.get(param, "id")
    if kind not in ("id", "name"):
        raise ApiError(422, "invalid_field", f"{param} must be id or name", field=param)
    return kind == "name"


def visible(key: Principal, schedule: Schedule) -> bool:
    """Whether ``key`` may see ``schedule``: always, unless it is scoped to another team.

    A team-scoped API key (``web.auth.scope``, the alerts' rule) acts for its team
    only: it sees, edits and lists the schedules its team owns; to it any other
    schedule does not exist (404, like another organization's).
    """
    return key.team_id is None or schedule.owner_team == key.team_id


def _find(state: OrgState, key: Principal, identifier: str, by_name: bool) -> Schedule:
    schedule = find_schedule(state.schedules, identifier, by_name=by_name)
    if not visible(key, schedule):
        raise NotFound("schedule_not_found", f"Schedule {identifier!r} does not exist")
    return schedule


async def schedule_of(
    key: Principal, identifier: str, param: str | None = "identifierType"
) -> Schedule:
    """The committed schedule ``identifier`` names in ``key``'s organization, if ``key``
    may see it (else ``NotFound``)."""
    by_name = _by_name(param)
    return await _read(key.org_id, lambda s: _find(s, key, identifier, by_name))


async def _named(
    key: Principal, identifier: str, param: str | None = "identifierType"
) -> tuple[Schedule, Names]:
    """The schedule ``identifier`` names, and the names of its users and teams (one read)."""
    by_name = _by_name(param)

    def view(state: OrgState) -> tuple[Schedule, Names]:
        return _find(state, key, identifier, by_name), names_of(state)

    return await _read(key.org_id, view)


async def _read(org_id: str, fn: Callable[[OrgState], T]) -> T:
    return await services().supervisor.read(org_id, fn)


def member_id(state: OrgState, user: str) -> str:
    """The account id of the member ``user`` names (id, or email = Opsgenie's username).

    Raises:
        NotFound: ``user_not_found`` (also for another organization's user).
    """
    if user in state.access.members:
        return user
    member = member_by_email(state.access, user)
    if member is None:
        raise NotFound("user_not_found", f"User {user!r} does not exist")
    return member.account_id


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


def user_schedules(state: OrgState, key: Principal, user: str, now: datetime) -> dict[str, Any]:
    """Which enabled schedules (of those ``key`` may see) the member ``user`` (id or email)
    is on call in now, and their next turns. Being on call as part of a team that is on
    call does not count."""
    account_id = member_id(state, user)
    current: list[dict[str, Any]] = []
    upcoming: list[dict[str, Any]] = []
    for schedule in _by_names(state, key):
        ref = {"id": schedule.id, "name": schedule.name}
        periods = timeline(schedule, now, now + USER_LOOKAHEAD)
        mine = [p for p in periods if account_id in p.users]
        if mine and mine[0].start <= now:
            current.append({**ref, "endDate": timestamp(mine[0].end)})
            mine = mine[1:]
        if mine:
            upcoming.append(
                {**ref, "startDate": timestamp(mine[0].start), "endDate": timestamp(mine[0].end)}
            )
    return {"user": account_id, "onCall": current, "nextOnCall": upcoming}


# -- writes, shared by both APIs -----------------------------------------------------------


async def _submit(key: Principal, command: Command) -> None:
    ctx = await command_context(key)
    await services().supervisor.submit(key.org_id, command, ctx)


async def _create_schedule(key: Principal) -> tuple[Schedule, Names]:
    body = await parse_body(ScheduleIn)
    rotations = tuple(rotation_of(r, new_id()) for r in body.rotations or ())
    command = CreateSchedule(
        schedule_id=new_id(),
        name=required(body.name, "name"),
        timezone=body.timezone or "UTC",
        description=body.description or "",
        enabled=True if body.enabled is None else body.enabled,
        owner_team=await _scoped_owner(key, owner_team_of(body.owner_team)),
        rotations=rotations,
    )
    await _submit(key, command)
    return await _named(key, command.schedule_id, None)


async def _update_schedule(key: Principal, identifier: str) -> tuple[Schedule, Names]:
    schedule = await schedule_of(key, identifier)
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
        owner_team=owner_team_of(owner) or ("" if owner == "" else None),
    )
    if command.owner_team is not None and key.team_id is not None:
        await _scoped_owner(key, command.owner_team)
    await _submit(key, command)
    return await _named(key, schedule.id, None)


async def _scoped_owner(key: Principal, owner: str | None) -> str | None:
    """The owner team of a schedule ``key`` creates or re-owns: a team-scoped key's own
    team (absent means it), never another team or none (403)."""
    if key.team_id is None:
        return owner
    if owner is None:
        return key.team_id
    chosen = await _read(key.org_id, lambda s: _team_id(s, owner.strip()) if owner else "")
    if chosen != key.team_id:
        msg = "a team's key keeps the schedules it writes in its team"
        raise ApiError(403, "forbidden", msg, field="ownerTeam")
    return key.team_id


async def _delete_schedule(key: Principal, identifier: str) -> None:
    schedule = await schedule_of(key, identifier)
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


async def _add_rotation(key: Principal, identifier: str, param: str) -> tuple[Rotation, Names]:
    schedule = await schedule_of(key, identifier, param)
    rotation = rotation_of(await parse_body(RotationIn), new_id())
    await _submit(key, AddRotation(schedule_id=schedule.id, rotation=rotation))
    after, names = await _named(key, schedule.id, None)
    return _rotation(after, rotation.id), names


async def _update_rotation(
    key: Principal, identifier: str, rid: str, param: str
) -> tuple[Rotation, Names]:
    schedule = await schedule_of(key, identifier, param)
    base = _rotation(schedule, rid)
    rotation = rotation_of(await parse_body(RotationIn, optional=True), base.id, base)
    await _submit(key, UpdateRotation(schedule_id=schedule.id, rotation=rotation))
    after, names = await _named(key, schedule.id, None)
    return _rotation(after, base.id), names


async def _delete_rotation(key: Principal, identifier: str, rid: str, param: str) -> None:
    schedule = await schedule_of(key, identifier, param)
    rotation_id = _rotation(schedule, rid).id
    await _submit(key, DeleteRotation(schedule_id=schedule.id, rotation_id=rotation_id))


async def _put_override(
    key: Principal, identifier: str, param: str, alias: str | None = None
) -> tuple[Override, Schedule, Names]:
    """Add (``alias`` None) or replace an override; the override and schedule after it."""
    schedule = await schedule_of(key, identifier, param)
    body = await parse_body(OverrideIn)
    if alias is None:
        override = override_of(body, schedule, body.alias or new_id())
        command: Command = AddOverride(schedule_id=schedule.id, override=override)
    else:
        override = override_of(body, schedule, _override(schedule, alias).id)
        command = UpdateOverride(schedule_id=schedule.id, override=override)
    await _submit(key, command)
    after, names = await _named(key, schedule.id, None)
    return _override(after, override.id), after, names


async def _delete_override(key: Principal, identifier: str, alias: str, param: str) -> None:
    schedule = await schedule_of(key, identifier, param)
    _override(schedule, alias)
    await _submit(key, DeleteOverride(schedule_id=schedule.id, override_id=alias))


def _by_names(state: OrgState, key: Principal) -> list[Schedule]:
    """The schedules ``key`` may see, by name."""
    schedules = (r.schedule for r in state.schedules.schedules.values())
    return sorted((s for s in schedules if visible(key, s)), key=lambda s: (s.name, s.id))


def _team_id(state: OrgState, team: str) -> str:
    """The id of the team ``team`` names (id, or name ignoring case); as given if none."""
    if team in state.teams.teams:
        return team
    found = team_by_name(state.teams, team)
    return team if found is None else found.id


def _limit() -> int:
    raw = request.args.get("limit", str(MAX_PAGE))
    limit = int(raw) if raw.isdigit() else 0
    if not 1 <= limit <= MAX_PAGE:
        msg = f"limit must be between 1 and {MAX_PAGE}"
        raise ApiError(422, "invalid_field", msg, field="limit")
    return limit


def _encode_cursor(schedule: Schedule) -> str:
    data = msgspec.json.encode((schedule.name, schedule.id))
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[str, str] | None:
    """The (name, id) a page continues after; ``None`` for the first page."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded)
        return msgspec.json.decode(raw, type=tuple[str, str])
    except (binascii.Error, ValueError, msgspec.ValidationError, msgspec.DecodeError):
        raise ApiError(422, "invalid_field", "cursor is malformed", field="cursor") from None


# -- native API (/api/v1) ------------------------------------------------------------------


def _data(body: Any, status: int = 200) -> Response:
    return json_response({"data": body}, status)


@blueprint.post("/schedules")
async def create_schedule() -> Response:
    """Create a schedule with inline rotations (201 with the schedule)."""
    return _data(schedule_out(*await _create_schedule(principal())), 201)


@blueprint.get("/schedules")
async def list_schedules() -> Response:
    """The organization's schedules by name, ``limit`` (1-100, default 100) after ``cursor``.

    ``team`` (a team's id or name) keeps the schedules that team owns. The answer's
    ``next_cursor`` continues the list (``null`` on the last page).
    """
    key = principal()
    limit = _limit()
    after = _decode_cursor(request.args.get("cursor"))
    team = request.args.get("team")

    def view(state: OrgState) -> tuple[list[Schedule], Names]:
        owner = _team_id(state, team) if team else None
        chosen = [
            s
            for s in _by_names(state, key)
            if (owner is None or s.owner_team == owner)
            and (after is None or (s.name, s.id) > after)
        ]
        return chosen[: limit + 1], names_of(state)

    page, names = await _read(key.org_id, view)
    next_cursor = _encode_cursor(page[limit - 1]) if len(page) > limit else None
    return json_response(
        {"data": [schedule_out(s, names) for s in page[:limit]], "next_cursor": next_cursor}
    )


@blueprint.get("/schedules/<identifier>")
async def get_schedule(identifier: str) -> Response:
    schedule, names = await _named(principal(), identifier)
    return _data({**schedule_out(schedule, names), "overrides": _overrides_out(schedule, names)})


@blueprint.patch("/schedules/<identifier>")
async def update_schedule(identifier: str) -> Response:
    """Change the given settings (not rotations); the others stay."""
    return _data(schedule_out(*await _update_schedule(principal(), identifier)))


@blueprint.delete("/schedules/<identifier>")
async def delete_schedule(identifier: str) -> Response:
    await _delete_schedule(principal(), identifier)
    return json_response({"result": "deleted"})


@blueprint.post("/schedules/<identifier>/rotations")
async def create_rotation(identifier: str) -> Response:
    rotation, names = await _add_rotation(principal(), identifier, "identifierType")
    return _data(rotation_out(rotation, names), 201)


@blueprint.get("/schedules/<identifier>/rotations")
async def list_rotations(identifier: str) -> Response:
    schedule, names = await _named(principal(), identifier)
    return _data([rotation_out(r, names) for r in schedule.rotations])


@blueprint.get("/schedules/<identifier>/rotations/<rotation_id>")
async def get_rotation(identifier: str, rotation_id: str) -> Response:
    schedule, names = await _named(principal(), identifier)
    return _data(rotation_out(_rotation(schedule, rotation_id), names))


@blueprint.patch("/schedules/<identifier>/rotations/<rotation_id>")
async def update_rotation(identifier: str, rotation_id: str) -> Response:
    key = principal()
    rotation, names = await _update_rotation(key, identifier, rotation_id, "identifierType")
    return _data(rotation_out(rotation, names))


@blueprint.delete("/schedules/<identifier>/rotations/<rotation_id>")
async def delete_rotation(identifier: str, rotation_id: str) -> Response:
    await _delete_rotation(principal(), identifier, rotation_id, "identifierType")
    return json_response({"result": "deleted"})


def _overrides_out(schedule: Schedule, names: Names) -> list[dict[str, Any]]:
    return [override_out(o, schedule, names) for o in schedule.overrides]


@blueprint.post("/schedules/<identifier>/overrides")
async def create_override(identifier: str) -> Response:
    return _data(override_out(*await _put_override(principal(), identifier, "identifierType")), 201)


@blueprint.get("/schedules/<identifier>/overrides")
async def list_overrides(identifier: str) -> Response:
    return _data(_overrides_out(*await _named(principal(), identifier)))


@blueprint.get("/schedules/<identifier>/overrides/<alias>")
async def get_override(identifier: str, alias: str) -> Response:
    schedule, names = await _named(principal(), identifier)
    return _data(override_out(_override(schedule, alias), schedule, names))


@blueprint.put("/schedules/<identifier>/overrides/<alias>")
async def update_override(identifier: str, alias: str) -> Response:
    key = principal()
    return _data(override_out(*await _put_override(key, identifier, "identifierType", alias)))


@blueprint.delete("/schedules/<identifier>/overrides/<alias>")
async def delete_override(identifier: str, alias: str) -> Response:
    await _delete_override(principal(), identifier, alias, "identifierType")
    return json_response({"result": "deleted"})


def _parent(schedule: Schedule) -> dict[str, Any]:
    return {"id": schedule.id, "name": schedule.name, "enabled": schedule.enabled}


@blueprint.get("/schedules/<identifier>/on-calls")
async def on_calls(identifier: str) -> Response:
    """Who is on call at ``date`` (default now), and from which rotations/overrides.

    ``participants`` are everyone on call (users and teams, named); ``users`` the user ids.
    """
    schedule, names = await _named(principal(), identifier)
    at = parse_date()
    now = on_call_at(schedule, at)
    body = {"_parent": _parent(schedule), "date": timestamp(at), **_who(now.users, names)}
    return _data({**body, "sources": list(now.sources)})


def _who(keys: tuple[str, ...], names: Names) -> dict[str, Any]:
    users = [k for k in keys if split_recipient(k)[0] == "user"]
    return {"users": users, "participants": recipients_out(keys, names)}


@blueprint.get("/schedules/<identifier>/next-on-calls")
async def next_on_calls(identifier: str) -> Response:
    """The next change after ``date``: its period (``null`` if nothing changes within a year)."""
    schedule, names = await _named(principal(), identifier)
    period = next_on_call(schedule, parse_date())
    return _data({"_parent": _parent(schedule), "next": period and period_out(period, names)})


@blueprint.get("/schedules/<identifier>/timeline")
async def schedule_timeline(identifier: str) -> Response:
    """The final timeline over ``interval`` ``intervalUnit`` from ``date``."""
    schedule, names = await _named(principal(), identifier)
    start, end = timeline_window()
    periods = [period_out(p, names) for p in timeline(schedule, start, end)]
    window = {"startDate": timestamp(start), "endDate": timestamp(end)}
    return _data({"_parent": _parent(schedule), **window, "periods": periods})


@blueprint.get("/users/<user>/on-call")
async def user_on_call(user: str) -> Response:
    """Which schedules the member ``user`` (id or email) is on call in now, and the next turn
    in each (90 days); 404 for anyone who is not a member."""
    now = services().clock.now()
    key = principal()
    return _data(await _read(key.org_id, lambda s: user_schedules(s, key, user, now)))


# -- Opsgenie-compatible API (/v2) ---------------------------------------------------------


@opsgenie_blueprint.errorhandler(PulsarError)
async def _engine_error(error: PulsarError) -> Response:
    """Engine errors with their own message (``Schedule 'x' does not exist``)."""
    return og_error(from_engine(error).status_code, error.message, field=error.field)


OG = "/v2/schedules"
SCHED = "scheduleIdentifierType"


@mount(opsgenie_blueprint, OG, ["POST"])
async def og_create() -> Response:
    """Create (201 ``{"data": {id, name, enabled}}``)."""
    schedule, _ = await _create_schedule(await authenticate())
    return og_response({"data": _parent(schedule)}, 201)


@mount(opsgenie_blueprint, OG, ["GET"])
async def og_list() -> Response:
    """Every schedule by name; rotations inline only with ``expand=rotation`` (Opsgenie)."""
    key = await authenticate()
    expand = {e.strip() for e in request.args.get("expand", "").split(",")}
    schedules, names = await _read(key.org_id, lambda s: (_by_names(s, key), names_of(s)))
    data = [schedule_out(s, names, rotations="rotation" in expand) for s in schedules]
    return og_response({"data": data, "expandable": ["rotation"]})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["GET"])
async def og_get(identifier: str) -> Response:
    schedule, names = await _named(await authenticate(), identifier)
    return og_response({"data": schedule_out(schedule, names)})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["PATCH"])
async def og_update(identifier: str) -> Response:
    schedule, _ = await _update_schedule(await authenticate(), identifier)
    return og_response({"data": _parent(schedule)})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["DELETE"])
async def og_delete(identifier: str) -> Response:
    await _delete_schedule(await authenticate(), identifier)
    return og_response({"result": "Deleted"})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/rotations", ["POST"])
async def og_create_rotation(identifier: str) -> Response:
    rotation, _ = await _add_rotation(await authenticate(), identifier, SCHED)
    return og_response({"data": {"id": rotation.id, "name": rotation.name}}, 201)


@mount(opsgenie_blueprint, f"{OG}/<identifier>/rotations", ["GET"])
async def og_list_rotations(identifier: str) -> Response:
    schedule, names = await _named(await authenticate(), identifier, SCHED)
    return og_response({"data": [rotation_out(r, names) for r in schedule.rotations]})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/rotations/<rotation_id>", ["GET"])
async def og_get_rotation(identifier: str, rotation_id: str) -> Response:
    schedule, names = await _named(await authenticate(), identifier, SCHED)
    return og_response({"data": rotation_out(_rotation(schedule, rotation_id), names)})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/rotations/<rotation_id>", ["PATCH"])
async def og_update_rotation(identifier: str, rotation_id: str) -> Response:
    rotation, _ = await _update_rotation(await authenticate(), identifier, rotation_id, SCHED)
    return og_response({"data": {"id": rotation.id, "name": rotation.name}})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/rotations/<rotation_id>", ["DELETE"])
async def og_delete_rotation(identifier: str, rotation_id: str) -> Response:
    await _delete_rotation(await authenticate(), identifier, rotation_id, SCHED)
    return og_response({"result": "Deleted"})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/overrides", ["POST"])
async def og_create_override(identifier: str) -> Response:
    override, _, _ = await _put_override(await authenticate(), identifier, SCHED)
    return og_response({"data": {"alias": override.id}}, 201)


@mount(opsgenie_blueprint, f"{OG}/<identifier>/overrides", ["GET"])
async def og_list_overrides(identifier: str) -> Response:
    schedule, names = await _named(await authenticate(), identifier, SCHED)
    return og_response({"data": _overrides_out(schedule, names)})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/overrides/<alias>", ["GET"])
async def og_get_override(identifier: str, alias: str) -> Response:
    schedule, names = await _named(await authenticate(), identifier, SCHED)
    return og_response({"data": override_out(_override(schedule, alias), schedule, names)})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/overrides/<alias>", ["PUT"])
async def og_update_override(identifier: str, alias: str) -> Response:
    override, _, _ = await _put_override(await authenticate(), identifier, SCHED, alias)
    return og_response({"data": {"alias": override.id}})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/overrides/<alias>", ["DELETE"])
async def og_delete_override(identifier: str, alias: str) -> Response:
    await _delete_override(await authenticate(), identifier, alias, SCHED)
    return og_response({"result": "Deleted"})


def _flat() -> bool:
    return request.args.get("flat", "false").lower() == "true"


def _flat_names(keys: tuple[str, ...], names: Names) -> list[str]:
    """Opsgenie's flat recipients: users by username (email), teams by name."""
    return [r["name"] for r in recipients_out(keys, names)]


@mount(opsgenie_blueprint, f"{OG}/<identifier>/on-calls", ["GET"])
async def og_on_calls(identifier: str) -> Response:
    """``onCallParticipants`` (objects), or ``onCallRecipients`` (names) with ``flat=true``."""
    schedule, names = await _named(await authenticate(), identifier, SCHED)
    users = on_call_at(schedule, parse_date()).users
    data: dict[str, Any] = {"_parent": _parent(schedule)}
    if _flat():
        data["onCallRecipients"] = _flat_names(users, names)
    else:
        data["onCallParticipants"] = recipients_out(users, names)
    return og_response({"data": data})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/next-on-calls", ["GET"])
async def og_next_on_calls(identifier: str) -> Response:
    """Who is on call after the next change (compat-api.md 4.11 names)."""
    schedule, names = await _named(await authenticate(), identifier, SCHED)
    period = next_on_call(schedule, parse_date())
    users = period.users if period else ()
    data: dict[str, Any] = {"_parent": _parent(schedule)}
    if _flat():
        data["nextOnCallParticipants"] = _flat_names(users, names)
        data["exactNextOnCallParticipants"] = _flat_names(users, names)
    else:
        data["nextOnCallRecipients"] = recipients_out(users, names)
        data["exactNextOnCallRecipients"] = recipients_out(users, names)
    return og_response({"data": data})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/timeline", ["GET"])
async def og_timeline(identifier: str) -> Response:
    """The final timeline: one entry per period with its recipients."""
    schedule, names = await _named(await authenticate(), identifier)
    start, end = timeline_window()
    periods = [
        {
            "startDate": timestamp(p.start),
            "endDate": timestamp(p.end),
            "type": "default",
            "recipients": recipients_out(p.users, names),
        }
        for p in timeline(schedule, start, end)
    ]
    window = {"startDate": timestamp(start), "endDate": timestamp(end)}
    data = {"_parent": _parent(schedule), **window, "finalTimeline": {"periods": periods}}
    return og_response({"data": data})
