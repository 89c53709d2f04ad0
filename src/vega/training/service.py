"""`vega train`: one LoRA fine-tuning run, from a checked config to a saved adapter.

Order matters, so that a bad config fails in a second with one line and nothing on
disk: check the files (``config.check_inputs``), read and split the dataset, load
the model, check the LoRA targets against it, encode the examples; only then create
the output dir. The run is recorded in the ``jobs`` table from the moment the
inputs are checked (so a model that fails to load is a ``failed`` job).

The output dir then holds ``config.yaml`` (the resolved config used),
``log.jsonl`` (one line per logged step), ``checkpoint-N/`` folders, and, when the
run completes, ``adapter_config.json``, ``adapter_model.safetensors`` and
``metrics.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vega.errors import BadInput, VegaError
from vega.private import private_dir
from vega.training.config import (
    RUN_FILES,
    TrainConfig,
    check_inputs,
    checkpoints,
    resume_checkpoint,
)
from vega.training.data import DatasetRead, EncodedSet, Renderer, Split, training_examples
from vega.training.eval import Scores, score
from vega.training.events import Listener, Silent, StepLog
from vega.training.jobs import JobLog, NoJob

if TYPE_CHECKING:
    from vega.training.hf_loop import FitResult

LOG_FILE = "log.jsonl"


@dataclass
class TrainOutcome:
    output_dir: Path
    metrics: dict[str, Any]  # empty when the run was stopped
    stopped: bool = False
    checkpoint: Path | None = None  # the latest checkpoint: where --resume continues
    job_id: str | None = None
    model: Any = field(default=None, repr=False)  # the trained PEFT model, in memory


def is_main_process() -> bool:
    """Under `accelerate launch` only rank 0 records, logs and writes the results."""
    return int(os.environ.get("RANK", "0")) == 0


def train(
    config: TrainConfig,
    *,
    job: JobLog | None = None,
    listener: Listener | None = None,
    callbacks: Sequence[Any] = (),
) -> TrainOutcome:
    """Run ``config`` (resolved by ``load_config``); ``callbacks`` are extra TrainerCallbacks."""
    main = is_main_process()
    listener = listener if listener is not None and main else Silent()
    job = job if job is not None and main else NoJob()
    check_inputs(config)
    read, parts = training_examples(
        config.dataset, config.val_dataset, val_split=config.val_split, seed=config.seed
    )
    job_id = job.start(
        {
            "output_dir": str(config.output_dir),
            "base_model": str(config.base_model),
            "dataset": [str(p) for p in config.dataset],
        }
    )
    try:
        outcome = _run(config, read, parts, job=job, listener=listener, callbacks=callbacks)
    except VegaError as exc:
        job.failed(exc.message)
        raise
    except KeyboardInterrupt:
        latest = checkpoints(config.output_dir)
        job.cancelled({"checkpoint": str(latest[-1]) if latest else None})
        raise
    except Exception as exc:
        job.failed(f"internal error: {type(exc).__name__}: {exc}")
        raise
    outcome.job_id = job_id
    return outcome


@dataclass
class _Ready:
    """A model with its adapter and the encoded examples: every check has passed."""

    model: Any
    tokenizer: Any
    train_set: EncodedSet
    val_set: EncodedSet

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id)

    def score(self, batch_size: int) -> Scores | None:
        if not self.val_set.items:
            return None
        return score(self.model, self.val_set.items, batch_size=batch_size, pad_id=self.pad_id)


def _load(config: TrainConfig, parts: Split) -> _Ready:
    """The checks that need the model; silent, so that a bad config is one line of output."""
    from vega.training import lora

    lora.check_precision(config.precision)
    base, tokenizer = lora.load_base(config.base_model, precision=config.precision)
    model = lora.apply_lora(base, config.lora, seed=config.seed)
    renderer = Renderer.for_tokenizer(
        tokenizer, chat_template=config.chat_template, prompt_template=config.prompt_template
    )
    train_set = renderer.encode_all(parts.train, max_seq_len=config.max_seq_len)
    if not train_set.items:
        raise BadInput(f"no training example fits in max_seq_len={config.max_seq_len}")
    val_set = renderer.encode_all(parts.val, max_seq_len=config.max_seq_len)
    return _Ready(model, tokenizer, train_set, val_set)


def _run(
    config: TrainConfig,
    read: DatasetRead,
    parts: Split,
    *,
    job: JobLog,
    listener: Listener,
    callbacks: Sequence[Any],
) -> TrainOutcome:
    from vega.training import lora

    lora.prepare_libraries()  # before hf_loop imports transformers
    from vega.training import hf_loop

    resume_from = resume_checkpoint(config)
    ready = _load(config, parts)
    _announce(config, read, ready, listener)
    _prepare_output(config, main=is_main_process())
    before = ready.score(config.batch_size)
    if before is not None:
        listener.phase(
            f"validation loss before: {before.loss:.4f} (perplexity {before.perplexity:.2f})"
        )
    if resume_from is not None:
        listener.phase(f"resuming from {resume_from}")

    stop = hf_loop.StopRequest()
    with stop.installed():
        fit = hf_loop.fit(
            ready.model,
            ready.tokenizer,
            ready.train_set.items,
            config,
            use_cpu=not lora.cuda_available(),
            resume_from=resume_from,
            watchers=hf_loop.Watchers(
                listener=_WithLogFile(listener, config.output_dir / LOG_FILE),
                progress=job.progress,
                stop=stop,
                callbacks=callbacks,
            ),
        )
    if fit.stopped:
        job.cancelled({"checkpoint": str(fit.checkpoint), "steps": fit.steps})
        return TrainOutcome(config.output_dir, {}, True, fit.checkpoint, model=ready.model)

    after = ready.score(config.batch_size)
    metrics = _metrics(config, read, ready, fit, before, after, resume_from)
    if is_main_process():
        lora.save_adapter(ready.model, config.output_dir)
        (config.output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    job.done({"output_dir": str(config.output_dir), "metrics": metrics})
    return TrainOutcome(config.output_dir, metrics, checkpoint=fit.checkpoint, model=ready.model)


def _announce(config: TrainConfig, read: DatasetRead, ready: _Ready, listener: Listener) -> None:
    if read.skipped:
        listener.phase(
            f"skipped {read.skipped} invalid dataset line(s); first: {read.first_problem}"
        )
    trainable, total = ready.model.get_nb_trainable_parameters()
    listener.phase(
        f"{config.base_model.name}: {total:,} parameters, {trainable:,} in the adapter; "
        f"{len(ready.train_set.items)} training and {len(ready.val_set.items)} validation examples"
    )


def _prepare_output(config: TrainConfig, *, main: bool) -> None:
    """Create the output dir (clearing an old run if ``overwrite``) and save the config."""
    if not main:
        return
    out = config.output_dir
    if config.overwrite and config.resume is False:
        for old in checkpoints(out):
            shutil.rmtree(old)
        for name in (*RUN_FILES, "adapter_config.json", LOG_FILE):
            (out / name).unlink(missing_ok=True)
    private_dir(out)
    import yaml

    text = yaml.safe_dump(config.to_yaml_dict(), sort_keys=False, allow_unicode=True)
    (out / "config.yaml").write_text(
        "# The exact, resolved config of this run (written by `vega train`).\n" + text,
        encoding="utf-8",
    )


def _metrics(
    config: TrainConfig,
    read: DatasetRead,
    ready: _Ready,
    fit: FitResult,
    before: Scores | None,
    after: Scores | None,
    resume_from: Path | None,
) -> dict[str, Any]:
    train_set, val_set = ready.train_set, ready.val_set
    trainable, total = ready.model.get_nb_trainable_parameters()
    return {
        "val_loss_before": before.loss if before else None,
        "val_loss_after": after.loss if after else None,
        "val_perplexity_before": before.perplexity if before else None,
        "val_perplexity_after": after.perplexity if after else None,
        "val_exact_match_before": before.exact_match if before else None,
        "val_exact_match_after": after.exact_match if after else None,
        "val_tokens": after.tokens if after else 0,
        "train_loss": fit.train_loss,
        "last_loss": fit.last_loss,
        "steps": fit.steps,
        "steps_this_run": fit.steps_this_run,
        "epochs": fit.epochs,
        "seconds": round(fit.seconds, 3),
        "steps_per_s": round(fit.steps_this_run / fit.seconds, 3) if fit.seconds > 0 else None,
        "samples": len(train_set.items),
        "tokens": train_set.tokens,
        "train_examples": len(train_set.items),
        "val_examples": len(val_set.items),
        "dataset_lines": read.lines,
        "skipped_lines": read.skipped,
        "skipped_too_long": train_set.too_long + val_set.too_long,
        "trainable_params": int(trainable),
        "total_params": int(total),
        "resumed_from": str(resume_from) if resume_from else None,
        "base_model": str(config.base_model),
        "precision": config.precision,
    }


class _WithLogFile:
    """The caller's listener, plus one JSON line per logged step in ``log.jsonl``."""

    def __init__(self, inner: Listener, path: Path) -> None:
        self.inner = inner
        self.path = path

    def phase(self, text: str) -> None:
        self.inner.phase(text)

    def step(self, log: StepLog) -> None:
        self.inner.step(log)
        if log.loss is not None and is_main_process():
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(log)) + "\n")
