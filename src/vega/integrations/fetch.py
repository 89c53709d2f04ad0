"""The one fetcher: every URL Vega opens on someone's behalf goes through ``SafeFetcher``.

A URL can come from a model, and a model reads pages written by anyone: a page that says
"now fetch http://169.254.169.254/latest/meta-data/" must not get Vega to do it. So the
fetcher refuses (``FetchRefused``) what is not a public http(s) address, before DNS (the
scheme, user part, literal addresses in every spelling, loopback and metadata names),
after it (every address a name resolves to, checked at connect time on the address
actually connected to: ``vega.integrations.guard``) and again on every redirect hop,
which it follows itself. It also caps what one fetch may cost: time (one deadline for
all hops), redirects, body size (counted after decompression, so a gzip bomb stops at
the cap) and content types (checked on the headers, before the body is read). Anything
that goes wrong on the way is one ``FetchFailed``; no httpx or httpcore exception
leaves this module.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
import anyio.to_thread
import httpcore
import httpx

from vega import __version__
from vega.errors import FetchFailed, FetchRefused
from vega.integrations.addresses import Exemptions, IPNetwork
from vega.integrations.bodies import MB, content_type, header_dict, read_capped
from vega.integrations.extract import EXTRACT_MAX_BYTES, extract_html, markdown_title
from vega.integrations.guard import AddressGuard, GuardedTransport, Resolver
from vega.settings import Settings

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MARKDOWN_TYPES = frozenset({"text/markdown", "text/x-markdown"})
# What ``read`` turns into text: pages, and the text formats a model can read as is.
TEXT_TYPES = (
    HTML_TYPES
    | MARKDOWN_TYPES
    | {
        "text/plain",
        "text/csv",
        "application/json",
        "application/ld+json",
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
    }
)
# For callers that parse documents themselves (a crawl into a collection).
DOCUMENT_TYPES = TEXT_TYPES | {"application/pdf"}
ANY_TYPE: frozenset[str] = frozenset()  # ``accept=ANY_TYPE``: no content-type rule

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"Mozilla/5.0 (compatible; Vega/{__version__}; +local assistant)"
# gzip and deflate only: they are decoded here with a bound on the output. brotli and
# zstd could expand one network chunk into gigabytes before any cap saw it.
ACCEPT_ENCODING = "gzip, deflate"
# Extraction threads at once: it is CPU work, and the machine has few cores.
EXTRACT_THREADS = 2

_NETWORK_ERRORS = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.StreamError,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ConnectionNotAvailable,
    ssl.SSLError,
    OSError,
)


@dataclass(frozen=True)
class FetchLimits:
    """What one fetch may cost."""

    max_bytes: int = 5 * MB
    timeout_s: float = 15.0
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(
            max_bytes=int(settings.fetch_max_mb * MB),
            timeout_s=settings.fetch_timeout_s,
            max_redirects=settings.fetch_max_redirects,
        )


@dataclass(frozen=True)
class Fetched:
    """One fetched URL. ``url`` is the final one, after ``redirects`` (the URLs that
    answered with a redirect, in order); ``address`` the IP address that served it."""

    url: str
    status: int
    content_type: str
    charset: str | None
    headers: dict[str, str]
    body: bytes
    redirects: list[str] = field(default_factory=list)
    address: str | None = None

    def text(self) -> str:
        """The body as text: the declared charset, else UTF-8 (bad bytes replaced)."""
        charset = self.charset or "utf-8"
        if charset.replace("-", "").lower() == "utf8":
            charset = "utf-8-sig"  # drops a byte-order mark
        return self.body.decode(charset, errors="replace")


@dataclass(frozen=True)
class Page:
    """A page as a model reads it: the main text, and the title (``""`` if none)."""

    url: str
    title: str
    text: str
    content_type: str
    fetched_at: datetime


def _on_hop(exc: FetchRefused, hop: int, url: str) -> FetchRefused:
    """A refusal met on a redirect, saying which hop led there."""
    details = {k: v for k, v in exc.details.items() if k not in ("redirect", "url")}
    return FetchRefused(
        f"{exc.message.rstrip('.')} (redirect {hop} to {url}).", redirect=hop, url=url, **details
    )


def _failure(exc: BaseException, url: str) -> FetchFailed:
    """One ``FetchFailed`` for any library error met while fetching ``url``."""
    cause: BaseException | None = exc
    while cause is not None:  # httpcore wraps the ssl error as a ConnectError
        if isinstance(cause, ssl.SSLCertVerificationError):
            return FetchFailed(
                f"The TLS certificate of {url} did not verify ({cause.verify_message}).", url=url
            )
        cause = cause.__cause__ or cause.__context__
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException):
        return FetchFailed(f"{url} did not answer in time ({detail}).", url=url)
    if isinstance(exc, httpx.ConnectError | httpcore.ConnectError | OSError):
        return FetchFailed(f"Cannot connect to {url} ({detail}).", url=url)
    return FetchFailed(f"Fetching {url} failed ({type(exc).__name__}: {detail}).", url=url)


class SafeFetcher:
    """Fetch and read URLs under the address rules and the limits; see the module doc.

    One pooled ``httpx.AsyncClient`` on ``GuardedTransport``; no environment proxies.
    ``aclose`` when done (or use it as an async context manager).
    """

    def __init__(
        self, guard: AddressGuard, limits: FetchLimits, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.guard = guard
        self.limits = limits
        self.ssl_context = ssl_context or httpx.create_ssl_context()
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(guard, ssl_context=self.ssl_context),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(limits.timeout_s),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        )
        self._extractors: anyio.CapacityLimiter | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        allow_networks: Collection[str | IPNetwork] = (),
    ) -> SafeFetcher:
        """The fetcher as configured. ``allow_networks`` (not a setting: for tests and
        embedding) exempts addresses the way ``fetch_allow_hosts`` exempts names."""
        resolver = Resolver(settings.fetch_dns_servers, timeout_s=settings.fetch_timeout_s)
        exempt = Exemptions.of(settings.fetch_allow_hosts, allow_networks)
        return cls(
            AddressGuard(resolver, exempt),
            FetchLimits.from_settings(settings),
            ssl_context=ssl_context,
        )

    @property
    def resolver(self) -> Resolver:
        return self.guard.resolver

    async def fetch(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        accept: Collection[str] = TEXT_TYPES,
    ) -> Fetched:
        """GET ``url`` and read its body: ``FetchRefused`` for a forbidden place (the URL
        or any hop), ``FetchFailed`` for an error status (>= 400), a type not in
        ``accept`` (``ANY_TYPE``: any), a body over ``max_bytes``, the time limit, or
        the network."""
        limit = min(max_bytes or self.limits.max_bytes, self.limits.max_bytes)
        return await self._request(url, "GET", accept=accept, max_bytes=limit)

    async def head(self, url: str) -> Fetched:
        """The status and headers of ``url`` (HEAD, or a GET whose body is left unread
        where HEAD is not allowed), whatever the status and type; body empty."""
        fetched = await self._request(url, "HEAD", accept=ANY_TYPE, max_bytes=None)
        if fetched.status in (405, 501):
            fetched = await self._request(url, "GET", accept=ANY_TYPE, max_bytes=None)
        return fetched

    async def read(self, url: str, *, max_bytes: int | None = None) -> Page:
        """``url`` as text: the main content of an HTML page with its title, other
        text types as they are (a markdown document's title is its first heading)."""
        fetched = await self.fetch(url, max_bytes=max_bytes, accept=TEXT_TYPES)
        if fetched.content_type in HTML_TYPES:
            title, text = await self.extract(fetched)
        else:
            text = fetched.text()
            title = markdown_title(text) if fetched.content_type in MARKDOWN_TYPES else ""
        return Page(fetched.url, title, text, fetched.content_type, datetime.now(UTC))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _request(
        self, url: str, method: str, *, accept: Collection[str], max_bytes: int | None
    ) -> Fetched:
        """One fetch, redirects included, under one deadline; errors translated here."""
        try:
            with anyio.fail_after(self.limits.timeout_s):
                return await self._follow(url, method, accept=accept, max_bytes=max_bytes)
        except TimeoutError:
            raise FetchFailed(
                f"{url} took longer than {self.limits.timeout_s:g} s to fetch.", url=url
            ) from None
        except _NETWORK_ERRORS as exc:
            raise _failure(exc, url) from exc

    async def _follow(
        self, url: str, method: str, *, accept: Collection[str], max_bytes: int | None
    ) -> Fetched:
        current = self.guard.check_url(url)
        redirects: list[str] = []
        while True:
            response = await self._send(method, current, accept, hop=len(redirects))
            try:
                location = response.headers.get("location")
                if response.status_code not in REDIRECT_STATUSES or not location:
                    return await self._finish(
                        response, str(current), redirects, accept=accept, max_bytes=max_bytes
                    )
                if len(redirects) >= self.limits.max_redirects:
                    raise FetchFailed(
                        f"{url} redirects more than {self.limits.max_redirects} times.", url=url
                    )
                redirects.append(str(current))
                target = str(current.join(location))
                try:
                    current = self.guard.check_url(target)
                except FetchRefused as exc:
                    raise _on_hop(exc, len(redirects), target) from None
            finally:
                await response.aclose()

    async def _send(
        self, method: str, url: httpx.URL, accept: Collection[str], *, hop: int
    ) -> httpx.Response:
        # Content types the caller can use first; */* last so strict servers still answer.
        listed = ", ".join(sorted(accept))
        headers = {"Accept": f"{listed}, */*;q=0.1" if listed else "*/*"}
        request = self._client.build_request(method, url, headers=headers)
        try:
            return await self._client.send(request, stream=True)
        except FetchRefused as exc:  # from GuardedBackend, at connect time
            if hop:
                raise _on_hop(exc, hop, str(url)) from None
            raise

    async def _finish(
        self,
        response: httpx.Response,
        url: str,
        redirects: list[str],
        *,
        accept: Collection[str],
        max_bytes: int | None,
    ) -> Fetched:
        media, charset = content_type(response.headers)
        body = b""
        if max_bytes is not None:  # a body is wanted: only a successful, readable one
            if response.status_code >= 400:
                raise FetchFailed(
                    f"{url} answered HTTP {response.status_code}.",
                    url=url,
                    upstream_status=response.status_code,
                )
            if accept and media not in accept:
                raise FetchFailed(
                    f"{url} is {media or 'of no declared type'}, which the fetcher does not "
                    f"read here (it reads {', '.join(sorted(accept))}).",
                    url=url,
                    content_type=media,
                )
            body = await read_capped(response, url, max_bytes)
        stream = response.extensions.get("network_stream")
        server = stream.get_extra_info("server_addr") if stream is not None else None
        return Fetched(
            url=url,
            status=response.status_code,
            content_type=media,
            charset=charset,
            headers=header_dict(response.headers),
            body=body,
            redirects=redirects,
            address=str(server[0]) if server else None,
        )

    async def extract(self, fetched: Fetched) -> tuple[str, str]:
        """Title and text of an HTML page, in a worker thread, within the time limit."""
        if self._extractors is None:
            self._extractors = anyio.CapacityLimiter(EXTRACT_THREADS)
        body = fetched.body[:EXTRACT_MAX_BYTES]
        # A declared charset is honoured; otherwise trafilatura reads <meta charset>.
        source: str | bytes = fetched.text() if fetched.charset else body
        work = functools.partial(extract_html, source, fetched.url)
        try:
            with anyio.fail_after(self.limits.timeout_s):
                return await anyio.to_thread.run_sync(
                    work, abandon_on_cancel=True, limiter=self._extractors
                )
        except TimeoutError:
            raise FetchFailed(
                f"Reading the text of {fetched.url} took longer than {self.limits.timeout_s:g} s.",
                url=fetched.url,
            ) from None
