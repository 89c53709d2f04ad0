"""Training data: JSONL lines → examples → token ids with the loss only on the response.

A line is ``{"prompt": ..., "response": ...}`` (an optional ``"system"`` too) or
``{"messages": [{"role", "content"}, ...]}`` whose last message is the assistant's
reply. Other keys (ids, ratings, sources from ``vega dataset build``) are ignored.
Lines that are not valid JSON or lack these fields are skipped and counted; a
dataset with no valid line at all is an error.

The prompt is rendered with the tokenizer's chat template when it has one (and
``chat_template`` is on), else with the plain ``prompt_template``. Labels are
``-100`` over the prompt, so the loss is computed on the response tokens only
(the end-of-turn / eos token included: the model learns to stop).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vega.errors import BadInput

IGNORE_INDEX = -100  # what PyTorch's cross-entropy skips
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True, slots=True)
class Example:
    """One conversation: the turns before the reply, and the reply to learn."""

    context: tuple[tuple[str, str], ...]  # (role, content) pairs
    response: str


@dataclass(slots=True)
class DatasetRead:
    examples: list[Example]
    lines: int = 0
    skipped: int = 0
    first_problem: str | None = None


@dataclass(frozen=True, slots=True)
class Encoded:
    input_ids: list[int]
    labels: list[int]

    @property
    def response_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE_INDEX)


@dataclass(slots=True)
class Split:
    train: list[Example]
    val: list[Example]


@dataclass(slots=True)
class EncodedSet:
    items: list[Encoded] = field(default_factory=list)
    too_long: int = 0  # examples whose response did not fit in max_seq_len at all

    @property
    def tokens(self) -> int:
        return sum(len(item.input_ids) for item in self.items)


def read_examples(paths: Sequence[Path]) -> DatasetRead:
    read = DatasetRead(examples=[])
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"dataset: cannot read {path}: {exc}") from None
        if not text.strip():
            raise BadInput(f"dataset: {path} is empty")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            read.lines += 1
            try:
                read.examples.append(parse_line(line))
            except ValueError as exc:
                read.skipped += 1
                if read.first_problem is None:
                    read.first_problem = f"{path.name} line {number}: {exc}"
    if not read.examples:
        raise BadInput(
            f"dataset: no valid lines in {', '.join(str(p) for p in paths)} "
            f'(first problem: {read.first_problem}); expected {{"prompt","response"}} '
            'or {"messages"} JSON lines'
        )
    return read


def parse_line(line: str) -> Example:
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise ValueError("not valid JSON") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if "messages" in data:
        return _from_messages(data["messages"])
    prompt, response = data.get("prompt"), data.get("response")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError('no "prompt" text')
    if not isinstance(response, str) or not response.strip():
        raise ValueError('no "response" text')
    system = data.get("system")
    context = ((("system", system),) if isinstance(system, str) and system.strip() else ()) + (
        ("user", prompt),
    )
    return Example(context=context, response=response)


def _from_messages(messages: Any) -> Example:
    if not isinstance(messages, list) or len(messages) < 2:
        raise ValueError('"messages" needs at least a user message and the reply')
    turns: list[tuple[str, str]] = []
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role not in ROLES or not isinstance(content, str):
            raise ValueError('each message needs a "role" (system, user, assistant) and "content"')
        turns.append((role, content))
    role, reply = turns[-1]
    if role != "assistant" or not reply.strip():
        raise ValueError("the last message must be the assistant's reply")
    return Example(context=tuple(turns[:-1]), response=reply)


def training_examples(
    dataset: Sequence[Path], val_dataset: Sequence[Path] | None, *, val_split: float, seed: int
) -> tuple[DatasetRead, Split]:
    """The examples of a run: ``val_dataset`` is the validation set when given, else
    ``val_split`` of ``dataset`` is held out."""
    read = read_examples(dataset)
    if not val_dataset:
        return read, split(read.examples, val_split=val_split, seed=seed)
    val = read_examples(val_dataset)
    read.lines += val.lines
    read.skipped += val.skipped
    read.first_problem = read.first_problem or val.first_problem
    return read, Split(train=read.examples, val=val.examples)


def split(examples: list[Example], *, val_split: float, seed: int) -> Split:
    """A seeded shuffle, then the first ``val_split`` share held out (at least one)."""
    if val_split <= 0:
        return Split(train=list(examples), val=[])
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)  # noqa: S311  (a reproducible split, not a secret)
    n_val = max(1, round(len(examples) * val_split))
    if n_val >= len(examples):
        raise BadInput(
            f"dataset: {len(examples)} example(s) are too few to hold out val_split={val_split}"
        )
    return Split(
        train=[examples[i] for i in order[n_val:]], val=[examples[i] for i in order[:n_val]]
    )


# --- tokenizing --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Renderer:
    """Turns examples into (prompt text, response text) for one tokenizer."""

    tokenizer: Any
    use_chat_template: bool
    prompt_template: str

    @classmethod
    def for_tokenizer(
        cls, tokenizer: Any, *, chat_template: bool, prompt_template: str
    ) -> Renderer:
        has_template = bool(getattr(tokenizer, "chat_template", None))
        return cls(tokenizer, chat_template and has_template, prompt_template)

    def render(self, example: Example) -> tuple[str, str]:
        if not self.use_chat_template:
            return self.prompt_template.replace("{prompt}", plain_prompt(example)), example.response
        messages = [{"role": role, "content": content} for role, content in example.context]
        prompt = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        full = self.tokenizer.apply_chat_template(
            [*messages, {"role": "assistant", "content": example.response}], tokenize=False
        )
        if isinstance(full, str) and full.startswith(prompt):
            # The template's own end of turn (eos, <|im_end|>, ...) belongs to the reply;
            # the line break some templates put after it does not.
            return prompt, full[len(prompt) :].rstrip()
        return prompt, example.response + (self.tokenizer.eos_token or "")

    def encode(self, example: Example, *, max_seq_len: int) -> Encoded | None:
        """Token ids and labels, cut at ``max_seq_len``; None if no response token fits."""
        prompt, response = self.render(example)
        tok = self.tokenizer
        # With a chat template the rendered text already holds the bos token.
        prompt_ids = list(tok(prompt, add_special_tokens=not self.use_chat_template)["input_ids"])
        response_ids = list(tok(response, add_special_tokens=False)["input_ids"])
        eos = tok.eos_token_id
        if not self.use_chat_template and eos is not None:
            response_ids.append(eos)
        input_ids = (prompt_ids + response_ids)[:max_seq_len]
        labels = ([IGNORE_INDEX] * len(prompt_ids) + response_ids)[:max_seq_len]
        if all(label == IGNORE_INDEX for label in labels):
            return None
        return Encoded(input_ids=input_ids, labels=labels)

    def encode_all(self, examples: Iterable[Example], *, max_seq_len: int) -> EncodedSet:
        encoded = EncodedSet()
        for example in examples:
            item = self.encode(example, max_seq_len=max_seq_len)
            if item is None:
                encoded.too_long += 1
            else:
                encoded.items.append(item)
        return encoded


def plain_prompt(example: Example) -> str:
    """The prompt for the plain template: the user's text, or each earlier turn by role."""
    if len(example.context) == 1 and example.context[0][0] == "user":
        return example.context[0][1]
    return "\n\n".join(f"{role.capitalize()}: {content}" for role, content in example.context)


def collate(features: Sequence[Encoded | dict[str, Any]], *, pad_id: int) -> dict[str, Any]:
    """Right-pad a batch: pad id in the inputs, ``-100`` in the labels, 0 in the mask."""
    import torch

    rows = [f if isinstance(f, Encoded) else Encoded(f["input_ids"], f["labels"]) for f in features]
    width = max(len(row.input_ids) for row in rows)
    ids, labels, mask = [], [], []
    for row in rows:
        pad = width - len(row.input_ids)
        ids.append(row.input_ids + [pad_id] * pad)
        labels.append(row.labels + [IGNORE_INDEX] * pad)
        mask.append([1] * len(row.input_ids) + [0] * pad)
    return {
        "input_ids": torch.tensor(ids, dtype=torch.long),
        "labels": torch.tensor(labels, dtype=torch.long),
        "attention_mask": torch.tensor(mask, dtype=torch.long),
    }
