"""A client's file name is metadata: whatever it is built from, bytes land under uploads/<id>/.

The name an upload arrives with goes through two functions (``vega.rag.staging``):
``clean_filename`` makes the displayed name (``source_name``, and ``title`` is its
stem), and ``stored_path`` makes the stored path from a generated document id and,
at most, a short plain extension. Hypothesis builds names from the pieces attackers
use (``../``, ``..\\``, absolute and drive paths, UNC shares, percent-encoding, NUL
and other control characters, bidi overrides, look-alike dots and slashes, very long
names) and checks both properties; the last two tests send the worst of them through
``POST /documents`` (in-process) and read back what was stored.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import uuid
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Api
from tests.fakes.hostile_files import multipart_with_raw_filename
from tests.helpers import db_rows
from tests.support.stored import stored_objects
from vega.errors import UnsupportedType
from vega.rag.staging import MAX_FILENAME_CHARS, clean_filename, stage, stored_path

# Pieces of hostile names: traversal with either separator, absolute, drive-absolute,
# drive-relative, UNC, percent-encoded (once and twice), NUL and other C0/C1 control
# characters, terminal escapes, bidi overrides and zero-width characters, line
# separators, lone surrogates (what an undecodable byte becomes in a local file name),
# and look-alike dots and slashes that Unicode normalisation would fold into "../".
FRAGMENTS = [
    "../",
    "..\\",
    "/",
    "\\",
    "/etc/passwd",
    "C:\\",
    "C:",
    "c:..\\",
    "\\\\server\\share\\",
    "//server/share/",
    "\\\\?\\C:\\",
    "%2e%2e%2f",
    "%2E%2E%5C",
    "%252e%252e%252f",
    "..%2f",
    "%00",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\t",
    "\x7f",
    "\x85",
    "\x9b",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\ud800",
    "\udcff",
    "\uff0e\uff0e\uff0f",
    "\u2024\u2024/",
    "\u3002\u3002/",
    "\u2215",
    "..",
    ".",
    ". ",
    " .",
    "C:.",
    "~",
    " ",
    "\u3000",
    "evil",
    ".md",
    ".txt",
    ".PDF",
    ".tar.gz",
    "x" * 300,
]
names = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), min_size=0, max_size=10
).map("".join)

_UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_STORED_NAME = re.compile(r"original(\.[a-z0-9]{1,10})?")


def assert_printable(text: str) -> None:
    """No separator, no control or format character, and storable as UTF-8."""
    assert "/" not in text and "\\" not in text
    unsafe = [c for c in text if unicodedata.category(c) in _UNSAFE]
    assert not unsafe, f"{text!r} keeps {unsafe!r}"
    text.encode("utf-8")  # a lone surrogate would raise here (and in the database)


def assert_displayable(clean: str) -> None:
    """A name fit to show and to store: one plain component, printable, UTF-8."""
    assert clean, "empty name"
    assert len(clean) <= MAX_FILENAME_CHARS
    assert_printable(clean)
    assert not clean.startswith("."), clean
    assert clean.strip() == clean
    # Whatever OS reads it, it is one relative component with no parent steps.
    for flavour in (PurePosixPath, PureWindowsPath):
        parsed = flavour(clean)
        assert not parsed.is_absolute() and not parsed.drive, (flavour, clean)
        assert ".." not in parsed.parts, (flavour, clean)


def assert_inside(root: Path, stored: Path, document_id: str) -> None:
    folder = root / "uploads" / document_id
    assert not stored.is_absolute()
    lexical = Path(os.path.normpath(root / stored))
    assert lexical.parent == folder, stored
    resolved = (root / stored).resolve()
    assert resolved.is_relative_to(folder.resolve()), stored
    assert _STORED_NAME.fullmatch(resolved.name), resolved.name


@settings(max_examples=600, deadline=None)
@given(name=names, document_id=st.uuids().map(str))
def test_hostile_names_become_a_displayable_name_and_a_path_inside_the_upload_root(
    name: str, document_id: str
) -> None:
    root = Path("/srv/vega-data")
    clean = clean_filename(name)
    assert_displayable(clean)
    assert clean_filename(clean) == clean  # cleaning is idempotent: what is shown is stored
    assert_printable(Path(clean).stem or clean)  # as the ingest service titles a document
    assert_inside(root, stored_path(document_id, clean), document_id)
    # Even a name that skipped cleaning cannot steer the stored path.
    assert_inside(root, stored_path(document_id, name), document_id)


@settings(max_examples=200, deadline=None)
@given(name=st.text())
def test_any_text_at_all_gives_a_displayable_name(name: str) -> None:
    assert_displayable(clean_filename(name))


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\notes.md", "notes.md"),
        ("C:notes.md", "notes.md"),  # drive-relative
        ("c:d:..notes.md", "notes.md"),
        ("\\\\server\\share\\notes.md", "notes.md"),
        ("%2e%2e%2fnotes.md", "%2e%2e%2fnotes.md"),  # never percent-decoded
        ("..%252f..%252fnotes.md", "%252f..%252fnotes.md"),  # leading dots go
        ("evil\u202egpj.exe", "evilgpj.exe"),  # reads "evilexe.jpg" with the override
        ("\x1b[31mred\x00.txt", "[31mred.txt"),
        ("caf\u00e9\x85.md", "caf\u00e9.md"),
        ("\udcff.md", "\ufffd.md"),
        ("\uff0e\uff0e\uff0fnotes.md", "\uff0e\uff0e\uff0fnotes.md"),  # look-alikes stay text
        ("...", "upload"),
        ("", "upload"),
    ],
)
def test_examples(name: str, clean: str) -> None:
    assert clean_filename(name) == clean


def test_a_long_name_keeps_its_extension_so_its_reader_is_found(tmp_path: Path) -> None:
    name = "report " * 80 + ".md"
    clean = clean_filename(name)
    assert MAX_FILENAME_CHARS - 1 <= len(clean) <= MAX_FILENAME_CHARS and clean.endswith(".md")
    staged = stage(io.BytesIO(b"# notes"), name, staging_dir=tmp_path, max_bytes=100)
    assert staged.kind == "markdown" and staged.filename == clean


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=names)
def test_staging_writes_under_a_name_of_its_own(tmp_path: Path, name: str) -> None:
    staging = tmp_path / "staging"
    try:
        staged = stage(io.BytesIO(b"plain text"), name, staging_dir=staging, max_bytes=100)
    except UnsupportedType:  # no extension we read: refused, and nothing left behind
        assert list(staging.iterdir()) == []
        return
    assert staged.path.parent == staging
    assert str(uuid.UUID(staged.path.name)) == staged.path.name  # a generated id, nothing else
    assert staged.filename == clean_filename(name)
    staged.path.unlink()


# --- through the API ---------------------------------------------------------------

NASTY: list[tuple[bytes, str]] = [
    (b"../../../../evil.md", "evil.md"),
    (b"/abs/evil.md", "evil.md"),
    (b"C:\\Windows\\evil.md", "evil.md"),
    (b"C:evil.md", "evil.md"),
    (b"\\\\server\\share\\evil.md", "evil.md"),
    (b"..\\..\\evil.md", "evil.md"),
    (b"%2e%2e%2f%2e%2e%2fevil.md", "%2e%2e%2f%2e%2e%2fevil.md"),
    (b"..%252f..%252fevil.md", "%252f..%252fevil.md"),
    (b"evil\x00.md", "evil.md"),
    (b"\x1b[2Jevil\x07.md", "[2Jevil.md"),
    ("evil\u202edm.exe.md".encode(), "evildm.exe.md"),
    ("\uff0e\uff0e\uff0fevil.md".encode(), "\uff0e\uff0e\uff0fevil.md"),
    (b"evil" * 100 + b".md", ("evil" * 100)[: MAX_FILENAME_CHARS - 3] + ".md"),
]


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


async def test_nasty_names_through_the_api_land_inside_the_upload_root(
    api: Api, tmp_path: Path
) -> None:
    data_dir = Path(api.runtime.settings.data_dir)
    uploads = data_dir / "uploads"
    outside_before = {p for p in files_under(tmp_path) if not p.is_relative_to(data_dir)}
    for number, (filename, clean) in enumerate(NASTY):
        content = f"Upload number {number} about glaciers and honeybees.".encode()
        body, content_type = multipart_with_raw_filename(filename, content)
        r = await api.client.post(
            "/documents", content=body, headers={**api.auth(), "content-type": content_type}
        )
        assert r.status_code == 201, (filename, r.text)
        doc_id = r.json()["document_id"]
        assert r.json()["title"] == Path(clean).stem
        listed = (await api.client.get(f"/documents/{doc_id}", headers=api.auth())).json()
        assert (listed["source_name"], listed["title"]) == (clean, Path(clean).stem), filename
        assert_displayable(listed["source_name"])
        (row,) = db_rows(data_dir, "SELECT stored_path FROM documents WHERE id = ?", doc_id)
        assert row["stored_path"] == f"uploads/{doc_id}/original.md"
        objects = stored_objects(api.runtime.blobs, f"uploads/{doc_id}/")
        assert objects == {f"uploads/{doc_id}/original.md": content}
        assert hashlib.sha256(content).hexdigest() == listed["sha256"]
    # Nothing was written outside the data dir, and no file anywhere took a client's name.
    outside_after = {p for p in files_under(tmp_path) if not p.is_relative_to(data_dir)}
    assert outside_after == outside_before
    assert not [p for p in files_under(tmp_path) if "evil" in p.name]
    assert {p.parent.parent for p in files_under(uploads)} <= {uploads}
    assert all(key.count("/") == 2 for key in stored_objects(api.runtime.blobs))


async def test_an_rfc5987_only_file_name_is_not_a_file(api: Api) -> None:
    """``filename*=`` (percent-encoded) is ignored in form data (RFC 7578 4.2): no file part."""
    boundary = "upload-names-5987"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f"filename*=UTF-8''..%2F..%2Fevil.md\r\n\r\nsome text\r\n--{boundary}--\r\n"
    ).encode()
    r = await api.client.post(
        "/documents",
        content=body,
        headers={**api.auth(), "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "bad_input"
    data_dir = Path(api.runtime.settings.data_dir)
    assert db_rows(data_dir, "SELECT id FROM documents") == []
