"""Every error Vega sends, in the shape its client reads: one interface, four renderings.

An error is always the same three facts (a status, Vega's stable code, a message for
people); clients differ in where they look for them:

- ``NATIVE``, Vega's own API: ``{"error": {"code", "message", "request_id", ...}}``
  (``problems`` for a 422, ``retry_after_s`` for a 429);
- ``OPENAI``, under ``/v1``: ``{"error": {"message", "type", "param", "code"}}``, ``code``
  being Vega's code; a request that does not validate is a 400 (Vega's is 422), and an
  unknown model a 404 ``model_not_found``, because OpenAI's SDKs branch on them;
- ``OLLAMA``, under ``/api``: ``{"error": "message"}``, with OpenAI's statuses;
- ``WEBSOCKET``: a handshake refused is an HTTP answer in the native shape; on an open
  socket an error is a message ``{"type": "error", "conversation_id", "error": {...}}``.

``shape_for(path)`` is the one place that decides which shape an HTTP path speaks: the
exception handlers (``vega.api.errors``), the body guard, the host check and the
streams all ask it, or are handed its answer. Each shape renders a ``VegaError``
(``response``), a body that does not validate (``validation``), an HTTP error
(``http``), a refusal sent straight over ASGI before any route runs (``payload``) and a
failure inside a stream that has started (``stream_frame``: the body, which the stream
frames as its protocol does).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import Send

from vega.errors import BackendRejected, BadInput, VegaError
from vega.logs import request_id_var

# Vega's code for an HTTP error that is not a VegaError (an unknown path, a method not
# allowed, a body the guard refused); anything else is "error".
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

STREAM_FAILED = "The stream failed; see the server log."
INTERNAL = "internal_error"

# OpenAI's error types, by status; ``code`` carries Vega's own, finer code.
OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}


class Refusal(NamedTuple):
    """An answer given before (or instead of) a route: what any shape renders."""

    status: int
    code: str
    message: str


class ErrorShape(ABC):
    """One client's rendering of Vega's errors."""

    name: ClassVar[str]
    # What a stream says when it fails on a bug (not a VegaError): nothing of the bug.
    failure_message: ClassVar[str] = STREAM_FAILED

    @abstractmethod
    def body(
        self, status: int, code: str, message: str, *, param: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """The error's JSON body; ``param`` names the offending field (OpenAI's shape
        has room for it), ``extra`` adds details (only the native shape has room)."""

    def status(self, status: int) -> int:
        """The status this shape answers for Vega's ``status``."""
        return status

    def response(self, exc: VegaError) -> JSONResponse:
        headers: dict[str, str] = {}
        retry = exc.details.get("retry_after_s")
        if retry is not None:
            headers["Retry-After"] = str(retry)
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        status, code = self._status_and_code(exc)
        status = self.status(status)
        return JSONResponse(self.body(status, code, exc.message, **exc.details), status, headers)

    def validation(self, exc: RequestValidationError) -> JSONResponse:
        """A request that does not validate: the first problem in the message, all of
        them in ``problems`` where the shape has room."""
        problems = [
            {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", ""))}
            for err in exc.errors()
        ]
        first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
        param = ".".join(first["loc"][1:])  # the field, without "body" or "query"
        message = f"{param or 'body'}: {first['msg']}"
        status = self.status(BadInput.status)
        body = self.body(status, BadInput.code, message, param=param or None, problems=problems)
        return JSONResponse(body, status)

    def http(self, exc: HTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "error")
        status = self.status(exc.status_code)
        return JSONResponse(self.body(status, code, str(exc.detail)), status, exc.headers)

    def payload(self, refusal: Refusal) -> bytes:
        """The body of a refusal sent straight over ASGI (before any route runs)."""
        status, code, message = refusal
        return json.dumps(self.body(self.status(status), code, message)).encode()

    def stream_frame(self, exc: VegaError | None) -> dict[str, Any]:
        """The body of a failure after a stream began (None: not a VegaError, a bug)."""
        if exc is None:
            return self.body(500, INTERNAL, self.failure_message)
        return self.body(self.status(exc.status), exc.code, exc.message)

    def _status_and_code(self, exc: VegaError) -> tuple[int, str]:
        return exc.status, exc.code


class NativeShape(ErrorShape):
    name = "native"

    def body(
        self, status: int, code: str, message: str, *, param: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        return {
            "error": {"code": code, "message": message, "request_id": request_id_var.get(), **extra}
        }


class WebSocketShape(NativeShape):
    """The native body inside a WebSocket message; refusing a handshake (``response``)
    is an HTTP answer, in the native shape."""

    name = "websocket"
    failure_message = "The reply failed; see the server log."

    def stream_frame(
        self, exc: VegaError | None, conversation_id: str | None = None
    ) -> dict[str, Any]:
        """The ``error`` message, with the error's details (``retry_after_s``, ...)."""
        if exc is None:
            body = self.body(500, INTERNAL, self.failure_message)
        else:
            body = self.body(exc.status, exc.code, exc.message, **exc.details)
        return {"type": "error", "conversation_id": conversation_id, **body}


class WireShape(ErrorShape):
    """OpenAI's and Ollama's common rules: their clients expect 400 where Vega says 422,
    and 404 for a model the model server does not know."""

    def status(self, status: int) -> int:
        return 400 if status == 422 else status

    def _status_and_code(self, exc: VegaError) -> tuple[int, str]:
        if isinstance(exc, BackendRejected) and exc.details.get("upstream_status") == 404:
            return 404, "model_not_found"
        return exc.status, exc.code


class OpenAIShape(WireShape):
    name = "openai"

    def body(
        self, status: int, code: str, message: str, *, param: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        kind = OPENAI_TYPES.get(
            status, "server_error" if status >= 500 else "invalid_request_error"
        )
        return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class OllamaShape(WireShape):
    name = "ollama"

    def body(
        self, status: int, code: str, message: str, *, param: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        return {"error": message}


NATIVE = NativeShape()
OPENAI = OpenAIShape()
OLLAMA = OllamaShape()
WEBSOCKET = WebSocketShape()

PREFIXES: tuple[tuple[str, ErrorShape], ...] = (("/v1", OPENAI), ("/api", OLLAMA))


def shape_for(path: str) -> ErrorShape:
    """The shape an HTTP path speaks: ``/v1/...`` OpenAI's, ``/api/...`` Ollama's, else
    Vega's own (a WebSocket's handshake too)."""
    for prefix, shape in PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return shape
    return NATIVE


async def send_refusal(
    send: Send, path: str, refusal: Refusal, *, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Answer over plain ASGI, before a route runs or instead of one, in the shape of
    ``path``. The request's body is left unread, so the connection closes after it."""
    payload = shape_for(path).payload(refusal)
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
