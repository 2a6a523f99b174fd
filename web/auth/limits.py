"""Request rate limits: token buckets per API key, per user, per IP and per integration.

A bucket holds ``per_minute`` tokens and refills continuously at
``per_minute / 60`` per second, so a client may burst a minute's budget and
then goes at the steady rate. An empty bucket answers 429 with
``Retry-After`` (whole seconds until one token is back). Buckets live in
this process's memory (several processes each enforce the limit on their
own share); the least recently used are dropped beyond ``max_buckets``.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, final

from web.errors import ApiError

if TYPE_CHECKING:
    from web.auth.principal import Principal
    from web.config import Config

__all__ = ["Limits", "TokenBuckets"]


@final
class TokenBuckets:
    """Token buckets of one budget, keyed by caller; ``clock`` returns seconds."""

    def __init__(
        self, per_minute: int, *, clock: Callable[[], float], max_buckets: int = 100_000
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._max = max_buckets
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float | None:
        """Take one token for ``key``: None if allowed, else seconds until one is back."""
        if self.rate <= 0:
            return None
        now = self._clock()
        tokens, stamp = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
        wait = None
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return wait


@final
class Limits:
    """The server's budgets (``PULSAR_RATE_LIMIT_*``, requests per minute, 0 = off)."""

    def __init__(self, config: Config, clock: Callable[[], float] = time.monotonic) -> None:
        self.key = TokenBuckets(config.rate_limit_key, clock=clock)
        self.user = TokenBuckets(config.rate_limit_user, clock=clock)
        self.ip = TokenBuckets(config.rate_limit_ip, clock=clock)
        self.ingest = TokenBuckets(config.rate_limit_ingest, clock=clock)

    def check_ip(self, address: str) -> None:
        _enforce(self.ip.take(address), "this address")

    def check_principal(self, who: Principal) -> None:
        if who.kind == "user":
            _enforce(self.user.take(who.id), "this user")
        elif who.kind == "integration":
            _enforce(self.ingest.take(who.id), "this integration")
        else:
            _enforce(self.key.take(who.id), "this API key")

    def check_ingest(self, integration_id: str) -> None:
        _enforce(self.ingest.take(integration_id), "this integration")


def _enforce(wait: float | None, whom: str) -> None:
    if wait is None:
        return
    seconds = max(1, math.ceil(wait))
    raise ApiError(
        429,
        "rate_limited",
        f"too many requests from {whom}; retry after {seconds} s",
        headers={"Retry-After": str(seconds)},
    )
