"""Maintenance area: windows during which integrations or escalation policies do not page (pure).

During a window, new alerts of its entities are recorded but not paged; existing
escalations continue (the issue, scenario S37). Paging asks ``covering`` at an
alert's creation; the window's start and end are recorded as events at the org
actor's timer (``next_due`` / ``due_windows`` -> ``RecordMaintenanceBoundary``), and
paging reacts to ``MaintenanceEnded`` (scenario S38). That the entities exist is a
cross-area rule of ``engine.org.decider``. Import from this package, not its modules.
"""

from engine.maintenance.commands import (
    MAINTENANCE_COMMAND_TYPES,
    CancelMaintenance,
    CreateMaintenance,
    DeleteMaintenance,
    MaintenanceCommand,
    RecordMaintenanceBoundary,
    UpdateMaintenance,
)
from engine.maintenance.decider import MAX_ENTITIES, check_entities, decide, evolve, initial_state
from engine.maintenance.events import (
    MAINTENANCE_EVENT_TYPES,
    MaintenanceCancelled,
    MaintenanceCreated,
    MaintenanceDeleted,
    MaintenanceEnded,
    MaintenanceEvent,
    MaintenanceStarted,
    MaintenanceUpdated,
)
from engine.maintenance.state import (
    ENTITY_STATES,
    ENTITY_TYPES,
    MAINTENANCE_STATUSES,
    TIME_TYPES,
    Maintenance,
    MaintenanceEntity,
    MaintenanceState,
    covering,
    due_at,
    due_windows,
    effective_end,
    find_maintenance,
    maintenance_status,
    next_due,
)

__all__ = [
    "ENTITY_STATES",
    "ENTITY_TYPES",
    "MAINTENANCE_COMMAND_TYPES",
    "MAINTENANCE_EVENT_TYPES",
    "MAINTENANCE_STATUSES",
    "MAX_ENTITIES",
    "TIME_TYPES",
    "CancelMaintenance",
    "CreateMaintenance",
    "DeleteMaintenance",
    "Maintenance",
    "MaintenanceCancelled",
    "MaintenanceCommand",
    "MaintenanceCreated",
    "MaintenanceDeleted",
    "MaintenanceEnded",
    "MaintenanceEntity",
    "MaintenanceEvent",
    "MaintenanceStarted",
    "MaintenanceState",
    "MaintenanceUpdated",
    "RecordMaintenanceBoundary",
    "UpdateMaintenance",
    "check_entities",
    "covering",
    "decide",
    "due_at",
    "due_windows",
    "effective_end",
    "evolve",
    "find_maintenance",
    "initial_state",
    "maintenance_status",
    "next_due",
]
