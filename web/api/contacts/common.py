"""What the native and the Opsgenie contact APIs share: who, reads, writes, mail, JSON.

``subject`` resolves the ``{user}`` of a path (an account id, an email, or
``me``) and enforces who may: the user themselves, or a principal with the
CONFIGURE permission. ``add_method``/``change_method`` are the writes of contact
methods with their verification mail (and a URL whose host is a refused literal
address, e.g. ``http://127.0.0.1/``, is a 422 at once: ``check_destination``); the
rest converts time restrictions (Opsgenie's JSON, shared with schedules) and finds
rules.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar, final

import msgspec

from engine import (
    DEFAULT_EMAIL_METHOD_ID,
    AddContactMethod,
    Command,
    ContactMethod,
    DeliveryError,
    NotificationRule,
    OrgState,
    OutboundPolicy,
    Permission,
    Restriction,
    StepSpec,
    TimeWindow,
    UpdateContactMethod,
    member_by_email,
    method_of,
    new_id,
    rule_of,
    rules_of,
    verification_hash,
    verification_of,
)
from web.api.membership import find_user
from web.api.schedule_json import WEEKDAYS, RestrictionIn, WindowIn
from web.app import command_context, principal, services
from web.compat.opsgenie.wire import timestamp
from web.errors import ApiError

__all__ = [
    "MethodPatch",
    "account_timezone",
    "add_method",
    "change_method",
    "check_destination",
    "find_method",
    "find_rule",
    "member_named",
    "method_out",
    "new_code",
    "read",
    "restriction_of",
    "restriction_out",
    "send_code",
    "smtp_mailer",
    "step_specs",
    "subject",
    "weekday",
]

T = TypeVar("T")
_URL_METHODS = frozenset({"slack", "teams", "webhook"})  # addresses that may be URLs


@final
class MethodPatch(msgspec.Struct, kw_only=True):
    """Fields left out (or ``null``) stay as they are; a new email address is re-verified."""

    name: str | None = None
    address: str | None = None
    enabled: bool | None = None


# -- who, reads and writes -----------------------------------------------------------------


async def read(fn: Callable[[OrgState], T]) -> T:
    return await services().supervisor.read(principal().org_id, fn)


async def submit(command: Command) -> str | None:
    """Submit ``command`` for the caller's organization; the outcome's subject id."""
    who = principal()
    outcome = await services().supervisor.submit(who.org_id, command, await command_context(who))
    return outcome.subject_id


async def subject(identifier: str) -> tuple[str, str]:
    """``(account id, email)`` of the member ``identifier`` names, if the caller may see them.

    404 ``user_not_found`` for anyone not a member here; 403 unless the caller is
    that user or holds CONFIGURE.
    """
    who = principal()
    found = await member_named(identifier)
    if not (who.kind == "user" and who.id == found[0]) and not who.can(Permission.CONFIGURE):
        raise ApiError(
            403, "forbidden", "only the user or an admin may see or change their contacts"
        )
    return found


async def member_named(identifier: str) -> tuple[str, str]:
    """``(account id, email)`` of the member named by id, email or ``me`` (the signed-in
    user; 422 for an API key); 404 ``user_not_found`` for anyone not a member here."""
    who = principal()
    wanted = identifier
    if identifier == "me":
        if who.kind != "user":
            message = "'me' is a signed-in user; with an API key, name the user by id or email"
            raise ApiError(422, "invalid_field", message, field="user")
        wanted = who.id

    def view(state: OrgState) -> tuple[str, str] | None:
        member = state.access.members.get(wanted)
        if member is None and "@" in wanted:
            member = member_by_email(state.access, wanted)
        return None if member is None else (member.account_id, member.email)

    found = await read(view)
    if found is None:
        raise ApiError(404, "user_not_found", f"user {identifier!r} is not a member")
    return found


async def account_timezone(account_id: str) -> str:
    """The account's time zone (the default of rules and quiet hours)."""
    return (await find_user(principal().org_id, account_id)).timezone


def smtp_mailer() -> Any:
    transports = services().extra.get("transports")
    return None if transports is None else getattr(transports, "mailer", None)


async def send_code(mailer: Any, address: str, code: str) -> str:
    """Mail ``code`` to ``address``: ``sent`` or ``send_failed``."""
    org = await read(lambda s: s.access.name)
    text = (
        f"Your Pulsar verification code is {code}.\n\n"
        f"Enter it to confirm that notifications from {org} may be sent to {address}. "
        "It expires in 15 minutes.\n\nIf you did not ask for this, ignore this email.\n"
    )
    try:
        await mailer.send_mail(address, f"Pulsar verification code {code}", text)
    except DeliveryError:
        return "send_failed"
    return "sent"


def new_code(method_id: str) -> tuple[str, str]:
    """A fresh six-digit code and its stored hash."""
    code = f"{secrets.randbelow(10**6):06d}"
    return code, verification_hash(code, method_id)


# -- contact methods -----------------------------------------------------------------------


def method_out(method: ContactMethod, state: OrgState) -> dict[str, Any]:
    pending = verification_of(state.contacts, method.account_id, method.id)
    return {
        "id": method.id,
        "method": method.method,
        "address": method.address,
        "name": method.name,
        "enabled": method.enabled,
        "verified": method.verified,
        "default": method.id == DEFAULT_EMAIL_METHOD_ID,
        "verificationPending": pending is not None,
        "createdAt": timestamp(method.created_at),
    }


async def find_method(
    account_id: str, email: str, method_id: str
) -> tuple[ContactMethod, dict[str, Any]]:
    def view(state: OrgState) -> tuple[ContactMethod, dict[str, Any]] | None:
        found = method_of(state.contacts, account_id, email, method_id)
        return None if found is None else (found, method_out(found, state))

    found = await read(view)
    if found is None:
        raise ApiError(
            404, "contact_method_not_found", f"contact method {method_id!r} does not exist"
        )
    return found


def check_destination(method: str, address: str | None) -> None:
    """422 when a URL method's address names a host Pulsar will not send to.

    Only a literal IP (or ``localhost``) is judged here; a host name is checked
    each time a notification connects (``engine.delivery.guard``).
    """
    if method not in _URL_METHODS or address is None:
        return
    if not address.strip().lower().startswith(("http://", "https://")):
        return  # a Slack channel id, or a bad URL the engine's checks name
    policy = OutboundPolicy.from_setting(services().config.outbound_allowed_networks)
    reason = policy.host_refusal(address.strip())
    if reason is not None:
        raise ApiError(422, "invalid_field", reason, field="address")


async def add_method(
    account_id: str, email: str, method: str, address: str, name: str = ""
) -> dict[str, Any]:
    """Add a method; mail an email's code. The answer shows a webhook's secret (once)."""
    check_destination(method, address)
    method_id = new_id()
    mailer = smtp_mailer() if method == "email" else None
    code, code_hash = new_code(method_id) if mailer is not None else (None, None)
    secret = secrets.token_urlsafe(32) if method == "webhook" else None
    command = AddContactMethod(
        account_id=account_id,
        method_id=method_id,
        method=method,
        address=address,
        name=name,
        secret=secret,
        code_hash=code_hash,
    )
    stored_id = await submit(command) or method_id
    created, out = await find_method(account_id, email, stored_id)
    if stored_id != method_id:  # a retry with the same Idempotency-Key: sent the first time
        return {**out, "verification": "see_first_response"}
    if secret is not None:
        out["secret"] = secret
    if created.method != "email":
        out["verification"] = "not_needed"
    elif mailer is None or code is None:
        out["verification"] = "smtp_not_configured"
    else:
        out["verification"] = await send_code(mailer, created.address, code)
    return out


async def change_method(
    account_id: str, email: str, method_id: str, body: MethodPatch
) -> dict[str, Any]:
    """Change a method; a new email address gets a new code (when SMTP is configured)."""
    old, _ = await find_method(account_id, email, method_id)
    check_destination(old.method, body.address)
    mailer = smtp_mailer() if old.method == "email" and body.address is not None else None
    code, code_hash = new_code(method_id) if mailer is not None else (None, None)
    command = UpdateContactMethod(
        account_id=account_id,
        method_id=method_id,
        name=body.name,
        address=body.address,
        enabled=body.enabled,
        code_hash=code_hash,
    )
    await submit(command)
    new, out = await find_method(account_id, email, method_id)
    if old.method == "email" and new.address != old.address:
        sent = "smtp_not_configured" if mailer is None or code is None else None
        out["verification"] = sent or await send_code(mailer, new.address, str(code))
    return out


# -- notification rules --------------------------------------------------------------------


def window_out(w: TimeWindow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "startHour": w.start_minute // 60,
        "startMin": w.start_minute % 60,
        "endHour": w.end_minute // 60,
        "endMin": w.end_minute % 60,
    }
    if w.start_day is not None and w.end_day is not None:
        out = {"startDay": WEEKDAYS[w.start_day - 1], "endDay": WEEKDAYS[w.end_day - 1], **out}
    return out


def restriction_out(r: Restriction | None) -> dict[str, Any] | None:
    if r is None:
        return None
    if r.type == "time-of-day":
        return {"type": r.type, "restriction": window_out(r.windows[0])}
    return {"type": r.type, "restrictions": [window_out(w) for w in r.windows]}


def weekday(name: str | None, field: str) -> int | None:
    if name is None:
        return None
    try:
        return WEEKDAYS.index(name.strip().lower()) + 1
    except ValueError:
        raise ApiError(422, "invalid_field", f"unknown weekday {name!r}", field=field) from None


def window_of(w: WindowIn) -> TimeWindow:
    for value, limit in ((w.start_hour, 24), (w.end_hour, 24), (w.start_min, 60), (w.end_min, 60)):
        if not 0 <= value < limit:
            msg = "hours must be 0-23 and minutes 0-59"
            raise ApiError(422, "invalid_field", msg, field="timeRestriction")
    return TimeWindow(
        start_day=weekday(w.start_day, "timeRestriction"),
        start_minute=w.start_hour * 60 + w.start_min,
        end_day=weekday(w.end_day, "timeRestriction"),
        end_minute=w.end_hour * 60 + w.end_min,
    )


def restriction_of(body: RestrictionIn) -> Restriction:
    windows = list(body.restrictions or ())
    if body.restriction is not None:
        windows.insert(0, body.restriction)
    return Restriction(type=body.type, windows=tuple(window_of(w) for w in windows))


async def find_rule(account_id: str, rule_id: str) -> tuple[NotificationRule, int]:
    """The rule and its 1-based position; 404 ``notification_rule_not_found``."""

    def view(state: OrgState) -> tuple[NotificationRule, int] | None:
        ids = [r.id for r in rules_of(state.contacts, account_id)]
        found = rule_of(state.contacts, account_id, rule_id)
        return None if found is None else (found, ids.index(rule_id) + 1)

    found = await read(view)
    if found is None:
        raise ApiError(
            404, "notification_rule_not_found", f"notification rule {rule_id!r} does not exist"
        )
    return found


def step_specs(
    steps: list[tuple[str, int, bool, str | None]], old: NotificationRule | None
) -> tuple[StepSpec, ...]:
    """Steps ``(method id, delay, enabled, id)``; one without id keeps a matching old step's."""
    old_ids = {
        (s.contact_method_id, s.send_after_minutes): s.id for s in (old.steps if old else ())
    }
    return tuple(
        StepSpec(
            id=step_id or old_ids.get((method_id, delay)) or new_id(),
            contact_method_id=method_id,
            send_after_minutes=delay,
            enabled=enabled,
        )
        for method_id, delay, enabled, step_id in steps
    )
