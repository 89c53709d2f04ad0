"""The body guard: a request body held to the rules that keep one client from tying up
the server (docs/security.md), as plain ASGI, before any route reads a byte of it.

In this order, each answered in the shape of the path (``vega.api.error_shapes``)
before the body is read:

- a request with both ``Content-Length`` and ``Transfer-Encoding`` is refused (400):
  the HTTP layer would trust one of them, a proxy in front might trust the other; a
  ``Content-Length`` that is not a plain decimal number too (400);
- a declared ``Content-Length`` over the limit is refused (413). The limit is
  ``max_upload_bytes`` for the routes that take a file (``UploadRoutes``: a route marks
  itself as one by declaring a ``File``/``UploadFile`` parameter) and ``max_body_bytes``
  for every other;
- a ``multipart/form-data`` body needs a boundary RFC 2046 allows (1-70 plain
  characters, so no run of backslashes reaches a parser) (400).

Then, as the bytes arrive:

- a body larger than the limit, whatever it declared, stops at the limit (413);
- a body may pause for at most ``body_timeout_s`` between two pieces (408): a
  ``Content-Length`` that promises more than is sent does not hold a request open
  for ever;
- a form has at most ``max_form_parts`` parts and at most ``FORM_SLACK_BYTES`` before
  its first and after its last boundary (400);
- a response sent before the request body has been read to its end says
  ``Connection: close``, so the connection is closed after it instead of staying
  open to swallow the rest of a body nobody reads.

A request without a body (most of them) goes straight through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import anyio
import fastapi.routing
from fastapi import params
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vega.api.error_shapes import Refusal, send_refusal

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

    @property
    def refusal(self) -> Refusal:
        return Refusal(413, "payload_too_large", self.detail)


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

    @property
    def refusal(self) -> Refusal:
        return Refusal(400, "bad_request", self.detail)


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
        if "multipart/form-data" not in content_type.lower():
            return None  # most bodies are JSON: no need to parse the header
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


class UploadRoutes:
    """The paths whose bodies may be as large as an upload: those of the routes that
    take a file (a ``File``/``UploadFile`` parameter), so a new upload route gets the
    upload limit by declaring its file."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._paths: set[str] = set()  # asked of every request with a body: a set first
        self._patterns: list[re.Pattern[str]] = []
        for path, route in _paths_and_routes(routes):
            if not (
                isinstance(route, APIRoute)
                and route.body_field is not None
                and isinstance(route.body_field.field_info, params.File)
            ):
                continue
            if "{" in path:
                self._patterns.append(compile_path(path)[0])
            else:
                self._paths.add(path)

    def __contains__(self, path: str) -> bool:
        # With a trailing slash too: the router redirects that to the route.
        bare = path[:-1] if len(path) > 1 and path.endswith("/") else path
        return bare in self._paths or any(pattern.match(bare) for pattern in self._patterns)


def _paths_and_routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, BaseRoute]]:
    """Every route with the path it answers, inside included routers too."""
    # FastAPI 0.137.2+ keeps included routers as a tree, walked by this function;
    # before, ``include_router`` copied each route, path and all, into the app.
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    if walk is None:
        yield from ((str(getattr(route, "path", "")), route) for route in routes)
        return
    for context in walk(list(routes)):
        yield str(context.path or ""), context.original_route


@dataclass(frozen=True)
class BodyLimits:
    """How large a request body may be: ``upload_bytes`` on the routes that take a file
    (``uploads``), ``body_bytes`` on every other."""

    body_bytes: int
    upload_bytes: int
    uploads: UploadRoutes

    def for_path(self, path: str) -> int:
        return self.upload_bytes if path in self.uploads else self.body_bytes


class BodyGuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: BodyLimits,
        body_timeout_s: float = BODY_TIMEOUT_S,
        max_form_parts: int = MAX_FORM_PARTS,
    ) -> None:
        self.app = app
        self.limits = limits
        self.body_timeout = body_timeout_s
        self.max_form_parts = max_form_parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked, content_type = _body_headers(scope)
        limit = self.limits.body_bytes
        framing = None
        try:
            if declared is not None or chunked is not None:
                limit = self.limits.for_path(scope["path"])
                _check_framing(declared, chunked, limit)
            if content_type is not None:
                framing = FormFraming.of(content_type, max_parts=self.max_form_parts)
        except (BadBody, BodyTooLarge) as exc:
            await send_refusal(send, scope["path"], exc.refusal)
            return
        if chunked is None and (declared is None or declared.strip("0") == ""):
            await self.app(scope, receive, send)  # no body: nothing to watch
            return
        await _GuardedRequest(self, limit, framing, receive, send).run(scope)


def _body_headers(scope: Scope) -> tuple[str | None, str | None, str | None]:
    """``Content-Length``, ``Transfer-Encoding`` and ``Content-Type`` (the first of each),
    in one pass over the headers."""
    declared = chunked = content_type = None
    for key, value in scope["headers"]:
        if key == b"content-length":
            declared = value.decode("latin-1") if declared is None else declared
        elif key == b"transfer-encoding":
            chunked = value.decode("latin-1") if chunked is None else chunked
        elif key == b"content-type":
            content_type = value.decode("latin-1") if content_type is None else content_type
    return declared, chunked, content_type


def _check_framing(declared: str | None, chunked: str | None, limit: int) -> None:
    """What the head says about the body, checked before a byte of it is read."""
    if declared is None:
        return
    if chunked is not None:
        raise BadBody("Send Content-Length or Transfer-Encoding, not both.")
    if not _DECIMAL.fullmatch(declared):
        raise BadBody("Content-Length is not a valid number.")
    if int(declared) > limit:
        raise BodyTooLarge(limit)


class _GuardedRequest:
    """One request whose body is watched as it arrives (the rules above)."""

    def __init__(
        self,
        guard: BodyGuardMiddleware,
        limit: int,
        framing: FormFraming | None,
        receive: Receive,
        send: Send,
    ) -> None:
        self._guard = guard
        self._limit = limit
        self._framing = framing
        self._receive = receive
        self._send = send
        self._seen = 0
        self._body_done = False
        self._answered = False

    async def run(self, scope: Scope) -> None:
        try:
            await self._guard.app(scope, self.receive, self.send)
        except BodyTooLarge as exc:
            if not self._answered:
                await send_refusal(self._send, scope["path"], exc.refusal)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._answered = True
            # Until the body has been read to its end, a response closes the connection.
            if not self._body_done:
                message["headers"] = [*message.get("headers", ()), (b"connection", b"close")]
        await self._send(message)

    async def receive(self) -> Message:
        if self._body_done or self._answered:  # e.g. a streamed response awaiting a hang-up
            return await self._receive()
        try:
            with anyio.fail_after(self._guard.body_timeout):
                message = await self._receive()
        except TimeoutError:
            if self._answered:  # answered meanwhile: this is a watch for the hang-up
                return await self._receive()
            raise BodyTimeout(self._guard.body_timeout) from None
        if message["type"] != "http.request":  # the client has gone
            self._body_done = True
            return message
        chunk = message.get("body", b"")
        self._seen += len(chunk)
        if self._seen > self._limit:
            raise BodyTooLarge(self._limit)
        if self._framing is not None:
            self._framing.feed(chunk)
        self._body_done = not message.get("more_body", False)
        return message
