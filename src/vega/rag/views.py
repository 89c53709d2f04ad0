"""Plain views of documents and collections: what services hand to the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vega.store.tables import Collection, Document


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: str
    collection: str
    title: str
    source_name: str
    content_type: str
    size: int
    sha256: str
    status: str
    error: str | None
    chunks: int
    job_id: str | None
    created: datetime
    excerpt: str | None = None

    @classmethod
    def of(cls, doc: Document, coll: Collection, *, excerpt: str | None = None) -> DocumentView:
        return cls(
            id=doc.id,
            collection=coll.name,
            title=doc.title,
            source_name=doc.source_name,
            content_type=doc.content_type,
            size=doc.size,
            sha256=doc.sha256,
            status=doc.status,
            error=doc.error,
            chunks=doc.chunk_count,
            job_id=doc.job_id,
            created=doc.created,
            excerpt=excerpt,
        )


@dataclass(frozen=True, slots=True)
class CollectionView:
    name: str
    embedding_model: str
    dim: int
    documents: int
    chunks: int
    created: datetime
    shared_by: str | None = None  # another user's, shared with the caller (read-only)
