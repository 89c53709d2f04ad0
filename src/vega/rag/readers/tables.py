"""Tabular and structured text: CSV, JSON and JSON Lines, rendered as "name: value" lines.

Search needs each value next to what it means, so a CSV cell comes with its column
header and a JSON scalar with its path. That rendering can outgrow the file many
times over (a short header repeated on every row, a long path on every leaf), so it
is built piece by piece against the text budget (`Text`), never whole and then
measured. None of these parsers can hang, so they run in-process.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeAlias

from vega.rag.readers.base import BadFile, Extraction, Extractor, Segment, Text, parsing
from vega.rag.readers.text import decode_text

_ROWS_PER_SEGMENT = 200
_SNIFF_CHARS = 16384


class Csv(Extractor):
    """Rows as "header: value; ..." lines, one segment per 200 rows ("rows 1-200")."""

    kinds = ("csv",)
    extensions: ClassVar[Mapping[str, str]] = {"csv": "csv", "tsv": "csv"}

    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        text = decode_text(data)
        rows = csv.reader(io.StringIO(text, newline=""), _dialect(text))
        with parsing("is not a CSV file we can read"):
            header = [h.strip() for h in next(rows, [])]
            segments: list[Segment] = []
            block, first = Text(job), 1
            number = 0
            for number, row in enumerate(rows, start=1):
                line = Text(job, "; ", reserved=block.size)
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


class Json(Extractor):
    """Every scalar as a "path.to[0].key: value" line."""

    kinds = ("json",)
    extensions: ClassVar[Mapping[str, str]] = {"json": "json"}

    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        text = Text(job)
        with parsing("is not JSON we can read"):
            for line in _flatten(_load_json(decode_text(data))):
                text.add(line)
        return job.segment(text.take())


class JsonLines(Extractor):
    """One line per record ("key: value; ..."), one segment per 200 ("records 1-200")."""

    kinds = ("jsonl",)
    extensions: ClassVar[Mapping[str, str]] = {"jsonl": "jsonl", "ndjson": "jsonl"}

    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        segments: list[Segment] = []
        block, first, count = Text(job), 1, 0
        for number, raw in enumerate(decode_text(data).split("\n"), start=1):
            if not raw.strip():
                continue
            count += 1
            line = Text(job, "; ", reserved=block.size)
            with parsing("is not JSON we can read"):
                for piece in _flatten(_load_json(raw, line=number)):
                    line.add(piece)
            block.add(line.take())
            if count % _ROWS_PER_SEGMENT == 0:
                segments += job.segment(block.take(), f"records {first}-{count}")
                first = count + 1
        if count >= first:
            segments += job.segment(block.take(), f"records {first}-{count}")
        return segments


# --- json paths --------------------------------------------------------------------

# A path is spelled out only when a line is written: a deep document with many
# leaves would otherwise build gigabytes of path strings before any budget check.
_KeyPath: TypeAlias = "tuple[_KeyPath, str | int] | None"


def _load_json(text: str, *, line: int | None = None) -> object:
    """Parse, or say where the JSON breaks: "line 3, column 7"; `line` for JSON Lines."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        what, where = ("JSON", exc.lineno) if line is None else ("JSON Lines", line)
        raise BadFile(
            f"is not valid {what} (line {where}, column {exc.colno}: {exc.msg})"
        ) from None


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
