"""`vega train --config FILE` (LoRA fine-tuning), `vega train export` and `vega eval`.

Training runs here, in the foreground and the main thread, so Ctrl-C reaches it:
the first one stops after the current step and keeps a checkpoint (exit 130), a
second one stops at once. The run is recorded in the ``jobs`` table of the data dir.
The config's relative paths are relative to the current directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vega.cli import context, train_export
from vega.errors import BadInput
from vega.training.events import StepLog

EXIT_INTERRUPTED = 130

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="Training config (YAML); see training/config.yaml.")
]


app = typer.Typer(help="Fine-tune a LoRA adapter, or export one.", no_args_is_help=False)


@app.callback(invoke_without_command=True)
def train(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Training config (YAML); see training/config.yaml."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint in output_dir.")
    ] = False,
    resume_from: Annotated[
        Path | None,
        typer.Option("--resume-from", metavar="CHECKPOINT", help="Continue from this checkpoint."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print metrics.json to stdout.")] = False,
) -> None:
    """Fine-tune a LoRA adapter on a JSONL dataset: vega train --config FILE."""
    if ctx.invoked_subcommand is not None:
        return  # `vega train export ...`
    if config is None:
        raise BadInput(
            "vega train needs --config FILE (a training config; see training/config.yaml)"
        )
    from vega.training.config import load_config
    from vega.training.service import is_main_process
    from vega.training.service import train as run_training

    override: bool | Path | None = resume_from or (True if resume else None)
    cfg = load_config(config, resume=override)  # a bad config: one line, exit 1, nothing loaded
    with context.runtime_sync() as rt, _StepConsole() as console:
        outcome = run_training(cfg, job=rt.training_job(), listener=console)
    if not is_main_process():
        return  # under `accelerate launch`, the first process reports for all
    if outcome.stopped:
        if json_out:
            context.print_json(
                {"stopped": True, "checkpoint": str(outcome.checkpoint), "job_id": outcome.job_id}
            )
        context.err.print(
            f"Stopped. Checkpoint: {outcome.checkpoint}. Continue with: "
            f"vega train --config {config} --resume",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    if json_out:
        context.print_json(outcome.metrics | {"output_dir": str(outcome.output_dir)})
        return
    _summary(outcome.metrics, outcome.output_dir)


def evaluate(
    config: ConfigOpt,
    adapter: Annotated[
        Path | None, typer.Option(help="Adapter folder (default: the config's output_dir).")
    ] = None,
    dataset: Annotated[
        Path | None,
        typer.Option(help="A JSONL file to score instead of the config's validation split."),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Score at most N examples.")] = None,
) -> None:
    """Compare the base model and the adapter on held-out pairs (JSON)."""
    from vega.training.config import load_config
    from vega.training.eval import evaluate as run_eval

    cfg = load_config(config)
    context.print_json(run_eval(cfg, adapter=adapter, dataset=dataset, limit=limit))


app.command("export")(train_export.export)


class _StepConsole:
    """A progress bar (on a terminal) and one stderr line per logged step."""

    def __init__(self) -> None:
        columns = (
            TextColumn("training"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[loss]}"),
        )
        self.bar = Progress(
            *columns,
            console=context.err,
            disable=not context.err.is_terminal,
            transient=True,
        )
        self.task = self.bar.add_task("training", total=None, loss="")

    def __enter__(self) -> _StepConsole:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def phase(self, text: str) -> None:
        self.bar.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def step(self, log: StepLog) -> None:
        if log.loss is None:
            self.bar.update(self.task, completed=log.step, total=log.total)
            return
        self.bar.update(self.task, loss=f"loss {log.loss:.4f}")
        parts = [f"step {log.step}/{log.total}", f"loss {log.loss:.4f}"]
        if log.learning_rate is not None:
            parts.append(f"lr {log.learning_rate:.2e}")
        if log.grad_norm is not None:
            parts.append(f"grad_norm {log.grad_norm:.3f}")
        parts += [f"epoch {log.epoch:.2f}", f"{log.seconds:.1f}s"]
        self.bar.console.print("  ".join(parts), markup=False, highlight=False, soft_wrap=True)


def _summary(metrics: dict[str, Any], output_dir: Path) -> None:
    out = context.out
    rate = metrics.get("steps_per_s")
    if metrics["steps_this_run"] == 0:
        out.print(
            f"Nothing to train: the checkpoint is at step {metrics['steps']}, which is max_steps "
            "(raise max_steps to train further).",
            markup=False,
            soft_wrap=True,
        )
    else:
        out.print(
            f"Trained {metrics['steps_this_run']} steps in {metrics['seconds']:.1f} s"
            + (f" ({rate:.2f} steps/s)" if rate else "")
            + f"; train loss {metrics['train_loss']:.4f}.",
            markup=False,
            soft_wrap=True,
        )
    if metrics.get("val_loss_before") is not None:
        out.print(
            f"Validation loss {metrics['val_loss_before']:.4f} → {metrics['val_loss_after']:.4f}, "
            f"perplexity {metrics['val_perplexity_before']:.2f} → {metrics['val_perplexity_after']:.2f}, "
            f"exact match {metrics['val_exact_match_before']:.0%} → {metrics['val_exact_match_after']:.0%}.",
            markup=False,
            soft_wrap=True,
        )
    out.print(
        f"Adapter, metrics.json and config.yaml in {output_dir}", markup=False, soft_wrap=True
    )
