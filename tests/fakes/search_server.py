"""A fake web search server that speaks SearXNG's, Brave's and Tavily's real JSON APIs.

Tests, research tests and benchmarks point Vega's search providers at it over real HTTP on
loopback. It answers with configurable hits in each API's own response shape, records
every request (so tests can check the key header and the query parameters the real APIs
expect), and can fail, hang, or send garbage on demand::

    with run_fake_search() as fake:
        fake.state.results["llamas"] = [FakeHit("Llamas", "https://example.org/llama", "Woolly")]
        fake.state.default = hits_for(["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"])
        fake.state.script.append({"fail_status": 500})   # next search request only
        provider = SearxngProvider(fake.url)              # or BraveProvider(key, fake.url) ...
        assert fake.state.requests[-1].query["q"] == "llamas"

It also serves small HTML pages (``state.pages``, under ``/pages/``) so a research test
can search and then read the hits from one server (``fake.page_url(name)``).

Routes: ``GET /search`` (SearXNG, ``format=json``), ``GET /res/v1/web/search`` (Brave,
``X-Subscription-Token``), ``POST /search`` (Tavily, ``Authorization: Bearer``).
Standalone (for benchmarks): ``python -m tests.fakes.search_server --port 8890``.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

MAX_RECORDED = 10_000  # a long benchmark run must not grow memory without bound


@dataclass(frozen=True)
class FakeHit:
    title: str
    url: str
    snippet: str = ""


def hits_for(urls: Sequence[str], topic: str = "the topic") -> list[FakeHit]:
    """One plausible hit per URL, in order (for a default list that points at test pages)."""
    return [
        FakeHit(f"Page {i} about {topic}", url, f"What page {i} says about {topic}.")
        for i, url in enumerate(urls, start=1)
    ]


@dataclass
class Behaviour:
    """What a search request gets. Set on the state, or in a ``script`` entry (next search
    request only)."""

    fail_status: int | None = None  # answer this status, in the API's own error shape
    hang: bool = False  # accept, never answer (until the client leaves or shutdown)
    malformed: bool = False  # answer 200 with a body that is not JSON
    delay_s: float = 0.0
    # SearXNG with its json format off answers 403 to format=json, as the real one does.
    searxng_json: bool = True


BEHAVIOUR_FIELDS = frozenset(f.name for f in fields(Behaviour))


@dataclass(frozen=True)
class RecordedRequest:
    api: str  # "searxng", "brave", "tavily"
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None


@dataclass
class FakeSearchState(Behaviour):
    """Hits, behaviour and what tests observe. Written by the server thread, read by tests."""

    results: dict[str, list[FakeHit]] = field(default_factory=dict)  # query -> hits
    default: list[FakeHit] = field(default_factory=list)  # for any other query
    api_key: str | None = None  # when set, Brave and Tavily refuse any other key (401)
    pages: dict[str, str] = field(default_factory=dict)  # /pages/{name} -> HTML
    script: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closing: threading.Event = field(default_factory=threading.Event, repr=False)

    def reset(self) -> None:
        defaults = Behaviour()
        with self._lock:
            for f in fields(Behaviour):
                setattr(self, f.name, getattr(defaults, f.name))
            self.results.clear()
            self.default.clear()
            self.api_key = None
            self.pages.clear()
            self.script.clear()
            self.requests.clear()

    def searches(self, api: str | None = None) -> list[RecordedRequest]:
        """The recorded search requests (of one API if given)."""
        return [r for r in self.requests if api is None or r.api == api]

    def hits(self, query: str) -> list[FakeHit]:
        return self.results.get(query, self.default)

    def _next(self) -> Behaviour:
        with self._lock:
            override = self.script.pop(0) if self.script else {}
        unknown = set(override) - BEHAVIOUR_FIELDS
        if unknown:
            raise ValueError(f"Unknown fake search setting(s): {sorted(unknown)}")
        current = {f.name: getattr(self, f.name) for f in fields(Behaviour)}
        return Behaviour(**{**current, **override})

    async def _record(self, request: Request, api: str) -> RecordedRequest:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(
            api=api,
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        with self._lock:
            if len(self.requests) >= MAX_RECORDED:
                del self.requests[: MAX_RECORDED // 2]
            self.requests.append(recorded)
        return recorded


# --- each API's own shapes -----------------------------------------------------------


def searxng_body(query: str, hits: Sequence[FakeHit]) -> dict[str, Any]:
    return {
        "query": query,
        "number_of_results": 0,
        "results": [
            {
                "url": h.url,
                "title": h.title,
                "content": h.snippet,
                "engine": "duckduckgo",
                "parsed_url": [*urlsplit(h.url), ""],
                "template": "default.html",
                "engines": ["duckduckgo", "brave"],
                "positions": [i],
                "score": round(2.0 / i, 3),
                "category": "general",
                "publishedDate": None,
                "thumbnail": "",
            }
            for i, h in enumerate(hits, start=1)
        ],
        "answers": [],
        "corrections": [],
        "infoboxes": [],
        "suggestions": [],
        "unresponsive_engines": [],
    }


def brave_body(query: str, hits: Sequence[FakeHit]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "search",
        "query": {
            "original": query,
            "show_strict_warning": False,
            "is_navigational": False,
            "is_news_breaking": False,
            "spellcheck_off": True,
            "country": "us",
            "bad_results": False,
            "should_fallback": False,
            "postal_code": "",
            "city": "",
            "header_country": "",
            "more_results_available": True,
            "state": "",
        },
        "mixed": {
            "type": "mixed",
            "main": [{"type": "web", "index": i, "all": False} for i in range(len(hits))],
            "top": [],
            "side": [],
        },
    }
    if hits:  # Brave leaves "web" out when there are no web results
        body["web"] = {
            "type": "search",
            "results": [_brave_result(query, h) for h in hits],
            "family_friendly": True,
        }
    return body


def _brave_result(query: str, hit: FakeHit) -> dict[str, Any]:
    parts = urlsplit(hit.url)
    # Brave marks the query's words in descriptions with <strong>.
    description = hit.snippet
    for word in query.split():
        description = description.replace(word, f"<strong>{word}</strong>")
    return {
        "title": hit.title,
        "url": hit.url,
        "is_source_local": False,
        "is_source_both": False,
        "description": description,
        "page_age": "2025-01-15T00:00:00",
        "profile": {
            "name": parts.hostname or "",
            "url": hit.url,
            "long_name": parts.hostname or "",
            "img": "",
        },
        "language": "en",
        "family_friendly": True,
        "type": "search_result",
        "subtype": "generic",
        "is_live": False,
        "meta_url": {
            "scheme": parts.scheme,
            "netloc": parts.netloc,
            "hostname": parts.hostname or "",
            "favicon": "",
            "path": parts.path or "/",
        },
        "age": "January 15, 2025",
    }


def tavily_body(query: str, hits: Sequence[FakeHit]) -> dict[str, Any]:
    return {
        "query": query,
        "follow_up_questions": None,
        "answer": None,
        "images": [],
        "results": [
            {
                "title": h.title,
                "url": h.url,
                "content": h.snippet,
                "score": round(0.9 / i, 4),
                "raw_content": None,
            }
            for i, h in enumerate(hits, start=1)
        ],
        "response_time": 0.42,
        "request_id": str(uuid.uuid4()),
    }


def _error(api: str, status: int, message: str) -> Response:
    if api == "brave":
        code = "SUBSCRIPTION_TOKEN_INVALID" if status == 401 else "UNKNOWN"
        return JSONResponse(
            {
                "type": "ErrorResponse",
                "error": {
                    "id": str(uuid.uuid4()),
                    "status": status,
                    "code": code,
                    "detail": message,
                },
                "time": int(time.time()),
            },
            status,
        )
    if api == "tavily":
        return JSONResponse({"detail": {"error": message}}, status)
    # SearXNG answers errors as plain text or HTML pages.
    return PlainTextResponse(message, status)


# --- the server --------------------------------------------------------------------------


def create_app(state: FakeSearchState) -> Starlette:
    async def answer(request: Request, api: str) -> Response:
        recorded = await state._record(request, api)
        b = state._next()
        if b.delay_s:
            await anyio.sleep(b.delay_s)
        if b.hang:
            while not state._closing.is_set() and not await request.is_disconnected():
                await anyio.sleep(0.05)
            return PlainTextResponse("shutting down", 503)
        if b.fail_status is not None:
            return _error(api, b.fail_status, f"Fake failure (HTTP {b.fail_status})")
        if b.malformed:
            return HTMLResponse("<html><body>Not JSON at all</body></html>")
        return _success(state, b, api, recorded)

    async def searxng_or_tavily(request: Request) -> Response:
        return await answer(request, "tavily" if request.method == "POST" else "searxng")

    async def brave(request: Request) -> Response:
        return await answer(request, "brave")

    async def page(request: Request) -> Response:
        text = state.pages.get(request.path_params["name"])
        if text is None:
            return PlainTextResponse("Not found", 404)
        return HTMLResponse(text)

    return Starlette(
        routes=[
            Route("/search", searxng_or_tavily, methods=["GET", "POST"]),
            Route("/res/v1/web/search", brave, methods=["GET"]),
            Route("/pages/{name:path}", page, methods=["GET"]),
        ]
    )


def _success(state: FakeSearchState, b: Behaviour, api: str, req: RecordedRequest) -> Response:
    if api == "searxng":
        if req.query.get("format") != "json":
            return HTMLResponse("<html><body>SearXNG results page</body></html>")
        if not b.searxng_json:
            return PlainTextResponse("Forbidden", 403)
        query = req.query.get("q", "")
        return JSONResponse(searxng_body(query, state.hits(query)))
    if api == "brave":
        if state.api_key is not None and req.headers.get("x-subscription-token") != state.api_key:
            return _error(api, 401, "The provided subscription token is invalid.")
        query, count = req.query.get("q", ""), int(req.query.get("count", "20"))
        if not 1 <= count <= 20:
            return _error(api, 422, "count must be 1 to 20")
        return JSONResponse(brave_body(query, state.hits(query)[:count]))
    if state.api_key is not None and req.headers.get("authorization") != f"Bearer {state.api_key}":
        return _error(api, 401, "Unauthorized: missing or invalid API key.")
    body = req.body if isinstance(req.body, dict) else {}
    query, count = str(body.get("query", "")), int(body.get("max_results", 5))
    if not 0 <= count <= 20:
        return _error(api, 400, "max_results must be 0 to 20")
    return JSONResponse(tavily_body(query, state.hits(query)[:count]))


@dataclass
class FakeSearch:
    """A running fake: ``url`` is the base URL of all three APIs."""

    url: str
    state: FakeSearchState

    def page_url(self, name: str) -> str:
        return f"{self.url}/pages/{name}"

    def reset(self) -> None:
        self.state.reset()


class _Server(uvicorn.Server):
    """Releases hanging responses when shutdown starts (uvicorn waits for them)."""

    def __init__(self, app: Starlette, closing: threading.Event, **config: Any) -> None:
        super().__init__(
            uvicorn.Config(app, lifespan="off", ws="none", timeout_graceful_shutdown=1, **config)
        )
        self.closing = closing

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.closing.set()
        await super().shutdown(sockets)


@contextmanager
def serve_app(
    app: Starlette,
    closing: threading.Event,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    name: str = "fake-server",
) -> Iterator[str]:
    """Serve ``app`` on a background thread (port 0 picks a free one) and yield its base
    URL; ``closing`` is set when shutdown starts. Shared with the fake Slack."""
    closing.clear()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    # log_config=None: do not let uvicorn reconfigure the test session's logging.
    server = _Server(app, closing, log_config=None, access_log=False, loop="asyncio")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"The {name} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


@contextmanager
def run_fake_search(
    host: str = "127.0.0.1", port: int = 0, *, state: FakeSearchState | None = None
) -> Iterator[FakeSearch]:
    """Serve the fake on a background thread; port 0 picks a free one."""
    state = state or FakeSearchState()
    app = create_app(state)
    with serve_app(app, state._closing, host=host, port=port, name="fake search server") as url:
        yield FakeSearch(url=url, state=state)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake SearXNG/Brave/Tavily server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8890)
    parser.add_argument(
        "--result-url",
        action="append",
        default=[],
        help="a URL every search returns (repeat for more); default: 5 of the fake's own pages",
    )
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args(argv)
    state = FakeSearchState(delay_s=args.delay)
    urls = args.result_url
    if not urls:
        base = f"http://{args.host}:{args.port}/pages"
        urls = [f"{base}/page-{i}" for i in range(1, 6)]
        for i in range(1, 6):
            state.pages[f"page-{i}"] = (
                f"<html><head><title>Page {i}</title></head>"
                f"<body><p>Fake page {i} for search benchmarks.</p></body></html>"
            )
    state.default = hits_for(urls)
    print(f"Fake search on http://{args.host}:{args.port}", flush=True)
    server = _Server(
        create_app(state),
        state._closing,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )
    server.run()


if __name__ == "__main__":
    main()
