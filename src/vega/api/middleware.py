"""Request context as plain ASGI (no BaseHTTPMiddleware: it buffers and breaks cancellation).

Gives every request an id (``X-Request-ID``), refuses oversized bodies before they
are read, writes one access-log line and records request metrics.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vega.api.compat.errors import error_body as wire_error_body
from vega.api.compat.errors import wire_of, wire_status
from vega.api.errors import error_body
from vega.logs import request_id_var
from vega.metrics import Metrics

log = logging.getLogger("vega.access")
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` mid-body; an HTTPException so body parsers re-raise it as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


def too_large(limit: int) -> str:
    return (
        f"The request body is larger than {limit} bytes (the limits are set by "
        "VEGA_MAX_UPLOAD_MB for uploads and VEGA_MAX_PROMPT_CHARS for other requests)."
    )


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int, max_upload_bytes: int
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes

    def _limit_for(self, path: str) -> int:
        return self.max_upload if path.startswith(("/documents", "/upload")) else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start", "websocket.accept"):
                status = message.get("status", 101)
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send_with_id)
                return

            limit = self._limit_for(scope["path"])
            declared = _header(scope, b"content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                status = 413 if declared.isdigit() else 400
                await _reject(send, request_id, status, limit, scope["path"])
                return

            seen = 0

            async def limited_receive() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > limit:
                        raise BodyTooLarge(limit)
                return message

            try:
                await self.app(scope, limited_receive, send_with_id)
            except BodyTooLarge:
                if status == 0:
                    status = 413
                    await _reject(send, request_id, 413, limit, scope["path"])
            except Exception:
                # A bug, not a request problem: log it, and still answer with the request id
                # (Starlette's own last-resort handler sits outside this middleware).
                log.exception("unhandled error")
                if status != 0:
                    raise
                status = 500
                await _reject(send, request_id, 500, limit, scope["path"])
        finally:
            elapsed = time.perf_counter() - started
            route = _route(scope)
            method = scope.get("method", "WS")
            if scope["type"] == "http":
                self.metrics.http_requests.labels(
                    method=method, route=route, status=str(status)
                ).inc()
                self.metrics.http_latency.labels(method=method, route=route).observe(elapsed)
            log.info(
                "%s %s %s %.1fms",
                method,
                scope["path"],
                status or "-",
                elapsed * 1000,
                extra={"route": route, "status": status, "latency_ms": round(elapsed * 1000, 1)},
            )
            request_id_var.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


async def _reject(send: Send, request_id: str, status: int, limit: int, path: str) -> None:
    if status == 413:
        code, message = "payload_too_large", too_large(limit)
    elif status == 500:
        code, message = "internal_error", "Something went wrong; see the server log."
    else:
        code, message = "bad_request", "Content-Length is not a valid number."
    # /v1 and /api answer in their protocol's error shape (OpenAI's, Ollama's).
    wire = wire_of(path)
    body = (
        error_body(code, message)
        if wire is None
        else wire_error_body(wire, wire_status(status), code, message)
    )
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", request_id.encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
