"""Uploaded files in, text segments out: the first step of document ingest.

Every file here is hostile until proven otherwise: the client picks its name, and
its bytes may be a zip bomb, a PDF that sends the parser into a loop, or a docx
whose XML unpacks to gigabytes. So extraction works to budgets (`Budget`): input
size, archive entries and unpacked bytes checked while reading (never only from
headers), total text, and, through `extract_isolated`, wall-clock time and memory
in a child process that can be killed.

Every failure leaves as one of two errors: `UnsupportedType` (415) when we do not
read that kind of file, `UnreadableDocument` (422) with a reason a person can act
on for everything else. No library exception escapes (DESIGN.md section 8).

pypdf and python-docx are imported inside their readers, so importing this module
stays cheap (DESIGN.md principle 6).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from vega.errors import UnreadableDocument, UnsupportedType, VegaError
from vega.rag.html_text import declared_charset, html_to_text
from vega.rag.isolate import IsolationCrashed, IsolationTimeout, call_isolated

logger = logging.getLogger(__name__)


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


# --- kinds -------------------------------------------------------------------

_CODE_EXTENSIONS = [
    "py", "pyi", "js", "mjs", "cjs", "ts", "tsx", "jsx", "java", "c", "h", "cpp", "hpp", "cc",
    "hh", "cxx", "go", "rs", "rb", "php", "cs", "swift", "kt", "kts", "scala", "sh", "bash",
    "zsh", "fish", "ps1", "bat", "sql", "yaml", "yml", "toml", "ini", "cfg", "conf",
    "properties", "env", "r", "lua", "pl", "pm", "m", "mm", "css", "scss", "sass", "less",
    "xml", "rst", "tex", "bib", "vue", "svelte", "dart", "ex", "exs", "erl", "hs", "ml", "clj",
    "jl", "nim", "zig", "proto", "graphql", "gql", "tf", "hcl", "gradle", "cmake", "mk",
]  # fmt: skip
_EXTENSIONS: dict[str, str] = {
    "txt": "text", "text": "text", "log": "text",
    "md": "markdown", "markdown": "markdown", "mdown": "markdown", "mkd": "markdown",
    "html": "html", "htm": "html", "xhtml": "html",
    "pdf": "pdf",
    "docx": "docx",
    "csv": "csv", "tsv": "csv",
    "json": "json",
    "jsonl": "jsonl", "ndjson": "jsonl",
    "zip": "zip",
    **dict.fromkeys(_CODE_EXTENSIONS, "code"),
}  # fmt: skip
# Files commonly named without an extension.
_BARE_NAMES = {
    "makefile": "code", "dockerfile": "code", "readme": "text", "license": "text",
    "changelog": "text", "authors": "text", "notice": "text",
}  # fmt: skip
# Zip containers of formats we do not read: opening them as plain archives would
# index their XML plumbing as if it were the document.
_OTHER_ZIP_FORMATS = frozenset(
    ["xlsx", "xlsm", "pptx", "docm", "dotx", "odt", "ods", "odp", "epub", "jar", "apk", "whl"]
)
_PDF_MAGIC = b"%PDF-"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_SNIFF_BYTES = 8

SUPPORTED = (
    ", ".join(f".{ext}" for ext, kind in _EXTENSIONS.items() if kind != "code")
    + ", and source code ("
    + ", ".join(f".{ext}" for ext in _CODE_EXTENSIONS)
    + ")"
)

# Kinds whose parsers can hang or balloon on a crafted file (the rest are linear),
# with the libraries their child process loads before its memory cap applies.
_LIBRARIES: dict[str, tuple[str, ...]] = {
    "pdf": ("pypdf",),
    "docx": ("docx",),
    "zip": ("pypdf", "docx"),  # for the documents inside
    "html": (),
}
_ISOLATED_KINDS = frozenset(_LIBRARIES)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def kind_of(filename: str, head: bytes = b"") -> str | None:
    """The kind of reader for a file, or None when we do not read it.

    By extension of the client-given name (case-insensitive, last suffix of the last
    path part); `head`, the first bytes, catches PDFs and zips with the wrong name.
    A name with control characters (the "evil.txt\\x00.pdf" trick) gets no kind from
    its extension: it was not written by a person.
    """
    if head.startswith(_PDF_MAGIC):
        return "pdf"
    base = _basename(filename).lower()
    ext = base.rpartition(".")[2] if "." in base else ""
    by_name = None
    if not _CONTROL_CHARS.search(base):
        by_name = _EXTENSIONS.get(ext) if ext else _BARE_NAMES.get(base)
    if head.startswith(_ZIP_MAGICS):
        if by_name == "docx":
            return "docx"
        return None if ext in _OTHER_ZIP_FORMATS else "zip"
    return by_name


# --- public entry points -------------------------------------------------------


def extract(
    path: Path, *, filename: str, kind: str | None = None, budget: Budget = Budget()
) -> list[Segment]:
    """Read the file at `path` (uploaded as `filename`) into text segments, in this process.

    Raises `UnsupportedType` for a kind we do not read and `UnreadableDocument` with
    the reason for anything else that goes wrong.
    """
    name = _display(filename)
    try:
        data = _read_upload(path, budget)
        kind = kind or kind_of(filename, data[:_SNIFF_BYTES])
        if kind not in _KINDS:
            raise UnsupportedType(
                f"{name}: this type of file is not supported. Supported: {SUPPORTED}"
            )
        return _segments(kind, data, _Job(budget), depth=0)
    except VegaError:
        raise
    except _Bad as exc:
        raise UnreadableDocument(f"{name} {exc}") from None
    except MemoryError:
        raise UnreadableDocument(f"{name} needs more memory to read than allowed") from None
    except RecursionError:
        raise UnreadableDocument(f"{name} is nested too deeply to read") from None
    except Exception as exc:  # a parser bug or a case we did not foresee: still the file's fault
        raise UnreadableDocument(f"{name} could not be read ({_summary(exc)})") from exc


def extract_isolated(
    path: Path, *, filename: str, kind: str | None = None, budget: Budget = Budget()
) -> list[Segment]:
    """`extract`, run in a child process with a deadline and a memory cap for risky kinds.

    PDF, docx, zip and HTML parsers can hang or balloon on a crafted file, so those run
    in a fresh process that is killed past `budget.timeout_s`; plain text, CSV and JSON
    are read here. Safe to call from any thread: no signals are used.
    """
    if kind is None:
        kind = kind_of(filename, _head(path))
    if kind not in _ISOLATED_KINDS:
        return extract(path, filename=filename, kind=kind, budget=budget)
    name = _display(filename)
    try:
        rows = call_isolated(
            _extract_rows,
            {"path": path, "filename": filename, "kind": kind, "budget": budget},
            timeout_s=budget.timeout_s,
            memory_mb=budget.memory_mb,
            # Room for the text as JSON (escapes included) and the locations.
            max_reply_bytes=budget.max_text_chars * 8 + (64 << 20),
            preload=_LIBRARIES[kind],
        )
        return _rows_to_segments(rows)
    except IsolationTimeout:
        raise UnreadableDocument(
            f"{name} took longer than {budget.timeout_s:g} s to read; it may be malformed"
        ) from None
    except IsolationCrashed:
        raise UnreadableDocument(
            f"{name} could not be read: the reader ran out of memory or crashed;"
            " it may be malformed or too complex"
        ) from None


def _extract_rows(path: Path, filename: str, kind: str, budget: Budget) -> list[list[str | None]]:
    """`extract` in the child, as plain JSON-able rows for the trip back."""
    return [
        [s.text, s.location] for s in extract(path, filename=filename, kind=kind, budget=budget)
    ]


def _rows_to_segments(rows: object) -> list[Segment]:
    """Check the child's reply field by field: it comes from a process that parsed hostile input."""
    if not isinstance(rows, list):
        raise IsolationCrashed(None)
    segments = []
    for row in rows:
        match row:
            case [str(text), str() | None as location]:
                segments.append(Segment(text, location))
            case _:
                raise IsolationCrashed(None)
    return segments


# --- budgets and failures ------------------------------------------------------


class _Bad(Exception):
    """This file cannot be read; the message completes a sentence after its name."""


class _Refused(_Bad):
    """A budget or safety rule broken: inside an archive, this rejects the whole archive."""


@dataclass(slots=True)
class _Job:
    """What one extraction has used so far; shared with the archives nested in it."""

    budget: Budget
    chars: int = 0
    unzipped_bytes: int = 0

    def room(self) -> int:
        return self.budget.max_text_chars - self.chars

    def too_much_text(self) -> _Refused:
        return _Refused(
            f"has more than {self.budget.max_text_chars:,} characters of text, past the limit"
        )

    def segment(self, text: str, location: str | None = None) -> list[Segment]:
        """The text as a segment (none if blank), counted against the text budget."""
        text = _tidy(text)
        if not text:
            return []
        self.chars += len(text)
        if self.chars > self.budget.max_text_chars:
            raise self.too_much_text()
        return [Segment(text, location)]


class _Text:
    """Text built piece by piece that stops the moment it would overrun the budget.

    Renderers (CSV rows, JSON paths, docx tables) can produce far more text than the
    file holds; checking only the finished string would build it first.
    """

    def __init__(self, job: _Job, sep: str = "\n", *, reserved: int = 0) -> None:
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


@contextmanager
def _parsing(what: str) -> Iterator[None]:
    """Turn a parser library's exceptions into one reason, e.g. "is not a valid PDF (...)"."""
    try:
        yield
    except (_Bad, MemoryError):
        raise
    except RecursionError:
        raise _Bad("is nested too deeply to read") from None
    except Exception as exc:
        raise _Bad(f"{what} ({_summary(exc)})") from exc


def _read_upload(path: Path, budget: Budget) -> bytes:
    try:
        with path.open("rb") as file:
            # Ask for the size the file has, not for the cap: read(cap) allocates the cap.
            size = os.fstat(file.fileno()).st_size
            data = file.read(min(size, budget.max_bytes) + 1)
    except OSError as exc:  # the message, not str(exc): that holds our storage path
        raise _Bad(f"could not be opened ({exc.strerror or type(exc).__name__})") from None
    if len(data) > budget.max_bytes:
        raise _Refused(f"is larger than the {_mb(budget.max_bytes)} limit")
    return data


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(_SNIFF_BYTES)
    except OSError:
        return b""  # extract() reports the file itself


# --- dispatch --------------------------------------------------------------------

_Reader: TypeAlias = Callable[[bytes, _Job], list[Segment]]


def _segments(kind: str, data: bytes, job: _Job, depth: int) -> list[Segment]:
    if not data:
        raise _Bad("is empty")
    found = _zip(data, job, depth) if kind == "zip" else _READERS[kind](data, job)
    if not found:
        raise _Bad(
            "has no extractable text (is it a scanned PDF?)"
            if kind == "pdf"
            else "has no extractable text"
        )
    return found


def _plain(data: bytes, job: _Job) -> list[Segment]:
    return job.segment(_decode_text(data))


def _html(data: bytes, job: _Job) -> list[Segment]:
    markup = _decode_text(data, charset=declared_charset(data))
    with _parsing("is not HTML we can read"):
        return job.segment(html_to_text(markup))


# --- text decoding ---------------------------------------------------------------

_BOMS = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY_PROBE = 8192
# C0 controls that do not occur in text (tab, newlines, form feed, escape do).
_ODD_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_MAX_ODD_SHARE = 0.05
_NEWLINES = re.compile(r"\r\n?")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _decode_text(data: bytes, *, charset: str | None = None) -> str:
    """Bytes of a text file as a string with "\\n" newlines; `_Bad` if they are not text.

    A BOM (UTF-8, UTF-16, UTF-32) decides; else the `charset` the file declares (an
    HTML <meta>), if it decodes; else UTF-8, else the Windows code page, which is
    what non-UTF-8 text files usually are, else Latin-1 (decodes anything, so only
    when the result still looks like text).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _NEWLINES.sub("\n", data.decode(codec))
            except UnicodeDecodeError:
                raise _Bad(f"is not valid {codec.removesuffix('-sig').upper()} text") from None
    if b"\x00" in data[:_BINARY_PROBE]:
        raise _Bad("is a binary file, not text")
    text = _decode_8bit(data, charset)
    sample = text[: _BINARY_PROBE * 8]
    if len(_ODD_CONTROLS.findall(sample)) > len(sample) * _MAX_ODD_SHARE:
        raise _Bad("is a binary file, not text")
    return _NEWLINES.sub("\n", text)


def _decode_8bit(data: bytes, charset: str | None) -> str:
    for codec in [charset] if charset else []:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):  # LookupError: a charset Python lacks
            pass
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def _tidy(text: str) -> str:
    """Text safe to store: no NULs (Postgres refuses them), no lone surrogates (UTF-8 does)."""
    text = _NEWLINES.sub("\n", text.replace("\x00", ""))
    if _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", text)
    return text.strip()


# --- pdf -----------------------------------------------------------------------


def _pdf(data: bytes, job: _Job) -> list[Segment]:
    """One segment per page with text, located "page N"."""
    from pypdf import PdfReader

    # A damaged PDF can make pypdf log a warning per broken object, thousands of them:
    # noise to an operator, and a way for an upload to flood the log.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    with _parsing("is not a PDF we can read"):
        reader = PdfReader(io.BytesIO(data))
        _unlock(reader)
        segments = []
        for number, page in enumerate(reader.pages, start=1):
            segments += job.segment(page.extract_text(), f"page {number}")
        return segments


def _unlock(reader: Any) -> None:
    """Open an encrypted PDF when it needs no password (common: "no copying" PDFs)."""
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    if not reader.is_encrypted:
        return
    try:
        unlocked = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except DependencyError:  # AES needs the optional `cryptography` package
        unlocked = False
    if not unlocked:
        raise _Bad("is protected by a password; remove the protection and upload it again")


# --- docx ----------------------------------------------------------------------


def _docx(data: bytes, job: _Job) -> list[Segment]:
    """Paragraphs and table rows (cells joined by " | ") in document order."""
    import docx

    with _parsing("is not a Word document we can read"):
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            # python-docx unpacks every part into memory: check the sizes before it does.
            job.unzipped_bytes += _check_archive(package.infolist(), job)
        text = _Text(job)
        for line in _docx_lines(docx.Document(io.BytesIO(data))):
            text.add(line)
        return job.segment(text.take())


def _docx_lines(container: Any) -> Iterator[str]:
    """Lines of a document or table cell; a blank line between blocks."""
    from docx.text.paragraph import Paragraph

    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            if block.text.strip():
                yield block.text
                yield ""
            continue
        for row in block.rows:
            yield " | ".join(_docx_row_cells(row))
        yield ""


def _docx_row_cells(row: Any) -> Iterator[str]:
    previous = None
    for cell in row.cells:
        # A merged cell comes back once per grid column it spans; keep it once.
        if cell._tc is not previous:
            previous = cell._tc
            yield " ".join(line for line in _docx_lines(cell) if line)


# --- csv ------------------------------------------------------------------------

_ROWS_PER_SEGMENT = 200
_SNIFF_CHARS = 16384


def _csv(data: bytes, job: _Job) -> list[Segment]:
    """Rows as "header: value; ..." lines, one segment per 200 rows ("rows 1-200")."""
    text = _decode_text(data)
    rows = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    with _parsing("is not a CSV file we can read"):
        header = [h.strip() for h in next(rows, [])]
        segments: list[Segment] = []
        block, first = _Text(job), 1
        number = 0
        for number, row in enumerate(rows, start=1):
            line = _Text(job, "; ", reserved=block.size)
            for i, value in enumerate(row):
                if value.strip():
                    line.add(f"{_column(header, i)}: {value.strip()}")
            if rendered := line.take():
                block.add(rendered)
            if number % _ROWS_PER_SEGMENT == 0:
                segments += job.segment(block.take(), f"rows {first}-{number}")
                first = number + 1
        if number >= first:
            segments += job.segment(block.take(), f"rows {first}-{number}")
        if number == 0:  # a single line: it is the data
            segments += job.segment("; ".join(header), "rows 1-1")
        return segments


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:_SNIFF_CHARS].rpartition("\n")[0] or text[:_SNIFF_CHARS]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _column(header: list[str], index: int) -> str:
    name = header[index] if index < len(header) else ""
    return name or f"column {index + 1}"


# --- json ----------------------------------------------------------------------

# A path is spelled out only when a line is written: a deep document with many
# leaves would otherwise build gigabytes of path strings before any budget check.
_KeyPath: TypeAlias = "tuple[_KeyPath, str | int] | None"


def _json(data: bytes, job: _Job) -> list[Segment]:
    """Every scalar as a "path.to[0].key: value" line."""
    text = _Text(job)
    with _parsing("is not JSON we can read"):
        for line in _flatten(_load_json(_decode_text(data))):
            text.add(line)
    return job.segment(text.take())


def _jsonl(data: bytes, job: _Job) -> list[Segment]:
    """One line per record ("key: value; ..."), one segment per 200 ("records 1-200")."""
    segments: list[Segment] = []
    block, first, count = _Text(job), 1, 0
    for number, raw in enumerate(_decode_text(data).split("\n"), start=1):
        if not raw.strip():
            continue
        count += 1
        line = _Text(job, "; ", reserved=block.size)
        with _parsing("is not JSON we can read"):
            for piece in _flatten(_load_json(raw, line=number)):
                line.add(piece)
        block.add(line.take())
        if count % _ROWS_PER_SEGMENT == 0:
            segments += job.segment(block.take(), f"records {first}-{count}")
            first = count + 1
    if count >= first:
        segments += job.segment(block.take(), f"records {first}-{count}")
    return segments


def _load_json(text: str, *, line: int | None = None) -> object:
    """Parse, or say where the JSON breaks: "line 3, column 7"; `line` for JSON Lines."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        what, where = ("JSON", exc.lineno) if line is None else ("JSON Lines", line)
        raise _Bad(f"is not valid {what} (line {where}, column {exc.colno}: {exc.msg})") from None


def _flatten(value: object) -> Iterator[str]:
    """Scalars of a JSON value in document order, each with its path; iterative."""
    if not isinstance(value, dict | list):
        yield _scalar(value)
        return
    stack: list[tuple[_KeyPath, Iterator[tuple[Any, Any]]]] = [(None, _children(value))]
    while stack:
        path, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        key, node = child
        here: _KeyPath = (path, key)
        if isinstance(node, dict | list):
            stack.append((here, _children(node)))
        else:
            yield f"{_spell(here)}: {_scalar(node)}"


def _children(node: dict[str, Any] | list[Any]) -> Iterator[tuple[Any, Any]]:
    return iter(node.items()) if isinstance(node, dict) else enumerate(node)


def _spell(path: _KeyPath) -> str:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    parts = [f"[{key}]" if isinstance(key, int) else f".{key}" for key in keys]
    parts[0] = parts[0].removeprefix(".")
    return "".join(parts)


def _scalar(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# --- zip -----------------------------------------------------------------------

_CHUNK = 1 << 16
# A member smaller than this is harmless at any compression ratio (a page of spaces
# compresses a thousandfold); the ratio rule is for members that grow big.
_RATIO_FLOOR = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
_SEPARATORS = re.compile(r"[\\/]")


def _zip(data: bytes, job: _Job, depth: int) -> list[Segment]:
    """Every member we can read, located by its path; one level of nested zips."""
    with _parsing("is not a zip archive we can read"):
        archive = zipfile.ZipFile(io.BytesIO(data))
    with archive:
        members = archive.infolist()
        _check_names(members)
        _check_archive(members, job)
        segments: list[Segment] = []
        skipped: list[str] = []
        for member in members:
            if not member.is_dir():
                segments += _zip_member(archive, member, job, depth, skipped)
    if skipped:
        logger.debug("zip archive: %d member(s) skipped", len(skipped))
    if not segments:
        note = (
            f" (skipped: {', '.join(skipped[:10])}{', ...' if len(skipped) > 10 else ''})"
            if skipped
            else ""
        )
        raise _Bad(f"has no files with text we can read{note}. Supported: {SUPPORTED}")
    return segments


def _zip_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, job: _Job, depth: int, skipped: list[str]
) -> list[Segment]:
    name = _member_name(member.filename)
    kind = kind_of(member.filename)
    if kind is None:
        skipped.append(name)
        return []
    try:
        with _parsing("cannot be unpacked"):
            data = _read_member(archive, member, job)
        kind = kind_of(member.filename, data[:_SNIFF_BYTES]) or kind
        if kind == "zip" and depth >= 1:
            raise _Refused("holds a zip inside a zip inside it; only one level of nesting is read")
        found = _segments(kind, data, job, depth + 1)
    except _Refused:
        raise
    except _Bad as exc:  # one bad member does not spoil the others
        skipped.append(f"{name} {exc}")
        return []
    join = "/" if kind == "zip" else ", "
    return [Segment(s.text, f"{name}{join}{s.location}" if s.location else name) for s in found]


def _check_names(members: Iterable[zipfile.ZipInfo]) -> None:
    """Refuse the archive if any name could escape a directory it were unpacked into."""
    for member in members:
        name = member.filename
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in _SEPARATORS.split(name):
            raise _Refused(
                f"has a member with an unsafe path ({_member_name(name)}); archives with"
                " absolute paths or '..' in their paths are refused"
            )


def _check_archive(members: list[zipfile.ZipInfo], job: _Job) -> int:
    """Entry count, declared unpacked size and ratios, before anything is unpacked.

    Headers can lie, so members are measured again while they are read; this catches
    the honest bombs without reading a byte. Returns the declared unpacked size.
    """
    budget = job.budget
    if len(members) > budget.max_zip_entries:
        raise _Refused(f"has {len(members):,} entries; the limit is {budget.max_zip_entries:,}")
    for member in members:
        if member.file_size > _ratio_cap(member, budget):
            raise _Refused(
                f"has a member that expands more than {budget.max_zip_ratio}x (a zip bomb?)"
            )
    total = sum(m.file_size for m in members)
    if total > budget.max_zip_total_bytes - job.unzipped_bytes:
        raise _Refused(f"unpacks to more than the {_mb(budget.max_zip_total_bytes)} limit")
    return total


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, job: _Job) -> bytes:
    """The member's bytes, read in chunks and stopped at the first byte past a budget."""
    budget = job.budget
    limit, why = min(
        (budget.max_bytes, f"has a member larger than the {_mb(budget.max_bytes)} limit"),
        (
            budget.max_zip_total_bytes - job.unzipped_bytes,
            f"unpacks to more than the {_mb(budget.max_zip_total_bytes)} limit",
        ),
        (
            _ratio_cap(member, budget),
            f"has a member that expands more than {budget.max_zip_ratio}x (a zip bomb?)",
        ),
    )
    out = bytearray()
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            out += chunk
            if len(out) > limit:
                raise _Refused(why)
    job.unzipped_bytes += len(out)
    return bytes(out)


def _ratio_cap(member: zipfile.ZipInfo, budget: Budget) -> int:
    return max(_RATIO_FLOOR, member.compress_size * budget.max_zip_ratio)


# --- names and messages ---------------------------------------------------------------


def _basename(filename: str) -> str:
    return _SEPARATORS.split(filename)[-1]


def _display(filename: str) -> str:
    """The client's file name, safe and short enough to put in a message."""
    name = _CONTROL_CHARS.sub("", _basename(filename)).strip()
    return (name[:77] + "...") if len(name) > 80 else (name or "The file")


def _member_name(name: str) -> str:
    name = _CONTROL_CHARS.sub("", name)
    return (name[:197] + "...") if len(name) > 200 else name


def _summary(exc: BaseException) -> str:
    first = str(exc).strip().split("\n", 1)[0]
    return f"{type(exc).__name__}: {first[:160]}" if first else type(exc).__name__


def _mb(size: int) -> str:
    return f"{size / (1 << 20):g} MB"


_READERS: dict[str, _Reader] = {
    "text": _plain,
    "markdown": _plain,
    "code": _plain,
    "html": _html,
    "pdf": _pdf,
    "docx": _docx,
    "csv": _csv,
    "json": _json,
    "jsonl": _jsonl,
}
_KINDS = frozenset({*_READERS, "zip"})
