"""Request context as plain ASGI (no BaseHTTPMiddleware: it buffers and breaks cancellation).

Gives every request an id (``X-Request-ID``), refuses oversized bodies before they
are read, writes one access-log line and records request metrics.

It is also where a request body is held to the rules that keep one client from
tying up the server (docs/security.md):

- a body may pause for at most ``body_timeout_s`` between two pieces (408): a
  ``Content-Length`` that promises more than is sent does not hold a request open
  for ever;
- a request with both ``Content-Length`` and ``Transfer-Encoding`` is refused (400):
  the HTTP layer would trust one of them, a proxy in front might trust the other;
- a ``multipart/form-data`` body needs a boundary RFC 2046 allows (1-70 plain
  characters, so no run of backslashes reaches a parser), has at most
  ``max_form_parts`` parts and at most ``FORM_SLACK_BYTES`` before its first and
  after its last boundary (400), checked as the bytes arrive;
- a response sent before the request body has been read to its end says
  ``Connection: close``, so the connection is closed after it instead of staying
  open to swallow the rest of a body nobody reads.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vega.api.compat.errors import error_body as wire_error_body
from vega.api.compat.errors import wire_of, wire_status
from vega.api.errors import error_body
from vega.logs import request_id_var
from vega.metrics import Metrics

log = logging.getLogger("vega.access")
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_DECIMAL = re.compile(r"[0-9]{1,19}")  # str.isdigit() also says yes to "²"

# The longest pause between two pieces of a request body.
BODY_TIMEOUT_S = 30.0
# An upload is one file and a few fields; no route of Vega takes more.
MAX_FORM_PARTS = 8
# Bytes allowed before the first boundary (preamble) and after the last (epilogue).
# RFC 2046 lets a body carry both; clients send none, or one CRLF.
FORM_SLACK_BYTES = 1024
# RFC 2046 section 5.1.1: 1 to 70 of these characters, not ending with a space.
_BOUNDARY = re.compile(rb"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` mid-body; an HTTPException so body parsers re-raise it as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


class BodyTimeout(HTTPException):
    """The body stopped arriving; raised from ``receive`` (408)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408, f"The request body stopped arriving for {seconds:g} s; send it again."
        )


class BadBody(HTTPException):
    """A body framed in a way Vega does not accept (400)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def too_large(limit: int) -> str:
    return (
        f"The request body is larger than {limit} bytes (the limits are set by "
        "VEGA_MAX_UPLOAD_MB for uploads and VEGA_MAX_PROMPT_CHARS for other requests)."
    )


class FormFraming:
    """Watches a ``multipart/form-data`` body go by and counts its parts.

    Only the delimiters are looked for (``CRLF--boundary``, which a part's content
    cannot hold), with one ``bytes.find`` per piece: the parser behind this still
    does the parsing, this only stops a body that is mostly framing before the
    parser spends time on it.
    """

    def __init__(self, boundary: bytes, *, max_parts: int) -> None:
        self._delimiter = b"\r\n--" + boundary
        # The first delimiter may open the body without a CRLF: pretend there was one.
        self._pending = b"\r\n"
        self._preamble = -2
        self._delimiters = 0
        self._epilogue: int | None = None
        self._max_parts = max_parts

    @classmethod
    def of(cls, content_type: str, *, max_parts: int) -> FormFraming | None:
        """The watcher for a body of this type; None when it is not a multipart form."""
        from python_multipart.multipart import parse_options_header

        kind, params = parse_options_header(content_type)
        if kind != b"multipart/form-data":
            return None
        boundary = params.get(b"boundary", b"")
        if not _BOUNDARY.fullmatch(boundary):
            raise BadBody(
                "The multipart boundary is missing or malformed: it must be 1 to 70 letters,"
                " digits or '()+_,-./:=? (RFC 2046)."
            )
        return cls(boundary, max_parts=max_parts)

    def feed(self, chunk: bytes) -> None:
        if self._epilogue is not None:
            self._epilogue += len(chunk)
            self._check_slack(self._epilogue, "after its closing boundary")
            return
        data, delimiter = self._pending + chunk, self._delimiter
        start = 0
        while (at := data.find(delimiter, start)) >= 0:
            end = at + len(delimiter)
            if end + 2 > len(data):
                break  # a part or the end? The next piece says.
            if self._delimiters == 0:
                self._preamble += at
                self._check_slack(self._preamble, "before its first boundary")
            self._delimiters += 1
            if data[end : end + 2] == b"--":
                self._epilogue = len(data) - end - 2
                self._check_slack(self._epilogue, "after its closing boundary")
                return
            if self._delimiters > self._max_parts:
                raise BadBody(
                    f"The form has more than {self._max_parts} parts; an upload is one file"
                    " and a few fields."
                )
            start = end
        keep = at if at >= 0 else max(start, len(data) - len(delimiter) + 1)
        if self._delimiters == 0:
            self._preamble += keep
            self._check_slack(self._preamble, "before its first boundary")
        self._pending = data[keep:]

    @staticmethod
    def _check_slack(size: int, where: str) -> None:
        if size > FORM_SLACK_BYTES:
            raise BadBody(f"The form has more than {FORM_SLACK_BYTES} bytes {where}.")


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        max_upload_bytes: int,
        body_timeout_s: float = BODY_TIMEOUT_S,
        max_form_parts: int = MAX_FORM_PARTS,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes
        self.body_timeout = body_timeout_s
        self.max_form_parts = max_form_parts

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
        declared = _header(scope, b"content-length")
        chunked = _header(scope, b"transfer-encoding")
        # Until the body has been read to its end, a response closes the connection.
        body_done = chunked is None and (declared is None or declared.strip("0") == "")

        async def send_with_id(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start", "websocket.accept"):
                status = message.get("status", 101)
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode()),
                ]
                if kind == "http.response.start" and not body_done:
                    message["headers"].append((b"connection", b"close"))
            await send(message)

        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send_with_id)
                return

            path = scope["path"]
            limit = self._limit_for(path)
            refusal = None
            if declared is not None and chunked is not None:
                refusal = 400, "bad_request", "Send Content-Length or Transfer-Encoding, not both."
            elif declared is not None and not _DECIMAL.fullmatch(declared):
                refusal = 400, "bad_request", "Content-Length is not a valid number."
            elif declared is not None and int(declared) > limit:
                refusal = 413, "payload_too_large", too_large(limit)
            framing = None
            if refusal is None and (content_type := _header(scope, b"content-type")):
                try:
                    framing = FormFraming.of(content_type, max_parts=self.max_form_parts)
                except BadBody as exc:
                    refusal = 400, "bad_request", exc.detail
            if refusal is not None:
                status = refusal[0]
                await _reject(send, request_id, path, *refusal)
                return

            seen = 0

            async def limited_receive() -> Message:
                nonlocal seen, body_done
                if body_done or status != 0:  # e.g. a streamed response awaiting a disconnect
                    return await receive()
                try:
                    with anyio.fail_after(self.body_timeout):
                        message = await receive()
                except TimeoutError:
                    if status != 0:  # answered meanwhile: this is a watch for the hang-up
                        return await receive()
                    raise BodyTimeout(self.body_timeout) from None
                if message["type"] != "http.request":  # the client has gone
                    body_done = True
                    return message
                chunk = message.get("body", b"")
                seen += len(chunk)
                if seen > limit:
                    raise BodyTooLarge(limit)
                if framing is not None:
                    framing.feed(chunk)
                body_done = not message.get("more_body", False)
                return message

            try:
                await self.app(scope, limited_receive, send_with_id)
            except BodyTooLarge:
                if status == 0:
                    status = 413
                    await _reject(
                        send, request_id, path, 413, "payload_too_large", too_large(limit)
                    )
            except Exception:
                # A bug, not a request problem: log it, and still answer with the request id
                # (Starlette's own last-resort handler sits outside this middleware).
                log.exception("unhandled error")
                if status != 0:
                    raise
                status = 500
                await _reject(
                    send,
                    request_id,
                    path,
                    500,
                    "internal_error",
                    "Something went wrong; see the server log.",
                )
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


async def _reject(
    send: Send, request_id: str, path: str, status: int, code: str, message: str
) -> None:
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
