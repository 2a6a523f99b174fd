"""Route on the undecoded path, so an identifier may hold an encoded ``/`` (or ``%``).

Opsgenie clients (the SDKs, Terraform, curl) percent-encode the identifier in the path:
``GET /v2/alerts/db%2Fprimary?identifierType=alias``. The server decodes the path
before Quart routes it, so ``%2F`` became a separator and no route matched. The ASGI
scope keeps the undecoded path in ``raw_path``; this module routes on it, for every
route of the app (the native ``/api/v1/alerts/<identifier>`` had the same problem):

1. ``EncodedPathMap`` binds each request's URL adapter to :func:`routing_path`: the
   decoded path in which a ``/`` or ``%`` that was *inside* a segment stays escaped
   (``%2F``, ``%25``). Segments still split where the client put a literal ``/``, so
   ``/v2/alerts/db/primary`` (unencoded) is three segments and still 404s.
2. Its URL adapter turns those two escapes back in every matched value, so each view
   receives the identifier as the client meant it (``db/primary``), whatever its
   converter; and a redirect werkzeug answers (``//`` merged) keeps ``%2F`` as sent.

Without either escape in a segment the routing path *is* the decoded path, so nothing
changes for any other request. ``request.path`` (logs, body limits, the Opsgenie 404
shape) stays the decoded path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from quart.routing import QuartMap
from quart.wrappers import BaseRequestWebsocket
from werkzeug.routing import MapAdapter

__all__ = ["EncodedPathMap", "routing_path", "unescape"]

_ESCAPE = re.compile(r"%(2F|25)")


def routing_path(raw_path: bytes | None, path: str) -> str:
    """The path to route: ``raw_path`` decoded segment by segment, with a ``/`` or ``%``
    inside a segment escaped again (``%2F``, ``%25``).

    Falls back to the decoded ``path`` (its ``%`` escaped, so :func:`unescape` stays
    exact) when ``raw_path`` is missing or does not decode to ``path``: a server or test
    client that rewrote the path. Invariant: ``unescape(routing_path(raw, path)) == path``.
    """
    if raw_path and b"%" in raw_path:
        try:
            segments = raw_path.decode("ascii").split("/")
        except UnicodeDecodeError:
            segments = []
        routed = "/".join(_escape(unquote(part)) for part in segments)
        if segments and unescape(routed) == path:
            return routed
    return path.replace("%", "%25")


def _escape(segment: str) -> str:
    return segment.replace("%", "%25").replace("/", "%2F")


def unescape(value: str) -> str:
    """Undo :func:`routing_path`'s escapes (``%2F`` → ``/``, ``%25`` → ``%``)."""
    if "%" not in value:
        return value
    return _ESCAPE.sub(lambda m: "%" if m[1] == "25" else "/", value)


class EncodedPathMap(QuartMap):
    """A URL map that matches requests on :func:`routing_path` instead of the decoded path."""

    def bind_to_request(
        self, request: BaseRequestWebsocket, subdomain: str | None, server_name: str | None
    ) -> MapAdapter:
        plain = super().bind_to_request(request, subdomain, server_name)
        return _EncodedPathAdapter(
            self,
            plain.server_name,
            plain.script_name,
            plain.subdomain,
            plain.url_scheme,
            routing_path(request.scope.get("raw_path"), request.path),
            plain.default_method,
            plain.query_args,
        )


class _EncodedPathAdapter(MapAdapter):
    """Matches the routing path, then hands the views the values unescaped.

    (Not an app-wide ``url_value_preprocessor``: Quart's websocket dispatch calls those
    outside a request context and fails.)
    """

    def match(  # one signature for werkzeug's two overloads
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: Mapping[str, Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[Any, Mapping[str, Any]]:
        found, values = super().match(  # type: ignore[call-overload]  # either overload
            path_info, method, return_rule, query_args, websocket
        )
        return found, {k: unescape(v) if isinstance(v, str) else v for k, v in values.items()}

    def make_redirect_url(
        self,
        path_info: str,
        query_args: Mapping[str, Any] | str | None = None,
        domain_part: str | None = None,
    ) -> str:
        # werkzeug percent-encodes the routing path for ``Location``, which would turn
        # ``%2F`` into ``%252F``; a ``%`` in the routing path is always one of ours.
        path_info = path_info.replace("%252F", "%2F").replace("%2525", "%25")
        return super().make_redirect_url(path_info, query_args, domain_part)
