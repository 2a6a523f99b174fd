"""Opsgenie routes mounted under a path prefix share their root route's access rule."""

from __future__ import annotations

from typing import Any

import pytest

from web.app import Services, create_app
from web.auth.routes import ROUTES, access_of
from web.config import Config

_SUFFIXES = ("_prefixed_slash", "_prefixed")


def _app() -> Any:
    services: Any = Services(
        config=Config(test_mode=True, jwt_secret="s" * 40),
        store=None,  # type: ignore[arg-type]
        clock=None,  # type: ignore[arg-type]
        supervisor=None,  # type: ignore[arg-type]
        directory=None,  # type: ignore[arg-type]
    )
    return create_app(services)


def test_prefixed_endpoints_have_their_root_routes_rule() -> None:
    endpoints = {rule.endpoint for rule in _app().url_map.iter_rules()}
    prefixed = sorted(e for e in endpoints if e.endswith(_SUFFIXES))
    assert any(e.startswith("opsgenie_heartbeats.") for e in prefixed)
    for endpoint in prefixed:
        root = endpoint.removesuffix("_prefixed_slash").removesuffix("_prefixed")
        assert root in endpoints
        assert endpoint not in ROUTES
        assert access_of(endpoint) is ROUTES[root]


@pytest.mark.parametrize(
    ("method", "path", "endpoint"),
    [
        ("POST", "/og/v2/heartbeats", "og_create_prefixed"),
        ("GET", "/og/v2/heartbeats/", "og_list_prefixed_slash"),
        ("GET", "/a/b/v2/heartbeats/db", "og_get_prefixed"),
        ("PATCH", "/og/v2/heartbeats/db", "og_update_prefixed"),
        ("DELETE", "/og/v2/heartbeats/db", "og_delete_prefixed"),
        ("POST", "/og/v2/heartbeats/db/enable", "og_enable_prefixed"),
        ("POST", "/og/v2/heartbeats/db/disable", "og_disable_prefixed"),
        ("M", "/og/v2/heartbeats/db/ping", "og_ping_prefixed"),  # every ping method
    ],
)
def test_heartbeat_paths_under_a_prefix_reach_the_heartbeat_views(
    method: str, path: str, endpoint: str
) -> None:
    adapter = _app().url_map.bind("localhost")
    methods = ["GET", "POST", "PUT", "PATCH", "HEAD"] if method == "M" else [method]
    for verb in methods:
        found, args = adapter.match(path, method=verb)
        assert found == f"opsgenie_heartbeats.{endpoint}"
        assert "og_prefix" in args
    # The root path still reaches the root endpoint (the native API is untouched).
    root = path.split("/v2/", 1)[1]
    found, _ = adapter.match(f"/v2/{root}", method=methods[0])
    base = endpoint.removesuffix("_slash").removesuffix("_prefixed")
    assert found == f"opsgenie_heartbeats.{base}"
