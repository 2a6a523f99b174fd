"""Opsgenie reads: get, list (search query, offset paging), count, notes, logs, recipients.

Reads serialise alerts inside ``supervisor.read`` (the objects are the actor's live
state). Logs come from the alert's own events in the log (``store.read_subject``).
Attachments and saved searches answer 501 (neither SDK retries it); any other
unknown ``/v2/alerts`` path is a 404 in Opsgenie's shape.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

from quart import Blueprint, Response, request

from engine import OrgState, decode_event, decode_meta
from web.app import services
from web.auth.principal import Principal
from web.auth.scope import find_visible_alert, sees
from web.compat.opsgenie.routing import identifier_type, int_arg, resolve
from web.compat.opsgenie.schemas import alert_out
from web.compat.opsgenie.search import SORTS, QueryError, compile_query, search_alerts
from web.compat.opsgenie.wire import authenticate, og_error, og_response, timestamp
from web.compat.prefix import mount
from web.errors import ApiError

__all__ = ["register"]

_LOG_TEXT: Final = {
    "AlertCreated": "Alert created",
    "AlertDeduplicated": "Alert occurred again (count increased)",
    "AlertAcknowledged": "Alert acknowledged",
    "AlertUnacknowledged": "Alert unacknowledged",
    "AlertClosed": "Alert closed",
    "AlertSnoozed": "Alert snoozed",
    "AlertUnsnoozed": "Alert snooze ended",
    "AlertAssigned": "Alert assigned",
    "AlertNoteAdded": "Note added",
    "AlertTagsAdded": "Tags added",
    "AlertTagsRemoved": "Tags removed",
    "AlertDetailsAdded": "Details added",
    "AlertDetailsRemoved": "Details removed",
    "AlertPriorityUpdated": "Priority updated",
    "AlertMessageUpdated": "Message updated",
    "AlertDescriptionUpdated": "Description updated",
    "AlertEscalated": "Alert escalated",
    "AlertResponderAdded": "Responder added",
    "AlertDeleted": "Alert deleted",
}


async def get_alert(identifier: str) -> Response:
    key = await authenticate()
    kind = identifier_type()

    def view(state: OrgState) -> Any:
        return alert_out(find_visible_alert(key, state.alerts, identifier, kind))

    return og_response({"data": await services().supervisor.read(key.org_id, view)})


def _order(name: str = "order", default: str = "desc") -> str:
    order = request.args.get(name, default) or default
    if order not in ("asc", "desc"):
        raise ApiError(422, "invalid_field", f"{name} must be asc or desc", field=name)
    return order


def _predicate(key: Principal) -> Any:
    """The search query as a predicate, limited to the alerts ``key`` may see."""
    try:
        matches = compile_query(request.args.get("query"))
    except QueryError as error:
        raise ApiError(422, "invalid_field", f"Invalid query: {error}", field="query") from None
    if key.team_id is None:
        return matches
    return lambda alert: sees(key, alert) and matches(alert)


def _paging(total: int, offset: int, limit: int, sort: str, order: str) -> dict[str, str]:
    base = request.base_url

    def link(at: int) -> str:
        params = {"limit": limit, "sort": sort, "offset": at, "order": order}
        if request.args.get("query"):
            params["query"] = request.args["query"]
        return f"{base}?{urlencode(params)}"

    last = max(0, (total - 1) // limit * limit)
    paging = {"first": link(0), "last": link(last)}
    if offset + limit < total:
        paging["next"] = link(offset + limit)
    if offset > 0:
        paging["prev"] = link(max(0, offset - limit))
    return paging


async def list_alerts() -> Response:
    key = await authenticate()
    predicate = _predicate(key)
    offset = int_arg("offset", 0, 0)
    limit = int_arg("limit", 20, 1, 100)
    sort = request.args.get("sort", "createdAt") or "createdAt"
    if sort not in SORTS:
        raise ApiError(
            422, "invalid_field", f"sort must be one of {', '.join(SORTS)}", field="sort"
        )
    order = _order()

    def view(state: OrgState) -> tuple[int, list[Any]]:
        total, page = search_alerts(
            state.alerts.alerts.values(),
            predicate,
            sort=sort,
            order=order,
            offset=offset,
            limit=limit,
        )
        return total, [alert_out(a, full=False) for a in page]

    total, items = await services().supervisor.read(key.org_id, view)
    return og_response({"data": items, "paging": _paging(total, offset, limit, sort, order)})


async def count_alerts() -> Response:
    key = await authenticate()
    predicate = _predicate(key)
    count = await services().supervisor.read(
        key.org_id, lambda s: sum(1 for a in s.alerts.alerts.values() if predicate(a))
    )
    return og_response({"data": {"count": count}})


def _page(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Offset paging of notes/logs: ``offset`` is the last seen item's cursor."""
    order = _order(default="desc")
    limit = int_arg("limit", 20, 1, 100)
    ordered = items if order == "asc" else items[::-1]
    after = request.args.get("offset", "")
    if after:
        cursors = [item["offset"] for item in ordered]
        start = cursors.index(after) + 1 if after in cursors else 0
        ordered = ordered[start:]
    page = ordered[:limit]
    paging: dict[str, str] = {"first": request.base_url}
    if len(ordered) > limit:
        query = urlencode({"offset": page[-1]["offset"], "limit": limit, "order": order})
        paging["next"] = f"{request.base_url}?{query}"
    return page, paging


async def list_notes(identifier: str) -> Response:
    key = await authenticate()
    kind = identifier_type()

    def view(state: OrgState) -> list[dict[str, Any]]:
        alert = find_visible_alert(key, state.alerts, identifier, kind)
        return [
            {
                "note": n.note,
                "owner": n.owner,
                "createdAt": timestamp(n.created_at),
                "offset": str(i + 1),
            }
            for i, n in enumerate(alert.notes)
        ]

    notes = await services().supervisor.read(key.org_id, view)
    page, paging = _page(notes)
    return og_response({"data": page, "paging": paging})


async def list_logs(identifier: str) -> Response:
    key = await authenticate()
    alert_id, _ = await resolve(key, identifier, identifier_type())
    envelopes = await services().store.read_subject(key.org_id, alert_id)
    logs = []
    for envelope in envelopes:
        event: Any = decode_event(envelope)
        meta = decode_meta(envelope)
        user = getattr(event, "user", "")
        logs.append(
            {
                "log": _log_text(envelope.type, event),
                "type": "alertAction" if user or meta.principal_kind != "system" else "system",
                "owner": user or meta.principal_kind,
                "createdAt": timestamp(event.at),
                "offset": str(envelope.version),
            }
        )
    page, paging = _page(logs)
    return og_response({"data": page, "paging": paging})


def _log_text(kind: str, event: Any) -> str:
    """The log line of one event; a create names the typeless responders it could not use."""
    text = _LOG_TEXT.get(kind, kind)
    unresolved = getattr(event, "unresolved_responders", ())
    if unresolved:
        names = ", ".join(repr(name) for name in unresolved)
        text += f"; responders ignored (no team, user, escalation or schedule): {names}"
    return text


async def list_recipients(identifier: str) -> Response:
    """Pulsar does not page people yet: the recipients list is empty."""
    key = await authenticate()
    await resolve(key, identifier, identifier_type())
    return og_response({"data": []})


async def not_implemented(**_: str) -> Response:
    await authenticate()
    return og_error(501, "Not implemented in Pulsar")


async def unknown(**_: str) -> Response:
    return og_error(404, "Resource or handler not found")


_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def register(blueprint: Blueprint) -> None:
    """Mount the read routes, the 501s and the ``/v2/alerts`` catch-all on ``blueprint``."""
    mount(blueprint, "/v2/alerts", ["GET"])(list_alerts)
    mount(blueprint, "/v2/alerts/count", ["GET"])(count_alerts)
    mount(blueprint, "/v2/alerts/saved-searches", _ALL)(not_implemented)
    mount(blueprint, "/v2/alerts/saved-searches/<path:rest>", _ALL, endpoint="saved_search")(
        not_implemented
    )
    mount(blueprint, "/v2/alerts/<identifier>", ["GET"])(get_alert)
    mount(blueprint, "/v2/alerts/<identifier>/notes", ["GET"])(list_notes)
    mount(blueprint, "/v2/alerts/<identifier>/logs", ["GET"])(list_logs)
    mount(blueprint, "/v2/alerts/<identifier>/recipients", ["GET"])(list_recipients)
    attachments = "/v2/alerts/<identifier>/attachments"
    mount(blueprint, attachments, _ALL, endpoint="attachments")(not_implemented)
    mount(blueprint, f"{attachments}/<path:rest>", _ALL, endpoint="attachment")(not_implemented)
    # Only under /v2/alerts: other /v2 paths (heartbeats, enqueue) belong to other blueprints.
    mount(blueprint, "/v2/alerts/<path:rest>", _ALL)(unknown)
