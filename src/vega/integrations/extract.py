"""Readable text and a title from a fetched page: trafilatura for HTML, the rest as is.

Synchronous and CPU-bound on purpose: the fetcher runs ``extract_html`` in a worker
thread, capped in input size and time, so a hostile page (deep nesting, megabytes of
markup) costs a thread for a while, never the event loop. Only trafilatura's
extraction is used; its own downloader is not (the fetcher does all network access).
"""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

# Markup past this is not parsed: a page's prose comes well before it, and lxml's time
# and memory grow with the document.
EXTRACT_MAX_BYTES = 2_000_000
# Titles are one line; a <title> stuffed with a novel is cut.
MAX_TITLE_CHARS = 300

_MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")


def _clean(text: str) -> str:
    return _BLANK_RUNS.sub("\n\n", text.replace("\r\n", "\n")).strip()


def _title(value: Any) -> str:
    return " ".join(str(value or "").split())[:MAX_TITLE_CHARS]


def extract_html(source: str | bytes, url: str | None = None) -> tuple[str, str]:
    """``(title, text)`` of an HTML page: the main content as plain text (boilerplate,
    navigation and comments left out), the title from the page's metadata. Falls back
    to all of the page's text when trafilatura finds no main content (short pages)."""
    import trafilatura  # deferred: its import (lxml, dateparser, ...) costs ~0.5 s
    from trafilatura.settings import set_date_params

    source = source[:EXTRACT_MAX_BYTES]
    title, text = "", ""
    try:
        document = trafilatura.bare_extraction(
            source,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            favor_recall=True,
            date_extraction_params=set_date_params(extensive=False),
        )
    except Exception:  # a parser bug on hostile markup must not fail the fetch
        log.warning("trafilatura could not extract %s", url, exc_info=True)
        document = None
    if document is not None:
        fields = document if isinstance(document, dict) else document.as_dict()
        title, text = _title(fields.get("title")), _clean(fields.get("text") or "")
    if not text:
        text = _clean(trafilatura.html2txt(source))
    if not title:
        title = _html_title(source)
    return title, text


def _html_title(source: str | bytes) -> str:
    from trafilatura.utils import load_html

    tree = load_html(source)  # None for empty or unparsable markup
    return _title(tree.findtext(".//title")) if tree is not None else ""


def markdown_title(text: str) -> str:
    """The first heading of a markdown document, or ``""``."""
    match = _MARKDOWN_HEADING.search(text[:20_000])
    return _title(match.group(1)) if match else ""
