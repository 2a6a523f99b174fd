"""Pulsar's engine: pure domain areas, the org aggregate and the actor runtime.

Other packages import only from here (style.md habit 9).
"""

from engine.access import (
    ApiKeyCreated,
    ApiKeyRevoked,
    CreateApiKey,
    OrganizationCreated,
    RevokeApiKey,
)
from engine.alerts import *  # noqa: F403 -- the alert area's public API is the engine's
from engine.alerts import __all__ as _alerts_all
from engine.clock import Clock, FixedClock, TrioClock
from engine.context import SYSTEM, CommandContext, EventMeta
from engine.errors import Conflict, NotFound, Overloaded, PulsarError, Rejected, Unavailable
from engine.ids import hash_api_key, new_api_key, new_id
from engine.org import (
    EVENT_TYPES,
    Command,
    Event,
    OrgState,
    Outcome,
    decode_event,
    decode_events,
    decode_meta,
    is_known,
)
from engine.runtime import (
    Directory,
    KeyEntry,
    OrgActor,
    OrgSupervisor,
    load_state,
    open_org_supervisor,
)
from engine.runtime.admin import ReplayReport, create_organization, verify_replay

__all__ = [
    *_alerts_all,
    "EVENT_TYPES",
    "SYSTEM",
    "ApiKeyCreated",
    "ApiKeyRevoked",
    "Clock",
    "Command",
    "CommandContext",
    "Conflict",
    "CreateApiKey",
    "Directory",
    "Event",
    "EventMeta",
    "FixedClock",
    "KeyEntry",
    "NotFound",
    "OrgActor",
    "OrgState",
    "OrgSupervisor",
    "OrganizationCreated",
    "Outcome",
    "Overloaded",
    "PulsarError",
    "Rejected",
    "ReplayReport",
    "RevokeApiKey",
    "TrioClock",
    "Unavailable",
    "create_organization",
    "decode_event",
    "decode_events",
    "decode_meta",
    "hash_api_key",
    "is_known",
    "load_state",
    "new_api_key",
    "new_id",
    "open_org_supervisor",
    "verify_replay",
]
