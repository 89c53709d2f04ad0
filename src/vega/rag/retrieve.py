"""Retrieval: dense (vector index), lexical (BM25) and hybrid (reciprocal-rank fusion).

The vector index is whichever ``CollectionIndexes`` the runtime chose (FAISS files per
process, or pgvector inside Postgres): the retriever asks it for the collection's
index and merges what it answers the same way on either store.

Every result is read back from the chunks table of a live document in the
caller's own collection, so neither a stale index nor another key's name for a
collection can surface a passage the caller should not see.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import anyio.to_thread
from sqlalchemy.orm import Session

from vega.errors import BadInput, Conflict, NotFound
from vega.rag import lexical
from vega.rag.embed import Embedder
from vega.rag.index import CollectionIndexes, CollectionState
from vega.store import documents as repo
from vega.store import shares as shares_repo
from vega.store.db import Database
from vega.store.tables import Collection

if TYPE_CHECKING:
    from vega.metrics import Metrics

SearchMode = Literal["dense", "lexical", "hybrid"]
SEARCH_MODES: tuple[SearchMode, ...] = ("dense", "lexical", "hybrid")
DEFAULT_COLLECTION = "default"
RRF_K = 60  # the constant from Cormack et al. (2009); robust across collections
MIN_DEPTH = 50
MAX_TOP_K = 100
# The rule in the syntax of JSON Schema and browsers (ECMAScript, Unicode classes), so the
# OpenAPI document carries it (`CollectionName`) and clients check a name as we do: their
# `\w` is ASCII only (the UI once refused "données"). Python's `re` has no \p{..}, but its
# `\w` is exactly [\p{L}\p{N}_] (tests/unit/test_collection_names.py checks every letter).
COLLECTION_NAME_PATTERN = r"^[\p{L}\p{N}_][\p{L}\p{N}_ .:-]{0,99}$"
COLLECTION_NAME = re.compile(COLLECTION_NAME_PATTERN.replace(r"\p{L}\p{N}_", r"\w"))
# A shared collection, as others name it: OWNER/NAME (vega.security.accounts.USERNAME).
COLLECTION_REF_PATTERN = r"^([a-z0-9][a-z0-9._@-]{0,63}/)?" + COLLECTION_NAME_PATTERN[1:]
COLLECTION_REF = re.compile(COLLECTION_REF_PATTERN.replace(r"\p{L}\p{N}_", r"\w"))


@dataclass(frozen=True, slots=True)
class Hit:
    rank: int
    score: float
    chunk_id: int
    document_id: str
    title: str
    source_name: str
    location: str | None
    start: int
    end: int
    text: str
    dense: float | None = None  # cosine similarity, when the dense search found it
    lexical: float | None = None  # BM25 score, when the lexical search found it
    url: str | None = None  # the page's address, for a document crawled from the web


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    collection: str
    mode: SearchMode
    hits: list[Hit]


class EmbeddingMismatch(Conflict):
    code = "embedding_mismatch"


def check_collection_name(name: str) -> str:
    if not COLLECTION_NAME.fullmatch(name):  # fullmatch: `$` would let "docs\n" through
        raise BadInput(
            "A collection name is 1-100 letters, digits, spaces, '.', '_', ':' or '-', "
            "starting with a letter or digit."
        )
    return name


def owned_collection(session: Session, *, owner: int, name: str) -> Collection:
    collection = repo.get_collection(session, owner=owner, name=check_collection_name(name))
    if collection is None:
        raise NotFound(f"No collection '{name}'. Add documents to it first.")
    return collection


def readable_collection(
    session: Session, *, owner: int, reader: int | None, name: str
) -> Collection:
    """The caller's own collection ``name``, or (accounts mode) ``OWNER/NAME`` that another
    user shared with ``reader``: read-only, found only through this function. 404 for a
    name that is neither (whether or not it exists: nobody learns what is not shared)."""
    owner_name, slash, own_name = name.partition("/")
    if not slash:
        return owned_collection(session, owner=owner, name=name)
    if not COLLECTION_REF.fullmatch(f"{owner_name.lower()}/{own_name}"):
        raise BadInput(
            "A shared collection is named OWNER/NAME: a username, '/', then a collection name."
        )
    found = None
    if reader is not None:
        found = shares_repo.shared_collection(
            session, owner_name=owner_name.lower(), name=own_name, reader=reader
        )
    if found is None:
        raise NotFound(f"No collection '{name}' is shared with you.")
    return found


def check_model(collection: Collection, embedder: Embedder) -> None:
    check_model_named(collection, name=embedder.name, dim=embedder.dim)


def check_model_named(collection: Collection, *, name: str, dim: int) -> None:
    """Raise EmbeddingMismatch unless the collection was embedded with model ``name``."""
    if collection.embedding_model != name or collection.dim != dim:
        raise EmbeddingMismatch(
            f"Collection '{collection.name}' was embedded with {collection.embedding_model} "
            f"({collection.dim} dimensions) but the server now embeds with {name}. "
            f"Run `vega reindex --collection {collection.name}` to re-embed it, or set "
            f"VEGA_EMBEDDING_MODEL={collection.embedding_model}."
        )


def state_of(collection: Collection) -> CollectionState:
    return CollectionState(
        collection.id, collection.embedding_model, collection.dim, collection.version
    )


def fuse(rankings: list[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion: each list adds 1 / (RRF_K + rank) to the ids it ranks."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


class Retriever:
    def __init__(
        self,
        *,
        db: Database,
        embedder: Callable[[], Embedder],
        indexes: CollectionIndexes,
        default_top_k: int,
        max_query_chars: int,
        max_top_k: int = MAX_TOP_K,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._max_top_k = max_top_k
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vega-dense-search")
        self._db = db
        self._embedder = embedder
        self._indexes = indexes
        self._default_top_k = default_top_k
        self._max_query_chars = max_query_chars

    async def search(
        self,
        *,
        owner: int,
        query: str,
        collection: str | None = None,
        top_k: int | None = None,
        mode: SearchMode = "hybrid",
        reader: int | None = None,
    ) -> SearchResult:
        return await anyio.to_thread.run_sync(
            lambda: self.search_sync(
                owner=owner,
                query=query,
                collection=collection,
                top_k=top_k,
                mode=mode,
                reader=reader,
            )
        )

    def search_sync(
        self,
        *,
        owner: int,
        query: str,
        collection: str | None = None,
        top_k: int | None = None,
        mode: SearchMode = "hybrid",
        reader: int | None = None,  # the user asking: collections shared with them are readable
    ) -> SearchResult:
        name = collection or DEFAULT_COLLECTION
        k = self._check(query, top_k, mode)
        started = time.perf_counter()
        depth = max(MIN_DEPTH, 2 * k)
        with self._db.session() as session:
            # The collection first: an unknown one must not cost a model load.
            coll = readable_collection(session, owner=owner, reader=reader, name=name)
            pending = None
            if mode != "lexical":
                embedder = self._embedder()
                check_model(coll, embedder)
                index = self._indexes.current(session, state_of(coll))
                # The model, FAISS and the database all let go of the GIL: embed the query
                # and search the vectors while the lexical search runs, so a hybrid search
                # costs the slower of the two, not their sum. (pgvector searches on a
                # connection of its own, beside this session's.)
                pending = self._pool.submit(
                    lambda: index.search(self._embed(embedder, query), depth)
                )
            lex: list[tuple[int, float]] = []
            if mode != "dense":
                lex = lexical.search(session, collection_id=coll.id, query=query, limit=depth)
            dense = pending.result() if pending is not None else []
            ranked = dense if mode == "dense" else lex if mode == "lexical" else fuse([dense, lex])
            hits = _hits(session, coll.id, ranked, k, dict(dense), dict(lex))
        if self._metrics is not None:
            self._metrics.retrieval_latency.labels(mode=mode).observe(time.perf_counter() - started)
        return SearchResult(query=query, collection=name, mode=mode, hits=hits)

    def _embed(self, embedder: Embedder, query: str) -> Any:
        started = time.perf_counter()
        vector = embedder.embed_batch([query])[0]
        if self._metrics is not None:
            self._metrics.embedding_latency.observe(time.perf_counter() - started)
        return vector

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _check(self, query: str, top_k: int | None, mode: str) -> int:
        if mode not in SEARCH_MODES:
            raise BadInput(f"mode must be one of {', '.join(SEARCH_MODES)}.")
        if not query.strip():
            raise BadInput("The query is empty.")
        if len(query) > self._max_query_chars:
            raise BadInput(f"The query is longer than {self._max_query_chars} characters.")
        k = top_k if top_k is not None else self._default_top_k
        if not 1 <= k <= self._max_top_k:
            raise BadInput(f"top_k must be between 1 and {self._max_top_k}.")
        return k


def _hits(
    session: Session,
    collection_id: str,
    ranked: list[tuple[int, float]],
    k: int,
    dense: dict[int, float],
    lex: dict[int, float],
) -> list[Hit]:
    """The first ``k`` ranked chunks that are still live, read from the database."""
    hits: list[Hit] = []
    window = 2 * k
    for start in range(0, len(ranked), window):
        page = ranked[start : start + window]
        rows = repo.live_chunks(session, collection_id=collection_id, ids=[i for i, _ in page])
        for chunk_id, score in page:
            row = rows.get(chunk_id)
            if row is None:
                continue
            hits.append(
                Hit(
                    rank=len(hits) + 1,
                    score=score,
                    chunk_id=chunk_id,
                    document_id=row.document_id,
                    title=row.title,
                    source_name=row.source_name,
                    location=row.location,
                    start=row.char_start,
                    end=row.char_end,
                    text=row.text,
                    dense=dense.get(chunk_id),
                    lexical=lex.get(chunk_id),
                    url=row.source_url,
                )
            )
            if len(hits) == k:
                return hits
    return hits
