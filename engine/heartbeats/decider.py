"""decide/evolve for the heartbeats area.

Raising the expiry alert and closing it on the next ping are cross-area steps
and live in ``engine.org.decider``: this area only decides the heartbeat
events, and names the alert (``alert_alias``, ``expiry_alert_id``) so that
both steps agree and replay is deterministic.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from engine.errors import Conflict, NotFound, Rejected
from engine.heartbeats import commands as c
from engine.heartbeats import events as e
from engine.heartbeats.state import (
    Heartbeat,
    HeartbeatSettings,
    HeartbeatsState,
    deadline_of,
    initial_state,
)

__all__ = ["alert_alias", "decide", "evolve", "expiry_alert_id", "find_heartbeat", "initial_state"]

# Fixed namespace of expiry alert ids: uuid5(namespace, "<heartbeat id>@<deadline>").
_ALERT_NAMESPACE = uuid.UUID("6b1f0c5e-3c1d-5e4a-9a7e-68656172746a")


_SETTING_FIELDS = tuple(f.name for f in msgspec.structs.fields(HeartbeatSettings))


def alert_alias(name: str) -> str:
    """The alias of the alert heartbeat ``name`` raises (one open alert per heartbeat)."""
    return f"heartbeat-{name}"


def expiry_alert_id(heartbeat_id: str, deadline: datetime) -> str:
    """The deterministic id of the alert raised when ``heartbeat_id`` misses ``deadline``."""
    return str(uuid.uuid5(_ALERT_NAMESPACE, f"{heartbeat_id}@{deadline.isoformat()}"))


def find_heartbeat(state: HeartbeatsState, name: str) -> Heartbeat:
    """The heartbeat called ``name``; raises ``NotFound("heartbeat_not_found")``."""
    heartbeat = state.heartbeats.get(name)
    if heartbeat is None:
        raise NotFound("heartbeat_not_found", f"Heartbeat {name!r} does not exist")
    return heartbeat


def decide(
    state: HeartbeatsState, command: c.HeartbeatCommand, now: datetime
) -> list[e.HeartbeatEvent]:
    """The events ``command`` causes at ``now``; ``[]`` when it changes nothing.

    Raises ``NotFound`` (``heartbeat_not_found``), ``Conflict`` (``heartbeat_exists``)
    or ``Rejected`` (``invalid_field``). ``ExpireHeartbeat`` never raises.
    """
    match command:
        case c.CreateHeartbeat():
            return [_create(state, command, now)]
        case c.ExpireHeartbeat():
            return _expire(state, command.name, now)
    heartbeat = find_heartbeat(state, command.name)
    match command:
        case c.UpdateHeartbeat():
            return _update(heartbeat, command, now)
        case c.EnableHeartbeat():
            return [] if heartbeat.enabled else [e.HeartbeatEnabled(name=heartbeat.name, at=now)]
        case c.DisableHeartbeat():
            return [e.HeartbeatDisabled(name=heartbeat.name, at=now)] if heartbeat.enabled else []
        case c.PingHeartbeat():
            return [e.HeartbeatPinged(name=heartbeat.name, at=now)]
        case c.DeleteHeartbeat():
            return [e.HeartbeatDeleted(name=heartbeat.name, at=now)]


def _create(state: HeartbeatsState, command: c.CreateHeartbeat, now: datetime) -> e.HeartbeatEvent:
    name = c.check_name(command.name)
    if not command.heartbeat_id:
        raise Rejected("invalid_field", "heartbeat id is required", field="id")
    settings = HeartbeatSettings(
        description=command.description,
        interval=command.interval,
        interval_unit=command.interval_unit,
        owner_team=command.owner_team,
        alert_message=command.alert_message,
        alert_tags=command.alert_tags,
        alert_priority=command.alert_priority,
    )
    settings = c.check_settings(name, settings)
    if name in state.heartbeats:
        raise Conflict("heartbeat_exists", f"Heartbeat {name!r} already exists")
    return e.HeartbeatCreated(
        name=name,
        at=now,
        heartbeat_id=command.heartbeat_id,
        enabled=command.enabled,
        settings=settings,
    )


def _update(
    heartbeat: Heartbeat, command: c.UpdateHeartbeat, now: datetime
) -> list[e.HeartbeatEvent]:
    old = heartbeat.settings
    changes = {
        field: value for field in _SETTING_FIELDS if (value := getattr(command, field)) is not None
    }
    settings = c.check_settings(heartbeat.name, msgspec.structs.replace(old, **changes))
    events: list[e.HeartbeatEvent] = []
    if settings != old:
        events.append(e.HeartbeatUpdated(name=heartbeat.name, at=now, settings=settings))
    if command.enabled is not None and command.enabled != heartbeat.enabled:
        kind = e.HeartbeatEnabled if command.enabled else e.HeartbeatDisabled
        events.append(kind(name=heartbeat.name, at=now))
    return events


def _expire(state: HeartbeatsState, name: str, now: datetime) -> list[e.HeartbeatEvent]:
    heartbeat = state.heartbeats.get(name)
    if heartbeat is None or not heartbeat.enabled or heartbeat.expired:
        return []
    deadline = deadline_of(heartbeat)
    if deadline > now:
        return []
    return [
        e.HeartbeatExpired(
            name=name,
            at=now,
            deadline=deadline,
            alert_id=expiry_alert_id(heartbeat.id, deadline),
            alert_alias=alert_alias(name),
        )
    ]


def evolve(state: HeartbeatsState, event: e.HeartbeatEvent) -> HeartbeatsState:
    """Fold ``event`` into ``state`` in place; total (unknown heartbeats are ignored)."""
    if isinstance(event, e.HeartbeatCreated):
        state.heartbeats[event.name] = Heartbeat(
            id=event.heartbeat_id,
            name=event.name,
            settings=event.settings,
            enabled=event.enabled,
            created_at=event.at,
            updated_at=event.at,
            counting_from=event.at,
        )
        return state
    heartbeat = state.heartbeats.get(event.name)
    if heartbeat is None:
        return state
    heartbeat.updated_at = event.at
    match event:
        case e.HeartbeatUpdated():
            heartbeat.settings = event.settings
        case e.HeartbeatEnabled():
            heartbeat.enabled, heartbeat.expired, heartbeat.counting_from = True, False, event.at
        case e.HeartbeatDisabled():
            heartbeat.enabled, heartbeat.expired = False, False
        case e.HeartbeatPinged():
            heartbeat.last_ping_at = heartbeat.counting_from = event.at
            heartbeat.expired = False
        case e.HeartbeatExpired():
            heartbeat.expired = True
        case e.HeartbeatDeleted():
            del state.heartbeats[event.name]
    return state
