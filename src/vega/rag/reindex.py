"""Rebuild derived indexes from the database, re-embedding when the model changed.

Re-embedding computes every new vector first and writes them, with the
collection's new model and dimension, in one transaction: a crash midway leaves
the collection as it was, never half in one vector space and half in another.

The vector index is rebuilt by whichever ``CollectionIndexes`` the runtime uses: FAISS
drops its file and builds it again from the stored vectors; pgvector drops the
collection's HNSW index and builds it again, with the current HNSW settings (and,
after re-embedding, for the new dimension).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session

from vega.jobs import Progress
from vega.rag import lexical
from vega.rag.embed import Embedder
from vega.rag.index import CollectionIndexes
from vega.rag.retrieve import owned_collection
from vega.store import documents as repo
from vega.store.db import Database
from vega.store.tables import Collection

PAGE = 1024


@dataclass(frozen=True, slots=True)
class ReindexReport:
    collection: str
    chunks: int
    reembedded: bool
    seconds: float


class Reindexer:
    def __init__(
        self,
        *,
        db: Database,
        embedder: Callable[[], Embedder],
        indexes: CollectionIndexes,
        memories: Callable[[Collection], int] | None = None,
    ) -> None:
        # An owner's memory collection is re-embedded by its own rules (vega.memory: its
        # vectors are not of the passages BM25 reads).
        self._memories = memories
        self._db = db
        self._embedder = embedder
        self._indexes = indexes

    def run(
        self, *, owner: int, collection: str | None = None, progress: Progress | None = None
    ) -> list[ReindexReport]:
        """One collection of the owner's, or every collection on this server (maintenance)."""

        def targets_of(session: Session) -> list[Collection]:
            if collection is not None:
                return [owned_collection(session, owner=owner, name=collection)]
            return repo.list_collections(session)

        targets = self._db.read_sync(targets_of)
        reports = []
        for i, coll in enumerate(targets):
            reports.append(self._one(coll))
            if progress is not None:
                progress((i + 1) / len(targets))
        return reports

    def _one(self, coll: Collection) -> ReindexReport:
        started = time.perf_counter()
        embedder = self._embedder()
        reembed = coll.embedding_model != embedder.name or coll.dim != embedder.dim
        if reembed and coll.name == repo.HIDDEN and self._memories is not None:
            self._memories(coll)
        elif reembed:
            self._reembed(coll, embedder)
        self._db.write_sync(lambda session: lexical.rebuild(session, collection_id=coll.id))
        chunks = self._indexes.rebuild(self._db, coll.id)
        return ReindexReport(
            collection=coll.name,
            chunks=chunks,
            reembedded=reembed,
            seconds=round(time.perf_counter() - started, 3),
        )

    def _reembed(self, coll: Collection, embedder: Embedder) -> None:
        vectors: list[tuple[int, bytes]] = []
        after = 0
        while True:
            page = self._db.read_sync(
                partial(repo.chunk_texts, collection_id=coll.id, after_id=after, limit=PAGE)
            )
            if not page:
                break
            matrix = embedder.embed_batch([text for _, text in page])
            vectors += [(chunk_id, matrix[i].tobytes()) for i, (chunk_id, _) in enumerate(page)]
            after = page[-1][0]

        def write(session: Session) -> None:
            self._indexes.reembedding(session, coll.id)
            repo.set_embeddings(session, vectors=vectors)
            fresh = session.get(Collection, coll.id)
            assert fresh is not None
            fresh.embedding_model, fresh.dim = embedder.name, embedder.dim
            repo.bump_version(session, collection_id=coll.id)

        # The old size's HNSW index would refuse the new vectors: gone first (pgvector).
        self._indexes.before_reembed(self._db, coll.id)
        self._db.write_sync(write)
