"""build_dataset end to end on real files: what is kept, what is dropped and why, the
JSONL written (pair and chat), PII masking, deduplication and the train/validation split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vega.dataset.build import BuildOptions, Report, build_dataset, dedupe_key, split_indices
from vega.dataset.sources import file_sources
from vega.errors import BadInput
from vega.plugins import load_plugins

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dataset"
LOADERS = load_plugins().loaders


def build(paths: list[Path], **options: Any) -> Report:
    opts = BuildOptions(**options)
    return build_dataset(file_sources(paths, LOADERS, exclude=opts.targets().values()), opts)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_every_fixture_format_into_one_dataset(tmp_path: Path) -> None:
    output = tmp_path / "out" / "all.jsonl"  # the folder is created

    report = build([FIXTURES], output=output)

    names = {Path(s.source).name: (s.read, s.kept) for s in report.sources}
    assert names == {
        "chat.jsonl": (8, 3),
        "faq.md": (4, 3),
        "mixed.json": (9, 5),  # "Say hello." is a duplicate of chat.jsonl's
        "qa.txt": (5, 3),
        "questions.csv": (1, 1),
        "table.csv": (4, 3),
    }
    assert (report.read, report.kept) == (31, 18)
    assert report.dropped == {
        "empty": 2,
        "too_long": 0,
        "non_text": 1,
        "duplicate": 2,
        "malformed": 8,
        "no_model": 0,
    }
    written = lines(output)
    assert len(written) == 18 and all(set(r) == {"prompt", "response"} for r in written)
    assert written[:3] == [
        {"prompt": "What is WAL mode?", "response": "SQLite's write-ahead log."},
        {"prompt": "Ping?", "response": "Pong."},
        {"prompt": "Say hello.", "response": "hello!"},
    ]
    assert {"prompt": "Write two lines.", "response": "Line one.\nLine two."} in written
    assert report.outputs[0].split == "all" and report.outputs[0].records == 18
    assert [p.name for p in output.parent.iterdir()] == ["all.jsonl"]  # no temporary file left

    problems = {(Path(p.source).name, p.where): (p.reason, p.detail) for p in report.problems}
    assert problems[("chat.jsonl", "line 5")] == ("malformed", "not valid JSON: Expecting value")
    assert problems[("chat.jsonl", "line 6")] == ("empty", "no response")
    assert problems[("chat.jsonl", "line 9")] == (
        "duplicate",
        f"same as {FIXTURES / 'chat.jsonl'} line 4",
    )
    assert problems[("mixed.json", "item 6")][0] == "non_text"
    assert problems[("table.csv", "line 5")][0] == "malformed"
    assert len(report.problems) == 13 and report.problems_omitted == 0


def test_chat_format_keeps_the_system_message(tmp_path: Path) -> None:
    output = tmp_path / "chat.jsonl"

    build([FIXTURES / "mixed.json"], output=output, format="chat")

    written = lines(output)
    assert written[0] == {
        "messages": [
            {"role": "user", "content": "Say hello."},
            {"role": "assistant", "content": "Hello!"},
        ]
    }
    assert written[4] == {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "2 + 2?"},
            {"role": "assistant", "content": "4"},
        ]
    }


def test_validation_trims_and_measures_each_side(tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.jsonl",
        [
            {"prompt": "  padded  ", "response": "\n ten chars \n"},
            {"prompt": "x" * 11, "response": "fits"},
            {"prompt": "fits", "response": "y" * 11},
            {"prompt": "ok", "response": "r", "system": "z" * 11},
            {"prompt": "", "response": "no prompt"},
            {"prompt": "0123456789", "response": "9876543210"},  # exactly the limit
        ],
    )

    report = build([source], output=tmp_path / "o.jsonl", max_chars=10, format="chat")

    assert report.dropped["too_long"] == 3
    assert report.dropped["empty"] == 1
    assert [p.detail for p in report.problems if p.reason == "too_long"] == [
        "the prompt has 11 characters (max 10)",
        "the response has 11 characters (max 10)",
        "the system has 11 characters (max 10)",
    ]
    assert lines(tmp_path / "o.jsonl") == [
        {
            "messages": [
                {"role": "user", "content": "padded"},
                {"role": "assistant", "content": "ten chars"},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "0123456789"},
                {"role": "assistant", "content": "9876543210"},
            ]
        },
    ]


def test_duplicates_ignore_case_and_whitespace_but_not_words(tmp_path: Path) -> None:
    assert dedupe_key("Say  Hello.\n", "OK") == dedupe_key("say hello.", "ok")
    assert dedupe_key("ab", "c") != dedupe_key("a", "bc")
    source = write(
        tmp_path / "in.jsonl",
        [
            {"prompt": "Say Hello", "response": "Hi"},
            {"prompt": "say   hello", "response": "HI"},
            {"prompt": "say hello", "response": "Hi there"},
        ],
    )

    report = build([source], output=tmp_path / "o.jsonl")

    assert report.dropped["duplicate"] == 1
    assert [r["response"] for r in lines(tmp_path / "o.jsonl")] == ["Hi", "Hi there"]


def test_pii_is_masked_before_deduplication(tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.jsonl",
        [
            {"prompt": "Mail ann@example.com", "response": "Call +44 20 7946 0958"},
            {"prompt": "Mail bob@example.org", "response": "Call +44 20 7946 0000"},
            {"prompt": "Nothing personal", "response": "Fine."},
        ],
    )

    masked = build([source], output=tmp_path / "masked.jsonl", mask_pii=True)
    plain = build([source], output=tmp_path / "plain.jsonl")

    assert lines(tmp_path / "masked.jsonl") == [
        {"prompt": "Mail [EMAIL]", "response": "Call [PHONE]"},
        {"prompt": "Nothing personal", "response": "Fine."},
    ]
    assert (masked.masked, masked.dropped["duplicate"]) == (1, 1)
    assert lines(tmp_path / "plain.jsonl")[0]["prompt"] == "Mail ann@example.com"
    assert (plain.masked, plain.kept) == (0, 3)


def test_split_is_by_seed_and_writes_train_and_val_beside_the_output(tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.jsonl", [{"prompt": f"q{i}", "response": f"a{i}"} for i in range(20)]
    )
    output = tmp_path / "ds.jsonl"

    report = build([source], output=output, val_split=0.25, seed=7)

    train, val = tmp_path / "ds.train.jsonl", tmp_path / "ds.val.jsonl"
    assert not output.exists()
    assert [(o.split, o.path, o.records) for o in report.outputs] == [
        ("train", train, 15),
        ("val", val, 5),
    ]
    train_prompts = [r["prompt"] for r in lines(train)]
    val_prompts = [r["prompt"] for r in lines(val)]
    assert sorted(train_prompts + val_prompts) == sorted(f"q{i}" for i in range(20))
    assert train_prompts == sorted(train_prompts, key=lambda p: int(p[1:]))  # sources' order

    again = build([source], output=output, val_split=0.25, seed=7)
    assert again.outputs[1].records == 5 and [r["prompt"] for r in lines(val)] == val_prompts
    build([source], output=output, val_split=0.25, seed=8)
    assert [r["prompt"] for r in lines(val)] != val_prompts


def test_split_sizes() -> None:
    assert split_indices(10, 0.0, 0) == set()
    assert split_indices(1, 0.5, 0) == set()  # one example: all of it trains
    assert len(split_indices(10, 0.01, 0)) == 1  # at least one held out
    assert len(split_indices(2, 0.9, 0)) == 1  # never all of them
    assert split_indices(100, 0.1, 3) == split_indices(100, 0.1, 3)


def test_nothing_left_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    empty = write(tmp_path / "e.jsonl", [{"prompt": "q", "response": " "}])
    output = tmp_path / "out.jsonl"

    with pytest.raises(BadInput, match=r"all 2 records read were dropped \(1 empty, 1 non_text\)"):
        build([binary, empty], output=output)
    assert not output.exists()
    (tmp_path / "blank.jsonl").write_text("\n\n")
    with pytest.raises(BadInput, match="no records in"):
        build([tmp_path / "blank.jsonl"], output=output)


def test_bad_options_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    with pytest.raises(BadInput, match="is a folder"):
        build([tmp_path / "missing.jsonl"], output=folder)
    with pytest.raises(BadInput, match="Available: pair, chat"):
        BuildOptions(format="alpaca").targets()
    with pytest.raises(BadInput, match="less than 1"):
        BuildOptions(val_split=1.0).targets()
    with pytest.raises(BadInput, match="at least 1"):
        BuildOptions(max_chars=0).targets()
