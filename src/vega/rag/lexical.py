"""Lexical search: SQLite FTS5 (BM25) or Postgres full-text, over the chunks table.

Both indexes are kept in step by the database itself (triggers on SQLite, an
expression index on Postgres), so they are never behind the chunks they cover.
Queries are built from word characters only, so no user text reaches the query
syntax of either engine.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

MAX_TERMS = 32
_WORD = re.compile(r"\w+", re.UNICODE)
# Words that match nearly every passage; dropping them keeps OR-queries fast and
# BM25 scores meaningful (SciFact-style questions are full of them).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves""".split()  # noqa: SIM905 (a word list reads better as text)
)

_SQLITE = text(
    "SELECT c.id, bm25(chunks_fts) AS rank FROM chunks_fts "
    "JOIN chunks c ON c.id = chunks_fts.rowid "
    "WHERE chunks_fts MATCH :query AND c.collection_id = :collection "
    "ORDER BY rank LIMIT :limit"
)
_POSTGRES = text(
    "SELECT id, ts_rank_cd(to_tsvector('english', text), q) AS rank "
    "FROM chunks, to_tsquery('english', :query) AS q "
    "WHERE collection_id = :collection AND to_tsvector('english', text) @@ q "
    "ORDER BY rank DESC LIMIT :limit"
)


def terms(query: str) -> list[str]:
    """The query's distinct words, stopwords dropped (kept if that leaves nothing)."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))
    content = [w for w in words if w not in STOPWORDS]
    return (content or words)[:MAX_TERMS]


def search(
    session: Session, *, collection_id: str, query: str, limit: int
) -> list[tuple[int, float]]:
    """The best ``limit`` chunks as ``(chunk_id, score)``, higher is better."""
    words = terms(query)
    if not words or limit <= 0:
        return []
    params = {"collection": collection_id, "limit": limit}
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_POSTGRES, {**params, "query": " | ".join(words)})
        return [(int(i), float(r)) for i, r in rows]
    match = " OR ".join(f'"{w}"' for w in words)
    rows = session.execute(_SQLITE, {**params, "query": match})
    return [(int(i), -float(r)) for i, r in rows]  # bm25() is lower-is-better


def rebuild(session: Session) -> None:
    """Rebuild the SQLite FTS index from the chunks table (Postgres needs nothing)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')"))
