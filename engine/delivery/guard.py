"""An httpx transport that connects only to addresses the outbound policy allows.

The check must happen where the connection is made, on the address actually
dialled: a URL's host checked when it was saved says nothing about what its name
resolves to now (a name that points at 127.0.0.1, or is re-pointed there later —
DNS rebinding). So ``GuardedBackend``, an httpcore network backend, resolves the
host itself on every new connection, vets *every* address it resolves to
(``OutboundPolicy.refusal``; one refused address refuses the name) and connects to
the vetted addresses one after the other, never resolving again. The first address
of the other family goes second (as in trio's ``open_tcp_stream``) and each attempt
gets its share of the connect timeout left, so an address that drops packets (a
broken IPv6 path to a dual-stack host) costs its share and the next one is tried.
HTTP, TLS and pooling stay httpcore's: TLS is started on that connection with the
URL's host as server name, and the ``Host`` header is the URL's, so certificates
and virtual hosts work as before. A refused destination raises
``DestinationRefused`` before any byte is sent; ``retry.post`` reports it at once
without retrying (it cannot succeed).

``GuardedTransport`` is httpx's ``AsyncHTTPTransport`` over that backend. httpx
0.28 takes no network backend (encode/httpx#3180), so its connection pool is
replaced with one built as httpx builds it, plus the backend; the channel tests
against loopback peers fail if that ever stops taking effect. It talks to
destinations directly: environment proxies (``HTTPS_PROXY``) would resolve names
where Pulsar cannot vet them.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import final

import httpcore
import httpx
import trio

from engine.delivery.destinations import OutboundPolicy

__all__ = ["DestinationRefused", "GuardedBackend", "GuardedTransport", "Resolver", "resolve"]

Resolver = Callable[[str, int], Awaitable[list[str]]]


class DestinationRefused(httpx.TransportError):
    """The destination's address is not one the outbound policy allows (the reason)."""


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to for TCP, in the resolver's order, each once.

    A checkpoint. Raises ``OSError`` (``socket.gaierror``) for a name that does not
    resolve.
    """
    infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _interleaved(addresses: list[str]) -> list[str]:
    """``addresses`` with the first one of the other family moved second (as trio does,
    RFC 6555 section 5.4), so a broken family costs one attempt, not one per address."""
    first_is_v6 = ":" in addresses[0]
    other = next((i for i, a in enumerate(addresses) if (":" in a) != first_is_v6), None)
    if other is None or other == 1:
        return addresses
    return [addresses[0], addresses[other], *addresses[1:other], *addresses[other + 1 :]]


@final
class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, vets every address, then connects to a vetted address (module docstring).

    ``resolver`` replaces DNS in tests; ``backend`` does the connecting (trio's).
    """

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        resolver: Resolver = resolve,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolve = resolver
        self._backend = backend or httpcore.TrioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = trio.current_time() + (math.inf if timeout is None else timeout)
        try:
            with trio.fail_at(deadline):
                addresses = await self._resolve(host, port)
        except trio.TooSlowError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as error:
            raise httpcore.ConnectError(f"{host}: {error}") from error
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        for address in addresses:
            reason = self._policy.refusal(address, name=host)
            if reason is not None:
                raise DestinationRefused(reason)
        last: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        ordered = _interleaved(addresses)
        for index, address in enumerate(ordered):
            share = max(deadline - trio.current_time(), 0.0) / (len(ordered) - index)
            try:
                return await self._backend.connect_tcp(
                    address,
                    port,
                    timeout=None if math.isinf(share) else share,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as failed:
                last = failed
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationRefused("refused: a Unix socket is not a delivery destination")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


@final
class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connections go through ``GuardedBackend``."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        resolver: Resolver = resolve,
        limits: httpx.Limits | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        super().__init__(limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),  # as httpx's: SSL_CERT_FILE/DIR honoured
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy, resolver=resolver),
        )
