"""Opsgenie writes: create, every alert action, delete, and their request statuses.

Each write runs the same engine command as the native API and is answered only after
commit, with ``202 {"result": "Request will be processed"}``. As in Opsgenie, an action
on an unknown alert (or on another organization's) is still 202: the failure is in the
request status (``isSuccess: false, status: "Alert does not exist"``). Bad input stays a
synchronous 400/422; overload and unavailability stay 429/503 so clients retry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from quart import Blueprint, Response, g, request

from engine import (
    AcknowledgeAlert,
    AddDetails,
    AddNote,
    AddResponder,
    AddTags,
    AssignAlert,
    CloseAlert,
    Command,
    CreateAlert,
    DeleteAlert,
    EscalateAlert,
    NotFound,
    Rejected,
    RemoveDetails,
    RemoveTags,
    Responder,
    SnoozeAlert,
    UnacknowledgeAlert,
    UpdateDescription,
    UpdateMessage,
    UpdatePriority,
    new_id,
)
from web.api.alerts import integration_of
from web.app import command_context, parse_body, services
from web.auth.principal import Principal
from web.auth.scope import scoped_responders
from web.compat.opsgenie.requests import DERIVED, RequestStatus, RequestStore, derive_statuses
from web.compat.opsgenie.routing import identifier_type, request_store, resolve
from web.compat.opsgenie.schemas import (
    ActionIn,
    AssignIn,
    CreateIn,
    DescriptionIn,
    DetailsIn,
    EscalateIn,
    MessageIn,
    NoteIn,
    PriorityIn,
    RecipientIn,
    ResponderIn,
    SnoozeIn,
    TagsIn,
    TeamIn,
    clean_details,
    clean_tags,
    create_fields,
)
from web.compat.opsgenie.wire import ACCEPTED, authenticate, og_response, timestamp
from web.compat.prefix import mount
from web.errors import ApiError

__all__ = ["register"]

Build = Callable[[Any, str], Command]
NOT_FOUND = "Alert does not exist"


def _record(key: Principal, action: str, ok: bool, status: str, alert_id: str, alias: str) -> None:
    now = services().clock.now()
    record = RequestStatus(
        success=ok,
        action=action,
        processed_at=timestamp(now),
        integration_id=key.key_id,
        is_success=ok,
        status=status,
        alert_id=alert_id,
        alias=alias,
    )
    request_store().put(key.org_id, g.request_id, record, now)


def _accepted() -> Response:
    return og_response({"result": ACCEPTED}, 202)


def _responder(recipient: RecipientIn, default_type: str, field: str) -> Responder:
    responder = recipient.to_responder(default_type)
    if responder is None:
        raise ApiError(422, "invalid_field", f"{field} needs an id, name or username", field=field)
    return responder


async def create_alert() -> Response:
    key = await authenticate()
    body = await parse_body(CreateIn)
    fields = create_fields(body)
    fields["responders"] = scoped_responders(key, fields["responders"])
    if not fields["message"]:
        raise ApiError(422, "invalid_field", "Message can not be empty", field="message")
    ctx = await command_context(key)
    source = (body.source or request.remote_addr or "")[:100]
    command = CreateAlert(
        alert_id=new_id(),
        source=source,
        integration=integration_of(key),
        **fields,
    )
    outcome = await services().supervisor.submit(key.org_id, command, ctx)
    alias = fields["alias"] or outcome.alert_id or ""
    status = "Created alert" if outcome.result == "created" else "Alert deduplicated"
    _record(key, "Create", True, status, outcome.alert_id or "", alias)
    return _accepted()


async def _act(identifier: str, action: str, kind: type, build: Build, done: str) -> Response:
    """Parse, resolve, submit; record the outcome as the request status; answer 202."""
    key = await authenticate()
    body: Any = await parse_body(kind, optional=True)
    id_type = identifier_type()
    ctx = await command_context(key)
    alert_id = alias = ""
    try:
        alert_id, alias = await resolve(key, identifier, id_type)
        command = build(body, alert_id)
        await services().supervisor.submit(key.org_id, command, ctx)
    except NotFound:
        _record(key, action, False, NOT_FOUND, "", "")
        return _accepted()
    except Rejected as error:
        if error.code == "invalid_field":
            raise
        _record(key, action, False, error.message, alert_id, alias)
        return _accepted()
    _record(key, action, True, done, alert_id, alias)
    return _accepted()


def _custom_action(name: str) -> Build:
    def build(body: ActionIn, alert_id: str) -> Command:
        text = f"Executed custom action '{name}'"
        if body.note:
            text = f"{text}: {body.note}"
        return AddNote(alert_id=alert_id, note=text[:25000], **body.actor())

    return build


def _query_actor() -> dict[str, str]:
    args = request.args
    return {
        "user": args.get("user", "")[:100],
        "source": args.get("source", "")[:100],
        "note": args.get("note", ""),
    }


def _required_csv(name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in request.args.get(name, "").split(",") if v.strip())
    if not values:
        raise ApiError(422, "invalid_field", f"{name} is required", field=name)
    return values


# action path -> (request-status action name, body type, command builder, status text)
_POSTS: dict[str, tuple[str, type, Build, str]] = {
    "acknowledge": (
        "Acknowledge",
        ActionIn,
        lambda b, a: AcknowledgeAlert(alert_id=a, **b.noted()),
        "Acknowledged alert",
    ),
    "unacknowledge": (
        "UnAcknowledge",
        ActionIn,
        lambda b, a: UnacknowledgeAlert(alert_id=a, **b.noted()),
        "Unacknowledged alert",
    ),
    "close": ("Close", ActionIn, lambda b, a: CloseAlert(alert_id=a, **b.noted()), "Closed alert"),
    "snooze": (
        "Snooze",
        SnoozeIn,
        lambda b, a: SnoozeAlert(alert_id=a, end_time=b.endTime, **b.noted()),
        "Snoozed alert",
    ),
    "escalate": (
        "Escalate",
        EscalateIn,
        lambda b, a: EscalateAlert(alert_id=a, escalation=_escalation(b.escalation), **b.noted()),
        "Escalated alert",
    ),
    "assign": (
        "Assign",
        AssignIn,
        lambda b, a: AssignAlert(
            alert_id=a, owner=_responder(b.owner, "user", "owner").id, **b.noted()
        ),
        "Assigned alert",
    ),
    "responders": (
        "AddResponder",
        ResponderIn,
        lambda b, a: AddResponder(
            alert_id=a, responder=_responder(b.responder, "", "responder"), **b.noted()
        ),
        "Added responder",
    ),
    "teams": (
        "AddTeam",
        TeamIn,
        lambda b, a: AddResponder(alert_id=a, responder=_team(b.team), **b.noted()),
        "Added team",
    ),
    "notes": (
        "AddNote",
        NoteIn,
        lambda b, a: AddNote(alert_id=a, note=b.note or "", **b.actor()),
        "Added note",
    ),
    "tags": (
        "AddTags",
        TagsIn,
        lambda b, a: AddTags(alert_id=a, tags=clean_tags(b.tags), **b.noted()),
        "Added tags",
    ),
    "details": (
        "AddDetails",
        DetailsIn,
        lambda b, a: AddDetails(alert_id=a, details=clean_details(b.details), **b.noted()),
        "Added details",
    ),
}

_PUTS: dict[str, tuple[str, type, Build, str]] = {
    "priority": (
        "UpdatePriority",
        PriorityIn,
        lambda b, a: UpdatePriority(alert_id=a, priority=b.priority.strip().upper(), **b.noted()),
        "Updated priority",
    ),
    "message": (
        "UpdateMessage",
        MessageIn,
        lambda b, a: UpdateMessage(alert_id=a, message=b.message, **b.noted()),
        "Updated message",
    ),
    "description": (
        "UpdateDescription",
        DescriptionIn,
        lambda b, a: UpdateDescription(alert_id=a, description=b.description, **b.noted()),
        "Updated description",
    ),
}


def _team(team: RecipientIn) -> Responder:
    return Responder(type="team", id=_responder(team, "team", "team").id)


def _escalation(escalation: RecipientIn) -> Responder:
    return Responder(type="escalation", id=_responder(escalation, "escalation", "escalation").id)


async def post_action(identifier: str, action: str) -> Response:
    if action not in _POSTS:
        raise ApiError(404, "not_found", f"Unknown alert action {action!r}")
    return await _act(identifier, *_POSTS[action])


async def put_action(identifier: str, action: str) -> Response:
    if action not in _PUTS:
        raise ApiError(404, "not_found", f"Unknown alert field {action!r}")
    return await _act(identifier, *_PUTS[action])


async def custom_action(identifier: str, name: str) -> Response:
    return await _act(
        identifier, "CustomAction", ActionIn, _custom_action(name), f"Executed {name}"
    )


async def remove_tags(identifier: str) -> Response:
    tags = _required_csv("tags")
    actor = _query_actor()
    build: Build = lambda b, a: RemoveTags(alert_id=a, tags=tags, **actor)  # noqa: E731
    return await _act(identifier, "RemoveTags", ActionIn, build, "Removed tags")


async def remove_details(identifier: str) -> Response:
    keys = _required_csv("keys")
    actor = _query_actor()
    build: Build = lambda b, a: RemoveDetails(alert_id=a, keys=keys, **actor)  # noqa: E731
    return await _act(identifier, "RemoveDetails", ActionIn, build, "Removed details")


async def delete_alert(identifier: str) -> Response:
    actor = _query_actor()
    actor.pop("note")
    build: Build = lambda b, a: DeleteAlert(alert_id=a, **actor)  # noqa: E731
    return await _act(identifier, "Delete", ActionIn, build, "Deleted alert")


async def request_status(request_id: str) -> Response:
    """The request's status: recorded by this process, else derived from the log."""
    key = await authenticate()
    store, now = request_store(), services().clock.now()
    found = store.get(key.org_id, request_id, now)
    if found is None:
        await _read_log(store, key.org_id, now)
        found = store.get(key.org_id, request_id, now)
    if found is None:
        raise ApiError(404, "not_found", "Request does not exist")
    return og_response({"data": found})


async def _read_log(store: RequestStore, org_id: str, now: datetime) -> None:
    """Derive statuses from the org's events after the last read (at most the newest
    ``max_per_org``): requests answered before a restart or by another process."""
    log = services().store
    latest = await log.stream_version(org_id)
    after = max(store.scanned.get(org_id, 0), latest - store.max_per_org)
    if after >= latest:
        return
    envelopes = await log.read_stream(org_id, after_version=after, limit=latest - after)
    ids = {e.subject for e in envelopes if e.type in DERIVED and e.subject}
    aliases = await services().supervisor.read(
        org_id, lambda s: {i: s.alerts.alerts[i].alias for i in ids if i in s.alerts.alerts}
    )
    store.add_derived(org_id, derive_statuses(envelopes, aliases), now)
    store.scanned[org_id] = max(store.scanned.get(org_id, 0), latest)


def register(blueprint: Blueprint) -> None:
    """Mount the write routes (and the request status) on ``blueprint``."""
    mount(blueprint, "/v2/alerts", ["POST"])(create_alert)
    mount(blueprint, "/v2/alerts/requests/<request_id>", ["GET"])(request_status)
    mount(blueprint, "/v2/alerts/<identifier>/actions/<name>", ["POST"])(custom_action)
    mount(blueprint, "/v2/alerts/<identifier>/tags", ["DELETE"])(remove_tags)
    mount(blueprint, "/v2/alerts/<identifier>/details", ["DELETE"])(remove_details)
    mount(blueprint, "/v2/alerts/<identifier>/<action>", ["POST"])(post_action)
    mount(blueprint, "/v2/alerts/<identifier>/<action>", ["PUT"])(put_action)
    mount(blueprint, "/v2/alerts/<identifier>", ["DELETE"])(delete_alert)
