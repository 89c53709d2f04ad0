"""`vega curate`'s form from before the subcommands, read as the subcommand it means."""

from __future__ import annotations

import pytest

from vega.cli.curate import old_form, with_old_form
from vega.errors import BadInput


@pytest.mark.parametrize(
    ("args", "meant"),
    [
        ([], ["list"]),
        (["--json", "--all"], ["list", "--json", "--all"]),
        (["--rating", "4", "--tag", "good"], ["list", "--rating", "4", "--tag", "good"]),
        (["--session=abc", "--limit", "1"], ["list", "--session=abc", "--limit", "1"]),
        (["-i", "--source", "api"], ["review", "--source", "api"]),
        (["--interactive", "--limit", "3"], ["review", "--limit", "3"]),
        (["ID"], ["set", "ID"]),
        (["ID", "--json"], ["set", "ID", "--json"]),
        (
            ["ID", "--rate", "-1", "--tag", "x", "--untag", "y", "--note", "", "--reviewed"],
            ["set", "ID", "--rate", "-1", "--tag", "x", "--untag", "y", "--note", "", "--reviewed"],
        ),
        (["--rate", "4", "ID"], ["set", "ID", "--rate", "4"]),
        (["--", "-odd-id"], ["set", "-odd-id"]),
        (["--bogus"], ["list", "--bogus"]),  # refused by `list`, as any unknown option
        (["--limit"], ["list", "--limit"]),  # the missing value is `list`'s to report
    ],
)  # fmt: skip
def test_the_old_form_is_the_subcommand_it_means(args: list[str], meant: list[str]) -> None:
    assert old_form(args) == meant


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ID", "--all", "--since", "2024-01-01"], "--since, --all: only for listing turns"),
        (["ID", "-i"], "--interactive: only for listing turns"),
        (["--rate", "3"], "--rate, --untag, --note and --reviewed change one reply"),
        (["--unreviewed"], "give its MESSAGE_ID"),
        (["-i", "--json"], "--interactive asks questions; it has no --json output."),
    ],
)
def test_mixing_the_modes_is_refused(args: list[str], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        old_form(args)


def test_only_curate_without_a_subcommand_is_rewritten() -> None:
    assert with_old_form(["curate"]) == ["curate", "list"]
    assert with_old_form(["curate", "ID", "--rate", "2"]) == ["curate", "set", "ID", "--rate", "2"]
    for args in (
        ["curate", "list", "--all"],
        ["curate", "set", "ID", "--rate", "2"],
        ["curate", "--help"],
        ["chat", "curate"],
        [],
    ):
        assert with_old_form(args) == args
