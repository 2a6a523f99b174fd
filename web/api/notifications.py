"""A person's notification log: ``GET /api/v1/users/{id}/notifications`` (``me`` for oneself).

The last 100 pages to that person in this organization, newest first: sent,
delivered, failed (with the provider's reason), withdrawn (acknowledged,
closed) or skipped (unverified contact method, quiet hours...).
"""

from __future__ import annotations

from quart import Blueprint, Response

from engine import OrgState
from web.api.paging_json import notification_records
from web.app import json_response, principal, services
from web.errors import ApiError

__all__ = ["blueprint"]

blueprint = Blueprint("notifications", __name__)


@blueprint.get("/users/<user_id>/notifications")
async def user_notifications(user_id: str) -> Response:
    key = principal()
    if user_id == "me":
        if key.kind != "user":
            raise ApiError(422, "invalid_field", "only a signed-in user is 'me'", field="id")
        user_id = key.id

    def view(state: OrgState) -> list[dict[str, object]] | None:
        if user_id not in state.access.members:
            return None
        return notification_records(state, user_id)

    records = await services().supervisor.read(key.org_id, view)
    if records is None:
        raise ApiError(404, "user_not_found", f"User {user_id!r} is not a member")
    return json_response({"data": records})
