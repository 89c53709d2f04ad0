"""DocumentService: list, inspect and delete documents and collections, scoped to their owner."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vega.blobs import BlobStore
from vega.errors import BadInput, NotFound, RangeNotSatisfiable, VegaError
from vega.rag.retrieve import check_collection_name
from vega.rag.staging import stored_folder
from vega.rag.views import CollectionView, DocumentView
from vega.store import audit
from vega.store import documents as repo
from vega.store import shares as shares_repo
from vega.store.audit import Actor
from vega.store.db import Database
from vega.store.tables import Collection, Document

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Original:
    """A slice of a document's stored original: bytes ``first``..``last`` of ``size``."""

    document: DocumentView
    size: int
    first: int
    last: int
    blocks: Iterator[bytes]


MAX_LIMIT = 1000


class DocumentService:
    def __init__(self, *, db: Database, blobs: BlobStore) -> None:
        self._db = db
        self._blobs = blobs

    async def list_documents(
        self, *, owner: int, collection: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[DocumentView]:
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise BadInput(f"limit must be 1-{MAX_LIMIT} and offset at least 0.")
        if collection is not None:
            check_collection_name(collection)
        rows = await self._db.run(
            lambda s: repo.list_documents(
                s, owner=owner, collection=collection, limit=limit, offset=offset
            )
        )
        return [DocumentView.of(doc, coll) for doc, coll in rows]

    async def get(self, *, owner: int, document_id: str) -> DocumentView:
        return await self._db.run(lambda s: DocumentView.of(*self._owned(s, owner, document_id)))

    async def original(
        self, *, owner: int, document_id: str, first: int = 0, last: int | None = None
    ) -> Original:
        """The stored original's bytes ``first``..``last`` (inclusive), streamed from
        the blob store; ``last`` past the end is the end, a negative ``first`` counts
        from the end."""

        def find(session: Session) -> tuple[DocumentView, str, int]:
            doc, coll = self._owned(session, owner, document_id)
            return DocumentView.of(doc, coll), doc.stored_path, doc.size

        view, key, size = await self._db.run(find)
        if first < 0:
            first = max(0, size + first)
        if size == 0 or first >= size or (last is not None and last < first):
            raise RangeNotSatisfiable(f"The original is {size} bytes.", size=size)
        end = size - 1 if last is None else min(last, size - 1)
        blocks = await anyio.to_thread.run_sync(lambda: self._blobs.read(key, start=first, end=end))
        return Original(view, size, first, end, blocks)

    async def delete(
        self, *, owner: int, document_id: str, actor: Actor | None = None
    ) -> DocumentView:
        """Soft-delete the document and drop its chunks and stored file; gone from search at once."""

        def delete(session: Session) -> tuple[DocumentView, str]:
            doc, coll = self._owned(session, owner, document_id)
            repo.soft_delete_document(session, document=doc)
            audit.record(session, actor=actor, action="document.delete", target=doc.id)
            return DocumentView.of(doc, coll), doc.stored_path

        view, stored = await self._db.write(delete)
        folder = stored_folder(stored)
        if folder is not None:
            try:
                await anyio.to_thread.run_sync(self._blobs.delete_prefix, folder)
            except VegaError as exc:  # deleted for the user; the uploads cleanup retries
                log.warning("could not delete the original of %s: %s", document_id, exc.message)
        return view

    async def collections(self, *, owner: int, reader: int | None = None) -> list[CollectionView]:
        """The owner's collections, then (accounts mode) those shared with user ``reader``,
        named ``OWNER/NAME``."""
        return await self._db.run(lambda s: _collections(s, owner, reader))

    @staticmethod
    def _owned(session: Session, owner: int, document_id: str) -> tuple[Document, Collection]:
        found = repo.get_owned_document(session, document_id=document_id, owner=owner)
        if found is None:
            raise NotFound(f"No document '{document_id}'.")
        return found


def _collections(session: Session, owner: int, reader: int | None) -> list[CollectionView]:
    own = [(None, c) for c in repo.list_collections(session, owner=owner)]
    shared = shares_repo.shared_with(session, reader=reader) if reader is not None else []
    views = []
    for shared_by, coll in [*own, *shared]:
        live = (Document.collection_id == coll.id) & Document.deleted_at.is_(None)
        n_docs = session.scalar(select(func.count()).select_from(Document).where(live)) or 0
        views.append(
            CollectionView(
                name=f"{shared_by}/{coll.name}" if shared_by else coll.name,
                shared_by=shared_by,
                embedding_model=coll.embedding_model,
                dim=coll.dim,
                documents=int(n_docs),
                chunks=repo.count_chunks(session, collection_id=coll.id),
                created=coll.created,
            )
        )
    return views
