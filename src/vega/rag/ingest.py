"""Ingest: file → stored original → text → chunks → vectors → database → index.

The steps that can be repeated safely are split from the one that commits:
``stage`` copies the upload next to its final place while hashing it,
``register`` records the document (or finds the identical one already there),
``prepare`` extracts, chunks and embeds without touching the database, and
``_store`` replaces the document's chunks and marks it ready in one transaction.
A process killed anywhere leaves a ``processing`` document that ``resume`` (run
when ``vega serve`` starts) finishes, with no duplicate chunks.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.orm import Session

from vega.blobs import BlobStore
from vega.errors import NotFound, UnreadableDocument, VegaError
from vega.jobs import JobRunner, Progress
from vega.rag import lexical
from vega.rag.chunk import Piece, chunk_text
from vega.rag.embed import Embedder
from vega.rag.extract import Budget, Extractor, Segment, extract_isolated, kind_of
from vega.rag.index import CollectionIndexes
from vega.rag.retrieve import check_collection_name, check_model, check_model_named
from vega.rag.staging import Staged, stage, staging_dir, stored_folder, stored_path
from vega.rag.views import DocumentView
from vega.store import documents as repo
from vega.store import jobs as job_repo
from vega.store.db import Database
from vega.store.tables import Collection, Document, Job, new_id

if TYPE_CHECKING:
    from vega.rag.embed import Vectors

log = logging.getLogger(__name__)

BACKGROUND_ABOVE_BYTES = 1 << 20  # larger uploads are answered at once with a job id
JOB_KIND = "ingest"
EMBED_BATCH = 64  # also how often a job's progress moves
GROUP_FILES = 256  # documents per shared embedding pass and per transaction
OVERLAP_TOKENS = 32
EXCERPT_CHARS = 300
SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Prepared:
    chunks: list[repo.NewChunk]
    excerpt: str


@dataclass(frozen=True, slots=True)
class _Chunked:
    pieces: list[Piece]
    starts: list[int]
    locations: list[str | None]
    excerpt: str

    def prepared(self, matrix: Vectors) -> Prepared:
        chunks = [
            repo.NewChunk(
                text=piece.text,
                char_start=piece.start,
                char_end=piece.end,
                location=self.locations[bisect_right(self.starts, piece.start) - 1],
                embedding=matrix[i].tobytes(),
            )
            for i, piece in enumerate(self.pieces)
        ]
        return Prepared(chunks=chunks, excerpt=self.excerpt)


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    document: DocumentView
    duplicate: bool = False
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class FileOutcome:
    path: Path
    outcome: IngestOutcome | None = None
    error: VegaError | None = None


def join_segments(segments: list[Segment]) -> tuple[str, list[int], list[str | None]]:
    """The document text, with where each segment starts and what it is called."""
    starts: list[int] = []
    locations: list[str | None] = []
    parts: list[str] = []
    offset = 0
    for segment in segments:
        starts.append(offset)
        locations.append(segment.location)
        parts.append(segment.text)
        offset += len(segment.text) + len(SEPARATOR)
    return SEPARATOR.join(parts), starts, locations


def excerpt_of(text: str) -> str:
    flat = " ".join(text[: EXCERPT_CHARS * 4].split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


class IngestService:
    def __init__(
        self,
        *,
        db: Database,
        embedder: Callable[[], Embedder],
        indexes: CollectionIndexes,
        jobs: JobRunner,
        data_dir: Path,
        blobs: BlobStore,
        budget: Budget,
        readers: Mapping[str, Extractor] | None = None,
    ) -> None:
        self._readers = readers
        self._db = db
        self._embedder = embedder
        self._indexes = indexes
        self._jobs = jobs
        self._data_dir = data_dir
        self._blobs = blobs
        self._budget = budget

    # -- the API and the CLI call these ------------------------------------------

    async def add(
        self,
        *,
        owner: int,
        source: BinaryIO,
        filename: str,
        collection: str | None = None,
        background: bool | None = None,
        progress: Progress | None = None,
    ) -> IngestOutcome:
        """Add one file. Small files are ingested before returning; large ones by a job."""
        name = check_collection_name(collection or "default")
        staged = await anyio.to_thread.run_sync(self.stage, source, filename)
        [(document, duplicate)] = await self._register(owner, name, [staged])
        if duplicate or document.status == "ready":
            return IngestOutcome(document, duplicate=True)
        if background is None:
            background = staged.size > BACKGROUND_ABOVE_BYTES
        if not background:
            return IngestOutcome(await self.process(document.id, progress=progress))
        # The job, its link from the document and (on Postgres) its place in the queue
        # commit together: a crash leaves either all three or none.
        job_id = await self._jobs.submit(
            owner=owner,
            kind=JOB_KIND,
            params={"document_id": document.id},
            alongside=partial(self._attach_job, document_id=document.id),
        )
        return IngestOutcome(document, job_id=job_id)

    async def process(self, document_id: str, *, progress: Progress | None = None) -> DocumentView:
        """Extract, chunk, embed and commit one registered document; idempotent."""
        doc, coll = await self._db.run(lambda s: _load(s, document_id=document_id))
        try:
            prepared = await anyio.to_thread.run_sync(self.prepare, doc, coll, progress)
        except UnreadableDocument as exc:
            reason = exc.message
            await self._db.write(lambda s: _fail(s, document_id, reason))
            raise UnreadableDocument(reason, document_id=document_id) from None
        await self._before_write(coll.id, len(prepared.chunks))
        view = await self._db.write(lambda s: _store(s, doc, prepared))
        await anyio.to_thread.run_sync(self._refresh_index, coll.id)
        return view

    async def resume(self) -> int:
        """Finish documents a stopped process left half-ingested; returns how many.

        Then bring every collection's saved index up to date with the database.
        """
        await self._db.write(_settle_jobs)
        pending = await self._db.run(lambda s: repo.documents_with_status(s, status="processing"))
        for doc in pending:
            log.info("resuming the ingest of document %s", doc.id)
            if doc.job_id:
                await self._jobs.resume(doc.job_id, JOB_KIND, {"document_id": doc.id})
            else:
                try:
                    with suppress(UnreadableDocument):  # recorded as failed
                        await self.process(doc.id)
                except VegaError as exc:  # e.g. its collection needs `vega reindex`: next start
                    log.warning("could not resume document %s: %s", doc.id, exc.message)
        await self._reconcile_indexes()
        return len(pending)

    async def _reconcile_indexes(self) -> None:
        """Catch each saved index up with the database and save it, once, at start.

        A process killed between committing chunks and saving its index (or after a
        search caught its index up in memory only) leaves a file behind the database.
        Searches catch up in memory anyway, but without this the file stayed stale
        until the next ingest or clean stop, and every restart paid the same diff.
        """
        collections = await self._db.run(repo.list_collections)
        ids = [coll.id for coll in collections]
        try:
            await anyio.to_thread.run_sync(self._indexes.reconcile, self._db, ids)
        except Exception:  # housekeeping: the first search catches up (or scans) instead
            log.exception("could not bring the vector indexes up to date")

    # -- steps -------------------------------------------------------------------

    def reads(self, filename: str) -> bool:
        """Whether a file of this name would be read (folders skip the rest)."""
        return kind_of(filename, readers=self._readers) is not None

    def stage(self, source: BinaryIO, filename: str) -> Staged:
        return stage(
            source,
            filename,
            staging_dir=staging_dir(self._data_dir),
            max_bytes=self._budget.max_bytes,
            readers=self._readers,
        )

    async def _register(
        self, owner: int, name: str, staged: Sequence[Staged]
    ) -> list[tuple[DocumentView, bool]]:
        """Record the documents (or find identical ones) in one transaction; True = duplicate."""
        # A new collection records the model's dimension, and reading it loads the model:
        # do that only when needed (re-adding a folder of duplicates loads nothing), and
        # never while holding the database's one writer slot.
        embedder = await anyio.to_thread.run_sync(self._embedder)
        model = embedder.name
        known = await self._db.run(lambda s: repo.get_collection(s, owner=owner, name=name))
        if known is not None and known.embedding_model == model:
            dim = known.dim
        else:
            dim = await anyio.to_thread.run_sync(lambda: embedder.dim)
        try:
            planned = await self._store_originals(known, staged)
            try:
                registered = await self._db.write(
                    lambda s: self._register_in(s, owner, name, staged, planned, model, dim)
                )
            except BaseException:
                await self._forget(key for _, key in planned.values())
                raise
            used = {view.id for view, duplicate in registered if not duplicate}
            await self._forget(key for doc_id, key in planned.values() if doc_id not in used)
            return registered
        finally:
            for item in staged:
                item.path.unlink(missing_ok=True)  # moved into place, or not needed

    async def _store_originals(
        self, known: Collection | None, staged: Sequence[Staged]
    ) -> dict[str, tuple[str, str]]:
        """Put each new original into the blob store before any row names it; returns
        {sha256: (document id, key)}. Bytes the collection keeps already (another copy,
        or a failed try) are not stored again."""
        stored: dict[str, str] = {}
        if known is not None:
            hashes = [item.sha256 for item in staged]
            stored = await self._db.run(
                lambda s: repo.stored_originals(s, collection_id=known.id, hashes=hashes)
            )
        planned: dict[str, tuple[str, str]] = {}
        try:
            for item in staged:
                if item.sha256 in stored:
                    # Kept already; put back if the store lost it (a bucket emptied), so
                    # that adding the bytes again retries a document that failed for it.
                    await anyio.to_thread.run_sync(
                        self._restore_original, stored[item.sha256], item
                    )
                    continue
                if item.sha256 in planned:
                    continue
                document_id = new_id()
                key = stored_path(document_id, item.filename).as_posix()
                await anyio.to_thread.run_sync(
                    partial(self._blobs.put_file, key, item.path, move=True)
                )
                planned[item.sha256] = (document_id, key)
        except BaseException:
            await self._forget(key for _, key in planned.values())
            raise
        return planned

    def _restore_original(self, key: str, item: Staged) -> None:
        if stored_folder(key) is not None and not self._blobs.exists(key):
            log.warning("the original %s was missing from the store: stored again", key)
            self._blobs.put_file(key, item.path)

    async def _forget(self, keys: Iterable[str]) -> None:
        """Delete originals no row came to name (the uploads cleanup catches any left)."""
        for key in list(keys):
            try:
                await anyio.to_thread.run_sync(self._blobs.delete_prefix, _folder(key))
            except VegaError as exc:
                log.warning("could not delete %s: %s", key, exc.message)

    def _register_in(
        self,
        session: Session,
        owner: int,
        name: str,
        staged: Sequence[Staged],
        planned: dict[str, tuple[str, str]],
        model: str,
        dim: int,
    ) -> list[tuple[DocumentView, bool]]:
        coll, created = repo.claim_collection(
            session, owner=owner, name=name, embedding_model=model, dim=dim
        )
        if created:
            lexical.create(session, collection_id=coll.id)
        else:  # refuse before recording a document that could never be processed
            check_model_named(coll, name=model, dim=dim)
        out = []
        for item in staged:
            existing = repo.find_duplicate(session, collection_id=coll.id, sha256=item.sha256)
            if existing is not None:
                out.append((DocumentView.of(existing, coll), True))
                continue
            doc = repo.find_failed(session, collection_id=coll.id, sha256=item.sha256)
            if doc is not None:  # the same bytes failed before: try again in the same row
                repo.set_status(session, document=doc, status="processing")
            else:
                place = planned.get(item.sha256)
                if place is None:  # the copy we saw was deleted since: store it now
                    document_id = new_id()
                    place = (document_id, stored_path(document_id, item.filename).as_posix())
                    self._blobs.put_file(place[1], item.path)
                doc = self._new_document(session, coll, item, *place)
            out.append((DocumentView.of(doc, coll), False))
        return out

    def _new_document(
        self, session: Session, coll: Collection, staged: Staged, document_id: str, key: str
    ) -> Document:
        return repo.add_document(
            session,
            id=document_id,
            collection_id=coll.id,
            title=Path(staged.filename).stem or staged.filename,
            source_name=staged.filename,
            content_type=staged.kind,
            sha256=staged.sha256,
            size=staged.size,
            stored_path=key,
            status="processing",
        )

    def prepare(
        self, doc: Document, coll: Collection, progress: Progress | None = None
    ) -> Prepared:
        """Extract, chunk and embed (CPU work, no database); raises UnreadableDocument."""
        chunked = self._chunk(doc, coll)
        return chunked.prepared(self._vectors([p.text for p in chunked.pieces], progress))

    def _chunk(self, doc: Document, coll: Collection) -> _Chunked:
        try:
            original = self._blobs.local_file(doc.stored_path)
        except NotFound:
            raise UnreadableDocument(f"{doc.source_name}: its stored original is gone.") from None
        with original as path:
            segments = extract_isolated(
                path,
                filename=doc.source_name,
                kind=doc.content_type,
                budget=self._budget,
                readers=self._readers,
            )
        text, starts, locations = join_segments(segments)
        embedder = self._embedder()
        check_model(coll, embedder)
        pieces = chunk_text(
            text,
            embedder.token_spans(text),
            max_tokens=embedder.max_tokens - 2,  # [CLS] and [SEP]
            overlap_tokens=OVERLAP_TOKENS,
        )
        if not pieces:
            raise UnreadableDocument(f"{doc.source_name} has no extractable text.")
        return _Chunked(pieces, starts, locations, excerpt_of(text))

    def _vectors(self, texts: list[str], progress: Progress | None = None) -> Vectors:
        """Embed in batches of similar length (less padding), reporting progress per batch."""
        import numpy as np

        embedder = self._embedder()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), embedder.dim), dtype=np.float32)
        for start in range(0, len(order), EMBED_BATCH):
            batch = order[start : start + EMBED_BATCH]
            out[batch] = embedder.embed_batch([texts[i] for i in batch])
            if progress is not None:
                progress(min(start + EMBED_BATCH, len(texts)) / len(texts))
        return out

    # -- many files at once (folders): documents share embedding batches ------------

    async def add_files(
        self,
        *,
        owner: int,
        paths: Sequence[Path],
        collection: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[FileOutcome]:
        """Add files in groups; small documents share model batches, which is most of the speed."""
        name = check_collection_name(collection or "default")
        outcomes: list[FileOutcome] = []
        for start in range(0, len(paths), GROUP_FILES):
            group = paths[start : start + GROUP_FILES]
            outcomes += await self._add_group(owner, name, group)
            if progress is not None:
                progress(len(outcomes))
        added = [o.outcome.document for o in outcomes if o.outcome and not o.outcome.duplicate]
        if added:  # once at the end: saving the index per group would rewrite it each time
            collection_id = await self._db.run(lambda s: _load(s, document_id=added[0].id)[1].id)
            await anyio.to_thread.run_sync(self._refresh_index, collection_id)
        return outcomes

    async def _add_group(self, owner: int, name: str, paths: Sequence[Path]) -> list[FileOutcome]:
        results: dict[Path, FileOutcome] = {}
        staged: list[tuple[Path, Staged]] = []
        for path in paths:
            try:
                with path.open("rb") as source:
                    staged.append(
                        (path, await anyio.to_thread.run_sync(self.stage, source, path.name))
                    )
            except VegaError as exc:
                results[path] = FileOutcome(path, error=exc)
        todo: list[tuple[Path, str]] = []
        try:
            registered = await self._register(owner, name, [item for _, item in staged])
        except VegaError as exc:  # the whole collection refuses (e.g. another model)
            registered = []
            results.update((path, FileOutcome(path, error=exc)) for path, _ in staged)
        for (path, _), (document, duplicate) in zip(staged, registered, strict=False):
            if duplicate or document.status == "ready":
                results[path] = FileOutcome(path, IngestOutcome(document, duplicate=True))
            else:
                todo.append((path, document.id))
        if todo:
            ids = [doc_id for _, doc_id in todo]
            prepared = await anyio.to_thread.run_sync(self._prepare_many, ids)
            await self._before_write_many(prepared)
            views = await self._db.write(lambda s: _store_many(s, prepared))
            for path, doc_id in todo:
                outcome = views[doc_id]
                results[path] = (
                    FileOutcome(path, error=outcome)
                    if isinstance(outcome, VegaError)
                    else FileOutcome(path, IngestOutcome(outcome))
                )
        return [results[path] for path in paths]

    def _prepare_many(
        self, document_ids: list[str]
    ) -> dict[str, tuple[Document, Prepared | UnreadableDocument]]:
        loaded = self._db.read_sync(lambda s: [_load(s, document_id=i) for i in document_ids])
        chunked: dict[str, _Chunked | UnreadableDocument] = {}
        for doc, coll in loaded:
            try:
                chunked[doc.id] = self._chunk(doc, coll)
            except UnreadableDocument as exc:
                chunked[doc.id] = exc
        texts = [p.text for c in chunked.values() if isinstance(c, _Chunked) for p in c.pieces]
        matrix = self._vectors(texts) if texts else None
        out: dict[str, tuple[Document, Prepared | UnreadableDocument]] = {}
        offset = 0
        for doc, _ in loaded:
            item = chunked[doc.id]
            if isinstance(item, _Chunked):
                assert matrix is not None
                n = len(item.pieces)
                out[doc.id] = (doc, item.prepared(matrix[offset : offset + n]))
                offset += n
            else:
                out[doc.id] = (doc, item)
        return out

    async def run_job(self, params: dict[str, Any], report: Progress) -> dict[str, Any]:
        """The handler of ``ingest`` jobs. Run again (a retried or resumed job), a document
        that is already finished is reported, not ingested twice."""
        document_id = str(params["document_id"])
        done = await self._db.run(lambda s: _finished(s, document_id))
        if done is not None:
            return done
        try:
            view = await self.process(document_id, progress=report)
        except UnreadableDocument:
            raise  # the document says failed already
        except VegaError as exc:  # the job fails: so does its document, saying why
            reason = exc.message
            await self._db.write(lambda s: _fail(s, document_id, reason))
            raise
        return {"document_id": view.id, "chunks": view.chunks, "status": view.status}

    def _refresh_index(self, collection_id: str) -> None:
        """Bring the collection's vector index up to date (FAISS: and save it, so a restart
        loads it warm; pgvector: build it if the collection has none)."""
        self._indexes.refresh(self._db, collection_id)

    async def _before_write(self, collection_id: str, chunks: int) -> None:
        """Tell the vector index how much is coming (pgvector may rebuild rather than insert)."""
        await anyio.to_thread.run_sync(self._indexes.before_write, self._db, collection_id, chunks)

    async def _before_write_many(
        self, prepared: dict[str, tuple[Document, Prepared | UnreadableDocument]]
    ) -> None:
        counts: dict[str, int] = {}
        for doc, item in prepared.values():
            if isinstance(item, Prepared):
                counts[doc.collection_id] = counts.get(doc.collection_id, 0) + len(item.chunks)
        for collection_id, chunks in counts.items():
            await self._before_write(collection_id, chunks)

    @staticmethod
    def _attach_job(session: Session, job_id: str, *, document_id: str) -> None:
        doc = session.get(Document, document_id)
        if doc is not None:
            doc.job_id = job_id


def _load(session: Session, *, document_id: str) -> tuple[Document, Collection]:
    doc = session.get(Document, document_id)
    assert doc is not None, document_id
    coll = session.get(Collection, doc.collection_id)
    assert coll is not None
    return doc, coll


def _finished(session: Session, document_id: str) -> dict[str, Any] | None:
    """An ingest job's result when its document needs no more work; None when it does."""
    doc = session.get(Document, document_id)
    if doc is None or doc.deleted_at is not None:
        raise NotFound("the document is gone")
    if doc.status == "ready":
        return {"document_id": doc.id, "chunks": doc.chunk_count, "status": doc.status}
    if doc.status == "failed":
        raise UnreadableDocument(doc.error or "failed", document_id=doc.id)
    return None


def _settle_jobs(session: Session) -> None:
    """Close ingest jobs whose document finished (or vanished) before a crash could record
    it, attach to its document a job that a crash left unattached, and open again the
    job of a document still processing whose job ended anyway (its worker stopped
    several times, say): ``resume`` then runs it again."""
    unfinished = (
        select(Document)
        .join(Job, Job.id == Document.job_id)
        .where(
            Document.status == "processing",
            Document.deleted_at.is_(None),
            Job.status.in_(("done", "failed")),
        )
    )
    for stuck in session.scalars(unfinished):
        ended = session.get(Job, stuck.job_id)
        if ended is not None:
            job_repo.update(session, job=ended, status="queued", progress=0.0)
            ended.error = None
    for job in job_repo.unfinished(session, kind="ingest"):
        doc = session.get(Document, (job.result or {}).get("document_id", ""))
        if doc is None or doc.deleted_at is not None:
            job_repo.update(session, job=job, status="failed", error="the document is gone")
        elif doc.status == "processing" and doc.job_id is None:
            # Killed between creating the job and attaching it (two commits in ``add``):
            # attach it now so that ``resume`` finishes the document through this job.
            # Left alone, the document was finished inline and the job stayed queued forever.
            doc.job_id = job.id
        elif doc.status == "ready":
            result = {"document_id": doc.id, "chunks": doc.chunk_count, "status": doc.status}
            job_repo.update(session, job=job, status="done", progress=1.0, result=result)
        elif doc.status == "failed":
            job_repo.update(session, job=job, status="failed", error=doc.error or "failed")


def _fail(session: Session, document_id: str, message: str) -> None:
    doc = session.get(Document, document_id)
    if doc is not None:
        repo.set_status(session, document=doc, status="failed", error=message)


def _store_many(
    session: Session, prepared: dict[str, tuple[Document, Prepared | UnreadableDocument]]
) -> dict[str, DocumentView | VegaError]:
    """A group of documents in one transaction: ready ones with their chunks, failed ones marked."""
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(prepared)))}
    out: dict[str, DocumentView | VegaError] = {}
    ready: list[tuple[Document, Prepared]] = []
    for document_id, (_, item) in prepared.items():
        doc = docs.get(document_id)
        if isinstance(item, UnreadableDocument):
            if doc is not None:
                repo.set_status(session, document=doc, status="failed", error=item.message)
            out[document_id] = item
        elif doc is not None and doc.deleted_at is None:
            ready.append((doc, item))
        # else: deleted while we worked (or gone): keep it so, reported below
    repo.replace_chunks_of(session, [(doc, item.chunks) for doc, item in ready])
    for doc, _ in ready:
        repo.set_status(session, document=doc, status="ready")
    for document_id, (_, item) in prepared.items():
        if isinstance(item, Prepared):
            doc = docs[document_id]
            coll = session.get(Collection, doc.collection_id)
            assert coll is not None
            excerpt = item.excerpt if doc.deleted_at is None else None
            out[document_id] = DocumentView.of(doc, coll, excerpt=excerpt)
    return out


def _store(session: Session, document: Document, prepared: Prepared) -> DocumentView:
    """One document's chunks, as ``_store_many`` stores a group's."""
    view = _store_many(session, {document.id: (document, prepared)})[document.id]
    assert isinstance(view, DocumentView)  # a Prepared item is never reported as an error
    return view


def _folder(key: str) -> str:
    """``uploads/<id>/``: the folder an original lives in."""
    return key.rsplit("/", 1)[0] + "/"
