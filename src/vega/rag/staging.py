"""Uploads on their way in: copied next to their final place while hashed and sized.

The client's file name is display metadata only: it never becomes a path. The
stored file is ``uploads/<document id>/original<ext>``, where the extension is
kept only when it is short and plain, so nothing a client sends can steer where
bytes land.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from vega.blobs import check_key
from vega.errors import BadInput, PayloadTooLarge, UnreadableDocument, UnsupportedType
from vega.private import private_dir, private_file
from vega.rag.extract import SUPPORTED, Extractor, kind_of
from vega.store.tables import new_id

UPLOADS = "uploads"
COPY_CHUNK = 1 << 20
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}")
# Unicode categories dropped from a displayed name: control characters (C0 and C1),
# format characters (bidi overrides, zero-width ones) and line/paragraph separators.
_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))
# Dropped from the front of a name, in any mix: spaces, dots (no hidden files, no
# "..") and drive prefixes ("C:name" is drive-relative on Windows).
_LEADING = re.compile(r"^(?:\s|\.|[A-Za-z]:)+")
MAX_FILENAME_CHARS = 255
_MAX_KEPT_SUFFIX = 16


@dataclass(frozen=True, slots=True)
class Staged:
    path: Path
    filename: str
    sha256: str
    size: int
    kind: str


def clean_filename(name: str) -> str:
    """The last path component, printable: display metadata, never a path.

    Leading spaces, dots and drive prefixes go ("C:x" is drive-relative on Windows),
    control and format characters are dropped (NUL, terminal escapes, bidi overrides that make
    "evil\u202egpj.exe" read as "evilexe.jpg"), a lone surrogate (a local
    file name's undecodable byte) becomes U+FFFD so the name can be stored as UTF-8,
    and a name past 255 characters is cut before its extension, which picks the reader.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = _LEADING.sub("", "".join(map(_printable, base))).rstrip()
    if len(base) > MAX_FILENAME_CHARS:
        suffix = Path(base).suffix
        suffix = suffix if len(suffix) <= _MAX_KEPT_SUFFIX else ""
        base = base[: MAX_FILENAME_CHARS - len(suffix)].rstrip() + suffix
    return base or "upload"


def _printable(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cs":
        return "\ufffd"
    return "" if category in _UNSAFE_CATEGORIES else char


def stored_path(document_id: str, filename: str) -> Path:
    """Where a document's original lives, relative to the data dir."""
    suffix = Path(filename).suffix
    name = "original" + (suffix.lower() if _SAFE_SUFFIX.fullmatch(suffix) else "")
    return Path(UPLOADS) / document_id / name


def staging_dir(data_dir: Path) -> Path:
    """Where uploads are copied while hashed: beside the local store's uploads, so a
    staged file moves into place with a rename."""
    return data_dir / UPLOADS / ".staging"


def stored_folder(stored: str) -> str | None:
    """``uploads/<id>/`` for a row's stored path; None for anything Vega never writes
    (whatever a row says, nothing outside a document's own folder is deleted)."""
    parts = stored.split("/")
    if len(parts) != 3 or parts[0] != UPLOADS:
        return None
    try:
        return check_key(f"{UPLOADS}/{parts[1]}/", prefix=True)
    except BadInput:
        return None


def stage(
    source: BinaryIO,
    filename: str,
    *,
    staging_dir: Path,
    max_bytes: int,
    readers: Mapping[str, Extractor] | None = None,
) -> Staged:
    """Copy an upload to ``staging_dir`` while hashing it, never holding it all in memory."""
    name = clean_filename(filename)
    private_dir(staging_dir)
    path = private_file(staging_dir / new_id())  # 0600: an upload is nobody else's business
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with path.open("wb") as out:
            while block := source.read(COPY_CHUNK):
                size += len(block)
                if size > max_bytes:
                    raise PayloadTooLarge(
                        f"{name} is larger than {max_bytes >> 20} MB (VEGA_MAX_UPLOAD_MB)."
                    )
                head = head or block[:8]
                digest.update(block)
                out.write(block)
        if size == 0:
            raise UnreadableDocument(f"{name} is empty.")
        kind = kind_of(name, head, readers=readers)
        if kind is None:
            raise UnsupportedType(
                f"{name}: this file type is not supported. Supported: {SUPPORTED}."
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Staged(path=path, filename=name, sha256=digest.hexdigest(), size=size, kind=kind)
