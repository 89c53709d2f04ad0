"""`vega models add|list|rm`: name local model files for the in-process backends."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vega.cli import context
from vega.llm.local_models import LLAMACPP, TRANSFORMERS, library_missing

app = typer.Typer(help="Register local models for the in-process backends.", no_args_is_help=True)


class LocalBackendName(StrEnum):
    TRANSFORMERS = TRANSFORMERS
    LLAMACPP = LLAMACPP


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="The name clients use (e.g. my-assistant).")],
    path: Annotated[
        Path,
        typer.Argument(help="A Hugging Face model folder, or a .gguf file.", show_default=False),
    ],
    adapter: Annotated[
        Path | None,
        typer.Option(help="A LoRA adapter folder (from `vega train`) to apply on top."),
    ] = None,
    backend: Annotated[
        LocalBackendName | None,
        typer.Option(help="Default: llamacpp for a .gguf file, transformers for a folder."),
    ] = None,
) -> None:
    """Register a model (its files stay where they are)."""
    model = context.run(
        lambda rt: rt.models.add(
            name, path, adapter=adapter, backend=backend.value if backend else None
        ),
        start=False,
    )
    on_top = f" + adapter {model.adapter}" if model.adapter else ""
    # soft_wrap: paths stay on one line, whole, for copying.
    context.err.print(
        f"Registered '{model.name}' ({model.backend}): {model.path}{on_top}",
        markup=False,
        soft_wrap=True,
    )
    if (missing := library_missing(model.backend)) is not None:
        context.err.print(f"Note: {missing}.", markup=False, soft_wrap=True)
    context.err.print(
        f"Serve it: VEGA_LLM_BACKEND={model.backend} VEGA_MODEL={model.name} vega serve",
        markup=False,
    )


@app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List registered models, newest first."""
    models = context.run(lambda rt: rt.models.list_models(), start=False)
    if as_json:
        context.print_json([m.plain() for m in models])
        return
    table = Table("name", "backend", "added")
    # Whole paths, folded onto more lines when the terminal is narrow, never cut.
    table.add_column("path", overflow="fold")
    table.add_column("adapter", overflow="fold")
    for m in models:
        table.add_row(
            m.name,
            m.backend,
            m.created.strftime("%Y-%m-%d %H:%M") if m.created else "",
            str(m.path),
            str(m.adapter or ""),
        )
    context.out.print(table)


@app.command()
def rm(name: Annotated[str, typer.Argument(help="The model's name.")]) -> None:
    """Forget a model (its files are not touched)."""
    context.run(lambda rt: rt.models.remove(name), start=False)
    context.err.print(f"Removed '{name}'.", markup=False)
