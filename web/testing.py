"""Test-mode-only routes (registered only when PULSAR_TEST_MODE=1).

``POST /api/test/echo`` is the trivial POST for benchmarks (no engine).
``POST /api/test/clock/advance {"seconds": N}`` moves the engine's wall clock
forward and wakes every actor so due timers fire, letting a black-box test say
"advance 30 minutes, expect the snooze to end" (design.md decision 6).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import trio
from quart import Blueprint, Response

from web.api.schemas import CreateAlertRequest
from web.app import Services, json_response, parse_body, principal, services
from web.errors import ApiError

__all__ = ["blueprint", "clock_blueprint"]

blueprint = Blueprint("testing", __name__)
# PULSAR_TEST_CLOCK=1: the black-box clock at /api/v1/_test/clock.
clock_blueprint = Blueprint("test_clock", __name__)


class ClockChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Move the engine's clock: ``advance_seconds`` forward, or ``set`` to a later instant."""

    advance_seconds: float | None = None
    set: datetime | None = None


@clock_blueprint.get("/clock")
async def test_clock_now() -> Response:
    return json_response({"now": services().clock.now().isoformat()})


@clock_blueprint.post("/clock")
async def test_clock_change() -> Response:
    """Advance the clock and wake every actor: the timers due meanwhile fire, in order."""
    body = await parse_body(ClockChange)
    svc = services()
    clock = svc.clock
    if (body.advance_seconds is None) == (body.set is None):
        raise ApiError(422, "invalid_body", "give exactly one of advance_seconds and set")
    if body.advance_seconds is not None:
        if not 0 <= body.advance_seconds <= 366 * 86400:
            raise ApiError(
                422, "invalid_field", "advance_seconds must be 0..31622400", field="advance_seconds"
            )
        target = clock.now() + timedelta(seconds=body.advance_seconds)
    else:
        assert body.set is not None
        if body.set.tzinfo is None:
            raise ApiError(422, "invalid_field", "set needs a time zone offset", field="set")
        target = body.set
        if target < clock.now():
            raise ApiError(422, "invalid_field", "the clock only moves forward", field="set")
    await _step_to(svc, target)
    return json_response({"now": clock.now().isoformat()})


async def _step_to(svc: Services, target: datetime) -> None:
    """Move the clock to ``target`` one due-time at a time, so that timers fire at their
    own instants (a rule due at +5 min is handled at +5 min, not at +60)."""
    clock = svc.clock
    while True:
        now = clock.now()
        dues = [
            datetime.fromisoformat(s.next_due)
            for s in svc.supervisor.statistics()
            if s.next_due is not None
        ]
        step = min((d for d in dues if now < d <= target), default=target)
        clock.set(step)  # type: ignore[attr-defined]
        svc.supervisor.wake_all()
        await _settle()
        if step >= target:
            return


async def _settle() -> None:
    """Let woken actors run their timers and the notifier deliver (a few scheduler rounds)."""
    for _ in range(50):
        await trio.lowlevel.checkpoint()
    await trio.sleep(0.05)


class Advance(msgspec.Struct, kw_only=True):
    seconds: float


@blueprint.post("/clock/advance")
async def advance() -> Response:
    body = await parse_body(Advance)
    if body.seconds < 0:
        raise ApiError(422, "invalid_field", "seconds must be >= 0", field="seconds")
    svc = services()
    await _step_to(svc, svc.clock.now() + timedelta(seconds=body.seconds))
    return json_response({"now": svc.clock.now().isoformat()})


@blueprint.post("/echo")
async def echo() -> Response:
    """The trivial POST: the same stack as ``POST /api/v1/alerts`` without the engine.

    Authenticates, decodes an alert body and answers 202 — the baseline that
    benchmarks/ingest.py divides by, so the engine's cost shows as a ratio.
    """
    principal()
    body = await parse_body(CreateAlertRequest)
    return json_response({"result": "echo", "message": body.message}, 202)


@blueprint.get("/clock")
async def now() -> Response:
    return json_response({"now": services().clock.now().isoformat()})
