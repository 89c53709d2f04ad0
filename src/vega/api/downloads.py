"""Files sent back to clients: a document's original, whole or one byte range.

One `Range: bytes=...` range is honoured (``FIRST-LAST``, ``FIRST-`` or the suffix
``-N``); several ranges, other units or a malformed header are ignored, as RFC 9110
allows, and the whole file is sent. The bytes come from the blob store in blocks.

An original is whatever someone uploaded, HTML included, so it is always sent as an
attachment, with a content type from a short safe list, ``nosniff`` and a sandboxing
CSP: opening it never runs it on Vega's origin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from vega.rag.documents import Original

_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")
_TEXT = "text/plain; charset=utf-8"
_SAFE_TYPES = {"pdf": "application/pdf"} | dict.fromkeys(
    ("text", "markdown", "code", "csv", "json", "jsonl"), _TEXT
)


@dataclass(frozen=True, slots=True)
class ByteRange:
    first: int  # negative: the last -first bytes
    last: int | None


def byte_range(header: str | None) -> ByteRange | None:
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":
        return ByteRange(-int(last), None)
    return ByteRange(int(first), int(last) if last else None)


def original_response(original: Original, *, partial: bool) -> StreamingResponse:
    name = original.document.source_name
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        "Content-Length": str(original.last - original.first + 1),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    if partial:
        headers["Content-Range"] = f"bytes {original.first}-{original.last}/{original.size}"
    return StreamingResponse(
        original.blocks,
        status_code=206 if partial else 200,
        media_type=_SAFE_TYPES.get(original.document.content_type, "application/octet-stream"),
        headers=headers,
    )
