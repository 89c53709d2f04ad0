"""What `vega restore` does alike on SQLite and Postgres: the report, the data dir's
files (what counts as data, staging, moving aside, installing), and the schema check."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from vega.blobs import BlobStore
from vega.errors import BadInput
from vega.store.backup_format import (
    KEY_NAME,
    UPLOADS,
    Manifest,
    copy_hashed,
    fsync_dir,
    unused,
    utc_stamp,
)

DERIVED = "indexes"
STAGING = ".staging"  # uploads being received: never data


@dataclass(frozen=True, slots=True)
class RestoreReport:
    source: Path
    database: str  # the SQLite file, or the Postgres database (without its password)
    manifest: Manifest
    schema_revision: str | None
    migrated_from: str | None
    moved_aside: Path | None
    seconds: float


def holding_files(data_dir: Path, key_file: Path, *also: Path) -> list[Path]:
    """What a restore would replace in the data dir: the key file, uploads, indexes, and
    ``also`` (the SQLite database and its sidecars) when they exist.

    Indexes count although they are derived: left beside another database they would
    describe passages it does not have.
    """
    found = [p for p in (*also, key_file) if p.exists()]
    for folder in (data_dir / UPLOADS, data_dir / DERIVED):
        if folder.is_dir() and any(p.name != STAGING for p in folder.iterdir()):
            found.append(folder)
    return found


def stage(source: Path, manifest: Manifest, work: Path) -> None:
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


def aside_folder(data_dir: Path) -> Path:
    """A new ``<data_dir>/pre-restore-<UTC>/`` (0700) for what a forced restore replaces."""
    aside = unused(data_dir, f"pre-restore-{utc_stamp()}")
    aside.mkdir(mode=0o700)
    return aside


def move_aside(existing: list[Path], aside: Path) -> None:
    for path in existing:
        if path.exists():  # the in-use probe may have folded a -wal away meanwhile
            shutil.move(path, aside / path.name)
    fsync_dir(aside.parent)


def install_files(
    work: Path, data_dir: Path, key_file: Path, blobs: BlobStore | None = None
) -> None:
    """The staged uploads and key file into the data dir, by rename (the uploads into
    the bucket instead when ``blobs`` is one)."""
    staged_uploads = work / UPLOADS
    if staged_uploads.is_dir() and blobs is not None and blobs.name != "local":
        for path in sorted(staged_uploads.rglob("*")):
            if path.is_file():
                blobs.put_file(path.relative_to(work).as_posix(), path, move=True)
    elif staged_uploads.is_dir():
        uploads = data_dir / UPLOADS
        uploads.mkdir(mode=0o700, exist_ok=True)
        for folder in sorted(staged_uploads.iterdir()):
            os.replace(folder, uploads / folder.name)
        fsync_dir(uploads)
    if (work / KEY_NAME).is_file():
        os.replace(work / KEY_NAME, key_file)


def revisions(engine: Engine) -> tuple[str | None, set[str]]:
    """This Vega's head schema revision, and every revision it knows."""
    from alembic.script import ScriptDirectory

    from vega.store.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(engine))
    return script.get_current_head(), {s.revision for s in script.walk_revisions()}


def refuse_newer_schema(source: Path, before: str | None, engine: Engine) -> str | None:
    """``BadInput`` when the backup's schema ``before`` is one this Vega does not know
    (a newer Vega made it); else this Vega's head revision."""
    head, known = revisions(engine)
    if before is not None and before not in known:
        raise BadInput(
            f"{source} was made by a newer Vega (schema {before}; this one knows up to "
            f"{head}). Upgrade Vega, then restore."
        )
    return head
