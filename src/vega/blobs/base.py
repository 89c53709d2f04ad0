"""The ``BlobStore`` contract: streamed puts and gets, ranged reads, deletes, listings.

No method holds a whole object in memory: puts read their source in blocks (S3 sends
them as a multipart upload), gets yield blocks, and ``local_file`` gives code that
needs a path (the text extractors run in a child process on a file) a private copy
that is deleted afterwards; on the local store, the file itself.

Keys are relative, '/'-separated, made of plain parts (letters, digits, ``._-``), never
``.`` or ``..``: ``check_key`` refuses anything else, so a tampered database row cannot
name a file outside the store, or an object outside the configured prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from vega.errors import BadInput

MAX_KEY_CHARS = 500
READ_BLOCK = 1 << 20
_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")


def check_key(key: str, *, prefix: bool = False) -> str:
    """``key`` if it is one Vega could have generated (``prefix``: a folder, ending '/')."""
    body = key[:-1] if prefix and key.endswith("/") else key
    parts = body.split("/")
    if (
        not body
        or len(key) > MAX_KEY_CHARS
        or (prefix and not key.endswith("/"))
        or not all(_PART.fullmatch(p) and p not in {".", ".."} for p in parts)
    ):
        raise BadInput(f"not a storage key Vega writes: {key[:80]!r}")
    return key


@dataclass(frozen=True, slots=True)
class BlobInfo:
    key: str
    size: int
    modified: datetime


class BlobStore(Protocol):
    """Files by key. Blocking calls: async code runs them in a worker thread."""

    name: str  # "local" or "s3"

    def describe(self) -> str:
        """Where the objects live, for logs and `vega doctor` (no secrets)."""
        ...

    def check(self) -> None:
        """Raise ``ObjectStoreUnavailable`` (with what to fix) unless the store is usable."""
        ...

    def probe(self) -> None:
        """``check`` within a second or two, without retries (for /readyz)."""
        ...

    def put(self, key: str, source: BinaryIO) -> int:
        """Store ``source``'s bytes (read in blocks) under ``key``; returns the size."""
        ...

    def put_file(self, key: str, path: Path, *, move: bool = False) -> int:
        """Store a local file under ``key`` (``move``: the file may be consumed)."""
        ...

    def read(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``start``..``end`` (inclusive; None: to the end) in blocks.

        Raises ``NotFound`` when there is no such object."""
        ...

    def size(self, key: str) -> int | None:
        """The object's size, or None when there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove one object (nothing happens when it is not there)."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under ``prefix`` (a folder, ending '/'); returns how many."""
        ...

    def listing(self, prefix: str) -> Iterator[BlobInfo]:
        """Every object under ``prefix``, in no particular order."""
        ...

    def local_file(self, key: str) -> AbstractContextManager[Path]:
        """A path holding the object while the block runs (a private copy, if needed)."""
        ...
