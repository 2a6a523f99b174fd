"""Identifiers: time-ordered UUIDs for new entities and API-key material.

Ids are generated at the edge (web handlers, the CLI) and arrive in commands,
so ``decide`` stays deterministic.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import time

__all__ = ["hash_api_key", "new_api_key", "new_id"]

API_KEY_PREFIX = "pk_"


# Ids need uniqueness, not secrecy (API keys use ``secrets``): a Mersenne Twister
# seeded from the OS avoids a getrandom() system call per id on the ingest path.
_random = random.Random(os.urandom(32))
_VERSION_7 = 0x7 << 76
_VARIANT = 0x2 << 62
_CLEAR = ~((0xF << 76) | (0x3 << 62))


def new_id() -> str:
    """A UUIDv7-layout id: 48 bits of Unix milliseconds, then random bits."""
    ms = time.time_ns() // 1_000_000
    value = (ms & (2**48 - 1)) << 80 | _random.getrandbits(80)
    h = f"{(value & _CLEAR) | _VERSION_7 | _VARIANT:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
