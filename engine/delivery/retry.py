"""Retries with exponential back-off and jitter, for every outgoing HTTP call.

What is retried: connection errors, timeouts, 429 (honouring ``Retry-After``
up to ``RetryPolicy.max_delay``) and 5xx. What is not: any other 4xx (the
provider refused the message: retrying would only be refused again), 3xx
(redirects are not followed: a notification URL that moved is a
configuration error to report), an invalid URL, and a destination the
outbound policy refuses (``guard.DestinationRefused``: it would be refused
again). ``post`` never raises for those; it returns what happened for the
channel to turn into a ``Result``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import final

import httpx
import msgspec
import trio

from engine.delivery.guard import DestinationRefused

__all__ = ["Attempted", "RetryPolicy", "describe", "post", "retry_after"]

_DETAIL_MAX = 300


@final
class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How often and how patiently to try.

    ``attempts`` counts the first try. The n-th wait is ``base_delay * 2**(n-1)``
    capped at ``max_delay``, less up to ``jitter`` of it drawn at random (so
    many failed deliveries do not retry in lock-step). ``max_delay`` also caps
    a provider's ``Retry-After``.
    """

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Seconds to wait after the ``failures``-th failed attempt (1-based)."""
        delay: float = min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))
        return delay * (1.0 - self.jitter * rng.random())


@final
class Attempted(msgspec.Struct, frozen=True, kw_only=True):
    """The last answer (or transport error) after the retries, and how many tries."""

    response: httpx.Response | None
    error: str
    attempts: int


def _never(response: httpx.Response) -> bool:
    return False


_rng = random.Random()


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    policy: RetryPolicy,
    retry_also: Callable[[httpx.Response], bool] = _never,
    rng: random.Random = _rng,
) -> Attempted:
    """POST ``content`` to ``url``, retrying what is worth retrying (module docstring).

    ``retry_also`` marks more answers as transient (Slack's 200 ``ratelimited``).
    A checkpoint; each attempt is bounded by the client's timeouts.
    """
    failures = 0
    while True:
        wait: float | None
        try:
            response = await client.post(url, content=content, headers=dict(headers))
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            return Attempted(response=None, error=f"invalid URL: {error}", attempts=failures + 1)
        except DestinationRefused as error:
            return Attempted(response=None, error=str(error), attempts=failures + 1)
        except httpx.TimeoutException as error:
            last = Attempted(response=None, error=_error("timed out", error), attempts=failures + 1)
            wait = None
        except httpx.TransportError as error:
            last = Attempted(
                response=None, error=_error("unreachable", error), attempts=failures + 1
            )
            wait = None
        else:
            last = Attempted(response=response, error="", attempts=failures + 1)
            if not _transient(response, retry_also):
                return last
            wait = retry_after(response, policy.max_delay)
        failures += 1
        if failures >= policy.attempts:
            return last
        await trio.sleep(policy.backoff(failures, rng) if wait is None else wait)


def _transient(response: httpx.Response, retry_also: Callable[[httpx.Response], bool]) -> bool:
    status = response.status_code
    return status == 429 or status >= 500 or retry_also(response)


def _error(what: str, error: Exception) -> str:
    text = str(error) or type(error).__name__
    return f"{what}: {text}"[:_DETAIL_MAX]


def retry_after(response: httpx.Response, cap: float) -> float | None:
    """The response's ``Retry-After`` in seconds (delta or HTTP date), at most ``cap``."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), cap)


def describe(attempted: Attempted) -> str:
    """A one-line account of a failed POST: ``HTTP 400: <body>`` or the transport error."""
    response = attempted.response
    if response is None:
        text = attempted.error
    else:
        body = " ".join(response.text.split())
        text = f"HTTP {response.status_code}" + (f": {body}" if body else "")
    suffix = f" (after {attempted.attempts} attempts)" if attempted.attempts > 1 else ""
    return text[:_DETAIL_MAX] + suffix
