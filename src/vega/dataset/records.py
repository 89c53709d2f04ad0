"""What loaders hand to the builder: an `Example` to check, or a record `Rejected` as it was read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

# Why a record is left out; every report counts each of them, zero or not.
Reason = Literal["empty", "too_long", "non_text", "duplicate", "malformed", "no_model"]
REASONS: Final[tuple[Reason, ...]] = (
    "empty",
    "too_long",
    "non_text",
    "duplicate",
    "malformed",
    "no_model",  # a logged reply no model wrote (retrieval-only, VEGA_LLM_BACKEND=none)
)


@dataclass(frozen=True, slots=True)
class Example:
    """One prompt and its response (and the system message that framed them, if any)."""

    prompt: str
    response: str
    system: str | None = None
    # Where in its source it was read ("line 3", "item 2", "message <id>"), for the report.
    where: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not become an `Example` (``malformed``, ``non_text``), or one
    that must not (``no_model``)."""

    reason: Reason
    detail: str
    where: str | None = None


Candidate = Example | Rejected


class NotText(ValueError):
    """A value that is not text (a number, an object, an image part, a NUL byte)."""


def as_text(value: object) -> str:
    """A field's text. ``None`` is no text (the record is then ``empty``); a list of chat
    content parts is their text joined, if every part is text (OpenAI's
    ``[{"type": "text", "text": ...}]``)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(_part_text(part) for part in value)
    if not isinstance(value, str):
        raise NotText(f"a JSON {_json_kind(value)}")
    if "\x00" in value:
        raise NotText("has NUL bytes")
    return value


def _part_text(part: object) -> str:
    if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
        return as_text(part["text"])
    kind = part.get("type") if isinstance(part, dict) else _json_kind(part)
    raise NotText(f"a content part of type {kind!r}")


def _json_kind(value: object) -> str:
    names = {bool: "boolean", int: "number", float: "number", dict: "object", list: "array"}
    return names.get(type(value), type(value).__name__)


def example(
    prompt: object, response: object, *, system: object = None, where: str | None = None
) -> Candidate:
    """An `Example` from raw field values, or `Rejected` (``non_text``) if one is not text."""
    texts: dict[str, str] = {}
    for name, value in (("prompt", prompt), ("response", response), ("system", system)):
        try:
            texts[name] = as_text(value)
        except NotText as exc:
            return Rejected("non_text", f"{name} is not text: {exc}", where)
    return Example(texts["prompt"], texts["response"], texts["system"] or None, where)
