"""A person's notification log: ``GET /api/v1/users/{id}/notifications`` (``me`` for oneself).

The last 100 pages to that person in this organization, newest first: sent,
delivered, failed (with the provider's reason), withdrawn (acknowledged,
closed) or skipped (unverified contact method, quiet hours...).
"""

from __future__ import annotations

from quart import Blueprint, Response

from engine import OrgState
from web.api.contacts.common import member_named
from web.api.paging_json import notification_records
from web.app import json_response, principal, services

__all__ = ["blueprint"]

blueprint = Blueprint("notifications", __name__)


@blueprint.get("/users/<user_id>/notifications")
async def user_notifications(user_id: str) -> Response:
    """``user_id``: an account id, an email, or ``me``."""
    account, _ = await member_named(user_id)

    def view(state: OrgState) -> list[dict[str, object]]:
        return notification_records(state, account)

    records = await services().supervisor.read(principal().org_id, view)
    return json_response({"data": records})
