"""Opsgenie's user contact and notification rule API, in the Go SDK's shapes.

``/v2/users/{user}/contacts``: create ``{method, to}`` (201 ``{data: {id}}``),
list, get, PATCH ``{to}``, DELETE, POST ``/enable`` and ``/disable``.
``/v2/users/{user}/notification-rules``: create, list, get, PATCH, DELETE, with
steps naming their contact as ``{method, to}`` (an existing contact of the
user) and criteria on priority. Opsgenie's sms, voice and mobile contacts, and
what Pulsar's rules cannot do (schedule rules, repeats), are 422s naming them.
"""

from __future__ import annotations

from typing import Any, Final, final

import msgspec
from quart import Blueprint, Response

from engine import (
    UNSUPPORTED_METHODS,
    AddNotificationRule,
    ContactMethod,
    DeleteContactMethod,
    DeleteNotificationRule,
    NotificationRule,
    PulsarError,
    UpdateNotificationRule,
    methods_of,
    new_id,
    rules_of,
)
from web.api.contacts.common import (
    MethodPatch,
    account_timezone,
    add_method,
    change_method,
    find_method,
    find_rule,
    read,
    restriction_of,
    restriction_out,
    step_specs,
    subject,
    submit,
)
from web.api.schedule_json import RestrictionIn
from web.app import parse_body
from web.compat.opsgenie.wire import install_error_handlers, og_error, og_response
from web.compat.prefix import mount
from web.errors import ApiError, from_engine

__all__ = ["opsgenie_blueprint"]

opsgenie_blueprint = Blueprint("opsgenie_contacts", __name__)
install_error_handlers(opsgenie_blueprint)


@final
class OgContactIn(msgspec.Struct, kw_only=True):
    method: str | None = None
    to: str | None = None


@final
class OgSendAfter(msgspec.Struct, kw_only=True, rename="camel"):
    time_amount: int = 0
    time_unit: str = "minutes"


@final
class OgStep(msgspec.Struct, kw_only=True, rename="camel"):
    contact: OgContactIn
    send_after: OgSendAfter | None = None
    enabled: bool = True


@final
class OgCondition(msgspec.Struct, kw_only=True, rename="camel"):
    field: str = ""
    operation: str = ""
    expected_value: str = ""
    not_: bool = msgspec.field(default=False, name="not")
    key: str = ""
    order: int | None = None


@final
class OgCriteria(msgspec.Struct, kw_only=True):
    type: str = "match-all"
    conditions: list[OgCondition] = msgspec.field(default_factory=list)


@final
class OgRepeat(msgspec.Struct, kw_only=True, rename="camel"):
    loop_after: int = 0
    enabled: bool = True


@final
class OgRuleIn(msgspec.Struct, kw_only=True, rename="camel"):
    """Opsgenie's create and update bodies (``name``/``actionType`` only count on create)."""

    name: str | None = None
    action_type: str | None = None
    criteria: OgCriteria | None = None
    notification_time: list[str] | None = None
    time_restriction: RestrictionIn | None = None
    schedules: list[dict[str, Any]] | None = None
    steps: list[OgStep] | None = None
    order: int | None = None
    repeat: OgRepeat | None = None
    enabled: bool | None = None


# -- contacts ------------------------------------------------------------------------------

OG: Final = "/v2/users/<identifier>"


@opsgenie_blueprint.errorhandler(PulsarError)
async def _engine_error(error: PulsarError) -> Response:
    """Engine errors with their own message (``contact method 'x' does not exist``)."""
    return og_error(from_engine(error).status_code, error.message, field=error.field)


def _og_contact(method: ContactMethod) -> dict[str, Any]:
    """A contact (plus Pulsar's ``verified``: an unverified email is not used yet)."""
    return {
        "id": method.id,
        "method": method.method,
        "to": method.address,
        "status": {"enabled": method.enabled, "disabledReason": ""},
        "verified": method.verified,
    }


@mount(opsgenie_blueprint, f"{OG}/contacts", ["POST"])
async def og_create_contact(identifier: str) -> Response:
    """``{method, to}`` -> 201 ``{data: {id}}``; sms, voice and mobile are 422."""
    body = await parse_body(OgContactIn)
    if not body.method or not body.to:
        field = "method" if not body.method else "to"
        raise ApiError(422, "invalid_field", f"{field} is required", field=field)
    account_id, email = await subject(identifier)
    created = await add_method(account_id, email, body.method, body.to)
    data = {"id": created["id"]} | {
        k: created[k] for k in ("secret", "verification") if k in created
    }
    return og_response({"result": "Created", "data": data}, 201)


@mount(opsgenie_blueprint, f"{OG}/contacts", ["GET"])
async def og_list_contacts(identifier: str) -> Response:
    account_id, email = await subject(identifier)
    methods = await read(lambda s: methods_of(s.contacts, account_id, email))
    contacts = [_og_contact(m) | {"applyOrder": i} for i, m in enumerate(methods, start=1)]
    return og_response({"data": contacts})


@mount(opsgenie_blueprint, f"{OG}/contacts/<contact_id>", ["GET"])
async def og_get_contact(identifier: str, contact_id: str) -> Response:
    account_id, email = await subject(identifier)
    method, _ = await find_method(account_id, email, contact_id)
    return og_response({"data": _og_contact(method)})


@mount(opsgenie_blueprint, f"{OG}/contacts/<contact_id>", ["PATCH"])
async def og_update_contact(identifier: str, contact_id: str) -> Response:
    body = await parse_body(OgContactIn)
    account_id, email = await subject(identifier)
    await change_method(account_id, email, contact_id, MethodPatch(address=body.to))
    return og_response({"result": "Updated", "data": {"id": contact_id}})


@mount(opsgenie_blueprint, f"{OG}/contacts/<contact_id>", ["DELETE"])
async def og_delete_contact(identifier: str, contact_id: str) -> Response:
    account_id, _ = await subject(identifier)
    await submit(DeleteContactMethod(account_id=account_id, method_id=contact_id))
    return og_response({"result": "Deleted"})


async def _og_toggle(identifier: str, contact_id: str, enabled: bool) -> Response:
    account_id, email = await subject(identifier)
    await change_method(account_id, email, contact_id, MethodPatch(enabled=enabled))
    result = "Enabled" if enabled else "Disabled"
    return og_response({"result": result, "data": {"id": contact_id}})


@mount(opsgenie_blueprint, f"{OG}/contacts/<contact_id>/enable", ["POST"])
async def og_enable_contact(identifier: str, contact_id: str) -> Response:
    return await _og_toggle(identifier, contact_id, True)


@mount(opsgenie_blueprint, f"{OG}/contacts/<contact_id>/disable", ["POST"])
async def og_disable_contact(identifier: str, contact_id: str) -> Response:
    return await _og_toggle(identifier, contact_id, False)


# -- notification rules --------------------------------------------------------------------

_ALL_PRIORITIES: Final = ("P1", "P2", "P3", "P4", "P5")
_PRIORITY_ONLY: Final = (
    "Pulsar's notification rules filter on priority only "
    "(conditions with field 'priority' and operation 'equals')"
)


def _og_priorities(criteria: OgCriteria) -> tuple[str, ...]:
    """The priorities Opsgenie ``criteria`` let through; ``()`` is every priority."""
    if criteria.type == "match-all" or not criteria.conditions:
        return ()
    sets = []
    for condition in criteria.conditions:
        if condition.field != "priority" or condition.operation != "equals":
            raise ApiError(422, "invalid_field", _PRIORITY_ONLY, field="criteria")
        if condition.expected_value not in _ALL_PRIORITIES:
            msg = f"unknown priority {condition.expected_value!r}: use P1..P5"
            raise ApiError(422, "invalid_field", msg, field="criteria")
        chosen = {condition.expected_value}
        sets.append(set(_ALL_PRIORITIES) - chosen if condition.not_ else chosen)
    if criteria.type == "match-any-condition":
        allowed = set().union(*sets)
    elif criteria.type == "match-all-conditions":
        allowed = set(_ALL_PRIORITIES).intersection(*sets)
    else:
        msg = "criteria type must be match-all, match-any-condition or match-all-conditions"
        raise ApiError(422, "invalid_field", msg, field="criteria")
    if not allowed:
        raise ApiError(422, "invalid_field", "these criteria match no priority", field="criteria")
    return () if len(allowed) == len(_ALL_PRIORITIES) else tuple(sorted(allowed))


def _og_criteria_out(priorities: tuple[str, ...]) -> dict[str, Any]:
    if not priorities:
        return {"type": "match-all", "conditions": []}
    conditions = [
        {"field": "priority", "operation": "equals", "expectedValue": p, "not": False}
        for p in priorities
    ]
    return {"type": "match-any-condition", "conditions": conditions}


def _og_unsupported(body: OgRuleIn) -> None:
    """422 for what Pulsar's rules cannot do (rather than silently ignoring it)."""
    if body.notification_time:
        msg = "notificationTime is for schedule rules, which Pulsar does not have"
        raise ApiError(422, "invalid_field", msg, field="notificationTime")
    if body.schedules:
        msg = "Pulsar's notification rules do not filter by schedule"
        raise ApiError(422, "invalid_field", msg, field="schedules")
    if body.repeat is not None and body.repeat.enabled and body.repeat.loop_after > 0:
        msg = "Pulsar's notification rules do not repeat: escalation policies repeat pages"
        raise ApiError(422, "invalid_field", msg, field="repeat")


async def _og_steps(
    account_id: str, email: str, steps: list[OgStep]
) -> list[tuple[str, int, bool, str | None]]:
    """Opsgenie steps (``contact: {method, to}``) as the user's method ids."""
    methods = await read(lambda s: methods_of(s.contacts, account_id, email))
    by_address = {(m.method, m.address.lower()): m.id for m in methods}
    out: list[tuple[str, int, bool, str | None]] = []
    for step in steps:
        kind, to = (step.contact.method or "").strip(), (step.contact.to or "").strip()
        if kind in UNSUPPORTED_METHODS:
            msg = f"Pulsar has no {kind} contact methods: use email, slack, teams or webhook"
            raise ApiError(422, "invalid_field", msg, field="steps")
        method_id = by_address.get((kind, to.lower()))
        if method_id is None:
            msg = f"the user has no {kind} contact {to!r}: add it first (POST .../contacts)"
            raise ApiError(422, "invalid_field", msg, field="steps")
        delay = step.send_after.time_amount if step.send_after else 0
        out.append((method_id, delay, step.enabled, None))
    return out


def _og_rule_view(
    rule: NotificationRule, order: int, methods: dict[str, ContactMethod]
) -> dict[str, Any]:
    """Opsgenie's rule: steps name their contact as ``{method, to}``."""
    steps = []
    for s in rule.steps:
        method = methods.get(s.contact_method_id)
        steps.append(
            {
                "id": s.id,
                "contact": {"method": method.method, "to": method.address} if method else {},
                "sendAfter": {"timeAmount": s.send_after_minutes, "timeUnit": "minutes"},
                "enabled": s.enabled,
            }
        )
    out: dict[str, Any] = {
        **_og_simple(rule, order),
        "criteria": _og_criteria_out(rule.priorities),
        "notificationTime": [],
        "steps": steps,
        "schedules": [],
    }
    restriction = restriction_out(rule.time_restriction)
    if restriction is not None:
        out["timeRestriction"] = restriction
    return out


def _og_simple(rule: NotificationRule, order: int) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "actionType": rule.action_type,
        "order": order,
        "enabled": rule.enabled,
    }


@mount(opsgenie_blueprint, f"{OG}/notification-rules", ["POST"])
async def og_create_rule(identifier: str) -> Response:
    """201 ``{data: {id, name, actionType, order, enabled}}``; only ``create-alert`` rules."""
    body = await parse_body(OgRuleIn)
    for field, value in (("name", body.name), ("actionType", body.action_type)):
        if not value:
            raise ApiError(422, "invalid_field", f"{field} is required", field=field)
    _og_unsupported(body)
    account_id, email = await subject(identifier)
    command = AddNotificationRule(
        account_id=account_id,
        rule_id=new_id(),
        name=body.name or "",
        action_type=body.action_type or "",
        enabled=True if body.enabled is None else body.enabled,
        order=body.order,
        priorities=_og_priorities(body.criteria) if body.criteria else (),
        time_restriction=restriction_of(body.time_restriction) if body.time_restriction else None,
        timezone=await account_timezone(account_id),
        steps=step_specs(await _og_steps(account_id, email, body.steps or []), None),
    )
    rule_id = await submit(command) or command.rule_id
    rule, order = await find_rule(account_id, rule_id)
    return og_response({"result": "Created", "data": _og_simple(rule, order)}, 201)


@mount(opsgenie_blueprint, f"{OG}/notification-rules", ["GET"])
async def og_list_rules(identifier: str) -> Response:
    account_id, _ = await subject(identifier)
    rules = await read(lambda s: rules_of(s.contacts, account_id))
    return og_response({"data": [_og_simple(r, i) for i, r in enumerate(rules, start=1)]})


@mount(opsgenie_blueprint, f"{OG}/notification-rules/<rule_id>", ["GET"])
async def og_get_rule(identifier: str, rule_id: str) -> Response:
    account_id, email = await subject(identifier)
    rule, order = await find_rule(account_id, rule_id)
    methods = await read(lambda s: {m.id: m for m in methods_of(s.contacts, account_id, email)})
    return og_response({"data": _og_rule_view(rule, order, methods)})


@mount(opsgenie_blueprint, f"{OG}/notification-rules/<rule_id>", ["PATCH"])
async def og_update_rule(identifier: str, rule_id: str) -> Response:
    """Change what the body names (``steps`` replaces the steps)."""
    body = await parse_body(OgRuleIn)
    _og_unsupported(body)
    account_id, email = await subject(identifier)
    old, _ = await find_rule(account_id, rule_id)
    steps = None
    if body.steps is not None:
        steps = step_specs(await _og_steps(account_id, email, body.steps), old)
    command = UpdateNotificationRule(
        account_id=account_id,
        rule_id=rule_id,
        name=body.name,
        enabled=body.enabled,
        order=body.order or None,
        priorities=_og_priorities(body.criteria) if body.criteria else None,
        time_restriction=restriction_of(body.time_restriction) if body.time_restriction else None,
        steps=steps,
    )
    await submit(command)
    rule, order = await find_rule(account_id, rule_id)
    return og_response({"result": "Updated", "data": _og_simple(rule, order)})


@mount(opsgenie_blueprint, f"{OG}/notification-rules/<rule_id>", ["DELETE"])
async def og_delete_rule(identifier: str, rule_id: str) -> Response:
    account_id, _ = await subject(identifier)
    await submit(DeleteNotificationRule(account_id=account_id, rule_id=rule_id))
    return og_response({"result": "Deleted"})
