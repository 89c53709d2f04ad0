"""Where examples come from: files (read by the loader registered for their extension)
and logged turns. Everything a build will read is found and checked before any of it is."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from vega.dataset.loaders import Loader
from vega.dataset.records import Candidate, Rejected, example
from vega.dataset.turns import Turn
from vega.errors import BadInput
from vega.llm.none import NoneBackend
from vega.plugins import Registry


@dataclass(frozen=True, slots=True)
class Source:
    """A named stream of records; ``read`` may raise ``OSError``."""

    name: str  # a path, or "logs"
    read: Callable[[], Iterable[Candidate]]


def extension(path: Path) -> str:
    return path.suffix.lower().removeprefix(".")


def known(loaders: Registry[Loader]) -> str:
    return ", ".join(f".{ext}" for ext in loaders)


def file_sources(
    paths: Sequence[Path], loaders: Registry[Loader], *, exclude: Collection[Path] = ()
) -> list[Source]:
    """A source per file: named files must be of a known kind; folders are read recursively
    for files of known kinds, skipping hidden ones and ``exclude`` (the build's own outputs)."""
    skip = {p.resolve() for p in exclude}
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                inside = child.relative_to(path).parts
                if (
                    child.is_file()
                    and not any(part.startswith(".") for part in inside)
                    and extension(child) in loaders
                    and child.resolve() not in skip
                ):
                    files.append(child)
        elif path.is_file():
            if extension(path) not in loaders:
                kind = f"'.{extension(path)}'" if extension(path) else "without an extension"
                raise BadInput(
                    f"{path}: no dataset loader for files {kind}. Known: {known(loaders)}."
                )
            files.append(path)
        else:
            raise BadInput(f"{path}: no such file or folder.")
    unique = list({f.resolve(): f for f in files}.values())  # a file named twice is read once
    return [Source(str(f), partial(loaders.get(extension(f)).load, f)) for f in unique]


NO_MODEL = NoneBackend.name  # the backend of replies no model wrote


def turns_source(turns: Sequence[Turn]) -> Source:
    def read() -> Iterable[Candidate]:
        for turn in turns:
            where = f"message {turn.message_id}"
            if turn.backend == NO_MODEL:
                # Vega's own retrieval-only answer ("No language model is connected..."):
                # training on it would teach a model to say it has no model.
                yield Rejected("no_model", "the reply was written by no model", where)
                continue
            yield example(turn.prompt, turn.response, where=where)

    return Source("logs", read)
