"""Route registration (at the root and under any prefix) and helpers shared by the routes.

compat-api.md 1.1: Alertmanager appends ``v2/alerts`` to whatever path its ``api_url``
has, so every route is mounted at ``/v2/...`` and at ``/<prefix>/v2/...``; collection
paths ignore a trailing ``/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint, Response, request

from web.app import services
from web.auth.principal import Principal
from web.auth.scope import find_visible_alert
from web.compat.opsgenie.requests import RequestStore
from web.errors import ApiError

__all__ = ["identifier_type", "int_arg", "mount", "request_store", "resolve"]

View = Callable[..., Awaitable[Response]]
_STORE_KEY = "opsgenie.requests"


def mount(blueprint: Blueprint, rule: str, methods: list[str]) -> Callable[[View], View]:
    """Register the view at ``rule`` and at ``/<prefix>rule``."""

    def register(view: View) -> View:
        # werkzeug ignores strict_slashes after a path converter: add the "/" rule explicitly.
        rules = ((rule, ""), (f"/<path:og_prefix>{rule}", "_prefixed"),
                 (f"/<path:og_prefix>{rule}/", "_prefixed_slash"))  # fmt: skip
        for path, suffix in rules:
            blueprint.add_url_rule(
                path,
                endpoint=view.__name__ + suffix,
                view_func=view,
                methods=methods,
                strict_slashes=False,
            )
        return view

    return register


def drop_prefix(blueprint: Blueprint) -> None:
    """Views never see the mount prefix."""

    @blueprint.url_value_preprocessor
    def pop_prefix(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values is not None:
            values.pop("og_prefix", None)


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
