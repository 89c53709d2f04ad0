"""A response's headers and body as the fetcher reads them: the content type and
charset, the headers as a dict, and the body decoded under a size cap.

Content-Encoding is undone here rather than by httpx so the cap applies to the
decoded bytes as they are produced: httpx inflates a whole network chunk at once, and
one 64 KB chunk of gzip can become 64 MB (of brotli, gigabytes). gzip and deflate
only; the fetcher asks for nothing else.
"""

from __future__ import annotations

import codecs
import zlib
from typing import Any

import httpx

from vega.errors import FetchFailed

MB = 1024 * 1024


def size_text(n: int) -> str:
    return f"{n / MB:g} MB" if n >= MB else f"{n / 1024:g} KB"


def content_type(headers: httpx.Headers) -> tuple[str, str | None]:
    """``(media type, charset)`` from Content-Type; an unknown charset counts as none."""
    media, *params = headers.get("content-type", "").split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    if charset is not None:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = None
    return media.strip().lower(), charset


def header_dict(headers: httpx.Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.multi_items():
        key = name.lower()
        # Set-Cookie values hold commas (Expires), so repeats are joined by lines.
        joiner = "\n" if key == "set-cookie" else ", "
        out[key] = f"{out[key]}{joiner}{value}" if key in out else value
    return out


class _Decoder:
    """Content-Encoding undone with a bound on the output: ``feed`` never returns more
    than ``room`` bytes beyond what fits, so a bomb costs at most the cap."""

    def __init__(self, encoding: str, url: str) -> None:
        self.encoding = encoding.strip().lower()
        self._url = url
        self._deflate = self.encoding == "deflate"
        if self.encoding in ("", "identity"):
            self._z: Any = None
        elif self.encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._deflate:
            self._z = zlib.decompressobj()
        else:
            raise FetchFailed(
                f"{url} is compressed as {self.encoding!r}, which the fetcher does not decode.",
                url=url,
            )

    def feed(self, data: bytes, room: int) -> bytes:
        if self._z is None:
            return data
        if self._z.eof:  # bytes after the end of the stream: ignored, not buffered
            return b""
        try:
            return bytes(self._z.decompress(data, room))
        except zlib.error:
            if self._deflate:  # "deflate" is often sent raw, without the zlib header
                self._deflate = False
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(data, room)
            raise FetchFailed(
                f"{self._url} sent a body that is not valid {self.encoding} data.", url=self._url
            ) from None


async def read_capped(response: httpx.Response, url: str, limit: int) -> bytes:
    too_big = FetchFailed(f"{url} is larger than {size_text(limit)}.", url=url, max_bytes=limit)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    decoder = _Decoder(response.headers.get("content-encoding", ""), url)
    body = bytearray()
    raw = 0
    async for chunk in response.aiter_raw():
        raw += len(chunk)
        body += decoder.feed(chunk, limit + 1 - len(body))
        if len(body) > limit or raw > limit:
            raise too_big
    return bytes(body)
