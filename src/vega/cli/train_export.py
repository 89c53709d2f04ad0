"""`vega train export ADAPTER_DIR --ollama | --merge`: take a trained adapter elsewhere.

A plain Typer function; `vega train` registers it as its ``export`` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vega.cli import context
from vega.errors import BadInput
from vega.training.export import export_ollama, merge


def export(
    adapter_dir: Annotated[
        Path, typer.Argument(help="The adapter folder `vega train` wrote.", show_default=False)
    ],
    ollama: Annotated[
        bool,
        typer.Option("--ollama", help="Write a Modelfile (FROM base, ADAPTER dir) for Ollama."),
    ] = False,
    merged: Annotated[
        bool,
        typer.Option("--merge", help="Write base + adapter as one model folder (safetensors)."),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--out",
            help="Output folder. Default: the adapter folder (--ollama), <adapter>-merged (--merge).",
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            help="The base model: a folder, or an Ollama model name with --ollama. "
            "Default: the one recorded in adapter_config.json."
        ),
    ] = None,
) -> None:
    """Export an adapter for Ollama (--ollama) or as a merged model (--merge)."""
    if ollama == merged:
        raise BadInput("Choose one: --ollama (a Modelfile) or --merge (a merged model folder).")
    if ollama:
        path = export_ollama(adapter_dir, base, out or adapter_dir)
        context.err.print(f"Wrote {path}. Create the model with:", markup=False, soft_wrap=True)
        context.out.out(f"ollama create NAME -f {path}", highlight=False)
        return
    target = out or adapter_dir.with_name(adapter_dir.name + "-merged")
    with context.err.status("Merging the adapter into the base model…"):
        folder = merge(base, adapter_dir, target)
    context.err.print(
        f"Wrote the merged model to {folder}. Serve it with:", markup=False, soft_wrap=True
    )
    context.out.out(f"vega models add NAME {folder}", highlight=False)
