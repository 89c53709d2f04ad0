"""The model side of training: load a base model, put LoRA on it, save and load adapters.

The one place that calls transformers' and PEFT's loading APIs. Imports are inside
the functions (importing torch takes seconds). Library errors become one-line
``ConfigError``s here. Nothing a user supplies is loaded with pickle or remote code:
safetensors weights only, ``trust_remote_code=False``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from vega.errors import BadInput, ConfigError
from vega.hf import quiet_huggingface
from vega.training.config import LoraSettings

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def prepare_libraries() -> None:
    """Call before transformers is first imported: no shadowed packages, no chatter."""
    _hide_shadowing_folder("datasets")
    # Deprecation notices about the libraries' own internals are not the user's to act on.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|peft)\.")
    quiet_huggingface()


def _hide_shadowing_folder(name: str) -> None:
    """A ``datasets/`` folder in the current directory (where datasets usually go) is a
    namespace package to Python when the current directory is on ``sys.path`` (as with
    ``python -m vega``). transformers then takes it for the Hugging Face ``datasets``
    library and fails on it. When no such library is installed, mark it absent."""
    spec = importlib.util.find_spec(name) if name not in sys.modules else None
    if spec is not None and spec.origin is None and spec.loader is None:
        sys.modules[name] = None  # type: ignore[assignment]  # "not importable", per importlib


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def check_precision(precision: str) -> None:
    if precision == "fp16" and not cuda_available():
        raise ConfigError("precision: fp16 needs a CUDA GPU; on CPU use fp32 (default) or bf16")


def device() -> str:
    """Where this process trains: its GPU under `accelerate launch`, else the CPU."""
    if cuda_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return "cpu"


def load_base(folder: Path, *, precision: str = "fp32") -> tuple[Any, Any]:
    """(model, tokenizer) from a local Hugging Face folder, on this process's device."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    prepare_libraries()
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    try:
        # A local folder: local_files_only makes a missing one an error, never a Hub download.
        tokenizer = AutoTokenizer.from_pretrained(  # local folder  # nosec B615
            str(folder), trust_remote_code=False, local_files_only=True
        )
        model: Any = AutoModelForCausalLM.from_pretrained(  # local folder  # nosec B615
            str(folder),
            dtype=dtype,
            trust_remote_code=False,
            use_safetensors=True,
            local_files_only=True,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"base_model: cannot load {folder}: {first_line}") from None
    if tokenizer.pad_token_id is None:
        # Padding is masked out of the loss and attention, so any id will do.
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device()), tokenizer


def linear_module_names(model: Any) -> list[str]:
    """The names LoRA can target: every Linear (or GPT-2 style Conv1D) layer's own name."""
    import torch
    from transformers.pytorch_utils import Conv1D

    names = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear | Conv1D) and name
    }
    return sorted(names)


def check_target_modules(model: Any, targets: list[str] | str) -> None:
    """Each target must name a Linear layer of this model (PEFT matches name suffixes)."""
    if isinstance(targets, str):  # "all-linear": PEFT picks them
        return
    import torch
    from transformers.pytorch_utils import Conv1D

    linear = [
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear | Conv1D) and name
    ]
    unknown = [t for t in targets if not any(n == t or n.endswith("." + t) for n in linear)]
    if unknown:
        listed = ", ".join(f"'{name}'" for name in unknown)
        raise ConfigError(
            f"lora.target_modules: {listed} not in this model; its linear modules are: "
            f"{', '.join(linear_module_names(model))}"
        )


def apply_lora(model: Any, settings: LoraSettings, *, seed: int) -> Any:
    """Wrap ``model`` in a PEFT LoRA model; only the adapter's weights train."""
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import set_seed

    check_target_modules(model, settings.target_modules)
    set_seed(seed)  # the adapter's initial weights
    config = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        bias="none",
        task_type=TaskType.CAUSAL_LM,
    )
    return get_peft_model(model, config)


def save_adapter(model: Any, folder: Path) -> None:
    """adapter_config.json + adapter_model.safetensors (no pickle, no base weights)."""
    model.save_pretrained(str(folder), safe_serialization=True)


def load_adapter(base: Any, folder: Path) -> Any:
    """The base model with a saved adapter on top, for inference."""
    from peft import PeftModel

    if not (folder / ADAPTER_FILES[0]).is_file():
        raise BadInput(
            f"adapter: {folder} has no {ADAPTER_FILES[0]}; run `vega train` first or pass --adapter"
        )
    try:
        return PeftModel.from_pretrained(base, str(folder), is_trainable=False)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(f"adapter: cannot load {folder}: {first_line}") from None
