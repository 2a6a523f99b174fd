"""The outbound policy (engine.delivery.destinations) and the guarded network backend.

Which addresses a member-configured URL may reach, with and without allowed
networks, and that the backend vets every address a name resolves to on every
connection and dials only vetted addresses (a fake resolver and connector: no
network).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import httpcore
import pytest
import trio

from engine.delivery import DestinationRefused, GuardedBackend, OutboundPolicy, parse_networks

DEFAULT = OutboundPolicy()
SUFFIX = "; allow it with PULSAR_OUTBOUND_ALLOWED_NETWORKS"

REFUSED = [
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("127.0.0.1", "a loopback address"),
    ("127.255.0.9", "a loopback address"),
    ("::1", "a loopback address"),
    ("169.254.169.254", "a link-local address"),  # the cloud metadata service
    ("fe80::1", "a link-local address"),
    ("fe80::1%eth0", "a link-local address"),
    ("10.1.2.3", "a private address"),
    ("172.16.0.1", "a private address"),
    ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"),
    ("100.64.0.1", "a shared (carrier-grade NAT) address"),
    ("100.127.255.254", "a shared (carrier-grade NAT) address"),
    ("fc00::1", "a unique local address"),
    ("fd12:3456::1", "a unique local address"),
    ("fec0::1", "a site-local address"),  # deprecated, but is_global to Python 3.11
    ("feff:ffff::1", "a site-local address"),
    ("224.0.0.1", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("0.1.2.3", "a reserved address"),  # "this network"
    ("192.0.2.10", "a reserved address"),  # documentation
    ("198.18.0.1", "a reserved address"),  # benchmarking
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"),
    ("2001:db8::1", "a reserved address"),
    ("::ffff:127.0.0.1", "a loopback address (127.0.0.1)"),  # IPv4-mapped
    ("::ffff:169.254.169.254", "a link-local address (169.254.169.254)"),
    ("::ffff:10.0.0.1", "a private address (10.0.0.1)"),
    ("64:ff9b::a00:1", "a private address (10.0.0.1)"),  # NAT64
    ("2002:7f00:1::1", "a loopback address (127.0.0.1)"),  # 6to4
]

GLOBAL = ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_non_global_addresses_are_refused_by_default(address: str, kind: str) -> None:
    """Every address that is not globally routable is refused, saying what it is."""
    shown = address.split("%")[0]  # without an IPv6 zone
    expected = f"refused: {shown} is {kind}{SUFFIX}"
    assert expected == DEFAULT.refusal(address)


@pytest.mark.parametrize("address", GLOBAL)
def test_global_addresses_are_allowed(address: str) -> None:
    """Public addresses (also IPv4-mapped and NAT64 ones) are reached."""
    assert DEFAULT.refusal(address) is None


def test_a_name_is_shown_with_the_address_it_resolves_to() -> None:
    """A refused name's reason names it and the address."""
    expected = f"refused: localhost resolves to 127.0.0.1, a loopback address{SUFFIX}"
    assert expected == DEFAULT.refusal("127.0.0.1", name="localhost")


def test_allowed_networks_are_reached_and_nothing_else() -> None:
    """An allowed CIDR opens exactly its addresses (and their IPv4-mapped forms)."""
    policy = OutboundPolicy.from_setting(["10.20.0.0/16", " 127.0.0.0/8 ", "", "::1"])
    for address in ("10.20.0.1", "10.20.255.254", "127.0.0.1", "::ffff:127.0.0.1", "::1"):
        assert policy.refusal(address) is None, address
    for address in ("10.21.0.1", "192.168.0.1", "169.254.169.254", "fe80::1"):
        assert policy.refusal(address) is not None, address


def test_a_bad_allowed_network_names_the_setting() -> None:
    with pytest.raises(ValueError, match=r"PULSAR_OUTBOUND_ALLOWED_NETWORKS: '10\.0\.0\.0/33'"):
        parse_networks(["10.0.0.0/8", "10.0.0.0/33"])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
        ("http://localhost/hook", "localhost resolves to 127.0.0.1, a loopback address"),
        ("http://LOCALHOST./x", "localhost resolves to 127.0.0.1, a loopback address"),
        ("http://api.localhost/x", "api.localhost resolves to 127.0.0.1, a loopback address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
        ("https://[::1]:8443/", "::1 is a loopback address"),
        ("https://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1 is a private address (10.0.0.1)"),
        ("http://127.1/", "127.1 resolves to 127.0.0.1, a loopback address"),
        ("http://0x7f000001/", "0x7f000001 resolves to 127.0.0.1, a loopback address"),
        ("http://2130706433/", "2130706433 resolves to 127.0.0.1, a loopback address"),
        ("http://user@10.0.0.5:80/", "10.0.0.5 is a private address"),
    ],
)
def test_a_literal_host_is_judged_when_saved(url: str, expected: str) -> None:
    """A URL whose host is a refused literal address (or localhost) is refused at once."""
    assert f"refused: {expected}{SUFFIX}" == DEFAULT.host_refusal(url)


@pytest.mark.parametrize(
    "url",
    ["https://hooks.slack.com/services/T/B/x", "http://cafe.de/", "https://8.8.8.8/", "C0123"],
)
def test_names_and_public_literals_pass_when_saved(url: str) -> None:
    """Names are checked when a notification connects, not when the URL is saved."""
    assert DEFAULT.host_refusal(url) is None


@pytest.mark.parametrize("url", ["http://[::1/", "https://[fe80::1/x", "http://[hooks.example]/"])
def test_a_url_that_cannot_be_parsed_is_refused_when_saved(url: str) -> None:
    """Not a ``ValueError`` (a 500 from the API): a reason, as for a refused host."""
    reason = DEFAULT.host_refusal(url)
    assert reason is not None
    assert reason.startswith(f"refused: {url!r} is not a URL that can be parsed ("), reason


def test_an_allowed_literal_host_passes_when_saved() -> None:
    policy = OutboundPolicy.from_setting(["127.0.0.0/8"])
    assert policy.host_refusal("http://127.0.0.1:9000/") is None
    assert policy.host_refusal("http://localhost:9000/") is None


# -- the guarded backend ------------------------------------------------------------------


class Resolver:
    """Answers each lookup with the next list of ``answers`` (a name re-pointed later)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return self.answers.pop(0)


class Connector(httpcore.AsyncNetworkBackend):
    """Records what was dialled; the addresses in ``down`` refuse the connection, those
    in ``silent`` drop packets (the attempt times out after its ``timeout``)."""

    def __init__(self, down: Iterable[str] = (), silent: Iterable[str] = ()) -> None:
        self.dialled: list[tuple[str, int]] = []
        self.timeouts: list[float | None] = []
        self.down = set(down)
        self.silent = set(silent)

    async def connect_tcp(  # type: ignore[override]
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
        **options: object,
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append((host, port))
        self.timeouts.append(timeout)
        if host in self.down:
            raise httpcore.ConnectError(f"{host}: connection refused")
        if host in self.silent:
            await trio.sleep(math.inf if timeout is None else timeout)
            raise httpcore.ConnectTimeout(f"{host}: timed out")
        return httpcore.AsyncMockStream([])


async def test_a_name_is_resolved_vetted_and_its_address_dialled() -> None:
    """The connection goes to the vetted address, not to the name (no second lookup)."""
    resolver, connector = Resolver(["93.184.215.14"]), Connector()
    backend = GuardedBackend(DEFAULT, resolver=resolver, backend=connector)
    await backend.connect_tcp("hooks.example.com", 443, timeout=5.0)
    assert (resolver.asked, connector.dialled) == (
        [("hooks.example.com", 443)],
        [("93.184.215.14", 443)],
    )


async def test_one_refused_address_refuses_the_name() -> None:
    """A name resolving to a public and a private address is refused before any dial."""
    connector = Connector()
    resolver = Resolver(["93.184.215.14", "10.0.0.7"])
    backend = GuardedBackend(DEFAULT, resolver=resolver, backend=connector)
    with pytest.raises(DestinationRefused, match=r"hooks\.example\.com resolves to 10\.0\.0\.7"):
        await backend.connect_tcp("hooks.example.com", 443)
    assert connector.dialled == []


async def test_a_name_re_pointed_to_a_private_address_is_refused_on_the_next_connection() -> None:
    """DNS rebinding: every new connection resolves and vets again."""
    connector = Connector()
    resolver = Resolver(["93.184.215.14"], ["169.254.169.254"])
    backend = GuardedBackend(DEFAULT, resolver=resolver, backend=connector)
    await backend.connect_tcp("hooks.example.com", 80)
    with pytest.raises(DestinationRefused, match=r"169\.254\.169\.254, a link-local address"):
        await backend.connect_tcp("hooks.example.com", 80)
    assert connector.dialled == [("93.184.215.14", 80)]


async def test_the_next_vetted_address_is_tried_when_one_is_down() -> None:
    connector = Connector(down={"2606:4700::1111"})
    resolver = Resolver(["2606:4700::1111", "1.1.1.1"])
    backend = GuardedBackend(DEFAULT, resolver=resolver, backend=connector)
    await backend.connect_tcp("one.example", 443)
    assert connector.dialled == [("2606:4700::1111", 443), ("1.1.1.1", 443)]


async def test_an_address_that_drops_packets_costs_its_share_of_the_timeout(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A broken IPv6 path to a dual-stack host: the IPv6 address times out after half
    the connect timeout, and the IPv4 address is dialled and used in the other half."""
    connector = Connector(silent={"2606:4700::1111"})
    resolver = Resolver(["2606:4700::1111", "1.1.1.1"])
    backend = GuardedBackend(DEFAULT, resolver=resolver, backend=connector)
    stream = await backend.connect_tcp("one.example", 443, timeout=10.0)
    assert isinstance(stream, httpcore.AsyncMockStream)
    assert connector.dialled == [("2606:4700::1111", 443), ("1.1.1.1", 443)]
    assert connector.timeouts == [5.0, 5.0]
    assert trio.current_time() == 5.0


async def test_when_every_address_times_out_the_connect_times_out(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Within the connect timeout, as one attempt did."""
    connector = Connector(silent={"2606:4700::1111", "1.1.1.1"})
    resolver = Resolver(["2606:4700::1111", "1.1.1.1"])
    backend = GuardedBackend(DEFAULT, resolver=resolver, backend=connector)
    with pytest.raises(httpcore.ConnectTimeout, match=r"1\.1\.1\.1"):
        await backend.connect_tcp("one.example", 443, timeout=10.0)
    assert trio.current_time() == 10.0


async def test_the_first_address_of_the_other_family_is_tried_second() -> None:
    """As trio's ``open_tcp_stream``: two broken IPv6 addresses cost one attempt."""
    connector = Connector(down={"2606:4700::1111", "2606:4700::1001"})
    resolver = Resolver(["2606:4700::1111", "2606:4700::1001", "1.1.1.1", "1.0.0.1"])
    backend = GuardedBackend(DEFAULT, resolver=resolver, backend=connector)
    await backend.connect_tcp("one.example", 443)
    assert connector.dialled == [("2606:4700::1111", 443), ("1.1.1.1", 443)]


async def test_a_name_that_does_not_resolve_is_a_connect_error() -> None:
    """Unreachable as before (retried by ``retry.post``), not a refusal."""

    async def nxdomain(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    backend = GuardedBackend(DEFAULT, resolver=nxdomain, backend=Connector())
    with pytest.raises(httpcore.ConnectError, match=r"nowhere\.example"):
        await backend.connect_tcp("nowhere.example", 443)


async def test_unix_sockets_are_refused() -> None:
    with pytest.raises(DestinationRefused):
        await GuardedBackend(DEFAULT, backend=Connector()).connect_unix_socket("/run/x.sock")
