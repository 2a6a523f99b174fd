"""Serve the built web app (``web/ui/build``) at ``/`` with a fallback to its shell.

The UI is a SvelteKit single-page app built by ``make ui`` (adapter-static,
``fallback: 'index.html'``). Routing:

- ``/`` and any client route (``/alerts``, ``/alerts/01…``) answer ``index.html``;
- files of the build answer themselves; the content-hashed ones under
  ``/_app/immutable/`` are cached for a year (``immutable``), everything else
  (the shell, ``version.json``, the favicon) revalidates on every use
  (``no-cache`` with an ETag, so a deploy is picked up at once);
- a missing ``/_app/...`` file is a real 404, never the shell: a tab still
  running an old build must not receive HTML where it expects a script;
- paths under ``/api``, ``/v1``, ``/v2`` and ``/ical``, and Opsgenie paths under
  a prefix (``/og/v2/...``: a ``v1``/``v2`` segment with more after it), never
  reach this blueprint (the ``spa`` converter refuses them), so an unknown API
  path keeps its JSON 404/405.

The shell bootstraps with one inline ``<script>``. The server's CSP header
allows scripts from this origin only; for ``index.html`` it adds the sha256 of
that script (computed from the file, so it always matches the build), which is
what SvelteKit's own ``<meta>`` CSP (``kit.csp`` mode ``hash``) names too.
Browsers enforce both policies; both allow exactly that script.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from pathlib import Path
from typing import Any

from quart import Blueprint, Response
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from web.app import _CSP

__all__ = ["BUILD_DIR", "blueprint"]

BUILD_DIR = Path(__file__).parent / "ui" / "build"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_YEAR = 31536000

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")
mimetypes.add_type("image/svg+xml", ".svg")


class SpaPathConverter(BaseConverter):
    """A path not under the API, webhook, Opsgenie (root or prefixed) or calendar prefixes."""

    regex = r"(?!(?:api|v1|v2|ical)(?:/|$))(?!(?:[^/]+/)*v[12]/)[^/].*?"
    part_isolating = False
    weight = 300  # below every other rule


blueprint = Blueprint("ui", __name__)


@blueprint.record_once
def _register_converter(state: Any) -> None:
    state.app.url_map.converters["spa"] = SpaPathConverter


_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)
_shell_csp: dict[tuple[float, int], str] = {}


def shell_csp(index: Path) -> str:
    """The CSP of ``index``: the app's policy plus the hashes of its inline scripts."""
    stat = index.stat()
    key = (stat.st_mtime, stat.st_size)
    cached = _shell_csp.get(key)
    if cached is None:
        hashes = [
            "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
            for body in _INLINE_SCRIPT.findall(index.read_bytes())
        ]
        cached = _CSP.replace("script-src 'self'", " ".join(["script-src 'self'", *hashes]), 1)
        _shell_csp.clear()
        _shell_csp[key] = cached
    return cached


def _not_built() -> Response:
    body = (
        "<!doctype html><title>Pulsar</title><p>The web app is not built. "
        "Run <code>make ui</code> (or <code>make run</code>), then reload.</p>"
    )
    response = Response(body, status=503, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


async def _send(path: str, cache_control: str) -> Response:
    from quart import send_from_directory

    response = await send_from_directory(
        BUILD_DIR, path, cache_timeout=_YEAR if cache_control == IMMUTABLE else 0
    )
    response.headers["Cache-Control"] = cache_control
    if cache_control == REVALIDATE:
        response.headers.pop("Expires", None)
    return response


@blueprint.get("/")
async def index() -> Response:
    """The app shell (``index.html``), revalidated on every load."""
    shell = BUILD_DIR / "index.html"
    if not shell.is_file():
        return _not_built()
    response = await _send("index.html", REVALIDATE)
    response.headers["Content-Security-Policy"] = shell_csp(shell)
    return response


@blueprint.get("/<spa:path>")
async def asset(path: str) -> Response:
    """A file of the build, or the shell for a client-side route."""
    if path != "index.html":
        try:
            return await _send(
                path, IMMUTABLE if path.startswith("_app/immutable/") else REVALIDATE
            )
        except NotFound:
            if path.startswith("_app/"):
                raise  # a chunk of another build: a real 404, never the shell
    return await index()
