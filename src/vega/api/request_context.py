"""The request's context, as plain ASGI (no BaseHTTPMiddleware: it buffers and breaks
cancellation). The outermost layer of the app.

Every HTTP request and WebSocket handshake gets an id: the client's ``X-Request-ID``
when it is a safe one, else a new one. It is set for the logs (``vega.logs``) and sent
back in ``X-Request-ID``. Afterwards: one access-log line, and for HTTP the request
metrics (by route template, so ids in paths do not multiply the series).

A bug that escapes everything inside before the response began is logged and answered
here, as a 500 with the request id (Starlette's own last-resort handler sits outside
this middleware and knows nothing of it).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vega.api.error_shapes import INTERNAL, Refusal, send_refusal
from vega.logs import client_address_var, request_id_var
from vega.metrics import Metrics

log = logging.getLogger("vega.access")
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
BUG = "Something went wrong; see the server log."
# The messages that start an answer: an HTTP response, a WebSocket's denial or accept.
_STARTS = frozenset({"http.response.start", "websocket.http.response.start", "websocket.accept"})


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _request_id_header(scope)
        request_id = incoming if incoming and SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        id_header = (b"x-request-id", request_id.encode())
        token = request_id_var.set(request_id)
        client = scope.get("client")
        address_token = client_address_var.set(str(client[0]) if client else None)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] in _STARTS:
                status = message.get("status", 101)
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if scope["type"] != "http":
                raise
            # A bug, not a request problem: log it, and still answer with the request id.
            log.exception("unhandled error")
            if status != 0:
                raise
            status = 500
            await send_refusal(
                send, scope["path"], Refusal(500, INTERNAL, BUG), headers=[id_header]
            )
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)
            client_address_var.reset(address_token)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = _route(scope)
        method = scope.get("method", "WS")
        if scope["type"] == "http":
            self.metrics.http_requests.labels(method=method, route=route, status=str(status)).inc()
            self.metrics.http_latency.labels(method=method, route=route).observe(elapsed)
        log.info(
            "%s %s %s %.1fms",
            method,
            scope["path"],
            status or "-",
            elapsed * 1000,
            extra={"route": route, "status": status, "latency_ms": round(elapsed * 1000, 1)},
        )


def _request_id_header(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            return str(value.decode("latin-1"))
    return None


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
