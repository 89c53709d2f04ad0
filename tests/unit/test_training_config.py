"""The training config and dataset reading: everything checked before a model loads.

No torch here: these run in milliseconds. The training runs themselves are in
tests/integration/test_train_cli.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from vega.errors import BadInput, ConfigError
from vega.training.config import (
    TrainConfig,
    check_inputs,
    load_config,
    parse_config,
    resolve_paths,
    resume_checkpoint,
)
from vega.training.data import Example, parse_line, plain_prompt, read_examples, split

CONTRACT = {
    "base_model": "models/tiny",
    "dataset": "datasets/output.jsonl",
    "output_dir": "training/output/run1",
    "lora": {"r": 8, "alpha": 16, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]},
    "max_steps": 30,
    "learning_rate": 5.0e-3,
    "batch_size": 8,
    "max_seq_len": 128,
    "val_split": 0.2,
    "seed": 0,
}


def fake_model(folder: Path) -> Path:
    """Enough of a Hugging Face folder for the checks that do not load it."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    (folder / "tokenizer.json").write_text("{}")
    return folder


def on_disk(tmp_path: Path, **changes: Any) -> TrainConfig:
    model = fake_model(tmp_path / "model")
    data = tmp_path / "data.jsonl"
    data.write_text('{"prompt": "a", "response": "b"}\n')
    values = {**CONTRACT, "base_model": model, "dataset": data, "output_dir": tmp_path / "out"}
    return resolve_paths(parse_config({**values, **changes}), tmp_path)


def test_the_contract_keys_are_accepted_with_defaults_for_the_rest() -> None:
    config = parse_config(CONTRACT)
    assert config.lora.target_modules == ["q_proj", "v_proj"]
    assert config.max_steps == 30 and config.epochs is None
    assert config.dataset == [Path("datasets/output.jsonl")]
    assert config.precision == "fp32" and config.gradient_checkpointing is False
    assert config.resume is False and config.save_steps is None


def test_the_repository_example_is_a_valid_config(repo_root: Path) -> None:
    data = yaml.safe_load((repo_root / "training" / "config.yaml").read_text())
    assert set(CONTRACT) <= set(data)
    config = parse_config(data)
    assert config.max_steps == 30 and config.val_split == 0.2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"learning_rat": 0.1}, "unknown key 'learning_rat' (known: base_model"),
        ({"lora": {"rank": 8}}, "unknown key 'lora.rank' (known: r, alpha"),
        ({"lora": {"r": 0}}, "lora.r: Input should be greater than 0"),
        ({"val_split": 0.9}, "val_split: Input should be less than 0.9"),
        ({"epochs": 3}, "set max_steps or epochs, not both"),
        ({"precision": "fp8"}, "precision: Input should be 'fp32', 'bf16' or 'fp16'"),
        ({"lora": {"target_modules": []}}, "lora.target_modules: name at least one module"),
        ({"dataset": []}, "dataset: name at least one JSONL file"),
    ],
)
def test_bad_values_are_one_line_naming_the_key(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({**CONTRACT, **changes}, source="cfg.yaml")
    assert caught.value.message.startswith("cfg.yaml: ")
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_missing_keys_are_named() -> None:
    with pytest.raises(ConfigError, match="base_model: required; output_dir: required"):
        parse_config({"dataset": "x.jsonl"})


def test_relative_paths_are_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "training").mkdir()
    path = tmp_path / "training" / "config.yaml"
    path.write_text(yaml.safe_dump(CONTRACT))
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("training/config.yaml"))
    assert config.base_model == tmp_path / "models" / "tiny"
    assert config.dataset == [tmp_path / "datasets" / "output.jsonl"]
    assert config.output_dir == tmp_path / "training" / "output" / "run1"


def test_unreadable_yaml_and_missing_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("base_model: [unclosed\n")
    with pytest.raises(ConfigError, match=r"not valid YAML \(line \d+\)"):
        load_config(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(bad)


def test_the_inputs_are_checked_on_disk(tmp_path: Path) -> None:
    config = on_disk(tmp_path)
    check_inputs(config)  # all there

    with pytest.raises(ConfigError, match=r"base_model: .*nowhere: no such folder"):
        check_inputs(config.model_copy(update={"base_model": tmp_path / "nowhere"}))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"has no config\.json"):
        check_inputs(config.model_copy(update={"base_model": tmp_path / "empty"}))
    (tmp_path / "model" / "model.safetensors").rename(tmp_path / "model" / "pytorch_model.bin")
    with pytest.raises(ConfigError, match=r"no \.safetensors weights"):
        check_inputs(config)
    (tmp_path / "model" / "pytorch_model.bin").rename(tmp_path / "model" / "model.safetensors")
    with pytest.raises(ConfigError, match=r"dataset: .*missing.jsonl: no such file"):
        check_inputs(config.model_copy(update={"dataset": [tmp_path / "missing.jsonl"]}))


def test_a_finished_run_is_not_overwritten_by_accident(tmp_path: Path) -> None:
    config = on_disk(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "metrics.json").write_text("{}")
    with pytest.raises(ConfigError, match="already holds a run; set resume: true"):
        check_inputs(config)
    check_inputs(config.model_copy(update={"overwrite": True}))


def test_resume_needs_a_checkpoint_and_takes_the_latest(tmp_path: Path) -> None:
    config = on_disk(tmp_path, resume=True)
    with pytest.raises(ConfigError, match="no checkpoint-\\* folder"):
        check_inputs(config)
    for step in (2, 10, 9):
        (tmp_path / "out" / f"checkpoint-{step}").mkdir(parents=True)
    assert resume_checkpoint(config) == tmp_path / "out" / "checkpoint-10"
    chosen = config.model_copy(update={"resume": tmp_path / "out" / "checkpoint-2"})
    with pytest.raises(ConfigError, match="is not a checkpoint folder"):
        resume_checkpoint(chosen)


# --- the dataset ------------------------------------------------------------------------


def test_both_line_shapes_are_read_and_bad_lines_are_counted(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    lines = [
        {"prompt": "Hi?", "response": "Hello.", "rating": 5},
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]},
        {"prompt": "no reply"},
        {"messages": [{"role": "user", "content": "Hi?"}]},
    ]  # fmt: skip
    data.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n\n")
    read = read_examples([data])
    assert read.lines == 5 and read.skipped == 3 and len(read.examples) == 2
    assert read.first_problem == 'data.jsonl line 3: no "response" text'
    assert read.examples[0] == Example(context=(("user", "Hi?"),), response="Hello.")
    assert read.examples[1].context == (("system", "Be brief."), ("user", "Hi?"))


def test_an_empty_dataset_or_one_without_valid_lines_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(BadInput, match=r"dataset: .*empty.jsonl is empty"):
        read_examples([empty])
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"text": "no pairs here"}\n')
    with pytest.raises(
        BadInput, match=r'no valid lines .* \(first problem: junk.jsonl line 1: no "prompt" text\)'
    ):
        read_examples([junk])


def test_messages_must_end_with_the_reply() -> None:
    with pytest.raises(ValueError, match="last message must be the assistant's reply"):
        parse_line(
            json.dumps(
                {
                    "messages": [
                        {"role": "assistant", "content": "a"},
                        {"role": "user", "content": "b"},
                    ]
                }
            )
        )
    with pytest.raises(ValueError, match='needs a "role"'):
        parse_line(
            json.dumps(
                {
                    "messages": [
                        {"role": "bot", "content": "a"},
                        {"role": "assistant", "content": "b"},
                    ]
                }
            )
        )


def test_a_validation_file_replaces_the_split(tmp_path: Path) -> None:
    from vega.training.data import training_examples

    train, val = tmp_path / "train.jsonl", tmp_path / "val.jsonl"
    train.write_text(
        "".join(json.dumps({"prompt": f"q{i}", "response": "a"}) + "\n" for i in range(5))
    )
    val.write_text(json.dumps({"prompt": "v", "response": "a"}) + "\nnot json\n")
    read, parts = training_examples([train], [val], val_split=0.5, seed=0)
    assert len(parts.train) == 5 and [e.context for e in parts.val] == [(("user", "v"),)]
    assert read.lines == 7 and read.skipped == 1
    config = on_disk(tmp_path, val_dataset=str(tmp_path / "missing.jsonl"))
    with pytest.raises(ConfigError, match=r"val_dataset: .*missing.jsonl: no such file"):
        check_inputs(config)


def test_the_split_is_seeded_and_holds_out_at_least_one() -> None:
    examples = [Example(context=(("user", str(i)),), response=str(i)) for i in range(10)]
    first = split(examples, val_split=0.2, seed=0)
    assert len(first.train) == 8 and len(first.val) == 2
    assert split(examples, val_split=0.2, seed=0).val == first.val
    assert split(examples, val_split=0.2, seed=1).val != first.val
    assert len(split(examples, val_split=0.01, seed=0).val) == 1
    assert split(examples, val_split=0, seed=0).val == []
    with pytest.raises(BadInput, match="too few to hold out"):
        split(examples[:1], val_split=0.5, seed=0)


def test_the_plain_template_names_earlier_turns_by_role() -> None:
    single = Example(context=(("user", "Hi?"),), response="Hello.")
    assert plain_prompt(single) == "Hi?"
    several = Example(context=(("system", "Be brief."), ("user", "Hi?")), response="Hello.")
    assert plain_prompt(several) == "System: Be brief.\n\nUser: Hi?"


def test_importing_the_cli_and_training_modules_loads_no_model_library() -> None:
    code = (
        "import sys, vega, vega.cli.main, vega.training.service, vega.training.eval, "
        "vega.training.lora; "
        "print(sorted(m for m in ('torch', 'transformers', 'peft', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
