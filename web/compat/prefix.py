"""Opsgenie-compatible routes at the root and under any path prefix (compat-api.md 1.1).

Alertmanager appends ``v2/alerts`` to whatever path its ``api_url`` has, and the SDKs and
Terraform keep a path in their base URL the same way, so every Opsgenie route is mounted
at ``/v2/...`` (or ``/v1/...``) and at ``/<prefix>/v2/...``; collection paths ignore a
trailing ``/``. One mechanism for every Opsgenie blueprint (alerts, heartbeats, teams,
routing rules, maintenance, escalations, schedules, users, contacts): ``mount``.

Endpoint names: the root route keeps the view's name; the prefixed variants add
``_prefixed`` and ``_prefixed_slash``, which ``web.auth.routes.access_of`` strips, so a
prefixed route always has its root route's access rule. Views never see the prefix.

A prefix never begins with ``api/v1``: that is the native API, whose paths (say
``PUT /api/v1/maintenance/{id}``) must keep their own 404/405, not reach an Opsgenie view.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint, Response
from werkzeug.routing import BaseConverter

__all__ = ["PrefixConverter", "mount", "opsgenie_path"]

View = Callable[..., Awaitable[Response]]
_prepared: weakref.WeakSet[Blueprint] = weakref.WeakSet()
# A /v1 or /v2 segment with something after it, not under the native API, the
# calendar feeds or Pulsar's own webhooks (/v1/webhooks, PagerDuty's /v2/enqueue).
_OPSGENIE_PATH = re.compile(r"^/(?!(?:api|ical)(?:/|$))(?:[^/]+/)*v[12]/(?!webhooks/|enqueue$)")


class PrefixConverter(BaseConverter):
    """The path prefix before ``/v1`` or ``/v2``: one or more segments, never ``api/v1...``."""

    regex = r"(?!api/v1(?:/|$))[^/].*?"
    part_isolating = False
    weight = 200  # as werkzeug's ``path``


def _prepare(blueprint: Blueprint) -> None:
    """Once per blueprint: the ``prefix`` converter, and drop the prefix before the view."""
    if blueprint in _prepared:
        return
    _prepared.add(blueprint)

    @blueprint.record_once
    def converter(state: Any) -> None:
        state.app.url_map.converters["prefix"] = PrefixConverter

    @blueprint.url_value_preprocessor
    def drop_prefix(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values is not None:
            values.pop("og_prefix", None)


def mount(
    blueprint: Blueprint, rule: str, methods: list[str], *, endpoint: str | None = None
) -> Callable[[View], View]:
    """Register the view at ``rule`` and at ``/<prefix>rule`` (decorator).

    ``endpoint`` defaults to the view's name (one view may serve several endpoints).
    """
    _prepare(blueprint)

    def register(view: View) -> View:
        name = endpoint or view.__name__
        # werkzeug ignores strict_slashes after a path-like converter: add the "/" rule.
        rules = ((rule, ""), (f"/<prefix:og_prefix>{rule}", "_prefixed"),
                 (f"/<prefix:og_prefix>{rule}/", "_prefixed_slash"))  # fmt: skip
        for path, suffix in rules:
            blueprint.add_url_rule(
                path, endpoint=name + suffix, view_func=view, methods=methods, strict_slashes=False
            )
        return view

    return register


def opsgenie_path(path: str) -> bool:
    """Whether an unmatched ``path`` is in the Opsgenie API (root or prefixed).

    Its 404 and 405 then answer in Opsgenie's error shape, not Pulsar's.
    """
    return _OPSGENIE_PATH.match(path) is not None
