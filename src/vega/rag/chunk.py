"""Split a document into pieces the embedder reads whole.

all-MiniLM-L6-v2 silently truncates input past 256 word pieces, so a chunk that is
too long loses its tail from the index without any error. Chunking therefore counts
real tokens: the caller tokenizes the document once (``Embedder.token_spans``) and
every cut is chosen from those spans. Re-tokenizing candidate chunks would cost
about as much as embedding them. A chunk holds the tokens whose span starts inside
it, and cuts fall only between tokens, so the count cannot drift at a chunk's edges.

A chunk ends, in order of preference, at the first paragraph break once it is half
full, at the last sentence end that keeps it at least half full, at the last
whitespace, and as a last resort at any token boundary (a 2,000-character "word"
still has to fit). The next chunk repeats the previous one's last sentences, up to
``overlap_tokens``, so a fact cut in two is still found whole in one of them.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

__all__ = ["Piece", "chunk_text", "paragraph_bounds", "sentence_bounds"]

# A blank line (possibly holding spaces or "\r"); the match ends where the next paragraph starts.
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*")
# A Latin sentence end needs whitespace and then a word that is not lower case, so
# "e.g. the" and "3.14" do not split; group 1 is that word's first character. CJK
# sentence ends need no space after them.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+(?=[\"'“‘«(\[]*(\w))|[。！？][”’」』）]*\s*")
# Lines of lists and code are units too; a line starting lower case right after the
# break (not indented) is prose that was hard-wrapped mid-sentence. Group 1 is the
# character after the break, empty when that is whitespace.
_LINE_BREAK = re.compile(r"\n(?=(\S?))\s*(?=\S)")


@dataclass(frozen=True, slots=True)
class Piece:
    """A chunk of a document: ``text == document[start:end]``, stripped of outer whitespace."""

    start: int
    end: int
    text: str


def paragraph_bounds(text: str) -> list[int]:
    """Offsets where a paragraph (text after a blank line) begins."""
    return [m.end() for m in _PARAGRAPH.finditer(text)]


def sentence_bounds(text: str) -> list[int]:
    """Sorted offsets where a sentence, a list item or code line, or a paragraph begins."""
    found = set(paragraph_bounds(text))
    for pattern in (_SENTENCE_END, _LINE_BREAK):
        for match in pattern.finditer(text):
            follower = match.group(1)
            if follower is None or not follower.islower():
                found.add(match.end())
    return sorted(found)


class _Cuts:
    """Where chunks may be cut, as token indices: cut ``j`` falls just before token ``j``."""

    def __init__(self, text: str, spans: Sequence[tuple[int, int]]) -> None:
        self.text = text
        self.starts = [start for start, _ in spans]
        self.n = len(self.starts)
        # reach[j]: the furthest any of tokens 0..j extends. A cut before it would split a token.
        self.reach = list(accumulate((end for _, end in spans), max))
        self.sentence_at: dict[int, int] = {}  # sentence cut -> its character offset
        paragraph_chars = set(paragraph_bounds(text))
        self.paragraphs: set[int] = set()
        for offset in sentence_bounds(text):
            j = self._token_at(offset)
            if j is None:
                continue
            self.sentence_at.setdefault(j, offset)
            if offset in paragraph_chars:
                self.paragraphs.add(j)
        self.sentences = sorted(self.sentence_at)
        self.paragraph_list = sorted(self.paragraphs)

    def _token_at(self, offset: int) -> int | None:
        """The cut at a character offset, or None if that offset is inside a token or past the last."""
        j = bisect_left(self.starts, offset)
        return j if 0 < j < self.n and self.reach[j - 1] <= offset else None

    def char(self, j: int) -> int:
        """The character offset of cut ``j`` (0 is the document's start)."""
        return 0 if j == 0 else self.sentence_at.get(j, self.starts[j])

    def clean(self, j: int) -> bool:
        """Token ``j`` starts after every earlier token ends (so the counts stay exact)."""
        if not 0 < j < self.n:
            return False
        here = self.starts[j]
        return self.starts[j - 1] < here and self.reach[j - 1] <= here

    def spaced(self, j: int) -> bool:
        return self.clean(j) and self.text[self.starts[j] - 1].isspace()

    def whole(self, j: int) -> bool:
        """A clean cut that does not split a character from its accents or emoji joiners."""
        if not self.clean(j):
            return False
        here = self.starts[j]
        first = self.text[here : here + 1]  # empty for a zero-width span at the very end
        return not (first and unicodedata.category(first)[0] == "M") and (
            "\u200d" not in self.text[here - 1 : here + 1]
        )


def _last(test: Callable[[int], bool], low: int, high: int) -> int | None:
    """The highest j in (low, high] passing ``test``: scanning down stops at the first hit."""
    return next((j for j in range(high, low, -1) if test(j)), None)


def _end(cuts: _Cuts, k: int, low: int, max_tokens: int) -> int | None:
    """Where the chunk starting at cut ``k`` ends: a cut in (low, k + max_tokens], or None."""
    limit, half = k + max_tokens, k + (max_tokens + 1) // 2
    paragraphs = cuts.paragraph_list
    p = bisect_left(paragraphs, max(half, low + 1))
    if p < len(paragraphs) and paragraphs[p] <= limit:
        return paragraphs[p]
    s = bisect_right(cuts.sentences, limit) - 1
    sentence = cuts.sentences[s] if s >= 0 and cuts.sentences[s] > low else None
    if sentence is not None and sentence >= half:
        return sentence
    spaced = _last(cuts.spaced, low, limit)
    if spaced is not None and (spaced >= half or sentence is None):
        return spaced
    if sentence is not None:
        return sentence
    whole = _last(cuts.whole, low, limit)
    return whole if whole is not None else _last(cuts.clean, low, limit)


def _overlap_start(cuts: _Cuts, k: int, j: int, overlap: int) -> int:
    """Where the chunk after (k, j) starts: whole sentences from the last ``overlap`` tokens,
    else a word boundary about ``overlap`` tokens back, else ``j`` (no overlap)."""
    low = max(k + 1, j - overlap)
    s = bisect_left(cuts.sentences, low)
    if s < len(cuts.sentences) and cuts.sentences[s] < j:
        return cuts.sentences[s]
    return next((m for m in range(low, j) if cuts.spaced(m)), j)


def _emit(pieces: list[Piece], text: str, start: int, end: int) -> None:
    segment = text[start:end]
    body = segment.strip()
    if body:
        start += len(segment) - len(segment.lstrip())
        pieces.append(Piece(start, start + len(body), body))


def chunk_text(
    text: str,
    spans: Sequence[tuple[int, int]],
    *,
    max_tokens: int,
    overlap_tokens: int = 32,
) -> list[Piece]:
    """Cut ``text`` into pieces of at most ``max_tokens`` tokens each.

    ``spans`` are the character spans of ``text``'s tokens, in order, as the embedder
    gives them. The overlap is capped at half of ``max_tokens`` so every chunk moves
    the window forward, and skipped after a paragraph break (a paragraph stands on
    its own). Only spans that allow no cut at all within the budget (more than
    ``max_tokens`` tokens at one offset, or overlapping spans) can give a longer chunk.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
    if not text.strip():
        return []
    cuts = _Cuts(text, spans)
    overlap = max(0, min(overlap_tokens, max_tokens // 2))
    pieces: list[Piece] = []
    k = done = 0  # this chunk's first cut; where the previous chunk ended
    while cuts.n - k > max_tokens:
        j = _end(cuts, k, done, max_tokens)
        if j is None and k < done:  # the overlap left no cut in budget: start without it
            k = done
            continue
        if j is None:  # no cut within budget at all: take the first one past it
            j = next((m for m in range(k + max_tokens + 1, cuts.n) if cuts.clean(m)), None)
            if j is None:
                break
        _emit(pieces, text, cuts.char(k), cuts.char(j))
        k = j if j in cuts.paragraphs else _overlap_start(cuts, k, j, overlap)
        done = j
    _emit(pieces, text, cuts.char(k), len(text))
    return pieces
