"""/api/v1/alerts: decode the request, build a command, await its commit, answer.

Every write is answered only after the org actor committed its events.
Identifiers follow Opsgenie: ``identifierType`` = ``id`` (default) | ``tiny``
| ``alias``. Another organization's alert is simply not in this
organization's state, so it is a 404 like any unknown alert; so is another
team's alert to a team-scoped key (``web.auth.scope``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from quart import Blueprint, Response, request
from werkzeug.datastructures import MultiDict

from engine import (
    AcknowledgeAlert,
    AddDetails,
    AddNote,
    AddResponder,
    AddTags,
    AlertPage,
    AlertQuery,
    AssignAlert,
    CloseAlert,
    Command,
    CreateAlert,
    DeleteAlert,
    EscalateAlert,
    EscalateToNext,
    Integration,
    OrgState,
    Outcome,
    RemoveDetails,
    RemoveTags,
    SnoozeAlert,
    UnacknowledgeAlert,
    UpdateDescription,
    UpdateMessage,
    UpdatePriority,
    list_alerts,
    new_id,
    team_by_name,
)
from web.api.paging_json import PAGING_EVENT_NAMES, paging_view
from web.api.schemas import (
    ActionRequest,
    AssignRequest,
    CreateAlertRequest,
    DescriptionRequest,
    DetailsRequest,
    EscalateRequest,
    MessageRequest,
    NoteRequest,
    PriorityRequest,
    ResponderRequest,
    SnoozeRequest,
    TagsRequest,
    alert_out,
    history_entry,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.auth.principal import Principal
from web.auth.scope import find_visible_alert, scoped_responders
from web.errors import ApiError, from_validation

__all__ = ["alert_query", "blueprint", "integration_of", "visible_query"]

blueprint = Blueprint("alerts", __name__)
MAX_BATCH = 1000


def integration_of(key: Principal) -> Integration | None:
    """The integration an alert created by ``key`` came through (Opsgenie's ``integration``).

    An API key, or the key of an ``api``/``opsgenie`` integration, is Opsgenie's "API"
    integration; a signed-in user is none. Both alert APIs record the same one.
    """
    if key.kind == "user":
        return None
    return Integration(id=key.id, name=key.name or "API", type="API")


def create_command(body: CreateAlertRequest, remote_addr: str, key: Principal) -> CreateAlert:
    """The ``CreateAlert`` of ``body``; a team-scoped ``key`` adds its team as a responder."""
    return CreateAlert(
        alert_id=new_id(),
        message=body.message,
        alias=body.alias,
        description=body.description,
        tags=tuple(body.tags),
        details=body.details,
        entity=body.entity,
        source=body.source or remote_addr,
        priority=body.priority,
        responders=scoped_responders(key, tuple(r.to_responder() for r in body.responders)),
        actions=tuple(body.actions),
        user=body.user,
        note=body.note,
        integration=integration_of(key),
    )


def _outcome(outcome: Outcome) -> dict[str, Any]:
    out: dict[str, Any] = {"result": outcome.result, "alert_id": outcome.alert_id}
    if outcome.tiny_id is not None:
        out["tiny_id"] = str(outcome.tiny_id)
        out["count"] = outcome.count
    return out


@blueprint.post("/alerts")
async def create_alert() -> Response:
    """Create an alert, or count a repeat of an open one with the same alias (202)."""
    key = principal()
    body = await parse_body(CreateAlertRequest)
    ctx = await command_context(key)
    command = create_command(body, request.remote_addr or "", key)
    outcome = await services().supervisor.submit(key.org_id, command, ctx)
    return json_response(_outcome(outcome), 202)


@blueprint.post("/alerts/batch")
async def create_alerts() -> Response:
    """Create up to 1,000 alerts in one group-committed append (202, results in order).

    Each item is decoded on its own, so a malformed item is reported (its ``index``,
    the ``field`` inside it, why) and the valid ones are still created, as the
    webhooks do; 422 when every item was rejected.
    """
    key = principal()
    raws = await parse_body(list[msgspec.Raw])
    if not 1 <= len(raws) <= MAX_BATCH:
        raise ApiError(422, "invalid_field", f"send 1-{MAX_BATCH} alerts", field="")
    ctx = await command_context(key)
    remote_addr = request.remote_addr or ""
    items: list[CreateAlert | ApiError] = []
    for raw in raws:
        try:
            items.append(create_command(_batch_item(raw), remote_addr, key))
        except ApiError as refused:
            items.append(refused)
    commands: list[Command] = [item for item in items if isinstance(item, CreateAlert)]
    outcomes = iter(
        await services().supervisor.submit_many(key.org_id, commands, ctx) if commands else []
    )
    results = []
    for index, item in enumerate(items):
        result = item if isinstance(item, ApiError) else next(outcomes)
        if isinstance(result, Outcome):
            results.append({"index": index, **_outcome(result)})
        else:
            results.append(
                {
                    "index": index,
                    "result": "rejected",
                    "code": result.code,
                    "message": result.message,
                    "field": result.field,
                }
            )
    rejected = all(r["result"] == "rejected" for r in results)
    return json_response({"results": results}, 422 if rejected else 202)


_batch_item_decoder = msgspec.json.Decoder(CreateAlertRequest)


def _batch_item(raw: msgspec.Raw) -> CreateAlertRequest:
    """One item of a batch; ``ApiError`` naming the field when it is not an alert."""
    try:
        return _batch_item_decoder.decode(raw)
    except msgspec.ValidationError as error:
        raise from_validation(error) from None


@blueprint.get("/alerts")
async def list_alerts_route() -> Response:
    """List alerts with filters, sort and cursor pagination.

    ``team`` is a team's id or name. A team-scoped key lists only its team's alerts
    (asking it for another team's is an empty list).
    """
    key = principal()
    query = alert_query(request.args)

    def view(state: OrgState) -> AlertPage:
        scoped = visible_query(key, state, query)
        if scoped is None:
            return AlertPage(items=[], next_cursor=None)
        return list_alerts(state.alerts, scoped)

    page = await services().supervisor.read(key.org_id, view)
    return json_response(
        {
            "data": [alert_out(a, full=False) for a in page.items],
            "next_cursor": page.next_cursor,
        }
    )


def visible_query(key: Principal, state: OrgState, query: AlertQuery) -> AlertQuery | None:
    """``query`` as ``key`` may run it, or ``None`` when it would see nothing.

    A ``team`` given by name becomes the team's id; a team-scoped key is held to
    its own team (asking for another team's alerts sees nothing). Shared by the
    REST list and the WebSocket alert list (``web.ws``).
    """
    wanted = query.team
    team = _team_id(state, wanted) if wanted is not None else key.team_id
    if key.team_id is not None and team != key.team_id:
        return None
    return query if team == wanted else msgspec.structs.replace(query, team=team)


def _team_id(state: OrgState, team: str) -> str:
    """The id of the team ``team`` names, by id or else by name (ignoring case).

    A value naming no team is kept: alerts from before teams existed may carry a
    free-text team responder.
    """
    if team in state.teams.teams:
        return team
    found = team_by_name(state.teams, team)
    return team if found is None else found.id


def alert_query(args: MultiDict[str, str]) -> AlertQuery:
    """The list filters of query parameters ``args`` (also the WebSocket alert list's).

    Raises:
        ApiError: 422 ``invalid_field`` naming a bad parameter.
    """
    try:
        return AlertQuery(
            status=args.get("status") or None,
            acknowledged=_bool(args.get("acknowledged")),
            priority=_csv(args.getlist("priority")),
            tag=_csv(args.getlist("tag")),
            text=args.get("query") or None,
            team=args.get("team") or None,
            sort=args.get("sort", "createdAt"),
            order=args.get("order", "desc"),
            limit=int(args.get("limit", "20")),
            cursor=args.get("cursor") or None,
        )
    except ValueError as error:
        raise ApiError(422, "invalid_field", f"invalid query parameter: {error}") from None


def _csv(values: list[str]) -> list[str] | None:
    items = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return items or None


def _bool(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in {"true", "1"}:
        return True
    if value.lower() in {"false", "0"}:
        return False
    raise ValueError(f"acknowledged must be true or false, not {value!r}")


def _identifier_type() -> str:
    kind = request.args.get("identifierType", "id")
    if kind not in {"id", "tiny", "tinyId", "alias"}:
        raise ApiError(
            422, "invalid_field", "identifierType must be id, tiny or alias", field="identifierType"
        )
    return kind


async def _resolve(key: Principal, identifier: str) -> str:
    kind = _identifier_type()
    return await services().supervisor.read(
        key.org_id, lambda s: find_visible_alert(key, s.alerts, identifier, kind).id
    )


@blueprint.get("/alerts/<identifier>")
async def get_alert(identifier: str) -> Response:
    key = principal()
    kind = _identifier_type()

    def view(state: OrgState) -> Any:
        return alert_out(find_visible_alert(key, state.alerts, identifier, kind))

    return json_response({"data": await services().supervisor.read(key.org_id, view)})


@blueprint.get("/alerts/<identifier>/notifications")
async def alert_notifications(identifier: str) -> Response:
    """How the alert pages: its escalations now, its undelivered pages, and the paging
    part of its log (routing, rules fired, every page sent, failed, skipped and why)."""
    key = principal()
    alert_id = await _resolve(key, identifier)

    def now_view(state: OrgState) -> dict[str, Any]:
        return paging_view(state, alert_id)

    current = await services().supervisor.read(key.org_id, now_view)
    envelopes = await services().store.read_subject(key.org_id, alert_id)
    log = [history_entry(e) for e in envelopes if e.type in PAGING_EVENT_NAMES]
    return json_response({"data": {**current, "log": log}})


@blueprint.get("/alerts/<identifier>/history")
async def alert_history(identifier: str) -> Response:
    """The alert's own events, oldest first: its audit trail from the log."""
    key = principal()
    alert_id = await _resolve(key, identifier)
    envelopes = await services().store.read_subject(key.org_id, alert_id)
    return json_response({"data": [history_entry(envelope) for envelope in envelopes]})


async def _act(identifier: str, kind: type, build: Callable[[Any, str], Command]) -> Response:
    key = principal()
    body: Any = await parse_body(kind, optional=True)
    ctx = await command_context(key)
    alert_id = await _resolve(key, identifier)
    outcome = await services().supervisor.submit(key.org_id, build(body, alert_id), ctx)
    alert = await services().supervisor.read(key.org_id, lambda s: s.alerts.alerts.get(alert_id))
    out = _outcome(outcome)
    if alert is not None:
        out["data"] = alert_out(alert)
    return json_response(out, 200)


def _common(body: ActionRequest) -> dict[str, str]:
    return {"user": body.user, "source": body.source}


def _noted(body: ActionRequest) -> dict[str, str]:
    return {"user": body.user, "source": body.source, "note": body.note}


_POST_ACTIONS: dict[str, tuple[type, Callable[[Any, str], Command]]] = {
    "acknowledge": (ActionRequest, lambda b, a: AcknowledgeAlert(alert_id=a, **_noted(b))),
    "unacknowledge": (ActionRequest, lambda b, a: UnacknowledgeAlert(alert_id=a, **_noted(b))),
    "close": (ActionRequest, lambda b, a: CloseAlert(alert_id=a, **_noted(b))),
    "snooze": (
        SnoozeRequest,
        lambda b, a: SnoozeAlert(alert_id=a, end_time=b.endTime, **_noted(b)),
    ),
    "assign": (
        AssignRequest,
        lambda b, a: AssignAlert(
            alert_id=a, owner=b.owner.username or b.owner.id or b.owner.name, **_noted(b)
        ),
    ),
    "notes": (NoteRequest, lambda b, a: AddNote(alert_id=a, note=b.note, **_common(b))),
    "tags": (TagsRequest, lambda b, a: AddTags(alert_id=a, tags=tuple(b.tags), **_noted(b))),
    "details": (
        DetailsRequest,
        lambda b, a: AddDetails(alert_id=a, details=b.details, **_noted(b)),
    ),
    "escalate-to-next": (
        ActionRequest,
        lambda b, a: EscalateToNext(alert_id=a, **_noted(b)),
    ),
    "escalate": (
        EscalateRequest,
        lambda b, a: EscalateAlert(
            alert_id=a, escalation=b.escalation.to_responder("escalation"), **_noted(b)
        ),
    ),
    "responders": (
        ResponderRequest,
        lambda b, a: AddResponder(alert_id=a, responder=b.responder.to_responder(), **_noted(b)),
    ),
}

_PUT_ACTIONS: dict[str, tuple[type, Callable[[Any, str], Command]]] = {
    "priority": (
        PriorityRequest,
        lambda b, a: UpdatePriority(alert_id=a, priority=b.priority, **_noted(b)),
    ),
    "message": (
        MessageRequest,
        lambda b, a: UpdateMessage(alert_id=a, message=b.message, **_noted(b)),
    ),
    "description": (
        DescriptionRequest,
        lambda b, a: UpdateDescription(alert_id=a, description=b.description, **_noted(b)),
    ),
}


@blueprint.post("/alerts/<identifier>/<action>")
async def post_action(identifier: str, action: str) -> Response:
    if action not in _POST_ACTIONS:
        raise ApiError(404, "not_found", f"unknown alert action {action!r}")
    return await _act(identifier, *_POST_ACTIONS[action])


@blueprint.put("/alerts/<identifier>/<action>")
async def put_action(identifier: str, action: str) -> Response:
    if action not in _PUT_ACTIONS:
        raise ApiError(404, "not_found", f"unknown alert field {action!r}")
    return await _act(identifier, *_PUT_ACTIONS[action])


@blueprint.delete("/alerts/<identifier>/tags")
async def remove_tags(identifier: str) -> Response:
    tags = _required_csv("tags")
    return await _act(
        identifier,
        ActionRequest,
        lambda b, a: RemoveTags(alert_id=a, tags=tuple(tags), **_query_actor()),
    )


@blueprint.delete("/alerts/<identifier>/details")
async def remove_details(identifier: str) -> Response:
    keys = _required_csv("keys")
    return await _act(
        identifier,
        ActionRequest,
        lambda b, a: RemoveDetails(alert_id=a, keys=tuple(keys), **_query_actor()),
    )


@blueprint.delete("/alerts/<identifier>")
async def delete_alert(identifier: str) -> Response:
    key = principal()
    ctx = await command_context(key)
    alert_id = await _resolve(key, identifier)
    actor = _query_actor()
    actor.pop("note")
    outcome = await services().supervisor.submit(
        key.org_id, DeleteAlert(alert_id=alert_id, **actor), ctx
    )
    return json_response(_outcome(outcome), 200)


def _required_csv(name: str) -> list[str]:
    values = _csv(request.args.getlist(name))
    if not values:
        raise ApiError(422, "invalid_field", f"query parameter {name!r} is required", field=name)
    return values


def _query_actor() -> dict[str, str]:
    args = request.args
    return {
        "user": args.get("user", ""),
        "source": args.get("source", ""),
        "note": args.get("note", ""),
    }
