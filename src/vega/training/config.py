"""The training config: a YAML file, validated before anything heavy loads.

``load_config(path)`` parses and validates the file (unknown keys are refused by
name) and resolves relative paths against the **current directory** — the
documented example ``training/config.yaml`` names ``training/output/run1`` and is
run from the repository root. ``check_inputs(config)`` then looks at the disk: the
base model folder, the dataset files and the output dir. Every problem is one
``ConfigError`` line (exit 1) before any model is loaded; the checks that need the
model (unknown LoRA target modules, fp16 without a GPU) run in ``vega.training.lora``
after loading it and before the first step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vega.errors import ConfigError

DEFAULT_PROMPT_TEMPLATE = "### Prompt:\n{prompt}\n\n### Response:\n"
CHECKPOINT_PREFIX = "checkpoint-"
# Files that mean an output dir already holds a run (so we never silently overwrite one).
RUN_FILES = ("adapter_model.safetensors", "metrics.json")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoraSettings(_Strict):
    r: int = Field(8, gt=0, le=4096, description="LoRA rank.")
    alpha: int = Field(16, gt=0, description="LoRA scaling numerator (scale = alpha / r).")
    dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the LoRA input.")
    target_modules: list[str] | Literal["all-linear"] = Field(
        default_factory=lambda: ["q_proj", "v_proj"],
        description="Names of the Linear modules to adapt, or 'all-linear'.",
    )

    @field_validator("target_modules")
    @classmethod
    def _some_modules(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, list) and (not value or not all(name.strip() for name in value)):
            raise ValueError("name at least one module, e.g. [q_proj, v_proj]")
        return value


class TrainConfig(_Strict):
    """Every key of ``training/config.yaml``; ``docs/training.md`` documents each one."""

    base_model: Path = Field(description="A local folder in Hugging Face format.")
    dataset: list[Path] = Field(
        description='JSONL file(s): {"prompt","response"} or {"messages"} lines.'
    )
    output_dir: Path
    lora: LoraSettings = Field(default_factory=LoraSettings)
    max_steps: int | None = Field(None, gt=0)
    epochs: float | None = Field(None, gt=0)
    learning_rate: float = Field(2e-4, gt=0, le=1)
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "linear"
    warmup_steps: int = Field(0, ge=0)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    batch_size: int = Field(8, gt=0)
    gradient_accumulation_steps: int = Field(1, gt=0)
    max_seq_len: int = Field(512, ge=8)
    val_split: float = Field(0.1, ge=0, lt=0.9)
    val_dataset: list[Path] | None = Field(
        None, description="Validation JSONL file(s); when set, val_split is not used."
    )
    seed: int = 0
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    gradient_checkpointing: bool = False
    save_steps: int | None = Field(None, gt=0)
    save_total_limit: int | None = Field(2, gt=0)
    logging_steps: int = Field(1, gt=0)
    resume: bool | Path = False
    overwrite: bool = False
    chat_template: bool = True
    prompt_template: str = DEFAULT_PROMPT_TEMPLATE

    @field_validator("dataset", "val_dataset", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        if isinstance(value, str | Path):
            return [value]
        if isinstance(value, list) and not value:
            raise ValueError("name at least one JSONL file")
        return value

    @field_validator("prompt_template")
    @classmethod
    def _has_prompt(cls, value: str) -> str:
        if "{prompt}" not in value:
            raise ValueError("must contain {prompt}")
        return value

    @model_validator(mode="after")
    def _steps_or_epochs(self) -> TrainConfig:
        if self.max_steps is not None and self.epochs is not None:
            raise ValueError("set max_steps or epochs, not both")
        return self

    @property
    def total_epochs(self) -> float:
        """Epochs to run when ``max_steps`` is not set (one by default)."""
        return self.epochs if self.epochs is not None else 1.0

    def to_yaml_dict(self) -> dict[str, Any]:
        """Plain values (paths as strings), for the copy saved next to the adapter."""
        return self.model_dump(mode="json")


def parse_config(data: Any, *, source: str = "config") -> TrainConfig:
    """Validate a parsed YAML document; every problem in one line."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keys (base_model: ..., dataset: ...)")
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """pydantic's errors as ``key: problem; key: problem``, naming unknown keys."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "config"
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown key '{where}'{_known_keys(error['loc'])}")
        elif error["type"] == "missing":
            parts.append(f"{where}: required")
        else:
            message = error["msg"].removeprefix("Value error, ")
            parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _known_keys(loc: tuple[int | str, ...]) -> str:
    model: type[BaseModel] = LoraSettings if loc[:1] == ("lora",) else TrainConfig
    return f" (known: {', '.join(model.model_fields)})"


def load_config(path: Path, *, resume: bool | Path | None = None) -> TrainConfig:
    """Read, validate and resolve a training config; ``resume`` overrides its ``resume`` key."""
    import yaml  # PyYAML: light, but only `vega train` and `vega eval` need it

    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot parse"
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if isinstance(data, dict) and resume is not None:
        data = {**data, "resume": resume}
    config = parse_config(data, source=str(path))
    return resolve_paths(config, Path.cwd())


def resolve_paths(config: TrainConfig, base: Path) -> TrainConfig:
    def absolute(path: Path) -> Path:
        path = path.expanduser()
        return (path if path.is_absolute() else base / path).resolve()

    resume = config.resume if isinstance(config.resume, bool) else absolute(config.resume)
    return config.model_copy(
        update={
            "base_model": absolute(config.base_model),
            "dataset": [absolute(p) for p in config.dataset],
            "val_dataset": [absolute(p) for p in config.val_dataset]
            if config.val_dataset
            else None,
            "output_dir": absolute(config.output_dir),
            "resume": resume,
        }
    )


def check_inputs(config: TrainConfig) -> None:
    """What can be checked on disk before loading a model; raises ConfigError."""
    check_base_model(config.base_model)
    for key, paths in (("dataset", config.dataset), ("val_dataset", config.val_dataset or [])):
        for path in paths:
            if not path.is_file():
                raise ConfigError(f"{key}: {path}: no such file")
    out = config.output_dir
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output_dir: {out} is a file, not a folder")
    if config.resume is not False:
        resume_checkpoint(config)  # raises if there is nothing to resume
    elif not config.overwrite and holds_run(out):
        raise ConfigError(
            f"output_dir: {out} already holds a run; set resume: true (or --resume) to continue it, "
            "overwrite: true to replace it, or choose another output_dir"
        )


def check_base_model(folder: Path) -> None:
    if not folder.is_dir():
        raise ConfigError(
            f"base_model: {folder}: no such folder (a local model in Hugging Face format)"
        )
    if not (folder / "config.json").is_file():
        raise ConfigError(
            f"base_model: {folder} has no config.json: not a Hugging Face model folder"
        )
    if not any(folder.glob("*.safetensors")):
        # Pickled .bin weights can run code when loaded; Vega loads safetensors only.
        raise ConfigError(
            f"base_model: {folder} has no .safetensors weights (pickled .bin weights are not loaded)"
        )
    if not any((folder / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json")):
        raise ConfigError(f"base_model: {folder} has no tokenizer (tokenizer.json)")


def holds_run(out: Path) -> bool:
    if not out.is_dir():
        return False
    return any((out / name).exists() for name in RUN_FILES) or bool(checkpoints(out))


def checkpoints(out: Path) -> list[Path]:
    """The output dir's checkpoint folders, oldest (lowest step) first."""
    if not out.is_dir():
        return []
    found = [
        p
        for p in out.iterdir()
        if p.is_dir()
        and p.name.startswith(CHECKPOINT_PREFIX)
        and p.name[len(CHECKPOINT_PREFIX) :].isdigit()
    ]
    return sorted(found, key=lambda p: int(p.name[len(CHECKPOINT_PREFIX) :]))


def resume_checkpoint(config: TrainConfig) -> Path | None:
    """The checkpoint to resume from, or None when not resuming."""
    if config.resume is False:
        return None
    if isinstance(config.resume, Path):
        if not (config.resume / "trainer_state.json").is_file():
            raise ConfigError(f"resume: {config.resume} is not a checkpoint folder")
        return config.resume
    found = checkpoints(config.output_dir)
    if not found:
        raise ConfigError(f"resume: no checkpoint-* folder in {config.output_dir} to resume from")
    return found[-1]
