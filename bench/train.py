"""Training overhead: `vega train` against a plain PEFT + Trainer loop, same model and data.

Both train the same LoRA adapter on the tiny causal LM the tests build
(``tests/fakes/tiny_model.py``: no download) and the same tokenized examples, with the
same hyperparameters, each in its own process:

- ``vega``: ``python -m vega train --config ... --json``, the real command: per-step
  log lines, progress in the ``jobs`` table, Ctrl-C handling, and a checkpoint saved at
  the last step, all inside the timed loop;
- ``plain``: this script in ``--plain-worker`` mode: ``get_peft_model`` + ``Trainer``
  with ``DataCollatorForSeq2Seq``, no checkpoint, default logging, nothing else.

Each side times its ``Trainer.train()`` call (steps/s); the runs alternate
(``--rounds``) so that drift in the machine's load hits both alike, and the medians
are compared. Both sides run with ``--threads`` (1) torch threads: a model this small
gains nothing from a second thread, and on a shared machine two spinning threads per
side made single runs vary from 10 to 80 steps/s. Peak RSS is each process's own (``wait4``). ``command_s`` is the whole
`vega train` command, start-up and validation included, for reference.

    .venv/bin/python -m bench.train [--steps 200] [--rounds 3] [--batch-size 8] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._common import ROOT, emit, environment, log, scratch_dir, tail
from tests.support.server import vega_env

TARGET_RATIO = 0.9


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="optimizer steps per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side, alternating")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-seq-len", type=int, default=64)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads per side (OMP_NUM_THREADS)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch dir")
    parser.add_argument("--plain-worker", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def training_config(work: Path, args: argparse.Namespace, output: Path) -> dict[str, Any]:
    return {
        "base_model": str(work / "model"),
        "dataset": str(work / "data.jsonl"),
        "output_dir": str(output),
        "lora": {"r": 8, "alpha": 16, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]},
        "max_steps": args.steps,
        "learning_rate": 5.0e-3,
        "batch_size": args.batch_size,
        "max_seq_len": args.max_seq_len,
        "val_split": 0.2,
        "seed": 0,
    }


# --- the plain loop (its own process) ----------------------------------------------------


def plain_worker(spec_path: Path) -> int:
    """What a user would write with PEFT and Trainer alone; prints one JSON line."""
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForSeq2Seq,
        Trainer,
        TrainingArguments,
    )
    from transformers.utils import logging as hf_logging

    from vega.training.config import parse_config
    from vega.training.data import Renderer, read_examples, split

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    config = parse_config(json.loads(spec_path.read_text()))
    tokenizer = AutoTokenizer.from_pretrained(config.base_model)
    model = AutoModelForCausalLM.from_pretrained(config.base_model)
    lora = config.lora
    model = get_peft_model(
        model,
        LoraConfig(
            r=lora.r,
            lora_alpha=lora.alpha,
            lora_dropout=lora.dropout,
            target_modules=lora.target_modules,
            task_type=TaskType.CAUSAL_LM,
        ),
    )
    # The same examples, tokens and labels as `vega train` (preparing data is not timed).
    examples = split(read_examples(config.dataset).examples, val_split=config.val_split, seed=0)
    renderer = Renderer.for_tokenizer(
        tokenizer, chat_template=True, prompt_template=config.prompt_template
    )
    encoded = renderer.encode_all(examples.train, max_seq_len=config.max_seq_len).items
    rows = [
        {"input_ids": e.input_ids, "labels": e.labels, "attention_mask": [1] * len(e.input_ids)}
        for e in encoded
    ]
    trainer = Trainer(
        model=model,
        args=TrainingArguments(
            output_dir=str(config.output_dir),
            per_device_train_batch_size=config.batch_size,
            max_steps=config.max_steps or -1,
            learning_rate=config.learning_rate,
            seed=config.seed,
            use_cpu=True,
            report_to=[],
            save_strategy="no",
            disable_tqdm=True,
            remove_unused_columns=False,
        ),
        train_dataset=rows,
        data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100),
    )
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    steps = trainer.state.global_step
    print(json.dumps({"steps": steps, "seconds": seconds, "steps_per_s": steps / seconds}))
    return 0


# --- running each side ---------------------------------------------------------------------


def run_measured(
    cmd: list[str], env: dict[str, str], cwd: Path, err_path: Path
) -> tuple[str, float, float]:
    """Run ``cmd``; (stdout, wall seconds, peak RSS in MB of that process)."""
    out_path = err_path.with_suffix(".out")
    started = time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(
            f"{cmd[2:4]} exited with {proc.returncode}:\n{tail(err_path.read_text())}"
        )
    return out_path.read_text(), wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def threads(env: dict[str, str], count: int) -> dict[str, str]:
    return {**env, "OMP_NUM_THREADS": str(count), "MKL_NUM_THREADS": str(count)}


def run_vega(work: Path, args: argparse.Namespace, n: int) -> dict[str, Any]:
    import yaml

    config = work / f"vega-{n}.yaml"
    config.write_text(yaml.safe_dump(training_config(work, args, work / f"vega-out-{n}")))
    env = threads(vega_env(work / "data", llm_backend="none"), args.threads)
    stdout, wall, rss = run_measured(
        [sys.executable, "-m", "vega", "train", "--config", str(config), "--json"],
        env,
        work,
        work / f"vega-{n}.err",
    )
    metrics = json.loads(stdout)
    return {
        "steps": metrics["steps"],
        "steps_per_s": metrics["steps_per_s"],
        "command_s": round(wall, 2),
        "peak_rss_mb": round(rss, 1),
        "val_loss": [metrics["val_loss_before"], metrics["val_loss_after"]],
    }


def run_plain(work: Path, args: argparse.Namespace, n: int) -> dict[str, Any]:
    spec = work / f"plain-{n}.json"
    spec.write_text(json.dumps(training_config(work, args, work / f"plain-out-{n}")))
    env = threads({**os.environ, "PYTHONPATH": str(ROOT)}, args.threads)
    stdout, wall, rss = run_measured(
        [sys.executable, "-m", "bench.train", "--plain-worker", str(spec)],
        env,
        work,
        work / f"plain-{n}.err",
    )
    result = json.loads(stdout.strip().splitlines()[-1])
    return {
        "steps": result["steps"],
        "steps_per_s": round(result["steps_per_s"], 3),
        "command_s": round(wall, 2),
        "peak_rss_mb": round(rss, 1),
    }


def side(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "steps_per_s": round(statistics.median(r["steps_per_s"] for r in runs), 3),
        "command_s": round(statistics.median(r["command_s"] for r in runs), 2),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.plain_worker:
        return plain_worker(args.plain_worker)
    from tests.fakes.tiny_model import build_tiny_model, write_capitals_dataset

    with scratch_dir("vega-bench-train-", keep=args.keep) as work:
        build_tiny_model(work / "model")
        write_capitals_dataset(work / "data.jsonl")
        (work / "data").mkdir()
        load_before = os.getloadavg()[0]
        vega: list[dict[str, Any]] = []
        plain: list[dict[str, Any]] = []
        for n in range(args.rounds):
            # Alternate who goes first, so a change in the machine's load hits both.
            order = (
                (("vega", vega), ("plain", plain))
                if n % 2 == 0
                else (("plain", plain), ("vega", vega))
            )
            for name, runs in order:
                runs.append(run_vega(work, args, n) if name == "vega" else run_plain(work, args, n))
                log(f"round {n + 1}/{args.rounds} {name}: {runs[-1]['steps_per_s']:.1f} steps/s")
        load_after = os.getloadavg()[0]
    result_vega, result_plain = side(vega), side(plain)
    ratio = result_vega["steps_per_s"] / result_plain["steps_per_s"]
    passed = ratio >= TARGET_RATIO
    emit(
        {
            "benchmark": "train",
            "config": {
                "steps": args.steps,
                "rounds": args.rounds,
                "batch_size": args.batch_size,
                "max_seq_len": args.max_seq_len,
                "torch_threads": args.threads,
                "model": "tests/fakes/tiny_model.py (Llama, 2 layers, hidden 64, ~120k params)",
                "lora": {"r": 8, "alpha": 16, "target_modules": ["q_proj", "v_proj"]},
                "load_average": [round(load_before, 2), round(load_after, 2)],
                **environment(),
            },
            "vega": result_vega,
            "plain": result_plain,
            "steps_per_s_ratio": round(ratio, 3),
            "peak_rss_mb": {
                "vega": result_vega["peak_rss_mb"],
                "plain": result_plain["peak_rss_mb"],
            },
            "targets": {
                "steps_per_s_ratio": {
                    "limit": f">= {TARGET_RATIO}",
                    "value": round(ratio, 3),
                    "pass": passed,
                }
            },
            "pass": passed,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
