"""Resolve, check, then connect to the address that was checked: the fetcher's socket layer.

The address rules (``vega.integrations.addresses``) are only as good as the moment they
are applied. Checking a name's addresses and then letting the HTTP client resolve it
again opens a DNS-rebinding gap: the second answer can differ (first public, then
127.0.0.1). So the check happens inside the connection itself: ``GuardedBackend`` is
the httpcore network backend, and its ``connect_tcp`` resolves the name once, checks
every address it got, and opens the socket to one of those literal addresses. httpcore
still sends the name in the Host header and does TLS with SNI and certificate checks
against the name, as if it had resolved it itself. Redirects open new connections, so
each hop passes here too.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable, Sequence
from typing import Any

import anyio
import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver
import httpcore
import httpx

from vega.errors import ConfigError, FetchFailed, FetchRefused
from vega.integrations.addresses import (
    Exemptions,
    IPAddress,
    check_address,
    check_url,
    name_refusal,
    normalise_host,
    parse_host,
)

DNS_PORT = 53
# Enough for a model's handful of parallel fetches; a crawl is polite and serial.
MAX_CONNECTIONS = 20
KEEPALIVE_EXPIRY_S = 30.0


def parse_nameserver(entry: str) -> dns.nameserver.Do53Nameserver:
    """``VEGA_FETCH_DNS_SERVERS`` entries: ``1.1.1.1``, ``127.0.0.1:5353``, ``::1`` or
    ``[::1]:5353``. Addresses only: a server named by a host name would need a resolver
    to find the resolver."""
    text = entry.strip()
    host, port = text, str(DNS_PORT)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else port
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        address = ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        raise ConfigError(
            f"VEGA_FETCH_DNS_SERVERS: {entry!r} is not an IP address with an optional port."
        ) from None
    if not 0 < number < 65536:
        raise ConfigError(f"VEGA_FETCH_DNS_SERVERS: {entry!r} has no valid port.")
    return dns.nameserver.Do53Nameserver(str(address), number)


class Resolver:
    """Names to addresses, for the fetcher and the DNS lookups alike.

    With ``servers`` it asks those DNS servers (dnspython); without, the system's
    resolver (``getaddrinfo``: /etc/hosts, the configured servers, mDNS...). Either way
    the answers are only ever used after ``AddressGuard`` has checked them.
    """

    def __init__(self, servers: Sequence[str] = (), *, timeout_s: float = 5.0) -> None:
        self.timeout_s = timeout_s
        self._servers = [parse_nameserver(s) for s in servers]
        self._dns: dns.asyncresolver.Resolver | None = None

    @property
    def uses_system(self) -> bool:
        return not self._servers

    def dns(self) -> dns.asyncresolver.Resolver:
        """A dnspython resolver on the configured servers, or the system's
        (/etc/resolv.conf) when none are set; made on first use."""
        if self._dns is None:
            try:
                resolver = dns.asyncresolver.Resolver(configure=not self._servers)
            except dns.resolver.NoResolverConfiguration:
                raise FetchFailed("No DNS server is configured on this machine.") from None
            if self._servers:
                resolver.nameservers = list(self._servers)
            resolver.lifetime = self.timeout_s
            resolver.timeout = min(self.timeout_s, 2.0)  # per server try; lifetime caps all
            resolver.use_search_by_default = False
            self._dns = resolver
        return self._dns

    async def addresses(self, name: str) -> list[IPAddress]:
        """Every A and AAAA address of ``name``, first answers first; ``FetchFailed``
        when there is none."""
        found = await (self._system(name) if self.uses_system else self._ask(name))
        unique = list(dict.fromkeys(found))
        if not unique:
            raise FetchFailed(f"{name} has no address (no A or AAAA record).", host=name)
        return unique

    async def _system(self, name: str) -> list[IPAddress]:
        try:
            infos = await anyio.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise FetchFailed(f"Could not resolve {name} ({exc}).", host=name) from None
        return [ipaddress.ip_address(info[4][0]) for info in infos]

    async def _ask(self, name: str) -> list[IPAddress]:
        found: dict[str, list[IPAddress] | FetchFailed] = {}

        async def query(rdtype: str) -> None:
            found[rdtype] = await self._records(name, rdtype)

        async with anyio.create_task_group() as group:  # A and AAAA at once
            group.start_soon(query, "A")
            group.start_soon(query, "AAAA")
        addresses = [ip for rdtype in ("A", "AAAA") for ip in _listed(found[rdtype])]
        failures = [f for f in found.values() if isinstance(f, FetchFailed)]
        if not addresses and failures:  # one family answering is enough to connect
            raise failures[0]
        return addresses

    async def _records(self, name: str, rdtype: str) -> list[IPAddress] | FetchFailed:
        """The answer, or the error as a value (raised by the caller, outside the task
        group, so it does not arrive wrapped in an ExceptionGroup)."""
        try:
            answer = await self.dns().resolve(name + ".", rdtype, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return FetchFailed(f"{name} does not exist (DNS: no such name).", host=name)
        except dns.exception.DNSException as exc:
            return FetchFailed(f"DNS lookup of {name} failed ({exc}).", host=name)
        return [ipaddress.ip_address(rdata.to_text()) for rdata in answer]


def _listed(result: list[IPAddress] | FetchFailed) -> list[IPAddress]:
    return result if isinstance(result, list) else []


class AddressGuard:
    """The address rules plus a resolver: every connection the fetcher and the lookups
    open asks ``resolve`` first and connects only to what it returns."""

    def __init__(self, resolver: Resolver, exempt: Exemptions | None = None) -> None:
        self.resolver = resolver
        self.exempt = exempt or Exemptions()

    def check_url(self, url: str | httpx.URL) -> httpx.URL:
        """The rules that need no DNS: scheme, user part, literal addresses, names."""
        return check_url(url, exempt=self.exempt)

    async def resolve(self, host: str) -> list[IPAddress]:
        """The addresses of ``host`` (itself, for an IP literal), every one of them
        checked: one forbidden address refuses the whole name, since which one a
        client picks is up to the client."""
        name = normalise_host(host)
        literal = parse_host(name)
        exempt = self.exempt.host(name)
        if literal is None and not exempt and (reason := name_refusal(name)):
            raise FetchRefused(f"refused: {name} is {reason}.", host=name, reason=reason)
        addresses = [literal] if literal is not None else await self.resolver.addresses(name)
        if not exempt:
            for ip in addresses:
                check_address(name, ip, exempt=self.exempt)
        return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, but ``connect_tcp`` goes through ``AddressGuard``."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface; the fetcher's fail_after caps it)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.resolve(host)
        failure: Exception = FetchFailed(f"{host} has no address.", host=host)
        for ip in addresses:  # in the resolver's order, as getaddrinfo would try them
            try:
                return await self._inner.connect_tcp(
                    str(ip),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchRefused("refused: the fetcher never opens Unix sockets.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> Any:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            await self._stream.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport on a connection pool whose sockets come from ``GuardedBackend``.

    Written out rather than patched into ``httpx.AsyncHTTPTransport`` (which takes no
    network backend) so no private attribute is touched. No proxy, ever: a proxy would
    connect on our behalf to addresses we never see. httpcore's exceptions are not
    mapped to httpx's here; the fetcher translates both into ``FetchFailed``.
    """

    def __init__(self, guard: AddressGuard, *, ssl_context: ssl.SSLContext) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=MAX_CONNECTIONS,
            keepalive_expiry=KEEPALIVE_EXPIRY_S,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(guard),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):  # an AsyncClient's always is
            raise TypeError("GuardedTransport serves httpx.AsyncClient only.")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
