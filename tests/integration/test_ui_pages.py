"""The browser UI's files at /: pages for browsers, JSON 404s for programs, nothing outside;
/ itself for every client; /docs and /redoc from Vega's own files under a strict CSP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.fakes.backends import ScriptedBackend, plugins_with
from vega.api.app import create_app
from vega.runtime import build
from vega.settings import Settings

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
async def ui(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    web = tmp_path / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><div id=root></div>")
    (web / "assets" / "index-abc123.js").write_text("console.log(1)")
    (web / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("not yours")
    runtime = build(make_settings(llm_backend="scripted"), plugins=plugins_with(ScriptedBackend()))
    await runtime.start()
    app = create_app(runtime, web_dir=web)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://vega.test"
    ) as client:
        yield client, web
    await runtime.aclose()


async def test_app_shell_for_pages_the_ui_routes(ui: Any) -> None:
    client, _ = ui
    for path in ("/", "/c/0b6f2c1e-aaaa", "/library", "/c/a?x=1"):
        r = await client.get(path, headers=HTML)
        assert r.status_code == 200, path
        assert r.text == "<!doctype html><div id=root></div>"
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-cache"


async def test_build_files_are_served_and_hashed_assets_cached(ui: Any) -> None:
    client, _ = ui
    r = await client.get("/assets/index-abc123.js")
    assert r.status_code == 200
    assert r.text == "console.log(1)"
    assert "immutable" in r.headers["cache-control"]
    r = await client.get("/favicon.svg")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"
    assert (await client.head("/favicon.svg")).status_code == 200


async def test_programs_still_get_json_404s(ui: Any) -> None:
    client, _ = ui
    for path in ("/nope", "/assets/missing.js", "/c/x"):
        r = await client.get(path, headers={"Accept": "application/json"})
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
    r = await client.post("/", json={}, headers=HTML)
    assert r.status_code in (404, 405)
    assert r.json()["error"]
    # An API route's own 404 is never turned into a page.
    r = await client.get("/conversations/nope", headers={**HTML, "X-API-Key": "k"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/..%5c..%5csecret.txt",
        "/%00index.html",
        "//etc/passwd",
    ],
)
async def test_nothing_outside_the_build_is_served(ui: Any, path: str) -> None:
    client, _ = ui
    r = await client.get(path, headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert "not yours" not in r.text


async def test_a_missing_build_says_how_to_make_it(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    runtime = build(make_settings(llm_backend="scripted"), plugins=plugins_with(ScriptedBackend()))
    await runtime.start()
    app = create_app(runtime, web_dir=tmp_path / "empty")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://vega.test"
    ) as client:
        r = await client.get("/", headers=HTML)
    await runtime.aclose()
    assert r.status_code == 404
    assert "make ui" in r.text


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
async def test_root_is_the_app_shell_whatever_the_client_accepts(
    ui: Any, accept: str | None
) -> None:
    client, _ = ui
    headers = {} if accept is None else {"Accept": accept}
    r = await client.get("/", headers=headers)
    assert r.status_code == 200
    assert r.text == "<!doctype html><div id=root></div>"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    # A connection check (HEAD /) needs no key and gets no body.
    r = await client.head("/", headers=headers)
    assert r.status_code == 200 and r.content == b""
    # Any other path a program asks for keeps its JSON 404.
    r = await client.get("/c/x", headers=headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


# --- /docs and /redoc ----------------------------------------------------------------------

DOCS_PAGES = ("/docs", "/redoc")


def page_references(html: str) -> tuple[list[str], list[str]]:
    """(the src of every script, every other src/href) of a page."""
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I)
    sources = []
    for attributes, inline in scripts:
        assert inline.strip() == "", f"an inline script: {inline[:80]}"
        src = re.search(r'\bsrc="([^"]+)"', attributes)
        assert src is not None, f"a script without src: {attributes}"
        sources.append(src.group(1))
    others = re.findall(r'\b(?:href|spec-url|data-openapi-url)="([^"]+)"', html)
    return sources, others


@pytest.mark.parametrize("path", DOCS_PAGES)
async def test_api_docs_pages_load_only_vegas_own_files(api: Api, path: str) -> None:
    page = await api.client.get(path)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self';",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "img-src 'self' data:;",
    ):
        assert directive in csp, directive
    assert "unsafe-eval" not in csp and "http" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    scripts, others = page_references(page.text)
    assert scripts and all(s.startswith("/api-docs/") for s in scripts), scripts
    for url in [*scripts, *others]:
        assert url.startswith("/") and not url.startswith("//"), url
        served = await api.client.get(url)
        assert served.status_code == 200, url
    # The pinned packages' licences ship beside their files.
    folder = "/api-docs/swagger-ui/" if path == "/docs" else "/api-docs/redoc/"
    licence = await api.client.get(folder + "LICENSE")
    assert licence.status_code == 200 and "License" in licence.text


async def test_the_vendored_docs_files_load_nothing_from_elsewhere(api: Api) -> None:
    for url in (
        "/api-docs/swagger-ui/swagger-ui-bundle.js",
        "/api-docs/swagger-ui/swagger-ui.css",
        "/api-docs/swagger-ui-init.js",
        "/api-docs/redoc/redoc.standalone.js",
    ):
        text = (await api.client.get(url)).text
        assert re.search(r"https?://(cdn|fonts|unpkg|cdnjs|jsdelivr)[.a-z]*/", text) is None, url
    init = (await api.client.get("/api-docs/swagger-ui-init.js")).text
    assert "validatorUrl: null" in init and "persistAuthorization: false" in init


async def test_fastapis_own_docs_pages_are_gone(api: Api) -> None:
    r = await api.client.get("/docs/oauth2-redirect")
    assert r.status_code == 404
    assert "<script>" not in (await api.client.get("/docs")).text


async def test_api_docs_under_a_path_prefix(api: Api) -> None:
    # Behind a proxy that mounts Vega under /vega (uvicorn --root-path /vega).
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, root_path="/vega"), base_url="http://vega.test"
    ) as client:
        page = await client.get("/vega/docs")
    assert page.status_code == 200
    scripts, others = page_references(page.text)
    assert all(url.startswith("/vega/") for url in [*scripts, *others]), (scripts, others)
    assert 'data-openapi-url="/vega/openapi.json"' in page.text


async def test_api_docs_without_a_build_say_how_to_make_it(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    runtime = build(make_settings(llm_backend="scripted"), plugins=plugins_with(ScriptedBackend()))
    await runtime.start()
    app = create_app(runtime, web_dir=tmp_path / "empty")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://vega.test"
    ) as client:
        pages = [await client.get(path) for path in DOCS_PAGES]
    await runtime.aclose()
    for page in pages:
        assert page.status_code == 404
        assert "make ui" in page.text and "/openapi.json" in page.text
        assert page.headers["x-frame-options"] == "DENY"
