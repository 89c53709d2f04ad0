"""`vega models add|list|rm` as a user runs them, and what registration checks.

The command round trip runs the real `vega` in a subprocess; the many ways a path
can be wrong are checked on ``RegisteredModels`` (what the command calls) in-process,
on SQLite and, where one runs, Postgres.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fakes.tiny_adapter import make_adapter
from tests.support.server import run_cli, vega_env
from vega.errors import BadInput, Conflict, NotFound
from vega.llm.local_models import RegisteredModels, library_missing
from vega.store.db import Database

needs_transformers = pytest.mark.skipif(
    library_missing("transformers") is not None, reason=f"{library_missing('transformers')}"
)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def adapter(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_adapter(tiny_model, tmp_path_factory.mktemp("adapter"))


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "small.gguf"
    path.write_bytes(b"GGUF" + bytes(60))  # registration reads the magic only
    return path


@needs_transformers
def test_add_list_rm_round_trip(tmp_path: Path, tiny_model: Path, adapter: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = vega_env(data_dir)
    added = ok(run_cli(["models", "add", "tuned", str(tiny_model), "--adapter", str(adapter)], env))
    assert "VEGA_LLM_BACKEND=transformers VEGA_MODEL=tuned" in added.stderr

    listed = json.loads(ok(run_cli(["models", "list", "--json"], env)).stdout)
    assert len(listed) == 1
    entry = listed[0]
    assert entry["name"] == "tuned" and entry["backend"] == "transformers"
    assert entry["path"] == str(tiny_model.resolve())
    assert entry["adapter"] == str(adapter.resolve())
    assert entry["details"]["format"] == "safetensors" and entry["details"]["family"] == "llama"

    assert "tuned" in ok(run_cli(["models", "list"], env)).stdout
    assert "already" in one_error_line(run_cli(["models", "add", "tuned", str(tiny_model)], env))
    ok(run_cli(["models", "rm", "tuned"], env))
    assert json.loads(ok(run_cli(["models", "list", "--json"], env)).stdout) == []
    assert "No model named" in one_error_line(run_cli(["models", "rm", "tuned"], env))
    assert "no such file" in one_error_line(
        run_cli(["models", "add", "x", str(tmp_path / "nowhere")], env)
    )


@pytest.fixture
def registry(db: Database) -> RegisteredModels:
    return RegisteredModels(db)


async def test_registry_on_each_database(
    registry: RegisteredModels, tiny_model: Path, gguf: Path
) -> None:
    first = await registry.add("small", gguf)
    assert first.backend == "llamacpp"  # inferred from the .gguf suffix
    assert first.details == {"format": "gguf", "size": 64}
    await registry.add("base", tiny_model)
    assert [m.name for m in await registry.list_models()] == ["base", "small"]  # newest first
    assert [m.name for m in await registry.list_models(backend="llamacpp")] == ["small"]
    found = await registry.get("base:latest")  # as Ollama clients name it
    assert found is not None and found.path == tiny_model.resolve() and found.adapter is None
    assert found.created is not None and found.created.tzinfo is not None
    with pytest.raises(Conflict):
        await registry.add("base", tiny_model)
    await registry.remove("base")
    assert await registry.get("base") is None
    with pytest.raises(NotFound):
        await registry.remove("base")


@pytest.fixture
def sqlite_registry(tmp_path: Path) -> RegisteredModels:
    db = Database.from_url(f"sqlite:///{tmp_path / 'reg.db'}")
    db.migrate()
    return RegisteredModels(db, owns_db=True)


@needs_transformers
async def test_registration_refuses_what_cannot_be_served(
    sqlite_registry: RegisteredModels, tiny_model: Path, adapter: Path, gguf: Path, tmp_path: Path
) -> None:
    add = sqlite_registry.add

    def copy_without(source: Path, *names: str) -> Path:
        target = tmp_path / f"{source.name}-without-{'-'.join(names)}"
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(*names))
        return target

    pickled = copy_without(tiny_model, "*.safetensors")
    (pickled / "pytorch_model.bin").write_bytes(b"not loaded")
    cases: list[tuple[str, Path, dict[str, object], str]] = [
        ("a", tmp_path / "missing", {}, "no such file"),
        ("a", tmp_path, {}, "no config.json"),
        ("a", pickled, {}, "no .safetensors weights"),
        ("a", copy_without(tiny_model, "tokenizer*"), {}, "no tokenizer"),
        ("a", tiny_model, {"adapter": tmp_path / "none"}, "no such folder"),
        ("a", tiny_model, {"adapter": tiny_model}, "adapter_config.json"),
        ("a", tiny_model, {"adapter": copy_without(adapter, "*.safetensors")}, "pickled"),
        ("a", gguf, {"adapter": adapter}, "take no --adapter"),
        ("a", tiny_model, {"backend": "llamacpp"}, "not a folder"),
        ("a", gguf, {"backend": "transformers"}, "not a file"),
        ("a", tiny_model, {"backend": "vllm"}, "Unknown backend"),
        ("bad name!", tiny_model, {}, "use letters"),
        ("vega-rag/docs", tiny_model, {}, "collections"),
    ]
    for name, path, options, message in cases:
        with pytest.raises(BadInput, match=message):
            await add(name, path, **options)  # type: ignore[arg-type]
    not_gguf = tmp_path / "fake.gguf"
    not_gguf.write_bytes(b"PK\x03\x04")
    with pytest.raises(BadInput, match="not a GGUF file"):
        await add("a", not_gguf)
    assert await sqlite_registry.list_models() == []
    sqlite_registry.close()
