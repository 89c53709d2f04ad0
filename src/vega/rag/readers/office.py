"""Office documents: PDF (pypdf) and Word .docx (python-docx).

These parsers are the big, complex ones: a crafted PDF can send pypdf into a loop
and a docx is a zip of XML that can unpack to gigabytes. So both are `isolated`
(run by `extract_isolated` in a child with a deadline and a memory cap), a docx
package is measured like any archive before python-docx unpacks it, and the
libraries are imported inside `read`, which keeps importing Vega cheap.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from vega.rag.readers.archive import check_archive
from vega.rag.readers.base import BadFile, Extraction, Extractor, Segment, Text, parsing


class Pdf(Extractor):
    """One segment per page with text, located "page N"."""

    kinds = ("pdf",)
    extensions: ClassVar[Mapping[str, str]] = {"pdf": "pdf"}
    isolated = True
    preload = ("pypdf",)
    no_text = "has no extractable text (is it a scanned PDF?)"

    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        from pypdf import PdfReader

        # A damaged PDF can make pypdf log a warning per broken object, thousands of
        # them: noise to an operator, and a way for an upload to flood the log.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        with parsing("is not a PDF we can read"):
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
        raise BadFile("is protected by a password; remove the protection and upload it again")


class Docx(Extractor):
    """Paragraphs and table rows (cells joined by " | ") in document order."""

    kinds = ("docx",)
    extensions: ClassVar[Mapping[str, str]] = {"docx": "docx"}
    isolated = True
    preload = ("docx",)
    zip_container = True

    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        import docx

        with parsing("is not a Word document we can read"):
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                # python-docx unpacks every part into memory: check the sizes before it does.
                job.unzipped_bytes += check_archive(package.infolist(), job)
            text = Text(job)
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
