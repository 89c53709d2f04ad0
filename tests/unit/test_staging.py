"""Client file names are metadata: whatever a client sends, bytes land under uploads/<id>/."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vega.errors import PayloadTooLarge, UnreadableDocument, UnsupportedType
from vega.rag.staging import clean_filename, stage, stored_path

HOSTILE = [
    "../../etc/passwd.txt",
    "/etc/passwd.md",
    "C:\\Windows\\win.ini.txt",
    "C:evil.md",
    "..\\..\\x.md",
    "%2e%2e%2fx.md",
    "a\x00b.md",
    "....//....//x.md",
    "",
    ".",
    "..",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_become_a_plain_base_name(name: str) -> None:
    clean = clean_filename(name)
    assert clean and "/" not in clean and "\\" not in clean and "\x00" not in clean
    assert clean not in {".", ".."}


@settings(max_examples=300, deadline=None)
@given(name=st.text(), document_id=st.uuids().map(str))
def test_stored_path_never_leaves_its_folder(name: str, document_id: str) -> None:
    root = Path("/data")
    path = stored_path(document_id, clean_filename(name))
    resolved = Path(os.path.normpath(root / path))
    assert resolved.parent == root / "uploads" / document_id
    assert resolved.name.startswith("original")


def test_stage_hashes_sizes_and_refuses_what_it_cannot_keep(tmp_path: Path) -> None:
    staged = stage(io.BytesIO(b"hello"), "../notes.md", staging_dir=tmp_path, max_bytes=10)
    assert (staged.filename, staged.size, staged.kind) == ("notes.md", 5, "markdown")
    assert staged.path.parent == tmp_path and staged.path.read_bytes() == b"hello"
    with pytest.raises(PayloadTooLarge):
        stage(io.BytesIO(b"x" * 11), "big.txt", staging_dir=tmp_path, max_bytes=10)
    with pytest.raises(UnreadableDocument, match="empty"):
        stage(io.BytesIO(b""), "e.txt", staging_dir=tmp_path, max_bytes=10)
    with pytest.raises(UnsupportedType):
        stage(io.BytesIO(b"MZ\x90"), "tool.exe", staging_dir=tmp_path, max_bytes=10)
    assert list(tmp_path.iterdir()) == [staged.path]  # refused uploads leave nothing behind
