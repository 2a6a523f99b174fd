"""Identifiers: time-ordered UUIDs for new entities and API-key material.

Ids are generated at the edge (web handlers, the CLI) and arrive in commands,
so ``decide`` stays deterministic.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid

__all__ = ["hash_api_key", "new_api_key", "new_id"]

API_KEY_PREFIX = "pk_"


def new_id() -> str:
    """A UUIDv7-layout id: 48 bits of Unix milliseconds, then random bits."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & (2**48 - 1)) << 80 | rand & (2**80 - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def new_api_key() -> str:
    """A fresh API key with 256 bits of entropy."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """The stored form of an API key.

    SHA-256, not argon2: an API key is 256 random bits, so a fast hash cannot be
    brute-forced, and it lets every request be authenticated by one dictionary
    lookup (argon2 costs ~50 ms per call by design, which would cap ingest at a
    few dozen requests per second). argon2 is for low-entropy passwords.
    """
    return hashlib.sha256(key.encode()).hexdigest()
