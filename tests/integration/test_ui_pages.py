"""The browser UI's files at /: pages for browsers, JSON 404s for programs, nothing outside."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

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
