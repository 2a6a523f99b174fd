"""Argument checks shared by every EventStore implementation.

Both stores reject the same bad input the same way (``ValueError``), before
anything is queued: one bad request must never fail a whole group-commit batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from eventstore.envelope import NewEvent

__all__ = ["check_append", "org_uuid"]


def org_uuid(org_id: str) -> uuid.UUID:
    """``org_id`` parsed as a UUID; ``str()`` of the result is its canonical form."""
    try:
        return uuid.UUID(org_id)
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"org id must be a UUID string, got {org_id!r}") from None


def check_append(org_id: str, expected_version: int, events: Sequence[NewEvent]) -> uuid.UUID:
    """Validate an append's arguments; return the org's UUID."""
    org = org_uuid(org_id)
    if expected_version < 0:
        raise ValueError(f"expected_version must be >= 0, got {expected_version}")
    for event in events:
        if not isinstance(event, NewEvent):
            raise TypeError(f"expected NewEvent, got {type(event).__name__}")
        if "\x00" in event.type or (event.subject is not None and "\x00" in event.subject):
            raise ValueError("event type and subject must not contain NUL characters")
    return org
