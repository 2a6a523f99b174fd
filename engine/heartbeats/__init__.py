"""Heartbeats area: expected pings, their deadlines, and expiry (pure).

A heartbeat not pinged within its interval expires; ``engine.org.decider``
then raises its alert (alias ``heartbeat-<name>``) and closes it on the next
ping. Import from this package, not its modules.
"""

from engine.heartbeats.commands import (
    HEARTBEAT_COMMAND_TYPES,
    CreateHeartbeat,
    DeleteHeartbeat,
    DisableHeartbeat,
    EnableHeartbeat,
    ExpireHeartbeat,
    HeartbeatCommand,
    PingHeartbeat,
    UpdateHeartbeat,
)
from engine.heartbeats.decider import (
    alert_alias,
    decide,
    evolve,
    expiry_alert_id,
    find_heartbeat,
    initial_state,
)
from engine.heartbeats.events import (
    HEARTBEAT_EVENT_TYPES,
    HeartbeatCreated,
    HeartbeatDeleted,
    HeartbeatDisabled,
    HeartbeatEnabled,
    HeartbeatEvent,
    HeartbeatExpired,
    HeartbeatPinged,
    HeartbeatUpdated,
)
from engine.heartbeats.state import (
    INTERVAL_UNITS,
    Heartbeat,
    HeartbeatSettings,
    HeartbeatsState,
    deadline_of,
    due_heartbeats,
    heartbeat_expired,
    next_due,
)

__all__ = [
    "HEARTBEAT_COMMAND_TYPES",
    "HEARTBEAT_EVENT_TYPES",
    "INTERVAL_UNITS",
    "CreateHeartbeat",
    "DeleteHeartbeat",
    "DisableHeartbeat",
    "EnableHeartbeat",
    "ExpireHeartbeat",
    "Heartbeat",
    "HeartbeatCommand",
    "HeartbeatCreated",
    "HeartbeatDeleted",
    "HeartbeatDisabled",
    "HeartbeatEnabled",
    "HeartbeatEvent",
    "HeartbeatExpired",
    "HeartbeatPinged",
    "HeartbeatSettings",
    "HeartbeatUpdated",
    "HeartbeatsState",
    "PingHeartbeat",
    "UpdateHeartbeat",
    "alert_alias",
    "deadline_of",
    "decide",
    "due_heartbeats",
    "evolve",
    "expiry_alert_id",
    "find_heartbeat",
    "heartbeat_expired",
    "initial_state",
    "next_due",
]
