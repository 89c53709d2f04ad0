"""Crawling a site into a collection: breadth first from one page, same origin, within a
depth and a page cap, robots.txt respected, a polite pause between pages.

No crawler library fits: Scrapy brings its own downloader (and Twisted), which would
bypass the one SSRF-safe fetcher every URL must go through. So the crawl is this small
loop on parts that are libraries: the fetcher (vega.integrations.fetch), the standard
library's robots.txt parser, lxml for links, and trafilatura for the text.

Pages become documents through the ordinary ingest, as Markdown (the page's title, then
its main text; PDFs as they are), with their URL kept (``documents.source_url``), so an
answer cites the page. Crawling again adds new pages, replaces changed ones and leaves
unchanged ones (same text, same document).
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from vega.errors import BadInput, FetchFailed, FetchRefused, VegaError
from vega.integrations.fetch import DOCUMENT_TYPES, HTML_TYPES, Fetched, SafeFetcher
from vega.rag.documents import DocumentService
from vega.rag.ingest import IngestService
from vega.store import documents as repo
from vega.store.db import Database

log = logging.getLogger(__name__)
JOB_KIND = "crawl"
ROBOTS_AGENT = "Vega"
MAX_LINKS_PER_PAGE = 500
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class CrawlReport:
    start: str
    collection: str
    added: list[str] = field(default_factory=list)  # URLs of new documents
    updated: list[str] = field(default_factory=list)  # changed since the last crawl
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # robots.txt said no
    failed: list[tuple[str, str]] = field(default_factory=list)  # (URL, why)

    @property
    def pages(self) -> int:
        return len(self.added) + len(self.updated) + len(self.unchanged)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "collection": self.collection,
            "pages": self.pages,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failed": [{"url": url, "error": why} for url, why in self.failed],
        }


def origin_of(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def links_of(html: str, base: str) -> list[str]:
    """The page's ``<a href>`` links, absolute, without fragments, http(s) only, in order."""
    import lxml.html  # deferred: only crawls need it

    try:
        document = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    found: list[str] = []
    for element in document.iter("a"):
        href = element.get("href")
        if not href:
            continue
        link, _ = urldefrag(urljoin(base, href.strip()))
        if urlsplit(link).scheme in ("http", "https") and link not in found:
            found.append(link)
            if len(found) >= MAX_LINKS_PER_PAGE:
                break
    return found


def file_name(url: str, content_type: str) -> str:
    """A file name that picks the right reader: the page's path, slugged."""
    path = urlsplit(url).path.strip("/") or "index"
    stem = _SLUG.sub("-", path.replace("/", "-"))[:120].strip("-") or "page"
    if content_type == "application/pdf":
        return stem if stem.lower().endswith(".pdf") else f"{stem}.pdf"
    return f"{stem.removesuffix('.html').removesuffix('.htm')}.md"


class Crawler:
    def __init__(
        self,
        *,
        db: Database,
        fetcher: SafeFetcher,
        ingest: IngestService,
        documents: DocumentService,
        delay_s: float,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._fetcher = fetcher
        self._ingest = ingest
        self._documents = documents
        self._delay_s = delay_s
        self._sleep = sleep

    async def crawl(
        self,
        *,
        owner: int,
        url: str,
        collection: str,
        depth: int,
        max_pages: int,
        progress: Callable[[float], None] | None = None,
    ) -> CrawlReport:
        if urlsplit(url).scheme not in ("http", "https"):
            raise BadInput("A crawl starts at an http(s) URL.")
        start, _ = urldefrag(url)
        report = CrawlReport(start, collection)
        robots = await self._robots(start)
        delay = max(self._delay_s, float(robots.crawl_delay(ROBOTS_AGENT) or 0))
        queue: deque[tuple[str, int]] = deque([(start, 0)])
        seen = {start}
        fetched_any = False
        while queue and report.pages < max_pages:
            page, level = queue.popleft()
            if not robots.can_fetch(ROBOTS_AGENT, page):
                report.skipped.append(page)
                continue
            if fetched_any and delay:
                await self._sleep(delay)
            fetched_any = True
            links = await self._visit(owner, collection, page, report)
            if level < depth:
                for link in links:
                    if link not in seen and origin_of(link) == origin_of(start):
                        seen.add(link)
                        queue.append((link, level + 1))
            if progress is not None:
                progress(report.pages / max_pages)
        return report

    async def _visit(
        self, owner: int, collection: str, page: str, report: CrawlReport
    ) -> list[str]:
        """Fetch and keep one page; its links (none when it failed or is not HTML)."""
        try:
            fetched = await self._fetcher.fetch(page, accept=DOCUMENT_TYPES)
        except (FetchRefused, FetchFailed) as exc:
            report.failed.append((page, exc.message))
            return []
        if origin_of(fetched.url) != origin_of(report.start):  # redirected off the site
            report.failed.append((page, f"redirected off the site, to {fetched.url}"))
            return []
        try:
            await self._keep(owner, collection, page, fetched, report)
        except VegaError as exc:
            report.failed.append((page, exc.message))
        if fetched.content_type not in HTML_TYPES:
            return []
        return links_of(fetched.text(), fetched.url)

    async def _robots(self, start: str) -> RobotFileParser:
        """The site's robots.txt; none (or one that cannot be read) allows everything."""
        scheme, host, port = origin_of(start)
        robots_url = f"{scheme}://{host}{f':{port}' if port else ''}/robots.txt"
        parser = RobotFileParser(robots_url)
        try:
            fetched = await self._fetcher.fetch(robots_url, max_bytes=512 * 1024)
        except (FetchRefused, FetchFailed) as exc:
            status = exc.details.get("upstream_status")
            if status in (401, 403):  # RFC 9309: access refused means nothing may be crawled
                parser.disallow_all = True  # type: ignore[attr-defined]  # it reads it
            parser.parse([])
            return parser
        parser.parse(fetched.text().splitlines())
        return parser

    async def _keep(
        self, owner: int, collection: str, url: str, fetched: Fetched, report: CrawlReport
    ) -> None:
        """Ingest the page; replace the document an earlier crawl made of it, if it changed."""
        if fetched.content_type in HTML_TYPES:
            title, text = await self._fetcher.extract(fetched)
            body = f"# {title}\n\n{text}\n".encode() if title else f"{text}\n".encode()
        else:
            body = fetched.body
        before = await self._db.run(
            lambda s: repo.live_with_url(s, owner=owner, collection=collection, url=url)
        )
        outcome = await self._ingest.add(
            owner=owner,
            source=io.BytesIO(body),
            filename=file_name(fetched.url, fetched.content_type),
            collection=collection,
            background=False,
        )
        document = outcome.document
        await self._db.write(lambda s: repo.set_source_url(s, document_id=document.id, url=url))
        older = [d for d in before if d != document.id]
        for document_id in older:
            await self._documents.delete(owner=owner, document_id=document_id)
        if outcome.duplicate and not older:
            report.unchanged.append(url)
        elif older:
            report.updated.append(url)
        else:
            report.added.append(url)

    async def run_job(
        self, params: dict[str, Any], progress: Callable[[float], None]
    ) -> dict[str, Any]:
        """The ``crawl`` job (``POST /documents/crawl``)."""
        report = await self.crawl(
            owner=int(params["owner"]),
            url=str(params["url"]),
            collection=str(params["collection"]),
            depth=int(params["depth"]),
            max_pages=int(params["max_pages"]),
            progress=progress,
        )
        return report.as_dict()
