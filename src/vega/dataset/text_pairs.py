"""Plain text and Markdown: ``Q:``/``A:`` pairs, or one example per ``## heading``.

A file with any question line is read as pairs; otherwise each second-level heading
is a prompt and the text under it, up to the next ``#`` or ``##`` heading, its
response. Lines inside fenced code blocks (``` or ~~~) are never markers, so an
answer can quote code that starts with ``Q:`` or ``## ``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from vega.dataset.loaders import TextLoader
from vega.dataset.records import Candidate, Rejected, example

# "Q: ...", "Question: ...", any case, optionally in Markdown emphasis ("**Q:** ...").
_MARKER = re.compile(
    r"^[ \t]*(?:[*_]{1,2})?(?P<kind>q|question|a|answer)[ \t]*:(?:[*_]{1,2})?[ \t]?(?P<rest>.*)$",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^(?P<level>#{1,2})[ \t]+(?P<title>.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)")


def _outside_fences(lines: list[str]) -> Iterator[tuple[int, str, bool]]:
    """(line number, line, whether it is outside a fenced code block)."""
    fenced = False
    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            fenced = not fenced
            yield number, line, False
        else:
            yield number, line, not fenced


@dataclass
class _Part:
    """A question or answer being read: where it began and its lines so far."""

    line: int
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()


class QuestionsAndHeadings(TextLoader):
    extensions = ("txt", "md", "markdown")

    def parse(self, text: str) -> Iterator[Candidate]:
        lines = [line.removesuffix("\r") for line in text.split("\n")]
        live = [line for _, line, outside in _outside_fences(lines) if outside]
        if any((m := _MARKER.match(line)) and _is_question(m) for line in live):
            yield from _pairs(lines)
        elif any((h := _heading(line)) and h[0] == 2 for line in live):
            yield from _sections(lines)
        else:
            yield Rejected("malformed", "no 'Q:'/'A:' pairs and no '## ' headings")


def _is_question(marker: re.Match[str]) -> bool:
    return marker.group("kind").lower() in {"q", "question"}


def _heading(line: str) -> tuple[int, str] | None:
    """The level (1 or 2) and title of a ``#`` or ``##`` heading line, else None."""
    m = _HEADING.match(line)
    return (len(m.group("level")), m.group("title")) if m else None


def _pairs(lines: list[str]) -> Iterator[Candidate]:
    question: _Part | None = None
    answer: _Part | None = None
    for number, line, live in _outside_fences(lines):
        m = _MARKER.match(line) if live else None
        if m is None:
            current = answer or question
            if current is not None:  # else preamble, or the body of an answer with no question
                current.lines.append(line)
            continue
        is_question = _is_question(m)
        if question is not None and answer is not None:
            yield example(question.text, answer.text, where=f"line {question.line}")
            question = answer = None
        if is_question:
            if question is not None:
                yield Rejected("malformed", "a question with no answer", f"line {question.line}")
            question = _Part(number, [m.group("rest")])
        elif question is not None:
            answer = _Part(number, [m.group("rest")])
        else:
            yield Rejected("malformed", "an answer with no question", f"line {number}")
    if question is not None and answer is not None:
        yield example(question.text, answer.text, where=f"line {question.line}")
    elif question is not None:
        yield Rejected("malformed", "a question with no answer", f"line {question.line}")


def _sections(lines: list[str]) -> Iterator[Candidate]:
    title: str | None = None  # of the section being read, if any
    start = 0
    body: list[str] = []
    for number, line, outside in _outside_fences(lines):
        heading = _heading(line) if outside else None
        if heading is None:
            if title is not None:
                body.append(line)
            continue
        if title is not None:
            yield example(title, "\n".join(body).strip(), where=f"line {start}")
        # A "#" heading closes a section without opening one: its text is no example.
        level, text = heading
        title, start, body = (text if level == 2 else None), number, []
    if title is not None:
        yield example(title, "\n".join(body).strip(), where=f"line {start}")
