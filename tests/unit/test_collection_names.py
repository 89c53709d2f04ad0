"""The collection-name rule, written once in the syntax clients read (ECMAScript, as JSON
Schema's `pattern`), means what the server's Python check means."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest

from vega.errors import BadInput
from vega.rag.retrieve import COLLECTION_NAME, COLLECTION_NAME_PATTERN, check_collection_name


def test_the_python_check_is_the_rule_it_always_was() -> None:
    # Was r"^\w[\w .:-]{0,99}$": a class of one `\w` is `\w`.
    assert COLLECTION_NAME.pattern == r"^[\w][\w .:-]{0,99}$"


@pytest.mark.parametrize(
    "name", ["données", "default", "Отчёты 2024", "研究", "_drafts", "a.b:c-d"]
)
def test_names_in_any_script_are_accepted(name: str) -> None:
    assert check_collection_name(name) == name


@pytest.mark.parametrize("name", ["", " lead", "-x", "a/b", "docs\n", "x" * 101, "e\u0301"])
def test_other_names_are_refused(name: str) -> None:
    with pytest.raises(BadInput):
        check_collection_name(name)


def test_the_published_pattern_matches_exactly_what_python_accepts() -> None:
    # Python's `re` reads no \p{..}; the `regex` module (a dependency of tokenizers and
    # transformers) reads the published pattern as ECMAScript and Rust do.
    regex = pytest.importorskip("regex")
    published = regex.compile(r"[\p{L}\p{N}_]")
    word = re.compile(r"\w")
    differ = [
        hex(point)
        for point in range(sys.maxunicode + 1)
        # Code points this Python's Unicode tables know (`regex` may know newer ones).
        if unicodedata.category(chr(point)) != "Cn"
        and bool(word.fullmatch(chr(point))) != bool(published.fullmatch(chr(point)))
    ]
    assert differ == []
    full = regex.compile(COLLECTION_NAME_PATTERN)
    for name in ["données", "研究 2", "a" * 100, "x" * 101, " x", "a/b", "_"]:
        assert bool(full.fullmatch(name)) == bool(COLLECTION_NAME.fullmatch(name)), name
