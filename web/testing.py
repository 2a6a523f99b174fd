"""Test-mode-only routes (registered only when PULSAR_TEST_MODE=1).

``POST /api/test/echo`` is the trivial POST for benchmarks (no engine).
``POST /api/test/clock/advance {"seconds": N}`` moves the engine's wall clock
forward and wakes every actor so due timers fire, letting a black-box test say
"advance 30 minutes, expect the snooze to end" (design.md decision 6).
"""

from __future__ import annotations

import msgspec
from quart import Blueprint, Response

from web.api.schemas import CreateAlertRequest
from web.app import json_response, parse_body, principal, services
from web.errors import ApiError

__all__ = ["blueprint"]

blueprint = Blueprint("testing", __name__)


class Advance(msgspec.Struct, kw_only=True):
    seconds: float


@blueprint.post("/clock/advance")
async def advance() -> Response:
    body = await parse_body(Advance)
    if body.seconds < 0:
        raise ApiError(422, "invalid_field", "seconds must be >= 0", field="seconds")
    svc = services()
    svc.clock.advance(body.seconds)  # type: ignore[attr-defined]
    svc.supervisor.wake_all()
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
