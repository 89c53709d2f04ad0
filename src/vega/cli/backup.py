"""`vega backup [DEST]` and `vega restore SRC`: see vega.store.backup and vega.store.restore.

Neither builds the runtime: a backup must not write to the database it copies (the
runtime migrates and syncs keys at start), and a restore must not create a database
in the data dir it is about to fill.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vega.cli import context
from vega.store.backup import create_backup
from vega.store.backup_format import Manifest
from vega.store.restore import restore_backup

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def backup(
    dest: Annotated[
        Path | None,
        typer.Argument(
            help="A new (or empty) folder. Default: <data dir>/backups/vega-<UTC time>.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Copy the database, uploads and key file into a folder, while the server runs."""
    report = create_backup(context.settings(), dest)
    m = report.manifest
    if json_out:
        context.print_json({"path": str(report.path), **_summary(m), "seconds": report.seconds})
    else:
        context.err.print(
            f"Backed up {_counts(m)} ({len(m.files)} files, {_size(m.total_bytes)}) "
            f"to {report.path} in {report.seconds:.1f} s.",
            markup=False,
            soft_wrap=True,
        )
    _note_missing(m)


def restore(
    src: Annotated[Path, typer.Argument(help="A folder written by `vega backup`.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help=(
                "Replace the current data: moved into <data dir>/pre-restore-<UTC>/ first "
                "(on Postgres the database is backed up there, then emptied)."
            ),
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Restore a backup into the data dir and database (VEGA_DATA_DIR, VEGA_DATABASE_URL),
    which must hold no data."""
    report = restore_backup(context.settings(), src, force=force)
    m = report.manifest
    if json_out:
        context.print_json(
            {
                "source": str(report.source),
                "database": report.database,
                **_summary(m),
                "schema_revision": report.schema_revision,
                "migrated_from": report.migrated_from,
                "moved_aside": str(report.moved_aside) if report.moved_aside else None,
                "seconds": report.seconds,
            }
        )
    else:
        if report.moved_aside is not None:
            previous = (
                "Backed up the previous database and moved the data dir's files"
                if m.store == "postgres"
                else "Moved the previous data"
            )
            context.err.print(f"{previous} to {report.moved_aside}.", markup=False, soft_wrap=True)
        migrated = (
            f", migrated from schema {report.migrated_from} to {report.schema_revision}"
            if report.migrated_from
            else ""
        )
        context.err.print(
            f"Restored {_counts(m)} ({len(m.files)} files, {_size(m.total_bytes)}) from the "
            f"backup of {m.created:%Y-%m-%d %H:%M:%S} UTC into {report.database}{migrated}."
            + (" Search indexes are rebuilt on first use." if m.store == "sqlite" else ""),
            markup=False,
            soft_wrap=True,
        )
    _note_missing(m)


def _summary(m: Manifest) -> dict[str, Any]:
    return {
        "created": m.created.isoformat(),
        "vega_version": m.vega_version,
        "store": m.store,
        "server_version": m.server_version,
        "schema_revision": m.schema_revision,
        "counts": m.counts,
        "files": len(m.files),
        "uploads": len(m.uploads),
        "bytes": m.total_bytes,
        "missing_uploads": m.missing_uploads,
    }


def _counts(m: Manifest) -> str:
    return ", ".join(
        _plural(m.counts.get(table, 0), table[:-1])
        for table in ("conversations", "messages", "documents")
    )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _note_missing(m: Manifest) -> None:
    if m.missing_uploads:  # deleted between the snapshot and the copy: say so, on stderr
        context.err.print(
            f"Note: {len(m.missing_uploads)} original(s) were deleted while the backup ran "
            "and are not in it (their passages are): " + ", ".join(m.missing_uploads),
            markup=False,
            soft_wrap=True,
        )
