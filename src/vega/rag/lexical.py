"""Lexical search: SQLite FTS5 (BM25) or Postgres full-text, over the chunks table.

On SQLite each collection has its own FTS5 table, kept in step with ``chunks`` by
triggers that fire in the same transaction as the chunk rows. One table per
collection means BM25 is computed only over the collection's own matches (with
one shared table, a query in a small collection paid for every match in every
other one) and needs no join back to ``chunks``. The tables use ``chunks`` as
external content, so the text is stored once. Postgres ranks by the same BM25 from
postings tables its triggers keep (``vega.rag.lexical_postgres``).

Queries are built from word characters only, so no user text reaches the query
syntax of either engine.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

from vega.rag import lexical_postgres

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
TOKENIZER = "porter unicode61 remove_diacritics 2"


def terms(query: str) -> list[str]:
    """The query's distinct words, stopwords dropped (kept if that leaves nothing)."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))
    content = [w for w in words if w not in STOPWORDS]
    return (content or words)[:MAX_TERMS]


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


_GENERATED_ID = re.compile(r"^[0-9a-f-]{8,64}$")


def table_name(name: str) -> bool:
    """Whether ``name`` is a collection's lexical index (``table_for``'s form)."""
    return re.fullmatch(r"chunks_fts_[0-9a-f]{8,64}", name) is not None


def table_for(collection_id: str) -> str:
    """The FTS5 table of a collection: its id's hex digits, so always a plain identifier."""
    if not _GENERATED_ID.match(collection_id):
        raise ValueError(f"not a generated collection id: {collection_id!r}")
    return "chunks_fts_" + collection_id.replace("-", "")


def create(session: Session, *, collection_id: str) -> None:
    """Create the collection's lexical index (SQLite), filled with its current chunks;
    Postgres's follows every collection's rows by itself."""
    if not _sqlite(session):
        return
    table = table_for(collection_id)  # also checks the id: it is formatted into the DDL
    cid = f"'{collection_id}'"
    for statement in (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(text, content='chunks', "
        f"content_rowid='id', tokenize='{TOKENIZER}')",
        f"CREATE TRIGGER IF NOT EXISTS {table}_insert AFTER INSERT ON chunks "  # ids checked by table_for  # nosec B608
        f"WHEN new.collection_id = {cid} BEGIN "
        f"INSERT INTO {table}(rowid, text) VALUES (new.id, new.text); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_delete AFTER DELETE ON chunks "  # ids checked by table_for  # nosec B608
        f"WHEN old.collection_id = {cid} BEGIN "
        f"INSERT INTO {table}({table}, rowid, text) VALUES ('delete', old.id, old.text); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_update AFTER UPDATE OF text ON chunks "  # ids checked by table_for  # nosec B608
        f"WHEN old.collection_id = {cid} BEGIN "
        f"INSERT INTO {table}({table}, rowid, text) VALUES ('delete', old.id, old.text); "
        f"INSERT INTO {table}(rowid, text) VALUES (new.id, new.text); END",
        vocabulary(table),
    ):
        session.execute(text(statement))
    _fill(session, table, collection_id)


def vocabulary(table: str) -> str:
    """The DDL of the table that says in how many passages each term stands (``search``
    drops those in over half of them); its name begins as the index's, so it is derived
    data to the schema checks (vega.store.migrate)."""
    return f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_vocab USING fts5vocab({table}, 'row')"  # checked id  # nosec B608


def _fill(session: Session, table: str, collection_id: str) -> None:
    clear = f"INSERT INTO {table}({table}) VALUES ('delete-all')"  # checked id  # nosec B608
    session.execute(text(clear))
    session.execute(
        text(
            f"INSERT INTO {table}(rowid, text) SELECT id, text FROM chunks WHERE collection_id = :c"  # id checked by table_for  # nosec B608
        ),
        {"c": collection_id},
    )


def _existing(session: Session, table: str) -> set[str]:
    """Which of the index and its vocabulary table exist."""
    found = session.execute(
        text("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (:t, :v)"),
        {"t": table, "v": f"{table}_vocab"},
    )
    return {str(name) for (name,) in found}


def _without_common(session: Session, table: str, words: list[str]) -> list[str]:
    """``words`` but those that stand in over half of the passages (all of them, if that
    leaves none). Such a word weighs nothing in the ranking (FTS5's BM25 floors an IDF
    at or below zero to 1e-6), yet scoring every passage it matches was most of a
    query's time: a memory's passage starts with its date, so a year matched them all.
    Terms are looked up as the query writes them; a word the tokenizer stems otherwise
    is not found, and kept."""
    params = {f"w{i}": w for i, w in enumerate(words)}
    listed = ", ".join(f":{name}" for name in params)
    passages = session.scalar(text(f"SELECT count(*) FROM {table}_docsize"))  # checked id  # nosec B608
    found = (
        f"SELECT term FROM {table}_vocab WHERE term IN ({listed}) AND doc * 2 > :n"  # checked id  # nosec B608
    )
    common = {str(t) for (t,) in session.execute(text(found), {**params, "n": int(passages or 0)})}
    return [w for w in words if w not in common] or words


def search(
    session: Session, *, collection_id: str, query: str, limit: int, skip_common: bool = False
) -> list[tuple[int, float]]:
    """The best ``limit`` chunks as ``(chunk_id, score)``, higher is better.

    ``skip_common`` (memory's recall): leave out the query's words that stand in over
    half of the passages. The ranking is the same (they weigh nothing), but a passage
    that has only such words is no longer among the results. On SQLite it makes the
    query several times faster; Postgres reads their postings anyway (to count them)."""
    words = terms(query)
    if not words or limit <= 0:
        return []
    if not _sqlite(session):
        return lexical_postgres.search(
            session, collection_id=collection_id, words=words, limit=limit, skip_common=skip_common
        )
    table = table_for(collection_id)
    known = _existing(session, table)
    if table not in known:
        return []  # no chunk was ever added to this collection
    if skip_common and f"{table}_vocab" in known:
        words = _without_common(session, table, words)
    match = " OR ".join(f'"{w}"' for w in words)
    rows = session.execute(
        text(
            f"SELECT rowid, bm25({table}) AS r FROM {table} WHERE {table} MATCH :q ORDER BY r LIMIT :n"  # id checked by table_for  # nosec B608
        ),
        {"q": match, "n": limit},
    )
    return [(int(i), -float(r)) for i, r in rows]  # bm25() is lower-is-better


def rebuild(session: Session, *, collection_id: str) -> None:
    """Rebuild a collection's lexical index from the chunks table (Postgres needs nothing)."""
    if _sqlite(session):
        create(session, collection_id=collection_id)
