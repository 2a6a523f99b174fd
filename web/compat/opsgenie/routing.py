"""Helpers shared by the alert routes: request statuses, identifiers, integer arguments.

The routes are registered at the root and under any prefix by ``web.compat.prefix.mount``.
"""

from __future__ import annotations

from typing import Any

from quart import request

from web.app import services
from web.auth.principal import Principal
from web.auth.scope import find_visible_alert
from web.compat.opsgenie.requests import RequestStore
from web.errors import ApiError

__all__ = ["identifier_type", "int_arg", "request_store", "resolve"]

_STORE_KEY = "opsgenie.requests"


def request_store() -> RequestStore:
    """The app's request-status store (in ``Services.extra``; refilled from the log)."""
    store = services().extra.get(_STORE_KEY)
    if store is None:
        store = services().extra[_STORE_KEY] = RequestStore()
    assert isinstance(store, RequestStore)
    return store


def identifier_type(arg: str = "identifierType") -> str:
    kind = request.args.get(arg, "id") or "id"
    if kind not in ("id", "tiny", "tinyId", "alias"):
        raise ApiError(422, "invalid_field", f"{arg} must be one of id, tiny, alias", field=arg)
    return kind


async def resolve(key: Principal, identifier: str, kind: str) -> tuple[str, str]:
    """The ``(id, alias)`` of an alert ``key`` may see; raises ``NotFound`` (404)."""

    def look(state: Any) -> tuple[str, str]:
        alert = find_visible_alert(key, state.alerts, identifier, kind)
        return alert.id, alert.alias

    result: tuple[str, str] = await services().supervisor.read(key.org_id, look)
    return result


def int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    """An integer query parameter; 422 when not an integer or below ``low``; capped at ``high``."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(422, "invalid_field", f"{name} must be an integer", field=name) from None
    if value < low:
        raise ApiError(422, "invalid_field", f"{name} must be at least {low}", field=name)
    return min(value, high) if high is not None else value
