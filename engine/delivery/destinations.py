"""Which addresses a user-configured delivery may reach: the outbound network policy.

A contact method's URL (webhook, Slack incoming webhook, Teams workflow) is typed
by a member, so without a check any member who may configure one could make
Pulsar POST to itself, to a local admin port, to the cloud metadata service
(169.254.169.254) or into a private network (server-side request forgery). The
policy refuses every address that is not globally routable — unspecified,
loopback, link-local, multicast, RFC 1918 private, shared (CGNAT 100.64/10), IPv6
unique-local and site-local, and the reserved, documentation and benchmarking
ranges — unless it lies in a network the operator allowed (``PULSAR_OUTBOUND_ALLOWED_NETWORKS``,
e.g. ``10.20.0.0/16`` for an internal chat bridge). An IPv6 address that embeds
an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4
``2002::/16``) is judged by the IPv4 address it leads to.

Pure: ``guard`` applies it to every resolved address at connect time; the web
layer applies ``host_refusal`` to a URL's literal host when a method is saved.
Operator-configured endpoints (SMTP, ``PULSAR_SLACK_API_URL``) are not subject
to it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import Final, final
from urllib.parse import urlsplit

__all__ = ["ALLOW_SETTING", "OutboundPolicy", "parse_networks"]

ALLOW_SETTING: Final = "PULSAR_OUTBOUND_ALLOWED_NETWORKS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT: Final = ipaddress.IPv4Network("100.64.0.0/10")
_RFC1918: Final = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_ULA: Final = ipaddress.IPv6Network("fc00::/7")
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
# inet_aton's legacy spellings (127.1, 0x7f000001, 2130706433): resolvers accept them.
_LEGACY_IPV4: Final = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}")


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The allowed networks, each a CIDR (``10.20.0.0/16``) or a single address.

    Raises:
        ValueError: an entry that is not an IP network, naming the setting.
    """
    networks = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{ALLOW_SETTING}: {text!r} is not an IP network (CIDR)") from None
    return tuple(networks)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to (mapped, NAT64 or 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def _kind(address: IPAddress) -> str | None:
    """What makes ``address`` not globally routable (``"a loopback address"``), or None."""
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address):
        if address in _CGNAT:
            return "a shared (carrier-grade NAT) address"
        if any(address in network for network in _RFC1918):
            return "a private address"
    elif address in _ULA:
        return "a unique local address"
    elif address.is_site_local:  # fec0::/10, deprecated but "global" to ipaddress
        return "a site-local address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


@final
class OutboundPolicy:
    """Refuses non-global addresses except those in ``allowed`` networks.

    ``OutboundPolicy.from_setting(["127.0.0.0/8"])`` allows loopback (tests).
    """

    def __init__(self, allowed: Iterable[IPNetwork] = ()) -> None:
        self.allowed = tuple(allowed)

    @classmethod
    def from_setting(cls, values: Iterable[str]) -> OutboundPolicy:
        """The policy of ``PULSAR_OUTBOUND_ALLOWED_NETWORKS``' entries (see ``parse_networks``)."""
        return cls(parse_networks(values))

    def refusal(self, address: str, *, name: str = "") -> str | None:
        """Why ``address`` (an IP literal) may not be reached, or None when it may.

        ``name`` is the host name it was resolved from, shown in the reason:
        ``"refused: localhost resolves to 127.0.0.1, a loopback address; allow it
        with PULSAR_OUTBOUND_ALLOWED_NETWORKS"``.

        Raises:
            ValueError: ``address`` is not an IP address.
        """
        shown = address.split("%", 1)[0]  # an IPv6 zone is no part of the address
        ip = ipaddress.ip_address(shown)
        embedded = _embedded_ipv4(ip)
        candidates = (ip,) if embedded is None else (ip, embedded)
        if any(c in network for c in candidates for network in self.allowed):
            return None
        kind = _kind(ip if embedded is None else embedded)
        if kind is None:
            return None
        if embedded is not None:
            kind = f"{kind} ({embedded})"
        subject = f"{name} resolves to {shown}, " if name and name != shown else f"{shown} is "
        return f"refused: {subject}{kind}; allow it with {ALLOW_SETTING}"

    def host_refusal(self, url: str) -> str | None:
        """Why ``url``'s host is refused when it is a literal IP (or ``localhost``), else None.

        Host names are not resolved here: they are checked at connect time, every
        time (so a name that resolves, or later re-resolves, to a refused address
        is refused then). A URL that cannot be parsed (``http://[::1/``) is refused.
        """
        try:
            host = (urlsplit(url).hostname or "").rstrip(".")
        except ValueError as error:  # an unclosed or bad [IPv6] literal
            return f"refused: {url!r} is not a URL that can be parsed ({error})"
        if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always loopback
            return self.refusal("127.0.0.1", name=host)
        literal = _literal(host)
        return None if literal is None else self.refusal(literal, name=host)


def _literal(host: str) -> str | None:
    """``host`` as an IP address string when it is one (legacy IPv4 forms included)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    if not _LEGACY_IPV4.fullmatch(host):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None
