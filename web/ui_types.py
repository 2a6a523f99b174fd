"""The JSON shapes the web app sends and reads, and their TypeScript.

The web app's API types (``web/ui/src/lib/api/types.gen.ts``) are generated
from this module and never written by hand. It lists the msgspec Structs the
API decodes (requests) and encodes (responses). Where a route builds its
answer as a plain dict, a Struct here describes that dict; the integration
test ``tests/integration/test_ui_types_contract.py`` decodes real answers of
a running app into these Structs (unknown fields forbidden), so a field added,
renamed or retyped on the server fails a test instead of the UI.

    python -m web.ui_types           # rewrite the TypeScript file
    python -m web.ui_types --check   # exit 1 if it is stale (a unit test runs this)

Rendering rules: a Struct becomes an ``interface`` (its docstring the JSDoc);
a tagged union a union of interfaces with a literal ``type``; ``datetime`` is
``string`` (RFC 3339); ``None`` is ``null``. In a request, a field with a
default is optional (``?``); in a response it is always present, except in
Structs with ``omit_defaults`` (where it may be left out). A Struct used in both
directions is rendered twice, the request form named ``<Name>Input``.
"""

from __future__ import annotations

import functools
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, final

import msgspec
import msgspec.inspect as mi

from engine import AlertEvent, Event, FieldMapping, PagingEvent, Responder
from web.api import heartbeats, teams, users
from web.api.api_keys import ApiKeyIn
from web.api.auth import AcceptIn, LoginIn, PasswordIn, ProfileIn, RegisterIn
from web.api.integrations import CreateIntegrationRequest, UpdateIntegrationRequest
from web.api.schemas import (
    ActionRequest,
    AlertOut,
    CreateAlertRequest,
    HistoryEntry,
    NoteRequest,
    PriorityRequest,
    SnoozeRequest,
    TagsRequest,
)
from web.ws import protocol as ws

__all__ = ["OUTPUT", "REQUESTS", "RESPONSES", "render"]

OUTPUT = Path(__file__).parent / "ui" / "src" / "lib" / "api" / "types.gen.ts"

# Descriptions of dict answers: unknown fields fail the contract test; a field with a
# default may be absent from the answer (so it is optional in TypeScript).
_STRICT: dict[str, Any] = {"kw_only": True, "forbid_unknown_fields": True, "omit_defaults": True}

# --- responses built as dicts, described ------------------------------------------------


@final
class ErrorBody(msgspec.Struct, **_STRICT):
    """Every 4xx/5xx answer (README "Errors")."""

    code: str
    message: str
    request_id: str
    field: str | None = None


@final
class UserOut(msgspec.Struct, **_STRICT):
    """The signed-in account."""

    id: str
    email: str
    name: str
    timezone: str
    locale: str


@final
class OrganizationOut(msgspec.Struct, **_STRICT):
    """An organization and the signed-in account's role in it."""

    id: str
    name: str
    role: str | None


@final
class SignIn(msgspec.Struct, **_STRICT):
    """Answer of register, login, refresh, password change and organization switch."""

    access_token: str
    token_type: str
    expires_in: int
    user: UserOut
    organization: OrganizationOut
    request_id: str


@final
class Me(msgspec.Struct, **_STRICT):
    """``GET /api/v1/auth/me``."""

    user: UserOut
    organization: OrganizationOut
    organizations: list[OrganizationOut]
    permissions: list[str]
    request_id: str


@final
class ProfileUpdated(msgspec.Struct, **_STRICT):
    """``PATCH /api/v1/auth/me``."""

    user: UserOut
    request_id: str


@final
class AlertList(msgspec.Struct, **_STRICT):
    """``GET /api/v1/alerts``: one page, and the cursor of the next (null on the last)."""

    data: list[AlertOut]
    next_cursor: str | None
    request_id: str


@final
class AlertOne(msgspec.Struct, **_STRICT):
    """``GET /api/v1/alerts/{id}``."""

    data: AlertOut
    request_id: str


@final
class CreateAlertResult(msgspec.Struct, **_STRICT):
    """``POST /api/v1/alerts`` (202): created, or counted as a repeat of an open alert."""

    result: str
    alert_id: str
    request_id: str
    tiny_id: str | None = None
    count: int | None = None


@final
class AlertActionResult(msgspec.Struct, **_STRICT):
    """An alert action (200) with the alert as it is after it."""

    result: str
    alert_id: str
    request_id: str
    tiny_id: str | None = None
    count: int | None = None
    data: AlertOut | None = None


@final
class AlertHistory(msgspec.Struct, **_STRICT):
    """``GET /api/v1/alerts/{id}/history``: the alert's events, oldest first."""

    data: list[HistoryEntry]  # the server's own Struct (web.api.schemas)
    request_id: str


@final
class IntegrationOut(msgspec.Struct, **_STRICT):
    """An integration (never its key, except ``key``/``url`` in the create answer)."""

    id: str
    name: str
    type: str
    team: str | None
    enabled: bool
    priorityLabel: str
    mapping: FieldMapping
    createdAt: datetime
    updatedAt: datetime
    key: str | None = None
    url: str | None = None


@final
class IntegrationList(msgspec.Struct, **_STRICT):
    data: list[IntegrationOut]
    request_id: str


@final
class IntegrationOne(msgspec.Struct, **_STRICT):
    data: IntegrationOut
    request_id: str
    message: str | None = None


@final
class HeartbeatList(msgspec.Struct, **_STRICT):
    """``GET /api/v1/heartbeats``: every heartbeat, by name."""

    data: list[heartbeats.HeartbeatOut]  # the server's own Struct
    request_id: str


@final
class HeartbeatOne(msgspec.Struct, **_STRICT):
    data: heartbeats.HeartbeatOut
    request_id: str


@final
class AuditActor(msgspec.Struct, **_STRICT):
    """Who caused an event: ``kind`` user, api_key, integration or system, and its id."""

    kind: str
    id: str
    remote_addr: str
    user_agent: str


@final
class AuditEntry(msgspec.Struct, **_STRICT):
    """One event of the organization's log, secrets redacted (``event`` has its ``type``)."""

    version: int
    type: str
    recorded_at: datetime
    actor: AuditActor
    request_id: str
    event: dict[str, Any]


@final
class AuditPage(msgspec.Struct, **_STRICT):
    """``GET /api/v1/audit``: newest first; follow ``next_cursor`` until it is null."""

    data: list[AuditEntry]
    next_cursor: int | None
    request_id: str


@final
class ParticipantOut(msgspec.Struct, **_STRICT):
    """A rotation participant or override holder: a ``user`` (``id``, ``username`` its
    email), a ``team`` (``id``, ``name``) or ``none`` (nobody)."""

    type: str
    id: str | None = None
    username: str | None = None
    name: str | None = None


@final
class RecipientOut(msgspec.Struct, **_STRICT):
    """Someone on call: a user (named by email) or a team."""

    id: str
    name: str
    type: str


@final
class RotationOut(msgspec.Struct, **_STRICT):
    """A rotation, in Opsgenie's shape (``customUnit`` only for ``custom``)."""

    id: str
    name: str
    type: str
    length: int
    startDate: str
    participants: list[ParticipantOut]
    customUnit: str | None = None
    endDate: str | None = None
    timeRestriction: dict[str, Any] | None = None


@final
class TeamRef(msgspec.Struct, **_STRICT):
    id: str
    name: str


@final
class ScheduleOut(msgspec.Struct, **_STRICT):
    """A schedule with its rotations (overrides are listed separately)."""

    id: str
    name: str
    description: str
    timezone: str
    enabled: bool
    rotations: list[RotationOut] | None = None
    ownerTeam: TeamRef | None = None
    overrides: list[OverrideOut] | None = None  # in ``GET /schedules/{id}`` only


@final
class ScheduleList(msgspec.Struct, **_STRICT):
    """``GET /api/v1/schedules``: by name, one page (``next_cursor`` null on the last)."""

    data: list[ScheduleOut]
    next_cursor: str | None
    request_id: str


@final
class ScheduleOne(msgspec.Struct, **_STRICT):
    data: ScheduleOut
    request_id: str


@final
class ScheduleRef(msgspec.Struct, **_STRICT):
    id: str
    name: str
    enabled: bool


@final
class OnCallNow(msgspec.Struct, **_STRICT):
    """Who is on call at ``date`` and from which rotations (``rotation:…``) or overrides."""

    _parent: ScheduleRef
    date: str
    users: list[str]
    participants: list[RecipientOut]
    sources: list[str]


@final
class OnCalls(msgspec.Struct, **_STRICT):
    """``GET /api/v1/schedules/{id}/on-calls``."""

    data: OnCallNow
    request_id: str


@final
class PeriodOut(msgspec.Struct, **_STRICT):
    """A period of the final timeline: one on-call set in [startDate, endDate)."""

    startDate: str
    endDate: str
    users: list[str]
    participants: list[RecipientOut]
    sources: list[str]


@final
class TimelineOut(msgspec.Struct, **_STRICT):
    _parent: ScheduleRef
    startDate: str
    endDate: str
    periods: list[PeriodOut]


@final
class Timeline(msgspec.Struct, **_STRICT):
    """``GET /api/v1/schedules/{id}/timeline``: the final timeline (rotations and overrides)."""

    data: TimelineOut
    request_id: str


@final
class OverrideRotation(msgspec.Struct, **_STRICT):
    id: str
    name: str


@final
class OverrideOut(msgspec.Struct, **_STRICT):
    """An override: ``user`` is on call in [startDate, endDate) instead of the rotations'."""

    alias: str
    user: ParticipantOut
    startDate: str
    endDate: str
    rotations: list[OverrideRotation]


@final
class OverrideList(msgspec.Struct, **_STRICT):
    data: list[OverrideOut]
    request_id: str


@final
class ApiKeyOut(msgspec.Struct, **_STRICT):
    """An API key: never its secret (``key`` is in the create answer only)."""

    id: str
    name: str
    rights: list[str]
    prefix: str
    team_id: str | None
    team_name: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    key: str | None = None


@final
class ApiKeyList(msgspec.Struct, **_STRICT):
    data: list[ApiKeyOut]
    request_id: str


@final
class ApiKeyOne(msgspec.Struct, **_STRICT):
    data: ApiKeyOut
    request_id: str
    result: str | None = None
    message: str | None = None


@final
class TeamMemberOut(msgspec.Struct, **_STRICT):
    user_id: str
    email: str
    name: str
    role: str


@final
class TeamOut(msgspec.Struct, **_STRICT):
    id: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    members: list[TeamMemberOut]


@final
class TeamList(msgspec.Struct, **_STRICT):
    data: list[TeamOut]
    request_id: str


@final
class TeamOne(msgspec.Struct, **_STRICT):
    data: TeamOut
    request_id: str


@final
class TeamMemberOne(msgspec.Struct, **_STRICT):
    data: TeamMemberOut
    request_id: str


@final
class MemberOut(msgspec.Struct, **_STRICT):
    """A member of the organization; ``status`` is ``invited`` until they set a password."""

    id: str
    email: str
    name: str
    role: str
    joined_at: datetime
    timezone: str
    locale: str
    status: str


@final
class InvitationIssued(msgspec.Struct, **_STRICT):
    """An invitation just made: ``link`` (and ``token``) are shown this once."""

    id: str
    email: str
    role: str
    expires_at: datetime
    link: str
    token: str


@final
class PendingInvitation(msgspec.Struct, **_STRICT):
    id: str
    email: str
    role: str
    created_at: datetime
    expires_at: datetime
    user_id: str | None


@final
class MemberList(msgspec.Struct, **_STRICT):
    data: list[MemberOut]
    request_id: str


@final
class MemberOne(msgspec.Struct, **_STRICT):
    """A member; after ``POST /users`` also their set-up invitation (null on a retry)."""

    data: MemberOut
    request_id: str
    invitation: InvitationIssued | None = None
    message: str | None = None


@final
class InvitationOne(msgspec.Struct, **_STRICT):
    data: InvitationIssued | None
    request_id: str
    message: str | None = None


@final
class InvitationList(msgspec.Struct, **_STRICT):
    data: list[PendingInvitation]
    request_id: str


@final
class InvitedOrganization(msgspec.Struct, **_STRICT):
    id: str
    name: str


@final
class InvitationView(msgspec.Struct, **_STRICT):
    """``GET /api/v1/auth/invitations/{token}``: what accepting it joins."""

    organization: InvitedOrganization
    email: str
    role: str
    expires_at: datetime
    account_exists: bool
    request_id: str


# What the app sends (fields with defaults optional) and what it reads.
REQUESTS: tuple[Any, ...] = (
    RegisterIn,
    LoginIn,
    ProfileIn,
    PasswordIn,
    CreateAlertRequest,
    ActionRequest,
    NoteRequest,
    TagsRequest,
    SnoozeRequest,
    PriorityRequest,
    CreateIntegrationRequest,
    UpdateIntegrationRequest,
    heartbeats.HeartbeatIn,
    AcceptIn,
    ApiKeyIn,
    teams.TeamIn,
    teams.TeamPatch,
    teams.MemberIn,
    teams.RoleIn,
    users.AddUserIn,
    users.RoleIn,
    users.InviteIn,
    ws.ClientFrame,
    ws.AlertsFilter,
    ws.AlertFilter,
    ws.ChangesFilter,
)
RESPONSES: tuple[Any, ...] = (
    ErrorBody,
    SignIn,
    Me,
    ProfileUpdated,
    AlertOut,
    AlertList,
    AlertOne,
    CreateAlertResult,
    AlertActionResult,
    AlertHistory,
    Responder,
    IntegrationList,
    IntegrationOne,
    HeartbeatList,
    HeartbeatOne,
    AuditPage,
    ScheduleList,
    ScheduleOne,
    OnCalls,
    Timeline,
    OverrideList,
    ApiKeyList,
    ApiKeyOne,
    TeamList,
    TeamOne,
    TeamMemberOne,
    MemberList,
    MemberOne,
    InvitationOne,
    InvitationList,
    InvitationView,
    ws.ServerFrame,
)
# Unions worth a name of their own: name -> the union type.
NAMED_UNIONS: dict[str, Any] = {
    "AlertEvent": AlertEvent,
    "PagingEvent": PagingEvent,
    "AlertHistoryEvent": AlertEvent | PagingEvent,
    "ServerFrame": ws.ServerFrame,
    "ClientFrame": ws.ClientFrame,
    "SnapshotData": ws.SnapshotData,
    "Delta": ws.Delta,
}
# Narrower than the server's annotation, where the data is known to be narrower: an
# alert's history (REST and the ``alert`` topic) is read by the alert's subject, so
# its events are the alert's own and its paging's, not any of the organization's events.
NARROWED: dict[Any, Any] = {Event: AlertEvent | PagingEvent}


@functools.cache
def _info(kind: Any) -> mi.Type:
    """``msgspec.inspect.type_info`` of ``kind``, once per kind: each call walks the whole
    type graph again (the event unions are large), ~5 s for a render uncached."""
    return mi.type_info(kind)


# TypeScript names for Structs whose Python name would shadow a global or clash.
RENAMED: dict[type, str] = {
    ws.Error: "ErrorFrame",
    ws.Counts: "CountsOut",
    teams.RoleIn: "TeamRoleIn",
    users.RoleIn: "MemberRoleIn",
    heartbeats.TeamRef: "HeartbeatTeamRef",
}

Mode = Literal["in", "out"]
_HEADER = """\
// Generated by `python -m web.ui_types` from the server's msgspec Structs. Do not edit.
// Regenerate after changing an API shape; tests/unit/web/test_ui_types.py fails while stale.

/** An RFC 3339 timestamp, as the API writes it. */
export type DateTime = string;
"""


class _Renderer:
    """Walks msgspec type info and writes TypeScript declarations, each Struct once per mode."""

    def __init__(self, both: set[type]) -> None:
        self.both = both  # Structs used as request and as response
        self.done: dict[tuple[type, Mode], str] = {}
        self.blocks: list[str] = []
        self.unions: set[tuple[str, Mode]] = set()

    def name(self, cls: type, mode: Mode) -> str:
        base = RENAMED.get(cls, cls.__name__)
        return base + ("Input" if mode == "in" and cls in self.both else "")

    def expr(self, t: mi.Type, mode: Mode) -> str:
        match t:
            case mi.Metadata():
                return self.expr(t.type, mode)
            case mi.StrType() | mi.DateTimeType() | mi.DateType() | mi.UUIDType():
                return "DateTime" if isinstance(t, mi.DateTimeType) else "string"
            case mi.IntType() | mi.FloatType():
                return "number"
            case mi.BoolType():
                return "boolean"
            case mi.NoneType():
                return "null"
            case mi.AnyType():
                return "unknown"
            case mi.LiteralType():
                return " | ".join(msgspec.json.encode(v).decode() for v in t.values)
            case mi.EnumType():
                return " | ".join(msgspec.json.encode(m.value).decode() for m in t.cls)
            case mi.ListType() | mi.VarTupleType() | mi.SetType() | mi.FrozenSetType():
                return f"{self._wrap(self.expr(t.item_type, mode))}[]"
            case mi.TupleType():
                return "[" + ", ".join(self.expr(i, mode) for i in t.item_types) + "]"
            case mi.DictType():
                return f"Record<string, {self.expr(t.value_type, mode)}>"
            case mi.StructType():
                return self.struct(t, mode)
            case mi.UnionType():
                for wide, narrow in NARROWED.items():
                    if _info(wide) == t:
                        return self.expr(_info(narrow), mode)
                for name, union in NAMED_UNIONS.items():
                    if _info(union) == t:
                        self.union(name, t, mode)
                        return name
                return " | ".join(self.expr(member, mode) for member in t.types)
        raise TypeError(f"no TypeScript for {t!r}")

    @staticmethod
    def _wrap(expr: str) -> str:
        return f"({expr})" if "|" in expr else expr

    def union(self, name: str, t: mi.UnionType, mode: Mode) -> None:
        if (name, mode) in self.unions:
            return
        self.unions.add((name, mode))
        members = [self.expr(member, mode) for member in t.types]
        self.blocks.append(f"export type {name} =\n\t| " + "\n\t| ".join(members) + ";\n")

    def struct(self, t: mi.StructType, mode: Mode) -> str:
        cls = t.cls
        key = (cls, mode)
        if key in self.done:
            return self.done[key]
        name = self.done[key] = self.name(cls, mode)
        omit = bool(cls.__struct_config__.omit_defaults)
        lines: list[str] = []
        if t.tag_field is not None:
            lines.append(f"\t{t.tag_field}: {msgspec.json.encode(t.tag).decode()};")
        for f in t.fields:
            optional = not f.required and (mode == "in" or omit)
            lines.append(f"\t{f.encode_name}{'?' if optional else ''}: {self.expr(f.type, mode)};")
        doc = (cls.__doc__ or "").strip()
        if doc.startswith(cls.__name__ + "("):  # msgspec's generated signature, not a doc
            doc = ""
        jsdoc = "/** " + " ".join(doc.split("\n\n")[0].split()) + " */\n" if doc else ""
        self.blocks.append(f"{jsdoc}export interface {name} {{\n" + "\n".join(lines) + "\n}\n")
        return name


def _structs(t: mi.Type, seen: set[type]) -> set[type]:
    """Every Struct class reachable from ``t``."""
    match t:
        case mi.StructType() if t.cls not in seen:
            seen.add(t.cls)
            for f in t.fields:
                _structs(f.type, seen)
        case mi.Metadata():
            _structs(t.type, seen)
        case mi.ListType() | mi.VarTupleType() | mi.SetType() | mi.FrozenSetType():
            _structs(t.item_type, seen)
        case mi.DictType():
            _structs(t.value_type, seen)
        case mi.UnionType() if any(_info(w) == t for w in NARROWED):
            wide = next(w for w in NARROWED if _info(w) == t)
            _structs(_info(NARROWED[wide]), seen)
        case mi.TupleType() | mi.UnionType():
            for member in t.item_types if isinstance(t, mi.TupleType) else t.types:
                _structs(member, seen)
    return seen


def render() -> str:
    """The TypeScript module of every request and response type, deterministic."""
    ins: set[type] = set()
    outs: set[type] = set()
    for kind in REQUESTS:
        _structs(_info(kind), ins)
    for kind in RESPONSES:
        _structs(_info(kind), outs)
    renderer = _Renderer(ins & outs)
    for kind in RESPONSES:
        renderer.expr(_info(kind), "out")
    for kind in REQUESTS:
        renderer.expr(_info(kind), "in")
    return _HEADER + "\n" + "\n".join(renderer.blocks)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run `python -m web.ui_types`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
