"""Where Vega's outbound requests may go: the fetcher's URL, host and address rules.

Pure functions, no I/O: ``vega.integrations.guard`` applies them to the addresses a
name resolves to, at connect time. A URL is refused when its scheme is not http(s), it
carries a user name or password, or its host is, or resolves to, an address that is not
a public unicast one: loopback, private, link-local, shared (CGNAT), multicast, reserved,
documentation, unspecified, the cloud metadata services, and IPv6 forms that embed such
an IPv4 address (IPv4-mapped, NAT64, 6to4).

Why a table of networks rather than ``ipaddress``'s ``is_global`` alone: its answers
changed between Python patch releases (3.11.7 calls ``192.0.0.192``, Oracle Cloud's old
metadata address, and ``::7f00:1`` global), and a refusal should name the class of
address anyway. ``is_global`` stays as the last net for anything the table misses.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import httpx

from vega.errors import BadInput, FetchRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = frozenset({"http", "https"})

# The instance metadata services: credentials live there, so they are named in refusals
# even where their range is refused anyway. 168.63.129.16 (Azure's wire server) is a
# public address, refused only by this list.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        "169.254.170.2",  # AWS ECS task credentials
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (classic)
        "168.63.129.16",  # Azure wire server
    )
)
# Names that reach a metadata service from inside a cloud: refused before any lookup,
# so the refusal says why even where the name would not resolve.
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)

# (network, adjective): the first match names the refusal. Order: specific first.
_REFUSED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(net), kind)
    for net, kind in (
        ("0.0.0.0/8", "unspecified (this-network)"),
        ("127.0.0.0/8", "loopback"),
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("169.254.0.0/16", "link-local"),
        ("192.0.0.0/24", "reserved (IETF protocol assignments)"),
        ("192.0.2.0/24", "documentation (TEST-NET-1)"),
        ("198.51.100.0/24", "documentation (TEST-NET-2)"),
        ("203.0.113.0/24", "documentation (TEST-NET-3)"),
        ("192.88.99.0/24", "reserved (6to4 relay anycast)"),
        ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),  # includes 255.255.255.255, the broadcast address
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "reserved (IPv4-compatible)"),
        ("64:ff9b:1::/48", "private (local-use NAT64)"),
        ("100::/64", "reserved (discard-only)"),
        ("2001:db8::/32", "documentation"),
        ("2001::/23", "reserved (IETF protocol assignments)"),
        ("fc00::/7", "private (unique local)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "private (site-local)"),
        ("ff00::/8", "multicast"),
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv6 unicast on the internet is all inside 2000::/3; anything else left is special.
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")

# A DNS name after IDNA encoding: letters, digits, hyphens, underscores, dots.
_NAME = re.compile(
    r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$"
)
_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def _article(phrase: str) -> str:
    return ("an " if phrase[0].lower() in "aeiou" else "a ") + phrase


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 one stands for (and how), where the network would carry
    the packet to that IPv4 address: mapped (a dual-stack socket), NAT64 and 6to4."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped"
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4"
    return None


def address_refusal(ip: IPAddress) -> str | None:
    """Why the fetcher will not connect to ``ip`` ("a loopback address"), or None when
    it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "a scoped (zone) IPv6 address"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner, how = embedded
            reason = address_refusal(inner)
            return _article(f"{how} IPv6 address of {inner}, {reason}") if reason else None
    kind = next((kind for net, kind in _REFUSED_NETWORKS if ip in net), None)
    if ip in METADATA_ADDRESSES:
        base = kind.split(" (")[0] if kind else ""
        return _article(f"{base} (cloud metadata) address" if base else "cloud metadata address")
    if kind is not None:
        return _article(f"{kind} address")
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST_V6:
        return "a reserved IPv6 address"
    if not ip.is_global:
        return "a special-purpose (non-public) address"
    return None


def parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """``text`` read as ``inet_aton`` reads it, or None if it is not an IPv4 spelling.

    Resolvers and URL parsers accept more than dotted quads: ``2130706433``,
    ``0x7f.1``, ``0177.0.0.1`` and ``127.1`` are all 127.0.0.1. One to four parts,
    each decimal, octal (leading 0) or hex (0x); the last fills the remaining bytes.
    """
    parts = text.lower().split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        if part.startswith("0x"):
            digits, base = part[2:], 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        try:
            values.append(int(digits, base) if digits.isalnum() and digits.isascii() else -1)
        except ValueError:
            return None
        if values[-1] < 0:
            return None
    *head, last = values
    if any(v > 0xFF for v in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = last
    for i, value in enumerate(head):
        number |= value << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def normalise_host(host: str) -> str:
    """Lower case, without the brackets of an IPv6 literal or the DNS root's dot."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


def parse_host(host: str) -> IPAddress | None:
    """The address a URL host stands for when it is an IP literal in any spelling, None
    when it is a DNS name. ``BadInput`` when it is neither (a name ending in a number
    that is no IPv4 spelling, characters no DNS name has)."""
    name = normalise_host(host)
    if ":" in name:
        try:
            return ipaddress.IPv6Address(name.replace("%25", "%"))
        except ValueError:
            raise BadInput(f"{host!r} is not a valid IPv6 address.") from None
    ipv4 = parse_ipv4(name)
    if ipv4 is not None:
        return ipv4
    # WHATWG URL rules: a host whose last label is a number is an IPv4 address or invalid;
    # a resolver might read it as one either way.
    if (
        not name
        or len(name) > 253
        or not _NAME.match(name)
        or _NUMBER.match(name.rsplit(".", 1)[-1])
    ):
        raise BadInput(f"{host!r} is not a host name or IP address the fetcher accepts.")
    return None


def name_refusal(name: str) -> str | None:
    """Why a DNS name is refused before it is even resolved, or None."""
    if name == "localhost" or name.endswith(".localhost") or name == "localhost.localdomain":
        return "a loopback name"
    if name in METADATA_NAMES:
        return "a cloud metadata host name"
    return None


def canonical_host(host: str) -> str:
    """The form allow-list entries are matched in: IP literals as ``ipaddress`` writes
    them (so ``0x7f.1`` and ``127.0.0.1`` are one entry), names lower case."""
    name = normalise_host(host)
    literal = _literal(name)
    return str(literal) if literal is not None else name


@dataclass(frozen=True)
class Exemptions:
    """What skips the address rules: host names (``VEGA_FETCH_ALLOW_HOSTS``, for tests
    and intranets) and, for embedding and tests only, networks. A name exempts itself
    whatever it resolves to; a network exempts its addresses whatever name led there."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, hosts: Iterable[str] = (), networks: Iterable[str | IPNetwork] = ()) -> Exemptions:
        return cls(
            frozenset(canonical_host(h) for h in hosts if h.strip()),
            tuple(ipaddress.ip_network(n) for n in networks),
        )

    def host(self, host: str) -> bool:
        return canonical_host(host) in self.hosts

    def address(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


NO_EXEMPTIONS = Exemptions()


def check_address(host: str, ip: IPAddress, *, exempt: Exemptions = NO_EXEMPTIONS) -> None:
    """Refuse ``ip`` unless it is public or exempt; ``host`` is the name that led there,
    named in the refusal when it differs from the address."""
    if exempt.address(ip):
        return
    reason = address_refusal(ip)
    if reason is None:
        return
    if normalise_host(host) in (str(ip), ""):
        raise FetchRefused(f"refused: {ip} is {reason}.", address=str(ip), reason=reason)
    raise FetchRefused(
        f"refused: {normalise_host(host)} resolves to {ip}, {reason}.",
        host=normalise_host(host),
        address=str(ip),
        reason=reason,
    )


def check_host(host: str, *, exempt: Exemptions = NO_EXEMPTIONS) -> IPAddress | None:
    """Apply the rules that need no DNS to a URL host: its address when it is an IP
    literal (checked), None for a name (checked against the name rules). Exempt hosts
    skip the rules."""
    literal = parse_host(host)
    if exempt.host(host):
        return literal
    if literal is not None:
        check_address(str(literal), literal, exempt=exempt)
        return literal
    name = normalise_host(host)
    reason = name_refusal(name)
    if reason:
        raise FetchRefused(f"refused: {name} is {reason}.", host=name, reason=reason)
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return parse_host(host)
    except BadInput:
        return None


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise BadInput(f"Not a URL the fetcher can open: {url!r} ({exc}).") from None
    return parts


def check_url(url: str | httpx.URL, *, exempt: Exemptions = NO_EXEMPTIONS) -> httpx.URL:
    """The URL as httpx will request it, once its scheme, user part and host pass.

    The host is checked as both ``urllib`` and httpx read it, so a spelling one of them
    rejects (httpx refuses ``0177.0.0.1``) is still named for what it is, and the two
    parsers cannot disagree about where the request goes. Addresses a name resolves to
    are checked later, at connect time (``vega.integrations.guard``).
    """
    text = str(url).strip()
    parts = _split(text)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise FetchRefused(
            f"refused: {scheme or 'a URL without a'} scheme ({text[:80]!r}); only http and https are fetched.",
            scheme=scheme,
        )
    if "@" in parts.netloc:
        raise FetchRefused(
            "refused: URLs with a user name or password are not fetched.", reason="userinfo"
        )
    if not parts.hostname:
        raise BadInput(f"Not a URL the fetcher can open: {text!r} has no host.")
    literal = _literal(parts.hostname)
    if literal is not None and not exempt.host(parts.hostname):
        check_address(str(literal), literal, exempt=exempt)
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise BadInput(f"Not a URL the fetcher can open: {text!r} ({exc}).") from None
    if parsed.scheme not in SCHEMES or parsed.userinfo or not parsed.host:
        raise BadInput(f"Not a URL the fetcher can open: {text!r}.")
    check_host(parsed.raw_host.decode("ascii"), exempt=exempt)
    return parsed
