"""Ids and API-key material."""

from __future__ import annotations

import time
import uuid

from engine import hash_api_key, new_api_key, new_id


def test_new_id_is_a_unique_time_ordered_uuid7() -> None:
    """Ids parse as RFC 4122 version 7 UUIDs, never repeat, and sort by creation time."""
    first = [new_id() for _ in range(2000)]
    time.sleep(0.002)
    later = new_id()
    parsed = uuid.UUID(later)
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert len(set(first)) == 2000
    assert max(first) < later
    assert abs(int(later[:8] + later[9:13], 16) - time.time_ns() // 1_000_000) < 5_000


def test_api_keys_are_random_and_stored_hashed() -> None:
    """Keys carry 256 bits, differ each time, and hash to a stable 64-hex digest."""
    a, b = new_api_key(), new_api_key()
    assert a != b
    assert a.startswith("pk_")
    assert len(a) >= 46
    assert hash_api_key(a) == hash_api_key(a)
    assert len(hash_api_key(a)) == 64
    assert hash_api_key(a) != hash_api_key(b)
