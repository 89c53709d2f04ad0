"""`vega dataset build` as a person runs it: the real Typer app and its error handling
(``vega.cli.main.main``) in this process, plus the console script in a subprocess; real
fixture files and a real SQLite data dir with logged turns of chosen ratings."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.dataset.logged import T0, Logged, add_owner, log_conversation
from tests.support.cli import Vega, in_process_vega
from tests.support.server import run_cli, vega_env
from vega.runtime import build
from vega.settings import load_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dataset"
KEY = "vega-dataset-cli-key-0123456789abcdef"


@pytest.fixture
def vega(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    store_settings: dict[str, str],
) -> Vega:
    return in_process_vega(monkeypatch, capsys, tmp_path, KEY, **store_settings)


def seed(*conversations: list[Logged], other_owner: list[Logged] | None = None) -> list[str]:
    """Log turns as the CLI's own key (the primary key of these settings); reply ids, in order."""
    runtime = build(load_settings(_env_file=None))
    try:
        ids: list[str] = []
        for turns in conversations:
            ids += log_conversation(runtime.db, runtime.owner.key_id, turns)[1]
        if other_owner:
            log_conversation(runtime.db, add_owner(runtime.db, "someone-else"), other_owner)
        return ids
    finally:
        asyncio.run(runtime.aclose())


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- files ---------------------------------------------------------------------------


def test_build_reads_every_format_and_reports_what_it_dropped(vega: Vega, tmp_path: Path) -> None:
    result = vega("dataset", "build", str(FIXTURES), "-o", "out/ds.jsonl")

    assert result.code == 0, result.err
    written = jsonl(tmp_path / "out" / "ds.jsonl")
    assert len(written) == 18
    assert {"prompt": "What is Vega?", "response": written[3]["response"]} in written
    assert (
        "Read 31, kept 18, dropped 13 (empty 2, non_text 1, duplicate 2, malformed 8)."
        in result.out
    )
    assert "Wrote 18 examples (pair) to out/ds.jsonl" in result.out
    assert f"{FIXTURES / 'chat.jsonl'} line 5: malformed: not valid JSON" in result.out
    assert f"{FIXTURES / 'table.csv'} line 5: malformed: 4 fields" in result.out
    # A build from files opens no database: the data dir is not even created.
    assert not (tmp_path / "data").exists()


def test_build_json_report_with_chat_format_and_a_split(vega: Vega, tmp_path: Path) -> None:
    result = vega(
        "dataset", "build", str(FIXTURES / "mixed.json"), str(FIXTURES / "questions.csv"),
        "--format", "chat", "--val-split", "0.3", "--seed", "1", "--json",
    )  # fmt: skip

    assert result.code == 0, result.err
    report = json.loads(result.out)  # stdout is nothing but the report
    assert (report["read"], report["kept"], report["format"]) == (10, 7, "chat")
    assert report["dropped"] == {
        "empty": 0,
        "too_long": 0,
        "non_text": 1,
        "duplicate": 0,
        "malformed": 2,
        "no_model": 0,
    }
    assert [(o["split"], o["path"], o["records"]) for o in report["outputs"]] == [
        ("train", "datasets/output.train.jsonl", 5),
        ("val", "datasets/output.val.jsonl", 2),
    ]
    assert {"source": str(FIXTURES / "mixed.json"), "where": "item 6", "reason": "non_text",
            "detail": "response is not text: a JSON number"} in report["problems"]  # fmt: skip
    train = jsonl(tmp_path / "datasets" / "output.train.jsonl")
    val = jsonl(tmp_path / "datasets" / "output.val.jsonl")
    assert len(train) + len(val) == 7
    assert all(r["messages"][-1]["role"] == "assistant" for r in train + val)
    assert not (tmp_path / "datasets" / "output.jsonl").exists()


def test_pii_masking_follows_the_setting_unless_overridden(
    vega: Vega, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "pii.jsonl"
    source.write_text(json.dumps({"prompt": "I am ann@example.com", "response": "Noted."}) + "\n")

    assert vega("dataset", "build", str(source), "-o", "plain.jsonl").code == 0
    assert vega("dataset", "build", str(source), "-o", "flag.jsonl", "--mask-pii").code == 0
    monkeypatch.setenv("VEGA_PII_MASKING", "true")
    assert vega("dataset", "build", str(source), "-o", "setting.jsonl").code == 0
    assert vega("dataset", "build", str(source), "-o", "off.jsonl", "--no-mask-pii").code == 0

    prompts = {
        name: jsonl(tmp_path / f"{name}.jsonl")[0]["prompt"]
        for name in ("plain", "flag", "setting", "off")
    }
    assert prompts == {
        "plain": "I am ann@example.com",
        "flag": "I am [EMAIL]",
        "setting": "I am [EMAIL]",
        "off": "I am ann@example.com",
    }


# --- logged turns --------------------------------------------------------------------


def test_from_logs_filters_turns_by_rating_review_tags_and_dates(
    vega: Vega, tmp_path: Path
) -> None:
    day = T0.replace(hour=0)
    seed(
        [
            Logged("great, reviewed", "A5", rating=5, reviewed=True, tags=["good"], at=T0),
            Logged("good", "A4", rating=4, tags=["good", "short"], at=T0.replace(day=2)),
            Logged("meh", "A2", rating=2, at=T0.replace(day=3)),
            Logged("unrated", "A?", at=T0.replace(day=4)),
            Logged("thumbs down", "A-1", rating=-1, reviewed=True, at=T0.replace(day=5)),
        ],
        [Logged("failed but rated", "oops", rating=5, status="error", at=day)],
        [Logged("cancelled but rated", "half", rating=5, status="cancelled", at=day)],
        other_owner=[Logged("not mine", "A5", rating=5, reviewed=True)],
    )

    def prompts(*args: str) -> list[str]:
        result = vega("dataset", "build", "--from-logs", "-o", "logs.jsonl", *args)
        assert result.code == 0, result.err
        return [r["prompt"] for r in jsonl(tmp_path / "logs.jsonl")]

    assert prompts() == ["great, reviewed", "good", "meh", "unrated", "thumbs down"]
    assert prompts("--min-rating", "4") == ["great, reviewed", "good"]
    assert prompts("--min-rating", "4", "--reviewed-only") == ["great, reviewed"]
    assert prompts("--reviewed-only") == ["great, reviewed", "thumbs down"]
    assert prompts("--tag", "good", "--tag", "short") == ["good"]
    assert prompts("--since", "2024-05-02", "--until", "2024-05-04") == ["good", "meh", "unrated"]

    # Files and logs together, in one report.
    result = vega(
        "dataset", "build", str(FIXTURES / "questions.csv"), "--from-logs", "--min-rating", "5",
        "--json", "-o", "both.jsonl",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [(s["source"], s["read"], s["kept"]) for s in report["sources"]] == [
        (str(FIXTURES / "questions.csv"), 1, 1),
        ("logs", 1, 1),
    ]
    assert jsonl(tmp_path / "both.jsonl") == [
        {"prompt": "Is SQLite the default?", "response": "Yes."},
        {"prompt": "great, reviewed", "response": "A5"},
    ]


def test_replies_no_model_wrote_never_become_training_data(vega: Vega, tmp_path: Path) -> None:
    """With no model connected (VEGA_LLM_BACKEND=none, as here), `vega chat` answers with
    Vega's own retrieval-only text; a dataset from those logs must not teach it."""
    seed([Logged("a model's turn", "A real answer.", rating=5)])
    asked = vega("chat", "what is in my notes?", "--no-stream")
    assert asked.code == 0, asked.err
    assert "No language model is connected" in asked.out

    result = vega("dataset", "build", "--from-logs", "-o", "logs.jsonl", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["dropped"]["no_model"] == 1
    assert jsonl(tmp_path / "logs.jsonl") == [
        {"prompt": "a model's turn", "response": "A real answer."}
    ]


# --- mistakes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.jsonl"], "nope.jsonl: no such file or folder."),
        ([str(FIXTURES.parent.parent / "conftest.py")], "no dataset loader for files '.py'. Known: .csv, .json, .jsonl, .markdown, .md, .ndjson, .txt."),
        ([], "Nothing to read: name files or folders, or use logged turns (--from-logs)."),
        ([str(FIXTURES / "qa.txt"), "-o", "."], ". is a folder: give the output a file name"),
        ([str(FIXTURES / "qa.txt"), "--min-rating", "3", "--tag", "x"], "--min-rating, --tag: only with --from-logs"),
        ([str(FIXTURES / "qa.txt"), "--format", "alpaca"], "Unknown format 'alpaca'. Available: pair, chat."),
        ([str(FIXTURES / "qa.txt"), "--val-split", "1.5"], "less than 1"),
        (["--from-logs", "--since", "last week"], "'last week' is not a date"),
        (["--from-logs", "--min-rating", "7"], "min rating must be between -1 and 5."),
        (["--from-logs"], "No examples to write: no records in logs (no logged turn matches the filters)."),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_and_exit_1(
    vega: Vega, tmp_path: Path, args: list[str], message: str
) -> None:
    line = vega("dataset", "build", *args).error_line()
    assert message in line
    assert not (tmp_path / "datasets").exists()  # nothing written


def test_no_examples_left_is_an_error(vega: Vega, tmp_path: Path) -> None:
    blob = tmp_path / "blob.md"
    blob.write_bytes(b"\x00\x01\x02")
    line = vega("dataset", "build", str(blob), "-o", "out.jsonl").error_line()
    assert line == "error: No examples to write: all 1 records read were dropped (1 non_text)."
    assert not (tmp_path / "out.jsonl").exists()


def test_the_console_script(tmp_path: Path) -> None:
    """The real `vega` process: exit codes and output as a shell sees them."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = vega_env(data_dir, api_key=KEY, llm_backend="none")

    runs = (
        ["dataset", "build", str(FIXTURES), "-o", str(tmp_path / "ds.jsonl"), "--json"],
        ["dataset", "build", str(FIXTURES / "nope.csv")],
    )
    with ThreadPoolExecutor() as pool:  # two processes side by side: half the wait
        ok, bad = pool.map(lambda args: run_cli(args, env), runs)

    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["kept"] == 18 == len(jsonl(tmp_path / "ds.jsonl"))
    assert (bad.returncode, bad.stderr.strip()) == (
        1,
        f"error: {FIXTURES / 'nope.csv'}: no such file or folder.",
    )
