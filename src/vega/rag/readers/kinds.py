"""File names and first bytes to kinds of reader, and file names fit for a message.

The client picks a file's name, so a name is a hint: the first bytes of a PDF or a
zip overrule it, and a name with control characters is not believed at all. Both
`vega.rag.extract` (for an upload) and the archive reader (for each member) ask
here, with the table of readers they were given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from vega.rag.readers.base import Extractor

SNIFF_BYTES = 8
_PDF_MAGIC = b"%PDF-"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# Zip containers of formats we do not read: opening them as plain archives would
# index their XML plumbing as if it were the document.
_OTHER_ZIP_FORMATS = frozenset(
    ["xlsx", "xlsm", "pptx", "docm", "dotx", "odt", "ods", "odp", "epub", "jar", "apk", "whl"]
)
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
SEPARATORS = re.compile(r"[\\/]")


def detect_kind(readers: Mapping[str, Extractor], filename: str, head: bytes = b"") -> str | None:
    """The kind of reader in `readers` for a file, or None when none of them reads it.

    By extension of the client-given name (case-insensitive, last suffix of the last
    path part); `head`, the first bytes, catches PDFs and zips with the wrong name.
    A name with control characters (the "evil.txt\\x00.pdf" trick) gets no kind from
    its extension: it was not written by a person.
    """
    kind = _sniff(readers, filename, head)
    return kind if kind in readers else None


def _sniff(readers: Mapping[str, Extractor], filename: str, head: bytes) -> str | None:
    if head.startswith(_PDF_MAGIC):
        return "pdf"
    base = basename(filename).lower()
    ext = base.rpartition(".")[2] if "." in base else ""
    by_name = None
    if not CONTROL_CHARS.search(base):
        by_name = _extensions(readers).get(ext) if ext else _names(readers).get(base)
    if head.startswith(_ZIP_MAGICS):
        reader = readers.get(by_name) if by_name else None
        if reader is not None and reader.zip_container:
            return by_name
        return None if ext in _OTHER_ZIP_FORMATS else "zip"
    return by_name


def _extensions(readers: Mapping[str, Extractor]) -> dict[str, str]:
    """Every reader's extensions and their kinds; a later reader's claim wins."""
    return _claims(readers, lambda reader: reader.extensions)


def _names(readers: Mapping[str, Extractor]) -> dict[str, str]:
    return _claims(readers, lambda reader: reader.names)


def _claims(
    readers: Mapping[str, Extractor], claimed: Callable[[Extractor], Mapping[str, str]]
) -> dict[str, str]:
    claims: dict[str, str] = {}
    for reader in _distinct(readers.values()):
        claims.update(claimed(reader))
    return claims


def _distinct(readers: Iterable[Extractor]) -> list[Extractor]:
    """Each reader once (one is registered under each of its kinds), in order."""
    seen: dict[int, Extractor] = {}
    for reader in readers:
        seen.setdefault(id(reader), reader)
    return list(seen.values())


def describe(readers: Mapping[str, Extractor]) -> str:
    """The extensions `readers` read, for messages: ".txt, .pdf, ..., and source code (.py, ...)"."""
    extensions = {ext: kind for ext, kind in _extensions(readers).items() if kind in readers}
    listed = ", ".join(f".{ext}" for ext, kind in extensions.items() if kind != "code")
    code = ", ".join(f".{ext}" for ext, kind in extensions.items() if kind == "code")
    return f"{listed}, and source code ({code})" if code else listed


def basename(filename: str) -> str:
    return SEPARATORS.split(filename)[-1]


def display(filename: str) -> str:
    """The client's file name, safe and short enough to put in a message."""
    name = CONTROL_CHARS.sub("", basename(filename)).strip()
    return (name[:77] + "...") if len(name) > 80 else (name or "The file")


def member_name(name: str) -> str:
    """An archive member's path, safe and short enough to put in a message or a location."""
    name = CONTROL_CHARS.sub("", name)
    return (name[:197] + "...") if len(name) > 200 else name
