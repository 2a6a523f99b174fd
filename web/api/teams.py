"""Teams over HTTP: the native ``/api/v1/teams`` and Opsgenie's ``/v2/teams``.

A team is addressed by id, or by name with ``identifierType=name`` (Opsgenie's
member routes say ``teamIdentifierType``). Its members are members of the
organization, each with a team role; a member entry shows the account's email
and name from the organization's member records. Another organization's team
is not in this organization's state, so it is a 404 like any unknown id.

The Opsgenie shapes are the Go SDK's (compat-api.md section 6): create
``{name, description, members: [{user: {id|username}, role}]}`` answers
``{data: {id, name}}``; a PATCH with ``members`` makes the team's members
exactly those. Opsgenie's team roles are ``admin`` and ``user``; ``user`` is
Pulsar's ``member``.

A team created through ``/v2/teams`` gets Opsgenie's default resources in the
same batch as the team and its members: ``<team>_schedule``, ``<team>_escalation``
and its "Default Routing Rule" (``engine.teams.defaults`` says what they hold), so
Terraform's ``delete_default_resources`` finds them. The native create makes them
only when asked (``"defaultResources": true``); a native team without them pages
its default policy, or else its members.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, final

import msgspec
from quart import Blueprint, Response, request

from engine import (
    AddTeamMember,
    ChangeTeamMemberRole,
    Command,
    CreateTeam,
    DefaultResources,
    DeleteTeam,
    NewMember,
    OrgState,
    PulsarError,
    RemoveTeamMember,
    Team,
    UpdateTeam,
    find_team,
    member_by_email,
    new_id,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.compat.opsgenie.wire import install_error_handlers, og_error, og_response
from web.compat.prefix import mount
from web.errors import ApiError, from_engine

__all__ = ["blueprint", "opsgenie_blueprint"]

blueprint = Blueprint("teams", __name__)
opsgenie_blueprint = Blueprint("opsgenie_teams", __name__)
install_error_handlers(opsgenie_blueprint)

T = TypeVar("T")


# -- JSON shapes ---------------------------------------------------------------------------


@final
class TeamIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A native create body; ``defaultResources`` asks for Opsgenie's default resources."""

    name: str
    description: str = ""
    default_resources: bool = False


@final
class TeamPatch(msgspec.Struct, kw_only=True):
    """Fields left out (or ``null``) stay as they are."""

    name: str | None = None
    description: str | None = None


@final
class MemberIn(msgspec.Struct, kw_only=True):
    user_id: str
    role: str = "member"


@final
class RoleIn(msgspec.Struct, kw_only=True):
    role: str


@final
class OgUser(msgspec.Struct, kw_only=True):
    id: str = ""
    username: str = ""


@final
class OgMember(msgspec.Struct, kw_only=True):
    user: OgUser
    role: str = "user"


@final
class OgTeamIn(msgspec.Struct, kw_only=True):
    """An Opsgenie create or update body (``name`` is required on create only)."""

    name: str | None = None
    description: str | None = None
    members: list[OgMember] | None = None


def member_out(state: OrgState, account_id: str, role: str) -> dict[str, Any]:
    member = state.access.members.get(account_id)
    return {
        "user_id": account_id,
        "email": member.email if member else "",
        "name": member.name if member else "",
        "role": role,
    }


def team_out(state: OrgState, team: Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "description": team.description,
        "created_at": team.created_at,
        "updated_at": team.updated_at,
        "members": [member_out(state, a, r) for a, r in team.members.items()],
    }


# -- shared operations ---------------------------------------------------------------------


def _by_name(param: str | None) -> bool:
    """Whether the request names the team by name (``param=name``); ``None``: by id."""
    if param is None:
        return False
    kind = request.args.get(param, "id") or "id"
    if kind not in ("id", "name"):
        raise ApiError(422, "invalid_field", f"{param} must be id or name", field=param)
    return kind == "name"


async def _read(fn: Callable[[OrgState], T]) -> T:
    return await services().supervisor.read(principal().org_id, fn)


async def _team(identifier: str, param: str | None = "identifierType") -> tuple[str, str]:
    """``(id, name)`` of the team ``identifier`` names; 404 ``team_not_found`` if none."""
    by_name = _by_name(param)

    def view(state: OrgState) -> tuple[str, str]:
        team = find_team(state.teams, identifier, by_name=by_name)
        return team.id, team.name

    return await _read(view)


async def _submit(*commands: Command, keyed: bool = True) -> str | None:
    """Submit ``commands`` in order for the caller's organization; the last subject id.

    Only the first command carries the request's Idempotency-Key (``keyed``): the
    key stands for one command's outcome. Later commands of the request are
    computed from the state, so a retry recomputes them.
    """
    key = principal()
    ctx = await command_context(key)
    if not keyed:
        ctx = msgspec.structs.replace(ctx, idempotency_key=None, fingerprint="")
    subject_id = None
    for command in commands:
        outcome = await services().supervisor.submit(key.org_id, command, ctx)
        subject_id = outcome.subject_id
        ctx = msgspec.structs.replace(ctx, idempotency_key=None, fingerprint="")
    return subject_id


def _default_resources() -> DefaultResources:
    """New ids for a new team's default schedule (and rotation), policy and routing rule."""
    return DefaultResources(
        schedule_id=new_id(), rotation_id=new_id(), policy_id=new_id(), rule_id=new_id()
    )


async def _view(team_id: str) -> dict[str, Any]:
    return await _read(lambda s: team_out(s, find_team(s.teams, team_id)))


# -- native API (/api/v1) ------------------------------------------------------------------


@blueprint.post("/teams")
async def create_team() -> Response:
    """Create a team (201); its name is unique in the organization, ignoring case.

    With ``"defaultResources": true`` it gets Opsgenie's default schedule, policy and
    routing rule too (in one batch: all or nothing).
    """
    body = await parse_body(TeamIn)
    command = CreateTeam(
        team_id=new_id(),
        name=body.name,
        description=body.description,
        defaults=_default_resources() if body.default_resources else None,
    )
    team_id = await _submit(command) or command.team_id
    return json_response({"data": await _view(team_id)}, 201)


@blueprint.get("/teams")
async def list_teams() -> Response:
    teams = await _read(lambda s: [team_out(s, t) for t in s.teams.teams.values()])
    return json_response({"data": teams})


@blueprint.get("/teams/<identifier>")
async def get_team(identifier: str) -> Response:
    team_id, _ = await _team(identifier)
    return json_response({"data": await _view(team_id)})


@blueprint.patch("/teams/<identifier>")
async def update_team(identifier: str) -> Response:
    body = await parse_body(TeamPatch)
    team_id, _ = await _team(identifier)
    await _submit(UpdateTeam(team_id=team_id, name=body.name, description=body.description))
    return json_response({"data": await _view(team_id)})


@blueprint.delete("/teams/<identifier>")
async def delete_team(identifier: str) -> Response:
    """Delete a team and its memberships (alerts keep it as a responder id)."""
    team_id, _ = await _team(identifier)
    await _submit(DeleteTeam(team_id=team_id))
    return json_response({"result": "deleted"})


@blueprint.get("/teams/<identifier>/members")
async def list_team_members(identifier: str) -> Response:
    team_id, _ = await _team(identifier)
    return json_response({"data": (await _view(team_id))["members"]})


async def _member(team_id: str, account_id: str) -> dict[str, Any]:
    def view(state: OrgState) -> dict[str, Any]:
        team = find_team(state.teams, team_id)
        return member_out(state, account_id, team.members.get(account_id, ""))

    return await _read(view)


@blueprint.post("/teams/<identifier>/members")
async def add_team_member(identifier: str) -> Response:
    """Add a member of the organization to the team as ``admin`` or ``member`` (201)."""
    body = await parse_body(MemberIn)
    team_id, _ = await _team(identifier)
    await _submit(AddTeamMember(team_id=team_id, account_id=body.user_id, role=body.role))
    return json_response({"data": await _member(team_id, body.user_id)}, 201)


@blueprint.patch("/teams/<identifier>/members/<user_id>")
async def change_team_member(identifier: str, user_id: str) -> Response:
    body = await parse_body(RoleIn)
    team_id, _ = await _team(identifier)
    await _submit(ChangeTeamMemberRole(team_id=team_id, account_id=user_id, role=body.role))
    return json_response({"data": await _member(team_id, user_id)})


@blueprint.delete("/teams/<identifier>/members/<user_id>")
async def remove_team_member(identifier: str, user_id: str) -> Response:
    team_id, _ = await _team(identifier)
    await _submit(RemoveTeamMember(team_id=team_id, account_id=user_id))
    return json_response({"result": "deleted"})


# -- Opsgenie-compatible API (/v2) ---------------------------------------------------------

OG = "/v2/teams"
_OG_ROLES = {"": "member", "user": "member", "member": "member", "admin": "admin"}


@opsgenie_blueprint.errorhandler(PulsarError)
async def _engine_error(error: PulsarError) -> Response:
    """Engine errors with their own message (``Team 'x' does not exist``)."""
    return og_error(from_engine(error).status_code, error.message, field=error.field)


def _og_member_out(state: OrgState, account_id: str, role: str) -> dict[str, Any]:
    member = state.access.members.get(account_id)
    user = {"id": account_id, "username": member.email if member else ""}
    return {"user": user, "role": "user" if role == "member" else role}


def _og_team_out(state: OrgState, team: Team) -> dict[str, Any]:
    members = [_og_member_out(state, a, r) for a, r in team.members.items()]
    return {"id": team.id, "name": team.name, "description": team.description, "members": members}


async def _og_members(members: list[OgMember]) -> dict[str, str]:
    """Account id -> Pulsar team role of Opsgenie ``members``; 422 for a stranger or bad role."""

    def view(state: OrgState) -> dict[str, str]:
        wanted: dict[str, str] = {}
        for member in members:
            role = _OG_ROLES.get(member.role.strip().lower())
            if role is None:
                raise ApiError(422, "invalid_field", "role must be admin or user", field="role")
            found = state.access.members.get(member.user.id) if member.user.id else None
            if found is None and member.user.username:
                found = member_by_email(state.access, member.user.username)
            if found is None:
                who = member.user.id or member.user.username
                raise ApiError(
                    422, "invalid_field", f"User {who!r} does not exist", field="members"
                )
            wanted[found.account_id] = role
        return wanted

    return await _read(view)


async def _og_sync_members(team_id: str, wanted: dict[str, str]) -> None:
    """Make the team's members exactly ``wanted`` (account id -> role)."""
    current: dict[str, str] = await _read(lambda s: dict(find_team(s.teams, team_id).members))
    commands: list[Command] = [
        RemoveTeamMember(team_id=team_id, account_id=a) for a in current if a not in wanted
    ]
    for account_id, role in wanted.items():
        if account_id not in current:
            commands.append(AddTeamMember(team_id=team_id, account_id=account_id, role=role))
        elif current[account_id] != role:
            commands.append(ChangeTeamMemberRole(team_id=team_id, account_id=account_id, role=role))
    await _submit(*commands, keyed=False)


@mount(opsgenie_blueprint, OG, ["POST"])
async def og_create() -> Response:
    """Create (201 ``{"data": {id, name}}``), with ``members`` if given; a name in use is 409.

    The team, its members and its default resources are one command (one batch).
    """
    body = await parse_body(OgTeamIn)
    if body.name is None:
        raise ApiError(422, "invalid_field", "name is required", field="name")
    wanted = await _og_members(body.members or [])
    command = CreateTeam(
        team_id=new_id(),
        name=body.name,
        description=body.description or "",
        members=tuple(NewMember(account_id=a, role=r) for a, r in wanted.items()),
        defaults=_default_resources(),
    )
    team_id = await _submit(command) or command.team_id
    _, name = await _team(team_id, None)
    return og_response({"data": {"id": team_id, "name": name}}, 201)


@mount(opsgenie_blueprint, OG, ["GET"])
async def og_list() -> Response:
    def view(state: OrgState) -> list[dict[str, str]]:
        return [
            {"id": t.id, "name": t.name, "description": t.description}
            for t in state.teams.teams.values()
        ]

    return og_response({"data": await _read(view)})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["GET"])
async def og_get(identifier: str) -> Response:
    team_id, _ = await _team(identifier)
    return og_response(
        {"data": await _read(lambda s: _og_team_out(s, find_team(s.teams, team_id)))}
    )


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["PATCH"])
async def og_update(identifier: str) -> Response:
    """Change name and description; ``members``, if given, replaces the member list."""
    body = await parse_body(OgTeamIn, optional=True)
    team_id, _ = await _team(identifier)
    wanted = None if body.members is None else await _og_members(body.members)
    await _submit(UpdateTeam(team_id=team_id, name=body.name, description=body.description))
    if wanted is not None:
        await _og_sync_members(team_id, wanted)
    _, name = await _team(team_id, None)
    return og_response({"result": "Updated", "data": {"id": team_id, "name": name}})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["DELETE"])
async def og_delete(identifier: str) -> Response:
    team_id, _ = await _team(identifier)
    await _submit(DeleteTeam(team_id=team_id))
    return og_response({"result": "Deleted"})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/members", ["POST"])
async def og_add_member(identifier: str) -> Response:
    body = await parse_body(OgMember)
    team_id, name = await _team(identifier, "teamIdentifierType")
    wanted = await _og_members([body])
    await _submit(
        *(AddTeamMember(team_id=team_id, account_id=a, role=r) for a, r in wanted.items())
    )
    return og_response({"result": "Added", "data": {"id": team_id, "name": name}})


@mount(opsgenie_blueprint, f"{OG}/<identifier>/members/<user>", ["DELETE"])
async def og_remove_member(identifier: str, user: str) -> Response:
    """Remove a member given by id or username (email)."""
    team_id, name = await _team(identifier, "teamIdentifierType")

    def account(state: OrgState) -> str:
        found = member_by_email(state.access, user) if "@" in user else None
        return found.account_id if found else user

    await _submit(RemoveTeamMember(team_id=team_id, account_id=await _read(account)))
    return og_response({"result": "Removed", "data": {"id": team_id, "name": name}})
