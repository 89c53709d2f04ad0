"""`vega backup`: a consistent copy of the database, the uploads and the key file,
taken while a server keeps writing.

Order matters:

1. The database is copied first. On Postgres, ``pg_dump`` reads one snapshot taken when
   the command starts (see ``vega.store.postgres_backup``). On SQLite, with SQLite's
   online backup API in a single step.
   That step runs inside one read transaction, so the copy is the database exactly as
   it was at one instant, which includes every transaction committed before the
   command started. In WAL mode (how Vega opens its database) a reader never blocks
   the writer, so the server goes on committing turns during the copy. Copying in
   several steps would not help writers here, and would hurt: SQLite restarts a
   stepped backup whenever another process writes between steps, which under steady
   chat traffic may never finish.
2. Then the originals that the *copy* refers to. Ingest moves a file into
   ``uploads/`` before it commits the document's row, so every document in the
   snapshot already has its file on disk. Files added after the snapshot are not
   copied (their rows are not in the copy either). A file deleted between the two
   steps (its document deleted just after the snapshot) cannot be copied: the
   manifest lists it in ``missing_uploads``; the passages are in the database anyway.
3. The key file, then ``manifest.json`` last.

Everything is written into a hidden folder next to DEST and renamed to DEST at the
end, so an interrupted backup never looks like a finished one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from vega import __version__
from vega.blobs import BlobStore, blob_store
from vega.errors import Conflict, NotFound, StorageError
from vega.private import private_dir
from vega.settings import Settings
from vega.store.backup_format import (
    DB_NAME,
    KEY_NAME,
    STORE_FORMAT,
    DatabaseCopy,
    FileEntry,
    Manifest,
    Store,
    connect,
    copy_hashed,
    fsync_dir,
    hash_file,
    integrity_problems,
    is_backup_path,
    os_error,
    sqlite_contents,
    sqlite_path,
    unused,
    utc_stamp,
    write_hashed,
    write_manifest,
)


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    manifest: Manifest
    seconds: float


class DatabaseSource(Protocol):
    """Where the database of a backup comes from: checked when built (before any folder
    is made), copied into the backup folder by ``copy_into``."""

    store: Store

    def copy_into(self, work: Path) -> DatabaseCopy: ...


def database_source(settings: Settings) -> DatabaseSource:
    if settings.is_sqlite:
        return SqliteSource(settings)
    # psycopg is the postgres extra's: loaded only for a Postgres URL.
    from vega.store.postgres_backup import PostgresSource

    return PostgresSource(settings)


def create_backup(settings: Settings, dest: Path | None = None) -> BackupReport:
    started = time.monotonic()
    source = database_source(settings)
    try:
        target = destination(settings.data_dir, dest)
        private_dir(target.parent)
        # mkdtemp makes the folder 0700: conversations are nobody else's business.
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    except OSError as exc:
        raise os_error(exc, f"create the backup folder {dest or ''}".rstrip()) from exc
    try:
        manifest = _write(settings, source, work)
        _publish(work, target)
    except OSError as exc:
        raise os_error(exc, f"write the backup to {target}") from exc
    finally:
        if work.exists():  # anything but a finished backup leaves nothing behind
            shutil.rmtree(work, ignore_errors=True)
    return BackupReport(target, manifest, time.monotonic() - started)


def destination(data_dir: Path, dest: Path | None) -> Path:
    """DEST as given (absent or an empty folder), or a new ``<data_dir>/backups/vega-<UTC>``."""
    if dest is None:
        backups = data_dir / "backups"
        private_dir(backups)
        return unused(backups, f"vega-{utc_stamp()}")
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir() or dest.is_symlink():
            raise Conflict(f"{dest} exists and is not a folder; choose a new path for the backup.")
        if any(dest.iterdir()):
            raise Conflict(f"{dest} exists and is not empty; choose a new or empty folder.")
    return dest


def _write(settings: Settings, source: DatabaseSource, work: Path) -> Manifest:
    created = datetime.now(UTC)
    copy = source.copy_into(work)
    files = [copy.file]
    missing: list[str] = []
    blobs = blob_store(settings)
    for rel in copy.contents.uploads:
        entry = _copy_upload(blobs, rel, work)
        if entry is None:
            missing.append(rel)
        else:
            files.append(entry)
    if settings.key_file.is_file():
        size, digest = copy_hashed(settings.key_file, work / KEY_NAME)
        files.append(FileEntry(path=KEY_NAME, size=size, sha256=digest))
    manifest = Manifest(
        format_version=STORE_FORMAT[source.store],
        vega_version=__version__,
        created=created,
        store=source.store,
        server_version=copy.server_version,
        schema_revision=copy.contents.revision,
        counts=copy.contents.counts,
        files=files,
        missing_uploads=missing,
    )
    write_manifest(work, manifest)
    fsync_dir(work)
    return manifest


class SqliteSource:
    store: Store = "sqlite"

    def __init__(self, settings: Settings) -> None:
        self.db_path = sqlite_path(settings)
        if not self.db_path.is_file():
            raise NotFound(f"No database at {self.db_path}: nothing to back up.")

    def copy_into(self, work: Path) -> DatabaseCopy:
        copy = work / DB_NAME
        _snapshot(self.db_path, copy)
        if problems := integrity_problems(copy):
            raise StorageError(
                f"The copy of {self.db_path} fails PRAGMA integrity_check ({problems[0]}); "
                "the database itself may be damaged. No backup was written."
            )
        with closing(connect(copy)) as conn:
            held = sqlite_contents(conn)
        size, digest = hash_file(copy)
        return DatabaseCopy(
            FileEntry(path=DB_NAME, size=size, sha256=digest), held, sqlite3.sqlite_version
        )


def _snapshot(db_path: Path, copy: Path) -> None:
    os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # 0600 from the start
    try:
        with closing(connect(db_path)) as src, closing(connect(copy)) as dst:
            src.backup(dst)  # pages=-1: every page in one step, one read transaction (see above)
            # The copy inherits WAL mode from the source's header; make it one
            # self-contained file, so a backup is never a .db without its -wal.
            dst.execute("PRAGMA journal_mode=DELETE")
    except Exception as exc:  # sqlite3 errors: locked beyond the timeout, not a database, I/O
        raise StorageError(f"Could not copy {db_path}: {exc}.") from exc


def _copy_upload(blobs: BlobStore, rel: str, work: Path) -> FileEntry | None:
    """Copy one original (from the data dir or the bucket); None when it is gone (or the
    row holds a path we never write)."""
    if not is_backup_path(rel):
        return None
    try:
        size, digest = write_hashed(blobs.read(rel), work / rel)
    except NotFound:
        return None
    return FileEntry(path=rel, size=size, sha256=digest)


def _publish(work: Path, target: Path) -> None:
    if target.is_dir():  # an empty DEST given by the user: take its place
        target.rmdir()  # fails (OSError) if something was put in it meanwhile
    work.rename(target)
    fsync_dir(target.parent)
