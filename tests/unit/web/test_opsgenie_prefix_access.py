"""Opsgenie routes under a path prefix: all of them, with their root route's access rule."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException

from web.app import Services, create_app
from web.auth.routes import ROUTES, access_of
from web.compat.prefix import opsgenie_path
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


def test_every_opsgenie_route_is_also_mounted_under_a_prefix() -> None:
    """Each root /v1 or /v2 route (but Pulsar's own webhooks) has both prefixed variants."""
    rules = list(_app().url_map.iter_rules())
    by_endpoint = {(r.endpoint, r.rule): r for r in rules}
    roots = [
        r
        for r in rules
        if r.rule.startswith(("/v1/", "/v2/")) and not r.endpoint.startswith("webhooks.")
    ]
    assert len({r.endpoint.split(".")[0] for r in roots}) == 10  # alerts ... contacts
    for root in roots:
        for rule, suffix in ((root.rule, "_prefixed"), (f"{root.rule}/", "_prefixed_slash")):
            prefixed = by_endpoint.get((root.endpoint + suffix, f"/<prefix:og_prefix>{rule}"))
            assert prefixed is not None, (root.endpoint, suffix)
            assert prefixed.methods == root.methods


def test_the_native_api_never_reaches_a_prefixed_route() -> None:
    """``/api/v1`` is no prefix: ``PUT /api/v1/maintenance/{id}`` stays the native 405."""
    app = _app()
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<[^>]+>", "x1", rule.rule)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            try:
                endpoint, _ = adapter.match(path, method=method)
            except HTTPException:
                continue
            assert not endpoint.endswith(_SUFFIXES), (method, path, endpoint)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v2/nope", True),
        ("/og/v2/nope", True),
        ("/a/b/v1/maintenance/x/y", True),
        ("/v2/", True),
        ("/api/v1/nope", False),
        ("/api/v2/nope", False),
        ("/ical/x/v2/y", False),
        ("/v1/webhooks/nope", False),
        ("/v2/enqueue", False),
        ("/alerts/v2", False),
        ("/alerts", False),
    ],
)
def test_which_unmatched_paths_answer_in_opsgenie_shape(path: str, expected: bool) -> None:
    assert expected == opsgenie_path(path)
