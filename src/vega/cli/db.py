"""`vega db copy --to URL`: move the data dir's SQLite database into Postgres
(vega.store.copy does the work; this draws the progress and the result)."""

from __future__ import annotations

from types import TracebackType
from typing import Annotated, Any

import typer
from rich.progress import (
    TaskID,
)

from vega.cli import context
from vega.store.copy import BATCH_ROWS, CopyReport
from vega.store.copy_uploads import UploadsReport

EXIT_INTERRUPTED = 130

app = typer.Typer(help="The database: move a data dir to Postgres.", no_args_is_help=True)


@app.command("copy")
def copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The Postgres database to fill: postgresql+psycopg://USER:PASSWORD@HOST/DB.",
            show_default=False,
        ),
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Empty every Vega table of a non-empty target first (its rows are deleted).",
        ),
    ] = False,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=100_000, help="Rows per transaction.")
    ] = BATCH_ROWS,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Copy the data dir's database (every table) into an empty Postgres, then check it;
    with VEGA_STORAGE=s3, also its uploads into the bucket (each read back and hashed).

    Interrupted (Ctrl-C, a kill), the same command continues where it stopped.
    """
    copier = context.database_copy(to, force=force, batch_rows=batch)
    uploads = None
    try:
        with _Bars(transient=json_out) as bars:
            report = copier.run(bars)
            uploads = context.uploads_copy(bars)
    except KeyboardInterrupt:
        context.err.print(
            "Interrupted: the batches copied so far are kept; run the same command again "
            "to continue.",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if json_out:
        context.print_json({**_as_json(report), "uploads": _uploads_json(uploads)})
        return
    summary = _summary(report, copier.target_display, uploads)
    context.err.print(summary, markup=False, soft_wrap=True)


class _Bars:
    """A Rich progress bar per step, on stderr (``CopyProgress``)."""

    def __init__(self, *, transient: bool) -> None:
        self._progress = context.progress_bar("{task.description:<16}", transient=transient)
        self._task: TaskID | None = None

    def __enter__(self) -> _Bars:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._progress.stop()

    def start(self, what: str, total: int) -> None:
        if self._task is None:  # drawn from the first step: a refusal before it prints one line
            self._progress.start()
        self._task = self._progress.add_task(what, total=total)

    def advance(self, n: int) -> None:
        if self._task is not None and n:
            self._progress.advance(self._task, n)


def _summary(report: CopyReport, target: str, uploads: UploadsReport | None) -> str:
    rate = report.copied / report.copy_seconds if report.copy_seconds else 0.0
    lines = [
        f"Copied {report.copied} rows ({report.rows} in all, {len(report.tables)} tables) from "
        f"{report.source} to {target} in {report.seconds:.1f} s ({rate:,.0f} rows/s); "
        "row counts and content hashes match.",
    ]
    if report.resumed:
        lines.append("Continued an interrupted copy.")
    if report.cleared:
        lines.append("--force: the target's previous rows were deleted first.")
    if report.source_migrated_from:
        lines.append(f"The source was upgraded from schema {report.source_migrated_from} first.")
    if uploads is None:
        lines.append(
            f"Serve it: VEGA_DATABASE_URL='{target}' with the same VEGA_DATA_DIR (uploads and "
            "the key file stay there)."
        )
        return "\n".join(lines)
    lines.append(
        f"Uploads: {uploads.sent} sent ({uploads.bytes_sent:,} bytes) and {uploads.present} "
        f"already there, of {uploads.objects}, in {uploads.target}; each read back and its "
        "sha256 matches."
    )
    if uploads.missing:
        lines.append(
            f"Not in the data dir, so not copied: {len(uploads.missing)} original(s) "
            "(their passages are in the database): " + ", ".join(uploads.missing[:10])
        )
    lines.append(
        f"Serve it: VEGA_DATABASE_URL='{target}' with the same VEGA_STORAGE=s3 settings "
        "on every host."
    )
    return "\n".join(lines)


def _uploads_json(uploads: UploadsReport | None) -> dict[str, Any] | None:
    if uploads is None:
        return None
    return {
        "target": uploads.target,
        "objects": uploads.objects,
        "sent": uploads.sent,
        "present": uploads.present,
        "bytes_sent": uploads.bytes_sent,
        "missing": uploads.missing,
        "seconds": round(uploads.seconds, 3),
    }


def _as_json(report: CopyReport) -> dict[str, Any]:
    return {
        "source": str(report.source),
        "target": report.target,
        "ok": report.ok,
        "rows": report.rows,
        "copied": report.copied,
        "seconds": round(report.seconds, 3),
        "copy_seconds": round(report.copy_seconds, 3),
        "index_seconds": round(report.index_seconds, 3),
        "check_seconds": round(report.check_seconds, 3),
        "resumed": report.resumed,
        "cleared": report.cleared,
        "source_migrated_from": report.source_migrated_from,
        "tables": {
            t.name: {
                "rows": t.rows,
                "copied": t.copied,
                "seconds": round(t.seconds, 3),
                "sha256": t.source_sha256,
                "target_sha256": t.target_sha256,
                "ok": t.ok,
            }
            for t in report.tables
        },
    }
