"""Team routing rules over HTTP: native ``/api/v1/teams/{team}/routing-rules`` and Opsgenie's.

An alert with a team responder follows that team's rules in order; the first whose
``criteria`` match the alert and whose ``timeRestriction`` (in the rule's
``timezone``) covers the moment routes it to ``notify``: an escalation policy, a
schedule, or nobody (``none``) (``engine.routing``, which documents how each
condition operation compares).

Both APIs take Opsgenie's shapes (its Go SDK's ``team`` package, Terraform's
``opsgenie_team_routing_rule``): ``{name, order, timezone, criteria: {type,
conditions: [{field, key, not, operation, expectedValue, order}]}, timeRestriction:
{type, restriction | restrictions}, notify: {type, id | name}}``. A team is named by
id, or by name with ``teamIdentifierType=name``; ``notify`` names a policy or a
schedule by id or name, and answers carry both. ``order`` counts from 0. Native
answers are ``{"data": rule}`` (``request_id``, Pulsar's errors); Opsgenie answers
carry ``took``/``requestId`` and its error shape, and create/update answer
``{id, name}``.

A team made with its default resources (every ``/v2/teams`` create) has Opsgenie's
"Default Routing Rule" (``isDefault: true``): match-all, always listed last, new and
moved rules go before it; it can be PATCHed (``notify``, ``name``, ``timezone``; its
criteria stay match-all without a time restriction), but deleting or moving it is
409 ``default_routing_rule``. A team without one (native teams, unless made with
``defaultResources``) falls back, when no rule matches, to its default policy or
else its members. Another organization's team, rule, policy or schedule is unknown
here (404, or 422 naming ``notify``).
"""

from __future__ import annotations

from typing import Any, Final, final

import msgspec
from quart import Blueprint, Response, request

from engine import (
    ChangeRoutingRuleOrder,
    Command,
    CreateRoutingRule,
    DeleteRoutingRule,
    OrgState,
    PulsarError,
    Restriction,
    RoutingCondition,
    RoutingCriteria,
    RoutingRule,
    RoutingTarget,
    TimeWindow,
    UpdateRoutingRule,
    find_routing_rule,
    find_team,
    new_id,
    routing_rule_order,
    routing_rules_of,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.compat.opsgenie.wire import install_error_handlers, og_error, og_response, timestamp
from web.compat.prefix import mount
from web.errors import ApiError, from_engine

__all__ = ["blueprint", "opsgenie_blueprint"]

blueprint = Blueprint("routing", __name__)
opsgenie_blueprint = Blueprint("opsgenie_routing", __name__)
install_error_handlers(opsgenie_blueprint)

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY: Final = 24 * 60


# -- JSON shapes ---------------------------------------------------------------------------


@final
class ConditionIn(msgspec.Struct, kw_only=True, rename="camel"):
    field: str
    operation: str
    expected_value: str = ""
    key: str = ""
    negate: bool = msgspec.field(name="not", default=False)
    order: int | None = None


@final
class CriteriaIn(msgspec.Struct, kw_only=True):
    type: str = "match-all"
    conditions: list[ConditionIn] = msgspec.field(default_factory=list)


@final
class WindowIn(msgspec.Struct, kw_only=True, rename="camel"):
    """One restriction window: hours 0-24 (24:00 is the day's end), minutes 0-59."""

    start_day: str | None = None
    start_hour: int = 0
    start_min: int = 0
    end_day: str | None = None
    end_hour: int = 0
    end_min: int = 0


@final
class RestrictionIn(msgspec.Struct, kw_only=True):
    """``restriction`` (time-of-day) or ``restrictions`` (weekday-and-time-of-day)."""

    type: str
    restriction: WindowIn | None = None
    restrictions: list[WindowIn] | None = None


@final
class NotifyIn(msgspec.Struct, kw_only=True):
    type: str
    id: str = ""
    name: str = ""


@final
class RuleIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A create or update body; absent fields stay (``timeRestriction: null`` removes it)."""

    name: str | None = None
    order: int | None = None
    timezone: str | None = None
    criteria: CriteriaIn | None = None
    time_restriction: RestrictionIn | msgspec.UnsetType | None = msgspec.UNSET
    notify: NotifyIn | None = None


@final
class OrderIn(msgspec.Struct, kw_only=True):
    order: int


# -- conversions ---------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_field", message, field=field)


def _criteria(body: CriteriaIn) -> RoutingCriteria:
    conditions = tuple(
        RoutingCondition(
            field=c.field,
            operation=c.operation,
            expected_value=c.expected_value,
            key=c.key,
            negate=c.negate,
            order=i if c.order is None else c.order,
        )
        for i, c in enumerate(body.conditions)
    )
    return RoutingCriteria(type=body.type, conditions=conditions)


def _day(name: str | None) -> int | None:
    if name is None:
        return None
    try:
        return WEEKDAYS.index(name.strip().lower()) + 1
    except ValueError:
        raise _invalid("timeRestriction", f"unknown weekday {name!r}") from None


def _minute(hour: int, minute: int) -> int:
    if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
        raise _invalid("timeRestriction", "hours must be 0-24 and minutes 0-59 (24:00 at most)")
    return hour * 60 + minute


def _window(w: WindowIn) -> TimeWindow:
    start = _minute(w.start_hour, w.start_min) % _DAY  # a start at 24:00 is the next 00:00
    return TimeWindow(
        start_day=_day(w.start_day),
        start_minute=start,
        end_day=_day(w.end_day),
        end_minute=_minute(w.end_hour, w.end_min),
    )


def _restriction(body: RestrictionIn | None) -> Restriction | None:
    if body is None:
        return None
    windows = list(body.restrictions or ())
    if body.restriction is not None:
        windows.insert(0, body.restriction)
    kind: Any = body.type  # validated by the engine (422 naming timeRestriction)
    return Restriction(type=kind, windows=tuple(_window(w) for w in windows))


def _target(body: NotifyIn) -> RoutingTarget:
    """The target as given: an id or a name (the engine resolves names to ids)."""
    return RoutingTarget(type=body.type.strip().lower(), id=(body.id or body.name).strip())


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


def _restriction_out(r: Restriction | None) -> dict[str, Any] | None:
    if r is None:
        return None
    if r.type == "time-of-day":
        return {"type": r.type, "restriction": _window_out(r.windows[0])}
    return {"type": r.type, "restrictions": [_window_out(w) for w in r.windows]}


def _criteria_out(criteria: RoutingCriteria) -> dict[str, Any]:
    conditions = []
    for c in criteria.conditions:
        condition: dict[str, Any] = {
            "field": c.field,
            "not": c.negate,
            "operation": c.operation,
            "expectedValue": c.expected_value,
            "order": c.order,
        }
        if c.key:
            condition["key"] = c.key
        conditions.append(condition)
    return {"type": criteria.type, "conditions": conditions}


def _notify_out(state: OrgState, target: RoutingTarget) -> dict[str, Any]:
    if target.type == "escalation":
        policy = state.escalations.policies.get(target.id)
        return {"type": "escalation", "id": target.id, "name": policy.name if policy else ""}
    if target.type == "schedule":
        record = state.schedules.schedules.get(target.id)
        name = record.schedule.name if record else ""
        return {"type": "schedule", "id": target.id, "name": name}
    return {"type": "none"}


def rule_out(state: OrgState, rule: RoutingRule) -> dict[str, Any]:
    """A rule in Opsgenie's shape (``RoutingRuleMeta``), for both APIs."""
    out: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "isDefault": rule.is_default,
        "order": routing_rule_order(state.routing, rule),
        "criteria": _criteria_out(rule.criteria),
        "timezone": rule.timezone,
        "notify": _notify_out(state, rule.target),
    }
    restriction = _restriction_out(rule.time_restriction)
    if restriction is not None:
        out["timeRestriction"] = restriction
    return out


def _native_out(state: OrgState, rule: RoutingRule) -> dict[str, Any]:
    return {
        **rule_out(state, rule),
        "timeRestriction": _restriction_out(rule.time_restriction),
        "teamId": rule.team_id,
        "createdAt": timestamp(rule.created_at),
        "updatedAt": timestamp(rule.updated_at),
    }


# -- shared operations ---------------------------------------------------------------------


async def _team_id(identifier: str) -> str:
    """The id of the team ``identifier`` names (``teamIdentifierType``); 404 if none."""
    kind = request.args.get("teamIdentifierType", "id") or "id"
    if kind not in ("id", "name"):
        raise _invalid("teamIdentifierType", "teamIdentifierType must be id or name")

    def view(state: OrgState) -> str:
        return find_team(state.teams, identifier, by_name=kind == "name").id

    team_id: str = await services().supervisor.read(principal().org_id, view)
    return team_id


async def _submit(command: Command, *, keyed: bool = True) -> str | None:
    """Submit ``command`` for the caller's organization; the id of the rule it made.

    A retry with the same Idempotency-Key answers the rule the first request made.
    Only a request's first command carries the key (``keyed``): the key stands for
    one command's outcome.
    """
    key = principal()
    ctx = await command_context(key)
    if not keyed:
        ctx = msgspec.structs.replace(ctx, idempotency_key=None, fingerprint="")
    outcome = await services().supervisor.submit(key.org_id, command, ctx)
    return outcome.subject_id


async def _view(team_id: str, rule_id: str, out: Any = _native_out) -> dict[str, Any]:
    def view(state: OrgState) -> dict[str, Any]:
        found: dict[str, Any] = out(state, find_routing_rule(state.routing, team_id, rule_id))
        return found

    result: dict[str, Any] = await services().supervisor.read(principal().org_id, view)
    return result


async def _list(team_id: str, out: Any) -> list[dict[str, Any]]:
    def view(state: OrgState) -> list[dict[str, Any]]:
        find_team(state.teams, team_id)
        return [out(state, r) for r in routing_rules_of(state.routing, team_id)]

    found: list[dict[str, Any]] = await services().supervisor.read(principal().org_id, view)
    return found


async def _create(identifier: str) -> tuple[str, str]:
    """Create from the body; ``(team id, rule id)``."""
    body = await parse_body(RuleIn)
    team_id = await _team_id(identifier)
    if body.notify is None:
        raise _invalid("notify", "notify is required")
    restriction = body.time_restriction
    command = CreateRoutingRule(
        team_id=team_id,
        rule_id=new_id(),
        name=body.name or "",
        order=body.order,
        criteria=RoutingCriteria() if body.criteria is None else _criteria(body.criteria),
        time_restriction=None
        if isinstance(restriction, msgspec.UnsetType)
        else _restriction(restriction),
        timezone=body.timezone or "UTC",
        target=_target(body.notify),
    )
    return team_id, await _submit(command) or command.rule_id


async def _update(identifier: str, rule_id: str) -> str:
    """Update from the body (``order`` moves the rule too); the team's id."""
    body = await parse_body(RuleIn, optional=True)
    team_id = await _team_id(identifier)
    restriction = body.time_restriction
    await _submit(
        UpdateRoutingRule(
            team_id=team_id,
            rule_id=rule_id,
            name=body.name,
            criteria=None if body.criteria is None else _criteria(body.criteria),
            time_restriction=(
                restriction
                if isinstance(restriction, msgspec.UnsetType)
                else _restriction(restriction)
            ),
            timezone=body.timezone,
            target=None if body.notify is None else _target(body.notify),
        )
    )
    if body.order is not None:
        move = ChangeRoutingRuleOrder(team_id=team_id, rule_id=rule_id, order=body.order)
        await _submit(move, keyed=False)
    return team_id


async def _change_order(identifier: str, rule_id: str) -> str:
    body = await parse_body(OrderIn)
    team_id = await _team_id(identifier)
    await _submit(ChangeRoutingRuleOrder(team_id=team_id, rule_id=rule_id, order=body.order))
    return team_id


# -- native API (/api/v1) ------------------------------------------------------------------

NATIVE = "/teams/<identifier>/routing-rules"


@blueprint.post(NATIVE)
async def create_rule(identifier: str) -> Response:
    """Add a rule (201 with the rule); without ``order`` it goes last."""
    team_id, rule_id = await _create(identifier)
    return json_response({"data": await _view(team_id, rule_id)}, 201)


@blueprint.get(NATIVE)
async def list_rules(identifier: str) -> Response:
    """The team's rules in order (first tried first)."""
    return json_response({"data": await _list(await _team_id(identifier), _native_out)})


@blueprint.get(f"{NATIVE}/<rule_id>")
async def get_rule(identifier: str, rule_id: str) -> Response:
    return json_response({"data": await _view(await _team_id(identifier), rule_id)})


@blueprint.patch(f"{NATIVE}/<rule_id>")
async def update_rule(identifier: str, rule_id: str) -> Response:
    team_id = await _update(identifier, rule_id)
    return json_response({"data": await _view(team_id, rule_id)})


@blueprint.delete(f"{NATIVE}/<rule_id>")
async def delete_rule(identifier: str, rule_id: str) -> Response:
    team_id = await _team_id(identifier)
    await _submit(DeleteRoutingRule(team_id=team_id, rule_id=rule_id))
    return json_response({"result": "deleted"})


@blueprint.post(f"{NATIVE}/<rule_id>/change-order")
async def change_rule_order(identifier: str, rule_id: str) -> Response:
    """Move the rule to ``order`` (from 0; beyond the end: last)."""
    team_id = await _change_order(identifier, rule_id)
    return json_response({"data": await _view(team_id, rule_id)})


# -- Opsgenie-compatible API (/v2) ---------------------------------------------------------

OG = "/v2/teams/<identifier>/routing-rules"


@opsgenie_blueprint.errorhandler(PulsarError)
async def _engine_error(error: PulsarError) -> Response:
    """Engine errors with their own message (``Team 'x' does not exist``)."""
    return og_error(from_engine(error).status_code, error.message, field=error.field)


def _short(state: OrgState, rule: RoutingRule) -> dict[str, Any]:
    return {"id": rule.id, "name": rule.name}


@mount(opsgenie_blueprint, OG, ["POST"])
async def og_create(identifier: str) -> Response:
    """Create (201 ``{"result": "Created", "data": {id, name}}``)."""
    team_id, rule_id = await _create(identifier)
    return og_response({"result": "Created", "data": await _view(team_id, rule_id, _short)}, 201)


@mount(opsgenie_blueprint, OG, ["GET"])
async def og_list(identifier: str) -> Response:
    return og_response({"data": await _list(await _team_id(identifier), rule_out)})


@mount(opsgenie_blueprint, f"{OG}/<rule_id>", ["GET"])
async def og_get(identifier: str, rule_id: str) -> Response:
    return og_response({"data": await _view(await _team_id(identifier), rule_id, rule_out)})


@mount(opsgenie_blueprint, f"{OG}/<rule_id>", ["PATCH"])
async def og_update(identifier: str, rule_id: str) -> Response:
    team_id = await _update(identifier, rule_id)
    return og_response({"result": "Updated", "data": await _view(team_id, rule_id, _short)})


@mount(opsgenie_blueprint, f"{OG}/<rule_id>", ["DELETE"])
async def og_delete(identifier: str, rule_id: str) -> Response:
    team_id = await _team_id(identifier)
    await _submit(DeleteRoutingRule(team_id=team_id, rule_id=rule_id))
    return og_response({"result": "Deleted"})


@mount(opsgenie_blueprint, f"{OG}/<rule_id>/change-order", ["POST"])
async def og_change_order(identifier: str, rule_id: str) -> Response:
    team_id = await _change_order(identifier, rule_id)
    return og_response({"result": "Changed", "data": await _view(team_id, rule_id, _short)})
