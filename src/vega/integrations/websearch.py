"""Web search behind one contract: SearXNG, DuckDuckGo, Brave and Tavily.

``WebSearch`` is what the ``web_search`` tool and research use: it picks the provider
named by ``VEGA_SEARCH_PROVIDER``, checks the query, reuses recent results
(``VEGA_SEARCH_CACHE_TTL_S``), cleans what comes back (http(s) links only, one result per
URL, text without markup and capped) and turns every provider failure into
``SearchUnavailable`` with a message that names the provider and what went wrong. A tool
error is what the model reads; a search outage must never fail the turn.

Provider endpoints are chosen by the operator (a SearXNG on the intranet is normal), so
they are called directly, not through the SSRF-safe fetcher in ``fetch.py``, which is for
URLs that users and models supply.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urldefrag, urlsplit

import httpx
from cachetools import TTLCache

from vega.errors import BadInput, SearchUnavailable, VegaError

if TYPE_CHECKING:
    from vega.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
MAX_QUERY_CHARS = 400  # Brave's own limit; longer queries are prompts, not searches
MAX_COUNT = 20  # the most Brave and Tavily return in one request
MAX_TITLE_CHARS = 300
MAX_SNIPPET_CHARS = 1_000
MAX_URL_CHARS = 2_048
CACHE_SIZE = 512
# How much of a provider's error body goes to the log (it can be an HTML error page).
LOGGED_ERROR_CHARS = 300

BRAVE_URL = "https://api.search.brave.com"
TAVILY_URL = "https://api.tavily.com"
INSTALL_WEB_EXTRA = "pip install 'vega[web]'"

_TAGS = re.compile(r"<[^<>]{0,200}>")  # Brave marks the matched words with <strong>
_SPACE = re.compile(r"\s+")
_ACCEPT_JSON = {"Accept": "application/json"}


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One hit: ``rank`` is its place in the cleaned list, from 1."""

    title: str
    url: str
    snippet: str
    rank: int

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url, "snippet": self.snippet, "rank": self.rank}


class SearchProvider(ABC):
    """One search service. ``search`` returns the provider's hits as they come (``WebSearch``
    cleans and cuts them) and raises ``SearchUnavailable``; anything else it lets out is
    translated by ``WebSearch``."""

    name: ClassVar[str]

    @abstractmethod
    async def search(self, query: str, *, count: int) -> list[SearchResult]: ...

    async def aclose(self) -> None:  # noqa: B027 (optional hook: most providers hold nothing)
        """Release connections; the default holds none."""


class NoSearch(SearchProvider):
    """``VEGA_SEARCH_PROVIDER=none``: every search says how to turn it on."""

    name = "none"

    async def search(self, query: str, *, count: int) -> list[SearchResult]:
        raise SearchUnavailable(
            "web search is off: set VEGA_SEARCH_PROVIDER (searxng, duckduckgo, brave or tavily)",
            provider=self.name,
        )


# --- HTTP providers -------------------------------------------------------------------


class HTTPSearchProvider(SearchProvider):
    """A provider with a JSON API: one pooled client; error statuses, broken connections
    and malformed bodies become ``SearchUnavailable`` here. No message carries the key."""

    label: ClassVar[str]  # the provider's name in messages: "SearXNG", "Brave", ...
    key_setting: ClassVar[str] = "VEGA_SEARCH_API_KEY"  # what to check when refused

    def __init__(self, base_url: str, *, api_key: str = "", timeout_s: float = TIMEOUT_S) -> None:
        self.base_url = base_url.strip().rstrip("/")
        self.timeout_s = timeout_s
        self._api_key = api_key.strip()
        # trust_env=False: an HTTP(S)_PROXY meant for browsing must not capture calls to an
        # intranet SearXNG; an operator who needs a proxy sets VEGA_SEARCH_BASE_URL.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s), trust_env=False, follow_redirects=False
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def _fail(self, what: str, **details: Any) -> SearchUnavailable:
        return SearchUnavailable(
            f"{self.label} search failed: {what}", provider=self.name, **details
        )

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request; its JSON document, or ``SearchUnavailable``."""
        if not self.base_url.startswith(("http://", "https://")):
            raise self._fail(f"its address {self.base_url!r} is not an http(s) URL")
        with self._translate():
            response = await self._client.request(method, self.base_url + path, **kwargs)
            if not response.is_success:
                self._log_refusal(response)
                raise self._status_error(response.status_code)
            try:
                return response.json()
            except ValueError:
                raise self._fail("it sent a malformed response (not JSON)") from None

    @contextmanager
    def _translate(self) -> Iterator[None]:
        host = urlsplit(self.base_url).netloc
        try:
            yield
        except VegaError:
            raise
        except httpx.TimeoutException as exc:
            raise self._fail(f"{host} did not answer within {self.timeout_s:g} s") from exc
        except httpx.ConnectError as exc:
            raise self._fail(f"cannot reach {host}: is it running?") from exc
        except httpx.HTTPError as exc:
            raise self._fail(f"the connection to {host} broke ({type(exc).__name__})") from exc

    def _log_refusal(self, response: httpx.Response) -> None:
        body = response.text[:LOGGED_ERROR_CHARS]
        if self._api_key:  # an error page that echoes the request must not leak the key
            body = body.replace(self._api_key, "***")
        log.warning("%s search answered HTTP %s: %s", self.label, response.status_code, body)

    def _status_error(self, status: int) -> SearchUnavailable:
        if status in (401, 403):
            return self._fail(
                f"it refused our credentials (HTTP {status}): check {self.key_setting}",
                upstream_status=status,
            )
        if status == 429:
            return self._fail(
                "it is rate limiting us (HTTP 429): try again later", upstream_status=status
            )
        if 400 <= status < 500:
            return self._fail(f"it refused the request (HTTP {status})", upstream_status=status)
        return self._fail(f"it answered HTTP {status}", upstream_status=status)

    def _need_key(self) -> None:
        if not self._api_key:
            raise SearchUnavailable(
                f"{self.label} search needs an API key: set {self.key_setting}",
                provider=self.name,
            )

    def _hits(self, rows: Any, *, title: str, url: str, snippet: str) -> list[SearchResult]:
        """Map the provider's list of hit objects (field names given); no list is malformed."""
        if not isinstance(rows, list):
            raise self._fail("it sent a malformed response (no result list)")
        return [
            SearchResult(
                title=_as_text(row.get(title)),
                url=_as_text(row.get(url)),
                snippet=_as_text(row.get(snippet)),
                rank=rank,
            )
            for rank, row in enumerate(rows, start=1)
            if isinstance(row, Mapping)
        ]


class SearxngProvider(HTTPSearchProvider):
    """A SearXNG instance's JSON API (its ``search.formats`` must include ``json``)."""

    name = "searxng"
    label = "SearXNG"

    async def search(self, query: str, *, count: int) -> list[SearchResult]:
        if not self.base_url:
            raise SearchUnavailable(
                "SearXNG search needs its address: set VEGA_SEARXNG_URL", provider=self.name
            )
        body = await self._request(
            "GET", "/search", params={"q": query, "format": "json"}, headers=_ACCEPT_JSON
        )
        rows = body.get("results") if isinstance(body, dict) else None
        # SearXNG has no count parameter: it answers a page (about 10 hits per engine mix).
        return self._hits(rows, title="title", url="url", snippet="content")

    def _status_error(self, status: int) -> SearchUnavailable:
        if status == 403:  # what SearXNG answers when its json format is not enabled
            return self._fail(
                "it refused the JSON format (HTTP 403): add json to search.formats in its settings.yml",
                upstream_status=status,
            )
        return super()._status_error(status)


class BraveProvider(HTTPSearchProvider):
    """Brave's Web Search API (key in ``X-Subscription-Token``)."""

    name = "brave"
    label = "Brave"

    def __init__(
        self, api_key: str, base_url: str = BRAVE_URL, *, timeout_s: float = TIMEOUT_S
    ) -> None:
        super().__init__(base_url or BRAVE_URL, api_key=api_key, timeout_s=timeout_s)

    async def search(self, query: str, *, count: int) -> list[SearchResult]:
        self._need_key()
        body = await self._request(
            "GET",
            "/res/v1/web/search",
            params={"q": query, "count": str(min(count, MAX_COUNT))},
            headers={**_ACCEPT_JSON, "X-Subscription-Token": self._api_key},
        )
        if not isinstance(body, dict):
            raise self._fail("it sent a malformed response (not an object)")
        web = body.get("web")
        if web is None:  # Brave leaves the section out when the web has nothing
            return []
        rows = web.get("results") if isinstance(web, dict) else None
        return self._hits(rows, title="title", url="url", snippet="description")


class TavilyProvider(HTTPSearchProvider):
    """Tavily's search API (key as ``Authorization: Bearer``)."""

    name = "tavily"
    label = "Tavily"

    def __init__(
        self, api_key: str, base_url: str = TAVILY_URL, *, timeout_s: float = TIMEOUT_S
    ) -> None:
        super().__init__(base_url or TAVILY_URL, api_key=api_key, timeout_s=timeout_s)

    async def search(self, query: str, *, count: int) -> list[SearchResult]:
        self._need_key()
        body = await self._request(
            "POST",
            "/search",
            json={"query": query, "max_results": min(count, MAX_COUNT)},
            headers={**_ACCEPT_JSON, "Authorization": f"Bearer {self._api_key}"},
        )
        rows = body.get("results") if isinstance(body, dict) else None
        return self._hits(rows, title="title", url="url", snippet="content")


# --- DuckDuckGo ---------------------------------------------------------------------


class DuckDuckGoProvider(SearchProvider):
    """DuckDuckGo through the ``ddgs`` package (no key; ``pip install 'vega[web]'``).

    ``ddgs`` is synchronous, so it runs in a worker thread, bounded by our timeout and by
    its own: a thread cannot be stopped from outside, ddgs's timeout is what ends it.
    """

    name = "duckduckgo"

    def __init__(self, *, timeout_s: float = TIMEOUT_S) -> None:
        self.timeout_s = timeout_s

    async def search(self, query: str, *, count: int) -> list[SearchResult]:
        text = _ddgs_text()
        try:
            rows = await asyncio.wait_for(
                asyncio.to_thread(text, query, count, self.timeout_s), self.timeout_s
            )
        except TimeoutError:
            raise self._fail(f"no answer within {self.timeout_s:g} s") from None
        except Exception as exc:
            if _no_results(exc):
                return []
            # ddgs's messages name the engine and the HTTP failure; they hold no secret.
            raise self._fail(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        if not isinstance(rows, list):
            raise self._fail("ddgs returned no result list")
        return [
            SearchResult(
                title=_as_text(row.get("title")),
                url=_as_text(row.get("href")),
                snippet=_as_text(row.get("body")),
                rank=rank,
            )
            for rank, row in enumerate(rows, start=1)
            if isinstance(row, Mapping)
        ]

    def _fail(self, what: str) -> SearchUnavailable:
        return SearchUnavailable(f"DuckDuckGo search failed: {what}", provider=self.name)


def _ddgs_text() -> Callable[[str, int, float], Any]:
    """``ddgs``'s text search, imported on first use: the package is optional and heavy."""
    try:
        import ddgs
    except ImportError:
        raise SearchUnavailable(
            f"DuckDuckGo search needs the ddgs package: {INSTALL_WEB_EXTRA}",
            provider=DuckDuckGoProvider.name,
        ) from None

    def text(query: str, count: int, timeout_s: float) -> Any:
        # ddgs.DDGS is looked up at call time, so tests can replace it.
        return ddgs.DDGS(timeout=max(1, round(timeout_s))).text(query, max_results=count)

    return text


def _no_results(exc: Exception) -> bool:
    """ddgs raises its base exception with this text when every engine came back empty:
    that is an empty answer, not an outage."""
    return type(exc).__name__ == "DDGSException" and str(exc) == "No results found."


# --- the service ----------------------------------------------------------------------


class WebSearch:
    """The search service: one provider, its cache, and the checks around it."""

    def __init__(
        self,
        provider: SearchProvider,
        *,
        cache_ttl_s: float = 300.0,
        cache_size: int = CACHE_SIZE,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.provider = provider
        self.timeout_s = timeout_s
        # ttl 0 turns the cache off (VEGA_SEARCH_CACHE_TTL_S=0).
        self._cache: TTLCache[tuple[str, str, int], tuple[SearchResult, ...]] | None = (
            TTLCache(maxsize=cache_size, ttl=cache_ttl_s) if cache_ttl_s > 0 else None
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> WebSearch:
        return cls(provider_from_settings(settings), cache_ttl_s=settings.search_cache_ttl_s)

    @property
    def enabled(self) -> bool:
        """False with ``VEGA_SEARCH_PROVIDER=none`` (a tool listing can say so)."""
        return not isinstance(self.provider, NoSearch)

    async def search(self, query: str, count: int = 5) -> list[SearchResult]:
        """Up to ``count`` cleaned results, best first. ``BadInput`` for a query that cannot
        be sent; ``SearchUnavailable`` for whatever went wrong at the provider."""
        query = _check_query(query, count)
        key = (self.provider.name, query, count)
        if self._cache is not None and (cached := self._cache.get(key)) is not None:
            return list(cached)
        results = clean_results(await self._ask(query, count), count)
        if self._cache is not None:
            self._cache[key] = tuple(results)
        return results

    async def _ask(self, query: str, count: int) -> list[SearchResult]:
        name = self.provider.name
        try:
            # A deadline of our own over the client's per-read timeout: a server that
            # trickles bytes would otherwise hold the turn as long as it likes.
            async with asyncio.timeout(self.timeout_s + 1):
                return await self.provider.search(query, count=count)
        except VegaError:
            raise
        except TimeoutError:
            raise SearchUnavailable(
                f"{name} search failed: no answer within {self.timeout_s:g} s", provider=name
            ) from None
        except Exception as exc:  # a provider bug stays a tool error, never a failed turn
            log.exception("%s search raised unexpectedly", name)
            raise SearchUnavailable(
                f"{name} search failed unexpectedly ({type(exc).__name__})", provider=name
            ) from exc

    async def aclose(self) -> None:
        await self.provider.aclose()


def provider_from_settings(settings: Settings) -> SearchProvider:
    """The provider ``VEGA_SEARCH_PROVIDER`` names. A missing URL or key is reported when
    a search runs (a tool error), so a half-configured search never stops the server."""
    match settings.search_provider:
        case "searxng":
            return SearxngProvider(settings.searxng_url)
        case "duckduckgo":
            return DuckDuckGoProvider()
        case "brave":
            return BraveProvider(settings.search_api_key, settings.search_base_url or BRAVE_URL)
        case "tavily":
            return TavilyProvider(settings.search_api_key, settings.search_base_url or TAVILY_URL)
        case _:
            return NoSearch()


def _check_query(query: str, count: int) -> str:
    query = _SPACE.sub(" ", query).strip() if isinstance(query, str) else ""
    if not query:
        raise BadInput("The search query is empty.")
    if len(query) > MAX_QUERY_CHARS:
        raise BadInput(f"The search query is longer than {MAX_QUERY_CHARS} characters.")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise BadInput(f"The number of search results must be 1 to {MAX_COUNT}.")
    return query


def clean_results(results: list[SearchResult], count: int) -> list[SearchResult]:
    """http(s) links only, one per URL (fragments ignored), plain capped text, ranked
    1..n in the provider's order, at most ``count``."""
    seen: set[str] = set()
    cleaned: list[SearchResult] = []
    for result in results:
        url = result.url.strip()
        try:
            parts = urlsplit(url)
            unique = urldefrag(url).url
        except ValueError:  # e.g. an unclosed IPv6 bracket
            continue
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            continue
        if len(url) > MAX_URL_CHARS or unique in seen:
            continue
        seen.add(unique)
        cleaned.append(
            SearchResult(
                title=_plain(result.title, MAX_TITLE_CHARS) or parts.hostname,
                url=url,
                snippet=_plain(result.snippet, MAX_SNIPPET_CHARS),
                rank=len(cleaned) + 1,
            )
        )
        if len(cleaned) == count:
            break
    return cleaned


def _plain(text: str, limit: int) -> str:
    text = _SPACE.sub(" ", html.unescape(_TAGS.sub("", text))).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else ""
