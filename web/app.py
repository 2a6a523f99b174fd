"""The Quart-Trio application factory and its request plumbing.

``create_app(services)`` builds the app around already-running engine
services (no globals): the composition root is ``web.server``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
import structlog
from quart import Response, g, request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from engine import (
    Clock,
    CommandContext,
    Directory,
    OrgSupervisor,
    PulsarError,
    new_id,
)
from eventstore import EventStore
from web.auth.limits import Limits
from web.auth.links import ActionLinks
from web.auth.principal import Principal, authenticate
from web.auth.routes import access_of
from web.auth.tokens import Passwords, TokenService
from web.compat.encoded_paths import EncodedPathMap
from web.compat.prefix import opsgenie_path
from web.config import Config
from web.errors import ApiError, error_response, from_engine, from_validation

__all__ = [
    "Services",
    "command_context",
    "create_app",
    "json_response",
    "parse_body",
    "principal",
    "request_keys",
]

T = TypeVar("T")
log = structlog.get_logger("pulsar.http")
_encoder = msgspec.json.Encoder()
# One decoder per body type: ``msgspec.json.decode(type=list[X])`` rebuilds the
# type's decoding plan on every call (measured: 12 ms per 1,000-alert batch).
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


@dataclass
class Services:
    """What the web layer needs from the engine, wired by ``web.server``."""

    config: Config
    store: EventStore
    clock: Clock
    supervisor: OrgSupervisor
    directory: Directory
    extra: dict[str, Any] = field(default_factory=dict)


class _App(QuartTrio):
    """Routes on the undecoded path: an identifier may hold ``%2F`` (web.compat.encoded_paths)."""

    url_map_class = EncodedPathMap


def create_app(services: Services) -> QuartTrio:
    app = _App(__name__)
    # The larger (webhook) limit bounds every body as it streams in; ``body_limit``
    # holds other routes to theirs (by Content-Length, before anything is read).
    config = services.config
    app.config["MAX_CONTENT_LENGTH"] = max(config.max_body_bytes, config.max_ingest_body_bytes)
    app.config["services"] = services
    services.extra.setdefault("tokens", TokenService.from_config(services.config))
    services.extra.setdefault("passwords", Passwords())
    services.extra.setdefault("limits", Limits(services.config))
    services.extra.setdefault("action_links", ActionLinks.from_config(services.config))
    _install_hooks(app)
    from web.api.actions import blueprint as actions
    from web.api.alerts import blueprint as alerts
    from web.api.api_keys import blueprint as api_keys
    from web.api.audit import blueprint as audit
    from web.api.auth import blueprint as auth
    from web.api.contacts import blueprint as contacts
    from web.api.contacts import opsgenie_blueprint as opsgenie_contacts
    from web.api.escalations import blueprint as escalations
    from web.api.escalations import opsgenie_blueprint as opsgenie_escalations
    from web.api.feeds import blueprint as feeds
    from web.api.feeds import opsgenie_blueprint as opsgenie_feeds
    from web.api.feeds import public_blueprint as ical
    from web.api.health import blueprint as health
    from web.api.heartbeats import blueprint as heartbeats
    from web.api.heartbeats import opsgenie_blueprint as opsgenie_heartbeats
    from web.api.integrations import blueprint as integrations
    from web.api.maintenance import blueprint as maintenance
    from web.api.maintenance import opsgenie_blueprint as opsgenie_maintenance
    from web.api.notifications import blueprint as notifications
    from web.api.opsgenie_users import opsgenie_blueprint as opsgenie_users
    from web.api.routing import blueprint as routing
    from web.api.routing import opsgenie_blueprint as opsgenie_routing
    from web.api.schedules import blueprint as schedules
    from web.api.schedules import opsgenie_blueprint as opsgenie_schedules
    from web.api.slack import blueprint as slack
    from web.api.teams import blueprint as teams
    from web.api.teams import opsgenie_blueprint as opsgenie_teams
    from web.api.users import blueprint as users
    from web.api.users import organization_blueprint as organization
    from web.compat.opsgenie import blueprint as opsgenie
    from web.static import blueprint as ui
    from web.webhooks import blueprint as webhooks
    from web.ws import blueprint as ws

    app.register_blueprint(health)
    app.register_blueprint(auth, url_prefix="/api/v1")
    app.register_blueprint(audit, url_prefix="/api/v1")
    app.register_blueprint(alerts, url_prefix="/api/v1")
    app.register_blueprint(integrations, url_prefix="/api/v1")
    app.register_blueprint(heartbeats, url_prefix="/api/v1")
    app.register_blueprint(schedules, url_prefix="/api/v1")
    app.register_blueprint(teams, url_prefix="/api/v1")
    app.register_blueprint(routing, url_prefix="/api/v1")  # teams' routing rules
    app.register_blueprint(maintenance, url_prefix="/api/v1")
    app.register_blueprint(escalations, url_prefix="/api/v1")
    app.register_blueprint(notifications, url_prefix="/api/v1")
    app.register_blueprint(api_keys, url_prefix="/api/v1")
    app.register_blueprint(feeds, url_prefix="/api/v1")
    app.register_blueprint(users, url_prefix="/api/v1")
    app.register_blueprint(contacts, url_prefix="/api/v1")  # users' contacts and rules
    app.register_blueprint(organization, url_prefix="/api/v1")
    app.register_blueprint(ws, url_prefix="/api/v1")  # live updates (WebSocket)
    app.register_blueprint(actions, url_prefix="/api/v1")  # signed one-click links
    app.register_blueprint(slack, url_prefix="/api/v1")  # Slack button callbacks
    app.register_blueprint(ical)
    app.register_blueprint(webhooks)
    app.register_blueprint(opsgenie)
    app.register_blueprint(opsgenie_heartbeats)
    app.register_blueprint(opsgenie_schedules)
    app.register_blueprint(opsgenie_teams)
    app.register_blueprint(opsgenie_routing)
    app.register_blueprint(opsgenie_maintenance)  # /v1/maintenance
    app.register_blueprint(opsgenie_escalations)
    app.register_blueprint(opsgenie_feeds)
    app.register_blueprint(opsgenie_users)
    app.register_blueprint(opsgenie_contacts)
    app.register_blueprint(ui)  # the web app at / (its catch-all avoids /api, /v1, /v2, /ical)
    if services.config.test_mode:
        from web.testing import blueprint as testing

        app.register_blueprint(testing, url_prefix="/api/test")
    if services.config.test_clock or services.config.test_mode:
        from web.testing import clock_blueprint

        app.register_blueprint(clock_blueprint, url_prefix="/api/v1/_test")
    return app


_FEED_TOKEN = re.compile(r"^(/ical/[^/]+/)[^/]+$")


def _loggable(path: str) -> str:
    """``path`` without secrets: a feed URL's token is its credential (``/ical/<org>/***``)."""
    return _FEED_TOKEN.sub(r"\1***", path)


def body_limit(path: str) -> int:
    """The request body limit of ``path``: monitoring webhooks get the ingest limit."""
    config = services().config
    ingest = path.startswith("/v1/webhooks/") or path == "/v2/enqueue"
    return config.max_ingest_body_bytes if ingest else config.max_body_bytes


def services() -> Services:
    from quart import current_app

    svc: Services = current_app.config["services"]
    return svc


def _install_hooks(app: QuartTrio) -> None:
    @app.before_request
    async def start() -> None:
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or new_id()
        g.started = time.perf_counter()
        g.org_id = None
        g.principal = None
        limit = body_limit(request.path)
        length = request.content_length
        if length is None and request.method in {"POST", "PUT", "PATCH"}:
            length = len(await request.get_data())  # chunked: bounded by the larger limit
        if length is not None and length > limit:
            raise RequestEntityTooLarge()
        await _authorize()

    @app.after_request
    async def finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.request_id
        _secure_headers(response)
        log.info(
            "request",
            method=request.method,
            path=_loggable(request.path),
            status=response.status_code,
            ms=round((time.perf_counter() - g.started) * 1000, 2),
            request_id=g.request_id,
            org_id=g.org_id,
        )
        return response

    @app.errorhandler(ApiError)
    async def api_error(error: ApiError) -> Response:
        return error_response(
            error.status, error.code, error.message, field=error.field, headers=error.headers
        )

    @app.errorhandler(PulsarError)
    async def engine_error(error: PulsarError) -> Response:
        return from_engine(error)

    @app.errorhandler(RequestEntityTooLarge)
    async def too_large(error: RequestEntityTooLarge) -> Response:
        limit = body_limit(request.path)
        return error_response(413, "payload_too_large", f"request body exceeds {limit} bytes")

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        if opsgenie_path(request.path):  # no route for an Opsgenie path (root or prefixed)
            from web.compat.opsgenie.wire import og_error  # wire imports this module

            found = "Resource or handler not found" if error.code == 404 else None
            return og_error(error.code or 500, found or error.description or "HTTP error")
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.code or 0, "http_error")
        return error_response(error.code or 500, code, error.description or code)

    @app.errorhandler(Exception)
    async def internal(error: Exception) -> Response:
        log.exception("unhandled", request_id=g.get("request_id"))
        return error_response(500, "internal", "internal error")


# The UI is served by Pulsar itself: scripts, styles and API calls stay on this
# origin; nothing may frame it.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"
_CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-Id"


def _secure_headers(response: Response) -> None:
    """Security headers on every response, and CORS for the configured origins only."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and origin in services().config.cors_origins:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Credentials"] = "true"
        headers["Access-Control-Expose-Headers"] = "X-Request-Id, Retry-After"
        if request.method == "OPTIONS":
            headers["Access-Control-Allow-Methods"] = _CORS_METHODS
            headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
            headers["Access-Control-Max-Age"] = "600"
        headers.add("Vary", "Origin")


def request_keys() -> list[str]:
    """Keys the request presents, in the ways Opsgenie clients send them.

    ``Authorization: GenieKey <key>`` or ``Bearer <key>``; ``Basic`` with the
    key as user or password (``base64(key)``, ``base64(key:)``,
    ``base64(:key)``, ``base64(user:key)``); and the ``?apiKey=`` parameter.
    """
    keys: list[str] = []
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() in ("geniekey", "bearer") and token:
        keys.append(token)
    elif scheme.lower() == "basic" and token:
        try:
            decoded = base64.b64decode(token, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, _, password = decoded.partition(":")
        keys.extend(part for part in (password, user) if part)  # the password first
    query_key = request.args.get("apiKey", "").strip()
    if query_key:
        keys.append(query_key)
    return keys


def principal() -> Principal:
    """The authenticated principal of the request (set by the access hook).

    Every route's access rule (``web.auth.routes``) is enforced before the
    handler runs; a handler calls this to learn who is calling.
    """
    found: Principal | None = g.get("principal")
    if found is None:
        raise ApiError(401, "unauthorized", "missing credentials")
    return found


async def _authorize() -> None:
    """Enforce the endpoint's access rule; fail closed for an endpoint without one."""
    endpoint = request.endpoint
    if endpoint is None or request.method == "OPTIONS":
        return  # no route matched (the 404/405 handlers answer), or a CORS preflight
    rule = access_of(endpoint)
    if rule is None:
        log.error("route_without_access_rule", endpoint=endpoint)
        raise ApiError(403, "forbidden", "this route has no access rule")
    limits = services().extra.get("limits")
    if not rule.credential:
        if rule.ip_limited and limits is not None:
            limits.check_ip(request.remote_addr or "")
        return
    try:
        who = await authenticate(request_keys(), integration_keys=rule.integration_keys)
    except ApiError:
        if limits is not None:
            limits.check_ip(request.remote_addr or "")
        raise
    g.principal, g.org_id = who, who.org_id
    if limits is not None:
        limits.check_principal(who)
    if rule.users_only and who.kind != "user":
        raise ApiError(403, "forbidden", "this route is for signed-in users, not API keys")
    if rule.permission is not None and not who.can(rule.permission):
        raise ApiError(
            403, "forbidden", f"this needs the {rule.permission.value!r} permission", field=None
        )


async def command_context(key: Principal) -> CommandContext:
    """The context of a write: who, from where, and its idempotency key."""
    idem = request.headers.get("Idempotency-Key")
    if idem is not None and not (0 < len(idem) <= 255):
        raise ApiError(
            422,
            "invalid_field",
            "Idempotency-Key must be 1-255 characters",
            field="Idempotency-Key",
        )
    fingerprint = ""
    if idem is not None:
        body = await request.get_data(as_text=False)
        digest = hashlib.sha256(
            f"{request.method} {request.path}?{request.query_string!r}".encode()
        )
        digest.update(body if isinstance(body, bytes) else body.encode())
        fingerprint = digest.hexdigest()
    return CommandContext(
        principal_kind=key.kind,
        principal_id=key.id,
        request_id=g.request_id,
        remote_addr=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", "")[:200],
        idempotency_key=idem,
        fingerprint=fingerprint,
    )


async def parse_body(kind: type[T], *, optional: bool = False) -> T:
    """Decode the JSON body into ``kind``: 400 if not JSON, 422 naming a bad field."""
    data = await request.get_data(as_text=False)
    raw = data if isinstance(data, bytes) else data.encode()
    if not raw.strip():
        if optional:
            raw = b"{}"
        else:
            raise ApiError(400, "invalid_json", "request body is empty; a JSON object is required")
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    try:
        result: T = decoder.decode(raw)
        return result
    except msgspec.ValidationError as error:
        raise from_validation(error) from None
    except msgspec.DecodeError as error:
        raise ApiError(400, "invalid_json", f"malformed JSON: {error}") from None


def json_response(body: Any, status: int = 200) -> Response:
    if isinstance(body, dict):
        body.setdefault("request_id", g.request_id)
    return Response(_encoder.encode(body), status=status, content_type="application/json")
