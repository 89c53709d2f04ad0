"""CSV: a header row naming the columns, then one example per row.

The prompt column is ``prompt`` or ``question``, the response column ``response``,
``answer`` or ``completion`` (any case); an optional ``system`` column frames the
example; other columns are ignored. Fields with commas, quotes or line breaks are
quoted as usual (RFC 4180), which is what spreadsheets write.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

from vega.dataset.loaders import TextLoader
from vega.dataset.records import Candidate, Rejected, example

if TYPE_CHECKING:
    from _csv import Reader

_PROMPT = ("prompt", "question")
_RESPONSE = ("response", "answer", "completion")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


class CsvFile(TextLoader):
    extensions = ("csv",)

    def parse(self, text: str) -> Iterator[Candidate]:
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [cell.strip().lower() for cell in next(reader, [])]
        except csv.Error as exc:
            yield Rejected("malformed", f"unreadable header: {exc}", "line 1")
            return
        prompt, response = _column(header, _PROMPT), _column(header, _RESPONSE)
        if prompt is None or response is None:
            found = ", ".join(h for h in header if h) or "none"
            yield Rejected(
                "malformed",
                f"the header needs prompt,response (or question,answer) columns; found: {found}",
                "line 1",
            )
            return
        system = _column(header, ("system",))
        yield from self._rows(reader, len(header), prompt, response, system)

    @staticmethod
    def _rows(
        reader: Reader, width: int, prompt: int, response: int, system: int | None
    ) -> Iterator[Candidate]:
        line_num = 1  # the line the previous row ended on
        while True:
            start = line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the reader moves past the bad line, so go on
                line_num = reader.line_num
                yield Rejected("malformed", f"unreadable row: {exc}", f"line {start}")
                continue
            line_num = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            where = f"line {start}"
            if len(row) != width:
                detail = (
                    f"{len(row)} fields where the header has {width} (quote fields with commas)"
                )
                yield Rejected("malformed", detail, where)
                continue
            yield example(
                row[prompt],
                row[response],
                system=row[system] if system is not None else None,
                where=where,
            )
