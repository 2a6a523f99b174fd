"""Token buckets: a minute's burst, then the steady rate; Retry-After from the deficit."""

from __future__ import annotations

import pytest

from web.auth.limits import TokenBuckets


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_allows_a_burst_then_waits_for_a_token() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(60, clock=clock)  # one per second
    assert all(buckets.take("k") is None for _ in range(60))
    assert buckets.take("k") == pytest.approx(1.0)
    clock.now = 0.5
    assert buckets.take("k") == pytest.approx(0.5)
    clock.now = 1.0
    assert buckets.take("k") is None


def test_callers_have_separate_buckets() -> None:
    buckets = TokenBuckets(1, clock=FakeClock())
    assert buckets.take("a") is None
    assert buckets.take("a") is not None
    assert buckets.take("b") is None


def test_zero_turns_the_limit_off() -> None:
    buckets = TokenBuckets(0, clock=FakeClock())
    assert all(buckets.take("k") is None for _ in range(1000))


def test_memory_is_bounded_by_dropping_the_least_recent() -> None:
    buckets = TokenBuckets(1, clock=FakeClock(), max_buckets=2)
    for key in ("a", "b", "c"):
        assert buckets.take(key) is None
    assert buckets.take("a") is None  # forgotten, so full again
    assert buckets.take("c") is not None
