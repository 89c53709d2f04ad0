"""Vega's own dataset loaders, registered per extension through the plugins' door."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vega.dataset.csv_rows import CsvFile
from vega.dataset.json_records import JsonFile, JsonLinesFile
from vega.dataset.loaders import Loader
from vega.dataset.text_pairs import QuestionsAndHeadings

if TYPE_CHECKING:
    from vega.plugins import Plugins

BUILTIN: tuple[Loader, ...] = (QuestionsAndHeadings(), JsonFile(), JsonLinesFile(), CsvFile())


def register(plugins: Plugins) -> None:
    for loader in BUILTIN:
        for extension in loader.extensions:
            plugins.loaders.register(extension, loader)
