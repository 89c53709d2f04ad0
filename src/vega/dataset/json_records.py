"""JSON and JSON Lines: objects in the common fine-tuning shapes.

Each object is one of (checked in this order):

- chat: ``{"messages": [{"role": "system"|"user"|"assistant", "content": ...}, ...]}``:
  every user message answered by the very next message, from the assistant, is an
  example; system messages frame all of them;
- ``{"prompt", "response"}`` (also ``"completion"``), ``{"question", "answer"}``;
- Alpaca: ``{"instruction", "input"?, "output"}``: the prompt is the instruction, then a
  blank line and the input when there is one.

Any of the last three may carry a ``"system"`` string. A ``.json`` file holds one such
object or a list of them; a ``.jsonl`` file one per line (blank lines are skipped).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from vega.dataset.loaders import TextLoader
from vega.dataset.records import Candidate, NotText, Rejected, as_text, example

_SHAPES = (("prompt", "response"), ("prompt", "completion"), ("question", "answer"))
_EXPECTED = "prompt/response, question/answer, instruction/output or messages"


def from_object(obj: object, where: str | None) -> Iterator[Candidate]:
    """The examples in one JSON value, or why it has none."""
    if not isinstance(obj, dict):
        yield Rejected("malformed", f"expected an object with {_EXPECTED}", where)
        return
    if "messages" in obj:
        yield from _chat(obj["messages"], where)
        return
    system = obj.get("system")
    for prompt_key, response_key in _SHAPES:
        if prompt_key in obj and response_key in obj:
            yield example(obj[prompt_key], obj[response_key], system=system, where=where)
            return
    if "instruction" in obj and "output" in obj:
        yield _alpaca(obj, where)
        return
    keys = ", ".join(sorted(str(k) for k in obj)[:8]) or "none"
    yield Rejected("malformed", f"expected {_EXPECTED}; keys: {keys}", where)


def _alpaca(obj: dict[str, Any], where: str | None) -> Candidate:
    instruction, extra = obj["instruction"], obj.get("input")
    try:
        extra_text = as_text(extra).strip()
    except NotText as exc:
        return Rejected("non_text", f"input is not text: {exc}", where)
    if extra_text and isinstance(instruction, str):
        instruction = f"{instruction.rstrip()}\n\n{extra_text}"
    return example(instruction, obj["output"], system=obj.get("system"), where=where)


def _chat(messages: object, where: str | None) -> Iterator[Candidate]:
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages
    ):
        yield Rejected("malformed", "messages must be a list of {role, content} objects", where)
        return
    systems = [m.get("content") for m in messages if m["role"] == "system"]
    try:
        system = "\n\n".join(as_text(s) for s in systems) or None
    except NotText as exc:
        yield Rejected("non_text", f"system is not text: {exc}", where)
        return
    turn = 0
    for before, after in pairwise(messages):
        if before["role"] == "user" and after["role"] == "assistant":
            turn += 1
            at = where if turn == 1 else f"{where or 'object'}, turn {turn}"
            yield example(before.get("content"), after.get("content"), system=system, where=at)
    if turn == 0:
        yield Rejected("malformed", "no user message answered by an assistant message", where)


class JsonFile(TextLoader):
    extensions = ("json",)

    def parse(self, text: str) -> Iterator[Candidate]:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Rejected("malformed", f"not valid JSON: {exc.msg}", f"line {exc.lineno}")
            return
        if isinstance(data, list):
            for index, item in enumerate(data, start=1):
                yield from from_object(item, f"item {index}")
        else:
            yield from from_object(data, None)


class JsonLinesFile(TextLoader):
    extensions = ("jsonl", "ndjson")

    def parse(self, text: str) -> Iterator[Candidate]:
        # Split on "\n" only: str.splitlines would also split on U+2028 and other
        # separators that JSON allows raw inside strings.
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Rejected("malformed", f"not valid JSON: {exc.msg}", f"line {number}")
                continue
            yield from from_object(obj, f"line {number}")
