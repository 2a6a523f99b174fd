"""The envelope: what the log stores around an event's opaque payload.

The event store never knows domain types. It stores a type tag, payload bytes
(msgspec-encoded by the engine), metadata bytes and an optional ``subject`` (the
entity an event is about, e.g. an alert id) so an entity's history can be read
without decoding every payload of its organization.
"""

from __future__ import annotations

from datetime import datetime
from typing import final

import msgspec

__all__ = ["Envelope", "NewEvent", "PayloadChunk", "Snapshot"]


@final
class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event about to be appended: the store assigns version and position."""

    type: str
    data: bytes
    metadata: bytes = b"{}"
    subject: str | None = None


@final
class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    """A committed event as read back from the log.

    ``version`` is the per-organization version (1, 2, 3, ... gapless);
    ``position`` is the global position, increasing in commit order across
    all organizations.
    """

    position: int
    org_id: str
    version: int
    type: str
    data: bytes
    metadata: bytes
    subject: str | None
    recorded_at: datetime


@final
class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """An organization's folded state at ``version``, encoded by the engine."""

    org_id: str
    version: int
    schema_version: int
    data: bytes


@final
class PayloadChunk(msgspec.Struct, frozen=True, kw_only=True):
    """Consecutive events' payloads joined by a separator (see ``iter_payloads``)."""

    first_version: int
    last_version: int
    count: int
    data: bytes
