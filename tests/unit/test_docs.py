"""The documentation tells the truth about the code it documents.

- ``.env.example`` and the settings table in ``docs/configuration.md`` are what
  ``scripts/gen_config_docs.py`` generates from ``Settings`` today;
- ``.env.example``, uncommented, loads to exactly the defaults;
- every ``VEGA_`` variable in DESIGN.md 4.2 is a real setting;
- every route of the app, and every error code it can send, is in ``docs/api.md``.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from vega import errors
from vega.api import error_shapes
from vega.api.app import create_app
from vega.runtime import build
from vega.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
# DESIGN.md lives beside the repository in this workspace; in a plain clone it may not.
DESIGN_CANDIDATES = (
    ROOT / "DESIGN.md",
    ROOT / "docs" / "DESIGN.md",
    ROOT.parent / "shared" / "DESIGN.md",
)


def _load_generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_config_docs.py"
    spec = importlib.util.spec_from_file_location("gen_config_docs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _env_name(field: str) -> str:
    return f"VEGA_{field.upper()}"


# --- configuration ---------------------------------------------------------------------


def test_generated_config_docs_are_up_to_date() -> None:
    stale = gen.check()
    assert not stale, (
        f"{[p.name for p in stale]} out of date with vega.settings.Settings: "
        "run `python scripts/gen_config_docs.py`"
    )


def test_check_flags_a_stale_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale_env = tmp_path / ".env.example"
    stale_env.write_text("# VEGA_NOT_A_SETTING=1\n", encoding="utf-8")
    monkeypatch.setattr(gen, "ENV_EXAMPLE", stale_env)
    assert gen.check() == [stale_env]
    assert gen.main(["--check"]) == 1


def test_every_setting_is_in_env_example_and_the_table() -> None:
    env_example = (ROOT / ".env.example").read_text(encoding="utf-8")
    table = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^# (VEGA_[A-Z0-9_]+)=", env_example, flags=re.M))
    assert listed == {_env_name(f) for f in Settings.model_fields}
    for field in Settings.model_fields:
        assert f"| `{_env_name(field)}` |" in table


def test_env_example_uncommented_loads_to_the_defaults(tmp_path: Path) -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    env_file = tmp_path / ".env"
    env_file.write_text(re.sub(r"^# (VEGA_)", r"\1", text, flags=re.M), encoding="utf-8")
    from_file = Settings(_env_file=env_file)
    defaults = Settings(_env_file=None)
    assert from_file.model_dump() == defaults.model_dump()


def _design_settings_section() -> str:
    for path in DESIGN_CANDIDATES:
        if path.exists():
            text = path.read_text(encoding="utf-8")
            start = text.index("### 4.2")
            end = text.index("### 4.3", start)
            return text[start:end]
    pytest.skip("DESIGN.md is not in this checkout")


def test_every_design_variable_is_a_setting() -> None:
    section = _design_settings_section()
    named = set(re.findall(r"VEGA_[A-Z0-9_]+", section))
    assert named, "no VEGA_ variables found in DESIGN.md 4.2"
    known = {_env_name(f) for f in Settings.model_fields}
    assert sorted(named - known) == []


# --- API -------------------------------------------------------------------------------


@pytest.fixture
def openapi(tmp_path: Path) -> dict[str, Any]:
    # Function-scoped so that the autouse fixture clearing VEGA_* variables applies.
    settings = load_settings(
        data_dir=tmp_path / "data", api_key="k" * 20, llm_backend="none", _env_file=None
    )
    runtime = build(settings)
    try:
        return create_app(runtime).openapi()
    finally:
        runtime.db.dispose()


def test_every_route_is_documented(openapi: dict[str, Any]) -> None:
    doc = API_DOC.read_text(encoding="utf-8")
    paths = {*openapi["paths"], "/ws", "/livez", "/metrics"}
    missing = sorted(p for p in paths if f"`{p}" not in doc and f" {p}" not in doc)
    assert missing == [], f"routes missing from docs/api.md: {missing}"


def test_every_method_and_route_has_a_heading(openapi: dict[str, Any]) -> None:
    headings = API_DOC.read_text(encoding="utf-8")
    for path, operations in openapi["paths"].items():
        for method in operations:
            assert f"`{method.upper()} {path}`" in headings, (
                f"no section for {method.upper()} {path}"
            )


def _error_codes() -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    pending: list[type[errors.VegaError]] = [errors.VegaError]
    while pending:
        cls = pending.pop()
        found.add((cls.code, cls.status))
        pending.extend(cls.__subclasses__())
    found.update((code, status) for status, code in error_shapes.HTTP_CODES.items())
    return found


def test_every_error_code_is_documented_with_its_status() -> None:
    doc = API_DOC.read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", doc, flags=re.M))
    documented = {(code, int(status)) for code, status in rows}
    assert sorted(_error_codes() - documented) == []


# --- every command, and every module of the CLI, is in the docs --------------------------


def _command_paths() -> list[str]:
    """``vega ...`` for every command a user can run, subcommands included."""
    import typer

    from vega.cli.main import app

    def walk(command: Any, path: list[str]) -> Iterator[str]:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            yield " ".join(path)
            return
        if len(path) > 1 and getattr(command, "invoke_without_command", False):
            yield " ".join(path)  # a group that runs on its own too (`vega train`)
        for name, sub in subcommands.items():
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(app), ["vega"]))


def test_every_cli_command_is_documented() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    paths = _command_paths()
    assert "vega keys create" in paths and "vega train export" in paths  # the walk works
    missing = [path for path in paths if not re.search(re.escape(path) + r"(?![\w-])", text)]
    assert not missing, f"not in README.md or docs/: {missing}"


def test_architecture_names_every_module_of_the_edges() -> None:
    """docs/architecture.md's layer table lists each CLI and API module by its path."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    src = ROOT / "src" / "vega"
    missing = [
        path.relative_to(src).as_posix()
        for folder in ("cli", "api")
        for path in sorted((src / folder).glob("*.py"))
        if path.name != "__init__.py" and f"{folder}/{path.name}" not in text
    ]
    # Routers and the wire formats' modules are listed by name: `api/routes/*` (`chat`, ...).
    missing += [
        path.relative_to(src).as_posix()
        for folder in ("api/routes", "api/compat")
        for path in sorted((src / folder).glob("*.py"))
        if path.name != "__init__.py" and f"`{path.stem}`" not in text
    ]
    assert not missing, f"not in docs/architecture.md: {missing}"
