"""Repository: collections, documents, chunks and message sources, always scoped to an owner.

Chunks of a deleted document are deleted with it (the document row stays, soft-
deleted, for the record), and every change to a collection's chunks bumps its
``version`` in the same transaction: that is how derived indexes in any process
know they are behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vega.store.tables import Chunk, Collection, Document, MessageSource, new_id, utcnow

# -- collections ---------------------------------------------------------------


def get_collection(session: Session, *, owner: int, name: str) -> Collection | None:
    query = select(Collection).where(Collection.owner == owner, Collection.name == name)
    return session.scalars(query).first()


def create_collection(
    session: Session, *, owner: int, name: str, embedding_model: str, dim: int
) -> Collection:
    collection = Collection(
        id=new_id(), owner=owner, name=name, embedding_model=embedding_model, dim=dim, version=0
    )
    session.add(collection)
    session.flush()
    return collection


def claim_collection(
    session: Session, *, owner: int, name: str, embedding_model: str, dim: int
) -> tuple[Collection, bool]:
    """The owner's collection ``name``, created when missing; True if this call created it.

    Two first uploads into one new collection can run side by side on Postgres (SQLite's
    one writer never lets them): the second insert then meets the first one's row (one
    name per owner) and takes that row instead of failing the upload.
    """
    found = get_collection(session, owner=owner, name=name)
    if found is not None:
        return found, False
    try:
        with session.begin_nested():  # a savepoint: only the insert is undone
            made = create_collection(
                session, owner=owner, name=name, embedding_model=embedding_model, dim=dim
            )
        return made, True
    except IntegrityError:
        found = get_collection(session, owner=owner, name=name)  # committed meanwhile
        if found is None:
            raise
        return found, False


# The owner's memory collection (vega.store.memories): searched by recall only, never
# listed, read or deleted as documents; maintenance (reindex, start-up) sees it.
HIDDEN = "~memory"


def list_collections(session: Session, *, owner: int | None = None) -> list[Collection]:
    """The owner's collections, or every collection (for maintenance) when owner is None."""
    query = select(Collection).order_by(Collection.owner, Collection.name)
    if owner is not None:
        query = query.where(Collection.owner == owner, Collection.name != HIDDEN)
    return list(session.scalars(query))


def bump_version(session: Session, *, collection_id: str) -> None:
    session.execute(
        update(Collection)
        .where(Collection.id == collection_id)
        .values(version=Collection.version + 1)
    )


# -- documents -----------------------------------------------------------------


def find_duplicate(session: Session, *, collection_id: str, sha256: str) -> Document | None:
    """A live document with this content; failed ones do not count (adding again retries)."""
    query = select(Document).where(
        Document.collection_id == collection_id,
        Document.sha256 == sha256,
        Document.deleted_at.is_(None),
        Document.status != "failed",
    )
    return session.scalars(query.order_by(Document.created)).first()


def find_failed(session: Session, *, collection_id: str, sha256: str) -> Document | None:
    query = select(Document).where(
        Document.collection_id == collection_id,
        Document.sha256 == sha256,
        Document.deleted_at.is_(None),
        Document.status == "failed",
    )
    return session.scalars(query).first()


def stored_originals(session: Session, *, collection_id: str, hashes: list[str]) -> dict[str, str]:
    """{sha256: stored path} of the ``hashes`` that live documents of the collection
    (failed ones too) keep an original for: adding the same bytes again stores nothing new."""
    query = select(Document.sha256, Document.stored_path).where(
        Document.collection_id == collection_id,
        Document.sha256.in_(hashes),
        Document.deleted_at.is_(None),
    )
    return {sha: path for sha, path in session.execute(query)}


def add_document(session: Session, **fields: Any) -> Document:
    document = Document(**fields)
    session.add(document)
    session.flush()
    return document


def get_owned_document(
    session: Session, *, document_id: str, owner: int
) -> tuple[Document, Collection] | None:
    """The owner's live document and its collection, or None (someone else's reads as missing)."""
    row = session.execute(
        select(Document, Collection)
        .join(Collection, Collection.id == Document.collection_id)
        .where(
            Document.id == document_id,
            Document.deleted_at.is_(None),
            Collection.owner == owner,
            Collection.name != HIDDEN,
        )
    ).first()
    return (row[0], row[1]) if row else None


def list_documents(
    session: Session, *, owner: int, collection: str | None, limit: int, offset: int = 0
) -> list[tuple[Document, Collection]]:
    query = (
        select(Document, Collection)
        .join(Collection, Collection.id == Document.collection_id)
        .where(Collection.owner == owner, Collection.name != HIDDEN, Document.deleted_at.is_(None))
    )
    if collection is not None:
        query = query.where(Collection.name == collection)
    query = query.order_by(Document.created.desc(), Document.id).limit(limit).offset(offset)
    return [(doc, coll) for doc, coll in session.execute(query)]


def documents_with_status(session: Session, *, status: str) -> list[Document]:
    query = select(Document).where(Document.status == status, Document.deleted_at.is_(None))
    return list(session.scalars(query.order_by(Document.created)))


def set_status(
    session: Session, *, document: Document, status: str, error: str | None = None
) -> None:
    document.status = status
    document.error = error
    document.updated = utcnow()


def soft_delete_document(session: Session, *, document: Document) -> None:
    document.deleted_at = utcnow()
    session.execute(delete(Chunk).where(Chunk.document_id == document.id))
    bump_version(session, collection_id=document.collection_id)


# -- chunks --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewChunk:
    text: str
    char_start: int
    char_end: int
    location: str | None
    embedding: bytes


_INSERT_CHUNK = insert(Chunk.__table__)  # type: ignore[arg-type]


def replace_chunks(session: Session, *, document: Document, chunks: Sequence[NewChunk]) -> None:
    """The document's chunks, all at once; re-running an ingest never duplicates them."""
    replace_chunks_of(session, [(document, chunks)])


def replace_chunks_of(
    session: Session, items: Sequence[tuple[Document, Sequence[NewChunk]]]
) -> None:
    """Several documents' chunks: one delete, one batched insert, one version bump per
    collection (a folder's group of small files costs a few statements, not a few each)."""
    if not items:
        return
    session.execute(delete(Chunk).where(Chunk.document_id.in_([d.id for d, _ in items])))
    rows = [
        {
            "document_id": document.id,
            "collection_id": document.collection_id,
            "index": i,
            "text": c.text,
            "char_start": c.char_start,
            "char_end": c.char_end,
            "location": c.location,
            "embedding": c.embedding,
        }
        for document, chunks in items
        for i, c in enumerate(chunks)
    ]
    if rows:
        session.execute(_INSERT_CHUNK, rows)
    for document, chunks in items:
        document.chunk_count = len(chunks)
    for collection_id in sorted({d.collection_id for d, _ in items}):
        bump_version(session, collection_id=collection_id)


def chunk_ids(session: Session, *, collection_id: str) -> list[int]:
    query = select(Chunk.id).where(Chunk.collection_id == collection_id).order_by(Chunk.id)
    return list(session.scalars(query))


def chunk_documents(session: Session, *, collection_id: str) -> list[tuple[int, str]]:
    """``(chunk id, document id)`` of every chunk of the collection, in id order."""
    query = (
        select(Chunk.id, Chunk.document_id)
        .where(Chunk.collection_id == collection_id)
        .order_by(Chunk.id)
    )
    return [(int(i), str(d)) for i, d in session.execute(query)]


def chunk_vectors(session: Session, *, ids: Sequence[int]) -> list[tuple[int, str, bytes]]:
    """``(chunk id, document id, embedding)`` of the chunks among ``ids`` that exist."""
    query = select(Chunk.id, Chunk.document_id, Chunk.embedding).where(Chunk.id.in_(ids))
    return [(int(i), str(d), bytes(e)) for i, d, e in session.execute(query)]


def embeddings(session: Session, *, ids: Sequence[int]) -> list[tuple[int, bytes]]:
    rows = session.execute(select(Chunk.id, Chunk.embedding).where(Chunk.id.in_(ids)))
    return [(int(i), bytes(e)) for i, e in rows]


def chunk_texts(
    session: Session, *, collection_id: str, after_id: int, limit: int
) -> list[tuple[int, str]]:
    """A page of (id, text) in id order, for re-embedding a collection."""
    rows = session.execute(
        select(Chunk.id, Chunk.text)
        .where(Chunk.collection_id == collection_id, Chunk.id > after_id)
        .order_by(Chunk.id)
        .limit(limit)
    )
    return [(int(i), str(t)) for i, t in rows]


def set_embeddings(session: Session, *, vectors: Iterable[tuple[int, bytes]]) -> None:
    for chunk_id, blob in vectors:
        session.execute(update(Chunk).where(Chunk.id == chunk_id).values(embedding=blob))


@dataclass(frozen=True, slots=True)
class ChunkRow:
    chunk_id: int
    document_id: str
    title: str
    source_name: str
    location: str | None
    char_start: int
    char_end: int
    text: str
    source_url: str | None = None


def live_chunks(session: Session, *, collection_id: str, ids: Sequence[int]) -> dict[int, ChunkRow]:
    """The chunks among ``ids`` that still belong to a live, ready document of the collection.

    Search results pass through here, so a chunk a stale index still holds can never
    reach a caller after its document was deleted.
    """
    if not ids:
        return {}
    rows = session.execute(
        select(
            Chunk.id,
            Chunk.document_id,
            Document.title,
            Document.source_name,
            Chunk.location,
            Chunk.char_start,
            Chunk.char_end,
            Chunk.text,
            Document.source_url,
        )
        .join(Document, Document.id == Chunk.document_id)
        .where(
            Chunk.id.in_(ids),
            Chunk.collection_id == collection_id,
            Document.deleted_at.is_(None),
            Document.status == "ready",
        )
    )
    return {int(r[0]): ChunkRow(int(r[0]), *r[1:]) for r in rows}


def count_chunks(session: Session, *, collection_id: str) -> int:
    query = select(func.count()).select_from(Chunk).where(Chunk.collection_id == collection_id)
    return int(session.scalar(query) or 0)


# -- message sources -----------------------------------------------------------


def add_message_sources(
    session: Session, *, message_id: str, sources: Sequence[tuple[int, str, int, float]]
) -> None:
    """``(chunk_id, document_id, rank, score)`` for each source the answer was given."""
    for chunk_id, document_id, rank, score in sources:
        session.add(
            MessageSource(
                message_id=message_id,
                chunk_id=chunk_id,
                document_id=document_id,
                rank=rank,
                score=score,
            )
        )


def sources_of(session: Session, *, message_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The sources each message was given, as the chat reply carried them.

    A source whose document was deleted since keeps its rank and score, with no text.
    """
    if not message_ids:
        return {}
    rows = session.execute(
        select(MessageSource, Chunk, Document)
        .outerjoin(Chunk, Chunk.id == MessageSource.chunk_id)
        .outerjoin(Document, Document.id == MessageSource.document_id)
        .where(MessageSource.message_id.in_(message_ids))
        .order_by(MessageSource.message_id, MessageSource.rank)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for source, chunk, doc in rows:
        live = doc is not None and doc.deleted_at is None
        out.setdefault(source.message_id, []).append(
            {
                "rank": source.rank,
                "document_id": source.document_id,
                "chunk_id": source.chunk_id,
                "title": doc.title if live else None,
                "source_name": doc.source_name if live else None,
                "location": chunk.location if chunk is not None else None,
                "start": chunk.char_start if chunk is not None else None,
                "end": chunk.char_end if chunk is not None else None,
                "score": round(source.score, 6),
                "snippet": chunk.text if chunk is not None else None,
                "url": doc.source_url if live else None,
            }
        )
    return out


def upload_folders_in_use(session: Session) -> set[str]:
    """The folders under uploads/ that live documents keep their originals in (the
    uploads cleanup removes the others)."""
    rows = session.scalars(select(Document.stored_path).where(Document.deleted_at.is_(None)))
    return {Path(stored).parts[1] for stored in rows if len(Path(stored).parts) > 2}


def live_with_url(session: Session, *, owner: int, collection: str, url: str) -> list[str]:
    """The live documents of the owner's collection crawled from ``url`` (their ids)."""
    query = (
        select(Document.id)
        .join(Collection, Collection.id == Document.collection_id)
        .where(
            Collection.owner == owner,
            Collection.name == collection,
            Document.source_url == url,
            Document.deleted_at.is_(None),
        )
    )
    return list(session.scalars(query))


def set_source_url(session: Session, *, document_id: str, url: str) -> None:
    document = session.get(Document, document_id)
    if document is not None:
        document.source_url = url
