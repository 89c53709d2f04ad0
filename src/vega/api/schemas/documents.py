"""Request and response bodies for documents, collections, search and jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vega.api.schemas.base import Integer, RequestBody, Text
from vega.api.schemas.collections import CollectionName, CollectionRef
from vega.rag.ingest import IngestOutcome
from vega.rag.retrieve import Hit


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    collection: str
    title: str
    source_name: str = Field(description="The client's file name (metadata only).")
    content_type: str
    size: int
    sha256: str
    status: Literal["processing", "ready", "failed"]
    error: str | None
    chunks: int
    job_id: str | None
    created: datetime


class UploadOut(BaseModel):
    document_id: str
    collection: str
    title: str
    status: Literal["processing", "ready", "failed"]
    chunks: int
    excerpt: str | None = Field(None, description="The start of the extracted text.")
    duplicate: bool = Field(description="True when identical content was already there.")
    job_id: str | None = Field(None, description="Follow a background ingest at /jobs/{id}.")

    @classmethod
    def of(cls, outcome: IngestOutcome) -> UploadOut:
        doc = outcome.document
        return cls(
            document_id=doc.id,
            collection=doc.collection,
            title=doc.title,
            status=doc.status,
            chunks=doc.chunks,
            excerpt=doc.excerpt,
            duplicate=outcome.duplicate,
            job_id=outcome.job_id or doc.job_id,
        )


class CollectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    embedding_model: str
    dim: int
    documents: int
    chunks: int
    created: datetime
    shared_by: str | None = Field(
        None, description="Its owner, when another user shared it with you (read-only)."
    )


class CrawlIn(RequestBody):
    model_config = ConfigDict(extra="forbid")

    url: Text = Field(min_length=8, max_length=2048, description="Where the crawl starts.")
    collection: CollectionName | None = Field(None, description="Default: `default`.")
    depth: Integer | None = Field(None, ge=0, le=20, description="Default VEGA_CRAWL_MAX_DEPTH.")
    max_pages: Integer | None = Field(
        None, ge=1, le=10_000, description="Default VEGA_CRAWL_MAX_PAGES."
    )


class CrawlOut(BaseModel):
    job_id: str = Field(description="Follow it at `GET /jobs/{job_id}`; its result is the report.")


class SearchIn(RequestBody):
    model_config = ConfigDict(extra="forbid")

    query: Text = Field(min_length=1, description="What to look for.")
    top_k: Integer | None = Field(None, ge=1, le=100, description="How many passages (VEGA_TOP_K).")
    collection: CollectionRef | None = Field(None, description="Default: `default`.")
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"


class HitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rank: int
    score: float = Field(description="Fused (hybrid), cosine (dense) or BM25 (lexical) score.")
    chunk_id: int
    document_id: str
    title: str
    source_name: str
    location: str | None = Field(description="Page, archive member or rows, when known.")
    start: int = Field(description="Character span of the passage in the document's text.")
    end: int
    text: str
    dense: float | None = None
    lexical: float | None = None
    url: str | None = Field(None, description="The page's address, for a crawled document.")

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        return cls.model_validate(hit)


class SearchOut(BaseModel):
    query: str
    collection: str
    mode: str
    results: list[HitOut]


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(description="0 to 1.")
    result: dict[str, Any]
    error: str | None
    created: datetime
    updated: datetime
