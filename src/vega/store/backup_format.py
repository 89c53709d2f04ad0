"""The backup format shared by `vega backup` and `vega restore`.

A backup is a folder::

    vega.db         the database, on SQLite (one self-contained SQLite file, no -wal)
    vega.pgdump     or, on Postgres, ``pg_dump``'s custom-format archive of it
    api_key         the generated primary key, mode 0600 (when the data dir had one)
    uploads/        <document id>/original.ext: the originals the database refers to
    manifest.json   what is here: format, Vega version, store (sqlite | postgres) and
                    its server version, schema revision, row counts, and the size and
                    sha256 of every file above

The manifest is written last, so a folder without one is never a finished backup,
and its checksums let restore refuse a damaged or edited copy before it touches the
target. Search indexes are not part of it: they are derived from the database.

``format_version`` is the oldest format that describes the folder: 1 for SQLite (as
every Vega before Postgres backups wrote, so an older Vega still restores them; it
ignores the fields it does not know), 2 for Postgres (a folder without ``vega.db``,
which an older Vega would misread: it says "upgrade Vega" instead).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url

from vega.errors import BadInput, NotFound, StorageError, VegaError
from vega.settings import Settings

FORMAT: Final = "vega-backup"
FORMAT_VERSION = 2  # the newest this Vega reads
MANIFEST = "manifest.json"
DB_NAME = "vega.db"
DUMP_NAME = "vega.pgdump"
KEY_NAME = "api_key"
UPLOADS = "uploads"
COPY_CHUNK = 1 << 20
BUSY_TIMEOUT_S = 10.0
# Tables whose sizes the manifest reports, so a person can see what a backup holds.
COUNTED = (
    "api_keys",
    "users",
    "conversations",
    "messages",
    "collections",
    "documents",
    "chunks",
    "jobs",
    "models",
    "audit_log",
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Store = Literal["sqlite", "postgres"]
DATABASE_FILE: Final[dict[str, str]] = {"sqlite": DB_NAME, "postgres": DUMP_NAME}
# The format each store's folder needs (see the module docstring).
STORE_FORMAT: Final[dict[str, int]] = {"sqlite": 1, "postgres": 2}


class FileEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    size: int = Field(ge=0)
    sha256: str

    @field_validator("path")
    @classmethod
    def _safe(cls, value: str) -> str:
        if not is_backup_path(value):
            raise ValueError(f"{value!r} is not a path a backup may hold")
        return value

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _SHA256.match(value):
            raise ValueError("not a sha256 hex digest")
        return value


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    format: Literal["vega-backup"] = FORMAT
    format_version: int = FORMAT_VERSION
    vega_version: str
    created: datetime
    # Absent from the backups of Vegas before Postgres backups: those are all SQLite.
    store: Store = "sqlite"
    server_version: str | None = None  # SQLite's library version, or the Postgres server's
    schema_revision: str | None
    counts: dict[str, int]
    files: list[FileEntry]
    # Documents live in the snapshot whose original was gone when the files were
    # copied (deleted right after the snapshot): the backup holds their passages only.
    missing_uploads: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _database_listed(self) -> Manifest:
        if self.entry(self.database_file) is None:
            raise ValueError(f"a {self.store} backup lists {self.database_file} among its files")
        return self

    def entry(self, path: str) -> FileEntry | None:
        return next((f for f in self.files if f.path == path), None)

    @property
    def database_file(self) -> str:
        return DATABASE_FILE[self.store]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def uploads(self) -> list[FileEntry]:
        return [f for f in self.files if f.path.startswith(UPLOADS + "/")]


def is_backup_path(value: str) -> bool:
    """``vega.db``, ``vega.pgdump``, ``api_key`` or a plain relative path under
    ``uploads/``: nothing a tampered manifest could use to write outside the folder it
    is restored into."""
    if value in (DB_NAME, DUMP_NAME, KEY_NAME):
        return True
    if "\\" in value or "\x00" in value:
        return False
    parts = PurePosixPath(value).parts
    return (
        len(parts) >= 2
        and parts[0] == UPLOADS
        and not value.startswith("/")
        and all(p not in ("", ".", "..") for p in parts)
        and value == "/".join(parts)  # no doubled or trailing slashes
    )


def read_manifest(source: Path) -> Manifest:
    if not source.exists():
        raise NotFound(f"{source}: no such backup folder.")
    if not source.is_dir():
        raise BadInput(f"{source} is not a backup folder (vega backup writes a folder).")
    path = source / MANIFEST
    if not path.is_file():
        raise BadInput(f"{source} is not a Vega backup: it has no {MANIFEST}.")
    try:
        raw = path.read_bytes()
        _refuse_newer(source, raw)
        version = Manifest.model_validate_json(raw, strict=False)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "manifest"
        raise BadInput(
            f"{path} is not a valid Vega backup manifest ({where}: {first['msg']})."
        ) from None
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror}.") from None
    return version


def _refuse_newer(source: Path, raw: bytes) -> None:
    """Before validating: a newer format may hold fields (or a store) this Vega would
    call invalid, and the true reason is its age."""
    try:
        found = json.loads(raw).get("format_version")
    except (ValueError, AttributeError):
        return  # not a JSON object: validation says so
    if isinstance(found, int) and found > FORMAT_VERSION:
        raise BadInput(
            f"{source} was written by a newer Vega (backup format {found}); "
            "upgrade Vega to restore it."
        )


def write_manifest(folder: Path, manifest: Manifest) -> None:
    path = folder / MANIFEST
    data = manifest.model_dump_json(indent=2).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data + b"\n")
        out.flush()
        os.fsync(out.fileno())


# --- files ---------------------------------------------------------------------


def copy_hashed(src: Path, dst: Path) -> tuple[int, str]:
    """Copy ``src`` to a new file ``dst`` (mode 0600, fsynced); return its size and sha256."""
    with src.open("rb") as inp:
        return write_hashed(iter(lambda: inp.read(COPY_CHUNK), b""), dst)


def write_hashed(blocks: Iterable[bytes], dst: Path) -> tuple[int, str]:
    """Write ``blocks`` to a new file ``dst`` (mode 0600, fsynced); return size and sha256."""
    dst.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for block in blocks:
            digest.update(block)
            size += len(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return size, digest.hexdigest()


def hash_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as inp:
        while block := inp.read(COPY_CHUNK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def utc_stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def unused(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3``... when taken (two runs in one second)."""
    candidate, n = folder / name, 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{name}-{n}"
    return candidate


# --- the database file ---------------------------------------------------------


def sqlite_path(settings: Settings) -> Path:
    """The SQLite file behind VEGA_DATABASE_URL (a SQLite URL)."""
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BadInput("VEGA_DATABASE_URL is an in-memory SQLite database: there is no file.")
    return Path(database)


def sidecars(db_path: Path) -> list[Path]:
    """SQLite's files beside the database (write-ahead log, its index, a rollback journal)."""
    return [db_path.with_name(db_path.name + s) for s in ("-wal", "-shm", "-journal")]


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)


def integrity_problems(path: Path) -> list[str]:
    """``PRAGMA integrity_check`` on ``path``: empty when the file is sound."""
    try:
        with closing(connect(path)) as conn:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:  # not a database at all, or unreadable
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


# --- what a database holds, on either store -------------------------------------

Query = Callable[[str], Sequence[Sequence[Any]]]


@dataclass(frozen=True, slots=True)
class Contents:
    """What the manifest says about a database: read from the copy (SQLite) or from the
    very snapshot ``pg_dump`` reads (Postgres), so it describes exactly what is backed up."""

    revision: str | None
    counts: dict[str, int]
    uploads: list[str]  # stored paths of documents not deleted (failed ones keep theirs too)


def contents(query: Query, present: set[str]) -> Contents:
    """``query`` runs SQL on the database, whose tables are ``present``."""
    revision = None
    if "alembic_version" in present:
        rows = query("SELECT version_num FROM alembic_version")
        revision = str(rows[0][0]) if rows else None
    counts = {
        # Table names come from COUNTED above, never from input.
        name: int(query(f"SELECT count(*) FROM {name}")[0][0])  # noqa: S608  # names from COUNTED  # nosec B608
        for name in COUNTED
        if name in present
    }
    uploads: list[str] = []
    if "documents" in present:
        rows = query("SELECT stored_path FROM documents WHERE deleted_at IS NULL ORDER BY id")
        uploads = sorted({str(r[0]) for r in rows})
    return Contents(revision, counts, uploads)


@dataclass(frozen=True, slots=True)
class DatabaseCopy:
    """The database's file in a backup folder, and what it holds."""

    file: FileEntry
    contents: Contents
    server_version: str


def sqlite_contents(conn: sqlite3.Connection) -> Contents:
    return contents(lambda sql: conn.execute(sql).fetchall(), tables(conn))


def schema_revision(conn: sqlite3.Connection) -> str | None:
    return sqlite_contents(conn).revision


def describe(paths: Iterable[Path]) -> str:
    return ", ".join(p.name for p in paths)


def os_error(exc: OSError, doing: str) -> VegaError:
    """A file-system failure as one line: the caller's to fix when it is about permissions."""
    where = f" ({exc.filename})" if exc.filename else ""
    reason = exc.strerror or exc.__class__.__name__
    if isinstance(exc, PermissionError):
        return BadInput(f"Could not {doing}: {reason}{where}.")
    return StorageError(f"Could not {doing}: {reason}{where}.")
