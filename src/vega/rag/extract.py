"""Uploaded files in, text segments out: the first step of document ingest.

Every file here is hostile until proven otherwise: the client picks its name, and
its bytes may be a zip bomb, a PDF that sends the parser into a loop, or a docx
whose XML unpacks to gigabytes. So extraction works to budgets (`Budget`): input
size, archive entries and unpacked bytes checked while reading (never only from
headers), total text, and, through `extract_isolated`, wall-clock time and memory
in a child process that can be killed.

Every failure leaves as one of two errors: `UnsupportedType` (415) when we do not
read that kind of file, `UnreadableDocument` (422) with a reason a person can act
on for everything else. No library exception escapes (DESIGN.md section 8).

This module picks the reader and holds the budget, the error translation and the
isolation; the readers of each format are `Extractor`s in `vega.rag.readers`
(DESIGN.md section 5). Without a `readers=` table the built-in ones are used, which
is also what the isolated child uses, so both sides read a file the same way.
pypdf and python-docx are imported inside their readers, so importing this module
stays cheap (DESIGN.md principle 6).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from vega.errors import UnreadableDocument, UnsupportedType, VegaError
from vega.rag.isolate import IsolationCrashed, IsolationTimeout, call_isolated
from vega.rag.readers import BUILTIN
from vega.rag.readers.base import (
    BadFile,
    Budget,
    Extraction,
    Extractor,
    Refused,
    Segment,
    mb,
    summary,
)
from vega.rag.readers.kinds import SNIFF_BYTES, describe, detect_kind, display

if TYPE_CHECKING:
    from vega.plugins import Registry

__all__ = [
    "DEFAULT_READERS",
    "SUPPORTED",
    "Budget",
    "Extractor",
    "Segment",
    "extract",
    "extract_isolated",
    "kind_of",
    "readers_from",
]

# Vega's own readers by kind: the table used when a caller passes no `readers`.
DEFAULT_READERS: Mapping[str, Extractor] = MappingProxyType(
    {kind: reader for reader in BUILTIN for kind in reader.kinds}
)
SUPPORTED = describe(DEFAULT_READERS)
_DEFAULT_BUDGET = Budget()


def readers_from(registry: Registry[Extractor]) -> dict[str, Extractor]:
    """The extractors registered in `Plugins.extractors`, as a `readers=` table.

    Built-in kinds come first, in their usual order, so that messages list the
    extensions as they would without plugins, and a plugin's claim on an extension
    wins over a built-in one.
    """
    kinds = [kind for kind in DEFAULT_READERS if kind in registry]
    kinds += [kind for kind in registry if kind not in DEFAULT_READERS]
    return {kind: registry.get(kind) for kind in kinds}


def kind_of(
    filename: str, head: bytes = b"", *, readers: Mapping[str, Extractor] | None = None
) -> str | None:
    """The kind of reader for a file, or None when we do not read it.

    By extension of the client-given name (case-insensitive, last suffix of the last
    path part); `head`, the first bytes, catches PDFs and zips with the wrong name.
    A name with control characters (the "evil.txt\\x00.pdf" trick) gets no kind from
    its extension: it was not written by a person.
    """
    return detect_kind(_table(readers), filename, head)


# --- public entry points -------------------------------------------------------


def extract(
    path: Path,
    *,
    filename: str,
    kind: str | None = None,
    budget: Budget = _DEFAULT_BUDGET,
    readers: Mapping[str, Extractor] | None = None,
) -> list[Segment]:
    """Read the file at `path` (uploaded as `filename`) into text segments, in this process.

    Raises `UnsupportedType` for a kind we do not read and `UnreadableDocument` with
    the reason for anything else that goes wrong.
    """
    table = _table(readers)
    name = display(filename)
    try:
        data = _read_upload(path, budget)
        kind = kind or detect_kind(table, filename, data[:SNIFF_BYTES])
        if kind is None or kind not in table:
            raise UnsupportedType(
                f"{name}: this type of file is not supported. Supported: {describe(table)}"
            )
        return Extraction(budget, table).read(kind, data)
    except VegaError:
        raise
    except BadFile as exc:
        raise UnreadableDocument(f"{name} {exc}") from None
    except MemoryError:
        raise UnreadableDocument(f"{name} needs more memory to read than allowed") from None
    except RecursionError:
        raise UnreadableDocument(f"{name} is nested too deeply to read") from None
    except Exception as exc:  # a parser bug or a case we did not foresee: still the file's fault
        raise UnreadableDocument(f"{name} could not be read ({summary(exc)})") from exc


def extract_isolated(
    path: Path,
    *,
    filename: str,
    kind: str | None = None,
    budget: Budget = _DEFAULT_BUDGET,
    readers: Mapping[str, Extractor] | None = None,
) -> list[Segment]:
    """`extract`, run in a child process with a deadline and a memory cap for risky kinds.

    The readers marked `isolated` (PDF, docx, zip and HTML: their parsers can hang or
    balloon on a crafted file) run in a fresh process that is killed past
    `budget.timeout_s`; plain text, CSV and JSON are read here. Safe to call from any
    thread: no signals are used. A `readers` table is pickled to the child, so its
    extractors must be instances of importable, module-level classes.
    """
    table = _table(readers)
    if kind is None:
        kind = detect_kind(table, filename, _head(path))
    reader = table.get(kind) if kind is not None else None
    if reader is None or not reader.isolated:
        return extract(path, filename=filename, kind=kind, budget=budget, readers=readers)
    name = display(filename)
    try:
        rows = call_isolated(
            _extract_rows,
            {
                "path": path,
                "filename": filename,
                "kind": kind,
                "budget": budget,
                # None: the child uses its own copy of the built-in readers.
                "readers": None if readers is None else dict(readers),
            },
            timeout_s=budget.timeout_s,
            memory_mb=budget.memory_mb,
            # Room for the text as JSON (escapes included) and the locations.
            max_reply_bytes=budget.max_text_chars * 8 + (64 << 20),
            preload=reader.preload,
        )
        return _rows_to_segments(rows)
    except IsolationTimeout:
        raise UnreadableDocument(
            f"{name} took longer than {budget.timeout_s:g} s to read; it may be malformed"
        ) from None
    except IsolationCrashed:
        raise UnreadableDocument(
            f"{name} could not be read: the reader ran out of memory or crashed;"
            " it may be malformed or too complex"
        ) from None


def _extract_rows(
    path: Path,
    filename: str,
    kind: str,
    budget: Budget,
    readers: Mapping[str, Extractor] | None,
) -> list[list[str | None]]:
    """`extract` in the child, as plain JSON-able rows for the trip back."""
    segments = extract(path, filename=filename, kind=kind, budget=budget, readers=readers)
    return [[s.text, s.location] for s in segments]


def _rows_to_segments(rows: object) -> list[Segment]:
    """Check the child's reply field by field: it comes from a process that parsed hostile input."""
    if not isinstance(rows, list):
        raise IsolationCrashed(None)
    segments = []
    for row in rows:
        match row:
            case [str(text), str() | None as location]:
                segments.append(Segment(text, location))
            case _:
                raise IsolationCrashed(None)
    return segments


# --- the upload ------------------------------------------------------------------


def _table(readers: Mapping[str, Extractor] | None) -> Mapping[str, Extractor]:
    return DEFAULT_READERS if readers is None else readers


def _read_upload(path: Path, budget: Budget) -> bytes:
    try:
        with path.open("rb") as file:
            # Ask for the size the file has, not for the cap: read(cap) allocates the cap.
            size = os.fstat(file.fileno()).st_size
            data = file.read(min(size, budget.max_bytes) + 1)
    except OSError as exc:  # the message, not str(exc): that holds our storage path
        raise BadFile(f"could not be opened ({exc.strerror or type(exc).__name__})") from None
    if len(data) > budget.max_bytes:
        raise Refused(f"is larger than the {mb(budget.max_bytes)} limit")
    return data


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(SNIFF_BYTES)
    except OSError:
        return b""  # extract() reports the file itself
