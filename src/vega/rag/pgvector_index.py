"""Vector search inside Postgres: one pgvector HNSW index per collection, shared by every worker.

On Postgres the chunks' embeddings live in one ``vector`` column of no fixed size
(``vega.store.vector_column``), so collections embedded by models of different sizes
share the table. An HNSW index needs one size, so each collection gets its own
partial index on a cast expression::

    CREATE INDEX chunks_hnsw_<collection id hex> ON chunks
        USING hnsw ((embedding::vector(384)) vector_cosine_ops) WITH (m = 16, ef_construction = 64)
        WHERE collection_id = '<collection id>'

and a search uses the same expression and predicate, so the planner takes that index
(``explain`` shows it; the collection id and the size are written into the SQL, never
bound, so that every plan can prove the predicate). One graph per collection is also
what keeps a filtered search's recall: pgvector 0.6 applies a ``WHERE`` after the HNSW
scan, so with one shared graph a search in a 500-chunk collection beside a
100,000-chunk one would walk ``ef_search`` candidates of the big one and keep the few
that belong to the small one. Here the graph holds only the collection's own chunks.

There is nothing to catch up: the index is the database's, changed in the same
transaction as the rows, seen by every worker and host at once; no FAISS file is built
or read. What remains to manage is when an index is built:

- **after an ingest** (``refresh``) and at ``vega serve``'s start (the same call per
  collection): a collection that has no valid index gets one. A partial index is
  maintained on every insert, and an HNSW insert is slow: 3 ms a 384-dimension chunk
  here, against 0.3 ms a chunk to build the graph over rows already there. So
  ``before_write`` drops the index before a write that adds at least a quarter of the
  collection (and ``BULK_MIN_CHUNKS``), and ``refresh`` builds it again after: SciFact's
  10k chunks cost 31 s of inserts into the graph, 3 s as one build. Meanwhile searches
  scan the collection exactly (slower, never wrong);
- **by ``vega reindex``** (``rebuild``): dropped and built again with the current
  ``VEGA_HNSW_M`` / ``VEGA_HNSW_EF_CONSTRUCTION`` (changing them needs this: an index
  keeps the parameters it was built with), and when re-embedding changes a collection's
  size (``before_reembed``: the old size's index would refuse the new vectors).

Builds and drops run ``CONCURRENTLY`` on a connection of their own: other users'
uploads are not held up while a graph is built (a plain ``CREATE INDEX`` blocks every
write to ``chunks``), and nobody's search waits for a drop. A build interrupted by a
crash leaves an invalid index, which the next ``refresh`` replaces. Two processes that
build the same index at once: one wins, the other's error is logged and ignored.

``ef_search`` (``VEGA_HNSW_EF_SEARCH``) is set per query, raised to the depth asked for
(an HNSW scan returns at most ``ef_search`` rows), within pgvector's limit of 1000.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, TextClause, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from vega.rag.index import CollectionIndexes, CollectionState, VectorIndex
from vega.store import documents as repo
from vega.store.db import Database
from vega.store.tables import Collection
from vega.store.vector_column import to_text

if TYPE_CHECKING:
    from vega.rag.index import Vectors
    from vega.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "chunks_hnsw_"
MAX_EF_SEARCH = 1000  # pgvector's limit for hnsw.ef_search
BULK_MIN_CHUNKS = 256  # smaller writes go into the graph as they are
BULK_SHARE = 4  # a write of at least 1/4 of the collection (after it) rebuilds instead
BUILD_MEMORY = "256MB"  # maintenance_work_mem of a build: a graph that fits builds ~3x faster
_GENERATED_ID = re.compile(r"^[0-9a-f-]{8,64}$")
_DIM = re.compile(r"::vector\((\d+)\)")


@dataclass(frozen=True, slots=True)
class HnswParams:
    """The HNSW settings: links per node and candidate lists while building and searching."""

    m: int = 16
    ef_construction: int = 64
    ef_search: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> HnswParams:
        return cls(settings.hnsw_m, settings.hnsw_ef_construction, settings.hnsw_ef_search)

    @classmethod
    def defaults(cls) -> HnswParams:
        """The settings' defaults (what a migration builds with: it has no settings)."""
        from vega.settings import Settings

        fields = Settings.model_fields
        return cls(
            int(fields["hnsw_m"].default),
            int(fields["hnsw_ef_construction"].default),
            int(fields["hnsw_ef_search"].default),
        )


def _checked(collection_id: str) -> str:
    # The id is written into DDL and queries (see the module docstring): generated ids only.
    if not _GENERATED_ID.match(collection_id):
        raise ValueError(f"not a generated collection id: {collection_id!r}")
    return collection_id


def index_name(collection_id: str) -> str:
    return PREFIX + _checked(collection_id).replace("-", "")


def create_sql(
    collection_id: str, dim: int, params: HnswParams, *, concurrently: bool = False
) -> str:
    """The DDL of a collection's index (the search below uses the same expression)."""
    how = "CONCURRENTLY " if concurrently else ""
    return (
        f"CREATE INDEX {how}IF NOT EXISTS {index_name(collection_id)} ON chunks "
        f"USING hnsw ((embedding::vector({int(dim)})) vector_cosine_ops) "
        f"WITH (m = {int(params.m)}, ef_construction = {int(params.ef_construction)}) "
        f"WHERE collection_id = '{_checked(collection_id)}'"
    )


def drop_sql(collection_id: str, *, concurrently: bool = False) -> str:
    how = "CONCURRENTLY " if concurrently else ""
    return f"DROP INDEX {how}IF EXISTS {index_name(collection_id)}"


@cache
def search_sql(collection_id: str, dim: int) -> TextClause:
    """Nearest chunks of one collection by cosine distance, on its index's expression."""
    cid, d = _checked(collection_id), int(dim)
    return text(
        f"SELECT id, (embedding::vector({d})) <=> CAST(:query AS vector({d})) AS distance "  # noqa: S608  # nosec B608 (a checked id and an int)
        f"FROM chunks WHERE collection_id = '{cid}' ORDER BY distance LIMIT :k"
    )


@dataclass(frozen=True, slots=True)
class BuiltIndex:
    """What the catalog says about one collection's index."""

    collection_hex: str
    valid: bool
    dim: int | None
    options: frozenset[str]  # e.g. {"m=16", "ef_construction=64"}

    def fits(self, dim: int, params: HnswParams | None = None) -> bool:
        """Valid, of this size and (when given) built with these parameters."""
        if not self.valid or self.dim != dim:
            return False
        return params is None or self.options == _options(params)


def _options(params: HnswParams) -> frozenset[str]:
    return frozenset({f"m={params.m}", f"ef_construction={params.ef_construction}"})


_CATALOG = text(
    "SELECT c.relname, i.indisvalid, c.reloptions, pg_get_indexdef(c.oid) "
    "FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
    "WHERE c.relkind = 'i' AND c.relname LIKE 'chunks\\_hnsw\\_%'"
)


def built_indexes(conn: Connection | Session) -> dict[str, BuiltIndex]:
    """Every collection index in the database, by the collection id's hex digits."""
    out = {}
    for name, valid, options, definition in conn.execute(_CATALOG):
        size = _DIM.search(definition)
        hex_id = name.removeprefix(PREFIX)
        out[hex_id] = BuiltIndex(
            hex_id, bool(valid), int(size.group(1)) if size else None, frozenset(options or ())
        )
    return out


def _hex(collection_id: str) -> str:
    return collection_id.replace("-", "")


class PgvectorIndex(VectorIndex):
    """One collection's vectors, searched by Postgres (each search on a connection of its own)."""

    def __init__(
        self, db: Database, state: CollectionState, params: HnswParams, *, exact: bool = False
    ) -> None:
        self._db = db
        self._state = state
        self._params = params
        self._exact = exact

    def search(self, vector: Vectors, k: int) -> list[tuple[int, float]]:
        if k <= 0:
            return []
        query = search_sql(self._state.id, self._state.dim)
        ef_search = min(MAX_EF_SEARCH, max(self._params.ef_search, k))
        blob = vector.astype("float32").tobytes()

        def run(session: Session) -> list[tuple[int, float]]:
            # Local to this read's transaction, which ends with it.
            session.execute(
                text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": str(ef_search)}
            )
            if self._exact:  # the reference: a scan of every chunk of the collection
                session.execute(text("SET LOCAL enable_indexscan = off"))
            rows = session.execute(query, {"query": to_text(blob), "k": k})
            return [(int(i), 1.0 - float(d)) for i, d in rows]

        return self._db.read_sync(run)

    def count(self) -> int:
        return self._db.read_sync(lambda s: repo.count_chunks(s, collection_id=self._state.id))

    def exact(self) -> PgvectorIndex:
        """The same collection searched without its index: what recall is measured against."""
        return PgvectorIndex(self._db, self._state, self._params, exact=True)


class PgvectorIndexes(CollectionIndexes):
    """Every collection's HNSW index in Postgres: nothing held in the process but settings."""

    def __init__(self, db: Database, params: HnswParams) -> None:
        if db.dialect != "postgresql":
            raise ValueError("pgvector indexes need Postgres")
        self._db = db
        self.params = params

    def current(self, session: Session, state: CollectionState) -> PgvectorIndex:
        return PgvectorIndex(self._db, state, self.params)

    def refresh(self, db: Database, collection_id: str) -> None:
        """Build the collection's index if it has none that is valid and of its size."""
        state = self._state(collection_id)
        if state is None:
            return
        built = self._db.read_sync(built_indexes).get(_hex(collection_id))
        if built is not None and built.fits(state.dim):
            return
        if built is not None:  # invalid (an interrupted build), or of another size
            self._ddl(drop_sql(collection_id, concurrently=True))
        self._build(state)

    def rebuild(self, db: Database, collection_id: str) -> int:
        """Drop and build again with the current parameters (``vega reindex``)."""
        state = self._state(collection_id)
        if state is None:
            return 0
        self._ddl(drop_sql(collection_id, concurrently=True))
        self._build(state)
        return self._count(collection_id)

    def before_write(self, db: Database, collection_id: str, chunks: int) -> None:
        """Before adding ``chunks``: drop the index when building it again is cheaper."""
        if chunks < BULK_MIN_CHUNKS:
            return
        existing = self._count(collection_id)
        if chunks * BULK_SHARE >= existing + chunks:
            self._ddl(drop_sql(collection_id, concurrently=True))

    def before_reembed(self, db: Database, collection_id: str) -> None:
        self._ddl(drop_sql(collection_id, concurrently=True))

    def reembedding(self, session: Session, collection_id: str) -> None:
        # In the re-embedding's own transaction, should another process have built the
        # old size's index since ``before_reembed``; a no-op (and no lock) otherwise.
        session.execute(text(drop_sql(collection_id)))

    def reconcile(self, db: Database, collection_ids: Sequence[str]) -> None:
        """Build what is missing, and drop the indexes of collections that are gone.

        The indexes are listed before the collections: an index is only built for a
        collection that exists, so one whose collection is missing from the later list
        belongs to a collection deleted since (ids are never reused).
        """
        built = set(self._db.read_sync(built_indexes))
        existing = {_hex(c.id) for c in self._db.read_sync(repo.list_collections)}
        for hex_id in built - existing:
            self._ddl(f"DROP INDEX CONCURRENTLY IF EXISTS {PREFIX}{hex_id}")
        for collection_id in collection_ids:
            self.refresh(db, collection_id)

    def flush(self, collection_ids: Sequence[str] | None = None) -> None:
        return None  # nothing is held in the process

    # -- helpers ---------------------------------------------------------------------

    def _state(self, collection_id: str) -> CollectionState | None:
        def read(session: Session) -> CollectionState | None:
            coll = session.get(Collection, collection_id)
            if coll is None:
                return None
            return CollectionState(coll.id, coll.embedding_model, coll.dim, coll.version)

        return self._db.read_sync(read)

    def _count(self, collection_id: str) -> int:
        return self._db.read_sync(lambda s: repo.count_chunks(s, collection_id=collection_id))

    def _build(self, state: CollectionState) -> None:
        self._ddl(create_sql(state.id, state.dim, self.params, concurrently=True))
        # Fresh statistics, so the planner knows how big the collection now is: with
        # none, it may think an index scan dearer than reading a "small" collection.
        self._ddl("ANALYZE chunks")

    def _ddl(self, statement: str) -> None:
        """A ``CONCURRENTLY`` statement: outside any transaction, with no statement timeout."""
        try:
            with self._autocommit() as conn:
                conn.execute(text(statement))
        except DBAPIError as exc:  # e.g. another process builds the same index right now
            log.warning("vector index statement failed (%s): %s", statement.split(" ON ")[0], exc)

    @contextmanager
    def _autocommit(self) -> Iterator[Connection]:
        with self._db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("SET statement_timeout = 0"))
            conn.execute(text(f"SET maintenance_work_mem = '{BUILD_MEMORY}'"))
            try:
                yield conn
            finally:
                # Back to what the pool set up (the session's defaults), for its next user.
                conn.execute(text("RESET statement_timeout"))
                conn.execute(text("RESET maintenance_work_mem"))


def create_all(conn: Connection, params: HnswParams) -> None:
    """Every collection's index, in a migration's transaction (no ``CONCURRENTLY`` there)."""
    rows: Any = conn.execute(text("SELECT id, dim FROM collections"))
    for collection_id, dim in rows:
        conn.execute(text(create_sql(collection_id, dim, params)))


def build_indexes(db: Database, params: HnswParams) -> None:
    """Every collection's index, built where missing, and those of gone collections
    dropped: for rows that arrived without Vega's ingest (`vega db copy`), after them."""
    collections = db.read_sync(repo.list_collections)
    PgvectorIndexes(db, params).reconcile(db, [c.id for c in collections])
