"""Extraction from real files built here: formats, locations, budgets and hostile input."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import docx
import pytest

from tests.fakes.documents import LOOP_PDF, slow_pdf, text_pdf
from tests.fakes.hostile_files import (
    deflate_repeated,
    docx_bytes,
    nested_zip_bomb,
    raw_zip,
    stored,
    zip_bytes,
)
from tests.fakes.hostile_files import docx_bomb as build_docx_bomb
from tests.fakes.hostile_files import zip_bomb as build_zip_bomb
from vega.errors import UnreadableDocument, UnsupportedType
from vega.plugins import Plugins, load_plugins
from vega.rag import extract as extract_module
from vega.rag.extract import (
    DEFAULT_READERS,
    Budget,
    Segment,
    extract,
    extract_isolated,
    kind_of,
    readers_from,
)
from vega.rag.readers.base import BadFile, Extraction, Extractor

MB = 1 << 20

# --- builders ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """300 MB of zeros in about 300 KB."""
    return build_zip_bomb(300)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[bytes | str], Path]:
    """Store an upload the way the server does: under a name of ours, not the client's."""

    def write(content: bytes | str) -> Path:
        path = tmp_path / "upload.bin"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write


def read(path: Path, name: str, **budget: Any) -> list[Segment]:
    return extract(path, filename=name, budget=Budget(**budget))


# --- kind_of --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("notes.txt", b"", "text"),
        ("server.LOG", b"", "text"),
        ("../../x.md", b"", "markdown"),
        ("C:\\Users\\me\\page.HTM", b"", "html"),
        ("a.PDF", b"", "pdf"),
        ("report.docx", b"", "docx"),
        ("table.tsv", b"", "csv"),
        ("data.json", b"", "json"),
        ("events.ndjson", b"", "jsonl"),
        ("main.py", b"", "code"),
        ("Makefile", b"", "code"),
        ("bundle.zip", b"", "zip"),
        ("noext", b"", None),
        ("program.exe", b"", None),
        ("archive.tar.gz", b"", None),
        ("evil.txt\x00.pdf", b"", None),
        ("scan.txt", b"%PDF-1.7\n", "pdf"),
        ("noext", b"%PDF-1.4", "pdf"),
        ("letter.docx", b"PK\x03\x04", "docx"),
        ("photos.bin", b"PK\x03\x04", "zip"),
        ("sheet.xlsx", b"PK\x03\x04", None),
        ("evil.txt\x00.pdf", b"PK\x03\x04", "zip"),
    ],
)
def test_kind_of(name: str, head: bytes, kind: str | None) -> None:
    assert kind_of(name, head) == kind


# --- plain text ---------------------------------------------------------------------


def test_text_decodes_utf8_with_bom_and_normalises_newlines(write: Callable[..., Path]) -> None:
    path = write(b"\xef\xbb\xbfcaf\xc3\xa9\r\nline two\rline three\n")
    assert read(path, "a.txt") == [Segment("café\nline two\nline three")]


def test_text_decodes_utf16_with_bom(write: Callable[..., Path]) -> None:
    path = write("ünïcode\r\ntext".encode("utf-16"))
    assert read(path, "a.txt") == [Segment("ünïcode\ntext")]


def test_text_falls_back_to_a_single_byte_code_page(write: Callable[..., Path]) -> None:
    path = write("café “quoted” naïve".encode("cp1252"))
    assert read(path, "a.txt") == [Segment("café “quoted” naïve")]


def test_markdown_and_code_are_kept_as_written(write: Callable[..., Path]) -> None:
    markdown = "# Title\n\n- item *one*\n\n```py\nx = 1\n```"
    assert read(write(markdown), "r.md") == [Segment(markdown)]
    code = "def f(x):\n    return x  # <b>not html</b>"
    assert read(write(code), "f.py") == [Segment(code)]


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 40, bytes(range(1, 32)) * 300],
    ids=["with-nul", "control-bytes"],
)
def test_binary_with_a_text_name_is_unreadable(write: Callable[..., Path], content: bytes) -> None:
    with pytest.raises(UnreadableDocument, match=r"notes\.txt is a binary file"):
        read(write(content), "notes.txt")


def test_empty_and_blank_files_are_unreadable(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match=r"a\.txt is empty"):
        read(write(b""), "a.txt")
    with pytest.raises(UnreadableDocument, match=r"a\.md has no extractable text"):
        read(write(" \n\t\r\n  "), "a.md")


def test_unsupported_type(write: Callable[..., Path]) -> None:
    with pytest.raises(UnsupportedType, match=r"setup\.exe.*Supported: \.txt"):
        read(write(b"MZ\x90\x00"), "setup.exe")


def test_text_past_the_budget_is_refused(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match="more than 100 characters"):
        read(write("word " * 50), "a.txt", max_text_chars=100)


def test_file_past_the_size_budget_is_refused(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match="larger than"):
        read(write("x" * 2000), "a.txt", max_bytes=1000)


def test_a_missing_file_is_reported_without_our_storage_path(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        extract(tmp_path / "gone", filename="a.txt")
    assert caught.value.message == "a.txt could not be opened (No such file or directory)"


def test_control_characters_in_the_name_stay_out_of_messages(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        extract(write(b""), filename="dir/\x1b[31mred\x00.txt", kind="text")
    assert caught.value.message == "[31mred.txt is empty"


# --- html -------------------------------------------------------------------------


def test_html_keeps_text_and_blocks_and_drops_code(write: Callable[..., Path]) -> None:
    page = """<!doctype html><html><head><title>The  Title</title>
      <style>body { color: red }</style><script>alert("x")</script></head>
      <body><noscript>enable js</noscript><template><p>hidden</p></template>
      <h1>Heading</h1><p>First <b>bold</b> &amp; <i>more</i>&nbsp;text.</p>
      <ul><li>one</li><li>two</li></ul>
      <table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>
      <p>line<br>break</p><svg><title>icon</title></svg></body></html>"""
    [segment] = read(write(page), "p.html")
    assert segment.text == (
        "The Title\n\nHeading\n\nFirst bold & more text.\n\none\ntwo\n\nk | v\na | 1\n\nline\nbreak"
    )
    assert segment.location is None


def test_html_keeps_whitespace_in_pre(write: Callable[..., Path]) -> None:
    page = "<p>Code:</p><pre>def f():\n    return  1</pre><p>after</p>"
    assert read(write(page), "c.html") == [Segment("Code:\n\ndef f():\n    return  1\n\nafter")]


def test_html_uses_the_declared_charset(write: Callable[..., Path]) -> None:
    page = '<meta charset="shift_jis"><p>日本語のテキスト</p>'.encode("shift_jis")
    assert read(write(page), "j.htm") == [Segment("日本語のテキスト")]


def test_html_with_only_markup_has_no_text(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match="has no extractable text"):
        read(write("<html><script>x()</script><p> </p></html>"), "e.html")


# --- csv, json, jsonl -------------------------------------------------------------


def test_csv_rows_become_header_value_lines_in_blocks(write: Callable[..., Path]) -> None:
    rows = ["name,age,city"] + [f"person {i},{i},Paris" for i in range(1, 451)]
    segments = read(write("\n".join(rows)), "p.csv")
    assert [s.location for s in segments] == ["rows 1-200", "rows 201-400", "rows 401-450"]
    lines = segments[0].text.split("\n")
    assert len(lines) == 200
    assert lines[0] == "name: person 1; age: 1; city: Paris"
    assert segments[2].text.split("\n")[-1] == "name: person 450; age: 450; city: Paris"


def test_csv_sniffs_the_dialect_and_names_missing_columns(write: Callable[..., Path]) -> None:
    text = 'name;note\n"Smith; J";hello\nDoe;;extra\n'
    segments = read(write(text), "x.csv")
    assert segments == [
        Segment("name: Smith; J; note: hello\nname: Doe; column 3: extra", "rows 1-2")
    ]


def test_csv_rendering_is_held_to_the_text_budget(write: Callable[..., Path]) -> None:
    # Headers repeat on every row: the rendering can be far larger than the file.
    header = ",".join(f"a_long_column_name_{i}" for i in range(50))
    text = header + "\n" + "\n".join(",".join("1" * 50) for _ in range(100))
    with pytest.raises(UnreadableDocument, match="characters of text"):
        read(write(text), "x.csv", max_text_chars=len(text))


def test_json_is_flattened_to_paths(write: Callable[..., Path]) -> None:
    value = {
        "title": "Guide",
        "meta": {"tags": ["a", "b"], "draft": False, "score": 1.5, "owner": None},
        "sections": [{"h": "Intro", "body": "Hello"}],
        "empty": {},
    }
    assert read(write(json.dumps(value)), "d.json") == [
        Segment(
            "title: Guide\nmeta.tags[0]: a\nmeta.tags[1]: b\nmeta.draft: false\n"
            "meta.score: 1.5\nmeta.owner: null\nsections[0].h: Intro\nsections[0].body: Hello"
        )
    ]


def test_json_text_is_made_safe_to_store(write: Callable[..., Path]) -> None:
    # NUL is refused by Postgres and a lone surrogate cannot be encoded as UTF-8.
    path = write('{"a": "x\\u0000y\\ud800z"}')
    assert read(path, "d.json") == [Segment("a: xy\ufffdz")]


def test_json_number_past_the_digit_limit_is_unreadable(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match="is not JSON we can read"):
        read(write('{"n": ' + "7" * 5000 + "}"), "d.json")


def test_invalid_json_reports_line_and_column(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match=r"d\.json is not valid JSON \(line 3, column 3"):
        read(write('{\n "a": 1,\n  oops\n}'), "d.json")


def test_deep_json_with_many_leaves_stops_at_the_budget(write: Callable[..., Path]) -> None:
    # 500 levels deep and 30k leaves: every line repeats a 1500-character path, so
    # the rendering would be 45M characters from a 61 KB file.
    text = "[" * 500 + ",".join(["1"] * 30_000) + "]" * 500
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableDocument, match="characters of text"):
            read(write(text), "d.json", max_text_chars=500_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB


def test_jsonl_records_become_lines_in_blocks(write: Callable[..., Path]) -> None:
    lines = [json.dumps({"id": i, "user": {"name": f"u{i}"}}) for i in range(1, 251)]
    segments = read(write("\n".join(lines[:100]) + "\n\n" + "\n".join(lines[100:])), "e.jsonl")
    assert [s.location for s in segments] == ["records 1-200", "records 201-250"]
    assert segments[0].text.split("\n")[0] == "id: 1; user.name: u1"


def test_invalid_jsonl_reports_the_line(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match=r"is not valid JSON Lines \(line 3, column 2"):
        read(write('{"a": 1}\n\n{]\n'), "e.jsonl")


# --- pdf --------------------------------------------------------------------------


def test_pdf_gives_one_segment_per_page_with_text(write: Callable[..., Path]) -> None:
    pdf = text_pdf(["First page", "", "Third (page)"], compress=True)
    assert read(write(pdf), "r.pdf") == [
        Segment("First page", "page 1"),
        Segment("Third (page)", "page 3"),
    ]


def test_pdf_without_text_reads_as_a_scan(write: Callable[..., Path]) -> None:
    with pytest.raises(
        UnreadableDocument, match=r"has no extractable text \(is it a scanned PDF\?\)"
    ):
        read(write(text_pdf(["", ""])), "scan.pdf")


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7\n" + bytes(range(256)) * 20, b"%PDF-", text_pdf(["cut"])[:200]],
    ids=["garbage", "header-only", "truncated"],
)
def test_malformed_pdf_is_unreadable(write: Callable[..., Path], content: bytes) -> None:
    with pytest.raises(UnreadableDocument, match=r"^bad\.pdf "):
        read(write(content), "bad.pdf")


def test_pdf_with_a_page_tree_that_contains_itself(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match=r"loop\.pdf is not a PDF we can read.*cyclic"):
        read(write(LOOP_PDF), "loop.pdf")


def test_password_protected_pdf_is_unreadable(write: Callable[..., Path]) -> None:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(text_pdf(["secret"])))
    writer.encrypt(user_password="pw", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(UnreadableDocument, match="protected by a password"):
        read(write(buf.getvalue()), "s.pdf")


# --- docx -------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_order(write: Callable[..., Path]) -> None:
    def build(document: docx.document.Document) -> None:
        document.add_heading("Report", level=1)
        document.add_paragraph("Before the table.")
        table = document.add_table(rows=2, cols=3)
        for r, values in enumerate([["k", "v", "w"], ["a", "1", "2"]]):
            for c, value in enumerate(values):
                table.cell(r, c).text = value
        table.cell(1, 1).merge(table.cell(1, 2))
        document.add_paragraph("")
        document.add_paragraph("After the table.")

    [segment] = read(write(docx_bytes(build)), "r.docx")
    assert segment == Segment(
        "Report\n\nBefore the table.\n\nk | v | w\na | 1 2\n\nAfter the table."
    )


def test_docx_bomb_is_refused_before_parsing(write: Callable[..., Path]) -> None:
    # A real document whose word/document.xml unpacks to 300 MB of whitespace.
    bomb = build_docx_bomb(300)
    started = time.monotonic()
    with pytest.raises(UnreadableDocument, match="zip bomb"):
        read(write(bomb), "b.docx")
    assert time.monotonic() - started < 2


def test_a_zip_named_docx_that_is_not_word_is_unreadable(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match="not a Word document"):
        read(write(zip_bytes({"a.txt": b"hi"})), "w.docx")


# --- zip --------------------------------------------------------------------------


def test_zip_reads_members_by_path_and_skips_unsupported(write: Callable[..., Path]) -> None:
    archive = zip_bytes(
        {
            "notes/": b"",
            "notes/a.md": b"# A",
            "data/r.pdf": text_pdf(["in a pdf"]),
            "tool.exe": b"MZ",
            "broken.txt": bytes(range(256)),
        }
    )
    assert read(write(archive), "z.zip") == [
        Segment("# A", "notes/a.md"),
        Segment("in a pdf", "data/r.pdf, page 1"),
    ]


def test_zip_reads_documents_inside(write: Callable[..., Path]) -> None:
    archive = zip_bytes(
        {
            "w/letter.docx": docx_bytes(lambda d: d.add_paragraph("Dear reader")),
            "site/index.html": b"<title>Home</title><p>Welcome</p>",
            "data/rows.csv": b"k,v\na,1\n",
        }
    )
    assert read(write(archive), "z.zip") == [
        Segment("Dear reader", "w/letter.docx"),
        Segment("Home\n\nWelcome", "site/index.html"),
        Segment("k: a; v: 1", "data/rows.csv, rows 1-1"),
    ]


def test_zip_reads_one_level_of_nested_zips(write: Callable[..., Path]) -> None:
    inner = zip_bytes({"notes/a.md": b"inner text"})
    outer = zip_bytes({"top.txt": b"outer text", "inner.zip": inner})
    assert read(write(outer), "o.zip") == [
        Segment("outer text", "top.txt"),
        Segment("inner text", "inner.zip/notes/a.md"),
    ]


def test_zip_nested_deeper_than_one_level_is_refused(write: Callable[..., Path]) -> None:
    deepest = zip_bytes({"a.txt": b"deep"})
    archive = zip_bytes({"one.zip": zip_bytes({"two.zip": deepest})})
    with pytest.raises(UnreadableDocument, match="only one level of nesting"):
        read(write(archive), "n.zip")


def test_zip_with_nothing_readable_names_what_it_skipped(write: Callable[..., Path]) -> None:
    archive = zip_bytes({"a.exe": b"MZ", "b.txt": b"\x00\x01\x02"})
    with pytest.raises(UnreadableDocument, match=r"no files with text.*a\.exe.*b\.txt is a binary"):
        read(write(archive), "z.zip")


@pytest.mark.parametrize(
    "member",
    ["../evil.txt", "/abs.txt", "C:\\x.txt", "a/../../b.txt", "..\\..\\evil.txt", "c:x.txt"],
)
def test_zip_slip_members_refuse_the_archive(write: Callable[..., Path], member: str) -> None:
    archive = zip_bytes({"fine.txt": b"fine", member: b"evil"})
    with pytest.raises(UnreadableDocument, match="unsafe path"):
        read(write(archive), "z.zip")


def test_zip_with_too_many_entries_is_refused(write: Callable[..., Path]) -> None:
    archive = raw_zip([stored(f"f{i}.txt", b"x") for i in range(1001)])
    with pytest.raises(UnreadableDocument, match="1,001 entries; the limit is 1,000"):
        read(write(archive), "z.zip")


def test_zip_bomb_is_refused_fast_and_small(write: Callable[..., Path], zip_bomb: bytes) -> None:
    path = write(zip_bomb)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(UnreadableDocument, match="zip bomb"):
            read(path, "bomb.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2
    assert peak < 20 * MB


def test_nested_zip_bomb_is_refused(write: Callable[..., Path], zip_bomb: bytes) -> None:
    archive = nested_zip_bomb(zip_bomb)
    started = time.monotonic()
    with pytest.raises(UnreadableDocument, match="zip bomb"):
        read(write(archive), "outer.zip")
    assert time.monotonic() - started < 2


def test_zip_members_are_measured_while_unpacked(write: Callable[..., Path]) -> None:
    # Each member is under the ratio floor, but together they pass the unpacked total.
    archive = zip_bytes({f"part{i}.txt": b"a" * MB for i in range(6)})
    with pytest.raises(UnreadableDocument, match="unpacks to more than the 5 MB limit"):
        read(write(archive), "z.zip", max_zip_total_bytes=5 * MB)


def test_zip_header_that_understates_a_member_is_caught(write: Callable[..., Path]) -> None:
    # The declared size says 10 bytes; the stream holds 2 MB. zipfile stops at the
    # declared size and the checksum then fails: the member is unreadable, never big.
    data, crc, _ = deflate_repeated(b"", b"b" * MB, 2, b"")
    archive = raw_zip([("liar.txt", data, zipfile.ZIP_DEFLATED, crc, 10), stored("ok.txt", b"ok")])
    assert read(write(archive), "z.zip") == [Segment("ok", "ok.txt")]


def test_text_budget_spans_all_members(write: Callable[..., Path]) -> None:
    archive = zip_bytes({f"{i}.txt": b"x" * 60 for i in range(3)})
    with pytest.raises(UnreadableDocument, match="more than 150 characters"):
        read(write(archive), "z.zip", max_text_chars=150)


# --- isolation ----------------------------------------------------------------------


def test_isolated_pdf_matches_in_process(write: Callable[..., Path]) -> None:
    path = write(text_pdf(["one", "two"]))
    assert extract_isolated(path, filename="r.pdf") == extract(path, filename="r.pdf")


def test_isolated_errors_come_back_with_class_and_message(write: Callable[..., Path]) -> None:
    path = write(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    with pytest.raises(UnreadableDocument) as here:
        extract(path, filename="bad.pdf")
    with pytest.raises(UnreadableDocument) as there:
        extract_isolated(path, filename="bad.pdf")
    assert type(there.value) is UnreadableDocument
    assert there.value.message == here.value.message


def test_isolated_reader_is_killed_at_the_deadline(write: Callable[..., Path]) -> None:
    path = write(slow_pdf(100_000))  # pypdf needs several seconds for this page
    started = time.monotonic()
    with pytest.raises(UnreadableDocument, match=r"slow\.pdf took longer than 0\.5 s to read"):
        extract_isolated(path, filename="slow.pdf", budget=Budget(timeout_s=0.5))
    assert time.monotonic() - started < 4


def test_isolated_reader_is_held_to_its_memory_cap(write: Callable[..., Path]) -> None:
    # 15 MB of page is read, decoded and parsed in several copies: more than 64 MB.
    path = write("<p>" + "word " * (3 * MB) + "</p>")
    with pytest.raises(
        UnreadableDocument, match=r"^big\.html needs more memory to read than allowed"
    ):
        extract_isolated(path, filename="big.html", budget=Budget(memory_mb=64))


def test_isolated_page_tree_loop_is_unreadable(write: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableDocument, match=r"loop\.pdf is not a PDF we can read.*cyclic"):
        extract_isolated(write(LOOP_PDF), filename="loop.pdf")


def test_isolated_zip_bomb_is_refused(write: Callable[..., Path], zip_bomb: bytes) -> None:
    with pytest.raises(UnreadableDocument, match="zip bomb"):
        extract_isolated(write(zip_bomb), filename="bomb.zip")


def test_cheap_kinds_are_read_without_a_process(
    write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(*args: object, **kwargs: object) -> object:
        raise AssertionError("started a process for a cheap kind")

    monkeypatch.setattr(extract_module, "call_isolated", no_process)
    path = write('{"a": 1}')
    assert extract_isolated(path, filename="d.json") == [Segment("a: 1")]


def test_isolated_extraction_from_worker_threads(tmp_path: Path) -> None:
    # As an asyncio server calls it: from worker threads, several at once.
    paths = []
    for i in range(3):
        path = tmp_path / f"doc{i}.pdf"
        path.write_bytes(text_pdf([f"document {i}"]))
        paths.append(path)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda p: extract_isolated(p, filename=p.name), paths))
    assert results == [[Segment(f"document {i}", "page 1")] for i in range(3)]


# --- extractors from plugins ---------------------------------------------------------


class Shouting(Extractor):
    """A third-party reader: module-level, so the isolated child can unpickle it."""

    kinds = ("shout",)
    extensions: ClassVar[Mapping[str, str]] = {"shout": "shout", "xlsx": "shout"}
    zip_container = True

    def read(self, data: bytes, job: Extraction) -> list[Segment]:
        if data.startswith(b"PK"):
            return job.segment("A ZIP PACKAGE")
        if data == b"bad":
            raise BadFile("is not loud enough")
        return job.segment(data.decode().upper())


def test_builtin_extractors_are_registered_by_kind() -> None:
    registry = load_plugins().extractors
    readers = readers_from(registry)
    assert readers == dict(DEFAULT_READERS)
    assert list(readers) == list(DEFAULT_READERS)  # same order: same list of extensions
    assert registry.get("markdown") is registry.get("code")  # one reader, several kinds


def test_a_plugin_extractor_reads_its_kind_alone_and_inside_archives(
    write: Callable[..., Path],
) -> None:
    plugins = load_plugins()
    plugins.extractors.register("shout", Shouting())
    readers = readers_from(plugins.extractors)
    assert kind_of("a.SHOUT", readers=readers) == "shout"
    assert kind_of("a.shout") is None  # the built-in table is unchanged
    assert kind_of("book.xlsx", b"PK\x03\x04", readers=readers) == "shout"
    path = write(b"hello")
    assert extract(path, filename="a.shout", readers=readers) == [Segment("HELLO")]
    with pytest.raises(UnsupportedType, match=r"\.shout"):
        extract(write(b"x"), filename="a.bin", readers=readers)
    with pytest.raises(UnreadableDocument, match=r"^a\.shout is not loud enough$"):
        extract_isolated(write(b"bad"), filename="a.shout", readers=readers)
    archive = write(zip_bytes({"a.shout": b"hi", "b.txt": b"plain", "c.xlsx": zip_bytes({})}))
    expected = [
        Segment("HI", "a.shout"),
        Segment("plain", "b.txt"),
        Segment("A ZIP PACKAGE", "c.xlsx"),
    ]
    # The zip reader is isolated: the child gets the same table, plugin included.
    assert extract_isolated(archive, filename="a.zip", readers=readers) == expected
    assert extract(archive, filename="a.zip", readers=readers) == expected


def test_readers_without_a_kind_leave_it_unsupported(write: Callable[..., Path]) -> None:
    plugins = Plugins()
    plugins.extractors.register("shout", Shouting())
    readers = readers_from(plugins.extractors)
    assert kind_of("doc.pdf", b"%PDF-1.7", readers=readers) is None
    with pytest.raises(UnsupportedType) as raised:
        extract(write(b"hi"), filename="a.txt", readers=readers)
    assert raised.value.message.endswith("Supported: .shout, .xlsx")
