"""The FAISS cache is derived data: caught up from the database, rebuilt when missing or torn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from vega.rag import lexical
from vega.rag.index import CollectionState, VectorIndexes
from vega.rag.retrieve import fuse
from vega.store import documents as repo
from vega.store.db import Database
from vega.store.tables import ApiKey, Collection, Document

pytest.importorskip("faiss", reason="pip install -e '.[rag]'")

DIM = 8


def _owner(db: Database) -> int:
    def make(session: Session) -> int:
        key = ApiKey(name="k", hash="h" * 64, prefix="p", admin=False)
        session.add(key)
        session.commit()
        return key.id

    return db.call(make)


def _vector(seed: int) -> bytes:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return (v / np.linalg.norm(v)).tobytes()


def _add_document(db: Database, owner: int, texts: list[str], seed: int) -> str:
    def add(session: Session) -> str:
        s = session
        coll = repo.get_collection(s, owner=owner, name="c")
        if coll is None:
            coll = repo.create_collection(s, owner=owner, name="c", embedding_model="m", dim=DIM)
            lexical.create(s, collection_id=coll.id)
        doc = repo.add_document(
            s,
            collection_id=coll.id,
            title=f"d{seed}",
            source_name="d.txt",
            content_type="text",
            sha256=f"{seed:064d}",
            size=1,
            stored_path="uploads/x/original.txt",
            status="ready",
        )
        chunks = [
            repo.NewChunk(t, 0, len(t), None, _vector(seed * 100 + i)) for i, t in enumerate(texts)
        ]
        repo.replace_chunks(s, document=doc, chunks=chunks)
        s.commit()
        return doc.id

    return db.call(add)


def _state(db: Database) -> CollectionState:
    coll = db.call(lambda s: s.scalars(select(Collection)).one())
    return CollectionState(coll.id, coll.embedding_model, coll.dim, coll.version)


def _index_ids(db: Database, indexes: VectorIndexes) -> set[int]:
    with db.session() as s:
        return {int(i) for i in indexes.current(s, _state(db)).ids()}


def test_index_catches_up_with_inserts_and_deletes_by_any_process(
    db: Database, tmp_path: Path
) -> None:
    owner = _owner(db)
    _add_document(db, owner, ["alpha", "beta"], seed=1)
    indexes = VectorIndexes(tmp_path / "indexes")
    assert len(_index_ids(db, indexes)) == 2
    # Another process (here: the same database, without telling this cache) adds and deletes.
    second = _add_document(db, owner, ["gamma"], seed=2)
    assert len(_index_ids(db, indexes)) == 3

    def delete(s: Session) -> None:
        doc = s.get(Document, second)
        repo.soft_delete_document(s, document=doc)
        s.commit()

    db.call(delete)
    ids = _index_ids(db, indexes)
    assert ids == set(db.call(lambda s: repo.chunk_ids(s, collection_id=_state(db).id)))


def test_search_returns_the_nearest_chunk(db: Database, tmp_path: Path) -> None:
    owner = _owner(db)
    _add_document(db, owner, ["a", "b", "c"], seed=3)
    indexes = VectorIndexes(tmp_path / "indexes")
    state = _state(db)
    with db.session() as s:
        index = indexes.current(s, state)
        target_id = repo.chunk_ids(s, collection_id=state.id)[1]
        vector = np.frombuffer(repo.embeddings(s, ids=[target_id])[0][1], dtype=np.float32)
    best, score = index.search(vector, 1)[0]
    assert best == target_id and score == pytest.approx(1.0, abs=1e-3)  # stored as float16


def test_saved_index_loads_warm_and_a_torn_file_is_rebuilt(db: Database, tmp_path: Path) -> None:
    owner = _owner(db)
    _add_document(db, owner, ["one", "two"], seed=4)
    folder = tmp_path / "indexes"
    first = VectorIndexes(folder)
    expected = _index_ids(db, first)
    first.flush()
    data = next(folder.glob("*.faiss"))
    assert (folder / (data.stem + ".json")).exists()
    assert _index_ids(db, VectorIndexes(folder)) == expected  # loaded from disk
    data.write_bytes(b"not a faiss index")
    assert _index_ids(db, VectorIndexes(folder)) == expected  # rebuilt from the database
    for path in folder.iterdir():
        path.unlink()
    assert _index_ids(db, VectorIndexes(folder)) == expected  # missing: rebuilt too


def test_lexical_search_ranks_shared_words_and_ignores_syntax(db: Database) -> None:
    owner = _owner(db)
    _add_document(db, owner, ["cats purr softly", "dogs bark at night", "the and of"], seed=5)
    cid = _state(db).id
    with db.session() as s:
        hits = lexical.search(s, collection_id=cid, query="why do dogs bark?", limit=5)
        texts = [repo.live_chunks(s, collection_id=cid, ids=[i])[i].text for i, _ in hits]
        assert texts[0] == "dogs bark at night"
        # FTS5 and tsquery syntax in user text is just words
        for query in ('"unbalanced', "NEAR(a b)", "a:* & !b", "col:dogs", "*", ""):
            lexical.search(s, collection_id=cid, query=query, limit=5)


def test_terms_drop_stopwords_unless_nothing_else_is_left() -> None:
    assert lexical.terms("What is the role of p53 in cancer?") == ["role", "p53", "cancer"]
    assert lexical.terms("the of and") == ["the", "of", "and"]


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = fuse([[(1, 0.9), (2, 0.8), (3, 0.7)], [(3, 5.0), (1, 4.0), (4, 1.0)]])
    order = [chunk_id for chunk_id, _ in fused]
    assert order[0] == 1  # ranked high by both
    assert set(order) == {1, 2, 3, 4}
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
