"""Documents, collections, search and jobs: a key sees only its own (404 for anyone else's)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from vega.api.deps import (
    AuditDep,
    DocumentsDep,
    IngestDep,
    JobsDep,
    PrincipalDep,
    QuotasDep,
    RetrieverDep,
    SettingsDep,
)
from vega.api.downloads import byte_range, original_response
from vega.api.errors import NOT_FOUND, ErrorOut
from vega.api.schemas.base import Offset
from vega.api.schemas.collections import CollectionName
from vega.api.schemas.documents import (
    CollectionOut,
    CrawlIn,
    CrawlOut,
    DocumentOut,
    HitOut,
    JobOut,
    SearchIn,
    SearchOut,
    UploadOut,
)
from vega.errors import BadInput
from vega.integrations.crawl import JOB_KIND as CRAWL_JOB
from vega.rag.retrieve import check_collection_name

router = APIRouter(tags=["documents"])

UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Identical content was already in the collection: that document."},
    202: {"description": "A large file: ingesting in the background; follow `job_id`."},
    413: {"model": ErrorOut, "description": "Larger than VEGA_MAX_UPLOAD_MB."},
    415: {"model": ErrorOut, "description": "A file type Vega cannot read."},
    422: {
        "model": ErrorOut,
        "description": "Empty, text-less or unreadable (the reason is in the message).",
    },
}


@router.post("/documents", status_code=201, response_model=UploadOut, responses=UPLOAD_RESPONSES)
@router.post("/upload", status_code=201, response_model=UploadOut, responses=UPLOAD_RESPONSES)
async def upload(
    response: Response,
    principal: PrincipalDep,
    ingest: IngestDep,
    quotas: QuotasDep,
    trail: AuditDep,
    file: Annotated[UploadFile, File(description="The file; its name is metadata only.")],
    collection: Annotated[CollectionName, Form()] = "default",
    background: Annotated[
        bool | None, Form(description="Force (true) or refuse (false) a background job.")
    ] = None,
) -> UploadOut:
    await quotas.check_storage(principal, file.size or 0)
    outcome = await ingest.add(
        owner=principal.owner,
        source=file.file,
        filename=file.filename or "upload",
        collection=collection,
        background=background,
    )
    detail = {"collection": collection, "bytes": outcome.document.size}
    await trail.record(principal.actor, "document.add", outcome.document.id, detail=detail)
    if outcome.duplicate:
        response.status_code = 200
    elif outcome.job_id is not None:
        response.status_code = 202
    return UploadOut.of(outcome)


@router.get("/documents", response_model=list[DocumentOut])
async def list_documents(
    principal: PrincipalDep,
    documents: DocumentsDep,
    collection: Annotated[CollectionName | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[DocumentOut]:
    views = await documents.list_documents(
        owner=principal.owner, collection=collection, limit=limit, offset=offset
    )
    return [DocumentOut.model_validate(v) for v in views]


@router.get("/documents/{document_id}", response_model=DocumentOut, responses=NOT_FOUND)
async def get_document(
    document_id: str, principal: PrincipalDep, documents: DocumentsDep
) -> DocumentOut:
    view = await documents.get(owner=principal.owner, document_id=document_id)
    return DocumentOut.model_validate(view)


@router.get(
    "/documents/{document_id}/original",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The original."},
        206: {"description": "The bytes a `Range: bytes=FIRST-LAST` header asked for."},
        **NOT_FOUND,
        416: {"model": ErrorOut, "description": "A range outside the file."},
    },
)
async def get_original(
    document_id: str,
    principal: PrincipalDep,
    documents: DocumentsDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    """The uploaded file as it was stored, streamed (one `bytes=` range at most; a header
    Vega cannot read is ignored, as HTTP allows). Always a download, never rendered."""
    wanted = byte_range(range_header)
    original = await documents.original(
        owner=principal.owner,
        document_id=document_id,
        first=wanted.first if wanted else 0,
        last=wanted.last if wanted else None,
    )
    return original_response(original, partial=wanted is not None)


@router.delete("/documents/{document_id}", status_code=204, responses=NOT_FOUND)
async def delete_document(
    document_id: str, principal: PrincipalDep, documents: DocumentsDep
) -> Response:
    await documents.delete(owner=principal.owner, document_id=document_id, actor=principal.actor)
    return Response(status_code=204)


@router.get("/collections", response_model=list[CollectionOut])
async def list_collections(principal: PrincipalDep, documents: DocumentsDep) -> list[CollectionOut]:
    views = await documents.collections(owner=principal.owner, reader=principal.user_id)
    return [CollectionOut.model_validate(v) for v in views]


@router.post("/search", response_model=SearchOut, responses=NOT_FOUND)  # no such collection
async def search(body: SearchIn, principal: PrincipalDep, retriever: RetrieverDep) -> SearchOut:
    result = await retriever.search(
        owner=principal.owner,
        query=body.query,
        collection=body.collection,
        top_k=body.top_k,
        mode=body.mode,
        reader=principal.user_id,
    )
    return SearchOut(
        query=result.query,
        collection=result.collection,
        mode=result.mode,
        results=[HitOut.of(hit) for hit in result.hits],
    )


@router.post("/documents/crawl", status_code=202, response_model=CrawlOut)
async def crawl(
    body: CrawlIn, principal: PrincipalDep, jobs: JobsDep, settings: SettingsDep
) -> CrawlOut:
    """Crawl a site into a collection, as a job: same origin, robots.txt respected, a pause
    between pages, every URL through the SSRF-safe fetcher. Crawling again updates only
    the pages that changed."""
    if not body.url.startswith(("http://", "https://")):
        raise BadInput("url: a crawl starts at an http(s) URL.")
    params = {
        "owner": principal.owner,
        "url": body.url,
        "collection": check_collection_name(body.collection or "default"),
        "depth": body.depth if body.depth is not None else settings.crawl_max_depth,
        "max_pages": body.max_pages or settings.crawl_max_pages,
    }
    job_id = await jobs.submit(owner=principal.owner, kind=CRAWL_JOB, params=params)
    return CrawlOut(job_id=job_id)


@router.get("/jobs", response_model=list[JobOut])
async def list_jobs(
    principal: PrincipalDep,
    jobs: JobsDep,
    status: Annotated[Literal["queued", "running", "done", "failed"] | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobOut]:
    """The caller's jobs, newest first: ingests, crawls, summaries of long conversations."""
    found = await jobs.newest(owner=principal.owner, status=status, kind=kind, limit=limit)
    return [JobOut.model_validate(job) for job in found]


@router.get("/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
async def get_job(job_id: str, principal: PrincipalDep, jobs: JobsDep) -> JobOut:
    return JobOut.model_validate(await jobs.get(owner=principal.owner, job_id=job_id))
