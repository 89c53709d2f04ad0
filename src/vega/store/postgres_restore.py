"""`vega restore` on Postgres: a backup into the database VEGA_DATABASE_URL names.

1. The target must be empty: no table, view, sequence, function or type outside
   Postgres's own schemas other than an extension's (an administrator may have created
   ``vector`` for Vega beforehand), and a data dir without a key file, uploads or
   indexes. Otherwise the restore is refused, unless ``--force``.
2. ``--force``, and only while no other session uses the database (a running
   `vega serve` does): a database cannot be moved aside from inside itself the way a
   SQLite file is, so the current contents are first written as a full Vega backup to
   ``<data_dir>/pre-restore-<UTC>/backup/`` (restore it with ``--force`` to undo), the
   data dir's files are moved beside it, and then every object listed in 1 is dropped.
   Nothing is dropped before that backup is complete.
3. Every file is copied into a hidden ``.restore-*`` folder and checked against the
   manifest before anything changes. ``pg_restore`` (of the server's major version)
   then loads the dump in one transaction (``--single-transaction --exit-on-error``:
   all or nothing), owned by the connecting role (``--no-owner --no-privileges``).
   Extensions are left out of it and created beforehand when missing
   (``CREATE EXTENSION`` needs rights a plain owner may lack: if it fails, the message
   says what to ask an administrator).
4. The row counts must equal the manifest's, and a backup from an older schema is
   migrated to head. A failure here empties the database again: the target is left as
   it was found (or, with ``--force``, empty, with the old contents in the backup of 2).
5. Then the uploads and the key file move into the data dir.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from vega.blobs import blob_store
from vega.errors import BadInput, ConfigError, Conflict, StorageError, VegaError
from vega.settings import Settings
from vega.store import pg_tools
from vega.store.backup_format import DUMP_NAME, Manifest, describe, os_error
from vega.store.postgres_backup import (
    ServerInfo,
    connect,
    database_contents,
    reason,
    server_info,
    where,
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

# Objects outside Postgres's own schemas that no extension owns: what "holds data" means,
# and what --force drops (a function or type left behind would break the restore too).
# Relations internal to another (an identity column's sequence) go with their owner.
USER_OBJECTS = """
SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
         WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype IN ('e', 'i'))
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
       p.oid::regprocedure::text, p.proname
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text, t.typname
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                  AND d.objid = t.oid AND d.deptype = 'e')
  AND (t.typtype IN ('e', 'd', 'r')
       OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
"""
OTHER_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)
# pg_restore --list lines: "2; 3079 16542 EXTENSION - vector " and its comment.
_EXTENSION = re.compile(r"^\d+;\s+\d+\s+\d+\s+EXTENSION\s+-\s+(\S+)")
_EXTENSION_COMMENT = re.compile(r"^\d+;\s+\d+\s+\d+\s+COMMENT\s+-\s+EXTENSION\s")
_SCHEMA = re.compile(r"^\d+;\s+\d+\s+\d+\s+SCHEMA\s+-\s+(\S+)")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAJOR = re.compile(r"^(\d{1,4})\b")


@dataclass(frozen=True, slots=True)
class DbObject:
    kind: str  # TABLE, VIEW, SEQUENCE, FUNCTION, TYPE, ...
    name: str  # quoted and qualified as DROP takes it
    label: str  # the bare name, for messages


@dataclass(frozen=True, slots=True)
class Target:
    """The database a restore writes, as found before anything changed."""

    server: ServerInfo
    objects: list[DbObject]
    other_sessions: int

    def tables(self) -> list[str]:
        return sorted(o.label for o in self.objects if o.kind == "TABLE")


def restore_postgres(
    settings: Settings, source: Path, manifest: Manifest, *, force: bool
) -> RestoreReport:
    started = time.monotonic()
    data_dir = settings.data_dir
    target = _inspect(settings, source, manifest)
    _check_schema_known(settings, source, manifest)
    files = holding_files(data_dir, settings.key_file)
    _refuse_if_taken(settings, target, files, force=force)
    tools = pg_tools.find_tools(settings.pg_bin_dir, target.server.version)
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    except OSError as exc:
        raise os_error(exc, f"create {data_dir}") from exc
    try:
        stage(source, manifest, work)
        listing, extensions = _restore_list(tools, work)
        aside = None
        if target.objects or files:
            aside = _set_aside(settings, target, files)
        try:
            migrated_from, revision = _load(
                settings, source, manifest, tools, work, listing, extensions
            )
        except VegaError as exc:
            if aside is None:
                raise
            note = f" The previous data is in {aside} (`vega restore --force` puts it back)."
            raise exc.__class__(exc.message + note) from exc
        install_files(work, data_dir, settings.key_file, blob_store(settings))
    except OSError as exc:
        raise os_error(exc, f"restore into {data_dir}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RestoreReport(
        source=source,
        database=where(settings.database_url),
        manifest=manifest,
        schema_revision=revision,
        migrated_from=migrated_from,
        moved_aside=aside,
        seconds=time.monotonic() - started,
    )


def _inspect(settings: Settings, source: Path, manifest: Manifest) -> Target:
    with connect(settings) as conn:
        server = server_info(conn)
        objects = user_objects(conn)
        others = int(conn.exec_driver_sql(OTHER_SESSIONS).scalar_one()) if objects else 0
    made_on = manifest.server_version or ""
    major = _MAJOR.match(made_on)
    if major and int(major[1]) > server.major:
        raise BadInput(
            f"{source} was dumped from Postgres {made_on}, and {where(settings.database_url)} "
            f"runs {server.version}: restore it into Postgres {major[1]} or newer."
        )
    return Target(server, objects, others)


def _refuse_if_taken(settings: Settings, target: Target, files: list[Path], *, force: bool) -> None:
    db = where(settings.database_url)
    if (target.objects or files) and not force:
        held = []
        if tables := target.tables():
            named = ", ".join(tables[:4]) + (", ..." if len(tables) > 4 else "")
            held.append(f"{db} has {len(tables)} tables ({named})")
        elif target.objects:
            kinds = sorted({o.kind.lower() for o in target.objects})
            held.append(f"{db} has {len(target.objects)} objects ({', '.join(kinds)})")
        if files:
            held.append(f"{settings.data_dir} has {describe(files)}")
        raise Conflict(
            f"The target already holds Vega data: {'; '.join(held)}. Restore into an empty "
            "database and data dir, or pass --force to back the current data up into "
            "<data_dir>/pre-restore-<UTC>/ and replace it."
        )
    if target.objects and target.other_sessions:
        raise Conflict(
            f"{db} is in use by {target.other_sessions} other connection(s) (is `vega serve` "
            "running?); stop it before restoring over it."
        )


def user_objects(conn: Connection) -> list[DbObject]:
    return [
        DbObject(str(k), str(n), str(label)) for k, n, label in conn.exec_driver_sql(USER_OBJECTS)
    ]


def clear(settings: Settings) -> None:
    """Drop every object of ``user_objects`` (extensions stay), in one transaction."""
    with connect(settings) as conn:
        try:
            with conn.begin():
                for obj in user_objects(conn):
                    # Names come from the catalog, quoted by Postgres (quote_ident, regtype).
                    conn.exec_driver_sql(f"DROP {obj.kind} IF EXISTS {obj.name} CASCADE")
        except SQLAlchemyError as exc:
            raise StorageError(
                f"Could not empty {where(settings.database_url)}: {reason(exc)}."
            ) from None


def _set_aside(settings: Settings, target: Target, files: list[Path]) -> Path:
    """--force: back the database up, move the data dir's files beside it, then empty it."""
    from vega.store.backup import create_backup

    aside = aside_folder(settings.data_dir)
    if target.objects:
        create_backup(settings, aside / "backup")
    move_aside(files, aside)
    clear(settings)
    return aside


def _restore_list(tools: pg_tools.PgTools, work: Path) -> tuple[Path, list[str]]:
    """The dump's table of contents without its extensions (created apart, see module
    docstring); and the extensions' names."""
    toc = pg_tools.run(
        tools.pg_restore, ["--list", str(work / DUMP_NAME)], None, doing="read the dump"
    )
    kept, extensions = [], []
    for line in toc.splitlines():
        if found := _EXTENSION.match(line):
            extensions.append(found[1])
        elif not _EXTENSION_COMMENT.match(line):
            kept.append(line)
    listing = work / "restore.list"
    listing.write_text("\n".join(kept) + "\n")
    return listing, extensions


def _load(
    settings: Settings,
    source: Path,
    manifest: Manifest,
    tools: pg_tools.PgTools,
    work: Path,
    listing: Path,
    extensions: list[str],
) -> tuple[str | None, str | None]:
    """pg_restore, then the count check and the migration; the database emptied again
    when any of it fails. Returns (the revision migrated from or None; the final one)."""
    _create_extensions(settings, extensions)
    _skip_existing_schemas(settings, listing)
    conn = pg_tools.connection(
        settings.database_url, connect_timeout_s=settings.db_connect_timeout_s
    )
    pg_tools.run(
        tools.pg_restore,
        [
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--use-list={listing}",
            str(work / DUMP_NAME),
        ],
        conn,
        doing=f"restore into {where(settings.database_url)}",
    )
    try:
        _check_counts(settings, source, manifest)
        return _migrate(settings, source, manifest)
    except BaseException:
        clear(settings)  # leave the database as it was found: empty
        raise


def _create_extensions(settings: Settings, names: list[str]) -> None:
    db = where(settings.database_url)
    for name in names:
        if not _NAME.match(name):
            raise BadInput(f"The backup names an odd extension ({name!r}); it was not restored.")
        with connect(settings) as conn:
            try:
                with conn.begin():
                    have = conn.exec_driver_sql(
                        "SELECT 1 FROM pg_extension WHERE extname = %(name)s", {"name": name}
                    ).first()
                    if have is None:  # asking first: CREATE needs rights even when it exists
                        conn.exec_driver_sql(f'CREATE EXTENSION IF NOT EXISTS "{name}"')
            except SQLAlchemyError as exc:
                raise ConfigError(
                    f"The backup needs the Postgres extension {name}, which {db} does not "
                    f"have and this user may not create ({reason(exc)}): run CREATE "
                    f"EXTENSION {name}; in that database as a superuser, then restore again."
                ) from None


def _skip_existing_schemas(settings: Settings, listing: Path) -> None:
    """Leave out of the list the ``CREATE SCHEMA`` of schemas the target already has
    (empty of objects by now): recreating one would fail the whole restore."""
    with connect(settings) as conn:
        have = {str(r[0]) for r in conn.exec_driver_sql("SELECT nspname FROM pg_namespace")}
    lines = listing.read_text().splitlines()
    kept = [line for line in lines if not ((m := _SCHEMA.match(line)) and m[1] in have)]
    if len(kept) != len(lines):
        listing.write_text("\n".join(kept) + "\n")


def _check_counts(settings: Settings, source: Path, manifest: Manifest) -> None:
    with connect(settings) as conn:
        found = database_contents(conn).counts
    wrong = {t: (n, found.get(t)) for t, n in manifest.counts.items() if found.get(t) != n}
    if wrong:
        table, (want, got) = next(iter(wrong.items()))
        raise StorageError(
            f"The restore of {source} does not hold what its manifest says ({table}: "
            f"{got} rows, expected {want}); nothing was kept."
        )


def _migrate(settings: Settings, source: Path, manifest: Manifest) -> tuple[str | None, str | None]:
    from vega.store.db import Database  # Alembic is heavy: only restore needs it here
    from vega.store.migrate import current_revision

    db = Database.from_url(settings.database_url)
    try:
        before = current_revision(db.engine)
        head = refuse_newer_schema(source, before, db.engine)
        if before == head:
            return None, before
        try:
            db.migrate()
        except Exception as exc:  # Alembic and SQLAlchemy errors: say which step failed
            raise StorageError(
                f"Could not migrate the backup's database from schema {before} to {head}: {exc}"
            ) from exc
        return before or "none", head
    finally:
        db.dispose()


def _check_schema_known(settings: Settings, source: Path, manifest: Manifest) -> None:
    """Before anything changes: a backup from a newer Vega is refused."""
    engine = create_engine(settings.database_url, poolclass=NullPool)  # never connects here
    try:
        refuse_newer_schema(source, manifest.schema_revision, engine)
    finally:
        engine.dispose()
