"""The native API of members' contacts, under ``/api/v1/users/{user}``.

``contact-methods`` (GET, POST; ``/{id}`` GET, PATCH, DELETE; ``/{id}/verify``
``{code}``; ``/{id}/resend-verification``), ``notification-rules`` (GET, POST;
``/{id}`` GET, PATCH, DELETE) and ``quiet-hours`` (GET, PUT). Rules are in
order: the first enabled one matching an alert's priority and time applies.
"""

from __future__ import annotations

import re
from typing import Any, Final, final

import msgspec
from quart import Blueprint, Response

from engine import (
    MAX_ATTEMPTS,
    RESEND_INTERVAL,
    AddNotificationRule,
    DeleteContactMethod,
    DeleteNotificationRule,
    NotificationRule,
    QuietHours,
    ResendVerification,
    Restriction,
    SetQuietHours,
    UpdateNotificationRule,
    VerifyContactMethod,
    methods_of,
    new_id,
    quiet_hours_of,
    rules_of,
    verification_hash,
    verification_of,
)
from web.api.contacts.common import (
    MethodPatch,
    account_timezone,
    add_method,
    change_method,
    find_method,
    find_rule,
    method_out,
    new_code,
    read,
    restriction_of,
    restriction_out,
    send_code,
    smtp_mailer,
    step_specs,
    subject,
    submit,
    weekday,
)
from web.api.schedule_json import WEEKDAYS, RestrictionIn
from web.app import json_response, parse_body, services
from web.compat.opsgenie.wire import timestamp
from web.errors import ApiError

__all__ = ["blueprint"]

blueprint = Blueprint("contacts", __name__)

_CODE: Final = re.compile(r"\d{6}")
_HHMM: Final = re.compile(r"(\d{1,2}):(\d{2})")


@final
class MethodIn(msgspec.Struct, kw_only=True):
    method: str
    address: str
    name: str = ""


@final
class CodeIn(msgspec.Struct, kw_only=True):
    code: str


@final
class StepIn(msgspec.Struct, kw_only=True, rename="camel"):
    contact_method_id: str
    send_after_minutes: int = 0
    enabled: bool = True
    id: str | None = None


@final
class CriteriaIn(msgspec.Struct, kw_only=True):
    priorities: list[str] = msgspec.field(default_factory=list)


@final
class RuleIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A native rule; on PATCH every field is optional and ``timeRestriction: null`` clears."""

    name: str | None = None
    action_type: str | None = None
    enabled: bool | None = None
    order: int | None = None
    criteria: CriteriaIn | None = None
    time_restriction: RestrictionIn | msgspec.UnsetType | None = msgspec.UNSET
    time_zone: str | None = None
    steps: list[StepIn] | None = None


@final
class QuietIn(msgspec.Struct, kw_only=True, rename="camel"):
    """Quiet hours; a PUT replaces them (fields left out take their defaults)."""

    enabled: bool = False
    time_zone: str | None = None
    start: str = "22:00"
    end: str = "07:00"
    days: list[str] | None = None
    except_priorities: list[str] = msgspec.field(default_factory=lambda: ["P1"])


@blueprint.get("/users/<user>/contact-methods")
async def list_methods(user: str) -> Response:
    account_id, email = await subject(user)
    methods = await read(
        lambda s: [method_out(m, s) for m in methods_of(s.contacts, account_id, email)]
    )
    return json_response({"data": methods})


@blueprint.post("/users/<user>/contact-methods")
async def create_method(user: str) -> Response:
    """Add a method (201); an email one is unverified until its code comes back."""
    body = await parse_body(MethodIn)
    account_id, email = await subject(user)
    created = await add_method(account_id, email, body.method, body.address, body.name)
    return json_response({"data": created}, 201)


@blueprint.get("/users/<user>/contact-methods/<method_id>")
async def get_method(user: str, method_id: str) -> Response:
    account_id, email = await subject(user)
    return json_response({"data": (await find_method(account_id, email, method_id))[1]})


@blueprint.patch("/users/<user>/contact-methods/<method_id>")
async def update_method(user: str, method_id: str) -> Response:
    body = await parse_body(MethodPatch)
    account_id, email = await subject(user)
    return json_response({"data": await change_method(account_id, email, method_id, body)})


@blueprint.delete("/users/<user>/contact-methods/<method_id>")
async def delete_method(user: str, method_id: str) -> Response:
    """Delete a method and the rule steps that use it (the account email stays)."""
    account_id, _ = await subject(user)
    await submit(DeleteContactMethod(account_id=account_id, method_id=method_id))
    return json_response({"result": "deleted"})


@blueprint.post("/users/<user>/contact-methods/<method_id>/verify")
async def verify_method(user: str, method_id: str) -> Response:
    """Verify with the mailed code; a wrong one is 422 ``invalid_code`` (five void it)."""
    body = await parse_body(CodeIn)
    account_id, email = await subject(user)
    code = body.code.strip()
    if not _CODE.fullmatch(code):
        raise ApiError(422, "invalid_field", "code must be the 6 digits mailed", field="code")
    await find_method(account_id, email, method_id)
    command = VerifyContactMethod(
        account_id=account_id, method_id=method_id, code_hash=verification_hash(code, method_id)
    )
    await submit(command)
    method, out = await find_method(account_id, email, method_id)
    if method.verified:
        return json_response({"data": out})
    pending = await read(lambda s: verification_of(s.contacts, account_id, method_id))
    if pending is None:
        message = f"wrong code; after {MAX_ATTEMPTS} wrong codes it is void: request a new one"
    else:
        message = f"wrong code; {MAX_ATTEMPTS - pending.attempts} attempts left"
    raise ApiError(422, "invalid_code", message, field="code")


@blueprint.post("/users/<user>/contact-methods/<method_id>/resend-verification")
async def resend_verification(user: str, method_id: str) -> Response:
    """Mail a new code (503 ``smtp_not_configured`` without SMTP; at most once a minute)."""
    account_id, email = await subject(user)
    method, _ = await find_method(account_id, email, method_id)
    mailer = smtp_mailer()
    if mailer is None:
        raise ApiError(503, "smtp_not_configured", "Pulsar has no SMTP server to send codes")
    pending = await read(lambda s: verification_of(s.contacts, account_id, method_id))
    now = services().clock.now()
    if pending is not None and now < pending.sent_at + RESEND_INTERVAL:
        wait = max(1, int((pending.sent_at + RESEND_INTERVAL - now).total_seconds()))
        raise ApiError(
            429,
            "verification_resent_too_soon",
            f"a code was sent less than a minute ago; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    code, code_hash = new_code(method_id)
    await submit(
        ResendVerification(account_id=account_id, method_id=method_id, code_hash=code_hash)
    )
    if await send_code(mailer, method.address, code) != "sent":
        raise ApiError(502, "verification_send_failed", "the code could not be mailed; try again")
    return json_response({"result": "sent"})


def _rule_out(rule: NotificationRule, order: int) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "actionType": rule.action_type,
        "enabled": rule.enabled,
        "order": order,
        "criteria": {"priorities": list(rule.priorities)},
        "timeRestriction": restriction_out(rule.time_restriction),
        "timeZone": rule.timezone,
        "steps": [
            {
                "id": s.id,
                "contactMethodId": s.contact_method_id,
                "sendAfterMinutes": s.send_after_minutes,
                "enabled": s.enabled,
            }
            for s in rule.steps
        ],
        "createdAt": timestamp(rule.created_at),
    }


def _native_steps(steps: list[StepIn]) -> list[tuple[str, int, bool, str | None]]:
    return [(s.contact_method_id, s.send_after_minutes, s.enabled, s.id) for s in steps]


def _restriction(value: RestrictionIn | msgspec.UnsetType | None) -> Restriction | None:
    return restriction_of(value) if isinstance(value, RestrictionIn) else None


@blueprint.get("/users/<user>/notification-rules")
async def list_rules(user: str) -> Response:
    account_id, _ = await subject(user)
    rules = await read(lambda s: rules_of(s.contacts, account_id))
    return json_response({"data": [_rule_out(r, i) for i, r in enumerate(rules, start=1)]})


@blueprint.post("/users/<user>/notification-rules")
async def create_rule(user: str) -> Response:
    """Add a "new alert" rule (201); its time zone defaults to the user's."""
    body = await parse_body(RuleIn)
    account_id, _ = await subject(user)
    if body.name is None:
        raise ApiError(422, "invalid_field", "name is required", field="name")
    command = AddNotificationRule(
        account_id=account_id,
        rule_id=new_id(),
        name=body.name,
        action_type=body.action_type or "create-alert",
        enabled=True if body.enabled is None else body.enabled,
        order=body.order,
        priorities=tuple(body.criteria.priorities) if body.criteria else (),
        time_restriction=_restriction(body.time_restriction),
        timezone=body.time_zone or await account_timezone(account_id),
        steps=step_specs(_native_steps(body.steps or []), None),
    )
    rule_id = await submit(command) or command.rule_id
    return json_response({"data": _rule_out(*await find_rule(account_id, rule_id))}, 201)


@blueprint.get("/users/<user>/notification-rules/<rule_id>")
async def get_rule(user: str, rule_id: str) -> Response:
    account_id, _ = await subject(user)
    return json_response({"data": _rule_out(*await find_rule(account_id, rule_id))})


@blueprint.patch("/users/<user>/notification-rules/<rule_id>")
async def update_rule(user: str, rule_id: str) -> Response:
    """Change what the body names: ``steps`` replaces them, ``timeRestriction: null`` clears."""
    body = await parse_body(RuleIn)
    account_id, _ = await subject(user)
    old, _ = await find_rule(account_id, rule_id)
    if body.action_type not in (None, old.action_type):
        message = f"a rule's actionType cannot change (it is {old.action_type!r})"
        raise ApiError(422, "invalid_field", message, field="actionType")
    command = UpdateNotificationRule(
        account_id=account_id,
        rule_id=rule_id,
        name=body.name,
        enabled=body.enabled,
        order=body.order,
        priorities=tuple(body.criteria.priorities) if body.criteria else None,
        time_restriction=_restriction(body.time_restriction),
        clear_time_restriction=body.time_restriction is None,
        timezone=body.time_zone,
        steps=None if body.steps is None else step_specs(_native_steps(body.steps), old),
    )
    await submit(command)
    return json_response({"data": _rule_out(*await find_rule(account_id, rule_id))})


@blueprint.delete("/users/<user>/notification-rules/<rule_id>")
async def delete_rule(user: str, rule_id: str) -> Response:
    account_id, _ = await subject(user)
    await submit(DeleteNotificationRule(account_id=account_id, rule_id=rule_id))
    return json_response({"result": "deleted"})


# -- quiet hours ---------------------------------------------------------------------------


def _minute(text: str, field: str) -> int:
    match = _HHMM.fullmatch(text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ApiError(422, "invalid_field", f"{field} must be a time of day, HH:MM", field=field)
    return int(match[1]) * 60 + int(match[2])


def _quiet_out(quiet: QuietHours) -> dict[str, Any]:
    return {
        "enabled": quiet.enabled,
        "timeZone": quiet.timezone,
        "start": f"{quiet.start_minute // 60:02d}:{quiet.start_minute % 60:02d}",
        "end": f"{quiet.end_minute // 60:02d}:{quiet.end_minute % 60:02d}",
        "days": [WEEKDAYS[d - 1] for d in quiet.days],
        "exceptPriorities": list(quiet.except_priorities),
    }


@blueprint.get("/users/<user>/quiet-hours")
async def get_quiet_hours(user: str) -> Response:
    account_id, _ = await subject(user)
    quiet = await read(lambda s: quiet_hours_of(s.contacts, account_id))
    return json_response({"data": _quiet_out(quiet)})


@blueprint.put("/users/<user>/quiet-hours")
async def set_quiet_hours(user: str) -> Response:
    """Replace the quiet hours: during them only ``exceptPriorities`` notify."""
    body = await parse_body(QuietIn)
    account_id, _ = await subject(user)
    days = tuple(d for d in (weekday(n, "days") for n in body.days) if d) if body.days else None
    quiet = QuietHours(
        enabled=body.enabled,
        timezone=body.time_zone or await account_timezone(account_id),
        start_minute=_minute(body.start, "start"),
        end_minute=_minute(body.end, "end"),
        days=(1, 2, 3, 4, 5, 6, 7) if body.days is None else (days or ()),
        except_priorities=tuple(body.except_priorities),
    )
    await submit(SetQuietHours(account_id=account_id, quiet_hours=quiet))
    return json_response(
        {"data": _quiet_out(await read(lambda s: quiet_hours_of(s.contacts, account_id)))}
    )
