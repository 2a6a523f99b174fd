"""decide/evolve for the maintenance area.

Every change of a window is followed, in the same batch, by the boundary events
its definition now implies at ``now`` (``_boundaries``): a window created with a
past start starts at once, a cancel or an end moved into the past ends it at once,
and a deleted active window ends before it goes. The timer records the rest
(``RecordMaintenanceBoundary``), so ``MaintenanceStarted``/``MaintenanceEnded``
appear exactly once per window that was active, in order.

``evolve`` mutates the state in place and returns it, like every area: the org
actor owns the only copy and discards it if an append fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import msgspec

from engine.errors import Conflict, Rejected
from engine.maintenance import commands as c
from engine.maintenance import events as e
from engine.maintenance.state import (
    ENTITY_STATES,
    ENTITY_TYPES,
    TIME_TYPES,
    Maintenance,
    MaintenanceEntity,
    MaintenanceState,
    effective_end,
    find_maintenance,
    initial_state,
)

__all__ = ["MAX_ENTITIES", "check_entities", "decide", "evolve", "initial_state"]

MAX_ENTITIES: Final = 100
MAX_DESCRIPTION: Final = 10000
MAX_ID: Final = 200


def decide(
    state: MaintenanceState, command: c.MaintenanceCommand, now: datetime
) -> list[e.MaintenanceEvent]:
    """The events ``command`` causes at ``now``; ``[]`` when it changes nothing.

    Raises ``NotFound`` (``maintenance_not_found``), ``Conflict``
    (``maintenance_exists``; ``maintenance_over`` for a change to a past or
    cancelled window) or ``Rejected`` (``invalid_field``).
    """
    if isinstance(command, c.CreateMaintenance):
        return _create(state, command, now)
    if isinstance(command, c.RecordMaintenanceBoundary):
        # A timer command never fails: a window deleted meanwhile has no boundary.
        window = state.windows.get(command.maintenance_id)
        return [] if window is None else _boundaries(window, now)
    window = find_maintenance(state, command.maintenance_id)
    match command:
        case c.UpdateMaintenance():
            return _update(window, command, now)
        case c.CancelMaintenance():
            _check_not_over(window, now)
            cancelled = e.MaintenanceCancelled(maintenance_id=window.id, at=now)
            return [cancelled, *_boundaries(_applied(window, cancelled), now)]
    assert isinstance(command, c.DeleteMaintenance)
    # Ending it as if cancelled now first, so paging sees the end of an active window.
    gone = _applied(window, e.MaintenanceCancelled(maintenance_id=window.id, at=now))
    ended = _boundaries(gone, now)
    return [*ended, e.MaintenanceDeleted(maintenance_id=window.id, at=now)]


def _create(
    state: MaintenanceState, command: c.CreateMaintenance, now: datetime
) -> list[e.MaintenanceEvent]:
    window_id = command.maintenance_id.strip()
    if not window_id or len(window_id) > MAX_ID or window_id != command.maintenance_id:
        raise _invalid("maintenance_id", f"maintenance_id must be 1-{MAX_ID} characters")
    if window_id in state.windows:
        raise Conflict("maintenance_exists", f"Maintenance {window_id!r} already exists")
    _check_times(command.start, command.end)
    if command.end is not None and command.end <= now:
        raise _invalid("end", "end must be in the future")
    created = e.MaintenanceCreated(
        maintenance_id=window_id,
        description=_check_description(command.description),
        start=command.start,
        end=command.end,
        entities=check_entities(command.entities),
        time_type=_check_time_type(command.time_type),
        at=now,
    )
    return [created, *_boundaries(_applied(None, created), now)]


def _update(
    window: Maintenance, command: c.UpdateMaintenance, now: datetime
) -> list[e.MaintenanceEvent]:
    _check_not_over(window, now)
    start = window.start if command.start is None else command.start
    end = window.end if isinstance(command.end, msgspec.UnsetType) else command.end
    _check_times(start, end)
    if start != window.start and (window.started_at is not None or window.start <= now):
        raise _invalid("start", "the maintenance has started: its start cannot change")
    updated = e.MaintenanceUpdated(
        maintenance_id=window.id,
        description=(
            window.description
            if command.description is None
            else _check_description(command.description)
        ),
        start=start,
        end=end,
        entities=window.entities if command.entities is None else check_entities(command.entities),
        time_type=(
            window.time_type if command.time_type is None else _check_time_type(command.time_type)
        ),
        at=now,
    )
    after = _applied(window, updated)
    if msgspec.structs.replace(after, updated_at=window.updated_at) == window:
        return []
    return [updated, *_boundaries(after, now)]


def _check_not_over(window: Maintenance, now: datetime) -> None:
    end = effective_end(window)
    if window.ended_at is not None or (end is not None and end <= now):
        raise Conflict("maintenance_over", f"Maintenance {window.id!r} is past or cancelled")


def _boundaries(window: Maintenance, now: datetime) -> list[e.MaintenanceEvent]:
    """The boundary events ``window`` (as defined) is missing at ``now``, in order."""
    if window.ended_at is not None:
        return []
    end = effective_end(window)
    begun = window.started_at is not None or (
        window.start <= now and (end is None or window.start < end)
    )
    events: list[e.MaintenanceEvent] = []
    if begun and window.started_at is None:
        events.append(e.MaintenanceStarted(maintenance_id=window.id, at=now))
    if begun and end is not None and end <= now:
        events.append(
            e.MaintenanceEnded(maintenance_id=window.id, entities=window.entities, at=now)
        )
    return events


def _invalid(field: str, message: str) -> Rejected:
    return Rejected("invalid_field", message, field=field)


def _check_aware(field: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _invalid(field, f"{field} must include a UTC offset")


def _check_times(start: datetime, end: datetime | None) -> None:
    _check_aware("start", start)
    if end is not None:
        _check_aware("end", end)
        if end <= start:
            raise _invalid("end", "end must be after start")


def _check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise _invalid("description", f"description must be at most {MAX_DESCRIPTION} characters")
    return description


def _check_time_type(time_type: str) -> str:
    if time_type not in TIME_TYPES:
        raise _invalid("time_type", f"time type must be one of {', '.join(TIME_TYPES)}")
    return time_type


def check_entities(entities: tuple[MaintenanceEntity, ...]) -> tuple[MaintenanceEntity, ...]:
    """``entities`` validated, stripped and without repeats (the first of each kept)."""
    if not 1 <= len(entities) <= MAX_ENTITIES:
        raise _invalid("entities", f"a maintenance needs 1-{MAX_ENTITIES} entities")
    seen: dict[tuple[str, str], MaintenanceEntity] = {}
    for entity in entities:
        if entity.type not in ENTITY_TYPES:
            raise _invalid("entities", "entity type must be integration or policy")
        if entity.state not in ENTITY_STATES:
            raise _invalid("entities", "entity state must be disabled or enabled")
        if entity.type == "integration" and entity.state == "enabled":
            raise _invalid("entities", "an integration's state in a maintenance is disabled")
        ref = entity.id.strip()
        if not ref or len(ref) > MAX_ID:
            raise _invalid("entities", f"entity id must be 1-{MAX_ID} characters")
        seen.setdefault(
            (entity.type, ref), MaintenanceEntity(type=entity.type, id=ref, state=entity.state)
        )
    return tuple(seen.values())


def _applied(window: Maintenance | None, event: e.MaintenanceEvent) -> Maintenance:
    """``window`` after ``event`` (``window`` is ``None`` only for a creation)."""
    if isinstance(event, e.MaintenanceCreated):
        return Maintenance(
            id=event.maintenance_id,
            description=event.description,
            start=event.start,
            end=event.end,
            entities=event.entities,
            time_type=event.time_type,
            created_at=event.at,
            updated_at=event.at,
        )
    assert window is not None
    replace = msgspec.structs.replace
    match event:
        case e.MaintenanceUpdated():
            return replace(
                window,
                description=event.description,
                start=event.start,
                end=event.end,
                entities=event.entities,
                time_type=event.time_type,
                updated_at=event.at,
            )
        case e.MaintenanceCancelled():
            return replace(window, cancelled_at=event.at, updated_at=event.at)
        case e.MaintenanceStarted():
            return replace(window, started_at=event.at)
    assert isinstance(event, e.MaintenanceEnded)  # a deletion never reaches here
    return replace(window, ended_at=event.at)


def evolve(state: MaintenanceState, event: e.MaintenanceEvent) -> MaintenanceState:
    """Apply one committed event in place; total, never raises."""
    if isinstance(event, e.MaintenanceDeleted):
        state.windows.pop(event.maintenance_id, None)
        return state
    window = state.windows.get(event.maintenance_id)
    if window is None and not isinstance(event, e.MaintenanceCreated):
        return state
    state.windows[event.maintenance_id] = _applied(window, event)
    return state
