"""`vega train` and `vega eval` on the tiny model built by the tests (no download).

One 30-step run is shared by the module (in-process, through the same service
function the command calls); the command itself runs as a subprocess where exit
codes and signals matter, and in-process (``main([...])``) where only its output
does, to keep this file within a few dozen seconds on two cores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import db_rows
from tests.support.server import vega_env
from vega.cli.main import main
from vega.store.db import Database
from vega.training.config import TrainConfig, load_config
from vega.training.data import IGNORE_INDEX, Renderer, read_examples
from vega.training.jobs import TrainingJob
from vega.training.service import TrainOutcome, train

pytestmark = pytest.mark.slow

RUN_FILES = ["adapter_config.json", "adapter_model.safetensors", "config.yaml", "metrics.json"]


def write_config(
    path: Path,
    model: Path,
    dataset: Path,
    output: Path,
    changes: dict[str, Any] | None = None,
    **more: Any,
) -> Path:
    values: dict[str, Any] = {
        "base_model": str(model),
        "dataset": str(dataset),
        "output_dir": str(output),
        "lora": {"r": 8, "alpha": 16, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]},
        "max_steps": 30,
        "learning_rate": 1.0e-2,
        "batch_size": 8,
        "max_seq_len": 64,
        "val_split": 0.2,
        "seed": 0,
    }
    values.update(changes or {}, **more)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(values))
    return path


@dataclass
class Run:
    config: TrainConfig
    outcome: TrainOutcome
    data_dir: Path


@pytest.fixture(scope="module")
def jobs_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    data_dir = tmp_path_factory.mktemp("jobs")
    db = Database.from_url(f"sqlite:///{data_dir / 'vega.db'}")
    db.migrate()
    return db


@pytest.fixture(scope="module")
def run(
    tiny_model: Path,
    tiny_dataset: Path,
    tmp_path_factory: pytest.TempPathFactory,
    jobs_db: Database,
) -> Run:
    tmp = tmp_path_factory.mktemp("run")
    path = write_config(tmp / "config.yaml", tiny_model, tiny_dataset, tmp / "out")
    config = load_config(path)
    outcome = train(config, job=TrainingJob(jobs_db, owner=None))
    return Run(config, outcome, Path(str(jobs_db.engine.url.database)).parent)


def logits(model: Any, text: str, tokenizer: Any) -> Any:
    import torch

    model.eval()
    with torch.no_grad():
        return model(**tokenizer(text, return_tensors="pt")).logits


# --- one run, looked at from every side -------------------------------------------------


def test_a_short_run_lowers_the_validation_loss(run: Run) -> None:
    metrics = run.outcome.metrics
    assert metrics["steps"] == 30 and metrics["steps_this_run"] == 30
    assert metrics["val_loss_after"] < metrics["val_loss_before"] - 0.5, metrics
    assert metrics["val_perplexity_after"] < metrics["val_perplexity_before"]
    assert metrics["train_examples"] == 38 and metrics["val_examples"] == 10
    for key in ("train_loss", "epochs", "seconds", "steps_per_s", "samples", "tokens"):
        assert metrics[key], key
    assert 0 < metrics["trainable_params"] < metrics["total_params"]


def test_the_output_dir_holds_the_adapter_metrics_and_exact_config(run: Run) -> None:
    out = run.config.output_dir
    for name in RUN_FILES:
        assert (out / name).is_file(), name
    assert json.loads((out / "metrics.json").read_text()) == run.outcome.metrics
    assert yaml.safe_load((out / "config.yaml").read_text()) == run.config.to_yaml_dict()
    assert (out / "checkpoint-30" / "trainer_state.json").is_file()
    steps = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 31))


def test_the_run_is_a_finished_job(run: Run) -> None:
    rows = db_rows(run.data_dir, "SELECT * FROM jobs WHERE id = ?", run.outcome.job_id)
    assert len(rows) == 1
    job = rows[0]
    assert (job["kind"], job["status"], job["progress"], job["error"]) == (
        "train",
        "done",
        1.0,
        None,
    )
    result = json.loads(job["result"])
    assert result["output_dir"] == str(run.config.output_dir)
    assert result["metrics"]["val_loss_after"] == run.outcome.metrics["val_loss_after"]


def test_the_saved_adapter_reloads_to_the_same_logits_and_merges(run: Run) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(run.config.base_model)
    text = "Capital of Arden? Arden-city"
    trained = logits(run.outcome.model, text, tokenizer)
    base = AutoModelForCausalLM.from_pretrained(run.config.base_model)
    untouched = logits(base, text, tokenizer)
    reloaded = PeftModel.from_pretrained(base, run.config.output_dir)
    assert torch.equal(logits(reloaded, text, tokenizer), trained)
    assert not torch.allclose(untouched, trained, atol=1e-3)  # the adapter does something
    merged = reloaded.merge_and_unload()
    assert torch.allclose(logits(merged, text, tokenizer), trained, atol=1e-5)


def test_the_loss_covers_the_response_tokens_only(tiny_model: Path, tiny_dataset: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    example = read_examples([tiny_dataset]).examples[0]
    for chat in (True, False):
        renderer = Renderer.for_tokenizer(
            tokenizer,
            chat_template=chat,
            prompt_template="### Prompt:\n{prompt}\n\n### Response:\n",
        )
        encoded = renderer.encode(example, max_seq_len=64)
        assert encoded is not None
        masked = [label == IGNORE_INDEX for label in encoded.labels]
        prompt_len = masked.index(False)
        assert all(masked[:prompt_len]) and not any(masked[prompt_len:])
        prompt = tokenizer.decode(encoded.input_ids[:prompt_len])
        response = tokenizer.decode(encoded.input_ids[prompt_len:])
        assert encoded.input_ids[-1] == tokenizer.eos_token_id  # the model learns to stop
        assert response.startswith("Arden-city")
        assert ("<|assistant|>" in prompt) is chat and ("### Response:" in prompt) is not chat


# --- stopping and resuming ---------------------------------------------------------------


class InterruptAt:
    """A TrainerCallback that sends this process SIGINT (what Ctrl-C does) after step N."""

    def __new__(cls, step: int) -> Any:
        from transformers import TrainerCallback

        class _Interrupt(TrainerCallback):
            def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                if state.global_step == step:
                    os.kill(os.getpid(), signal.SIGINT)

        return _Interrupt()


def test_ctrl_c_keeps_a_checkpoint_and_resume_continues_the_step_count(
    tiny_model: Path, tiny_dataset: Path, tmp_path: Path, jobs_db: Database
) -> None:
    path = write_config(
        tmp_path / "c.yaml", tiny_model, tiny_dataset, tmp_path / "out", max_steps=8
    )
    config = load_config(path)
    stopped = train(config, job=TrainingJob(jobs_db, owner=None), callbacks=[InterruptAt(3)])
    assert stopped.stopped and stopped.metrics == {}
    assert stopped.checkpoint == config.output_dir / "checkpoint-3"
    assert (stopped.checkpoint / "adapter_model.safetensors").is_file()
    assert not (config.output_dir / "adapter_model.safetensors").exists()
    with jobs_db.session() as session:
        from vega.store import jobs as repo

        job = repo.get(session, job_id=stopped.job_id or "")
        assert job is not None and job.status == "cancelled"
        assert job.result is not None and job.result["checkpoint"] == str(stopped.checkpoint)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored

    resumed = train(load_config(path, resume=True))
    assert not resumed.stopped
    assert resumed.metrics["steps"] == 8 and resumed.metrics["steps_this_run"] == 5
    assert resumed.metrics["resumed_from"] == str(config.output_dir / "checkpoint-3")
    steps = [
        json.loads(line)["step"]
        for line in (config.output_dir / "log.jsonl").read_text().splitlines()
    ]
    assert steps == list(range(1, 9))


# --- the command --------------------------------------------------------------------------


def invoke(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("VEGA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("VEGA_LLM_BACKEND", "none")
    return data_dir


BadConfig = Callable[[Path, Path, Path], dict[str, Any]]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp, model, data: {"base_model": str(tmp / "no-model")}, r"base_model: .*no-model: no such folder"),
        (lambda tmp, model, data: {"lora": {"target_modules": ["q_proj", "qkv"]}}, r"lora.target_modules: 'qkv' not in this model; its linear modules are: down_proj, gate_proj, k_proj, lm_head, o_proj, q_proj, up_proj, v_proj"),
        (lambda tmp, model, data: {"dataset": str(tmp / "empty.jsonl")}, r"dataset: .*empty.jsonl is empty"),
        (lambda tmp, model, data: {"lora_r": 4}, r"unknown key 'lora_r'"),
        (lambda tmp, model, data: {"precision": "fp16"}, r"precision: fp16 needs a CUDA GPU"),
    ],
    ids=["missing-base-model", "unknown-target-module", "empty-dataset", "unknown-key", "fp16-on-cpu"],
)  # fmt: skip
def test_a_bad_config_is_one_line_and_exit_1_before_training(
    make: BadConfig,
    message: str,
    tiny_model: Path,
    tiny_dataset: Path,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    out_dir = tmp_path / "out"
    path = write_config(
        tmp_path / "c.yaml",
        tiny_model,
        tiny_dataset,
        out_dir,
        make(tmp_path, tiny_model, tiny_dataset),
    )
    code, _, err = invoke(["train", "--config", str(path)], capsys)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert __import__("re").search(message, lines[0]), lines[0]
    assert not out_dir.exists()


def test_vega_eval_compares_base_and_adapter_as_json(
    run: Run, cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "eval.yaml"
    config.write_text(yaml.safe_dump(run.config.to_yaml_dict()))
    code, out, _ = invoke(["eval", "--config", str(config)], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["split"] == "validation" and report["examples"] == 10
    for side in ("base", "adapter"):
        assert set(report[side]) == {"loss", "perplexity", "exact_match", "examples", "tokens"}
        assert 0 <= report[side]["exact_match"] <= 1
    # The same scorer as training: eval's numbers are metrics.json's.
    assert report["base"]["loss"] == pytest.approx(run.outcome.metrics["val_loss_before"], abs=1e-5)
    assert report["adapter"]["loss"] == pytest.approx(
        run.outcome.metrics["val_loss_after"], abs=1e-5
    )
    assert report["delta"]["loss"] < 0


def test_vega_train_logs_each_step_and_stops_cleanly_on_sigint(
    tiny_model: Path, tiny_dataset: Path, tmp_path: Path
) -> None:
    """The real command in its own process: per-step log lines, then Ctrl-C → exit 130,
    a checkpoint, and the job marked cancelled."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    path = write_config(
        tmp_path / "c.yaml", tiny_model, tiny_dataset, tmp_path / "out", max_steps=100_000
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "vega", "train", "--config", str(path)],
        env=vega_env(data_dir, llm_backend="none"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + 60
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("step 3/100000"):
            proc.send_signal(signal.SIGINT)
            break
        assert time.monotonic() < deadline, "".join(seen)
    _, rest = proc.communicate(timeout=60)
    err = "".join(seen) + rest
    assert proc.returncode == 130, err
    assert "validation loss before:" in err and "step 1/100000  loss " in err
    assert "Stopped. Checkpoint: " in err and "--resume" in err
    checkpoint = Path(err.split("Stopped. Checkpoint: ")[1].split(". Continue")[0])
    assert checkpoint.parent == tmp_path / "out" and checkpoint.name.startswith("checkpoint-")
    assert (checkpoint / "adapter_model.safetensors").is_file()
    jobs = db_rows(data_dir, "SELECT kind, status, result FROM jobs")
    assert [(j["kind"], j["status"]) for j in jobs] == [("train", "cancelled")]
    assert json.loads(jobs[0]["result"])["checkpoint"] == str(checkpoint)
