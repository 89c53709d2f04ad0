"""Chunking: every chunk fits the embedder's budget, cuts fall where a reader would cut."""

from __future__ import annotations

import random
import re
import time
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vega.rag.chunk import Piece, chunk_text, sentence_bounds

_TOKEN = re.compile(r"\w{1,3}|[^\w\s]")


def spans_of(text: str) -> list[tuple[int, int]]:
    """A stand-in tokenizer: word pieces of up to 3 characters, and each punctuation mark."""
    return [m.span() for m in _TOKEN.finditer(text)]


def tokens_in(piece: Piece, spans: list[tuple[int, int]]) -> int:
    return sum(piece.start <= start < piece.end for start, _ in spans)


def check_invariants(
    text: str, spans: list[tuple[int, int]], pieces: list[Piece], budget: int
) -> None:
    """What every caller relies on, whatever the text."""
    for piece in pieces:
        assert piece.text == text[piece.start : piece.end]
        assert piece.text and piece.text == piece.text.strip()
        assert tokens_in(piece, spans) <= budget
        for start, end in spans:  # no edge falls inside a token
            assert not start < piece.start < end and not start < piece.end < end
    for before, after in pairwise(pieces):
        assert before.start < after.start and before.end < after.end  # always progresses
        assert after.start <= before.end or not text[before.end : after.start].strip()
    covered = bytearray(len(text))
    for piece in pieces:
        covered[piece.start : piece.end] = b"\x01" * (piece.end - piece.start)
    assert all(covered[i] or char.isspace() for i, char in enumerate(text))


def prose(sentences: int, seed: int = 0) -> str:
    rnd = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "river", "stone", "light", "quiet", "north"]
    return " ".join(
        " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 8))).capitalize() + "."
        for _ in range(sentences)
    )


FRAGMENTS = [
    "word", "Word", "longerword", " ", " ", " ", "\n", "\n\n", ". ", "! ", "? ", ".", ",", "。",
    "中文字", "😀", "👍🏽", "👩\u200d💻", "e\u0301", "\u0301", "x" * 40, "3.14", "\t", "- item\n",
]  # fmt: skip


@given(
    parts=st.lists(st.sampled_from(FRAGMENTS), max_size=200),
    budget=st.integers(min_value=1, max_value=40),
    overlap=st.integers(min_value=0, max_value=60),
)
@settings(max_examples=300, deadline=None)
def test_every_chunk_fits_and_chunking_always_ends(
    parts: list[str], budget: int, overlap: int
) -> None:
    text = "".join(parts)
    spans = spans_of(text)
    pieces = chunk_text(text, spans, max_tokens=budget, overlap_tokens=overlap)
    check_invariants(text, spans, pieces, budget)
    assert (pieces == []) == (text.strip() == "")


def byte_level_spans_of(text: str) -> list[tuple[int, int]]:
    """Like a byte-level BPE: a non-ASCII piece gives two tokens with the same offsets."""
    return [span for m in _TOKEN.finditer(text) for span in [m.span()] * (1 + (not m[0].isascii()))]


@given(
    parts=st.lists(st.sampled_from(FRAGMENTS), max_size=200),
    budget=st.integers(min_value=2, max_value=40),
    overlap=st.integers(min_value=0, max_value=60),
)
@settings(max_examples=200, deadline=None)
def test_tokens_sharing_offsets_are_never_separated(
    parts: list[str], budget: int, overlap: int
) -> None:
    text = "".join(parts)
    spans = byte_level_spans_of(text)
    pieces = chunk_text(text, spans, max_tokens=budget, overlap_tokens=overlap)
    check_invariants(text, spans, pieces, budget)


def test_spans_that_allow_no_cut_in_budget_still_end() -> None:
    text = "😀😀 word 😀 word"
    spans = [(0, 2)] * 5 + [(3, 7), (8, 9), (8, 9), (8, 9), (10, 14)]
    pieces = chunk_text(text, spans, max_tokens=2, overlap_tokens=1)
    assert [p.text for p in pieces] == ["😀😀", "word", "😀", "word"]
    pieces = chunk_text(text[:2], spans[:5], max_tokens=2)
    assert [p.text for p in pieces] == ["😀😀"]


def test_whitespace_only_is_nothing_and_a_short_text_is_one_stripped_chunk() -> None:
    assert chunk_text("", [], max_tokens=10) == []
    assert chunk_text(" \n\t\n ", [], max_tokens=10) == []
    text = "\n  Short note. Two sentences.  \n"
    assert chunk_text(text, spans_of(text), max_tokens=50) == [
        Piece(3, 29, "Short note. Two sentences.")
    ]
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_text(text, spans_of(text), max_tokens=0)


def test_one_chunk_per_paragraph_when_a_paragraph_fits() -> None:
    paragraphs = [prose(4, seed) for seed in range(6)]
    text = "\n\n".join(paragraphs)
    spans = spans_of(text)
    sizes = [len(spans_of(p)) for p in paragraphs]
    budget = max(sizes) + 5
    assert budget < 2 * min(sizes)  # two paragraphs never fit together
    pieces = chunk_text(text, spans, max_tokens=budget)
    assert [p.text for p in pieces] == paragraphs


def test_short_sentences_are_never_cut_and_consecutive_chunks_overlap() -> None:
    text = prose(300)
    spans = spans_of(text)
    pieces = chunk_text(text, spans, max_tokens=120, overlap_tokens=32)
    check_invariants(text, spans, pieces, 120)
    starts = {0, *sentence_bounds(text)}
    assert len(pieces) > 10
    assert all(p.start in starts and p.text.endswith(".") for p in pieces)
    for before, after in pairwise(pieces):
        repeated = text[after.start : before.end]
        assert repeated.endswith(".") and 0 < len(spans_of(repeated)) <= 32


def test_a_sentence_longer_than_the_overlap_is_repeated_from_a_word_boundary() -> None:
    sentence = " ".join(["lengthy"] * 60) + "."  # 181 tokens, longer than any overlap here
    text = " ".join([sentence.capitalize()] * 4)
    spans = spans_of(text)
    pieces = chunk_text(text, spans, max_tokens=100, overlap_tokens=20)
    check_invariants(text, spans, pieces, 100)
    for before, after in pairwise(pieces):
        assert text[after.start - 1].isspace()
        assert 0 < len(spans_of(text[after.start : before.end])) <= 20


def test_sentence_bounds_know_abbreviations_decimals_cjk_and_lists() -> None:
    text = 'He paid 3.14 e.g. twice. "Then" he left! 9 more? 好。再见\n- one\n- two\nwrapped\nline\n    return 1'
    found = [text[i : i + 4] for i in sentence_bounds(text)]
    # Not after "3.14" or "e.g.", nor before a line that goes on in lower case unindented.
    assert found == ['"The', "9 mo", "好。再见", "再见\n-", "- on", "- tw", "retu"]


def test_unicode_offsets_stay_exact_and_cjk_breaks_at_sentence_ends() -> None:
    sentence = "这是一个很长的句子包含许多汉字。"  # one token per character below
    text = sentence * 30 + " 😀👍🏽 cafe\u0301 👩\u200d💻 " * 20
    spans = [(i, i + 1) for i, char in enumerate(text) if not char.isspace()]
    pieces = chunk_text(text, spans, max_tokens=50, overlap_tokens=0)
    check_invariants(text, spans, pieces, 50)
    cjk = [p for p in pieces if p.end <= len(sentence) * 30]
    assert cjk and all(p.text.endswith("。") and len(p.text) == 48 for p in cjk)
    for piece in pieces:  # no accent or emoji joiner torn from its character
        assert not piece.text.startswith(("\u0301", "\u200d")) and not piece.text.endswith("\u200d")


def test_a_2000_character_word_is_split_at_token_boundaries() -> None:
    word = "a" * 2000
    text = f"Before it. {word} After it."
    spans = spans_of(text)
    pieces = chunk_text(text, spans, max_tokens=100, overlap_tokens=16)
    check_invariants(text, spans, pieces, 100)
    assert len(pieces) >= 7
    assert all(len(p.text.split()[-1]) % 3 == 0 for p in pieces[:-1])  # whole 3-char tokens


def test_a_megabyte_chunks_in_well_under_a_second() -> None:
    rnd = random.Random(7)
    words = ["".join(rnd.choices("abcdefghij", k=rnd.randint(1, 9))) for _ in range(5000)]
    parts: list[str] = []
    size = 0
    while size < 1_000_000:
        sentence = " ".join(rnd.choices(words, k=rnd.randint(3, 30))).capitalize() + ". "
        parts.append(sentence + ("\n\n" if rnd.random() < 0.1 else ""))
        size += len(parts[-1])
    text = "".join(parts)
    spans = spans_of(text)
    assert len(spans) > 250_000
    began = time.perf_counter()
    pieces = chunk_text(text, spans, max_tokens=254)
    assert time.perf_counter() - began < 2.0
    assert len(pieces) > len(spans) // 254


def test_real_tokenizer_never_sees_more_than_it_reads() -> None:
    pytest.importorskip("sentence_transformers", reason="pip install -e '.[rag]'")
    from vega.rag.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    assert embedder.max_tokens == 256
    text = "\n\n".join(
        [
            prose(80, 1),
            "def handler(request):\n    return compute(request.payload, retries=3)\n" * 15,
            "这是一个没有标点的很长的句子" * 60,  # one word piece per character, no break
            "-".join(["hyphenated"] * 300),  # hundreds of tokens, no whitespace
            "Résumé naïve café 😀👍🏽 👩\u200d💻 coöperate. " * 40,
            "Supercalifragilistic" * 3 + "expialidocious " + prose(30, 2),
        ]
    )
    spans = embedder.token_spans(text)
    budget = embedder.max_tokens - 2 - 4  # special tokens, and a margin for edge re-tokenization
    pieces = chunk_text(text, spans, max_tokens=budget)
    check_invariants(text, spans, pieces, budget)
    assert len(pieces) > 10
    assert max(embedder.count_tokens(p.text) for p in pieces) <= embedder.max_tokens
