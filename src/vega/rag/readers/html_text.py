"""Readable text out of HTML, with the standard library's tolerant parser.

What a reader of the page sees, not its markup: scripts, styles and templates are
dropped, entities unescaped, and block elements (paragraphs, headings, list items,
table rows) become line and paragraph breaks so the chunker can split on them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Subtrees that are never shown as text. svg: icons carry <title> elements that
# would otherwise be taken for the page title.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "svg"})
_PARAGRAPH = frozenset([
    "address", "article", "aside", "blockquote", "body", "caption", "details", "dialog", "div",
    "dl", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "html", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "ul",
])  # fmt: skip
_LINE = frozenset({"br", "li", "tr", "dt", "dd", "option"})
_CELL = frozenset({"td", "th"})
_SPACES = re.compile(r"\s+")
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)


def declared_charset(data: bytes) -> str | None:
    """The encoding a page names in its <meta> tag, if it names one near the top."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def html_to_text(markup: str) -> str:
    """The page's text: its <title> as the first line, then the body, blocks apart."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive unescaped
        self._out: list[str] = []
        self._breaks = 0  # newlines owed before the next text
        self._hidden = 0  # depth inside elements that are not shown
        self._pre = 0  # depth inside <pre>, where whitespace is kept
        self._title: list[str] | None = None  # collecting while inside <title>
        self._title_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "title" and not self._hidden and not self._title_text:
            self._title = []
        self._block(tag, opening=True)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "title" and self._title is not None:
            self._title_text = _SPACES.sub(" ", "".join(self._title)).strip()
            self._title = None
        self._block(tag, opening=False)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._title is not None:
            self._title.append(data)
            return
        if not self._pre:
            data = _SPACES.sub(" ", data)
            if self._at_line_start() or self._breaks:
                data = data.lstrip(" ")
        if not data:
            return
        if self._breaks and self._out:
            self._out.append("\n" * self._breaks)
        self._breaks = 0
        if not self._pre and data.startswith(" ") and self._out and self._out[-1].endswith(" "):
            data = data[1:]
        self._out.append(data)

    def _block(self, tag: str, *, opening: bool) -> None:
        if tag == "pre":
            self._pre = self._pre + 1 if opening else max(0, self._pre - 1)
        if tag in _PARAGRAPH:
            self._breaks = 2
        elif tag in _LINE and (tag == "br" or opening):
            self._breaks = max(self._breaks, 1)
        elif tag in _CELL and opening and not self._breaks and not self._at_line_start():
            self._out.append(" | ")  # between cells of a row, not before the first

    def _at_line_start(self) -> bool:
        return not self._out or self._out[-1].endswith("\n")

    def text(self) -> str:
        body = "".join(self._out)
        body = "\n".join(line.rstrip() for line in body.split("\n")).strip()
        title = self._title_text
        if title and not body.startswith(title):
            return f"{title}\n\n{body}" if body else title
        return body
