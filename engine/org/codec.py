"""Encode engine events into log envelopes and back.

The event store only sees a type tag and bytes; this module owns the mapping
from the engine's tagged msgspec unions to those bytes. Payloads are JSON
(readable in psql). Decoding many envelopes at once joins their payloads into
one JSON array, which msgspec decodes in a single call: replay speed matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from engine.alerts import ALERT_EVENT_TYPES
from engine.alerts import subject_of as alert_subject
from engine.context import EventMeta
from engine.org.events import EVENT_TYPES, Event
from engine.org.state import OrgState
from engine.paging import PAGING_EVENT_TYPES
from eventstore import Envelope, NewEvent

__all__ = ["decode_events", "decode_meta", "decode_state", "encode_event", "encode_state"]

_encoder = msgspec.json.Encoder()
_event_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)
_events_decoder: msgspec.json.Decoder[list[Event]] = msgspec.json.Decoder(list[Event])
_meta_decoder = msgspec.json.Decoder(EventMeta)
_state_decoder = msgspec.msgpack.Decoder(OrgState)
_state_encoder = msgspec.msgpack.Encoder()
_KNOWN = frozenset(t.__name__ for t in EVENT_TYPES)


# Alert and paging events belong to one alert's history (``read_subject``).
_ALERT_EVENTS = frozenset(ALERT_EVENT_TYPES) | frozenset(PAGING_EVENT_TYPES)


def encode_meta(meta: EventMeta) -> bytes:
    return _encoder.encode(meta)


def encode_event(event: Event, meta: EventMeta | bytes) -> NewEvent:
    """The envelope of ``event``; ``meta`` may be pre-encoded (shared by a command's events)."""
    kind = type(event)
    return NewEvent(
        type=kind.__name__,
        data=_encoder.encode(event),
        metadata=meta if isinstance(meta, bytes) else _encoder.encode(meta),
        subject=alert_subject(event) if kind in _ALERT_EVENTS else None,  # type: ignore[arg-type]
    )


def decode_events(envelopes: Sequence[Envelope]) -> list[Event]:
    """Decode envelopes' payloads in one msgspec call."""
    if not envelopes:
        return []
    return _events_decoder.decode(b"[" + b",".join(e.data for e in envelopes) + b"]")


def decode_payloads(joined: bytes) -> list[Event]:
    """Decode payloads joined by ``,`` (``EventStore.iter_payloads``) in one call."""
    return _events_decoder.decode(b"[" + joined + b"]")


def decode_event(envelope: Envelope) -> Event:
    return _event_decoder.decode(envelope.data)


def decode_meta(envelope: Envelope) -> EventMeta:
    return _meta_decoder.decode(envelope.metadata)


def is_known(type_name: str) -> bool:
    return type_name in _KNOWN


def encode_state(state: OrgState) -> bytes:
    return _state_encoder.encode(state)


def decode_state(data: bytes) -> OrgState:
    return _state_decoder.decode(data)


def to_builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
