"""The contract between `vega.rag.extract` and the readers of each kind of file.

An `Extractor` turns a file's bytes into `Segment`s. Whatever it reads, it reads
within the `Budget` of one extraction, kept by an `Extraction` that is shared with the
files nested in an archive, and it fails only with `BadFile` (or `Refused`, for a
broken budget or safety rule): `vega.rag.extract` turns those into the one error a
person sees. These pieces live here, below both, so that readers do not import the
dispatcher that imports them.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a document's text and where in the file it came from."""

    text: str
    # "page 3", "rows 1-200", "notes/a.md" (a zip member); None for a plain file.
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Budget:
    """How much one extraction may read, unpack, produce, take and use."""

    max_bytes: int = 50 << 20  # the file itself, and each file inside an archive
    max_text_chars: int = 20_000_000  # extracted text, in total
    max_zip_entries: int = 1000
    max_zip_total_bytes: int = 200 << 20  # unpacked, across nested archives too
    max_zip_ratio: int = 200  # a member that expands more than this is a bomb
    timeout_s: float = 30.0  # wall clock, for extract_isolated
    memory_mb: int = 1024  # address space of the isolated child; best effort


class Extractor(ABC):
    """Reads one or more kinds of file into text segments; registered once per kind.

    The class attributes describe the reader; `read` is the one method to write.
    An extractor must be picklable (an instance of a module-level class is): an
    `isolated` one is sent to the child process that runs it.
    """

    # The kinds it reads, the names it is registered under ("pdf", "markdown").
    kinds: ClassVar[tuple[str, ...]]
    # File extensions it claims (lower case, no dot) and the kind each one is.
    extensions: ClassVar[Mapping[str, str]]
    # Files commonly named without an extension ("makefile"), lower case, and their kind.
    names: ClassVar[Mapping[str, str]] = {}
    # Whether the parser can hang or balloon on a crafted file, so `extract_isolated`
    # runs it in a child process with a deadline and a memory cap.
    isolated: ClassVar[bool] = False
    # Libraries the child imports before its memory cap applies (the cap is for the input).
    preload: ClassVar[tuple[str, ...]] = ()
    # Files of this kind are zip packages (docx, xlsx): a zip header confirms the
    # name instead of making the file an archive to unpack.
    zip_container: ClassVar[bool] = False
    # Why a file of this kind gave no text; completes a sentence after the file's name.
    no_text: ClassVar[str] = "has no extractable text"

    @abstractmethod
    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        """The file's text; through `job.segment` (or `Text`) so it counts against the budget.

        Raise `BadFile` (or `Refused`) with a reason for a file that cannot be read.
        """


# --- failures ----------------------------------------------------------------------


class BadFile(Exception):
    """This file cannot be read; the message completes a sentence after its name."""


class Refused(BadFile):
    """A budget or safety rule broken: inside an archive, this rejects the whole archive."""


@contextmanager
def parsing(what: str) -> Iterator[None]:
    """Turn a parser library's exceptions into one reason, e.g. "is not a valid PDF (...)"."""
    try:
        yield
    except (BadFile, MemoryError):
        raise
    except RecursionError:
        raise BadFile("is nested too deeply to read") from None
    except Exception as exc:
        raise BadFile(f"{what} ({summary(exc)})") from exc


def summary(exc: BaseException) -> str:
    first = str(exc).strip().split("\n", 1)[0]
    return f"{type(exc).__name__}: {first[:160]}" if first else type(exc).__name__


def mb(size: int) -> str:
    return f"{size / (1 << 20):g} MB"


# --- budgets ---------------------------------------------------------------------


@dataclass(slots=True)
class Extraction:
    """What one extraction has used so far; shared with the archives nested in it."""

    budget: Budget
    # The readers of this extraction, by kind: an archive reads its members with them.
    readers: Mapping[str, Extractor]
    chars: int = 0
    unzipped_bytes: int = 0
    depth: int = 0  # how many archives deep the file being read is

    def read(self, kind: str, data: bytes) -> list[Segment]:
        """The segments of a file of `kind` (one of `readers`); `BadFile` if there are none."""
        if not data:
            raise BadFile("is empty")
        reader = self.readers[kind]
        found = reader.read(data, self)
        if not found:
            raise BadFile(reader.no_text)
        return found

    def read_inner(self, kind: str, data: bytes) -> list[Segment]:
        """`read`, for a file inside the one being read (an archive's member)."""
        self.depth += 1
        try:
            return self.read(kind, data)
        finally:
            self.depth -= 1

    def room(self) -> int:
        return self.budget.max_text_chars - self.chars

    def too_much_text(self) -> Refused:
        return Refused(
            f"has more than {self.budget.max_text_chars:,} characters of text, past the limit"
        )

    def segment(self, text: str, location: str | None = None) -> list[Segment]:
        """The text as a segment (none if blank), counted against the text budget."""
        text = tidy(text)
        if not text:
            return []
        self.chars += len(text)
        if self.chars > self.budget.max_text_chars:
            raise self.too_much_text()
        return [Segment(text, location)]


class Text:
    """Text built piece by piece that stops the moment it would overrun the budget.

    Renderers (CSV rows, JSON paths, docx tables) can produce far more text than the
    file holds; checking only the finished string would build it first.
    """

    def __init__(self, job: Extraction, sep: str = "\n", *, reserved: int = 0) -> None:
        self._job, self._sep, self._size = job, sep, reserved
        self._parts: list[str] = []

    @property
    def size(self) -> int:
        return self._size

    def add(self, piece: str) -> None:
        self._size += len(piece) + len(self._sep)
        if self._size > self._job.room():
            raise self._job.too_much_text()
        self._parts.append(piece)

    def take(self) -> str:
        text = self._sep.join(self._parts)
        self._parts.clear()
        self._size = 0
        return text


NEWLINES = re.compile(r"\r\n?")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def tidy(text: str) -> str:
    """Text safe to store: no NULs (Postgres refuses them), no lone surrogates (UTF-8 does)."""
    text = NEWLINES.sub("\n", text.replace("\x00", ""))
    if _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", text)
    return text.strip()
