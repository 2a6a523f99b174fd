"""Every route of the app has an access rule, and the table names no route that is gone."""

from __future__ import annotations

from typing import Any

from web.app import Services, create_app
from web.auth.routes import ROUTES, access_of
from web.config import Config


def _endpoints() -> set[str]:
    services: Any = Services(
        config=Config(test_mode=True, jwt_secret="s" * 40),
        store=None,  # type: ignore[arg-type]
        clock=None,  # type: ignore[arg-type]
        supervisor=None,  # type: ignore[arg-type]
        directory=None,  # type: ignore[arg-type]
    )
    app = create_app(services)
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def test_every_endpoint_has_an_access_rule() -> None:
    missing = sorted(e for e in _endpoints() if access_of(e) is None)
    assert missing == []


def test_the_table_names_only_existing_endpoints() -> None:
    stale = sorted(set(ROUTES) - _endpoints())
    assert stale == []
