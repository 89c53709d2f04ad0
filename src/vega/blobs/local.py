"""Blobs as files under the data dir (VEGA_STORAGE=local, the default).

A put writes a private temporary file beside its target and renames it into place, so a
reader never sees half an object; ``put_file(move=True)`` is a rename when the source is
on the same file system (uploads are staged under the data dir for that reason).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from vega.blobs.base import READ_BLOCK, BlobInfo, check_key
from vega.errors import BadInput, NotFound
from vega.private import private_dir, private_file
from vega.store.tables import new_id


class LocalBlobStore:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"local files in {self.root}"

    def check(self) -> None:
        private_dir(self.root)

    def probe(self) -> None:
        self.check()

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, source: BinaryIO) -> int:
        target = self.path(key)
        temp = private_file(target.parent / f".{new_id()}.part")
        size = 0
        try:
            with temp.open("wb") as out:
                while block := source.read(READ_BLOCK):
                    out.write(block)
                    size += len(block)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        return size

    def put_file(self, key: str, path: Path, *, move: bool = False) -> int:
        if not move:
            with path.open("rb") as source:
                return self.put(key, source)
        target = self.path(key)
        private_dir(target.parent)
        size = path.stat().st_size
        try:
            os.replace(path, target)
        except OSError:  # another file system: copy, then drop the source
            with path.open("rb") as source:
                size = self.put(key, source)
            path.unlink(missing_ok=True)
        return size

    def read(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self.path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"No stored object {key}.") from None
        return _blocks(handle, start, end)

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        with suppress(OSError):  # its folder, once empty (uploads/<id>/ holds one file)
            if path.parent != self.root:
                path.parent.rmdir()

    def delete_prefix(self, prefix: str) -> int:
        folder = self.root / check_key(prefix, prefix=True)
        if not folder.is_dir() or folder.is_symlink():
            return 0
        count = sum(1 for f in folder.rglob("*") if f.is_file())
        shutil.rmtree(folder, ignore_errors=True)
        return count

    def listing(self, prefix: str) -> Iterator[BlobInfo]:
        folder = self.root / check_key(prefix, prefix=True)
        if not folder.is_dir():
            return
        for path in folder.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            try:
                check_key(key)
                stat = path.lstat()
            except (BadInput, FileNotFoundError):  # a name Vega never writes; gone since
                continue
            if path.is_file() and not path.is_symlink():
                yield BlobInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def local_file(self, key: str) -> AbstractContextManager[Path]:
        path = self.path(key)
        if not path.is_file():
            raise NotFound(f"No stored object {key}.")
        return nullcontext(path)


def _blocks(handle: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        left = None if end is None else end - start + 1
        while left is None or left > 0:
            block = handle.read(READ_BLOCK if left is None else min(READ_BLOCK, left))
            if not block:
                return
            if left is not None:
                left -= len(block)
            yield block
