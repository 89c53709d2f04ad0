"""`vega dataset build`: files and logged turns into a JSONL fine-tuning dataset."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vega.cli import context, turn_options
from vega.dataset.build import DEFAULT_OUTPUT, BuildOptions, Report
from vega.dataset.service import BuildRequest
from vega.dataset.turns import TurnFilter
from vega.errors import BadInput

app = typer.Typer(
    help="Build fine-tuning datasets from files and logged turns.", no_args_is_help=True
)

SHOWN_PROBLEMS = 20


@app.command()
def build(  # noqa: PLR0913 - a Typer command's parameters are its options (declared once in cli/turn_options.py)
    sources: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders: .txt, .md, .json, .jsonl, .csv (see docs/datasets.md).",
            metavar="SRC",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The JSONL file to write (folders are created).")
    ] = DEFAULT_OUTPUT,
    fmt: Annotated[
        str,
        typer.Option("--format", help='pair: {"prompt","response"}; chat: {"messages": [...]}.'),
    ] = "pair",
    from_logs: Annotated[
        bool,
        typer.Option(
            "--from-logs",
            help="Add your logged turns (replies with status ok), chosen by the options below.",
            rich_help_panel=turn_options.LOGS_PANEL,
        ),
    ] = False,
    min_rating: turn_options.MinRating = None,
    reviewed_only: Annotated[
        bool,
        typer.Option(
            "--reviewed-only",
            help="Only turns marked reviewed.",
            rich_help_panel=turn_options.LOGS_PANEL,
        ),
    ] = False,
    tag: turn_options.Tags = None,
    since: turn_options.Since = None,
    until: turn_options.Until = None,
    max_chars: Annotated[
        int, typer.Option("--max-chars", help="Longest prompt or response kept, in characters.")
    ] = 8000,
    val_split: Annotated[
        float,
        typer.Option(
            "--val-split", help="Hold out this share for validation: writes NAME.train/.val.jsonl."
        ),
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the train/validation split.")] = 0,
    mask_pii: Annotated[
        bool | None,
        typer.Option("--mask-pii/--no-mask-pii", help="Mask PII (default: VEGA_PII_MASKING)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Build a JSONL dataset: validated, deduplicated, optionally split and PII-masked."""
    log_options = {
        "--min-rating": min_rating is not None,
        "--reviewed-only": reviewed_only,
        "--tag": bool(tag),
        "--since": since is not None,
        "--until": until is not None,
    }
    if not from_logs and any(log_options.values()):
        named = ", ".join(name for name, given in log_options.items() if given)
        raise BadInput(f"{named}: only with --from-logs (they choose logged turns).")
    settings = context.settings()
    options = BuildOptions(
        output=output,
        format=fmt,
        max_chars=max_chars,
        mask_pii=settings.pii_masking if mask_pii is None else mask_pii,
        val_split=val_split,
        seed=seed,
    )
    logs = None
    if from_logs:
        logs = TurnFilter.typed(
            min_rating=min_rating,
            reviewed=True if reviewed_only else None,
            tags=tuple(tag or ()),
            since=since,
            until=until,
        )
    request = BuildRequest(paths=tuple(sources or ()), options=options, logs=logs)
    if from_logs:  # the primary key's turns, from the data dir's database
        report = context.run(lambda rt: rt.datasets.build(request, rt.owner), start=False)
    else:  # files only: no database is opened (or created)
        report = asyncio.run(context.file_tools().datasets.build(request))
    if json_out:
        context.print_json(report.as_dict())
    else:
        _print(report)


def _print(report: Report) -> None:
    table = Table("source", "read", "kept")
    for s in report.sources:
        table.add_row(s.source, str(s.read), str(s.kept))
    context.out.print(table)
    dropped = sum(report.dropped.values())
    reasons = ", ".join(f"{reason} {n}" for reason, n in report.dropped.items() if n)
    context.out.print(
        f"Read {report.read}, kept {report.kept}, dropped {dropped}"
        + (f" ({reasons})" if reasons else "")
        + ".",
        markup=False,
    )
    if report.masked:
        context.out.print(f"PII masked in {report.masked} examples.", markup=False)
    for o in report.outputs:
        split = "" if o.split == "all" else f" {o.split}"
        context.out.print(
            f"Wrote {o.records}{split} examples ({report.format}) to {o.path}",
            markup=False,
            soft_wrap=True,
        )
    shown = report.problems[:SHOWN_PROBLEMS]
    for p in shown:
        where = " ".join(filter(None, (p.source, p.where)))
        context.out.print(
            f"  {where}: {p.reason}: {p.detail}", markup=False, style="dim", soft_wrap=True
        )
    more = dropped - len(shown)
    if more > 0:
        context.out.print(f"  ... and {more} more (--json lists them)", markup=False, style="dim")
