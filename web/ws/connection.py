"""One connection to ``/api/v1/ws``: authenticate, serve subscriptions, keep alive.

A connection is four tasks in one nursery, torn down together:

* the receiver reads client frames in order (``auth`` again, ``subscribe``,
  ``unsubscribe``, ``ping``/``pong``); nothing received for
  ``ws_idle_timeout`` seconds closes the connection (4408);
* the sender wakes when the hub's ticker releases it (or an answer or a ping
  is queued) and writes the control frames, then one coalesced delta frame per
  subscription; the pinger queues a ``ping`` every ``ws_ping_interval``;
* the re-checker authenticates the connection's credential again every
  ``ws_recheck_interval`` seconds (an expired token or a revoked key closes it,
  4401); the hub closes it at once when it sees the revocation committed.

The credential is the first frame, never the URL: a token in the query string
would end up in proxy logs. Close codes: 4401 unauthorized, 4403 forbidden,
4408 idle, 4429 rate limited, 1009 frame too large.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, final

import msgspec
import structlog
import trio
from quart import Blueprint, websocket

from engine import Permission
from web.app import Services, services
from web.auth.principal import Principal, authenticate
from web.errors import ApiError
from web.ws.client import FORBIDDEN, UNAUTHORIZED, Client
from web.ws.hub import Hub
from web.ws.protocol import (
    Auth,
    Error,
    Ping,
    Pong,
    PrincipalOut,
    Ready,
    Subscribe,
    Unsubscribe,
    Unsubscribed,
    decode_client_frame,
    encode,
)
from web.ws.subscribe import SubscribeError, open_subscription

__all__ = ["blueprint"]

blueprint = Blueprint("ws", __name__)
log = structlog.get_logger("pulsar.ws")

IDLE: Final = 4408
RATE_LIMITED: Final = 4429
TOO_LARGE: Final = 1009
MAX_FRAME: Final = 64 * 1024  # characters; a client frame is a few hundred
_PING: Final = encode(Ping())
_PONG: Final = encode(Pong())


@blueprint.websocket("/ws")
async def stream() -> None:
    """Live updates: see ``web.ws.protocol`` and README.md "Live updates"."""
    svc = services()
    await websocket.accept()
    await Connection(svc, svc.extra["hub"]).run()


@final
class Connection:
    """The tasks of one WebSocket connection (see the module docstring)."""

    def __init__(self, svc: Services, hub: Hub) -> None:
        self.svc = svc
        self.hub = hub
        self.config = svc.config
        self.client: Client | None = None
        self.token = ""
        self.closing: tuple[int, Error] | None = None
        self._scope: trio.CancelScope | None = None
        self._raw_send: Callable[[str], Awaitable[None]] | None = None
        self.frames = 0

    async def run(self) -> None:
        started = trio.current_time()
        principal = await self._first_auth()
        if principal is None:
            return
        client = self.client = Client(self.hub, principal, on_close=self.close)
        self.hub.attach(client)
        log.info("ws_connected", org_id=principal.org_id, kind=principal.kind, id=principal.id)
        try:
            await self._send(self._ready(principal))
            async with trio.open_nursery() as nursery:
                self._scope = nursery.cancel_scope
                if self.closing is not None:
                    nursery.cancel_scope.cancel()
                nursery.start_soon(self._sender, client)
                nursery.start_soon(self._pinger, client)
                nursery.start_soon(self._rechecker, client)
                await self._receiver(client)
                nursery.cancel_scope.cancel()
        finally:
            self.hub.detach(client)
            log.info(
                "ws_disconnected",
                org_id=principal.org_id,
                kind=principal.kind,
                id=principal.id,
                code=self.closing[0] if self.closing else None,
                frames=self.frames,
                seconds=round(trio.current_time() - started, 1),
            )
        await self._finish()

    def close(self, code: int, error: Error) -> None:
        """Close with ``error`` then ``code`` (synchronous: callable from the hub)."""
        if self.closing is None:
            self.closing = (code, error)
        if self.client is not None:
            self.hub.detach(self.client)
        if self._scope is not None:
            self._scope.cancel()

    # -- authentication --------------------------------------------------------------
    async def _first_auth(self) -> Principal | None:
        with trio.move_on_after(self.config.ws_auth_timeout):
            data = await websocket.receive()
            try:
                frame = decode_client_frame(data)
            except (msgspec.DecodeError, msgspec.ValidationError):
                frame = None
            if not isinstance(frame, Auth):
                message = 'the first frame must be {"type":"auth","token":"..."}'
                self.closing = (UNAUTHORIZED, Error(code="unauthorized", message=message))
            else:
                principal = await self._authenticate(frame.token)
                if principal is not None:
                    self.token = frame.token
                    return principal
        if self.closing is None:
            message = "no auth frame in time"
            self.closing = (UNAUTHORIZED, Error(code="unauthorized", message=message))
        await self._finish()
        return None

    async def _authenticate(self, token: str) -> Principal | None:
        """The principal of ``token`` if it may read; else set ``closing`` and None."""
        try:
            try:
                who = await authenticate([token], integration_keys=False)
            except ApiError:
                limits = self.svc.extra.get("limits")
                if limits is not None:
                    limits.check_ip(websocket.remote_addr or "")
                raise
        except ApiError as error:
            code = RATE_LIMITED if error.status == 429 else UNAUTHORIZED
            self.closing = (code, Error(code=error.code, message=error.message))
            return None
        if not who.can(Permission.READ):
            message = "this needs the 'read' permission"
            self.closing = (FORBIDDEN, Error(code="forbidden", message=message))
            return None
        return who

    async def _reauthenticate(self, client: Client, token: str) -> bool:
        """Check ``token`` (a refresh, or the periodic re-check); False if it closed."""
        who = await self._authenticate(token)
        if who is None:
            assert self.closing is not None
            self.close(*self.closing)
            return False
        old = client.principal
        if (who.org_id, who.kind, who.id) != (old.org_id, old.kind, old.id):
            message = "the token is another principal's or organization's; reconnect"
            self.close(FORBIDDEN, Error(code="principal_changed", message=message))
            return False
        self.hub.update_principal(client, who)
        self.token = token
        return True

    def _ready(self, who: Principal) -> bytes:
        return encode(
            Ready(
                org_id=who.org_id,
                principal=PrincipalOut(kind=who.kind, id=who.id, name=who.name),
                permissions=sorted(p.value for p in who.permissions),
                ping_interval=self.config.ws_ping_interval,
                idle_timeout=self.config.ws_idle_timeout,
            )
        )

    # -- the tasks ------------------------------------------------------------------
    async def _receiver(self, client: Client) -> None:
        while True:
            with trio.move_on_after(self.config.ws_idle_timeout) as idle:
                data = await websocket.receive()
            if idle.cancelled_caught:
                message = f"nothing received for {self.config.ws_idle_timeout:g} s"
                self.close(IDLE, Error(code="idle_timeout", message=message))
                return
            if len(data) > MAX_FRAME:
                message = f"a frame may hold at most {MAX_FRAME} characters"
                self.close(TOO_LARGE, Error(code="frame_too_large", message=message))
                return
            try:
                frame = decode_client_frame(data)
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                client.push(encode(Error(code="invalid_frame", message=str(error))))
                continue
            await self._handle(client, frame)

    async def _handle(self, client: Client, frame: object) -> None:
        match frame:
            case Auth():
                if await self._reauthenticate(client, frame.token):
                    client.push(self._ready(client.principal))
            case Subscribe():
                await self._subscribe(client, frame)
            case Unsubscribe():
                sub = client.subs.get(frame.id)
                if sub is not None:
                    self.hub.drop(client, sub)
                client.push(encode(Unsubscribed(id=frame.id)))
            case Ping():
                client.push(_PONG)
            case _:  # Pong: its arrival is the point
                pass

    async def _subscribe(self, client: Client, frame: Subscribe) -> None:
        if frame.id in client.subs:
            message = f"subscription {frame.id!r} exists; unsubscribe it first"
            client.push(encode(Error(code="duplicate_id", message=message, id=frame.id)))
            return
        if len(client.subs) >= self.config.ws_max_subscriptions:
            message = f"at most {self.config.ws_max_subscriptions} subscriptions per connection"
            client.push(encode(Error(code="too_many_subscriptions", message=message, id=frame.id)))
            return
        try:
            await open_subscription(self.svc, self.hub, client, frame)
        except SubscribeError as refused:
            client.push(encode(msgspec.structs.replace(refused.error, id=frame.id)))

    async def _sender(self, client: Client) -> None:
        while True:
            await client.wake.wait()
            frames = client.take_frames()
            client.sending = True
            try:
                for frame in frames:
                    await self._send(frame)
            finally:
                client.sending = False
                client.done.set()

    async def _pinger(self, client: Client) -> None:
        while True:
            await trio.sleep(self.config.ws_ping_interval)
            client.push(_PING)

    async def _rechecker(self, client: Client) -> None:
        while True:
            await trio.sleep(self.config.ws_recheck_interval)
            if not await self._reauthenticate(client, self.token):
                return

    # -- I/O ----------------------------------------------------------------------------
    async def _send(self, frame: bytes) -> None:
        """Write one text frame.

        Through the ASGI send that ``websocket.send`` ends in: the wrapper accepts
        the connection again on every call, building a ``Headers`` each time,
        which is a visible share of a frame's cost with a thousand clients.
        """
        if self._raw_send is None:
            current = getattr(websocket, "_get_current_object", lambda: websocket)()
            self._raw_send = getattr(current, "_send", None)
        if self._raw_send is None:  # a Quart without it: the public way
            await websocket.send(frame.decode())
        else:
            await self._raw_send(frame.decode())
        self.frames += 1

    async def _finish(self) -> None:
        """Send the closing error and close (bounded: a stuck peer does not hold us)."""
        if self.closing is None:
            return
        code, error = self.closing
        with trio.move_on_after(2):
            await self._send(encode(error))
            await websocket.close(code, error.message[:120])
