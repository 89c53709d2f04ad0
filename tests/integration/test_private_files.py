"""What Vega writes is readable only by the user running it, whatever the umask.

A review found `vega doctor` run first on a fresh machine created the data dir 0755
and the database 0644. Here every command runs first on a fresh data dir, under a
permissive umask (022, the usual default): every folder it leaves under the data dir
(and every output it was asked to write elsewhere: a backup, a dataset) is 0700 and
every file 0600.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.llm_server import FakeLLM
from tests.support.server import start_vega, vega_env

PERMISSIVE_UMASK = 0o022
NOTHING_TO_DO_YET = {"backup", "backup-to", "dataset-build", "search", "train-bad-config"}


def run(
    args: list[str], env: dict[str, str], *, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`vega ARGS` as a user with a permissive umask runs it, beside the data dir."""
    home = Path(env["VEGA_DATA_DIR"]).parent
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "vega", *args],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
        # Set in the child before it runs Python: nothing else runs there yet.
        preexec_fn=partial(os.umask, PERMISSIVE_UMASK),
    )


def loose_modes(root: Path) -> list[str]:
    """Everything under ``root`` (and root) that is not 0700 (folders) or 0600 (files)."""
    found = []
    paths: Iterator[Path] = iter([root, *root.rglob("*")])
    for path in paths:
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode != want and not path.is_symlink():
            found.append(f"{path.relative_to(root.parent)}: {mode:o} (want {want:o})")
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "notes.md").write_text("# Notes\n\nThe lighthouse keeper lit the lamp at dusk.")
    return folder / "notes.md"


def env_for(root: Path, fake: FakeLLM, **settings: Any) -> dict[str, str]:
    return vega_env(
        root / "data",
        llm_backend="ollama",
        ollama_url=fake.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
        **settings,
    )


def commands(corpus: Path) -> dict[str, tuple[list[str], str]]:
    """Each command as a user might run it first, and its standard input. ``{out}`` is a
    folder outside the data dir, for what a command is asked to write elsewhere."""
    return {
        "doctor": (["doctor"], ""),
        "chat": (["chat", "hello", "--no-stream"], ""),
        "repl": (["repl"], "/exit\n"),
        "history": (["history"], ""),
        "keys-create": (["keys", "create", "team-b"], ""),
        "keys-list": (["keys", "list"], ""),
        "docs-add": (["docs", "add", str(corpus)], ""),
        "docs-list": (["docs", "list"], ""),
        "search": (["search", "lighthouse"], ""),
        "reindex": (["reindex"], ""),
        "curate": (["curate"], ""),
        "models-list": (["models", "list"], ""),
        "dataset-build": (["dataset", "build", "--from-logs", "-o", "{out}/set.jsonl"], ""),
        "backup": (["backup"], ""),
        "backup-to": (["backup", "{out}/backup"], ""),
        "train-bad-config": (["train", "--config", "{out}/missing.yaml"], ""),
    }


def test_every_command_run_first_leaves_only_private_files(
    tmp_path: Path, corpus: Path, fake_llm_server: FakeLLM
) -> None:
    def case(name: str, args: list[str], stdin: str) -> tuple[str, int, str, list[str]]:
        root = tmp_path / name
        out = root / "out"
        root.mkdir()
        argv = [arg.replace("{out}", str(out)) for arg in args]
        done = run(argv, env_for(root, fake_llm_server), stdin=stdin)
        problems = loose_modes(root / "data") if (root / "data").exists() else []
        if out.exists():
            problems += [p for p in loose_modes(out) if not p.startswith("out: ")]
        return name, done.returncode, done.stderr, problems

    table = commands(corpus)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda item: case(item[0], *item[1]), table.items()))
    for name, code, stderr, problems in results:
        assert "Traceback" not in stderr, (name, stderr)
        assert not problems, (name, code, problems)
    failed = {name for name, code, _, _ in results if code != 0}
    # On a fresh dir there is nothing to back up, search or build a dataset from, and no
    # training config: those end with a clear error (exit 1), the rest did their work.
    assert failed <= NOTHING_TO_DO_YET, [r for r in results if r[0] in failed]


def test_outputs_restore_and_serve_leave_only_private_files(
    tmp_path: Path, corpus: Path, fake_llm_server: FakeLLM
) -> None:
    source = env_for(tmp_path / "source", fake_llm_server)
    out = tmp_path / "source" / "out"
    for args in (
        ["chat", "remember this", "--no-stream"],
        ["docs", "add", str(corpus)],
        ["search", "lighthouse"],
        ["backup"],
        ["backup", str(out / "the-backup")],
        ["dataset", "build", "--from-logs", "-o", str(out / "set.jsonl")],
    ):
        done = run(args, source)
        assert done.returncode == 0, (args, done.stderr)
    assert (out / "set.jsonl").is_file() and (out / "the-backup").is_dir()
    assert not loose_modes(tmp_path / "source" / "data")
    assert [p for p in loose_modes(out) if not p.startswith("out: ")] == []

    target = env_for(tmp_path / "target", fake_llm_server)
    restored = run(["restore", str(out / "the-backup")], target)
    assert restored.returncode == 0, restored.stderr
    assert not loose_modes(tmp_path / "target" / "data")

    # The key is generated into the data dir, the way a first `make run` does.
    server = start_vega(
        tmp_path / "served" / "data",
        api_key=None,
        umask=PERMISSIVE_UMASK,
        llm_backend="ollama",
        ollama_url=fake_llm_server.url,
        embedding_backend="ollama",
        embedding_model="fake-embed",
    )
    try:
        headers = {"X-API-Key": (server.data_dir / "api_key").read_text().strip()}
        upload = httpx.post(
            server.url + "/documents",
            headers=headers,
            files={"file": ("a.md", b"# A\n\nsome text to index")},
            timeout=30,
        )
        assert upload.status_code == 201, upload.text
        chat = httpx.post(server.url + "/chat", headers=headers, json={"prompt": "hi"}, timeout=30)
        assert chat.status_code == 200, chat.text
    finally:
        server.stop()
    assert not loose_modes(server.data_dir)
