"""Vector indexes: how a process searches each collection's vectors.

The database is the source of truth (DESIGN.md principle 1): every chunk row holds its
vector. ``CollectionIndexes`` is the one contract the retriever, the ingest and
``vega reindex`` use, whatever does the searching; ``vega.runtime.build`` picks one by
``VEGA_VECTOR_INDEX`` (``auto``: pgvector on Postgres, FAISS on SQLite):

- ``VectorIndexes`` (here): FAISS, a derived cache per process, in memory and in
  ``<data_dir>/indexes/``, caught up from the database before each use;
- ``PgvectorIndexes`` (``vega.rag.pgvector_index``): HNSW indexes inside Postgres,
  which every worker and host shares; nothing to catch up, no file.

The FAISS cache keeps one index per collection and, before each use, compares the
collection's ``version`` (bumped with every change to its chunks, by any process) with
the version the index covers. When they differ it diffs chunk labels against the
database and adds or removes only what changed, so a document added by the CLI is
searchable in the server on its next query, and a deleted or half-written index file
costs a rebuild, never data.

A label is a chunk id with a fingerprint of the chunk's document above it (see
``label_of``). SQLite hands a deleted row's id to the next insert when that row had
the highest id (``chunks`` has no AUTOINCREMENT), so after "delete the newest
document, add another" the same ids name other chunks. Diffing bare ids kept the
deleted chunks' vectors under the new chunks' ids whenever no catch-up ran between
the delete and the add: another process did both, this process did both before its
next search, or the process was killed with the old vectors in its saved file. A
search then returned the wrong passages, and missed the new ones, for good.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from vega.private import FILE_MODE, private_dir
from vega.store import documents as repo
from vega.store.db import Database
from vega.store.tables import Collection

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]
    Ids = npt.NDArray[np.int64]

log = logging.getLogger(__name__)
FETCH_BATCH = 5000
ID_BITS = 32  # chunk ids below 2**32; the document's fingerprint takes the 31 bits above
ID_MASK = (1 << ID_BITS) - 1


def label_of(chunk_id: int, document_id: str) -> int:
    """The index label of a chunk: its id, and a fingerprint of its document above it.

    A reused chunk id (see the module docstring) gets a new label unless the new
    chunk belongs to the same document, and a document's chunks are only ever
    written once (``replace_chunks`` on a new document, or on a failed one that has
    none), so an unchanged label means an unchanged vector. A positive int64, as FAISS
    wants; a file saved with bare ids is rebuilt once, on its first catch-up.
    """
    if not 0 <= chunk_id <= ID_MASK:
        raise ValueError(f"chunk id {chunk_id} does not fit in {ID_BITS} bits")
    fingerprint = zlib.crc32(document_id.encode()) & 0x7FFFFFFF
    return (fingerprint << ID_BITS) | chunk_id


class VectorIndex(ABC):
    """One collection's vectors: nearest neighbours by cosine similarity (unit vectors)."""

    @abstractmethod
    def search(self, vector: Vectors, k: int) -> list[tuple[int, float]]:
        """The ``k`` best ``(chunk_id, cosine similarity)``, best first."""

    @abstractmethod
    def count(self) -> int:
        """How many vectors the index holds."""


class FaissIndex(VectorIndex):
    """Brute-force search over vectors stored as float16 (``IndexScalarQuantizer``).

    A single query scans every vector, so it is bound by memory bandwidth: halving the
    bytes halved the time (100k chunks: 15 ms as float32, 9.5 ms as float16, on this
    2-core machine). Ranking is unchanged in practice (unit vectors, 3 significant
    digits); the database keeps the float32 originals. One OpenMP thread: a query is
    too small to split, and a second team of spinning threads slows the embedder.
    OpenMP's thread count is a per-thread setting, so every calling thread sets it:
    set once at construction, searches from pool threads ran two threads that fought
    the embedder (10k chunks: 5.8 ms of CPU instead of 0.5).

    FAISS releases the GIL and is not safe to change while another thread searches
    (``remove_ids`` compacts the arrays a search is reading: a segfault). Searches run
    on worker threads while a catch-up adds or removes chunks, so every call holds a lock.
    """

    def __init__(self, dim: int, raw: Any = None) -> None:
        import faiss

        self._faiss = faiss
        faiss.omp_set_num_threads(1)
        self.dim = dim
        if raw is None:
            quantizer = faiss.ScalarQuantizer.QT_fp16
            flat = faiss.IndexScalarQuantizer(dim, quantizer, faiss.METRIC_INNER_PRODUCT)
            raw = faiss.IndexIDMap2(flat)
        self._index = raw
        self._lock = threading.Lock()

    def add(self, labels: Ids, vectors: Vectors) -> None:
        if len(labels):
            with self._lock:
                self._faiss.omp_set_num_threads(1)
                self._index.add_with_ids(vectors, labels)

    def search(self, vector: Vectors, k: int) -> list[tuple[int, float]]:
        with self._lock:
            self._faiss.omp_set_num_threads(1)
            n = self._index.ntotal
            if n == 0 or k <= 0:
                return []
            scores, labels = self._index.search(vector.reshape(1, -1), min(k, n))
        return [
            (int(i) & ID_MASK, float(s))
            for i, s in zip(labels[0], scores[0], strict=True)
            if i >= 0
        ]

    def remove(self, labels: Ids) -> None:
        if len(labels):
            with self._lock:
                self._index.remove_ids(labels)

    def ids(self) -> Ids:
        """The chunk ids held (labels without their document fingerprint)."""
        return self.labels() & ID_MASK

    def labels(self) -> Ids:
        import faiss
        import numpy as np

        with self._lock:
            return np.asarray(faiss.vector_to_array(self._index.id_map), dtype=np.int64)

    def count(self) -> int:
        with self._lock:
            return int(self._index.ntotal)

    def save(self, path: Path) -> None:
        import faiss

        with self._lock:
            faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, dim: int) -> FaissIndex:
        import faiss

        raw = faiss.read_index(str(path))
        if raw.d != dim:
            raise ValueError(f"index has {raw.d} dimensions, expected {dim}")
        return cls(dim, raw)


@dataclass
class _Slot:
    index: FaissIndex
    model: str
    version: int
    dirty: bool = False


@dataclass(frozen=True, slots=True)
class CollectionState:
    """What the database says about a collection right now."""

    id: str
    embedding_model: str
    dim: int
    version: int


class CollectionIndexes(ABC):
    """Where a process finds each collection's vector index, and what keeps it current.

    The hooks around writes let an implementation prepare for them (pgvector drops a
    graph that a big write would make slow, or that new vectors of another size would
    not fit); FAISS needs none of them: it catches up by itself before each use.
    """

    @abstractmethod
    def current(self, session: Session, state: CollectionState) -> VectorIndex:
        """The collection's index, ready to search (call from a worker thread)."""

    @abstractmethod
    def refresh(self, db: Database, collection_id: str) -> None:
        """After the collection's chunks changed here: bring its index up to date, keep it."""

    @abstractmethod
    def rebuild(self, db: Database, collection_id: str) -> int:
        """`vega reindex`: the index built again from the stored vectors; how many it holds."""

    @abstractmethod
    def before_write(self, db: Database, collection_id: str, chunks: int) -> None:
        """About to add ``chunks`` chunks to the collection (outside any transaction)."""

    @abstractmethod
    def before_reembed(self, db: Database, collection_id: str) -> None:
        """About to replace every vector of the collection (outside any transaction)."""

    @abstractmethod
    def reembedding(self, session: Session, collection_id: str) -> None:
        """Inside the transaction that replaces every vector of the collection."""

    def reconcile(self, db: Database, collection_ids: Sequence[str]) -> None:
        """At a server's start: every collection's index up to date."""
        for collection_id in collection_ids:
            self.refresh(db, collection_id)

    @abstractmethod
    def flush(self, collection_ids: Sequence[str] | None = None) -> None:
        """Write what is held in memory to disk (at shutdown)."""


class VectorIndexes(CollectionIndexes):
    """One FAISS index per collection, kept in step with the database."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._slots: dict[str, _Slot] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, collection_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(collection_id, threading.Lock())

    def _paths(self, collection_id: str) -> tuple[Path, Path]:
        return self._dir / f"{collection_id}.faiss", self._dir / f"{collection_id}.json"

    def current(self, session: Session, state: CollectionState) -> FaissIndex:
        """The collection's index, caught up with the database (call from a worker thread)."""
        with self._lock(state.id):
            slot = self._slots.get(state.id)
            if slot is None or slot.model != state.embedding_model or slot.index.dim != state.dim:
                slot = self._load(state)
                self._slots[state.id] = slot
            if slot.version != state.version:
                self._catch_up(session, slot, state)
            return slot.index

    def _load(self, state: CollectionState) -> _Slot:
        data, meta = self._paths(state.id)
        try:
            info = json.loads(meta.read_text())
            if (
                info.get("embedding_model") == state.embedding_model
                and info.get("dim") == state.dim
            ):
                index = FaissIndex.load(data, state.dim)
                # The file's version label is not trusted: two processes flushing at once
                # can leave one's vectors under the other's label (data and meta are two
                # files). Version -1 makes the first use diff ids against the database once.
                return _Slot(index, state.embedding_model, -1)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError, RuntimeError) as exc:
            # a torn or foreign file: rebuild
            log.warning("index for collection %s is unreadable (%s); rebuilding", state.id, exc)
        return _Slot(FaissIndex(state.dim), state.embedding_model, -1, dirty=True)

    def _catch_up(self, session: Session, slot: _Slot, state: CollectionState) -> None:
        import numpy as np

        rows = repo.chunk_documents(session, collection_id=state.id)
        wanted = np.asarray([label_of(i, d) for i, d in rows], dtype=np.int64)
        held = slot.index.labels()
        stale = np.setdiff1d(held, wanted, assume_unique=True)
        missing = np.setdiff1d(wanted, held, assume_unique=True)
        slot.index.remove(stale)
        for start in range(0, len(missing), FETCH_BATCH):
            batch = {
                int(label) & ID_MASK: int(label) for label in missing[start : start + FETCH_BATCH]
            }
            # Only the vector of the chunk the label names: were its id reused since the
            # labels were read, the next catch-up (the version moved) adds the new one.
            found = [
                (batch[i], e)
                for i, d, e in repo.chunk_vectors(session, ids=list(batch))
                if label_of(i, d) == batch[i]
            ]
            labels = np.asarray([label for label, _ in found], dtype=np.int64)
            vectors = np.frombuffer(b"".join(e for _, e in found), dtype=np.float32)
            slot.index.add(labels, vectors.reshape(len(found), state.dim))
        slot.version = state.version
        slot.dirty = slot.dirty or bool(len(stale) or len(missing))
        if len(stale) or len(missing):
            log.info(
                "index %s caught up: +%d -%d chunks (version %d)",
                state.id,
                len(missing),
                len(stale),
                state.version,
            )

    def flush(self, collection_ids: Sequence[str] | None = None) -> None:
        """Write changed indexes to disk, atomically (a crash leaves the old file or the new)."""
        private_dir(self._dir)
        for collection_id in list(collection_ids or self._slots):
            slot = self._slots.get(collection_id)
            if slot is None or not slot.dirty:
                continue
            with self._lock(collection_id):
                data, meta = self._paths(collection_id)
                info = {"embedding_model": slot.model, "dim": slot.index.dim}
                info |= {"version": slot.version, "chunks": slot.index.count()}
                _atomic_write(data, slot.index.save)
                _atomic_write(meta, partial(_write_json, data=info))
                slot.dirty = False

    def refresh(self, db: Database, collection_id: str) -> None:
        """Catch up and save, so a restart loads the index warm."""
        self._catch_up_from(db, collection_id)
        self.flush([collection_id])

    def rebuild(self, db: Database, collection_id: str) -> int:
        """Drop the file and the memory copy, then build from the stored vectors."""
        self.forget(collection_id)
        index = self._catch_up_from(db, collection_id)
        self.flush([collection_id])
        return index.count() if index is not None else 0

    def _catch_up_from(self, db: Database, collection_id: str) -> FaissIndex | None:
        def catch_up(session: Session) -> FaissIndex | None:
            coll = session.get(Collection, collection_id)
            if coll is None:
                return None
            state = CollectionState(coll.id, coll.embedding_model, coll.dim, coll.version)
            return self.current(session, state)

        return db.read_sync(catch_up)

    def before_write(self, db: Database, collection_id: str, chunks: int) -> None:
        return None  # the next catch-up adds whatever was written

    def before_reembed(self, db: Database, collection_id: str) -> None:
        return None  # rebuild() builds the index again, for the new dimension

    def reembedding(self, session: Session, collection_id: str) -> None:
        return None

    def forget(self, collection_id: str) -> None:
        """Drop the cached index (memory and disk); the next use rebuilds it from the database."""
        with self._lock(collection_id):
            self._slots.pop(collection_id, None)
            for path in self._paths(collection_id):
                path.unlink(missing_ok=True)


def _write_json(path: Path, *, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data))


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        tmp.chmod(FILE_MODE)  # FAISS writes with the umask's mode; vectors are the documents'
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
