"""Opsgenie's user API (``/v2/users``) over Pulsar's members.

What Opsgenie's clients (the Go SDK behind the Terraform provider, scripts)
send and read: create ``{username, fullName, role: {name}, timeZone?,
locale?}`` (201 ``{"result": "Created", "data": {id, username}}``), get by id
or username, list with ``offset``/``limit``/``sort``/``order`` and paging
links, update (200 ``{"result": "Updated", ...}``) and delete (200
``{"result": "Deleted"}``); every answer carries ``took`` and ``requestId``.

Roles map to Opsgenie's names: owner = ``Owner``, admin = ``Admin``, member
= ``User``, viewer = ``Observer`` (``Viewer`` and ``Stakeholder`` are read as
viewer too; names are case-insensitive). Pulsar cannot send e-mail yet, so a
user created here gets no invitation: an admin issues the set-up link with
``POST /api/v1/invitations``. Profile fields (``fullName``, ``timeZone``,
``locale``) change only accounts that belong to this organization alone.
"""

from __future__ import annotations

import re
from typing import Any, Final, final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from quart import Blueprint, Response, request

from engine import NotFound, PulsarError
from web.api.membership import (
    User,
    add_user,
    change_role,
    find_user,
    list_users,
    remove_user,
    update_profile,
)
from web.app import command_context, parse_body, principal
from web.compat.opsgenie.routing import int_arg
from web.compat.opsgenie.wire import install_error_handlers, og_error, og_response, timestamp
from web.compat.prefix import mount
from web.errors import ApiError, from_engine

__all__ = ["ROLE_NAMES", "opsgenie_blueprint"]

opsgenie_blueprint = Blueprint("opsgenie_users", __name__)
install_error_handlers(opsgenie_blueprint)

OG: Final = "/v2/users"
ROLE_NAMES: Final = {"owner": "Owner", "admin": "Admin", "member": "User", "viewer": "Observer"}
_ROLES_IN: Final = {
    "owner": "owner",
    "admin": "admin",
    "user": "member",
    "member": "member",
    "observer": "viewer",
    "viewer": "viewer",
    "stakeholder": "viewer",
}
_SORTS: Final = {
    "username": lambda u: u.email,
    "fullName": lambda u: u.name.lower(),
    "fullName.raw": lambda u: u.name,
    "role": lambda u: u.role,
    "createdAt": lambda u: u.joined_at,
}
# "en", "en-US", "en_US" (Opsgenie writes locales with an underscore).
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


@final
class RoleRef(msgspec.Struct, kw_only=True):
    name: str = ""
    id: str = ""


@final
class CreateUserIn(msgspec.Struct, kw_only=True):
    username: str
    fullName: str = ""
    role: RoleRef | None = None
    timeZone: str | None = None
    locale: str | None = None


@final
class UpdateUserIn(msgspec.Struct, kw_only=True):
    fullName: str | None = None
    role: RoleRef | None = None
    timeZone: str | None = None
    locale: str | None = None


def og_user(user: User) -> dict[str, Any]:
    """A user in Opsgenie's shape (``verified``: they have set a password)."""
    role = ROLE_NAMES.get(user.role, user.role)
    return {
        "id": user.id,
        "username": user.email,
        "fullName": user.name,
        "role": {"id": role, "name": role},
        "blocked": False,
        "verified": user.has_password,
        "timeZone": user.timezone,
        "locale": user.locale.replace("-", "_"),
        "createdAt": timestamp(user.joined_at),
        "tags": [],
        "details": {},
    }


def _role(ref: RoleRef | None) -> str:
    name = (ref.name or ref.id).strip() if ref is not None else ""
    role = _ROLES_IN.get(name.lower())
    if role is None:
        names = ", ".join(ROLE_NAMES.values())
        raise ApiError(422, "invalid_field", f"role must be one of {names}", field="role")
    return role


def _profile(time_zone: str | None, locale: str | None) -> tuple[str | None, str | None]:
    """``(timezone, locale)`` checked, the locale as a language tag; blank means unset."""
    time_zone = (time_zone or "").strip() or None
    locale = (locale or "").strip() or None
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ApiError(
                422, "invalid_field", f"unknown time zone {time_zone!r}", field="timeZone"
            ) from None
    if locale is not None:
        if len(locale) > 35 or not _LOCALE.fullmatch(locale):
            raise ApiError(422, "invalid_field", f"invalid locale {locale!r}", field="locale")
        locale = locale.replace("_", "-")
    return time_zone, locale


async def _user(identifier: str) -> User:
    return await find_user(principal().org_id, identifier, by_email=True)


@opsgenie_blueprint.errorhandler(PulsarError)
async def _engine_error(error: PulsarError) -> Response:
    message = "User does not exist" if isinstance(error, NotFound) else error.message
    return og_error(from_engine(error).status_code, message, field=error.field)


@opsgenie_blueprint.errorhandler(ApiError)
async def _api_error(error: ApiError) -> Response:
    message = "Could not authenticate" if error.status == 401 else error.message
    return og_error(error.status, message, field=error.field, headers=error.headers)


@mount(opsgenie_blueprint, OG, ["POST"])
async def og_create() -> Response:
    """Add a member (201); no invitation is issued here (see the module docstring)."""
    who = principal()
    body = await parse_body(CreateUserIn)
    role = _role(body.role)
    profile = _profile(body.timeZone, body.locale)
    user, _ = await add_user(
        who,
        await command_context(who),
        email=body.username,
        name=body.fullName,
        role=role,
        profile=profile,
        invite=False,
    )
    data = {"id": user.id, "username": user.email}
    return og_response({"result": "Created", "data": data}, 201)


@mount(opsgenie_blueprint, OG, ["GET"])
async def og_list() -> Response:
    offset = int_arg("offset", 0, 0)
    limit = int_arg("limit", 100, 1, 500)
    sort = request.args.get("sort", "") or "username"
    if sort not in _SORTS:
        names = ", ".join(_SORTS)
        raise ApiError(422, "invalid_field", f"sort must be one of {names}", field="sort")
    order = (request.args.get("order", "") or "asc").lower()
    if order not in ("asc", "desc"):
        raise ApiError(422, "invalid_field", "order must be asc or desc", field="order")
    users = sorted(await list_users(principal().org_id), key=_SORTS[sort])
    if order == "desc":
        users.reverse()
    page = [og_user(u) for u in users[offset : offset + limit]]
    paging = _paging(len(users), offset, limit, sort, order)
    return og_response({"data": page, "paging": paging, "totalCount": len(users)})


def _paging(total: int, offset: int, limit: int, sort: str, order: str) -> dict[str, str]:
    def link(at: int) -> str:
        query = urlencode({"limit": limit, "offset": at, "sort": sort, "order": order})
        return f"{request.base_url}?{query}"

    paging = {"first": link(0), "last": link(max(0, (total - 1) // limit * limit))}
    if offset + limit < total:
        paging["next"] = link(offset + limit)
    if offset > 0:
        paging["prev"] = link(max(0, offset - limit))
    return paging


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["GET"])
async def og_get(identifier: str) -> Response:
    """A user by id or username."""
    return og_response({"data": og_user(await _user(identifier))})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["PATCH"])
async def og_update(identifier: str) -> Response:
    """Change the role and (for accounts only this organization holds) the profile."""
    who = principal()
    body = await parse_body(UpdateUserIn)
    user = await _user(identifier)
    role = _role(body.role) if body.role is not None else None
    time_zone, locale = _profile(body.timeZone, body.locale)
    name = (body.fullName or "").strip() or None
    ctx = await command_context(who)
    if role is not None and role != user.role:
        await change_role(who, ctx, user.id, role)
    if (name, time_zone, locale) != (None, None, None):
        await update_profile(who, ctx, user.id, name=name, timezone=time_zone, locale=locale)
    return og_response({"result": "Updated", "data": {"id": user.id, "username": user.email}})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["DELETE"])
async def og_delete(identifier: str) -> Response:
    who = principal()
    user = await _user(identifier)
    await remove_user(who, await command_context(who), user.id)
    return og_response({"result": "Deleted"})
