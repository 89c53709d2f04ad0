"""`vega users`, `vega groups` and `vega audit`, in-process on both stores: what they do,
and each bad input as one clear line and exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import db_rows
from tests.support.cli import Vega, in_process_vega

KEY = "vega-users-cli-primary-key-0123456789"


@pytest.fixture
def vega(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    store_settings: dict[str, str],
) -> Vega:
    return in_process_vega(monkeypatch, capsys, tmp_path, KEY, auth="accounts", **store_settings)


def test_users_are_created_listed_disabled_and_given_passwords(vega: Vega, tmp_path: Path) -> None:
    made = vega("users", "create", "Alice", "--admin", "--password-stdin", stdin="alice-password\n")
    assert made.code == 0 and "Created admin 'alice'" in made.err
    assert vega("users", "create", "bob", "--password-stdin", stdin="bob-password\n").code == 0
    assert vega("users", "create", "sso-only", "--no-password", "--email", "s@x.org").code == 0
    listed = vega("users", "list", "--json").json()
    assert [(u["username"], u["role"], u["has_password"]) for u in listed] == [
        ("alice", "admin", True),
        ("bob", "user", True),
        ("sso-only", "user", False),
    ]
    assert "password" not in str([u for u in listed if "hash" in str(u)])
    table = vega("users", "list")
    assert table.code == 0 and "alice" in table.out and "admin" in table.out

    assert vega("users", "disable", "bob").code == 0
    assert vega("users", "list", "--json").json()[1]["disabled"] is True
    assert vega("users", "enable", "bob").code == 0
    reset = vega("users", "reset-password", "bob", "--password-stdin", stdin="new-password-1\n")
    assert reset.code == 0
    data = tmp_path / "data"
    [row] = db_rows(data, "SELECT password_hash FROM users WHERE username = 'bob'")
    assert str(row["password_hash"]).startswith("$argon2id$")

    audit = vega("audit", "--json").json()
    actions = [a["action"] for a in audit]
    assert actions.count("user.create") == 3 and "user.password" in actions
    assert [a["action"] for a in vega("audit", "--json", "--action", "user.password").json()] == [
        "user.password"
    ]
    assert "new-password-1" not in str(audit) and "alice-password" not in str(audit)
    assert vega("audit").code == 0


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("users", "create", "x y", "--password-stdin"), "password-1\n", "username"),
        (("users", "create", "carol", "--password-stdin"), "short\n", "8 to 1024"),
        (("users", "create", "carol", "--password-stdin"), "", "No password on stdin"),
        (("users", "create", "carol"), "", "--password-stdin"),
        (("users", "disable", "nobody"), "", "No user named 'nobody'"),
        (("users", "reset-password", "nobody", "--password-stdin"), "password-12\n", "nobody"),
        (("audit", "--user", "nobody"), "", "nobody"),
        (("groups", "members", "nope", "alice"), "", "No group named 'nope'"),
        (("groups", "create", "Bad Name!"), "", "group name"),
    ],
)
def test_bad_input_is_one_clear_line(
    vega: Vega, args: tuple[str, ...], stdin: str, says: str
) -> None:
    assert (
        vega("users", "create", "alice", "--admin", "--password-stdin", stdin="alice-pass\n").code
        == 0
    )
    line = vega(*args, stdin=stdin).error_line()
    assert says in line, line


def test_the_last_admin_cannot_be_disabled_and_groups_work(vega: Vega) -> None:
    vega("users", "create", "alice", "--admin", "--password-stdin", stdin="alice-pass\n")
    vega("users", "create", "bob", "--password-stdin", stdin="bob-password\n")
    assert "last admin" in vega("users", "disable", "alice").error_line()
    assert vega("groups", "create", "class-a").code == 0
    assert "already exists" in vega("groups", "create", "class-a").error_line()
    assert vega("groups", "members", "class-a", "alice", "bob").code == 0
    listed = vega("groups", "list")
    assert "class-a" in listed.out and "alice, bob" in listed.out
    assert "No user named 'zed'" in vega("groups", "members", "class-a", "zed").error_line()
    assert vega("groups", "rm", "class-a").code == 0
    assert "class-a" not in vega("groups", "list").out
