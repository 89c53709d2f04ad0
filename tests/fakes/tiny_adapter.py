"""A LoRA adapter for the tiny model, made with PEFT directly (no training, no trainer code).

``make_adapter(base, out, seed=1)`` writes ``adapter_config.json`` and
``adapter_model.safetensors`` into ``out`` and returns it. The LoRA weights are
random (``init_lora_weights=False``; PEFT's default starts B at zero, which would
change nothing), so the adapted model answers differently from the base: that is
what the serving tests check. Deterministic for a seed; reused when already written.
"""

from __future__ import annotations

import warnings
from pathlib import Path


def make_adapter(base: Path, out: Path, *, seed: int = 1) -> Path:
    if (out / "adapter_model.safetensors").is_file():
        return out
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(str(base), use_safetensors=True)
    config = LoraConfig(
        r=8,
        lora_alpha=32,
        target_modules=["q_proj", "v_proj"],
        init_lora_weights=False,
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():  # PEFT's use of an API transformers 5 deprecated
        warnings.simplefilter("ignore", FutureWarning)
        adapted = get_peft_model(model, config)
    adapted.save_pretrained(str(out), safe_serialization=True)
    return out
