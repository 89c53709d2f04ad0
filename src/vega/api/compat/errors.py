"""The routers of the two wire formats: their route class, error documents and catch-all.

Errors under ``/v1`` and ``/api`` are rendered by the app's exception handlers in
OpenAI's and Ollama's shapes (``vega.api.error_shapes``, chosen by path): an OpenAI SDK
reads ``{"error": {"message", "type", "param", "code"}}`` and an Ollama client
``{"error": "message"}``. This module declares those shapes in the OpenAPI document,
gives the routers a route class that reads JSON bodies as those servers do, and answers
every other path under their prefixes in their shape.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from fastapi import params
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from vega.api.deps import PrincipalDep
from vega.api.error_shapes import OLLAMA, OPENAI, ErrorShape, shape_for
from vega.api.errors import ResponsesDoc, error_responses
from vega.errors import NotFound


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str = Field(description="OpenAI's error type, e.g. `invalid_request_error`.")
    param: str | None = Field(description="The offending field, when one is.")
    code: str = Field(description="Vega's stable code: `bad_input`, `unauthorized`, ...")


class OpenAIErrorOut(BaseModel):
    error: OpenAIErrorDetail


class OllamaErrorOut(BaseModel):
    error: str


ERROR_MODELS: dict[ErrorShape, type[BaseModel]] = {
    OPENAI: OpenAIErrorOut,
    OLLAMA: OllamaErrorOut,
}


def wire_error_responses(shape: ErrorShape, *statuses: int) -> ResponsesDoc:
    """OpenAPI ``responses`` for a wire router: its errors, in its protocol's shape.

    Client errors are declared as a range: a request that does not validate is a 400
    in both protocols (not FastAPI's 422), and a key, rate-limit, unknown-model,
    stalled-body or size problem is 401, 403, 404, 408, 413 or 429. 503 (database, embedder or model server
    unavailable) and any ``statuses`` (502, 504 for chat) are declared one by one.
    """
    model = ERROR_MODELS[shape]
    client = {
        "model": model,
        "description": "Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, "
        "408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape.",
    }
    return {"4XX": client, **error_responses(503, *statuses, model=model)}


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
    """A route of a wire router: its JSON body is read as JSON whatever ``Content-Type``
    says (``as_json_body``), and its path is under the prefix of ``shape``, the shape
    its errors leave in (checked here, since the handlers choose the shape by path).
    """

    shape: ClassVar[ErrorShape]

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if shape_for(self.path) is not self.shape:
            raise ValueError(
                f"{type(self).__name__} serves {self.shape.name} paths; {self.path} is not one"
            )

    @property
    def takes_json(self) -> bool:
        """Whether the route's body is JSON (not a form or an upload, and not none)."""
        return self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        if not self.takes_json:
            return handler

        async def json_body(request: Request) -> Response:
            return await handler(as_json_body(request))

        return json_body


class OpenAIRoute(WireRoute):
    shape = OPENAI


class OllamaRoute(WireRoute):
    shape = OLLAMA


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
