"""`vega curate list|review|show|set`: one job each, the same results as the old form
(tests/integration/test_curate_cli.py) on the same data dir."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fixtures.dataset.logged import T0, Logged, log_conversation
from tests.helpers import db_rows
from tests.support.cli import Vega, in_process_vega
from vega.runtime import build
from vega.settings import load_settings

KEY = "vega-curate-subcommands-key-0123456789"
DAY = timedelta(days=1)


@pytest.fixture
def vega(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    store_settings: dict[str, str],
) -> Vega:
    return in_process_vega(monkeypatch, capsys, tmp_path, KEY, **store_settings)


@pytest.fixture
def replies(vega: Vega) -> dict[str, str]:
    runtime = build(load_settings(_env_file=None))
    try:
        logged = [
            Logged("done already", "R1", rating=5, reviewed=True, at=T0),
            Logged("from the api", "R2", source="api", at=T0 + DAY),
            Logged("from a socket", "R3", source="ws", at=T0 + 2 * DAY),
        ]
        _, ids = log_conversation(runtime.db, runtime.owner.key_id, logged)
    finally:
        asyncio.run(runtime.aclose())
    return {t.prompt: i for t, i in zip(logged, ids, strict=True)}


def test_list_is_the_old_listing(vega: Vega, replies: dict[str, str]) -> None:
    for args in ([], ["--all", "--json"], ["--source", "ws", "--json"], ["--rating", "1"]):
        new, old = vega("curate", "list", *args), vega("curate", *args)
        assert new.code == old.code == 0, new.err
        assert (new.out, new.err) == (old.out, old.err), args
    assert [t["prompt"] for t in vega("curate", "list", "--json").json()] == [
        "from the api",
        "from a socket",
    ]


def test_set_changes_only_what_it_names_and_show_shows_it(
    vega: Vega, replies: dict[str, str], tmp_path: Path
) -> None:
    reply = replies["from the api"]

    rated = vega("curate", "set", reply, "--rate", "-1", "--tag", "wrong", "--json").json()
    noted = vega("curate", "set", reply, "--note", "Off topic.", "--reviewed", "--json").json()

    assert (rated["rating"], rated["tags"], rated["notes"], rated["reviewed"]) == (
        -1,
        ["wrong"],
        None,
        False,
    )
    assert (noted["rating"], noted["tags"], noted["notes"], noted["reviewed"]) == (
        -1,
        ["wrong"],
        "Off topic.",
        True,
    )
    assert vega("curate", "show", reply, "--json").json() == noted
    shown = vega("curate", "show", reply)
    assert shown.out.startswith(f"{reply} · ") and "prompt:\nfrom the api\n" in shown.out
    # Two changes, two audit entries; showing writes nothing.
    audit = db_rows(tmp_path / "data", "SELECT action FROM audit_log WHERE target = ?", reply)
    assert audit == [{"action": "message.feedback"}] * 2
    assert "from the api" not in [t["prompt"] for t in vega("curate", "list", "--json").json()]


def test_review_goes_through_the_listed_turns(vega: Vega, replies: dict[str, str]) -> None:
    result = vega("curate", "review", "--source", "ws", stdin="4\nchecked\nFine.\n")

    assert result.code == 0, result.err
    assert (
        "[1/1]" in result.out and "Saved: rating 4 · tags checked · note · reviewed." in result.out
    )
    assert "Reviewed 1, skipped 0, not reached 0." in result.err
    assert vega("curate", "show", replies["from a socket"], "--json").json()["reviewed"] is True


def test_a_subcommand_refuses_the_options_of_another(vega: Vega, replies: dict[str, str]) -> None:
    for args in (
        ["list", "--rate", "3"],
        ["review", "--json"],
        ["set", replies["from the api"], "--all"],
        ["show"],
    ):
        result = vega("curate", *args)
        assert result.code == 1, args
        assert "Traceback" not in result.out + result.err
