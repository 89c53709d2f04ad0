"""`vega restore`: a backup folder back into a data dir, all or nothing.

A backup restores into the store it was taken from (VEGA_DATABASE_URL must be of the
same kind): a SQLite backup into a SQLite data dir, a Postgres one into a Postgres
database (``vega.store.postgres_restore``). Across stores, `vega db copy` moves a
restored SQLite data dir into Postgres. On SQLite:

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

import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

from vega.errors import BadInput, Conflict, StorageError
from vega.settings import Settings
from vega.store.backup_format import (
    DB_NAME,
    Manifest,
    connect,
    describe,
    fsync_dir,
    integrity_problems,
    os_error,
    read_manifest,
    schema_revision,
    sidecars,
    sqlite_path,
)
from vega.store.restore_steps import (
    RestoreReport,
    aside_folder,
    holding_files,
    install_files,
    move_aside,
    refuse_newer_schema,
    stage,
)

__all__ = ["RestoreReport", "restore_backup"]


def restore_backup(settings: Settings, source: Path, *, force: bool = False) -> RestoreReport:
    manifest = read_manifest(source)
    refuse_other_store(settings, source, manifest)
    if manifest.store == "postgres":
        # psycopg is the postgres extra's: loaded only for a Postgres URL.
        from vega.store.postgres_restore import restore_postgres

        return restore_postgres(settings, source, manifest, force=force)
    return _restore_sqlite(settings, source, manifest, force=force)


def refuse_other_store(settings: Settings, source: Path, manifest: Manifest) -> None:
    target = "sqlite" if settings.is_sqlite else "postgres"
    if manifest.store == target:
        return
    if manifest.store == "sqlite":
        raise BadInput(
            f"{source} holds a SQLite database and VEGA_DATABASE_URL points at Postgres: "
            "restore it into a SQLite data dir (VEGA_DATABASE_URL unset), then move that "
            "into Postgres with `vega db copy --to URL`."
        )
    raise BadInput(
        f"{source} holds a Postgres database ({manifest.server_version or 'a pg_dump'}) and "
        "VEGA_DATABASE_URL is SQLite: restore it into an empty Postgres database "
        "(VEGA_DATABASE_URL=postgresql+psycopg://...); `vega db copy` moves SQLite data "
        "into Postgres, not back."
    )


def _restore_sqlite(
    settings: Settings, source: Path, manifest: Manifest, *, force: bool
) -> RestoreReport:
    started = time.monotonic()
    db_path = sqlite_path(settings)
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
        stage(source, manifest, work)
        staged = work / DB_NAME
        migrated_from, revision = _upgrade(staged, source)
        aside = None
        if existing:
            aside = aside_folder(data_dir)
            move_aside(existing, aside)
        _install(work, data_dir, db_path, settings.key_file)
    except OSError as exc:
        raise os_error(exc, f"restore into {data_dir}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RestoreReport(
        source=source,
        database=str(db_path),
        manifest=manifest,
        schema_revision=revision,
        migrated_from=migrated_from,
        moved_aside=aside,
        seconds=time.monotonic() - started,
    )


def holding_data(data_dir: Path, db_path: Path, key_file: Path) -> list[Path]:
    """What a restore would replace: database (and its -wal), key file, uploads, indexes."""
    return holding_files(data_dir, key_file, db_path, *sidecars(db_path))


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
        head = refuse_newer_schema(source, before, db.engine)
        if before == head:
            return None, before
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


def _install(work: Path, data_dir: Path, db_path: Path, key_file: Path) -> None:
    install_files(work, data_dir, key_file)
    db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.move(work / DB_NAME, db_path)  # a rename when on the same file system
    fsync_dir(db_path.parent)
