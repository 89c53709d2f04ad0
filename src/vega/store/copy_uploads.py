"""The second half of `vega db copy` when VEGA_STORAGE=s3: the data dir's uploads into
the bucket, so the many-machines stack (DESIGN.md 11) serves the same originals.

Every live document's original (the rows of the source SQLite database, failed ones
included: they keep theirs for a retry) is put under the same generated key. It is
resumable like the rows: an object already in the bucket with the right size is not
sent again. And checked: each object is read back from the bucket and its sha256 must
be the one its row recorded at upload; any difference fails the command.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from vega.blobs import BlobStore, LocalBlobStore
from vega.errors import StorageError
from vega.rag.staging import stored_folder
from vega.store.copy import CopyProgress

_ROWS = "SELECT stored_path, sha256, size FROM documents WHERE deleted_at IS NULL ORDER BY id"


@dataclass
class UploadsReport:
    target: str
    objects: int = 0  # originals the rows name
    sent: int = 0  # put into the bucket by this run
    present: int = 0  # there already (an earlier, interrupted run)
    bytes_sent: int = 0
    missing: list[str] = field(default_factory=list)  # named by a row, not in the data dir
    seconds: float = 0.0


def copy_uploads(
    sqlite_file: Path, data_dir: Path, blobs: BlobStore, progress: CopyProgress
) -> UploadsReport:
    started = time.perf_counter()
    uri = f"file:{sqlite_file}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        rows = [(str(k), str(h), int(n)) for k, h, n in conn.execute(_ROWS)]
    local = LocalBlobStore(data_dir)
    report = UploadsReport(target=blobs.describe(), objects=len(rows))
    progress.start("uploads", len(rows))
    for key, sha256, size in rows:
        if stored_folder(key) is None or not local.exists(key):
            report.missing.append(key)
        elif blobs.size(key) == size:
            report.present += 1
        else:
            report.bytes_sent += blobs.put_file(key, local.path(key))
            report.sent += 1
        if key not in report.missing:
            _check(blobs, key, sha256)
        progress.advance(1)
    report.seconds = time.perf_counter() - started
    return report


def _check(blobs: BlobStore, key: str, sha256: str) -> None:
    digest = hashlib.sha256()
    for block in blobs.read(key):
        digest.update(block)
    if digest.hexdigest() != sha256:
        blobs.delete(key)  # so that the next run sends it again
        raise StorageError(
            f"{key} in {blobs.describe()} does not match the sha256 its document recorded; "
            "it was removed from the bucket: run the command again to send it anew."
        )
