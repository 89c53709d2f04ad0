"""Errors in the client's own wire format.

The native API answers ``{"error": {"code", "message", "request_id"}}``. An OpenAI SDK
reads ``{"error": {"message", "type", "param", "code"}}`` and an Ollama client
``{"error": "message"}``. Routes under ``/v1`` and ``/api`` use a route class that
catches the ``VegaError`` tree (and FastAPI's validation and HTTP errors) and renders
them here, so the rest of the app keeps its shape and one tree still decides every
status. ``code`` in the OpenAI body is Vega's stable code (``unauthorized``,
``rate_limited``, ``backend_unavailable``, ...).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from enum import Enum
from typing import Any, ClassVar

from fastapi import params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from vega.api.deps import PrincipalDep
from vega.api.errors import HTTP_CODES, ResponsesDoc, error_responses
from vega.errors import BackendRejected, BadInput, NotFound, VegaError

log = logging.getLogger(__name__)


class Wire(Enum):
    OPENAI = "openai"
    OLLAMA = "ollama"


PREFIXES = {Wire.OPENAI: "/v1/", Wire.OLLAMA: "/api/"}

# OpenAI's error types, by status; ``code`` carries Vega's own, finer code.
OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str = Field(description="OpenAI's error type, e.g. `invalid_request_error`.")
    param: str | None = Field(description="The offending field, when one is.")
    code: str = Field(description="Vega's stable code: `bad_input`, `unauthorized`, ...")


class OpenAIErrorOut(BaseModel):
    error: OpenAIErrorDetail


class OllamaErrorOut(BaseModel):
    error: str


ERROR_MODELS: dict[Wire, type[BaseModel]] = {
    Wire.OPENAI: OpenAIErrorOut,
    Wire.OLLAMA: OllamaErrorOut,
}


def wire_error_responses(wire: Wire, *statuses: int) -> ResponsesDoc:
    """OpenAPI ``responses`` for a wire router: its errors, in its protocol's shape.

    Client errors are declared as a range: a request that does not validate is a 400
    in both protocols (not FastAPI's 422), and a key, rate-limit, unknown-model,
    stalled-body or size problem is 401, 403, 404, 408, 413 or 429. 503 (database, embedder or model server
    unavailable) and any ``statuses`` (502, 504 for chat) are declared one by one.
    """
    model = ERROR_MODELS[wire]
    client = {
        "model": model,
        "description": "Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, "
        "408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape.",
    }
    return {"4XX": client, **error_responses(503, *statuses, model=model)}


def wire_of(path: str) -> Wire | None:
    """The wire format a path speaks: ``/v1/...`` OpenAI, ``/api/...`` Ollama, else None."""
    for wire, prefix in PREFIXES.items():
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            return wire
    return None


def wire_status(status: int) -> int:
    """Both protocols answer a request they cannot accept with 400; Vega's is 422."""
    return 400 if status == 422 else status


def error_body(
    wire: Wire, status: int, code: str, message: str, *, param: str | None = None
) -> dict[str, Any]:
    if wire is Wire.OLLAMA:
        return {"error": message}
    kind = OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(
    wire: Wire,
    status: int,
    code: str,
    message: str,
    *,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    status = wire_status(status)
    return JSONResponse(error_body(wire, status, code, message, param=param), status, headers)


def vega_error_response(wire: Wire, exc: VegaError) -> JSONResponse:
    headers: dict[str, str] = {}
    retry = exc.details.get("retry_after_s")
    if retry is not None:
        headers["Retry-After"] = str(retry)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    status, code = exc.status, exc.code
    if isinstance(exc, BackendRejected) and exc.details.get("upstream_status") == 404:
        # Both protocols say 404 for an unknown model; clients branch on it.
        status, code = 404, "model_not_found"
    return error_response(wire, status, code, exc.message, headers=headers)


def validation_response(wire: Wire, exc: RequestValidationError) -> JSONResponse:
    problems = [
        (".".join(str(p) for p in err.get("loc", ())[1:]), str(err.get("msg", "")))
        for err in exc.errors()
    ]
    param, msg = problems[0] if problems else ("", "invalid request")
    message = f"{param or 'body'}: {msg}"
    return error_response(wire, 400, BadInput.code, message, param=param or None)


def http_error_response(wire: Wire, exc: StarletteHTTPException) -> JSONResponse:
    code = HTTP_CODES.get(exc.status_code, "error")
    headers = dict(exc.headers or {})
    return error_response(wire, exc.status_code, code, str(exc.detail), headers=headers)


def wire_http_error(request: Request, exc: StarletteHTTPException) -> Response | None:
    """An HTTP error outside any route (none matched the path) in the shape of the
    protocol the path speaks; None for the native API's paths."""
    wire = wire_of(request.url.path)
    return None if wire is None else http_error_response(wire, exc)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _declares_json(content_type: str | None) -> bool:
    kind = (content_type or "").partition(";")[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def as_json_body(request: Request) -> Request:
    """The request, its body declared JSON whatever its ``Content-Type`` said.

    OpenAI and Ollama servers read the body as JSON without looking at the header, and
    clients rely on it: LiteLLM's Ollama providers send none, Ollama's own curl examples
    send ``application/x-www-form-urlencoded``. FastAPI parses JSON only when the header
    says so. Only a route that takes a JSON body gets this (a multipart route keeps its
    header), and no key is spared: a form a browser may post across sites without asking
    still carries no key, so it still meets a 401.
    """
    if _declares_json(request.headers.get("content-type")):
        return request
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
    scope = {**request.scope, "headers": [*headers, (b"content-type", b"application/json")]}
    return Request(scope, request.receive)


class WireRoute(APIRoute):
    """An ``APIRoute`` whose errors leave in ``wire``'s format.

    It wraps the whole handler (body parsing, authentication, validation and the
    endpoint), so a bad key, a rate limit, a bad body and a failed turn all answer
    in the shape the client's SDK parses. Errors inside a stream that has started are
    the stream's business (``vega.api.compat.stream``). A JSON body is read as JSON
    whatever ``Content-Type`` says (``as_json_body``).
    """

    wire: ClassVar[Wire]

    @property
    def takes_json(self) -> bool:
        """Whether the route's body is JSON (not a form or an upload, and not none)."""
        return self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        wire = self.wire
        takes_json = self.takes_json

        async def wire_errors(request: Request) -> Response:
            try:
                return await handler(as_json_body(request) if takes_json else request)
            except VegaError as exc:
                if exc.status >= 500:
                    log.warning("request failed: %s", exc.code)
                return vega_error_response(wire, exc)
            except RequestValidationError as exc:
                return validation_response(wire, exc)
            except StarletteHTTPException as exc:
                return http_error_response(wire, exc)

        return wire_errors


class OpenAIRoute(WireRoute):
    wire = Wire.OPENAI


class OllamaRoute(WireRoute):
    wire = Wire.OLLAMA


def known_path(router: APIRouter, path: str) -> bool:
    """Whether a route of ``router`` other than its catch-all serves ``path``."""
    return any(
        isinstance(route, APIRoute)
        and "{rest:path}" not in route.path
        and route.path_regex.match(path)
        for route in router.routes
    )


def add_catch_all(router: APIRouter) -> None:
    """Answer every other path under ``router``'s prefix in its protocol's error shape:
    404, or 405 for a path it serves with other methods. Keyed like the rest, so a
    caller without a key learns nothing about what exists."""

    @router.api_route(
        "/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def unknown(request: Request, _: PrincipalDep) -> Response:
        if known_path(router, request.url.path):
            raise StarletteHTTPException(405, f"{request.method} is not allowed here.")
        raise NotFound(f"Vega does not serve {request.method} {request.url.path}.")
