"""Lexical search ranks by BM25 on both stores, as SQLite's FTS5 defines it.

FTS5 computes BM25 itself; Postgres computes it in SQL from stored lexemes and
per-collection counts kept by triggers (``vega.rag.lexical_postgres``). Each test
computes the expected scores in Python, from the formula and the texts Vega stored,
and checks that the store returns exactly those chunks in that order with those
scores. The vocabulary is made of words that both stemmers leave whole and neither
store counts as a stopword, so "a word" means the same on both.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import pytest
from sqlalchemy import text

from tests.unit.conftest import Services
from vega.rag import lexical
from vega.store.tables import Collection

K1, B = 1.2, 0.75
WORDS = (
    "otter",
    "river",
    "stone",
    "forest",
    "cloud",
    "garden",
    "violin",
    "copper",
    "lantern",
    "harbor",
    "meadow",
    "falcon",
    "pepper",
    "marble",
    "castle",
    "canyon",
    "glacier",
)
QUERIES = ["otter", "river stone", "violin copper lantern", "glacier falcon marble", "canyon"]


def corpus(seed: int, n: int) -> list[str]:
    """``n`` texts of 3 to 40 words, with repeats, so tf, length and df all vary."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choices(WORDS[: rng.randint(4, len(WORDS))], k=rng.randint(3, 40)))
        for _ in range(n)
    ]


def expected(chunks: dict[int, str], query: str, limit: int) -> list[tuple[int, float]]:
    """FTS5's bm25(): idf = ln((N - n + 0.5) / (n + 0.5)) floored at 1e-6, k1 1.2, b 0.75."""
    tokens = {i: re.findall(r"\w+", t.lower()) for i, t in chunks.items()}
    avgdl = sum(len(t) for t in tokens.values()) / len(tokens)
    terms = set(query.split())
    df = {w: sum(1 for t in tokens.values() if w in t) for w in terms}
    scores = {}
    for i, words in tokens.items():
        tf = Counter(words)
        if not terms & tf.keys():
            continue
        scores[i] = sum(
            max(math.log((len(tokens) - df[w] + 0.5) / (df[w] + 0.5)), 1e-6)
            * tf[w]
            * (K1 + 1)
            / (tf[w] + K1 * (1 - B + B * len(words) / avgdl))
            for w in terms
            if tf[w]
        )
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:limit]


async def fill(services: Services, name: str, texts: list[str]) -> str:
    for n, body in enumerate(texts):
        await services.add_document(body, filename=f"{name}-{n}.txt", collection=name)
    return await services.runtime.db.run(
        lambda s: s.query(Collection.id).filter(Collection.name == name).scalar()
    )


def stored_chunks(services: Services, collection_id: str) -> dict[int, str]:
    with services.runtime.db.session() as s:
        rows = s.execute(
            text("SELECT id, text FROM chunks WHERE collection_id = :c"), {"c": collection_id}
        )
        return {int(i): t for i, t in rows}


def ranked(
    services: Services, collection_id: str, query: str, limit: int
) -> list[tuple[int, float]]:
    with services.runtime.db.session() as s:
        return lexical.search(s, collection_id=collection_id, query=query, limit=limit)


def assert_same(got: list[tuple[int, float]], want: list[tuple[int, float]]) -> None:
    assert [i for i, _ in got] == [i for i, _ in want] or _ties_only(got, want)
    assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-6)


def _ties_only(got: list[tuple[int, float]], want: list[tuple[int, float]]) -> bool:
    """The same chunks with the same scores, ordered differently only within equal scores."""
    by_score = lambda rows: sorted((round(s, 9), i) for i, s in rows)  # noqa: E731
    return by_score(got) == by_score(want)


@pytest.mark.parametrize("query", QUERIES)
async def test_lexical_scores_are_fts5_bm25(services: Services, query: str) -> None:
    cid = await fill(services, "words", corpus(seed=1, n=40))
    chunks = stored_chunks(services, cid)
    assert len(chunks) >= 40  # the expected scores are computed from what the store holds

    want = expected(chunks, query, limit=10)
    assert want, "the query matches something"
    assert_same(ranked(services, cid, query, limit=10), want)


async def test_counts_follow_deletes_and_other_collections_do_not_count(
    services: Services,
) -> None:
    cid = await fill(services, "words", corpus(seed=2, n=30))
    other = await fill(services, "others", corpus(seed=3, n=25))
    doomed = await services.runtime.documents.list_documents(
        owner=services.owner.key_id, collection="words"
    )
    for doc in doomed[:7]:
        await services.runtime.documents.delete(owner=services.owner.key_id, document_id=doc.id)

    chunks, theirs = stored_chunks(services, cid), stored_chunks(services, other)
    assert chunks and theirs
    for query in QUERIES:
        assert_same(ranked(services, cid, query, limit=50), expected(chunks, query, limit=50))
        assert_same(ranked(services, other, query, limit=50), expected(theirs, query, limit=50))


async def test_words_that_match_nothing_find_nothing(services: Services) -> None:
    cid = await fill(services, "words", corpus(seed=4, n=5))

    assert ranked(services, cid, "zeppelin", limit=10) == []
    assert ranked(services, cid, "the and of", limit=10) == []  # stopwords only


async def test_skip_common_leaves_out_words_in_over_half_the_passages(services: Services) -> None:
    """Memory's recall asks (on SQLite) without the words most passages have: the same
    scores for what it finds, and the passages that had only those words are gone."""
    texts = [
        "harbor otter",
        "harbor river",
        "harbor stone",
        "harbor forest",
        "cloud garden",
        "violin copper",
    ]
    cid = await fill(services, "common", texts)
    chunks = stored_chunks(services, cid)
    with services.runtime.db.session() as s:
        plain = lexical.search(s, collection_id=cid, query="harbor otter", limit=10)
        skipping = lexical.search(
            s, collection_id=cid, query="harbor otter", limit=10, skip_common=True
        )
        only_common = lexical.search(
            s, collection_id=cid, query="harbor", limit=10, skip_common=True
        )
    assert_same(plain, expected(chunks, "harbor otter", limit=10))
    assert len(plain) == 4  # every harbor passage
    [(otter, score)] = skipping  # "harbor" (4 of 6 passages) is left out
    assert chunks[otter] == "harbor otter"
    assert score == pytest.approx(dict(expected(chunks, "otter", limit=10))[otter], rel=1e-6)
    # A query of nothing but common words keeps them.
    assert_same(only_common, expected(chunks, "harbor", limit=10))
