"""Escalation policies over HTTP: the native ``/api/v1/escalation-policies`` and
Opsgenie's ``/v2/escalations``.

A policy is addressed by id, or by name with ``identifierType=name``. Recipients and
the owner team are given as references — users by id or email (``id`` or
``username``), schedules and teams by id or name — and passed to the engine as given:
the org decider resolves them to ids and refuses anything the organization does not
have (422 naming the field, e.g. ``rules[1].recipient``). Another organization's
policy is not in this organization's state, so it is a 404 like any unknown id.

Native bodies use minutes (``delayMinutes``, ``waitIntervalMinutes``); Opsgenie's use
``delay: {timeAmount, timeUnit}`` and ``waitInterval`` (compat-api.md section 6). A
missing ``condition`` is ``if-not-acked`` and a missing ``notifyType`` ``default``, as
in Opsgenie. Go clients send ``ownerTeam: {}`` and ``"username": ""`` for nothing:
both mean absent. A PATCH replaces the rule list when it gives ``rules``. In the
native API, ``repeat`` fields left out keep their value and ``ownerTeam: null``
removes the owner team; in Opsgenie's, a given ``repeat`` replaces the current one
(Go clients leave its zero fields out) and an absent or empty ``ownerTeam`` keeps it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Final, TypeVar, final

import msgspec
from quart import Blueprint, Response, request

from engine import (
    CreateEscalationPolicy,
    DeleteEscalationPolicy,
    EscalationPolicy,
    EscalationRule,
    OrgState,
    PulsarError,
    Recipient,
    Repeat,
    UpdateEscalationPolicy,
    find_policy,
    new_id,
    team_by_name,
)
from web.app import command_context, json_response, parse_body, principal, services
from web.compat.opsgenie.wire import install_error_handlers, og_error, og_response
from web.compat.prefix import mount
from web.errors import ApiError, from_engine

__all__ = ["blueprint", "opsgenie_blueprint"]

blueprint = Blueprint("escalations", __name__)
opsgenie_blueprint = Blueprint("opsgenie_escalations", __name__)
install_error_handlers(opsgenie_blueprint)

T = TypeVar("T")
MAX_PAGE: Final = 100
_UNIT_MINUTES: Final = {"": 1, "minutes": 1, "hours": 60, "days": 1440}


# -- bodies --------------------------------------------------------------------------------


@final
class RefIn(msgspec.Struct, kw_only=True):
    """A ``{type, id|name|username}`` reference (a recipient, or an owner team)."""

    type: str = ""
    id: str = ""
    name: str = ""
    username: str = ""

    def key(self) -> str:
        """The identifier given: id first, then username, then name."""
        return (self.id or self.username or self.name).strip()


@final
class RuleIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A native rule: page ``recipient`` ``delayMinutes`` after the alert was created."""

    recipient: RefIn
    condition: str = "if-not-acked"
    delay_minutes: int = 0
    notify_type: str = "default"


@final
class RepeatIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A native repeat; fields left out are 0/false on create and unchanged on PATCH."""

    wait_interval_minutes: int | None = None
    count: int | None = None
    reset_recipient_states: bool | None = None
    close_alert_after_all: bool | None = None


@final
class PolicyIn(msgspec.Struct, kw_only=True, rename="camel"):
    """A native create or PATCH body; ``ownerTeam`` is an id, a name or ``{id|name}``."""

    name: str | None = None
    description: str | None = None
    owner_team: str | RefIn | msgspec.UnsetType | None = msgspec.UNSET
    rules: list[RuleIn] | None = None
    repeat: RepeatIn | None = None


@final
class OgDelay(msgspec.Struct, kw_only=True, rename="camel"):
    time_amount: int = 0
    time_unit: str = "minutes"


@final
class OgRule(msgspec.Struct, kw_only=True, rename="camel"):
    recipient: RefIn
    condition: str = "if-not-acked"
    notify_type: str = "default"
    delay: OgDelay = msgspec.field(default_factory=OgDelay)


@final
class OgRepeat(msgspec.Struct, kw_only=True, rename="camel"):
    wait_interval: int | None = None
    count: int | None = None
    reset_recipient_states: bool | None = None
    close_alert_after_all: bool | None = None


@final
class OgPolicyIn(msgspec.Struct, kw_only=True, rename="camel"):
    """An Opsgenie create or update body (``name`` and ``rules`` are required on create)."""

    name: str | None = None
    description: str | None = None
    owner_team: str | RefIn | None = None
    rules: list[OgRule] | None = None
    repeat: OgRepeat | None = None


def _word(value: str) -> str:
    return value.strip().lower()


def _recipient(ref: RefIn) -> Recipient:
    """The recipient as given (the engine resolves emails and names to ids)."""
    return Recipient(type=_word(ref.type), id=ref.key())


def _native_rule(rule: RuleIn) -> EscalationRule:
    return EscalationRule(
        condition=_word(rule.condition) or "if-not-acked",
        delay_minutes=rule.delay_minutes,
        recipient=_recipient(rule.recipient),
        notify_type=_word(rule.notify_type) or "default",
    )


def _og_rule(rule: OgRule, index: int) -> EscalationRule:
    factor = _UNIT_MINUTES.get(_word(rule.delay.time_unit))
    if factor is None:
        msg = "delay.timeUnit must be minutes, hours or days"
        raise ApiError(422, "invalid_field", msg, field=f"rules[{index}].delay")
    return EscalationRule(
        condition=_word(rule.condition) or "if-not-acked",
        delay_minutes=rule.delay.time_amount * factor,
        recipient=_recipient(rule.recipient),
        notify_type=_word(rule.notify_type) or "default",
    )


def _repeat(body: RepeatIn | OgRepeat | None, base: Repeat) -> Repeat:
    """``base`` with the fields ``body`` gives."""
    if body is None:
        return base
    wait = body.wait_interval_minutes if isinstance(body, RepeatIn) else body.wait_interval
    return Repeat(
        wait_interval_minutes=base.wait_interval_minutes if wait is None else wait,
        count=base.count if body.count is None else body.count,
        reset_recipient_states=(
            base.reset_recipient_states
            if body.reset_recipient_states is None
            else body.reset_recipient_states
        ),
        close_alert_after_all=(
            base.close_alert_after_all
            if body.close_alert_after_all is None
            else body.close_alert_after_all
        ),
    )


def _owner(value: str | RefIn | None) -> str | None:
    """``ownerTeam`` (id or name) as a string; ``None`` for absent, ``{}`` or ``""``."""
    if isinstance(value, RefIn):
        return value.key() or None
    return (value or "").strip() or None


# -- answers -------------------------------------------------------------------------------


@final
class Names(msgspec.Struct, frozen=True, kw_only=True):
    """Who the ids of an organization are, copied in the same read as the policies."""

    users: dict[str, tuple[str, str]]  # account id -> (name, email)
    teams: dict[str, str]
    schedules: dict[str, str]

    def of(self, recipient: Recipient) -> str:
        """A recipient's display name: a user's name (else email), a team's or schedule's."""
        if recipient.type == "user":
            name, email = self.users.get(recipient.id, ("", recipient.id))
            return name or email
        table = self.teams if recipient.type == "team" else self.schedules
        return table.get(recipient.id, recipient.id)


def names_of(state: OrgState) -> Names:
    return Names(
        users={m.account_id: (m.name, m.email) for m in state.access.members.values()},
        teams={t.id: t.name for t in state.teams.teams.values()},
        schedules={r.schedule.id: r.schedule.name for r in state.schedules.schedules.values()},
    )


def policy_out(policy: EscalationPolicy, names: Names) -> dict[str, Any]:
    """The native JSON of a policy."""
    owner = policy.owner_team_id
    team = None if owner is None else {"id": owner, "name": names.teams.get(owner, owner)}
    return {
        "id": policy.id,
        "name": policy.name,
        "description": policy.description,
        "ownerTeam": team,
        "rules": [
            {
                "condition": r.condition,
                "delayMinutes": r.delay_minutes,
                "recipient": {
                    "type": r.recipient.type,
                    "id": r.recipient.id,
                    "name": names.of(r.recipient),
                },
                "notifyType": r.notify_type,
            }
            for r in policy.rules
        ],
        "repeat": {
            "waitIntervalMinutes": policy.repeat.wait_interval_minutes,
            "count": policy.repeat.count,
            "resetRecipientStates": policy.repeat.reset_recipient_states,
            "closeAlertAfterAll": policy.repeat.close_alert_after_all,
        },
        "version": policy.version,
        "createdAt": policy.created_at,
        "updatedAt": policy.updated_at,
    }


def _og_recipient(recipient: Recipient, names: Names) -> dict[str, str]:
    if recipient.type == "user":
        email = names.users.get(recipient.id, ("", recipient.id))[1]
        return {"type": "user", "id": recipient.id, "username": email}
    return {"type": recipient.type, "id": recipient.id, "name": names.of(recipient)}


def og_policy_out(policy: EscalationPolicy, names: Names) -> dict[str, Any]:
    """Opsgenie's escalation object (``ownerTeam`` only when there is one)."""
    out: dict[str, Any] = {"id": policy.id, "name": policy.name, "description": policy.description}
    if policy.owner_team_id is not None:
        team = policy.owner_team_id
        out["ownerTeam"] = {"id": team, "name": names.teams.get(team, team)}
    out["rules"] = [
        {
            "condition": r.condition,
            "notifyType": r.notify_type,
            "delay": {"timeAmount": r.delay_minutes, "timeUnit": "minutes"},
            "recipient": _og_recipient(r.recipient, names),
        }
        for r in policy.rules
    ]
    out["repeat"] = {
        "waitInterval": policy.repeat.wait_interval_minutes,
        "count": policy.repeat.count,
        "resetRecipientStates": policy.repeat.reset_recipient_states,
        "closeAlertAfterAll": policy.repeat.close_alert_after_all,
    }
    return out


# -- shared operations ---------------------------------------------------------------------


async def _read(fn: Callable[[OrgState], T]) -> T:
    return await services().supervisor.read(principal().org_id, fn)


def _by_name() -> bool:
    kind = request.args.get("identifierType", "id") or "id"
    if kind not in ("id", "name"):
        msg = "identifierType must be id or name"
        raise ApiError(422, "invalid_field", msg, field="identifierType")
    return kind == "name"


async def _find(identifier: str) -> EscalationPolicy:
    """The current policy ``identifier`` names (404 ``escalation_policy_not_found``)."""
    by_name = _by_name()
    return await _read(lambda s: find_policy(s.escalations, identifier, by_name=by_name))


async def _named(policy_id: str) -> tuple[EscalationPolicy, Names]:
    """The policy (after a write) and the names of what it names, in one read."""
    return await _read(lambda s: (find_policy(s.escalations, policy_id), names_of(s)))


async def _submit(
    command: CreateEscalationPolicy | UpdateEscalationPolicy | DeleteEscalationPolicy,
) -> str:
    """Submit ``command``; the id of the policy it made or changed.

    A create retried with the same Idempotency-Key answers the policy the first
    attempt made, not the new id of the retry.
    """
    key = principal()
    outcome = await services().supervisor.submit(key.org_id, command, await command_context(key))
    return outcome.subject_id or command.policy_id


def _required(value: T | None, field: str) -> T:
    if value is None:
        raise ApiError(422, "invalid_field", f"{field} is required", field=field)
    return value


# -- native API (/api/v1) ------------------------------------------------------------------

PATH = "/escalation-policies"


def _native_owner(value: str | RefIn | msgspec.UnsetType | None) -> str | None:
    """The command's ``owner_team``: ``None`` unchanged (absent), ``""`` none (``null``)."""
    if isinstance(value, msgspec.UnsetType):
        return None
    return _owner(value) or ""


def _native_rules(body: PolicyIn) -> tuple[EscalationRule, ...] | None:
    return None if body.rules is None else tuple(_native_rule(r) for r in body.rules)


@blueprint.post(PATH)
async def create_policy() -> Response:
    """Create a policy (201 with it); its name is unique in the organization, ignoring case."""
    body = await parse_body(PolicyIn)
    command = CreateEscalationPolicy(
        policy_id=new_id(),
        name=_required(body.name, "name"),
        description=body.description or "",
        owner_team=_native_owner(body.owner_team) or None,
        rules=_required(_native_rules(body), "rules"),
        repeat=_repeat(body.repeat, Repeat()),
    )
    policy_id = await _submit(command)
    return json_response({"data": policy_out(*await _named(policy_id))}, 201)


def _limit() -> int:
    raw = request.args.get("limit", str(MAX_PAGE))
    limit = int(raw) if raw.isdigit() else 0
    if not 1 <= limit <= MAX_PAGE:
        msg = f"limit must be between 1 and {MAX_PAGE}"
        raise ApiError(422, "invalid_field", msg, field="limit")
    return limit


def _sort_key(policy: EscalationPolicy) -> tuple[str, str]:
    return policy.name.casefold(), policy.id


def _encode_cursor(policy: EscalationPolicy) -> str:
    data = msgspec.json.encode(_sort_key(policy))
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[str, str] | None:
    """The (name key, id) a page continues after; ``None`` for the first page."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=tuple[str, str])
    except (binascii.Error, ValueError, msgspec.ValidationError, msgspec.DecodeError):
        raise ApiError(422, "invalid_field", "cursor is malformed", field="cursor") from None


def _team_id(state: OrgState, team: str) -> str:
    """The id of the team ``team`` names (id, or name ignoring case); as given if none."""
    if team in state.teams.teams:
        return team
    found = team_by_name(state.teams, team)
    return team if found is None else found.id


@blueprint.get(PATH)
async def list_policies() -> Response:
    """The policies by name, ``limit`` (1-100, default 100) after ``cursor``.

    ``team`` (a team's id or name) keeps the policies that team owns. The answer's
    ``next_cursor`` continues the list (``null`` on the last page).
    """
    limit = _limit()
    after = _decode_cursor(request.args.get("cursor"))
    team = request.args.get("team")

    def view(state: OrgState) -> tuple[list[EscalationPolicy], Names]:
        owner = _team_id(state, team) if team else None
        chosen = sorted(
            (
                p
                for p in state.escalations.policies.values()
                if (owner is None or p.owner_team_id == owner)
                and (after is None or _sort_key(p) > after)
            ),
            key=_sort_key,
        )
        return chosen[: limit + 1], names_of(state)

    page, names = await _read(view)
    next_cursor = _encode_cursor(page[limit - 1]) if len(page) > limit else None
    data = [policy_out(p, names) for p in page[:limit]]
    return json_response({"data": data, "next_cursor": next_cursor})


@blueprint.get(f"{PATH}/<identifier>")
async def get_policy(identifier: str) -> Response:
    policy = await _find(identifier)
    return json_response({"data": policy_out(*await _named(policy.id))})


@blueprint.patch(f"{PATH}/<identifier>")
async def update_policy(identifier: str) -> Response:
    """Change the given fields (a new version); ``rules`` replaces the whole list."""
    body = await parse_body(PolicyIn)
    policy = await _find(identifier)
    command = UpdateEscalationPolicy(
        policy_id=policy.id,
        name=body.name,
        description=body.description,
        owner_team=_native_owner(body.owner_team),
        rules=_native_rules(body),
        repeat=_repeat(body.repeat, policy.repeat),
    )
    await _submit(command)
    return json_response({"data": policy_out(*await _named(policy.id))})


@blueprint.delete(f"{PATH}/<identifier>")
async def delete_policy(identifier: str) -> Response:
    """Delete a policy; escalations already following it keep their version."""
    policy = await _find(identifier)
    await _submit(DeleteEscalationPolicy(policy_id=policy.id))
    return json_response({"result": "deleted"})


# -- Opsgenie-compatible API (/v2) ---------------------------------------------------------

OG = "/v2/escalations"
# Engine field names (the native API's) as Opsgenie's clients call them.
_OG_FIELDS: Final = {".delayMinutes": ".delay", ".waitIntervalMinutes": ".waitInterval"}


@opsgenie_blueprint.errorhandler(PulsarError)
async def _engine_error(error: PulsarError) -> Response:
    """Engine errors with their own message, fields named as Opsgenie names them."""
    field = error.field
    for native, opsgenie in _OG_FIELDS.items():
        field = field.replace(native, opsgenie) if field else field
    return og_error(from_engine(error).status_code, error.message, field=field)


def _og_rules(body: OgPolicyIn) -> tuple[EscalationRule, ...] | None:
    if body.rules is None:
        return None
    return tuple(_og_rule(rule, index) for index, rule in enumerate(body.rules))


@mount(opsgenie_blueprint, OG, ["POST"])
async def og_create() -> Response:
    """Create (201 ``{"result": "Created", "data": {id, name}}``)."""
    body = await parse_body(OgPolicyIn)
    command = CreateEscalationPolicy(
        policy_id=new_id(),
        name=_required(body.name, "name"),
        description=body.description or "",
        owner_team=_owner(body.owner_team),
        rules=_required(_og_rules(body), "rules"),
        repeat=_repeat(body.repeat, Repeat()),
    )
    policy, _ = await _named(await _submit(command))
    return og_response({"result": "Created", "data": {"id": policy.id, "name": policy.name}}, 201)


@mount(opsgenie_blueprint, OG, ["GET"])
async def og_list() -> Response:
    def view(state: OrgState) -> list[dict[str, Any]]:
        names = names_of(state)
        policies = sorted(state.escalations.policies.values(), key=_sort_key)
        return [og_policy_out(p, names) for p in policies]

    return og_response({"data": await _read(view)})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["GET"])
async def og_get(identifier: str) -> Response:
    policy = await _find(identifier)
    return og_response({"data": og_policy_out(*await _named(policy.id))})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["PATCH"])
async def og_update(identifier: str) -> Response:
    """Change the given fields; ``rules`` and ``repeat`` replace, an empty ``ownerTeam`` keeps."""
    body = await parse_body(OgPolicyIn, optional=True)
    policy = await _find(identifier)
    command = UpdateEscalationPolicy(
        policy_id=policy.id,
        name=body.name,
        description=body.description,
        owner_team=_owner(body.owner_team),
        rules=_og_rules(body),
        # Go clients send the whole repeat with its zero fields left out: a given
        # repeat replaces the current one.
        repeat=None if body.repeat is None else _repeat(body.repeat, Repeat()),
    )
    await _submit(command)
    after, _ = await _named(policy.id)
    return og_response({"result": "Updated", "data": {"id": after.id, "name": after.name}})


@mount(opsgenie_blueprint, f"{OG}/<identifier>", ["DELETE"])
async def og_delete(identifier: str) -> Response:
    policy = await _find(identifier)
    await _submit(DeleteEscalationPolicy(policy_id=policy.id))
    return og_response({"result": "Deleted"})
