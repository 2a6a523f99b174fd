"""The organization aggregate: every area composed, plus codec and idempotency."""

from engine.org.codec import (
    decode_event,
    decode_events,
    decode_meta,
    decode_payloads,
    decode_state,
    encode_event,
    encode_meta,
    encode_state,
    is_known,
)
from engine.org.decider import decide, due_commands, evolve, execute, fold, next_due
from engine.org.events import EVENT_TYPES, Command, Event, RequestRecorded
from engine.org.state import SNAPSHOT_SCHEMA_VERSION, OrgState, Outcome, initial_state

__all__ = [
    "EVENT_TYPES",
    "SNAPSHOT_SCHEMA_VERSION",
    "Command",
    "Event",
    "OrgState",
    "Outcome",
    "RequestRecorded",
    "decide",
    "decode_event",
    "decode_events",
    "decode_meta",
    "decode_payloads",
    "decode_state",
    "due_commands",
    "encode_event",
    "encode_meta",
    "encode_state",
    "evolve",
    "execute",
    "fold",
    "initial_state",
    "is_known",
    "next_due",
]
