"""Taking a trained adapter elsewhere: an Ollama Modelfile, or a merged model folder.

- ``export_ollama`` writes a ``Modelfile`` with ``FROM`` (the base) and ``ADAPTER``
  (the adapter folder), for ``ollama create NAME -f Modelfile``. Ollama applies a
  safetensors LoRA adapter to the base as it is, so the base must be the model the
  adapter was trained on.
- ``merge`` folds the adapter into the base weights and writes a plain Hugging Face
  folder (safetensors), which any runtime loads without PEFT: `vega models add`,
  vLLM, or llama.cpp's converter to GGUF.

torch, transformers and PEFT are imported inside ``merge`` only. Library errors
become ``BadInput`` here.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from vega.errors import BadInput
from vega.llm.local_models import ADAPTER_FILES, TRANSFORMERS, check_adapter, inspect_model
from vega.private import private_dir

MODELFILE = "Modelfile"


def adapter_base(adapter_dir: Path) -> str | None:
    """The base model PEFT recorded when the adapter was saved (a path or a hub name)."""
    try:
        config = json.loads((adapter_dir / ADAPTER_FILES[0]).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    base = config.get("base_model_name_or_path") if isinstance(config, dict) else None
    return str(base) if base else None


def _base_or_recorded(base_model: str | Path | None, adapter_dir: Path) -> str:
    base = str(base_model) if base_model else adapter_base(adapter_dir)
    if not base:
        raise BadInput(
            f"{adapter_dir}/{ADAPTER_FILES[0]} does not name its base model: pass --base"
        )
    return base


def export_ollama(adapter_dir: Path, base_model: str | Path | None, out_dir: Path) -> Path:
    """Write ``out_dir/Modelfile``; return its path.

    ``base_model`` is a model folder, a .gguf file or an Ollama model name (e.g.
    ``llama3.2``); None means the base recorded in the adapter's config.
    """
    adapter_dir = adapter_dir.expanduser().resolve()
    check_adapter(adapter_dir)
    base = _base_or_recorded(base_model, adapter_dir)
    base_path = Path(base).expanduser()
    if base_path.exists():
        base = str(base_path.resolve())
    elif "/" in base or base.startswith("."):
        raise BadInput(f"base model {base}: no such file or folder")
    lines = [
        "# Written by `vega train export --ollama`. Create the model with:",
        f"#   ollama create NAME -f {out_dir.expanduser().resolve() / MODELFILE}",
        "# The base must be the model the adapter was trained on.",
        f"FROM {base}",
        f"ADAPTER {adapter_dir}",
    ]
    if base_path.is_dir() and not _has_chat_template(base_path):
        # Trained with Vega's plain template (no chat template to import): ask the same way.
        from vega.training.config import DEFAULT_PROMPT_TEMPLATE

        template = DEFAULT_PROMPT_TEMPLATE.replace("{prompt}", "{{ .Prompt }}")
        lines.append(f'TEMPLATE """{template}"""')
    out_dir = out_dir.expanduser()
    private_dir(out_dir)
    path = out_dir / MODELFILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(config, dict) and bool(config.get("chat_template"))


def merge(base_model: str | Path | None, adapter_dir: Path, out_dir: Path) -> Path:
    """Write base + adapter as one Hugging Face folder (safetensors) into ``out_dir``; return it.

    The sum is computed in float32 and saved in the base's own dtype. ``out_dir``
    must be new or empty: a merge never overwrites a model.
    """
    adapter_dir = adapter_dir.expanduser().resolve()
    base = Path(_base_or_recorded(base_model, adapter_dir)).expanduser().resolve()
    inspect_model(base, adapter=adapter_dir, backend=TRANSFORMERS)
    out_dir = out_dir.expanduser().resolve()
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise BadInput(f"{out_dir} exists and is not empty: choose a new folder (-o)")
    merged, tokenizer = _merged_model(base, adapter_dir)
    private_dir(out_dir)
    merged.save_pretrained(str(out_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(out_dir))
    return out_dir


def _merged_model(base: Path, adapter_dir: Path) -> tuple[Any, Any]:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from vega.hf import quiet_huggingface

    quiet_huggingface()
    try:
        # A local folder: local_files_only makes a missing one an error, never a Hub download.
        tokenizer = AutoTokenizer.from_pretrained(  # local folder  # nosec B615
            str(base), trust_remote_code=False, local_files_only=True
        )
        model: Any = AutoModelForCausalLM.from_pretrained(  # local folder  # nosec B615
            str(base),
            dtype=torch.float32,
            trust_remote_code=False,
            use_safetensors=True,
            local_files_only=True,
        )
        saved_dtype = _config_dtype(base)
        with warnings.catch_warnings():  # PEFT's use of a deprecated transformers API
            warnings.simplefilter("ignore", FutureWarning)
            model = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=False)
        merged = model.merge_and_unload()
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(f"cannot merge {adapter_dir} into {base}: {first}") from None
    if saved_dtype is not None and saved_dtype != torch.float32:
        merged = merged.to(saved_dtype)
    return merged, tokenizer


def _config_dtype(folder: Path) -> Any:
    """The dtype the base's weights are stored in (``dtype`` or the older ``torch_dtype``)."""
    import torch

    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    name = config.get("dtype") or config.get("torch_dtype") if isinstance(config, dict) else None
    value = getattr(torch, str(name), None) if name else None
    return value if isinstance(value, torch.dtype) else None
