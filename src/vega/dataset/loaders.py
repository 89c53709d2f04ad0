"""The `Loader` contract: one kind of dataset file in, candidate examples out.

Loaders are registered in `Plugins.loaders` under each file extension they read
(lower case, no dot), through the same door as third-party ones (DESIGN.md section 5):

    class Parquet(Loader):
        extensions = ("parquet",)

        def load(self, path: Path) -> Iterator[Candidate]:
            for row in read_rows(path):
                yield example(row["prompt"], row["response"], where=f"row {row.index}")

    def register(plugins: Plugins) -> None:  # [project.entry-points."vega.plugins"]
        plugins.loaders.register("parquet", Parquet())

A loader reports what it cannot use as `Rejected` records (``malformed``, ``non_text``)
and keeps going: one bad line never costs the rest of a file. Checking for empty, too
long and duplicate examples, and masking, are the builder's (`vega.dataset.build`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from vega.dataset.records import Candidate, Rejected


class Loader(ABC):
    """Reads one kind of dataset file; registered once per extension it claims."""

    # File extensions it reads, lower case, without the dot ("jsonl").
    extensions: ClassVar[tuple[str, ...]]

    @abstractmethod
    def load(self, path: Path) -> Iterator[Candidate]:
        """The file's records, in order. ``OSError`` is the caller's to report."""


class TextLoader(Loader):
    """A loader of a text format: the file is decoded as UTF-8 first.

    A file with NUL bytes or that is not UTF-8 is binary, whatever its name says: it
    becomes one ``non_text`` record instead of a page of parse errors.
    """

    def load(self, path: Path) -> Iterator[Candidate]:
        text = decode(path.read_bytes())
        if text is None:
            yield Rejected("non_text", "binary file (NUL bytes, or not UTF-8)")
            return
        yield from self.parse(text)

    @abstractmethod
    def parse(self, text: str) -> Iterator[Candidate]:
        """The records in ``text``; ``where`` says where each began ("line 3")."""


def decode(data: bytes) -> str | None:
    """UTF-8 text (a byte-order mark dropped, as spreadsheet exports write one), or None."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
