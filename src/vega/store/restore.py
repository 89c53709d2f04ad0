"""`vega restore`: a backup folder back into a data dir, all or nothing.

1. The manifest is read and the target checked: a data dir that already holds a
   database, a key file, uploads or indexes is refused, unless ``force``, which moves
   them into ``<data_dir>/pre-restore-<UTC>/`` (never deletes them), and only when no
   process has the database open.
2. Every file is copied into a hidden folder inside the data dir, its size and
   sha256 checked against the manifest on the way; the database must pass
   ``PRAGMA integrity_check``, and is migrated when the backup's schema is older.
3. Only then do the files move into place, by rename on the same file system:
   uploads and key file first, the database last, so the data dir never holds a
   restored database without its files. Any failure before that leaves the target
   as it was.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from vega.errors import BadInput, Conflict, StorageError
from vega.settings import Settings
from vega.store.backup_format import (
    DB_NAME,
    KEY_NAME,
    UPLOADS,
    Manifest,
    connect,
    copy_hashed,
    describe,
    fsync_dir,
    integrity_problems,
    os_error,
    read_manifest,
    schema_revision,
    sidecars,
    sqlite_path,
    unused,
    utc_stamp,
)

POSTGRES_HINT = (
    "vega restore writes SQLite databases only. Restore Postgres with pg_restore (or psql "
    "for a plain dump), and copy the backup's uploads/ into the data dir."
)
DERIVED = "indexes"
STAGING = ".staging"  # uploads being received: never data


@dataclass(frozen=True, slots=True)
class RestoreReport:
    source: Path
    database: Path
    manifest: Manifest
    schema_revision: str | None
    migrated_from: str | None
    moved_aside: Path | None
    seconds: float


def restore_backup(settings: Settings, source: Path, *, force: bool = False) -> RestoreReport:
    started = time.monotonic()
    db_path = sqlite_path(settings, postgres_hint=POSTGRES_HINT)
    manifest = read_manifest(source)
    data_dir = settings.data_dir
    existing = holding_data(data_dir, db_path, settings.key_file)
    if existing and not force:
        raise Conflict(
            f"{data_dir} already holds Vega data ({describe(existing)}). Restore into an "
            "empty data dir, or pass --force to move the current data aside first."
        )
    if db_path.exists():
        refuse_if_open(db_path)
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    except OSError as exc:
        raise os_error(exc, f"create {data_dir}") from exc
    try:
        _stage(source, manifest, work)
        staged = work / DB_NAME
        migrated_from, revision = _upgrade(staged, source)
        aside = _move_aside(existing, data_dir) if existing else None
        _install(work, data_dir, db_path, settings.key_file)
    except OSError as exc:
        raise os_error(exc, f"restore into {data_dir}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RestoreReport(
        source=source,
        database=db_path,
        manifest=manifest,
        schema_revision=revision,
        migrated_from=migrated_from,
        moved_aside=aside,
        seconds=time.monotonic() - started,
    )


def holding_data(data_dir: Path, db_path: Path, key_file: Path) -> list[Path]:
    """What a restore would replace: database (and its -wal), key file, uploads, indexes.

    Indexes count although they are derived: left beside another database they would
    describe passages it does not have.
    """
    found = [p for p in (db_path, *sidecars(db_path), key_file) if p.exists()]
    for folder in (data_dir / UPLOADS, data_dir / DERIVED):
        if folder.is_dir() and any(p.name != STAGING for p in folder.iterdir()):
            found.append(folder)
    return found


def refuse_if_open(db_path: Path) -> None:
    """Refuse while any process (a `vega serve`) has the database open.

    Every open connection to a WAL database holds a shared lock on the file; an
    exclusive lock, asked for without waiting, is granted only when there is none.
    Closing our probe (the last connection) checkpoints the WAL into the file.
    """
    try:
        with closing(sqlite3.connect(db_path, timeout=0, isolation_level=None)) as conn:
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise Conflict(
                f"{db_path} is open in another process (is `vega serve` running?); "
                "stop it before restoring over it."
            ) from None
    except sqlite3.DatabaseError:
        pass  # not a database (damaged, or something else): nobody is using it as one


def _stage(source: Path, manifest: Manifest, work: Path) -> None:
    """Copy every file the manifest lists into ``work``, checking each on the way."""
    for entry in manifest.files:
        src = source / entry.path
        if src.is_symlink() or not src.is_file():
            raise BadInput(f"{source} is damaged: {entry.path} is missing.")
        size, digest = copy_hashed(src, work / entry.path)
        if (size, digest) != (entry.size, entry.sha256):
            raise BadInput(
                f"{source} is damaged: {entry.path} does not match its checksum in the manifest."
            )


def _upgrade(staged: Path, source: Path) -> tuple[str | None, str | None]:
    """Check the staged database and migrate it to this Vega's schema.

    Returns (the revision migrated from, or None when already current; the final revision).
    """
    if problems := integrity_problems(staged):
        raise BadInput(f"{source}: the database fails PRAGMA integrity_check ({problems[0]}).")
    with closing(connect(staged)) as conn:
        before = schema_revision(conn)
    from vega.store.db import Database  # Alembic is heavy: only restore needs it here

    db = Database.from_url(f"sqlite:///{staged}")
    try:
        head, known = _revisions(db.engine)
        if before == head:
            return None, before
        if before is not None and before not in known:
            raise BadInput(
                f"{source} was made by a newer Vega (schema {before}; this one knows up to "
                f"{head}). Upgrade Vega, then restore."
            )
        try:
            db.migrate()
        except Exception as exc:  # Alembic and SQLAlchemy errors: say which step failed
            raise StorageError(
                f"Could not migrate the backup's database from schema {before} to {head}: {exc}"
            ) from exc
    finally:
        db.dispose()
    with closing(connect(staged)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")  # fold the migration's WAL into the file
    if problems := integrity_problems(staged):
        raise StorageError(f"The migrated database fails PRAGMA integrity_check ({problems[0]}).")
    return before or "none", head


def _revisions(engine: Engine) -> tuple[str | None, set[str]]:
    from alembic.script import ScriptDirectory

    from vega.store.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(engine))
    return script.get_current_head(), {s.revision for s in script.walk_revisions()}


def _move_aside(existing: list[Path], data_dir: Path) -> Path:
    aside = unused(data_dir, f"pre-restore-{utc_stamp()}")
    aside.mkdir(mode=0o700)
    for path in existing:
        if path.exists():  # the in-use probe may have folded the -wal away meanwhile
            shutil.move(path, aside / path.name)
    fsync_dir(data_dir)
    return aside


def _install(work: Path, data_dir: Path, db_path: Path, key_file: Path) -> None:
    staged_uploads = work / UPLOADS
    if staged_uploads.is_dir():
        uploads = data_dir / UPLOADS
        uploads.mkdir(mode=0o700, exist_ok=True)
        for folder in sorted(staged_uploads.iterdir()):
            os.replace(folder, uploads / folder.name)
        fsync_dir(uploads)
    if (work / KEY_NAME).is_file():
        os.replace(work / KEY_NAME, key_file)
    db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.move(work / DB_NAME, db_path)  # a rename when on the same file system
    fsync_dir(db_path.parent)
