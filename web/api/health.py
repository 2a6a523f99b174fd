"""Liveness and readiness."""

from __future__ import annotations

import trio
from quart import Blueprint, Response

from eventstore import EventStoreError
from web.app import json_response, services
from web.errors import error_response

__all__ = ["blueprint"]

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
async def healthz() -> Response:
    """The process is up and serving HTTP."""
    return json_response({"status": "ok"})


@blueprint.get("/readyz")
async def readyz() -> Response:
    """The event log answers within 2 s (reliability.md decision 10)."""
    with trio.move_on_after(2):
        try:
            await services().store.stream_version("00000000-0000-0000-0000-000000000000")
        except (EventStoreError, OSError) as error:
            return error_response(503, "unavailable", f"event log unavailable: {error}")
        return json_response({"status": "ready"})
    return error_response(503, "unavailable", "event log did not answer within 2 s")
