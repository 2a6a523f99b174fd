"""The JSON of schedules, shared by the native and the Opsgenie API (``web.api.schedules``).

Bodies come in Opsgenie's shapes (compat-api.md section 6): a schedule with inline
rotations and ``ownerTeam {id|name}``, rotations with ``participants`` of type
``user`` (``id`` or ``username``, the member's email), ``team`` (``id`` or ``name``)
or ``none``, and ``timeRestriction``; overrides addressed by ``alias`` whose ``user``
is a user, a team, or ``{"type": "none"}`` (nobody on call in the window).
References are passed to the engine as given: the org decider resolves them to ids
and refuses users and teams the organization does not have (422 naming the field).
``escalation`` participants are refused here already (422): in Pulsar an escalation
policy's rule notifies a schedule, a policy does not take a rotation's turn.

Answers name users by their email (Opsgenie's username) and teams by their name,
read from ``Names``, a copy taken in the same state read as the schedule. Who is on
call is a tuple of recipient keys (``engine.recipient_key``): ``recipients_out``
turns them into Opsgenie's ``{type, id, name}`` objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal, TypeVar, final

import msgspec

from engine import (
    OrgState,
    Override,
    Participant,
    Period,
    Restriction,
    Rotation,
    Schedule,
    TimeWindow,
    split_recipient,
)
from web.compat.opsgenie.wire import timestamp
from web.errors import ApiError

__all__ = [
    "ESCALATION_LATER",
    "Names",
    "OverrideIn",
    "Ref",
    "RotationIn",
    "ScheduleIn",
    "names_of",
    "override_of",
    "override_out",
    "owner_team_of",
    "period_out",
    "recipients_out",
    "required",
    "rotation_of",
    "rotation_out",
    "schedule_out",
]

T = TypeVar("T")
WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ESCALATION_LATER: Final = (  # as the engine's (engine.schedules.commands)
    "an escalation policy cannot hold a rotation's turn; "
    "to page through a policy, give it a rule whose recipient is this schedule"
)


# -- bodies --------------------------------------------------------------------------------


@final
class Ref(msgspec.Struct, kw_only=True):
    """A ``{type, id|name|username}`` reference (owner team, rotation, participant, user)."""

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
    """A rotation body; absent fields are ``None`` (kept on PATCH). ``endDate`` and
    ``timeRestriction`` are ``UNSET`` when absent (kept): an explicit ``null`` removes them."""

    name: str | None = None
    start_date: datetime | None = None
    end_date: datetime | msgspec.UnsetType | None = msgspec.UNSET
    type: Literal["hourly", "daily", "weekly", "custom"] | None = None
    length: int | None = None
    custom_unit: Literal["hours", "days"] | None = None
    participants: list[Ref] | None = None
    time_restriction: RestrictionIn | msgspec.UnsetType | None = msgspec.UNSET


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
    """An override body: ``user`` (a user or a team) takes over in [startDate, endDate);
    ``{"type": "none"}`` (no id) takes over with nobody (e.g. a company holiday)."""

    alias: str | None = None
    user: str | Ref | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    rotations: list[Ref] | None = None


def required(value: T | None, field: str) -> T:
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


def _restriction(body: RestrictionIn) -> Restriction:
    """The model's restriction from Opsgenie's ``timeRestriction``."""
    windows = list(body.restrictions or ())
    if body.restriction is not None:
        windows.insert(0, body.restriction)
    return Restriction(type=body.type, windows=tuple(_window(w) for w in windows))


def _participant(ref: Ref) -> Participant:
    """A participant as given (the engine resolves usernames and team names to ids)."""
    kind = ref.type.strip().lower() or "user"
    if kind == "none":
        return Participant(type="none")
    if kind == "escalation":
        raise ApiError(422, "invalid_field", ESCALATION_LATER, field="participants")
    if kind not in ("user", "team"):
        msg = "participant type must be user, team or none"
        raise ApiError(422, "invalid_field", msg, field="participants")
    return Participant(type="team" if kind == "team" else "user", id=ref.key())


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
    given = body.time_restriction
    if isinstance(given, msgspec.UnsetType):
        restriction = base.restriction if base else None
    else:
        restriction = None if given is None else _restriction(given)
    end = body.end_date
    if isinstance(end, msgspec.UnsetType):
        end = base.end if base else None
    start = body.start_date or (base.start if base else None)
    return Rotation(
        id=rotation_id,
        name=body.name or (base.name if base else "") or f"{rtype} rotation",
        type=rtype,
        length=body.length if body.length is not None else (base.length if base else 1),
        custom_unit=body.custom_unit or (base.custom_unit if base else "hours"),
        start=required(start, "startDate"),
        end=end,
        participants=participants,
        restriction=restriction,
    )


def owner_team_of(value: str | Ref | None) -> str | None:
    """``ownerTeam`` (id or name) as a string; ``None`` (unchanged) for absent, ``{}``, ``""``."""
    if isinstance(value, Ref):
        return value.key() or None
    return value or None


def override_of(body: OverrideIn, schedule: Schedule, alias: str) -> Override:
    """An override from ``body``; rotations may be named by id or name."""
    user = body.user
    user_type: Literal["user", "team", "none"]
    if isinstance(user, Ref):
        kind = user.type.strip().lower() or "user"
        if kind not in ("user", "team", "none"):
            msg = "an override's user must be a user, a team or none"
            raise ApiError(422, "invalid_field", msg, field="user")
        user_type = "team" if kind == "team" else "none" if kind == "none" else "user"
        ref = user.key()
    else:
        user_type, ref = "user", required(user, "user")
    by_name = {r.name: r.id for r in schedule.rotations}
    rotation_ids = tuple(by_name.get(r.key(), r.key()) for r in body.rotations or ())
    return Override(
        id=alias,
        user=ref,
        user_type=user_type,
        start=required(body.start_date, "startDate"),
        end=required(body.end_date, "endDate"),
        rotation_ids=rotation_ids,
    )


# -- answers -------------------------------------------------------------------------------


@final
class Names(msgspec.Struct, frozen=True, kw_only=True):
    """Who the ids of an organization are: account id -> email, team id -> name."""

    users: dict[str, str]
    teams: dict[str, str]

    def user(self, account_id: str) -> str:
        """The member's email (Opsgenie's username); the id itself for a stranger."""
        return self.users.get(account_id, account_id)

    def team(self, team_id: str) -> str:
        """The team's name; the id itself for a team that is gone."""
        return self.teams.get(team_id, team_id)


def names_of(state: OrgState) -> Names:
    """A copy of the organization's names (safe to use after the state read)."""
    return Names(
        users={m.account_id: m.email for m in state.access.members.values()},
        teams={t.id: t.name for t in state.teams.teams.values()},
    )


def _participant_out(p: Participant, names: Names) -> dict[str, Any]:
    if p.type == "team":
        return {"type": "team", "id": p.id, "name": names.team(p.id)}
    if p.type == "user":
        return {"type": "user", "id": p.id, "username": names.user(p.id)}
    return {"type": "none"}


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


def rotation_out(rotation: Rotation, names: Names) -> dict[str, Any]:
    """Opsgenie's rotation object (plus ``customUnit`` for Pulsar's custom type)."""
    out: dict[str, Any] = {
        "id": rotation.id,
        "name": rotation.name,
        "type": rotation.type,
        "length": rotation.length,
        "startDate": timestamp(rotation.start),
        "participants": [_participant_out(p, names) for p in rotation.participants],
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


def override_out(override: Override, schedule: Schedule, names: Names) -> dict[str, Any]:
    """Opsgenie's override object (``alias`` is its identifier)."""
    rotation_names = {r.id: r.name for r in schedule.rotations}
    who = Participant(type=override.user_type, id=override.user)
    return {
        "alias": override.id,
        "user": _participant_out(who, names),
        "startDate": timestamp(override.start),
        "endDate": timestamp(override.end),
        "rotations": [{"id": r, "name": rotation_names.get(r, "")} for r in override.rotation_ids],
    }


def schedule_out(schedule: Schedule, names: Names, *, rotations: bool = True) -> dict[str, Any]:
    """Opsgenie's schedule object, with its rotations inline unless ``rotations`` is off."""
    out: dict[str, Any] = {
        "id": schedule.id,
        "name": schedule.name,
        "description": schedule.description,
        "timezone": schedule.timezone,
        "enabled": schedule.enabled,
    }
    if schedule.owner_team:
        out["ownerTeam"] = {"id": schedule.owner_team, "name": names.team(schedule.owner_team)}
    if rotations:
        out["rotations"] = [rotation_out(r, names) for r in schedule.rotations]
    return out


def recipients_out(keys: tuple[str, ...], names: Names) -> list[dict[str, str]]:
    """On-call recipient keys as Opsgenie's ``{id, name, type}`` (users named by email)."""
    out = []
    for key in keys:
        kind, identifier = split_recipient(key)
        name = names.team(identifier) if kind == "team" else names.user(identifier)
        out.append({"id": identifier, "name": name, "type": kind})
    return out


def period_out(period: Period, names: Names) -> dict[str, Any]:
    """A timeline period: who is on call in [startDate, endDate) and from which sources.

    ``users`` are the user ids on call; ``participants`` everyone on call (users and
    teams) with their names.
    """
    return {
        "startDate": timestamp(period.start),
        "endDate": timestamp(period.end),
        "users": [k for k in period.users if split_recipient(k)[0] == "user"],
        "participants": recipients_out(period.users, names),
        "sources": list(period.sources),
    }
