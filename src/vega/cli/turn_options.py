"""The options that choose logged turns, declared once for `vega curate` and `vega dataset
build --from-logs`; ``TurnFilter.typed`` turns their values into a filter."""

from __future__ import annotations

from typing import Annotated

import typer

from vega.dataset.turns import SOURCES

LOGS_PANEL = "Logged turns"

Since = Annotated[
    str | None,
    typer.Option(help="From this date (YYYY-MM-DD, UTC).", rich_help_panel=LOGS_PANEL),
]
Until = Annotated[
    str | None,
    typer.Option(help="Up to this date, inclusive (YYYY-MM-DD, UTC).", rich_help_panel=LOGS_PANEL),
]
Tags = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        help="Only turns with this tag (repeatable: all of them).",
        rich_help_panel=LOGS_PANEL,
    ),
]
Rating = Annotated[
    int | None,
    typer.Option("--rating", help="Only turns rated exactly this.", rich_help_panel=LOGS_PANEL),
]
MinRating = Annotated[
    int | None,
    typer.Option(
        "--min-rating", help="Only turns rated at least this (-1..5).", rich_help_panel=LOGS_PANEL
    ),
]
Unrated = Annotated[
    bool,
    typer.Option("--unrated", help="Only turns not rated yet.", rich_help_panel=LOGS_PANEL),
]
Source = Annotated[
    str | None,
    typer.Option(help=f"Only turns from {', '.join(SOURCES)}.", rich_help_panel=LOGS_PANEL),
]
Session = Annotated[
    str | None,
    typer.Option("--session", help="Only this conversation.", rich_help_panel=LOGS_PANEL),
]
