"""Memory: every exchange indexed for recall, per owner, and recalled into later turns.

Indexing runs in the background of the process that stored a reply (``schedule``);
a sweep at a server's start, and every ``SWEEP_S``, indexes whatever a process that
stopped, a CLI chat or an import left behind (``index_pending``): the database says
what is missing (an ok message with no memory row), so nothing is indexed twice and
nothing is lost to a crash. Searching (``search``) reads the owner's memory collection
only: BM25 and vectors of the owner's own memories, never another owner's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vega.errors import BadInput, NotFound
from vega.memory import ranking
from vega.memory.units import Unit, units_of
from vega.rag import lexical
from vega.rag.embed import Embedder
from vega.rag.index import CollectionIndexes
from vega.rag.retrieve import state_of
from vega.store import branches, documents
from vega.store import memories as repo
from vega.store.db import Database
from vega.store.tables import Chunk, Collection

if TYPE_CHECKING:
    from vega.metrics import Metrics

log = logging.getLogger(__name__)
MIN_DEPTH = 100  # each search's candidates (measured on LoCoMo: docs/memory.md)
MAX_DEPTH = 3200
MAX_TOP_K = 100
SWEEP_S = 60.0
SWEEP_BATCH = 200


@dataclass(frozen=True, slots=True)
class Recalled:
    """A memory as a search returns it: ``text`` is the exchange as stored."""

    id: str
    conversation_id: str
    conversation_title: str
    message_ids: list[str]
    text: str
    created: datetime
    score: float
    similarity: float | None = None  # cosine of the question and the memory, when known

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "conversation_title": self.conversation_title,
            "message_ids": self.message_ids,
            "text": self.text,
            "created": self.created.isoformat(),
            "score": round(self.score, 6),
        }


class MemoryService:
    def __init__(
        self,
        *,
        db: Database,
        embedder: Callable[[], Embedder],
        indexes: CollectionIndexes,
        max_query_chars: int,
        enabled: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._embedder = embedder
        self._indexes = indexes
        self._max_query_chars = max_query_chars
        self.enabled = enabled
        self._metrics = metrics
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vega-memory-search")
        self._waiting: set[tuple[int, str]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._refreshed: set[str] = set()

    # -- searching ---------------------------------------------------------------

    async def search(
        self, *, owner: int, query: str, top_k: int, exclude: str | None = None
    ) -> list[Recalled]:
        """The owner's memories best matching ``query``, best first (not in ``exclude``)."""
        if not query.strip():
            raise BadInput("The query is empty.")
        if len(query) > self._max_query_chars:
            raise BadInput(f"The query is longer than {self._max_query_chars} characters.")
        if not 1 <= top_k <= MAX_TOP_K:
            raise BadInput(f"top_k must be between 1 and {MAX_TOP_K}.")
        return await anyio.to_thread.run_sync(
            lambda: self.search_sync(owner=owner, query=query, top_k=top_k, exclude=exclude)
        )

    def search_sync(
        self, *, owner: int, query: str, top_k: int, exclude: str | None = None
    ) -> list[Recalled]:
        with self._db.session() as session:
            coll = repo.collection(session, owner=owner)
            if coll is None:
                return []
            index, vector = None, None
            embedder = self._embedder()
            if coll.embedding_model == embedder.name and coll.dim == embedder.dim:
                index = self._indexes.current(session, state_of(coll))
                # The query's vector is made beside the first BM25 search.
                vector = self._pool.submit(lambda: embedder.embed_batch([query])[0])
            else:  # embedded by another model: BM25 alone until `vega reindex`
                log.warning(
                    "memories of owner %s were embedded with %s; run `vega reindex` "
                    "to search them by meaning again",
                    owner,
                    coll.embedding_model,
                )
            # Deeper when what is left out (the turn's own conversation, deleted ones)
            # took the places: a long conversation can fill the first hundreds.
            depth = max(MIN_DEPTH, 4 * top_k)
            while True:
                lex = lexical.search(
                    session, collection_id=coll.id, query=query, limit=depth, skip_common=True
                )
                dense = index.search(vector.result(), depth) if index and vector else []
                ids = {i for i, _ in dense} | {i for i, _ in lex}
                rows = repo.found(session, owner=owner, chunk_ids=sorted(ids), exclude=exclude)
                exhausted = len(lex) < depth and (index is None or len(dense) < depth)
                if len(rows) >= top_k or exhausted or depth >= MAX_DEPTH:
                    break
                depth = min(MAX_DEPTH, depth * 8)
            ranked = ranking.rank(dense, lex, live=rows.keys())[:top_k]
            wanted = [m for cid, _ in ranked for m in rows[cid].message_ids]
            texts = repo.contents(session, owner=owner, message_ids=wanted)
        similar, dense_ran = dict(dense), index is not None
        out = []
        for chunk_id, score in ranked:
            row = rows[chunk_id]
            text = "\n\n".join(texts[m].content for m in row.message_ids if m in texts)
            out.append(
                Recalled(
                    id=row.id,
                    conversation_id=row.conversation_id,
                    conversation_title=row.conversation_title,
                    message_ids=row.message_ids,
                    text=text,
                    created=row.created,
                    score=score,
                    # Below any threshold when the vector search ran and did not find it.
                    similarity=similar.get(chunk_id, -1.0) if dense_ran else None,
                )
            )
        return out

    async def recall(
        self, *, owner: int, query: str, top_k: int, exclude: str | None, min_similarity: float
    ) -> list[Recalled]:
        """What a turn is given: the best memories close enough in meaning to the question
        (all of the best, when vectors are unavailable). Never fails a turn."""
        if top_k <= 0 or not query.strip():
            return []
        try:
            found = await anyio.to_thread.run_sync(
                lambda: self.search_sync(
                    owner=owner, query=query[: self._max_query_chars], top_k=top_k, exclude=exclude
                )
            )
        except Exception:  # recall is a help: a turn answers without it
            log.exception("recall failed; the turn goes on without memories")
            return []
        return [m for m in found if m.similarity is None or m.similarity >= min_similarity]

    async def count(self, owner: int) -> int:
        return await self._db.run(lambda s: repo.count(s, owner=owner))

    async def pending_count(self, owner: int) -> int:
        """The owner's messages waiting to be indexed (0 when memory is off)."""
        if not self.enabled:
            return 0
        return await self._db.run(lambda s: repo.pending_count(s, owner=owner))

    # -- forgetting --------------------------------------------------------------

    async def forget(self, *, owner: int, memory_id: str) -> None:
        def write(session: Session) -> str | None:
            memory = repo.get_owned(session, owner=owner, memory_id=memory_id)
            if memory is None:
                raise NotFound(f"No memory '{memory_id}'.")
            repo.forget(session, memory=memory)
            coll = repo.collection(session, owner=owner)
            return coll.id if coll else None

        collection_id = await self._db.write(write)
        if collection_id is not None:
            await anyio.to_thread.run_sync(self._indexes.refresh, self._db, collection_id)

    async def forget_all(self, *, owner: int) -> int:
        def write(session: Session) -> tuple[int, str | None]:
            gone = repo.forget_all(session, owner=owner)
            coll = repo.collection(session, owner=owner)
            return gone, coll.id if coll else None

        gone, collection_id = await self._db.write(write)
        if collection_id is not None:
            await anyio.to_thread.run_sync(self._indexes.refresh, self._db, collection_id)
        return gone

    # -- indexing ----------------------------------------------------------------

    async def index_conversation(self, owner: int, conversation_id: str) -> int:
        """Index what the conversation has that is not yet remembered; how many memories."""
        return await anyio.to_thread.run_sync(self.index_conversation_sync, owner, conversation_id)

    def index_conversation_sync(self, owner: int, conversation_id: str) -> int:
        def read(session: Session) -> list[Unit]:
            messages = repo.live_messages(session, owner=owner, conversation_id=conversation_id)
            known = repo.indexed(session, owner=owner, conversation_id=conversation_id)
            return units_of(messages, indexed=known)

        units = self._db.read_sync(read)
        if not units:
            return 0
        embedder = self._embedder()
        started = time.perf_counter()
        matrix = embedder.embed_batch([u.dense for u in units])
        if self._metrics is not None:
            self._metrics.embedding_latency.observe(time.perf_counter() - started)
        try:
            collection_id = self._db.write_sync(
                lambda session: self._store(
                    session, owner, conversation_id, units, matrix, embedder
                )
            )
        except IntegrityError:  # two processes indexed the same message: one won
            log.debug("memories of %s were indexed by another process", conversation_id)
            return 0
        if collection_id is None:
            return 0
        if collection_id not in self._refreshed:
            # Once per process: pgvector builds the collection's graph if it has none
            # (then keeps it up to date by itself); FAISS catches up before each search
            # anyway, and saving its file after every conversation cost more than the
            # embedding (an import of many conversations ran at 10 messages a second).
            self._indexes.refresh(self._db, collection_id)
            self._refreshed.add(collection_id)
        return len(units)

    def _store(
        self,
        session: Session,
        owner: int,
        conversation_id: str,
        units: list[Unit],
        matrix: Any,
        embedder: Embedder,
    ) -> str | None:
        """Write the units' passages and memory rows (skipping any another process wrote
        meanwhile); the memory collection's id, or None when it is embedded by another model.
        A memory indexed again gets a new passage (a new chunk: a FAISS index tells
        passages by id, and would keep the old vector under an id it already holds)."""
        # The conversation first, as a change of its branches takes it (vega.store.branches).
        branches.lock(session, owner=owner, conversation_id=conversation_id)
        coll, doc, created = repo.claim(session, owner=owner, model=embedder.name, dim=embedder.dim)
        if created:
            lexical.create(session, collection_id=coll.id)
        elif coll.embedding_model != embedder.name or coll.dim != embedder.dim:
            log.warning(
                "memories of owner %s are embedded with %s: not indexing more until `vega reindex`",
                owner,
                coll.embedding_model,
            )
            return None
        now = repo.indexed(session, owner=owner, conversation_id=conversation_id)
        dropped: list[int] = []
        for i, unit in enumerate(units):
            if now.get(unit.anchor_id) != unit.replaces:  # another process got there first
                continue
            chunk = Chunk(
                document_id=doc.id,
                collection_id=coll.id,
                index=unit.position,
                text=unit.lexical,
                char_start=0,
                char_end=len(unit.lexical),
                location=None,
                embedding=matrix[i].tobytes(),
            )
            session.add(chunk)
            session.flush()
            if unit.replaces is None:
                repo.add(
                    session,
                    owner=owner,
                    conversation_id=conversation_id,
                    anchor_id=unit.anchor_id,
                    message_ids=unit.message_ids,
                    created=unit.created,
                    chunk_id=chunk.id,
                    following=unit.following,
                )
            else:
                old = repo.repoint(
                    session,
                    memory_id=unit.replaces.memory_id,
                    chunk_id=chunk.id,
                    following=unit.following,
                )
                if old is not None:
                    dropped.append(old)
        repo.drop_chunks(session, dropped, None)
        documents.bump_version(session, collection_id=coll.id)
        return coll.id

    def rebuild_sync(self, coll: Collection) -> int:
        """Every memory of the collection's owner indexed again with the current embedder
        (`vega reindex` after the model changed); forgotten ones stay forgotten. Not one
        transaction: what a crash leaves unindexed, the sweep indexes."""
        embedder = self._embedder()

        def reset(session: Session) -> list[str]:
            repo.reset(session, collection_id=coll.id, owner=coll.owner)
            fresh = session.get(Collection, coll.id)
            assert fresh is not None
            fresh.embedding_model, fresh.dim = embedder.name, embedder.dim
            documents.bump_version(session, collection_id=coll.id)
            return repo.conversations_of(session, owner=coll.owner)

        self._indexes.before_reembed(self._db, coll.id)
        conversations = self._db.write_sync(reset)
        return sum(self.index_conversation_sync(coll.owner, c) for c in conversations)

    async def index_pending(self, *, limit: int = SWEEP_BATCH) -> int:
        """Index conversations left unindexed (a sweep); how many memories were added."""
        found = await self._db.run(lambda s: repo.pending(s, limit=limit))
        added = 0
        for owner, conversation_id in found:
            added += await self.index_conversation(owner, conversation_id)
        return added

    def schedule(self, owner: int, conversation_id: str) -> None:
        """Index the conversation soon, in this process's background."""
        if not self.enabled:
            return
        self._waiting.add((owner, conversation_id))
        if self._worker is None or self._worker.done():
            try:
                self._worker = asyncio.get_running_loop().create_task(self._drain())
            except RuntimeError:  # no loop (a synchronous caller): the sweep will do it
                return

    async def _drain(self) -> None:
        while self._waiting:
            owner, conversation_id = self._waiting.pop()
            try:
                await self.index_conversation(owner, conversation_id)
            except Exception:  # background work: logged, and the next sweep retries
                log.exception("indexing the memories of a conversation failed")

    async def idle(self, timeout_s: float = 30.0) -> None:
        """Wait until what was scheduled is indexed (tests, shutdown)."""
        if self._worker is not None and not self._worker.done():
            await asyncio.wait({self._worker}, timeout=timeout_s)

    async def sweep_forever(self) -> None:
        """A server's housekeeping: index what is pending now, then every ``SWEEP_S``."""
        while True:
            try:
                while await self.index_pending() > 0:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # housekeeping must never take the server down
                log.exception("the memory sweep failed")
            await asyncio.sleep(SWEEP_S)

    async def aclose(self) -> None:
        await self.idle(timeout_s=5.0)
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
            with suppress(asyncio.CancelledError):
                await self._worker
        self._pool.shutdown(wait=False, cancel_futures=True)
