"""Readers of each kind of file, one module per family, behind the `Extractor` contract.

`vega.rag.extract` picks the reader for an upload and keeps it to its budgets;
the readers only turn bytes into segments. `BUILTIN` lists Vega's own, in the
order their extensions are listed to users; `vega.rag.builtin` registers them
under their kinds, through the same door as third-party extractors.
"""

from __future__ import annotations

from vega.rag.readers.archive import Zip
from vega.rag.readers.base import Extractor
from vega.rag.readers.office import Docx, Pdf
from vega.rag.readers.tables import Csv, Json, JsonLines
from vega.rag.readers.text import Html, PlainText

BUILTIN: tuple[Extractor, ...] = (
    PlainText(),
    Html(),
    Pdf(),
    Docx(),
    Csv(),
    Json(),
    JsonLines(),
    Zip(),
)
