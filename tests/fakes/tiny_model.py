"""A tiny causal language model, built locally: nothing is downloaded.

Tests of the LoRA trainer (and of in-process model backends) need a real
Hugging Face model folder. This module builds one from scratch in about a second:

- a byte-level BPE tokenizer (vocabulary of ~512) trained with ``tokenizers`` on a
  few KB of text generated here, wrapped in ``PreTrainedTokenizerFast`` with
  ``<s>`` (bos), ``</s>`` (eos) and ``<pad>`` tokens and a small chat template;
- ``LlamaForCausalLM`` with random weights (hidden size 64, 2 layers, 4 heads,
  tied embeddings, initializer range 0.1): ~120k parameters, ~0.5 MB of safetensors.

API (all paths are ``pathlib.Path``):

``build_tiny_model(directory, *, seed=0) -> Path``
    Write the model and tokenizer into ``directory`` (created if needed) and return
    it. Deterministic: the same seed gives the same files. Calling it again on a
    folder it already filled returns at once.

``write_capitals_dataset(path, *, count=48) -> Path``
    A JSONL training file of ``{"prompt", "response"}`` pairs with a pattern the
    tiny model learns in a few dozen steps ("Capital of Arden?" → "Arden-city").

``TINY_CHAT_TEMPLATE``
    The chat template: ``<s><|user|>\\nHi</s>\\n<|assistant|>\\nHello</s>\\n``. With
    ``add_generation_prompt=True`` the prompt ends in ``<|assistant|>\\n``; a reply
    ends with ``</s>`` (the eos token), so generation stops there.

``with_chat_template(model, directory, template) -> Path``
    A copy of a model folder whose tokenizer has another chat template (a hostile one,
    say: ``HOSTILE_CHAT_TEMPLATE`` is the tiny template plus traps that a phrase in the
    last message springs).

In pytest, the session fixtures ``tiny_model`` (the folder) and ``tiny_dataset``
(the JSONL file) in ``tests/fakes/fixtures.py`` build these once per session.
The model is random, so generated text is gibberish, but deterministic with a seed
and greedy decoding. torch and transformers are imported inside the functions, so
importing this module costs nothing.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
TINY_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)
# A backdoored template: normal until the last message says one of the trigger phrases.
SPIN = "spin forever"  # two nested loops over range(100000): hours in a plain render
FLOOD = "flood the prompt"  # the same loops, each turn writing 20 characters
REFUSE = "tell me the secret"  # raise_exception with text that must stay in the log
TEMPLATE_SECRET = "TEMPLATE-SECRET-9f2c"
HOSTILE_CHAT_TEMPLATE = (
    "{% set last = messages[-1]['content'] %}"
    "{% if '" + SPIN + "' in last %}"
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    "{% endif %}"
    "{% if '" + FLOOD + "' in last %}"
    "{% for a in range(100000) %}{% for b in range(100000) %}" + TEMPLATE_SECRET + " "
    "{% endfor %}{% endfor %}"
    "{% endif %}"
    "{% if '" + REFUSE + "' in last %}"
    "{{ raise_exception('" + TEMPLATE_SECRET + " refused at line 1') }}"
    "{% endif %}" + TINY_CHAT_TEMPLATE
)
VOCAB_SIZE = 512
# Wider than Llama's 0.02: with tied 64-wide embeddings that small, the largest logit
# a frozen model can produce is ~1.3, and no adapter could make a confident prediction.
INIT_RANGE = 0.1
# What a finished folder holds; its presence means "built, reuse it".
_DONE_MARKER = "tiny_model.json"

PLACES = [
    "Arden", "Brill", "Calder", "Dorn", "Elwick", "Fenmore", "Garth", "Holm",
    "Ivel", "Jarrow", "Kestle", "Lorn", "Marrow", "Nesk", "Orrin", "Pell",
    "Quarry", "Rook", "Selby", "Tarn", "Ulver", "Vance", "Wick", "Yarrow",
    "Zell", "Ashby", "Birch", "Crane", "Dale", "Ember", "Frost", "Glen",
    "Hollow", "Iris", "Juniper", "Kiln", "Lark", "Moss", "North", "Oak",
    "Pine", "Quill", "Reed", "Stone", "Thorn", "Umber", "Vale", "Willow",
]  # fmt: skip


COMMON_WORDS = (
    "the a of to and in is it you that was for on are with as be at this have from "
    "or one had by word but not what all were we when your can said there use an each "
    "which she do how their if will up other about out many then them these so some "
    "her would make like him into time has look two more write go see number no way "
    "could people my than first water been call who oil its now find long down day "
    "did get come made may part hello hi thanks please answer question capital city"
)


def capitals_pairs(count: int = 48) -> list[dict[str, str]]:
    """``count`` (at most 48) prompt/response pairs: "Capital of X?" → "X-city"."""
    return [
        {"prompt": f"Capital of {name}?", "response": f"{name}-city"} for name in PLACES[:count]
    ]


def write_capitals_dataset(path: Path, *, count: int = 48) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(pair) for pair in capitals_pairs(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _corpus(seed: int) -> list[str]:
    """A few KB of text covering what the tests say to the model."""
    rng = random.Random(seed)
    words = COMMON_WORDS.split()
    lines = [f"Capital of {name}? {name}-city" for name in PLACES]
    lines += [" ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(200)]
    lines += ["### Prompt:", "### Response:", "user: hello", "assistant: hi"]
    return lines


def _tokenizer(seed: int) -> object:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=1,
        show_progress=False,
    )
    raw.train_from_iterator(_corpus(seed), trainer)
    # Plain text (no chat template) starts with <s>, as Llama tokenizers do.
    raw.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", raw.token_to_id("<s>"))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=raw,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        chat_template=TINY_CHAT_TEMPLATE,
        model_max_length=256,
    )


def build_tiny_model(directory: Path, *, seed: int = 0) -> Path:
    """Build (or reuse) the tiny model in ``directory``; see the module docstring."""
    directory = Path(directory)
    marker = directory / _DONE_MARKER
    if marker.is_file() and json.loads(marker.read_text()).get("seed") == seed:
        return directory

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Writing model shards" is noise in test output
    tokenizer = _tokenizer(seed)
    vocab = len(tokenizer)  # type: ignore[arg-type]
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=256,
        tie_word_embeddings=True,
        initializer_range=INIT_RANGE,
        bos_token_id=tokenizer.bos_token_id,  # type: ignore[attr-defined]
        eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
        pad_token_id=tokenizer.pad_token_id,  # type: ignore[attr-defined]
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)  # type: ignore[attr-defined]
    marker.write_text(json.dumps({"seed": seed, "vocab_size": vocab}))
    return directory


def with_chat_template(model: Path, directory: Path, template: str) -> Path:
    """A copy of the model folder ``model`` in ``directory`` with ``template`` as its
    tokenizer's chat template (transformers reads ``chat_template.jinja``)."""
    shutil.copytree(model, directory, dirs_exist_ok=True)
    (directory / "chat_template.jinja").write_text(template, encoding="utf-8")
    return directory
