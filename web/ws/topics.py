"""What each WebSocket topic sends for a committed batch: pure, no I/O, no clock.

The hub (``web.ws.hub``) turns every committed batch of an organization with
subscribers into one ``Batch``: the batch's ``Change``s (one per event a topic
cares about) with the affected alerts *copied* as they are after the batch
(state is mutated in place by the actor's next batch), the new counts when they
changed, and the new on-call entries. A ``Batch`` is shared by every
subscriber of the organization; each subscription's ``View`` decides what it
takes from it, and the encoded deltas are cached on the ``Change`` so a
thousand subscribers encode an alert once.

Which events touch which topic:

* ``alerts`` (a filtered list): every alert event. The alert is upserted when
  it matches the filter after the batch; otherwise it is removed (``alert``
  null) — except for ``AlertCreated``, since a new alert that does not match
  was never in the list.
* ``alert`` (one alert): the events whose subject is that alert, each with the
  alert in full and the history entry.
* ``counts``: any alert event that changed the counts; the whole new value.
  Only the newest pending value is sent (older ones are superseded).
* ``oncall``: ``ScheduleCreated/Updated/Deleted`` and ``OnCallChanged``; the
  schedule's new entry.
* ``heartbeats``: every heartbeat event (created, updated, enabled, disabled,
  pinged, expired, deleted); the heartbeat as after the batch (``GET
  /heartbeats`` item shape, ``expired`` as of the event's time), or null once
  it is gone.
* ``changes``: the committed events of the configuration areas
  (``CHANGE_AREAS``: maintenance, teams, members and invitations, API keys,
  integrations, escalation policies, schedules, routing rules) and, when the
  subscription names them, of an alert's paging (``paging``) and of the whole
  log (``audit``); a notification ``{version, area, id}`` only, ids and never
  data, for the page to refetch over REST (which applies a team-scoped key's
  scoping). A note is sent only to a principal who may read what it names
  (``Note.visible_to``): a team-scoped key hears of its team's API keys and of
  the paging of its team's alerts only; invitations need ``members:manage``;
  ``audit`` needs ``audit:read`` and is one note per delivery (the newest
  version, no id), as the audit page only needs to know that the log grew.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final, final

import msgspec

from engine import (
    ACCESS_EVENT_TYPES,
    ALERT_EVENT_TYPES,
    ESCALATION_EVENT_TYPES,
    HEARTBEAT_EVENT_TYPES,
    INTEGRATION_EVENT_TYPES,
    MAINTENANCE_EVENT_TYPES,
    PAGING_EVENT_TYPES,
    PRIORITIES,
    ROUTING_EVENT_TYPES,
    SCHEDULE_EVENT_TYPES,
    TEAM_EVENT_TYPES,
    Alert,
    AlertQuery,
    Heartbeat,
    OrgState,
    Permission,
    ScheduleRecord,
    alert_filter,
    decode_event,
)
from eventstore import Envelope
from web.api.heartbeats import HeartbeatOut, heartbeat_out
from web.api.schemas import AlertOut, alert_out, history_entry
from web.ws.protocol import (
    AlertChange,
    AlertEntry,
    ChangeArea,
    ChangeNote,
    Counts,
    CountsChange,
    HeartbeatChange,
    OnCallChange,
    ScheduleOnCall,
    Tally,
    encode,
)

__all__ = [
    "ALERT_TYPES",
    "BUSY_AREAS",
    "CHANGE_AREAS",
    "DEFAULT_AREAS",
    "HEARTBEAT_TYPES",
    "ONCALL_TYPES",
    "AlertView",
    "AlertsView",
    "Batch",
    "Change",
    "ChangesView",
    "CountsModel",
    "CountsView",
    "HeartbeatsView",
    "Note",
    "OnCallView",
    "Snap",
    "View",
    "change_note",
    "counts_of",
    "freeze",
    "heartbeat_entry",
    "schedule_on_call",
]

ALERT_TYPES: Final = frozenset(t.__name__ for t in ALERT_EVENT_TYPES)
ONCALL_TYPES: Final = frozenset(
    {"ScheduleCreated", "ScheduleUpdated", "ScheduleDeleted", "OnCallChanged"}
)
HEARTBEAT_TYPES: Final = frozenset(t.__name__ for t in HEARTBEAT_EVENT_TYPES)

# Events that change nothing a list shows: the on-call timer's checkpoint, and the
# iCalendar feed tokens (not on the schedules list; a user feed's target is a person).
_UNLISTED: Final = frozenset({"OnCallChecked", "FeedTokenCreated", "FeedTokenRevoked"})
_AREA_TYPES: Final[tuple[tuple[ChangeArea, tuple[type, ...]], ...]] = (
    ("maintenance", MAINTENANCE_EVENT_TYPES),
    ("teams", TEAM_EVENT_TYPES),
    (
        "members",
        tuple(t for t in ACCESS_EVENT_TYPES if t.__name__.startswith(("Member", "Invitation"))),
    ),
    ("api-keys", tuple(t for t in ACCESS_EVENT_TYPES if t.__name__.startswith("ApiKey"))),
    ("integrations", INTEGRATION_EVENT_TYPES),
    ("escalation-policies", ESCALATION_EVENT_TYPES),
    ("schedules", SCHEDULE_EVENT_TYPES),
    ("routing-rules", ROUTING_EVENT_TYPES),
    ("paging", PAGING_EVENT_TYPES),
)
CHANGE_AREAS: Final[Mapping[str, ChangeArea]] = {
    t.__name__: area for area, types in _AREA_TYPES for t in types if t.__name__ not in _UNLISTED
}
# What a subscription without ``areas`` hears of; ``paging`` (every page of every
# alert) and ``audit`` (every event) are busy, so they come only when named.
BUSY_AREAS: Final = frozenset({"paging", "audit"})
DEFAULT_AREAS: Final = frozenset(CHANGE_AREAS.values()) - BUSY_AREAS
# The subject's id field, first match wins (a routing rule's event also names its team,
# a team membership its member; an accepted invitation is named by its member, whom
# every reader may list, not by the invitation, which only member managers may).
_ID_FIELDS: Final = (
    "maintenance_id",
    "key_id",
    "integration_id",
    "policy_id",
    "rule_id",
    "schedule_id",
    "team_id",
    "account_id",
    "invitation_id",
)
# Invitations are listed for member managers only (GET /invitations).
_PERMISSION: Final[Mapping[str, Permission]] = {
    "InvitationCreated": Permission.MANAGE_MEMBERS,
    "InvitationRevoked": Permission.MANAGE_MEMBERS,
}


def _nothing(permission: Permission) -> bool:
    return False


@final
class Note(msgspec.Struct, frozen=True, kw_only=True):
    """What a ``changes`` notification says, and who may see it."""

    area: ChangeArea
    id: str | None
    # None: any reader; else a team-scoped principal sees it only for one of these
    # teams (an API key's team; the team responders of the alert a page is about).
    teams: frozenset[str] | None = None
    permission: Permission | None = None  # needed besides ``read`` (invitations, audit)

    def visible_to(self, team: str | None, can: Callable[[Permission], bool]) -> bool:
        """Whether a principal scoped to ``team`` (None: the whole organization) and
        holding the permissions ``can`` admits may see it."""
        if self.permission is not None and not can(self.permission):
            return False
        return team is None or self.teams is None or team in self.teams


# Every event of no listed area: only an ``audit`` subscription hears of it.
_LOG_ONLY: Final = Note(area="audit", id=None, permission=Permission.READ_AUDIT)


def change_note(envelope: Envelope, state: OrgState) -> Note:
    """The ``changes`` notification of ``envelope`` (of area ``audit`` when it is of
    no listed area), with its audience looked up in ``state`` (after the batch): an
    API key's team, the team responders of a paged alert."""
    area = CHANGE_AREAS.get(envelope.type)
    if area is None:
        return _LOG_ONLY
    subject = envelope.subject
    if subject is None:
        event = decode_event(envelope)
        for field in _ID_FIELDS:
            value = getattr(event, field, None)
            if isinstance(value, str):
                subject = value
                break
        else:
            subject = getattr(getattr(event, "policy", None), "id", None)
    teams = None
    if area == "api-keys" and subject is not None:
        key = state.access.api_keys.get(subject)
        teams = frozenset((key.team_id,) if key is not None and key.team_id else ())
    elif area == "paging" and subject is not None:
        alert = state.alerts.alerts.get(subject)
        responders = alert.responders if alert is not None else ()
        teams = frozenset(r.id for r in responders if r.type == "team")
    return Note(area=area, id=subject, teams=teams, permission=_PERMISSION.get(envelope.type))


Cells = dict[tuple[str, str], tuple[int, int]]  # (team id or "", priority) -> (open, unacked)


def freeze(alert: Alert) -> Alert:
    """A copy of ``alert`` that the actor's later batches cannot change.

    Tuples, strings and the frozen parts are shared; the two mutable parts
    (``details``, ``report``) are copied.
    """
    return msgspec.structs.replace(
        alert, details=dict(alert.details), report=msgspec.structs.replace(alert.report)
    )


@final
class Snap:
    """One alert as it is after a batch (``None``: deleted), with its shapes made once."""

    __slots__ = ("_full", "_item", "alert", "alert_id")

    def __init__(self, alert_id: str, alert: Alert | None) -> None:
        self.alert_id = alert_id
        self.alert = alert
        self._item: AlertOut | None = None
        self._full: AlertOut | None = None

    def item(self) -> AlertOut | None:
        """The list shape (``GET /alerts`` items)."""
        if self._item is None and self.alert is not None:
            self._item = alert_out(self.alert, full=False)
        return self._item

    def full(self) -> AlertOut | None:
        """The full shape (``GET /alerts/{id}``)."""
        if self._full is None and self.alert is not None:
            self._full = alert_out(self.alert)
        return self._full


@final
class Change:
    """One committed event a topic cares about, with its deltas encoded on first use."""

    __slots__ = (
        "_beat",
        "_entry",
        "_item",
        "_note",
        "_removed",
        "envelope",
        "heartbeat",
        "note",
        "schedule",
        "snap",
        "type",
        "version",
    )

    def __init__(
        self,
        envelope: Envelope,
        *,
        snap: Snap | None = None,
        schedule: tuple[str, ScheduleOnCall | None] | None = None,
        heartbeat: tuple[str, HeartbeatOut | None] | None = None,
        note: Note | None = None,
    ) -> None:
        self.envelope = envelope
        self.version = envelope.version
        self.type = envelope.type
        self.snap = snap  # alert events
        self.schedule = schedule  # on-call events: (schedule id, its new entry)
        self.heartbeat = heartbeat  # heartbeat events: (name, the heartbeat now)
        self.note = note  # configuration events: the ``changes`` notification
        self._note: bytes | None = None
        self._item: bytes | None = None
        self._removed: bytes | None = None
        self._entry: bytes | None = None
        self._beat: bytes | None = None

    def heartbeat_delta(self) -> bytes:
        """``heartbeats``: upsert the heartbeat, or remove it (null)."""
        if self._beat is None:
            assert self.heartbeat is not None
            name, beat = self.heartbeat
            delta = HeartbeatChange(version=self.version, type=self.type, name=name, heartbeat=beat)
            self._beat = encode(delta)
        return self._beat

    def note_delta(self) -> bytes:
        """``changes``: the area and id that changed."""
        if self._note is None:
            assert self.note is not None
            note = self.note
            self._note = encode(ChangeNote(version=self.version, area=note.area, id=note.id))
        return self._note

    def item_delta(self) -> bytes:
        """``alerts``: upsert the alert (list shape)."""
        if self._item is None:
            assert self.snap is not None
            self._item = encode(self._alert_change(self.snap.item()))
        return self._item

    def removed_delta(self) -> bytes:
        """``alerts``: remove the alert (deleted, or it stopped matching)."""
        if self._removed is None:
            self._removed = encode(self._alert_change(None))
        return self._removed

    def entry_delta(self) -> bytes:
        """``alert``: the alert in full and the history entry."""
        if self._entry is None:
            assert self.snap is not None
            self._entry = encode(
                AlertEntry(
                    version=self.version,
                    type=self.type,
                    alert_id=self.snap.alert_id,
                    alert=self.snap.full(),
                    deleted=self.snap.alert is None,
                    entry=history_entry(self.envelope),
                )
            )
        return self._entry

    def _alert_change(self, alert: AlertOut | None) -> AlertChange:
        assert self.snap is not None
        return AlertChange(
            version=self.version,
            type=self.type,
            alert_id=self.snap.alert_id,
            alert=alert,
            deleted=self.snap.alert is None,
        )


@final
class Batch:
    """What one committed batch means to an organization's subscribers."""

    __slots__ = (
        "_counts",
        "alert_changes",
        "alert_ids",
        "cells",
        "heartbeat_changes",
        "last",
        "note_changes",
        "oncall_changes",
    )

    def __init__(
        self,
        last: int,
        alert_changes: Sequence[Change] = (),
        oncall_changes: Sequence[Change] = (),
        cells: Cells | None = None,
        heartbeat_changes: Sequence[Change] = (),
        note_changes: Sequence[Change] = (),
    ) -> None:
        self.last = last  # the batch's last version
        self.alert_changes = alert_changes
        self.alert_ids = frozenset(c.snap.alert_id for c in alert_changes if c.snap is not None)
        self.oncall_changes = oncall_changes
        self.heartbeat_changes = heartbeat_changes
        self.note_changes = note_changes
        self.cells = cells  # the counts after the batch, when they changed
        self._counts: dict[str | None, bytes] = {}

    def counts_delta(self, team: str | None) -> bytes:
        """The ``counts`` delta of this batch as seen by ``team`` (None: everything)."""
        found = self._counts.get(team)
        if found is None:
            assert self.cells is not None
            counts = counts_of(self.cells, team)
            found = self._counts[team] = encode(CountsChange(version=self.last, counts=counts))
        return found


class View(ABC):
    """A subscription's topic: which batches it takes and the deltas it sends."""

    @abstractmethod
    def weight(self, batch: Batch) -> int:
        """How many deltas ``batch`` may give this view (0: it does not concern it)."""

    @abstractmethod
    def deltas(self, batches: Iterable[Batch], after: int) -> list[tuple[int, bytes]]:
        """The deltas of ``batches`` for events after version ``after``, in order."""


@final
class AlertsView(View):
    """The ``alerts`` topic under one (already team-scoped) query."""

    def __init__(self, query: AlertQuery | None) -> None:
        # None: the principal may see none of these alerts (another team's).
        self._keep: Callable[[Alert], bool] = (
            alert_filter(query) if query is not None else lambda alert: False
        )
        self._visible = query is not None

    def weight(self, batch: Batch) -> int:
        return len(batch.alert_changes) if self._visible else 0

    def deltas(self, batches: Iterable[Batch], after: int) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        keep = self._keep
        for batch in batches:
            for change in batch.alert_changes:
                if change.version <= after:
                    continue
                snap = change.snap
                assert snap is not None
                if snap.alert is not None and keep(snap.alert):
                    out.append((change.version, change.item_delta()))
                elif change.type != "AlertCreated":
                    out.append((change.version, change.removed_delta()))
        return out


@final
class AlertView(View):
    """The ``alert`` topic: one alert's events."""

    def __init__(self, alert_id: str) -> None:
        self.alert_id = alert_id

    def weight(self, batch: Batch) -> int:
        if self.alert_id not in batch.alert_ids:
            return 0
        return sum(1 for c in batch.alert_changes if c.snap and c.snap.alert_id == self.alert_id)

    def deltas(self, batches: Iterable[Batch], after: int) -> list[tuple[int, bytes]]:
        return [
            (change.version, change.entry_delta())
            for batch in batches
            for change in batch.alert_changes
            if change.version > after
            and change.snap is not None
            and change.snap.alert_id == self.alert_id
        ]


@final
class CountsView(View):
    """The ``counts`` topic; only the newest pending value is sent."""

    def __init__(self, team: str | None) -> None:
        self.team = team  # a team-scoped key sees its team's counts only

    def weight(self, batch: Batch) -> int:
        return 1 if batch.cells is not None else 0

    def deltas(self, batches: Iterable[Batch], after: int) -> list[tuple[int, bytes]]:
        newest = None
        for batch in batches:
            if batch.cells is not None and batch.last > after:
                newest = batch
        return [] if newest is None else [(newest.last, newest.counts_delta(self.team))]


@final
class OnCallView(View):
    """The ``oncall`` topic: every schedule's on-call changes."""

    def weight(self, batch: Batch) -> int:
        return len(batch.oncall_changes)

    def deltas(self, batches: Iterable[Batch], after: int) -> list[tuple[int, bytes]]:
        out = []
        for batch in batches:
            for change in batch.oncall_changes:
                if change.version > after and change.schedule is not None:
                    schedule_id, entry = change.schedule
                    delta = OnCallChange(
                        version=change.version,
                        type=change.type,
                        schedule_id=schedule_id,
                        oncall=entry,
                    )
                    out.append((change.version, encode(delta)))
        return out


@final
class HeartbeatsView(View):
    """The ``heartbeats`` topic: every heartbeat's changes."""

    def weight(self, batch: Batch) -> int:
        return len(batch.heartbeat_changes)

    def deltas(self, batches: Iterable[Batch], after: int) -> list[tuple[int, bytes]]:
        return [
            (change.version, change.heartbeat_delta())
            for batch in batches
            for change in batch.heartbeat_changes
            if change.version > after
        ]


@final
class ChangesView(View):
    """The ``changes`` topic: which area changed (ids only), for the ``areas`` asked
    for (None: ``DEFAULT_AREAS``).

    ``can`` answers whether the principal holds a permission *now* (a member's role
    can change while subscribed): invitations need ``members:manage``, ``audit``
    needs ``audit:read``. ``audit`` is one note per delivery: the newest version
    of any event (whatever its area), no id.
    """

    def __init__(
        self,
        team: str | None,
        areas: Iterable[str] | None = None,
        *,
        can: Callable[[Permission], bool] = _nothing,
    ) -> None:
        self.team = team  # a team-scoped key: its team's API keys and pages only
        wanted = DEFAULT_AREAS if areas is None else frozenset(areas)
        self.areas = wanted - {"audit"}
        self.audit = "audit" in wanted
        self._can = can

    def _sees(self, note: Note | None) -> bool:
        if note is None or note.area not in self.areas:
            return False
        return note.visible_to(self.team, self._can)

    def _audits(self) -> bool:
        return self.audit and self._can(Permission.READ_AUDIT)

    def weight(self, batch: Batch) -> int:
        count = sum(1 for c in batch.note_changes if self._sees(c.note))
        return count + 1 if batch.note_changes and self._audits() else count

    def deltas(self, batches: Iterable[Batch], after: int) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        newest = after
        for batch in batches:
            for change in batch.note_changes:
                if change.version > after:
                    newest = max(newest, change.version)
                    if self._sees(change.note):
                        out.append((change.version, change.note_delta()))
        if newest > after and self._audits():
            out.append((newest, encode(ChangeNote(version=newest, area="audit", id=None))))
        return out


def heartbeat_entry(
    envelope: Envelope, heartbeats: Mapping[str, Heartbeat], now: datetime | None = None
) -> tuple[str, HeartbeatOut | None]:
    """The heartbeat a heartbeat event concerns, by name, as it is in ``heartbeats``
    (``None``: gone), with ``expired`` as of ``now`` (default: the event's time)."""
    event = decode_event(envelope)
    name = str(getattr(event, "name", ""))
    beat = heartbeats.get(name)
    if beat is None:
        return name, None
    at = now if now is not None else getattr(event, "at", envelope.recorded_at)
    return name, heartbeat_out(beat, at)


def schedule_on_call(record: ScheduleRecord) -> ScheduleOnCall:
    """The on-call entry of one schedule, as last recorded by ``OnCallChanged``."""
    schedule = record.schedule
    return ScheduleOnCall(
        schedule_id=schedule.id,
        name=schedule.name,
        enabled=schedule.enabled,
        owner_team=schedule.owner_team,
        users=list(record.on_call),
        sources=list(record.sources),
    )


_Key = tuple[str, bool, tuple[str, ...]]  # an open alert's (priority, unacked, team ids)


@final
class CountsModel:
    """Open/unacknowledged counts by priority and team, kept up to date per alert.

    Built once from the alerts (O(alerts)) and then updated by the alerts a
    batch touched (O(batch)), so counts never cost a scan per batch.
    """

    def __init__(self, alerts: Iterable[Alert]) -> None:
        self._of: dict[str, _Key] = {}  # open alerts only
        self._cells: Cells = {}
        for alert in alerts:
            self.update(alert.id, alert)

    def update(self, alert_id: str, alert: Alert | None) -> bool:
        """Account for ``alert`` as it is now (``None``: deleted); True if counts changed."""
        new = _key(alert)
        old = self._of.get(alert_id)
        if old == new:
            return False
        if old is not None:
            self._add(old, -1)
            del self._of[alert_id]
        if new is not None:
            self._add(new, 1)
            self._of[alert_id] = new
        return True

    def cells(self) -> Cells:
        """A copy of the current counts (see ``counts_of``)."""
        return dict(self._cells)

    def _add(self, key: _Key, sign: int) -> None:
        priority, unacked, teams = key
        for team in ("", *teams):
            cell = (team, priority)
            n_open, n_unacked = self._cells.get(cell, (0, 0))
            n_open, n_unacked = n_open + sign, n_unacked + (sign if unacked else 0)
            if n_open:
                self._cells[cell] = (n_open, n_unacked)
            else:
                self._cells.pop(cell, None)


def _key(alert: Alert | None) -> _Key | None:
    if alert is None or alert.status != "open":
        return None
    teams = tuple(sorted({r.id for r in alert.responders if r.type == "team"}))
    return (alert.priority, not alert.acknowledged, teams)


def counts_of(cells: Cells, team: str | None = None) -> Counts:
    """The ``Counts`` of ``cells``: of the whole organization, or of ``team`` only."""
    scope = "" if team is None else team
    priority = {p: [0, 0] for p in PRIORITIES}
    teams: dict[str, list[int]] = {}
    for (cell_team, cell_priority), (n_open, n_unacked) in cells.items():
        if cell_team == scope:
            tally = priority.setdefault(cell_priority, [0, 0])
            tally[0] += n_open
            tally[1] += n_unacked
        if cell_team and (team is None or cell_team == team):
            tally = teams.setdefault(cell_team, [0, 0])
            tally[0] += n_open
            tally[1] += n_unacked
    return Counts(
        open=sum(t[0] for t in priority.values()),
        unacked=sum(t[1] for t in priority.values()),
        priority={p: Tally(open=t[0], unacked=t[1]) for p, t in priority.items()},
        team={t: Tally(open=v[0], unacked=v[1]) for t, v in sorted(teams.items())},
    )
