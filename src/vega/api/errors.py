"""Every error leaves as ``{"error": {"code", "message", "request_id"}}`` with the right status."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from vega.api.schemas.errors import ErrorCode
from vega.errors import RateLimited, VegaError
from vega.logs import request_id_var

log = logging.getLogger(__name__)

PageLookup = Callable[[Request], Response | None]
# Answers an HTTP error in the shape of the protocol a path speaks (None: Vega's own).
WireLookup = Callable[[Request, StarletteHTTPException], Response | None]

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "bad_input",
    429: "rate_limited",
}


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
# the route runs, in vega.api.middleware), a bad key, a request that does not validate,
# the rate limit, an unreachable database.
KEYED_ERRORS = error_responses(400, 401, 408, 413, 422, 429, 503)
# Routes that name one thing (by id): another key's is "not found" too.
NOT_FOUND = error_responses(404)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "request_id": request_id_var.get(), **extra}
    }


def vega_error_response(exc: VegaError) -> JSONResponse:
    headers = {}
    retry = exc.details.get("retry_after_s")
    if isinstance(exc, RateLimited) or retry is not None:
        headers["Retry-After"] = str(retry)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        error_body(exc.code, exc.message, **exc.details), exc.status, headers=headers
    )


async def _on_vega_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VegaError)
    if exc.status >= 500:
        log.warning("request failed: %s", exc.code)
    return vega_error_response(exc)


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", "")}
        for err in exc.errors()
    ]
    first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
    message = f"{'.'.join(first['loc'][1:]) or 'body'}: {first['msg']}"
    return JSONResponse(error_body("bad_input", message, problems=problems), 422)


def _on_http(
    pages: PageLookup | None, wire: WireLookup | None
) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        # A path under /v1 or /api that no route matched (not even the catch-all there,
        # e.g. one with a newline in it): the error still speaks that protocol.
        answer = wire(request, exc) if wire is not None else None
        if answer is not None:
            return answer
        # No route matched: the browser UI may own the path (/, /c/<id>, its files).
        if exc.status_code == 404 and pages is not None:
            page = pages(request)
            if page is not None:
                return page
        code = HTTP_CODES.get(exc.status_code, "error")
        return JSONResponse(
            error_body(code, str(exc.detail)),
            exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    return on_http


def install_error_handlers(
    app: FastAPI, *, pages: PageLookup | None = None, wire: WireLookup | None = None
) -> None:
    """Map errors to JSON; ``pages`` may answer a 404 with a page of the browser UI, and
    ``wire`` an HTTP error on a path that speaks another protocol, in its shape."""
    app.add_exception_handler(VegaError, _on_vega_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http(pages, wire))
    # Unexpected exceptions are answered by RequestContextMiddleware, with the request id.
