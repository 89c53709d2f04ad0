"""Web search providers against a fake SearXNG/Brave/Tavily on loopback (real HTTP).

The fake (tests/fakes/search_server.py) answers in each API's real JSON shape and records
every request, so these tests check both directions: what Vega sends (the key header, the
query parameters the real APIs expect) and how it reads what comes back.

DuckDuckGo cannot be reached from the test machines, so its provider is tested with
``ddgs.DDGS`` replaced by fakes that return ddgs's real result shape
(``{"title", "href", "body"}``) or raise ddgs's own exceptions; the HTTP side of ddgs is
that package's business.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from tests.fakes.search_server import FakeHit, FakeSearch, hits_for, run_fake_search
from vega.errors import BadInput, SearchUnavailable
from vega.integrations.websearch import (
    BraveProvider,
    DuckDuckGoProvider,
    HTTPSearchProvider,
    NoSearch,
    SearchProvider,
    SearchResult,
    SearxngProvider,
    TavilyProvider,
    WebSearch,
)
from vega.settings import Settings

KEY = "test-key-5f3a9c"
HITS = [
    FakeHit("Llamas", "https://example.org/llama", "Llamas are woolly."),
    FakeHit("Alpacas &amp; llamas", "https://example.org/alpaca", "Smaller than llamas."),
    FakeHit("Guanaco", "https://example.com/guanaco", "A wild relative."),
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSearch]:
    with run_fake_search() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeSearch) -> FakeSearch:
    server.reset()
    server.state.api_key = KEY
    server.state.default = list(HITS)
    return server


def provider(name: str, url: str, *, key: str = KEY, timeout_s: float = 5.0) -> HTTPSearchProvider:
    if name == "searxng":
        return SearxngProvider(url, timeout_s=timeout_s)
    if name == "brave":
        return BraveProvider(key, url, timeout_s=timeout_s)
    return TavilyProvider(key, url, timeout_s=timeout_s)


async def search(p: SearchProvider, query: str = "llamas", count: int = 5, **kw: Any) -> Any:
    service = WebSearch(p, **kw)
    try:
        return await service.search(query, count)
    finally:
        await service.aclose()


async def failure(p: SearchProvider, query: str = "llamas", **kw: Any) -> str:
    with pytest.raises(SearchUnavailable) as caught:
        await search(p, query, **kw)
    assert caught.value.status == 503 and caught.value.code == "search_unavailable"
    return caught.value.message


# --- each provider's mapping -----------------------------------------------------------


async def test_searxng_sends_its_json_query_and_maps_results(fake: FakeSearch) -> None:
    results = await search(provider("searxng", fake.url), "llamas  of\tperu", count=2)

    assert results == [
        SearchResult("Llamas", "https://example.org/llama", "Llamas are woolly.", 1),
        SearchResult("Alpacas & llamas", "https://example.org/alpaca", "Smaller than llamas.", 2),
    ]
    (sent,) = fake.state.searches("searxng")
    assert sent.method == "GET" and sent.path == "/search"
    assert sent.query == {"q": "llamas of peru", "format": "json"}
    assert sent.headers["accept"] == "application/json"


async def test_brave_sends_the_subscription_token_and_maps_web_results(fake: FakeSearch) -> None:
    results = await search(provider("brave", fake.url), "llamas", count=3)

    # Brave marks the query's words with <strong>: the snippets come back plain.
    assert [r.snippet for r in results] == [h.snippet for h in HITS]
    assert [(r.title, r.url, r.rank) for r in results] == [
        ("Llamas", "https://example.org/llama", 1),
        ("Alpacas & llamas", "https://example.org/alpaca", 2),
        ("Guanaco", "https://example.com/guanaco", 3),
    ]
    (sent,) = fake.state.searches("brave")
    assert sent.method == "GET" and sent.path == "/res/v1/web/search"
    assert sent.query == {"q": "llamas", "count": "3"}
    assert sent.headers["x-subscription-token"] == KEY
    assert sent.headers["accept"] == "application/json"
    assert "authorization" not in sent.headers


async def test_brave_without_web_results_is_an_empty_list(fake: FakeSearch) -> None:
    fake.state.default = []
    assert await search(provider("brave", fake.url)) == []


async def test_tavily_posts_the_query_with_a_bearer_key(fake: FakeSearch) -> None:
    results = await search(provider("tavily", fake.url), "llamas", count=2)

    assert [(r.title, r.url, r.snippet) for r in results] == [
        ("Llamas", "https://example.org/llama", "Llamas are woolly."),
        ("Alpacas & llamas", "https://example.org/alpaca", "Smaller than llamas."),
    ]
    (sent,) = fake.state.searches("tavily")
    assert sent.method == "POST" and sent.path == "/search"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.body == {"query": "llamas", "max_results": 2}
    assert KEY not in str(sent.body)  # the key travels in the header only


@pytest.mark.parametrize("name", ["searxng", "brave", "tavily"])
async def test_results_per_query(fake: FakeSearch, name: str) -> None:
    fake.state.results["alpacas"] = [FakeHit("Only alpacas", "https://alpaca.example/", "Yes.")]
    results = await search(provider(name, fake.url), "alpacas")
    assert [r.url for r in results] == ["https://alpaca.example/"]


async def test_results_are_cleaned(fake: FakeSearch) -> None:
    fake.state.default = [
        FakeHit("One", "https://a.example/1#intro", "<b>bold</b>\n  and   spaced"),
        FakeHit("One again", "https://a.example/1#other", "same page, other anchor"),
        FakeHit("Script", "javascript:alert(1)", "never a link"),
        FakeHit("FTP", "ftp://files.example/x", "not the web"),
        FakeHit("No host", "https:///nohost", ""),
        FakeHit("", "http://untitled.example/page", "x" * 5_000),
        FakeHit("T" * 1_000, "https://b.example/long", ""),
    ]
    results = await search(provider("searxng", fake.url), count=10)

    assert [r.url for r in results] == [
        "https://a.example/1#intro",
        "http://untitled.example/page",
        "https://b.example/long",
    ]
    assert [r.rank for r in results] == [1, 2, 3]
    assert results[0].snippet == "bold and spaced"
    assert results[1].title == "untitled.example"  # no title: the host stands in
    assert len(results[1].snippet) == 1_000 and results[1].snippet.endswith("…")
    assert len(results[2].title) == 300


# --- the cache -----------------------------------------------------------------------------


async def test_a_repeated_search_is_answered_from_the_cache(fake: FakeSearch) -> None:
    service = WebSearch(provider("brave", fake.url), cache_ttl_s=60)
    try:
        first = await service.search("llamas", 3)
        again = await service.search("  llamas ", 3)  # the same query, spaced differently
        assert again == first
        assert len(fake.state.searches()) == 1
        await service.search("llamas", 2)  # another count is another search
        await service.search("alpacas", 3)
        assert len(fake.state.searches()) == 3
    finally:
        await service.aclose()


async def test_a_cache_ttl_of_zero_asks_every_time(fake: FakeSearch) -> None:
    service = WebSearch(provider("tavily", fake.url), cache_ttl_s=0)
    try:
        await service.search("llamas")
        await service.search("llamas")
        assert len(fake.state.searches()) == 2
    finally:
        await service.aclose()


async def test_cached_results_expire(fake: FakeSearch) -> None:
    service = WebSearch(provider("searxng", fake.url), cache_ttl_s=0.2)
    try:
        await service.search("llamas")
        await asyncio.sleep(0.3)
        await service.search("llamas")
        assert len(fake.state.searches()) == 2
    finally:
        await service.aclose()


async def test_failures_are_not_cached(fake: FakeSearch) -> None:
    fake.state.script.append({"fail_status": 500})
    service = WebSearch(provider("searxng", fake.url), cache_ttl_s=60)
    try:
        with pytest.raises(SearchUnavailable):
            await service.search("llamas")
        assert len(await service.search("llamas")) == 3
    finally:
        await service.aclose()


# --- failures become clear tool errors -----------------------------------------------------

LABELS = {"searxng": "SearXNG", "brave": "Brave", "tavily": "Tavily"}


@pytest.mark.parametrize("name", ["searxng", "brave", "tavily"])
async def test_a_server_error_names_the_provider_and_status(fake: FakeSearch, name: str) -> None:
    fake.state.fail_status = 500
    message = await failure(provider(name, fake.url))
    assert message == f"{LABELS[name]} search failed: it answered HTTP 500"


@pytest.mark.parametrize("name", ["brave", "tavily"])
async def test_a_refused_key_says_which_setting_and_never_shows_the_key(
    fake: FakeSearch, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-key-1234"
    with caplog.at_level(logging.WARNING, logger="vega.integrations.websearch"):
        message = await failure(provider(name, fake.url, key=wrong))
    assert message == (
        f"{LABELS[name]} search failed: it refused our credentials (HTTP 401): "
        "check VEGA_SEARCH_API_KEY"
    )
    assert wrong not in caplog.text and KEY not in caplog.text
    assert "HTTP 401" in caplog.text  # the provider's answer is logged for the operator


@pytest.mark.parametrize("name", ["brave", "tavily"])
async def test_a_missing_key_is_reported_without_a_request(fake: FakeSearch, name: str) -> None:
    message = await failure(provider(name, fake.url, key=""))
    assert message == f"{LABELS[name]} search needs an API key: set VEGA_SEARCH_API_KEY"
    assert fake.state.searches() == []


async def test_searxng_without_json_says_how_to_turn_it_on(fake: FakeSearch) -> None:
    fake.state.searxng_json = False
    message = await failure(provider("searxng", fake.url))
    assert "HTTP 403" in message and "search.formats" in message


async def test_searxng_without_an_address(fake: FakeSearch) -> None:
    message = await failure(SearxngProvider(""))
    assert message == "SearXNG search needs its address: set VEGA_SEARXNG_URL"


@pytest.mark.parametrize("name", ["searxng", "brave", "tavily"])
async def test_a_malformed_answer(fake: FakeSearch, name: str) -> None:
    fake.state.malformed = True
    message = await failure(provider(name, fake.url))
    assert message == f"{LABELS[name]} search failed: it sent a malformed response (not JSON)"


async def test_json_of_the_wrong_shape_is_malformed(fake: FakeSearch) -> None:
    class Odd(SearxngProvider):
        async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
            await super()._request(method, path, **kwargs)
            return {"results": "not a list"}

    message = await failure(Odd(fake.url))
    assert message == "SearXNG search failed: it sent a malformed response (no result list)"


@pytest.mark.parametrize("name", ["searxng", "brave", "tavily"])
async def test_a_hanging_provider_times_out(fake: FakeSearch, name: str) -> None:
    fake.state.hang = True
    started = time.monotonic()
    message = await failure(provider(name, fake.url, timeout_s=0.5))
    assert time.monotonic() - started < 3
    host = fake.url.removeprefix("http://")
    assert message == f"{LABELS[name]} search failed: {host} did not answer within 0.5 s"


@pytest.mark.parametrize("name", ["searxng", "brave", "tavily"])
async def test_an_unreachable_provider(name: str) -> None:
    with socket.socket() as sock:  # a port that was just free: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    message = await failure(provider(name, url))
    assert message == f"{LABELS[name]} search failed: cannot reach 127.0.0.1:{port}: is it running?"


async def test_a_provider_bug_is_still_a_tool_error() -> None:
    class Broken(SearchProvider):
        name = "broken"

        async def search(self, query: str, *, count: int) -> list[SearchResult]:
            raise KeyError("oops")

    assert await failure(Broken()) == "broken search failed unexpectedly (KeyError)"


async def test_the_service_deadline_covers_a_slow_provider() -> None:
    class Slow(SearchProvider):
        name = "slow"

        async def search(self, query: str, *, count: int) -> list[SearchResult]:
            await asyncio.sleep(30)
            return []

    service = WebSearch(Slow(), timeout_s=0.1)
    with pytest.raises(SearchUnavailable, match=r"^slow search failed: no answer within 0.1 s$"):
        await service.search("llamas")


async def test_no_search_says_how_to_turn_it_on() -> None:
    message = await failure(NoSearch())
    assert message == (
        "web search is off: set VEGA_SEARCH_PROVIDER (searxng, duckduckgo, brave or tavily)"
    )


# --- the query ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "count", "words"),
    [
        ("", 5, "empty"),
        ("   \n\t", 5, "empty"),
        ("x" * 401, 5, "longer than 400"),
        ("llamas", 0, "1 to 20"),
        ("llamas", 21, "1 to 20"),
    ],
)
async def test_queries_are_checked_before_anything_is_sent(
    fake: FakeSearch, query: str, count: int, words: str
) -> None:
    with pytest.raises(BadInput, match=words):
        await search(provider("brave", fake.url), query, count)
    assert fake.state.searches() == []


async def test_the_longest_query_and_count_are_accepted(fake: FakeSearch) -> None:
    assert len(await search(provider("tavily", fake.url), "x" * 400, 20)) == 3


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ({}, NoSearch),
        ({"search_provider": "searxng", "searxng_url": "http://searx.lan:8080/"}, SearxngProvider),
        ({"search_provider": "duckduckgo"}, DuckDuckGoProvider),
        ({"search_provider": "brave", "search_api_key": KEY}, BraveProvider),
        ({"search_provider": "tavily", "search_api_key": KEY}, TavilyProvider),
    ],
)
async def test_from_settings_picks_the_provider(values: dict[str, Any], kind: type) -> None:
    service = WebSearch.from_settings(Settings(_env_file=None, **values))
    try:
        assert type(service.provider) is kind
        assert service.enabled is (kind is not NoSearch)
    finally:
        await service.aclose()


async def test_from_settings_uses_the_base_url_and_cache_ttl(fake: FakeSearch) -> None:
    settings = Settings(
        _env_file=None,
        search_provider="brave",
        search_api_key=KEY,
        search_base_url=fake.url,
        search_cache_ttl_s=0,
    )
    service = WebSearch.from_settings(settings)
    try:
        assert isinstance(service.provider, HTTPSearchProvider)
        assert service.provider.base_url == fake.url
        await service.search("llamas")
        await service.search("llamas")
        assert len(fake.state.searches("brave")) == 2
    finally:
        await service.aclose()


async def test_default_endpoints_are_the_real_apis() -> None:
    brave, tavily = BraveProvider(KEY), TavilyProvider(KEY)
    assert brave.base_url == "https://api.search.brave.com"
    assert tavily.base_url == "https://api.tavily.com"
    await brave.aclose()
    await tavily.aclose()


# --- DuckDuckGo (ddgs replaced: the real service is out of reach here) -----------------------


class FakeDDGS:
    """Stands in for ``ddgs.DDGS``: the same constructor and ``text`` call, ddgs's
    real result shape."""

    calls: ClassVar[list[dict[str, Any]]] = []
    rows: ClassVar[list[dict[str, str]]] = []
    raises: ClassVar[Exception | None] = None
    delay_s: ClassVar[float] = 0.0

    def __init__(self, proxy: str | None = None, timeout: int | None = 5) -> None:
        self.timeout = timeout

    def text(self, query: str, **kwargs: Any) -> list[dict[str, str]]:
        FakeDDGS.calls.append({"query": query, "timeout": self.timeout, **kwargs})
        if FakeDDGS.delay_s:
            time.sleep(FakeDDGS.delay_s)
        if FakeDDGS.raises is not None:
            raise FakeDDGS.raises
        return FakeDDGS.rows[: kwargs.get("max_results") or None]


@pytest.fixture
def ddgs_fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeDDGS]:
    ddgs = pytest.importorskip("ddgs", reason="the web extra (ddgs) is not installed")
    FakeDDGS.calls, FakeDDGS.raises, FakeDDGS.delay_s = [], None, 0.0
    FakeDDGS.rows = [
        {"title": "Llamas", "href": "https://example.org/llama", "body": "Llamas are woolly."},
        {"title": "Alpacas", "href": "https://example.org/alpaca", "body": "Smaller."},
        {"title": "Dup", "href": "https://example.org/llama", "body": "Again."},
    ]
    monkeypatch.setattr(ddgs, "DDGS", FakeDDGS)
    return FakeDDGS


async def test_duckduckgo_maps_ddgs_results(ddgs_fake: type[FakeDDGS]) -> None:
    results = await search(DuckDuckGoProvider(timeout_s=4), "llamas", count=3)
    assert results == [
        SearchResult("Llamas", "https://example.org/llama", "Llamas are woolly.", 1),
        SearchResult("Alpacas", "https://example.org/alpaca", "Smaller.", 2),
    ]
    assert ddgs_fake.calls == [{"query": "llamas", "timeout": 4, "max_results": 3}]


async def test_duckduckgo_errors_become_search_unavailable(ddgs_fake: type[FakeDDGS]) -> None:
    from ddgs.exceptions import DDGSException, RatelimitException

    ddgs_fake.raises = RatelimitException("https://html.duckduckgo.com/html 202 Ratelimit")
    message = await failure(DuckDuckGoProvider())
    assert message == (
        "DuckDuckGo search failed: RatelimitException: https://html.duckduckgo.com/html 202 Ratelimit"
    )
    ddgs_fake.raises = DDGSException("boom")
    assert await failure(DuckDuckGoProvider()) == "DuckDuckGo search failed: DDGSException: boom"


async def test_duckduckgo_with_nothing_found_is_an_empty_list(ddgs_fake: type[FakeDDGS]) -> None:
    from ddgs.exceptions import DDGSException

    ddgs_fake.raises = DDGSException("No results found.")  # what ddgs raises for no hits
    assert await search(DuckDuckGoProvider()) == []


async def test_duckduckgo_slow_thread_times_out(ddgs_fake: type[FakeDDGS]) -> None:
    ddgs_fake.delay_s = 1.0
    message = await failure(DuckDuckGoProvider(timeout_s=0.2))
    assert message == "DuckDuckGo search failed: no answer within 0.2 s"


async def test_duckduckgo_without_ddgs_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "ddgs", None)  # import ddgs now raises ImportError
    message = await failure(DuckDuckGoProvider())
    assert message == "DuckDuckGo search needs the ddgs package: pip install 'vega[web]'"


def test_hits_for_points_at_the_given_urls() -> None:
    hits = hits_for(["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"], "llamas")
    assert [h.url for h in hits] == ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]
    assert hits[0].title == "Page 1 about llamas"
