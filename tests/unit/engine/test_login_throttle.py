"""The login throttle: free failures, exponential back-off, window expiry, bounded memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import LoginThrottle
from tests.helpers.decider import NOW

KEY = "account:ann@example.com"


def fail(throttle: LoginThrottle, times: int, key: str = KEY) -> None:
    for _ in range(times):
        throttle.failed(key, NOW)


def test_the_first_failures_are_free() -> None:
    """Up to max_free_failures - 1 failures, the key may try again at once."""
    throttle = LoginThrottle()
    assert throttle.retry_after(KEY, NOW) is None
    fail(throttle, 4)
    assert throttle.retry_after(KEY, NOW) is None


def test_back_off_doubles_from_the_fifth_failure_up_to_fifteen_minutes() -> None:
    """After failure n >= 5 the lock is 2 ** (n - 5) seconds, capped at 900."""
    throttle = LoginThrottle()
    expected = {5: 1.0, 6: 2.0, 7: 4.0, 8: 8.0, 12: 128.0, 14: 512.0, 15: 900.0, 40: 900.0}
    actual = {}
    for n in range(1, 41):
        throttle.failed(KEY, NOW)
        if n in expected:
            actual[n] = throttle.retry_after(KEY, NOW)
    assert actual == expected


def test_delay_table() -> None:
    """delay_after is the policy as a pure function of the failure count."""
    throttle = LoginThrottle(max_free_failures=3, base_delay=0.5, max_delay=10.0)
    assert [throttle.delay_after(n) for n in range(7)] == [0.0, 0.0, 0.0, 0.5, 1.0, 2.0, 4.0]
    assert throttle.delay_after(10**6) == 10.0  # no OverflowError on absurd counts


def test_the_lock_counts_down_and_ends_exactly_on_time() -> None:
    """Half a second into a one-second lock, half a second remains; at one second it is over."""
    throttle = LoginThrottle()
    fail(throttle, 5)
    assert throttle.retry_after(KEY, NOW + timedelta(milliseconds=500)) == 0.5
    assert throttle.retry_after(KEY, NOW + timedelta(seconds=1)) is None
    throttle.failed(KEY, NOW + timedelta(seconds=1))  # sixth failure: two seconds from then
    assert throttle.retry_after(KEY, NOW + timedelta(seconds=2)) == 1.0


def test_success_forgets_the_failures() -> None:
    """A successful login resets the key; succeeding on an unknown key is harmless."""
    throttle = LoginThrottle()
    fail(throttle, 7)
    throttle.succeeded(KEY)
    throttle.succeeded("ip:10.0.0.1")
    assert throttle.retry_after(KEY, NOW) is None
    assert len(throttle) == 0
    fail(throttle, 4)
    assert throttle.retry_after(KEY, NOW) is None


def test_keys_are_independent() -> None:
    """Failures of one key do not slow another down."""
    throttle = LoginThrottle()
    fail(throttle, 6)
    assert throttle.retry_after(KEY, NOW) == 2.0
    assert throttle.retry_after("ip:10.0.0.1", NOW) is None


def test_failures_older_than_the_window_are_forgotten() -> None:
    """An hour after the last failure the count starts over."""
    throttle = LoginThrottle()
    fail(throttle, 6)
    hour = timedelta(hours=1)
    # just inside the window the count goes on: the seventh failure locks for 4 s
    almost = NOW + hour - timedelta(microseconds=1)
    assert throttle.retry_after(KEY, almost) is None
    throttle.failed(KEY, almost)
    assert throttle.retry_after(KEY, almost) == 4.0
    # a whole window after that, the key is dropped and counting restarts at one
    later = almost + hour
    assert throttle.retry_after(KEY, later) is None
    assert len(throttle) == 0
    for _ in range(4):
        throttle.failed(KEY, later)
    assert throttle.retry_after(KEY, later) is None
    throttle.failed(KEY, later)
    assert throttle.retry_after(KEY, later) == 1.0
    throttle.failed(KEY, later + hour)  # a stale entry also restarts on failure
    assert throttle.retry_after(KEY, later + hour) is None


def test_idle_keys_are_dropped_as_failures_arrive() -> None:
    """Keys idle for a whole window are removed from the table by later failures."""
    throttle = LoginThrottle()
    for i in range(10):
        throttle.failed(f"ip:10.0.0.{i}", NOW)
    throttle.failed("ip:10.0.0.99", NOW + timedelta(minutes=59))
    assert len(throttle) == 11
    throttle.failed("ip:10.0.0.100", NOW + timedelta(hours=1))
    assert len(throttle) == 2


def test_table_is_bounded_by_evicting_the_least_recently_failed_key() -> None:
    """Beyond max_keys the key whose last failure is oldest goes first."""
    throttle = LoginThrottle(max_keys=3)
    for key in ("a", "b", "c"):
        fail(throttle, 5, key)
    throttle.failed("a", NOW)  # "a" failed most recently now; "b" is the oldest
    throttle.failed("d", NOW)
    assert len(throttle) == 3
    assert throttle.retry_after("b", NOW) is None
    assert throttle.retry_after("a", NOW) == 2.0
    assert throttle.retry_after("c", NOW) == 1.0


def test_durations_may_be_seconds_or_timedeltas() -> None:
    """base_delay, max_delay and window accept floats (seconds) or timedeltas alike."""
    by_seconds = LoginThrottle(2, 1.5, 60, window=120)
    by_delta = LoginThrottle(
        2,
        timedelta(seconds=1.5),
        timedelta(minutes=1),
        window=timedelta(minutes=2),
    )
    for throttle in (by_seconds, by_delta):
        fail(throttle, 3)
        assert throttle.retry_after(KEY, NOW) == 3.0
        assert (throttle.max_delay, throttle.window) == (60.0, 120.0)


def test_a_clock_stepped_backwards_does_not_lengthen_the_lock() -> None:
    """Asked before the last failure (wall clock stepped back), the wait is at most the lock."""
    throttle = LoginThrottle()
    fail(throttle, 5)
    assert throttle.retry_after(KEY, NOW - timedelta(minutes=5)) == 1.0


@pytest.mark.parametrize(
    "options",
    [
        {"max_free_failures": 0},
        {"base_delay": 0},
        {"max_delay": -1.0},
        {"max_keys": 0},
        {"window": timedelta(minutes=5)},
    ],
)
def test_nonsensical_limits_are_refused(options: dict[str, object]) -> None:
    """Non-positive limits, or a window shorter than the longest lock, are errors."""
    with pytest.raises(ValueError, match="LoginThrottle"):
        LoginThrottle(**options)  # type: ignore[arg-type]
