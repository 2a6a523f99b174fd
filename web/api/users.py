"""/api/v1 users, invitations and the organization: the admin's side of membership.

``/users`` are the organization's members with their accounts' profiles;
adding one answers its set-up invitation (token and link shown once, only the
token's hash is stored). ``/invitations`` invite people to join (or re-issue a
set-up link to a member who has no password yet); the invitee's side is
``/api/v1/auth/invitations``. ``/organization`` (blueprint ``organization``)
reads the organization or deletes it (owners only), after which none of its
keys or tokens open anything.

Who may call what is ``web.auth.routes``; the owner rules (only owners grant,
change or remove owners; the last owner stays) are the engine's. Another
organization's users and invitations are not in this organization's state, so
they are 404 like any unknown id.
"""

from __future__ import annotations

from typing import Any, final

import msgspec
from quart import Blueprint, Response

from engine import (
    DeleteOrganization,
    Invitation,
    NotFound,
    OrgState,
    RevokeInvitation,
    invitation_status,
)
from web.api.membership import (
    IssuedInvitation,
    User,
    actor_role,
    add_user,
    change_role,
    check_role,
    find_user,
    issue_invitation,
    list_users,
    refresh_directory,
    remove_user,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.errors import ApiError

__all__ = ["blueprint", "invitation_out", "organization_blueprint", "user_out"]

blueprint = Blueprint("users", __name__)
organization_blueprint = Blueprint("organization", __name__)

_SHOWN_ONCE = (
    "this request was already processed; the invitation token was in its first answer only"
)


@final
class AddUserIn(msgspec.Struct, kw_only=True):
    email: str
    name: str = ""
    role: str = "member"


@final
class RoleIn(msgspec.Struct, kw_only=True):
    role: str


@final
class InviteIn(msgspec.Struct, kw_only=True):
    email: str
    role: str = "member"


def user_out(user: User) -> dict[str, Any]:
    """A user as JSON; ``status`` is ``invited`` until they have set a password."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "joined_at": user.joined_at,
        "timezone": user.timezone,
        "locale": user.locale,
        "status": "active" if user.has_password else "invited",
    }


def invitation_out(issued: IssuedInvitation) -> dict[str, Any]:
    """A just-created invitation, with its token and link (the only time they are shown)."""
    return {
        "id": issued.id,
        "email": issued.email,
        "role": issued.role,
        "expires_at": issued.expires_at,
        "link": issued.link,
        "token": issued.token,
    }


def _pending_out(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.invitation_id,
        "email": invitation.email,
        "role": invitation.role,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "user_id": invitation.member_id,  # a set-up invitation's member, else None
    }


# -- users -------------------------------------------------------------------------------


@blueprint.get("/users")
async def list_users_route() -> Response:
    users = await list_users(principal().org_id)
    return json_response({"data": [user_out(u) for u in users]})


@blueprint.get("/users/<user_id>")
async def get_user(user_id: str) -> Response:
    return json_response({"data": user_out(await find_user(principal().org_id, user_id))})


@blueprint.post("/users")
async def create_user() -> Response:
    """Add a member directly (201 with their set-up invitation, shown once)."""
    who = principal()
    body = await parse_body(AddUserIn)
    ctx = await command_context(who)
    user, issued = await add_user(who, ctx, email=body.email, name=body.name, role=body.role)
    if issued is None:
        return json_response({"data": user_out(user), "invitation": None, "message": _SHOWN_ONCE})
    return json_response({"data": user_out(user), "invitation": invitation_out(issued)}, 201)


@blueprint.patch("/users/<user_id>")
async def update_user(user_id: str) -> Response:
    """Change a member's role."""
    who = principal()
    body = await parse_body(RoleIn)
    user = await change_role(who, await command_context(who), user_id, body.role)
    return json_response({"data": user_out(user)})


@blueprint.delete("/users/<user_id>")
async def delete_user(user_id: str) -> Response:
    """Remove a member from the organization (their account stays)."""
    who = principal()
    await remove_user(who, await command_context(who), user_id)
    return json_response({"result": "deleted"})


# -- invitations -------------------------------------------------------------------------


@blueprint.post("/invitations")
async def create_invitation() -> Response:
    """Invite someone to join (201 with the link to share, shown once).

    A member who has not set a password yet gets a fresh set-up invitation
    (with their current role) instead of 409 ``member_exists``.
    """
    who = principal()
    body = await parse_body(InviteIn)
    role = check_role(body.role)
    email = body.email.strip().lower()
    member = next((u for u in await list_users(who.org_id) if u.email == email), None)
    if member is not None and member.has_password:
        raise ApiError(409, "member_exists", f"{email} is already a member")
    ctx = await command_context(who)
    issued = await issue_invitation(
        who,
        ctx,
        email=email,
        role=member.role if member is not None else role,
        member=member.id if member is not None else None,
    )
    if issued is None:
        return json_response({"data": None, "message": _SHOWN_ONCE})
    return json_response({"data": invitation_out(issued)}, 201)


@blueprint.get("/invitations")
async def list_invitations() -> Response:
    """The pending invitations (not accepted, revoked or expired); never their tokens."""
    now = services().clock.now()

    def view(state: OrgState) -> list[dict[str, Any]]:
        return [
            _pending_out(i)
            for i in state.access.invitations.values()
            if invitation_status(i, now) == "pending"
        ]

    return json_response({"data": await services().supervisor.read(principal().org_id, view)})


@blueprint.delete("/invitations/<invitation_id>")
async def revoke_invitation(invitation_id: str) -> Response:
    """Withdraw an invitation: its link stops working (again: no change)."""
    who = principal()
    ctx = await command_context(who)
    await services().supervisor.submit(
        who.org_id, RevokeInvitation(invitation_id=invitation_id), ctx
    )
    await refresh_directory()
    return json_response({"result": "revoked"})


# -- the organization --------------------------------------------------------------------


@organization_blueprint.get("/organization")
async def get_organization() -> Response:
    def view(state: OrgState) -> dict[str, Any] | None:
        access = state.access
        if access.created_at is None or access.deleted_at is not None:
            return None
        return {
            "id": access.org_id,
            "name": access.name,
            "created_at": access.created_at,
            "member_count": len(access.members),
        }

    data = await services().supervisor.read(principal().org_id, view)
    if data is None:
        raise NotFound("organization_not_found", "the organization does not exist")
    return json_response({"data": data})


@organization_blueprint.delete("/organization")
async def delete_organization() -> Response:
    """Delete the organization (owners only): its keys, tokens and invitations stop working."""
    who = principal()
    ctx = await command_context(who)
    await services().supervisor.submit(
        who.org_id, DeleteOrganization(actor_role=actor_role(who)), ctx
    )
    await refresh_directory()
    return json_response({"result": "deleted"})
