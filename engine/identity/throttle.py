"""Login throttling: exponential back-off after repeated failures (pure policy).

The web layer keys the throttle by ``"account:<email>"`` and ``"ip:<addr>"``,
asks ``retry_after`` before verifying a password (and answers 429 with
``Retry-After`` when it is not None), then reports ``failed`` or
``succeeded``. The clock is passed in as ``now`` (the engine's ``Clock``), so
the test-mode clock moves the throttle too; nothing here reads a clock.

The policy: a key may make ``max_free_failures`` failed attempts without
waiting; after its ``n``-th consecutive failure (``n >= max_free_failures``)
it is locked for ``base_delay * 2 ** (n - max_free_failures)`` seconds, at
most ``max_delay`` (defaults: 1 s, 2 s, 4 s, ... up to 15 min). A success
forgets the key; so does a ``window`` (1 h) without a failure.

Memory is bounded: keys are held in order of their last failure (a dict keeps
insertion order, and a failure moves its key to the end), so keys idle for a
whole window are dropped from the front as failures arrive, and when more than
``max_keys`` keys remain the least recently failed one is evicted. Under a
flood of distinct keys, eviction can forget an old lock early: the trade of a
bounded table.

Not thread-safe; no method blocks or awaits, so under trio each call is atomic.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import final

__all__ = ["LoginThrottle"]

# 2 ** 64 seconds dwarfs any max_delay; capping the exponent avoids OverflowError.
_MAX_EXPONENT = 64


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@final
class _Failures:
    """A key's consecutive failures and the time of the last one."""

    __slots__ = ("count", "last")

    def __init__(self, count: int, last: datetime) -> None:
        self.count = count
        self.last = last


@final
class LoginThrottle:
    """Per-key exponential back-off after repeated login failures.

    Args:
        max_free_failures: consecutive failures before the first lock (the
            ``max_free_failures``-th failure locks the key for ``base_delay``).
        base_delay: the first lock, in seconds or as a ``timedelta``; each
            further failure doubles it.
        max_delay: the longest lock.
        window: failures are forgotten after this long without a new one;
            at least ``max_delay``, so a lock is never forgotten before it ends.
        max_keys: the most keys tracked at once.

    Raises:
        ValueError: a non-positive limit, or ``window`` shorter than ``max_delay``.
    """

    def __init__(
        self,
        max_free_failures: int = 5,
        base_delay: float | timedelta = 1.0,
        max_delay: float | timedelta = timedelta(minutes=15),
        *,
        window: float | timedelta = timedelta(hours=1),
        max_keys: int = 50_000,
    ) -> None:
        self.max_free_failures = max_free_failures
        self.base_delay = _seconds(base_delay)
        self.max_delay = _seconds(max_delay)
        self.window = _seconds(window)
        self.max_keys = max_keys
        if min(max_free_failures, max_keys) < 1 or min(self.base_delay, self.max_delay) <= 0:
            raise ValueError("LoginThrottle limits must be positive")
        if self.window < self.max_delay:
            raise ValueError("LoginThrottle window must be at least max_delay")
        self._keys: dict[str, _Failures] = {}

    def __len__(self) -> int:
        """How many keys are tracked."""
        return len(self._keys)

    def delay_after(self, failures: int) -> float:
        """The lock, in seconds, after ``failures`` consecutive failures (0.0: none)."""
        if failures < self.max_free_failures:
            return 0.0
        exponent = min(failures - self.max_free_failures, _MAX_EXPONENT)
        return min(self.base_delay * 2.0**exponent, self.max_delay)

    def retry_after(self, key: str, now: datetime) -> float | None:
        """Seconds ``key`` must wait before its next attempt, or None if it may try now."""
        entry = self._keys.get(key)
        if entry is None:
            return None
        elapsed = (now - entry.last).total_seconds()
        if elapsed >= self.window:
            del self._keys[key]
            return None
        delay = self.delay_after(entry.count)
        # min(): a wall clock stepped backwards must not lengthen the lock.
        remaining = min(delay - elapsed, delay)
        return remaining if remaining > 0 else None

    def failed(self, key: str, now: datetime) -> None:
        """Count a failed attempt of ``key`` at ``now``."""
        entry = self._keys.pop(key, None)
        if entry is None or (now - entry.last).total_seconds() >= self.window:
            entry = _Failures(0, now)
        entry.count += 1
        entry.last = now
        self._keys[key] = entry
        self._forget_idle(now)

    def succeeded(self, key: str) -> None:
        """Forget ``key``'s failures after a successful login."""
        self._keys.pop(key, None)

    def _forget_idle(self, now: datetime) -> None:
        """Drop keys idle for a whole window, then the oldest beyond ``max_keys``."""
        keys = self._keys
        while keys:
            oldest = next(iter(keys))
            if (now - keys[oldest].last).total_seconds() < self.window:
                break
            del keys[oldest]
        while len(keys) > self.max_keys:
            del keys[next(iter(keys))]
