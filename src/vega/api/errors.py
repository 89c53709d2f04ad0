"""Errors on the HTTP API: the exception handlers, and what the OpenAPI document says.

Each handler renders in the shape of the request's path (``vega.api.error_shapes``):
Vega's own ``{"error": {"code", "message", "request_id"}}``, or OpenAI's and Ollama's
under ``/v1`` and ``/api``. One tree (``vega.errors``) still decides every status.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from vega.api.error_shapes import NATIVE, shape_for
from vega.api.schemas.errors import ErrorCode
from vega.errors import VegaError

log = logging.getLogger(__name__)

PageLookup = Callable[[Request], Response | None]


# What each error status means, for the OpenAPI document (DESIGN.md 4.3, 8).
ERROR_STATUSES = {
    400: "A malformed request (a body that is not UTF-8, a bad Content-Length), or one the "
    "model server refused (unknown model, bad parameters).",
    401: "No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`).",
    403: "The key may not do this (admin keys manage keys).",
    404: "No such thing, or it belongs to another key.",
    408: "The request body stopped arriving partway; send it again.",
    409: "It conflicts with what exists (a name already taken).",
    413: "The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB).",
    415: "A file type Vega cannot read.",
    422: "The request is not valid: `message` says why, `problems` lists each field.",
    429: "Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds.",
    502: "The model server answered with an error or a malformed stream.",
    503: "The model server, the embedder or the database is unavailable.",
    504: "The model server timed out.",
}


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # e.g. `problems` (422), `retry_after_s` (429)

    code: ErrorCode = Field(description="Stable and machine-readable (`ErrorCode` lists them).")
    message: str = Field(description="For people: what went wrong and what to do.")
    request_id: str | None = Field(description="Also in the `X-Request-ID` header and the logs.")


class ErrorOut(BaseModel):
    error: ErrorDetail


ResponsesDoc = dict[int | str, dict[str, Any]]


def error_responses(*statuses: int, model: type[BaseModel] = ErrorOut) -> ResponsesDoc:
    """OpenAPI ``responses`` for these error statuses, all in ``model``'s shape.

    Declaring 422 also replaces FastAPI's default validation-error schema, which is
    not the shape Vega answers in.
    """
    return {s: {"model": model, "description": ERROR_STATUSES[s]} for s in statuses}


# Any route that takes a key: a malformed, stalled or oversized body (checked before
# the route runs, in vega.api.body_guard), a bad key, a request that does not validate,
# the rate limit, an unreachable database.
KEYED_ERRORS = error_responses(400, 401, 403, 408, 413, 422, 429, 503)
# Routes that name one thing (by id): another key's is "not found" too.
NOT_FOUND = error_responses(404)


async def _on_vega_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VegaError)
    if exc.status >= 500:
        log.warning("request failed: %s", exc.code)
    return shape_for(request.url.path).response(exc)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return shape_for(request.url.path).validation(exc)


def _on_http(pages: PageLookup | None) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        shape = shape_for(request.url.path)
        # No route matched: the browser UI may own the path (/, /c/<id>, its files).
        # Not under /v1 or /api (even a path no route there matches, e.g. one with a
        # newline in it, is answered in that protocol).
        if exc.status_code == 404 and pages is not None and shape is NATIVE:
            page = pages(request)
            if page is not None:
                return page
        return shape.http(exc)

    return on_http


def install_error_handlers(app: FastAPI, *, pages: PageLookup | None = None) -> None:
    """Map errors to JSON in the shape of each request's path; ``pages`` may answer a
    404 on a native path with a page of the browser UI."""
    app.add_exception_handler(VegaError, _on_vega_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http(pages))
    # Unexpected exceptions are answered by vega.api.request_context, with the request id.
