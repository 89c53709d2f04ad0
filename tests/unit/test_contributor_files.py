"""The files contributors' tools read: CI workflows, pre-commit hooks, the editor's
launch configurations and CONTRIBUTING.md. None of them runs in the suite itself, so a
typo in one would only show on someone else's machine or CI: these tests read them."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github" / "workflows" / "ci.yml"
GITLAB = ROOT / ".gitlab-ci.yml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"


def _yaml(path: Path) -> dict[Any, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), f"{path.name} is not a mapping"
    return loaded


def _postgres_url_variable() -> str:
    """The variable the Postgres fixtures read for the server's URL."""
    source = (ROOT / "tests" / "support" / "postgres.py").read_text(encoding="utf-8")
    names: set[str] = set(re.findall(r"os\.environ\.get\(\s*\"(VEGA_TEST_POSTGRES\w*)\"", source))
    assert len(names) == 1, names
    return names.pop()


# --- CI ---------------------------------------------------------------------------------


def test_github_workflow_runs_ci_run_with_a_postgres_service() -> None:
    workflow = _yaml(GITHUB)
    # YAML 1.1 reads the key `on` as true.
    assert {"push", "pull_request"} <= set(workflow.get("on") or workflow[True])
    (job,) = workflow["jobs"].values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert any(line.strip() == "bash .ci/run" for run in runs for line in run.splitlines())
    assert str(job["env"]["CI"]) == "true"
    # The tests reach the service by its name, through the variable the fixtures read.
    url = job["env"][_postgres_url_variable()]
    assert "@postgres:5432/" in url and "postgres" in job["services"]


def test_gitlab_pipeline_runs_ci_run_with_a_postgres_service() -> None:
    pipeline = _yaml(GITLAB)
    jobs = {
        name: job for name, job in pipeline.items() if isinstance(job, dict) and "script" in job
    }
    (job,) = jobs.values()
    assert job["script"] == ["bash .ci/run"]
    variables = job["variables"]
    assert str(variables["CI"]) == "true"
    (service,) = job["services"]
    host = service["alias"]
    assert service["name"].startswith("postgres:")
    assert f"@{host}:5432/" in variables[_postgres_url_variable()]


def test_both_ci_files_use_the_same_image_and_variables() -> None:
    """One CI, written twice: what differs between them is the host's syntax only."""
    (github,) = _yaml(GITHUB)["jobs"].values()
    gitlab = _yaml(GITLAB)["ci"]
    assert github["container"] == gitlab["image"]
    shared = {k: str(v) for k, v in github["env"].items()}
    assert shared.items() <= {k: str(v) for k, v in gitlab["variables"].items()}.items()
    assert github["services"]["postgres"]["image"] == gitlab["services"][0]["name"]


# --- pre-commit -----------------------------------------------------------------------


def _hooks() -> list[dict[str, Any]]:
    config = _yaml(PRE_COMMIT)
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert hooks
    return hooks


def _repo_files() -> list[str]:
    """Paths relative to the root, as pre-commit matches them (no .venv, no caches)."""
    skip = {".git", ".venv", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip and d != "__pycache__"]
        rel = Path(folder).relative_to(ROOT)
        found += [(rel / name).as_posix() for name in files]
    return found


def test_every_hook_command_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    venv = re.search(r"^VENV\s*:=\s*(\S+)", makefile, flags=re.M)
    assert venv is not None
    for hook in _hooks():
        assert hook["language"] == "system", hook["id"]  # nothing downloaded by pre-commit
        words = shlex.split(hook["entry"])
        command = words[0]
        if command.startswith(".venv/"):
            # The Makefile's venv, and a command its install provides (as this one's did).
            assert command.startswith(f"{venv.group(1)}/bin/"), hook["id"]
            name = command.rsplit("/", 1)[1]
            assert (Path(sys.executable).parent / name).exists(), f"{hook['id']}: no {name}"
        else:
            assert shutil.which(command), f"{hook['id']}: {command} is not on PATH"
        for script in re.findall(r"scripts/[\w.-]+\.py", hook["entry"]):
            assert (ROOT / script).is_file(), f"{hook['id']}: no {script}"


def test_every_hook_matches_files_of_the_repo() -> None:
    """A `files` pattern that matches nothing means a hook that never runs."""
    files = _repo_files()
    for hook in _hooks():
        pattern = re.compile(hook.get("files", ""))
        assert any(pattern.search(f) for f in files), f"{hook['id']}: matches no file"


def test_ruff_hooks_check_what_make_lint_checks() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    linted = re.search(r"\$\(BIN\)/ruff check ([\w ]+)$", makefile, flags=re.M)
    assert linted is not None
    dirs = set(linted.group(1).split())
    for hook in _hooks():
        if hook["id"].startswith("ruff"):
            hooked = re.fullmatch(r"\^\(([\w|]+)\)/", hook["files"])
            assert hooked is not None and set(hooked.group(1).split("|")) == dirs, hook["id"]


# --- the editor ------------------------------------------------------------------------


def test_vscode_launches_the_server_and_the_tests() -> None:
    launch = json.loads((ROOT / ".vscode" / "launch.json").read_text(encoding="utf-8"))
    configs = {c["name"]: c for c in launch["configurations"]}
    serve = [c for c in configs.values() if c.get("module") == "vega"]
    assert [c["args"] for c in serve] == [["serve"]]
    tests = [c for c in configs.values() if c.get("module") == "pytest"]
    assert any("${file}" in c["args"] for c in tests)  # the current test file
    assert any("${file}" not in c["args"] for c in tests)  # the whole suite
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert settings["python.defaultInterpreterPath"] == "${workspaceFolder}/.venv/bin/python"


# --- CONTRIBUTING.md ---------------------------------------------------------------------

_PATH_ROOTS = ("src/", "tests/", "web/", "bench/", "docs/", "scripts/", ".github/", ".vscode/")


def _named_paths(text: str) -> set[str]:
    """Backticked paths and relative link targets."""
    named = set(re.findall(r"`([^`\s]+)`", text)) | set(re.findall(r"\]\(([^)#\s]+)", text))
    return {
        path.rstrip("/")
        for path in named
        if "<" not in path and (path.startswith(_PATH_ROOTS) or path.endswith(".md"))
    }


def test_contributing_names_only_paths_that_exist() -> None:
    named = _named_paths(CONTRIBUTING.read_text(encoding="utf-8"))
    assert "src/vega/llm/base.py" in named  # the pattern works
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert missing == [], f"CONTRIBUTING.md names paths that do not exist: {missing}"


@pytest.mark.parametrize("path", ["src/vega/nowhere.py", "tests/gone/"])
def test_the_path_check_would_see_a_missing_path(path: str) -> None:
    named = _named_paths(f"See `{path}` and [x](docs/architecture.md).")
    assert named == {path.rstrip("/"), "docs/architecture.md"}
    assert not (ROOT / path).exists()


def test_readme_links_contributing() -> None:
    assert "](CONTRIBUTING.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
