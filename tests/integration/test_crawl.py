"""Crawling a site into a collection: a small site on loopback (pages, a PDF-less text
file, robots.txt, a link off the site and one into a forbidden address), crawled through
the API (a job, on both stores) and through `vega docs add URL --crawl`."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import Api
from tests.fakes.llm_server import FakeLLM
from tests.support.server import run_cli, vega_env
from vega.integrations.crawl import file_name, links_of


class Site:
    """Pages by path; ``hits`` counts requests per path (robots.txt included)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, str]] = {}
        self.hits: dict[str, int] = {}
        self.url = ""

    def page(self, path: str, title: str, body: str, links: tuple[str, ...] = ()) -> None:
        anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
        html = (
            f"<html><head><title>{title}</title></head><body><nav>{anchors}</nav>"
            f"<article><h1>{title}</h1><p>{body}</p></article></body></html>"
        )
        self.pages[path] = ("text/html; charset=utf-8", html)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            state.hits[path] = state.hits.get(path, 0) + 1
            found = state.pages.get(path)
            if found is None:
                self.send_response(404)
                self.end_headers()
                return
            kind, body = found
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()


@pytest.fixture
def fresh_site(site: Site) -> Site:
    site.pages.clear()
    site.hits.clear()
    site.pages["/robots.txt"] = ("text/plain", "User-agent: *\nDisallow: /private/\n")
    site.page(
        "/",
        "Glacier field guide",
        "Welcome to the guide.",
        (
            "/moraines",
            "/crevasses",
            "/private/diary",
            "https://elsewhere.example/",
            "http://169.254.169.254/latest/",
        ),
    )
    site.page(
        "/moraines", "Moraines", "Moraines are ridges of debris a glacier leaves.", ("/deep",)
    )
    site.page("/crevasses", "Crevasses", "Crevasses open where the ice bends.", ("/",))
    site.page("/deep", "Deep page", "Two links from the start: out of a depth-1 crawl.")
    site.page("/private/diary", "Diary", "robots.txt keeps this out.")
    return site


async def crawled(api: Api, site: Site, **body: Any) -> dict[str, Any]:
    response = await api.client.post(
        "/documents/crawl",
        json={"url": site.url + "/", "collection": "guide", **body},
        headers=api.auth(),
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    deadline = time.monotonic() + 30
    while True:
        job = (await api.client.get(f"/jobs/{job_id}", headers=api.auth())).json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            result: dict[str, Any] = job["result"]
            return result
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.05)


@pytest.fixture
async def api(make_api: Any) -> Api:
    api: Api = await make_api(fetch_allow_hosts="127.0.0.1", crawl_delay_s=0, worker=True)
    return api


async def test_a_crawl_keeps_to_the_site_robots_and_depth(api: Api, fresh_site: Site) -> None:
    report = await crawled(api, fresh_site, depth=1, max_pages=10)
    base = fresh_site.url
    assert sorted(report["added"]) == [f"{base}/", f"{base}/crevasses", f"{base}/moraines"]
    assert report["skipped"] == [f"{base}/private/diary"]
    assert "/deep" not in fresh_site.hits and "/private/diary" not in fresh_site.hits
    assert fresh_site.hits["/robots.txt"] == 1
    # Off-site and forbidden links were never followed (never even fetched).
    assert not any("elsewhere" in f["url"] or "169.254" in f["url"] for f in report["failed"])

    found = await api.client.post(
        "/search", json={"query": "ridges of debris", "collection": "guide"}, headers=api.auth()
    )
    best = found.json()["results"][0]
    assert "ridges of debris" in best["text"]
    assert best["url"] == f"{base}/moraines"
    docs = (await api.client.get("/documents?collection=guide", headers=api.auth())).json()
    assert sorted(d["title"] for d in docs) == ["crevasses", "index", "moraines"]


async def test_crawling_again_updates_only_changed_pages(api: Api, fresh_site: Site) -> None:
    await crawled(api, fresh_site, depth=1)
    fresh_site.page(
        "/moraines", "Moraines", "Moraines are ridges of rock and till, updated.", ("/deep",)
    )
    report = await crawled(api, fresh_site, depth=1)
    base = fresh_site.url
    assert report["updated"] == [f"{base}/moraines"]
    assert sorted(report["unchanged"]) == [f"{base}/", f"{base}/crevasses"]
    assert report["added"] == []
    docs = (await api.client.get("/documents?collection=guide", headers=api.auth())).json()
    assert len(docs) == 3  # the old version of the changed page is gone
    found = await api.client.post(
        "/search", json={"query": "rock and till", "collection": "guide"}, headers=api.auth()
    )
    assert "updated" in found.json()["results"][0]["text"]


async def test_the_page_cap_and_a_refused_start(api: Api, fresh_site: Site) -> None:
    report = await crawled(api, fresh_site, depth=5, max_pages=2)
    assert report["pages"] == 2
    refused = await api.client.post(
        "/documents/crawl", json={"url": "file:///etc/passwd"}, headers=api.auth()
    )
    assert refused.status_code == 422
    response = await api.client.post(
        "/documents/crawl", json={"url": "http://10.0.0.5/"}, headers=api.auth()
    )
    job_id = response.json()["job_id"]
    for _ in range(200):
        job = (await api.client.get(f"/jobs/{job_id}", headers=api.auth())).json()
        if job["status"] == "done":
            break
        await asyncio.sleep(0.05)
    assert job["result"]["pages"] == 0
    assert "10.0.0.5" in job["result"]["failed"][0]["error"]


def test_docs_add_crawl_from_the_cli(
    tmp_path: Any, fresh_site: Site, fake_llm_server: FakeLLM
) -> None:
    env = vega_env(
        tmp_path / "data",
        llm_backend="none",
        embedding_backend="ollama",
        ollama_url=fake_llm_server.url,
        embedding_model="fake-embed",
        fetch_allow_hosts="127.0.0.1",
        crawl_delay_s=0,
    )
    (tmp_path / "data").mkdir(mode=0o700)
    result = run_cli(["docs", "add", fresh_site.url + "/", "--crawl", "--depth", "1"], env)
    assert result.returncode == 0, result.stderr
    assert "moraines" in result.stdout and "added" in result.stdout
    assert "robots.txt" in result.stdout
    single = run_cli(["docs", "add", fresh_site.url + "/deep", "--json"], env)
    assert single.returncode == 0, single.stderr
    bad = run_cli(["docs", "add", "http://169.254.169.254/latest/"], env)
    assert bad.returncode == 1 and "169.254.169.254" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_links_and_names() -> None:
    html = '<a href="/a#x">a</a><a href="b">b</a><a href="mailto:x@y">m</a><a href="/a">dup</a>'
    assert links_of(html, "http://s.test/dir/") == ["http://s.test/a", "http://s.test/dir/b"]
    assert links_of("<<<>>>", "http://s.test/") == []
    assert file_name("http://s.test/", "text/html") == "index.md"
    assert file_name("http://s.test/guide/ice.html", "text/html") == "guide-ice.md"
    assert file_name("http://s.test/paper", "application/pdf") == "paper.pdf"
