"""build_dataset: sources in, checked and deduplicated JSONL out, and a report of what happened.

Each record gets the first of these that applies, in this order, and is otherwise kept:
``malformed`` / ``non_text`` (from the loader), ``empty`` (no prompt or no response once
trimmed), ``too_long`` (a prompt, response or system message over ``max_chars``, after
PII masking), ``duplicate`` (the same prompt and response as a record kept before it,
ignoring case and runs of whitespace).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from vega.dataset.records import REASONS, Example, Reason, Rejected
from vega.dataset.sources import Source
from vega.errors import BadInput
from vega.private import private_dir, private_file
from vega.security.pii import mask_pii

Format = Literal["pair", "chat"]
FORMATS: Final[tuple[Format, ...]] = ("pair", "chat")
DEFAULT_OUTPUT: Final = Path("datasets/output.jsonl")
MAX_PROBLEMS: Final = 1000  # listed in the report; every one is counted


@dataclass(frozen=True, slots=True)
class BuildOptions:
    output: Path = DEFAULT_OUTPUT
    format: str = "pair"
    max_chars: int = 8000  # per prompt, response and system message
    mask_pii: bool = False
    val_split: float = 0.0  # the share of examples held out for validation
    seed: int = 0

    def targets(self) -> dict[str, Path]:
        """Where to write, by split: ``all``, or ``train`` and ``val`` beside the output
        (``out.jsonl`` → ``out.train.jsonl``, ``out.val.jsonl``). Checks the options."""
        if self.format not in FORMATS:
            raise BadInput(f"Unknown format '{self.format}'. Available: {', '.join(FORMATS)}.")
        if self.max_chars < 1:
            raise BadInput("max chars must be at least 1.")
        if not 0 <= self.val_split < 1:
            raise BadInput("The validation split must be at least 0 and less than 1 (e.g. 0.1).")
        if self.val_split == 0:
            targets = {"all": self.output}
        else:
            suffix = self.output.suffix or ".jsonl"
            stem = self.output.stem if self.output.suffix else self.output.name
            targets = {
                "train": self.output.with_name(f"{stem}.train{suffix}"),
                "val": self.output.with_name(f"{stem}.val{suffix}"),
            }
        for path in targets.values():
            if path.is_dir():
                raise BadInput(
                    f"{path} is a folder: give the output a file name, e.g. {path}/output.jsonl."
                )
        return targets


@dataclass(frozen=True, slots=True)
class Problem:
    """A record left out, and where it was."""

    source: str
    where: str | None
    reason: Reason
    detail: str


@dataclass(frozen=True, slots=True)
class SourceCount:
    source: str
    read: int
    kept: int


@dataclass(frozen=True, slots=True)
class Output:
    split: str  # "all", "train" or "val"
    path: Path
    records: int


@dataclass(frozen=True, slots=True)
class Report:
    read: int
    kept: int
    dropped: dict[Reason, int]
    masked: int  # kept examples in which PII was masked
    format: str
    outputs: list[Output]
    sources: list[SourceCount]
    problems: list[Problem]  # at most MAX_PROBLEMS
    problems_omitted: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "kept": self.kept,
            "dropped": dict(self.dropped),
            "masked": self.masked,
            "format": self.format,
            "outputs": [
                {"split": o.split, "path": str(o.path), "records": o.records} for o in self.outputs
            ],
            "sources": [{"source": s.source, "read": s.read, "kept": s.kept} for s in self.sources],
            "problems": [
                {"source": p.source, "where": p.where, "reason": p.reason, "detail": p.detail}
                for p in self.problems
            ],
            "problems_omitted": self.problems_omitted,
        }


def dedupe_key(prompt: str, response: str) -> str:
    """sha256 of the case-folded, whitespace-collapsed prompt and response."""

    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    # A separator no text has, so that ("ab", "c") and ("a", "bc") differ.
    return hashlib.sha256(f"{norm(prompt)}\x00{norm(response)}".encode()).hexdigest()


@dataclass
class _Screen:
    """Checks records one at a time, keeping the good ones and counting the rest."""

    options: BuildOptions
    read: int = 0
    masked: int = 0
    kept: list[Example] = field(default_factory=list)
    dropped: dict[Reason, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    problems: list[Problem] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # dedupe key -> where it was first read

    def take(self, source: str, record: Example | Rejected) -> None:
        self.read += 1
        if isinstance(record, Rejected):
            self._drop(source, record.where, record.reason, record.detail)
            return
        prompt, response = record.prompt.strip(), record.response.strip()
        system = (record.system or "").strip() or None
        if not prompt or not response:
            self._drop(source, record.where, "empty", "no prompt" if not prompt else "no response")
            return
        masked = False
        if self.options.mask_pii:
            before = (prompt, response, system)
            prompt, response = mask_pii(prompt), mask_pii(response)
            system = mask_pii(system) if system else None
            masked = (prompt, response, system) != before
        for name, text in (("prompt", prompt), ("response", response), ("system", system or "")):
            if len(text) > self.options.max_chars:
                detail = f"the {name} has {len(text)} characters (max {self.options.max_chars})"
                self._drop(source, record.where, "too_long", detail)
                return
        key = dedupe_key(prompt, response)
        if key in self.seen:
            self._drop(source, record.where, "duplicate", f"same as {self.seen[key]}")
            return
        self.seen[key] = " ".join(filter(None, (source, record.where)))
        self.masked += masked
        self.kept.append(Example(prompt, response, system, record.where))

    def _drop(self, source: str, where: str | None, reason: Reason, detail: str) -> None:
        self.dropped[reason] += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(source, where, reason, detail))


def build_dataset(sources: Sequence[Source], options: BuildOptions) -> Report:
    """Read every source, keep the good examples, write them as JSONL; raises `BadInput`
    (and writes nothing) when no example is left."""
    targets = options.targets()
    screen = _Screen(options)
    counts: list[SourceCount] = []
    for source in sources:
        read, kept = screen.read, len(screen.kept)
        try:
            for record in source.read():
                screen.take(source.name, record)
        except OSError as exc:
            raise BadInput(f"{source.name}: cannot read it ({exc.strerror or exc}).") from None
        counts.append(SourceCount(source.name, screen.read - read, len(screen.kept) - kept))
    if not screen.kept:
        raise BadInput(_nothing_left(screen, sources))
    outputs = _write(screen.kept, targets, options)
    return Report(
        read=screen.read,
        kept=len(screen.kept),
        dropped=screen.dropped,
        masked=screen.masked,
        format=options.format,
        outputs=outputs,
        sources=counts,
        problems=screen.problems,
        problems_omitted=sum(screen.dropped.values()) - len(screen.problems),
    )


def _nothing_left(screen: _Screen, sources: Sequence[Source]) -> str:
    if not sources:
        return "No examples to write: the folders hold no dataset files."
    if not screen.read:
        names = [s.name for s in sources]
        logs = " (no logged turn matches the filters)" if "logs" in names else ""
        return f"No examples to write: no records in {', '.join(names)}{logs}."
    reasons = ", ".join(f"{n} {reason}" for reason, n in screen.dropped.items() if n)
    return f"No examples to write: all {screen.read} records read were dropped ({reasons})."


def split_indices(count: int, val_split: float, seed: int) -> set[int]:
    """Which of ``count`` examples go to validation: ``round(count * val_split)`` of them
    (at least one, and never all), chosen by ``seed``, the same every time."""
    if val_split <= 0 or count < 2:
        return set()
    size = min(count - 1, max(1, round(count * val_split)))
    return set(random.Random(seed).sample(range(count), size))  # noqa: S311 - not for security


def _record(example: Example, fmt: str) -> dict[str, Any]:
    if fmt == "pair":
        return {"prompt": example.prompt, "response": example.response}
    messages = [{"role": "system", "content": example.system}] if example.system else []
    messages += [
        {"role": "user", "content": example.prompt},
        {"role": "assistant", "content": example.response},
    ]
    return {"messages": messages}


def _write(
    examples: list[Example], targets: dict[str, Path], options: BuildOptions
) -> list[Output]:
    held_out = split_indices(len(examples), options.val_split, options.seed)
    by_split: dict[str, list[Example]] = {name: [] for name in targets}
    for index, example in enumerate(examples):  # each split keeps the sources' order
        name = "all" if "all" in targets else ("val" if index in held_out else "train")
        by_split[name].append(example)
    outputs = []
    for name, path in targets.items():
        lines = (json.dumps(_record(e, options.format), ensure_ascii=False) for e in by_split[name])
        _write_atomically(path, lines)
        outputs.append(Output(name, path, len(by_split[name])))
    return outputs


def _write_atomically(path: Path, lines: Iterator[str]) -> None:
    """Write to a temporary file beside ``path``, then rename: a reader (or a crash) never
    sees half a dataset."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        private_dir(path.parent)
        # 0600: a dataset built from logs is the conversations themselves.
        with private_file(temporary).open("w", encoding="utf-8", newline="\n") as out:
            for line in lines:
                out.write(line + "\n")
        os.replace(temporary, path)
    except OSError as exc:
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise BadInput(f"{path}: cannot write it ({exc.strerror or exc}).") from None
