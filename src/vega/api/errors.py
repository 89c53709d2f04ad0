"""Every error leaves as ``{"error": {"code", "message", "request_id"}}`` with the right status."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from vega.errors import RateLimited, VegaError
from vega.logs import request_id_var

log = logging.getLogger(__name__)

PageLookup = Callable[[Request], Response | None]

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "bad_input",
    429: "rate_limited",
}


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


def _on_http(pages: PageLookup | None) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
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


def install_error_handlers(app: FastAPI, *, pages: PageLookup | None = None) -> None:
    """Map errors to JSON; ``pages`` may answer a 404 with a page of the browser UI."""
    app.add_exception_handler(VegaError, _on_vega_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http(pages))
    # Unexpected exceptions are answered by RequestContextMiddleware, with the request id.
