"""decide/evolve for the schedules area.

Every edit first records the on-call changes that have already come (the timer
may be behind, e.g. after a restart), then the edit, then — if the edit changes
who is on call now — an ``OnCallChanged`` at the edit's instant. The timer's
``RecordOnCall`` records each change at its exact instant (``Period.start``),
also when it runs late. Who is on call comes from ``engine.schedules.oncall``.
``RemoveRecipient`` (a member left, a team was deleted) edits every schedule that
names them the same way: catch-up, the edits, the change they make now.

A departure keeps whoever is on call (scenario S27, GoAlert's rule): dropping a
participant shortens the list, and with turns computed from the rotation's start
(Opsgenie's model) every later turn would fall to someone else at once, so a
member leaving the company could silently hand the current shift to a colleague.
Unless the departed participant holds the current turn, the rotation's start
moves back by whole turns (on the wall clock, so hand-offs stay put across DST)
until the same participant holds it, with the same hand-off; the others follow
in list order. When they do hold it the turns re-deal (somebody must take over).
Explicit rotation updates (``UpdateRotation``) keep the start they are given:
API clients such as Terraform send ``startDate`` and must read back what they
sent (only truncated to the minute, S27).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import msgspec

from engine.errors import Conflict, NotFound
from engine.schedules import commands as c
from engine.schedules import events as e
from engine.schedules import oncall
from engine.schedules.model import OnCall, Override, Participant, Rotation, Schedule
from engine.schedules.state import (
    HORIZON,
    FeedToken,
    ScheduleRecord,
    SchedulesState,
    initial_state,
)

__all__ = ["apply_edit", "decide", "evolve", "find_schedule", "initial_state"]

# At most this many catch-up events per command (a schedule idle for years while
# Pulsar was down catches up over several timer wake-ups).
MAX_CATCH_UP: Final = 1000
# Starts tried when keeping the current participant (each further back by a round).
_REWIND_TRIES: Final = 4

_Edit = (
    e.ScheduleUpdated
    | e.RotationAdded
    | e.RotationUpdated
    | e.RotationDeleted
    | e.OverrideAdded
    | e.OverrideUpdated
    | e.OverrideDeleted
)


def find_schedule(state: SchedulesState, identifier: str, *, by_name: bool = False) -> Schedule:
    """The schedule with id (or name) ``identifier``; raises ``NotFound("schedule_not_found")``."""
    if by_name:
        found = next((r for r in state.schedules.values() if r.schedule.name == identifier), None)
    else:
        found = state.schedules.get(identifier)
    if found is None:
        raise NotFound("schedule_not_found", f"Schedule {identifier!r} does not exist")
    return found.schedule


def decide(
    state: SchedulesState, command: c.ScheduleCommand, now: datetime
) -> list[e.ScheduleEvent]:
    """The events ``command`` causes at ``now``; ``[]`` when it changes nothing.

    Raises ``NotFound`` (``schedule_not_found``, ``rotation_not_found``,
    ``override_not_found``, ``feed_not_found``), ``Conflict`` (``schedule_exists``,
    ``rotation_exists``, ``override_exists``) or ``Rejected`` (``invalid_field``).
    The system commands ``RecordOnCall`` and ``RemoveRecipient`` never raise.
    """
    match command:
        case c.CreateSchedule():
            return _create(state, command, now)
        case c.CreateFeedToken():
            return [_create_feed(state, command, now)]
        case c.RevokeFeedToken():
            if command.token_id not in state.feeds:
                raise NotFound("feed_not_found", f"Feed {command.token_id!r} does not exist")
            return [e.FeedTokenRevoked(token_id=command.token_id, at=now)]
        case c.RecordOnCall():
            record = state.schedules.get(command.schedule_id)
            return [] if record is None else _catch_up(record, now)[0]
        case c.RemoveRecipient():
            return _remove_recipient(state, command, now)
    record = state.schedules.get(command.schedule_id)
    if record is None:
        raise NotFound("schedule_not_found", f"Schedule {command.schedule_id!r} does not exist")
    if isinstance(command, c.DeleteSchedule):
        return [e.ScheduleDeleted(schedule_id=command.schedule_id, at=now)]
    return _edit(record, [_edit_event(state, record, command, now)], now)


def _create(
    state: SchedulesState, command: c.CreateSchedule, now: datetime
) -> list[e.ScheduleEvent]:
    if not command.schedule_id:
        raise c.invalid("id", "schedule id is required")
    name = _unique_name(state, c.check_name(command.name), command.schedule_id)
    rotations = tuple(c.check_rotation(r) for r in command.rotations)
    _check_unique_rotations(rotations)
    schedule = Schedule(
        id=command.schedule_id,
        name=name,
        timezone=c.check_timezone(command.timezone),
        description=c.check_description(command.description),
        enabled=command.enabled,
        owner_team=(command.owner_team or "").strip() or None,
        rotations=rotations,
    )
    if command.schedule_id in state.schedules:
        raise Conflict("schedule_exists", f"Schedule {command.schedule_id!r} already exists")
    created = e.ScheduleCreated(schedule_id=schedule.id, at=now, schedule=schedule)
    return [created, *_changes(schedule.id, now, ((), ()), oncall.on_call_at(schedule, now))]


def _unique_name(state: SchedulesState, name: str, schedule_id: str) -> str:
    for record in state.schedules.values():
        if record.schedule.name == name and record.schedule.id != schedule_id:
            raise Conflict("schedule_exists", f"Schedule {name!r} already exists")
    return name


def _check_unique_rotations(rotations: tuple[Rotation, ...]) -> None:
    ids = [r.id for r in rotations]
    if len(set(ids)) != len(ids):
        raise Conflict("rotation_exists", "rotation ids must be unique")


def _create_feed(
    state: SchedulesState, command: c.CreateFeedToken, now: datetime
) -> e.ScheduleEvent:
    if command.kind == "schedule" and command.target not in state.schedules:
        raise NotFound("schedule_not_found", f"Schedule {command.target!r} does not exist")
    if command.kind == "user" and not command.target.strip():
        raise c.invalid("user", "user is required")
    if not command.token_id or len(command.token_hash) != 64:
        raise c.invalid("token", "a token id and a SHA-256 token hash are required")
    if command.token_id in state.feeds:
        raise Conflict("feed_exists", f"Feed {command.token_id!r} already exists")
    return e.FeedTokenCreated(
        token_id=command.token_id,
        at=now,
        kind=command.kind,
        target=command.target.strip(),
        token_hash=command.token_hash,
    )


def _edit_event(
    state: SchedulesState, record: ScheduleRecord, command: c.ScheduleCommand, now: datetime
) -> _Edit:
    """The event of an edit command (update, rotation or override change)."""
    schedule, sid = record.schedule, record.schedule.id
    match command:
        case c.UpdateSchedule():
            return _update(state, schedule, command, now)
        case c.AddRotation():
            if any(r.id == command.rotation.id for r in schedule.rotations):
                raise Conflict("rotation_exists", f"Rotation {command.rotation.id!r} exists")
            return e.RotationAdded(
                schedule_id=sid, at=now, rotation=c.check_rotation(command.rotation)
            )
        case c.UpdateRotation():
            _find_rotation(schedule, command.rotation.id)
            rotation = c.check_rotation(command.rotation)
            return e.RotationUpdated(schedule_id=sid, at=now, rotation=rotation)
        case c.DeleteRotation():
            _find_rotation(schedule, command.rotation_id)
            return e.RotationDeleted(schedule_id=sid, at=now, rotation_id=command.rotation_id)
        case c.AddOverride():
            if any(o.id == command.override.id for o in schedule.overrides):
                raise Conflict("override_exists", f"Override {command.override.id!r} exists")
            return e.OverrideAdded(schedule_id=sid, at=now, override=_override(record, command))
        case c.UpdateOverride():
            _find_override(schedule, command.override.id)
            return e.OverrideUpdated(schedule_id=sid, at=now, override=_override(record, command))
    assert isinstance(command, c.DeleteOverride)
    _find_override(schedule, command.override_id)
    return e.OverrideDeleted(schedule_id=sid, at=now, override_id=command.override_id)


def _update(
    state: SchedulesState, schedule: Schedule, command: c.UpdateSchedule, now: datetime
) -> e.ScheduleUpdated:
    name = schedule.name
    if command.name is not None:
        name = _unique_name(state, c.check_name(command.name), schedule.id)
    owner = schedule.owner_team if command.owner_team is None else command.owner_team.strip()
    return e.ScheduleUpdated(
        schedule_id=schedule.id,
        at=now,
        name=name,
        timezone=c.check_timezone(command.timezone or schedule.timezone),
        description=c.check_description(
            schedule.description if command.description is None else command.description
        ),
        enabled=schedule.enabled if command.enabled is None else command.enabled,
        owner_team=owner or None,
    )


def _override(record: ScheduleRecord, command: c.AddOverride | c.UpdateOverride) -> Override:
    rotation_ids = frozenset(r.id for r in record.schedule.rotations)
    override = c.check_override(command.override, rotation_ids)
    return msgspec.structs.replace(override, sequence=record.next_sequence)


def _find_rotation(schedule: Schedule, rotation_id: str) -> Rotation:
    for rotation in schedule.rotations:
        if rotation.id == rotation_id:
            return rotation
    raise NotFound("rotation_not_found", f"Rotation {rotation_id!r} does not exist")


def _find_override(schedule: Schedule, override_id: str) -> Override:
    for override in schedule.overrides:
        if override.id == override_id:
            return override
    raise NotFound("override_not_found", f"Override {override_id!r} does not exist")


def _edit(record: ScheduleRecord, edits: list[_Edit], now: datetime) -> list[e.ScheduleEvent]:
    """Pending changes, the edits (minus settings updates that change nothing), and the
    change the edits make now (if any)."""
    events, current = _catch_up(record, now)
    edited = record.schedule
    done: list[_Edit] = []
    for edit in edits:
        after = apply_edit(edited, edit)
        if not isinstance(edit, e.ScheduleUpdated) or after != edited:
            edited = after
            done.append(edit)
    if not done:
        return events
    return [*events, *done, *_changes(edited.id, now, current, oncall.on_call_at(edited, now))]


def _remove_recipient(
    state: SchedulesState, command: c.RemoveRecipient, now: datetime
) -> list[e.ScheduleEvent]:
    """Every schedule forgets a departed user or deleted team; a user's feeds are revoked.

    Schedules that never named them produce nothing (not even catch-up events).
    """
    events: list[e.ScheduleEvent] = []
    for record in state.schedules.values():
        edits = _forget(record.schedule, command, now)
        if edits:
            events += _edit(record, edits, now)
    if command.recipient_type == "user":
        events += [
            e.FeedTokenRevoked(token_id=feed.id, at=now)
            for feed in state.feeds.values()
            if feed.kind == "user" and feed.target == command.id
        ]
    return events


def _forget(schedule: Schedule, command: c.RemoveRecipient, now: datetime) -> list[_Edit]:
    """The edits removing a user or team from ``schedule``'s rotations, overrides, owner."""
    gone = Participant(type=command.recipient_type, id=command.id)
    sid = schedule.id
    edits: list[_Edit] = []
    for rotation in schedule.rotations:
        if gone in rotation.participants:
            rotation = _without_participant(rotation, gone, schedule.timezone, now)
            edits.append(e.RotationUpdated(schedule_id=sid, at=now, rotation=rotation))
    edits += [
        e.OverrideDeleted(schedule_id=sid, at=now, override_id=o.id)
        for o in schedule.overrides
        if (o.user_type, o.user) == (command.recipient_type, command.id)
    ]
    if command.recipient_type == "team" and schedule.owner_team == command.id:
        edits.append(
            e.ScheduleUpdated(
                schedule_id=sid,
                at=now,
                name=schedule.name,
                timezone=schedule.timezone,
                description=schedule.description,
                enabled=schedule.enabled,
                owner_team=None,
            )
        )
    return edits


def _without_participant(
    rotation: Rotation, gone: Participant, timezone: str, now: datetime
) -> Rotation:
    """``rotation`` without ``gone``; whoever holds the turn at ``now`` keeps it (S27).

    Dropping a participant shortens the list, so turn k would fall to another
    participant (Opsgenie re-deals). When the one on call at ``now`` stays, the start
    moves back by m whole turns (m < the new count) so that the same participant
    holds the current turn, with the same hand-off, and the rest follow in list
    order. When ``gone`` holds it (or no turn is current) the turns re-deal.
    A rotation must keep a slot, so one left empty keeps a gap.
    """
    kept = tuple(p for p in rotation.participants if p != gone)
    without = msgspec.structs.replace(rotation, participants=kept or (Participant(type="none"),))
    turn = oncall.current_turn(rotation, timezone, now)
    if turn is None or not kept:
        return without
    slot = turn.index % len(rotation.participants)
    if rotation.participants[slot] == gone:
        return without
    # The current participant's position in the shorter list, and the turns to rewind.
    position = slot - rotation.participants[:slot].count(gone)
    back = (position - turn.index) % len(kept)
    for _ in range(_REWIND_TRIES):
        rewound = oncall.rewound(without, timezone, back)
        if rewound is not None:
            return rewound
        back += len(kept)  # a start in a DST gap: one more round further back
    return without  # every start tried falls in a gap: re-deal


def _catch_up(
    record: ScheduleRecord, now: datetime
) -> tuple[list[e.ScheduleEvent], tuple[tuple[str, ...], tuple[str, ...]]]:
    """The changes (and horizon checkpoints) due by ``now``, and the on-call set after them."""
    schedule = record.schedule
    events: list[e.ScheduleEvent] = []
    cursor, current = record.checked_at, (record.on_call, record.sources)
    while schedule.enabled and len(events) < MAX_CATCH_UP:
        change = oncall.next_on_call(schedule, cursor, horizon=HORIZON)
        if change is None and cursor + HORIZON <= now:
            cursor += HORIZON
            events.append(e.OnCallChecked(schedule_id=schedule.id, at=cursor))
            continue
        if change is None or change.start > now:
            break
        new = OnCall(users=change.users, sources=change.sources)
        events += _changes(schedule.id, change.start, current, new)
        cursor, current = change.start, (new.users, new.sources)
    return events, current


def _changes(
    schedule_id: str, at: datetime, old: tuple[tuple[str, ...], tuple[str, ...]], new: OnCall
) -> list[e.ScheduleEvent]:
    """``[OnCallChanged]`` from ``old`` (users, sources) to ``new``, or ``[]`` if equal."""
    old_users, old_sources = old
    if (old_users, old_sources) == (new.users, new.sources):
        return []
    return [
        e.OnCallChanged(
            schedule_id=schedule_id,
            at=at,
            went_off=tuple(u for u in old_users if u not in new.users),
            came_on=tuple(u for u in new.users if u not in old_users),
            users=new.users,
            sources=new.sources,
        )
    ]


def apply_edit(schedule: Schedule, edit: _Edit) -> Schedule:
    """``schedule`` after ``edit`` (pure; shared by ``decide`` and ``evolve``)."""
    replace = msgspec.structs.replace
    match edit:
        case e.ScheduleUpdated():
            return replace(
                schedule,
                name=edit.name,
                timezone=edit.timezone,
                description=edit.description,
                enabled=edit.enabled,
                owner_team=edit.owner_team,
            )
        case e.RotationAdded():
            return replace(schedule, rotations=(*schedule.rotations, edit.rotation))
        case e.RotationUpdated():
            new = edit.rotation
            rotations = tuple(new if r.id == new.id else r for r in schedule.rotations)
            return replace(schedule, rotations=rotations)
        case e.RotationDeleted():
            return _without_rotation(schedule, edit.rotation_id)
        case e.OverrideAdded():
            return replace(schedule, overrides=(*schedule.overrides, edit.override))
        case e.OverrideUpdated():
            o = edit.override
            return replace(
                schedule, overrides=tuple(o if x.id == o.id else x for x in schedule.overrides)
            )
        case e.OverrideDeleted():
            overrides = tuple(o for o in schedule.overrides if o.id != edit.override_id)
            return replace(schedule, overrides=overrides)


def _without_rotation(schedule: Schedule, rotation_id: str) -> Schedule:
    """``schedule`` without the rotation; overrides naming only it are dropped."""
    overrides: list[Override] = []
    for override in schedule.overrides:
        if rotation_id not in override.rotation_ids:
            overrides.append(override)
            continue
        rest = tuple(r for r in override.rotation_ids if r != rotation_id)
        if rest:
            overrides.append(msgspec.structs.replace(override, rotation_ids=rest))
    rotations = tuple(r for r in schedule.rotations if r.id != rotation_id)
    return msgspec.structs.replace(schedule, rotations=rotations, overrides=tuple(overrides))


def evolve(state: SchedulesState, event: e.ScheduleEvent) -> SchedulesState:
    """Fold ``event`` into ``state`` in place; total (unknown schedules are ignored)."""
    match event:
        case e.ScheduleCreated():
            state.schedules[event.schedule_id] = ScheduleRecord(
                schedule=event.schedule,
                created_at=event.at,
                updated_at=event.at,
                checked_at=event.at,
            )
            return state
        case e.FeedTokenCreated():
            state.feeds[event.token_id] = FeedToken(
                id=event.token_id,
                kind=event.kind,
                target=event.target,
                token_hash=event.token_hash,
                created_at=event.at,
            )
            return state
        case e.FeedTokenRevoked():
            state.feeds.pop(event.token_id, None)
            return state
    record = state.schedules.get(event.schedule_id)
    if record is not None:
        _evolve_record(state, record, event)
    return state


def _evolve_record(state: SchedulesState, record: ScheduleRecord, event: e.ScheduleEvent) -> None:
    match event:
        case e.ScheduleDeleted():
            del state.schedules[event.schedule_id]
            for token in [t for t in state.feeds.values() if t.kind == "schedule"]:
                if token.target == event.schedule_id:
                    del state.feeds[token.id]
        case e.OnCallChanged():
            record.on_call, record.sources = event.users, event.sources
            record.checked_at = event.at
        case e.OnCallChecked():
            record.checked_at = event.at
        case (
            e.ScheduleUpdated()
            | e.RotationAdded()
            | e.RotationUpdated()
            | e.RotationDeleted()
            | e.OverrideAdded()
            | e.OverrideUpdated()
            | e.OverrideDeleted()
        ):
            record.schedule = apply_edit(record.schedule, event)
            record.updated_at = record.checked_at = event.at
            if isinstance(event, e.OverrideAdded | e.OverrideUpdated):
                record.next_sequence = max(record.next_sequence, event.override.sequence + 1)
