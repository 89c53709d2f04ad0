"""Each dataset file convention, read by its loader from the fixture files in
tests/fixtures/dataset/, and the loader registry that picks them by extension."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from vega.dataset.csv_rows import CsvFile
from vega.dataset.json_records import JsonFile, JsonLinesFile
from vega.dataset.loaders import Loader, TextLoader
from vega.dataset.records import Candidate, Example, Rejected
from vega.dataset.sources import file_sources
from vega.dataset.text_pairs import QuestionsAndHeadings
from vega.errors import BadInput, ConfigError
from vega.plugins import load_plugins

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dataset"


def read(loader: Loader, name: str) -> list[Candidate]:
    return list(loader.load(FIXTURES / name))


def parse(loader: TextLoader, text: str) -> list[Candidate]:
    return list(loader.parse(text))


# --- text and Markdown ---------------------------------------------------------------


def test_questions_and_answers_in_text() -> None:
    assert read(QuestionsAndHeadings(), "qa.txt") == [
        Rejected("malformed", "an answer with no question", "line 3"),
        Example(
            "How do I reset my password?",
            "Open Settings, choose Security, then Reset password.\n"
            "You will get an e-mail with a link.",
            where="line 6",
        ),
        Example(
            "What does the circuit breaker do?",
            "It stops calling a failing model server for a while.",
            where="line 10",
        ),
        Rejected("malformed", "a question with no answer", "line 13"),
        Example(
            "Where are conversations stored?",  # written **Q:** ... **A:** ...
            "In vega.db, under the data directory.",
            where="line 15",
        ),
    ]


def test_markdown_second_level_headings_are_prompts() -> None:
    assert read(QuestionsAndHeadings(), "faq.md") == [
        Example(
            "What is Vega?",
            "A local-first AI assistant server.\n\nIt logs every exchange to a database you own.",
            where="line 5",
        ),
        Example(
            "How do I add documents?",
            "Run this:\n\n```sh\n## this line is code, not a heading\nvega docs add ~/notes\n```"
            "\n\n### Details\n\nFolders are read recursively.",
            where="line 11",
        ),
        Example("An empty section", "", where="line 24"),  # the builder drops it as empty
        Example("Which port does it use?", "8000 by default.", where="line 30"),
    ]


def test_text_conventions_in_detail() -> None:
    loader = QuestionsAndHeadings()
    # Windows line endings; a marker in a code fence is text; a second answer has no question.
    text = "Q: one\r\nA: first\r\n```\r\nQ: not a marker\r\n```\r\nA: second\r\n"
    assert parse(loader, text) == [
        Example("one", "first\n```\nQ: not a marker\n```", where="line 1"),
        Rejected("malformed", "an answer with no question", "line 6"),
    ]
    # Questions win over headings in the same file.
    assert parse(loader, "## Heading\nQ: asked\nA: answered\n") == [
        Example("asked", "answered", where="line 2")
    ]
    assert parse(loader, "Just some prose.\n\nNo markers.\n") == [
        Rejected("malformed", "no 'Q:'/'A:' pairs and no '## ' headings")
    ]
    assert parse(loader, "### Third level\nbody\n") == [
        Rejected("malformed", "no 'Q:'/'A:' pairs and no '## ' headings")
    ]


# --- JSON and JSON Lines ---------------------------------------------------------------


def test_json_list_of_every_shape() -> None:
    assert read(JsonFile(), "mixed.json") == [
        Example("Say hello.", "Hello!", where="item 1"),
        Example("Translate to French.\n\nGood morning", "Bonjour", where="item 2"),  # Alpaca
        Example("Name a prime number.", "Seven.", where="item 3"),  # Alpaca, empty input
        Example("What colour is the sky?", "Blue, on a clear day.", where="item 4"),
        Example("2 + 2?", "4", system="You are terse.", where="item 5"),
        Example("And 3 + 3?", "6", system="You are terse.", where="item 5, turn 2"),
        Rejected("non_text", "response is not text: a JSON number", "item 6"),
        Rejected(
            "malformed",
            "expected prompt/response, question/answer, instruction/output or messages; keys: body, title",
            "item 7",
        ),
        Rejected(
            "malformed",
            "expected an object with prompt/response, question/answer, instruction/output or messages",
            "item 8",
        ),
    ]


def test_json_lines_bad_lines_are_counted_with_their_numbers() -> None:
    assert read(JsonLinesFile(), "chat.jsonl") == [
        Example("What is WAL mode?", "SQLite's write-ahead log.", where="line 1"),
        Example("Ping?", "Pong.", where="line 2"),  # prompt/completion
        Example("Say hello.", "hello!", where="line 4"),  # line 3 is blank
        Rejected("malformed", "not valid JSON: Expecting value", "line 5"),
        Example("An empty reply", "   ", where="line 6"),
        Rejected(
            "malformed",
            "expected an object with prompt/response, question/answer, instruction/output or messages",
            "line 7",
        ),
        Rejected("malformed", "no user message answered by an assistant message", "line 8"),
        Example("  SAY   hello. ", "Hello!", where="line 9"),
    ]


def test_json_details() -> None:
    one = {"prompt": "p", "response": "r", "system": "s"}
    assert parse(JsonFile(), json.dumps(one)) == [Example("p", "r", system="s")]
    assert parse(JsonFile(), '{"prompt": "p",\n "response": }') == [
        Rejected("malformed", "not valid JSON: Expecting value", "line 2")
    ]
    # U+2028 is legal raw inside a JSON string: it does not end a JSON Lines record.
    assert parse(JsonLinesFile(), '{"prompt": "a\u2028b", "response": "c"}\n') == [
        Example("a\u2028b", "c", where="line 1")
    ]
    image = {"type": "image_url", "image_url": {"url": "x"}}
    chat = {
        "messages": [{"role": "user", "content": [image]}, {"role": "assistant", "content": "a"}]
    }
    assert parse(JsonFile(), json.dumps(chat)) == [
        Rejected("non_text", "prompt is not text: a content part of type 'image_url'")
    ]
    alpaca = {"instruction": "i", "input": ["x"], "output": "o"}
    assert parse(JsonFile(), json.dumps(alpaca)) == [
        Rejected("non_text", "input is not text: a content part of type 'str'")
    ]
    bad_roles = {"messages": [{"content": "no role"}]}
    assert parse(JsonFile(), json.dumps(bad_roles)) == [
        Rejected("malformed", "messages must be a list of {role, content} objects")
    ]
    nul = {"prompt": "a\u0000b", "response": "c"}
    assert parse(JsonFile(), json.dumps(nul)) == [
        Rejected("non_text", "prompt is not text: has NUL bytes")
    ]
    # Only the user message right before a reply is its prompt.
    chat = {
        "messages": [
            {"role": "assistant", "content": "Hi, how can I help?"},
            {"role": "user", "content": "first try"},
            {"role": "user", "content": "second try"},
            {"role": "assistant", "content": "answer"},
        ]
    }
    assert parse(JsonFile(), json.dumps(chat)) == [Example("second try", "answer")]


# --- CSV ------------------------------------------------------------------------------


def test_csv_rows_with_quoting_and_a_bad_row() -> None:
    assert read(CsvFile(), "table.csv") == [
        Example("What is 2,5 in English notation?", "Two point five.", where="line 2"),
        Example("Write two lines.", "Line one.\nLine two.", where="line 3"),
        Rejected(
            "malformed", "4 fields where the header has 3 (quote fields with commas)", "line 5"
        ),
        Example("Which key does the CLI use?", "The primary key.", where="line 7"),
    ]
    assert read(CsvFile(), "questions.csv") == [
        Example("Is SQLite the default?", "Yes.", where="line 2")
    ]


def test_csv_header_must_name_the_columns(tmp_path: Path) -> None:
    assert parse(CsvFile(), "title,body\nx,y\n") == [
        Rejected(
            "malformed",
            "the header needs prompt,response (or question,answer) columns; found: title, body",
            "line 1",
        )
    ]
    # A spreadsheet's export: a byte-order mark, Windows line ends, any case, a system column.
    path = tmp_path / "export.csv"
    path.write_bytes("System,Prompt,Completion\r\nBe brief.,Hi?,Hello.\r\n".encode("utf-8-sig"))
    assert list(CsvFile().load(path)) == [
        Example("Hi?", "Hello.", system="Be brief.", where="line 2")
    ]


# --- binary files ------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"Q: a\x00\nA: b\n", b"Q: caf\xe9\nA: b\n"])
def test_a_binary_file_is_one_non_text_record(tmp_path: Path, data: bytes) -> None:
    for loader, name in ((QuestionsAndHeadings(), "x.txt"), (JsonLinesFile(), "x.jsonl")):
        path = tmp_path / name
        path.write_bytes(data)
        assert list(loader.load(path)) == [
            Rejected("non_text", "binary file (NUL bytes, or not UTF-8)")
        ]


# --- the registry ----------------------------------------------------------------------


class TabSeparated(Loader):
    """A third-party loader, as a plugin would write it."""

    extensions = ("tsv",)

    def load(self, path: Path) -> Iterator[Candidate]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            prompt, _, response = line.partition("\t")
            yield Example(prompt, response, where=f"row {number}")


def test_loaders_are_registered_per_extension_and_plugins_add_more(tmp_path: Path) -> None:
    plugins = load_plugins()
    assert set(plugins.loaders) >= {"txt", "md", "json", "jsonl", "csv"}
    assert isinstance(plugins.loaders.get("md"), QuestionsAndHeadings)
    with pytest.raises(ConfigError, match="registered twice"):
        plugins.loaders.register("csv", CsvFile())

    plugins.loaders.register("tsv", TabSeparated())
    (tmp_path / "pairs.TSV").write_text("ping\tpong\n")
    (sources,) = file_sources([tmp_path / "pairs.TSV"], plugins.loaders)
    assert list(sources.read()) == [Example("ping", "pong", where="row 1")]


def test_file_sources_walk_folders_and_refuse_what_they_cannot_read(tmp_path: Path) -> None:
    loaders = load_plugins().loaders
    for name in ("b.md", "a/c.jsonl", "a/skip.pdf", ".hidden/d.txt", "a/.e.csv", "out.jsonl"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")

    found = file_sources([tmp_path, tmp_path / "b.md"], loaders, exclude=[tmp_path / "out.jsonl"])

    assert [Path(s.name).relative_to(tmp_path).as_posix() for s in found] == ["a/c.jsonl", "b.md"]
    with pytest.raises(BadInput, match=r"nope\.txt: no such file or folder"):
        file_sources([tmp_path / "nope.txt"], loaders)
    with pytest.raises(
        BadInput, match=r"no dataset loader for files '\.pdf'\. Known: .*\.csv.*\.jsonl"
    ):
        file_sources([tmp_path / "a" / "skip.pdf"], loaders)
