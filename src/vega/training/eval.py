"""Scoring a model on held-out prompt/response pairs, and `vega eval`.

Three numbers, all over the response tokens only (the prompt is given):

- ``loss``: mean cross-entropy per response token (summed over every token of every
  example, then divided: long replies weigh by their length);
- ``perplexity``: ``exp(loss)``;
- ``exact_match``: the share of examples whose whole response, end token included,
  greedy decoding reproduces token for token. It comes from the same forward pass:
  greedy decoding follows the reference exactly if and only if, fed the reference
  prefix, the model's top token at every response position is the reference token.

Training reports these before and after (``metrics.json``); `vega eval` compares the
base model with the adapter on the same examples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vega.errors import BadInput
from vega.training.config import TrainConfig, check_base_model
from vega.training.data import (
    IGNORE_INDEX,
    Encoded,
    Example,
    Renderer,
    collate,
    read_examples,
    training_examples,
)


@dataclass(frozen=True, slots=True)
class Scores:
    loss: float
    perplexity: float
    exact_match: float
    examples: int
    tokens: int

    def plain(self) -> dict[str, Any]:
        return asdict(self)


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 700.0))  # beyond that a float overflows; it means "hopeless"


def score(model: Any, items: Sequence[Encoded], *, batch_size: int, pad_id: int) -> Scores:
    """Loss, perplexity and exact match of ``model`` on encoded examples (eval mode, no grad)."""
    import torch

    if not items:
        raise BadInput("no examples to score")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total_loss, tokens, matches = 0.0, 0, 0
    try:
        with torch.no_grad():
            for start in range(0, len(items), batch_size):
                batch = collate(items[start : start + batch_size], pad_id=pad_id)
                batch = {k: v.to(device) for k, v in batch.items()}
                logits = model(
                    input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
                ).logits.float()
                # Position t predicts token t + 1.
                logits, labels = logits[:, :-1, :], batch["labels"][:, 1:]
                mask = labels != IGNORE_INDEX
                losses = torch.nn.functional.cross_entropy(
                    logits.transpose(1, 2), labels, ignore_index=IGNORE_INDEX, reduction="none"
                )
                total_loss += float(losses[mask].sum())
                tokens += int(mask.sum())
                right = (logits.argmax(dim=-1) == labels) | ~mask
                matches += int(right.all(dim=1).sum())
    finally:
        model.train(was_training)
    loss = total_loss / max(tokens, 1)
    return Scores(
        loss=round(loss, 6),
        perplexity=round(perplexity(loss), 4),
        exact_match=round(matches / len(items), 4),
        examples=len(items),
        tokens=tokens,
    )


def held_out(config: TrainConfig, dataset: Path | None) -> list[Example]:
    """The examples to evaluate: all of ``dataset``, or the training run's validation set."""
    if dataset is not None:
        if not dataset.is_file():
            raise BadInput(f"dataset: {dataset}: no such file")
        return read_examples([dataset]).examples
    if config.val_split <= 0 and not config.val_dataset:
        raise BadInput(
            "val_split is 0, so no examples were held out; set val_split or pass --dataset FILE"
        )
    for path in [*config.dataset, *(config.val_dataset or [])]:
        if not path.is_file():
            raise BadInput(f"dataset: {path}: no such file")
    _, parts = training_examples(
        config.dataset, config.val_dataset, val_split=config.val_split, seed=config.seed
    )
    return parts.val


def evaluate(
    config: TrainConfig,
    *,
    adapter: Path | None = None,
    dataset: Path | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """`vega eval`: the base model and base + adapter on the same held-out examples."""
    from vega.training import lora

    adapter = adapter or config.output_dir
    check_base_model(config.base_model)
    if not (adapter / lora.ADAPTER_FILES[0]).is_file():
        raise BadInput(
            f"adapter: {adapter} has no adapter; run `vega train` first or pass --adapter"
        )
    examples = held_out(config, dataset)[: limit or None]
    model, tokenizer = lora.load_base(config.base_model, precision=config.precision)
    renderer = Renderer.for_tokenizer(
        tokenizer, chat_template=config.chat_template, prompt_template=config.prompt_template
    )
    encoded = renderer.encode_all(examples, max_seq_len=config.max_seq_len)
    if not encoded.items:
        raise BadInput(f"no held-out example fits in max_seq_len={config.max_seq_len}")
    pad_id = int(tokenizer.pad_token_id)
    base = score(model, encoded.items, batch_size=config.batch_size, pad_id=pad_id)
    tuned = score(
        lora.load_adapter(model, adapter),
        encoded.items,
        batch_size=config.batch_size,
        pad_id=pad_id,
    )
    return {
        "base_model": str(config.base_model),
        "adapter_path": str(adapter),
        "dataset": str(dataset) if dataset else [str(p) for p in config.dataset],
        "split": "file" if dataset else "validation",
        "examples": len(encoded.items),
        "skipped_too_long": encoded.too_long,
        "base": base.plain(),
        "adapter": tuned.plain(),
        "delta": {
            "loss": round(tuned.loss - base.loss, 6),
            "perplexity": round(tuned.perplexity - base.perplexity, 4),
            "exact_match": round(tuned.exact_match - base.exact_match, 4),
        },
    }
