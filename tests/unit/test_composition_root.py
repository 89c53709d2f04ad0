"""The composition root: services are built once, in ``vega.runtime.build``; routes name
the services they use and never see the runtime; the CLI builds nothing of its own;
plugin factories get the runtime's parts in a ``BuildContext`` and open none of theirs."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.fakes.backends import ScriptedBackend, plugins_with
from tests.fakes.embedders import HashingEmbedder
from vega.llm.local_models import library_missing
from vega.plugins import BuildContext, load_plugins
from vega.runtime import build, build_file_tools
from vega.settings import Settings
from vega.store import db as db_module

SRC = Path(__file__).resolve().parents[2] / "src" / "vega"


def _modules(folder: Path) -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(SRC).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(folder.rglob("*.py"))
    ]


def _imports_the_runtime(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.module == "vega.runtime"
    return isinstance(node, ast.Import) and any(a.name == "vega.runtime" for a in node.names)


def test_no_route_imports_the_runtime_or_reads_app_state() -> None:
    """Every route module (the WebSocket's too) gets services through ``vega.api.deps``."""
    found = []
    for name, tree in _modules(SRC / "api" / "routes"):
        for node in ast.walk(tree):
            if _imports_the_runtime(node):
                found.append(f"{name}:{node.lineno} imports vega.runtime")
            elif isinstance(node, ast.Name) and node.id in {"Runtime", "RuntimeDep"}:
                found.append(f"{name}:{node.lineno} names {node.id}")
            elif (
                isinstance(node, ast.Attribute)
                and node.attr == "state"
                and isinstance(node.value, ast.Attribute | ast.Name)
                and getattr(node.value, "attr", getattr(node.value, "id", None)) == "app"
            ):
                found.append(f"{name}:{node.lineno} reads app.state")
    assert not found, found


# Built once, in vega.runtime; an edge that constructs one makes a second.
BUILT_BY_THE_ROOT = {
    "load_plugins",
    "Database",
    "RegisteredModels",
    "TrainingJob",
    "TurnLog",
    "ModelCatalog",
    "JobRunner",
    "Retriever",
    "Reindexer",
    "Gateway",
}


def test_edges_construct_no_service() -> None:
    """Neither the API nor the CLI builds a service or loads the plugins: they take them
    from the runtime (``vega.api.deps``, ``vega.cli.context``)."""
    found = []
    for folder in ("api", "cli"):
        for name, tree in _modules(SRC / folder):
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called in BUILT_BY_THE_ROOT or called.endswith("Service"):
                    found.append(f"{name}:{node.lineno} {called}()")
    assert not found, found


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(llm_backend="probe", embedding_backend="probe-embedder")


async def test_plugin_factories_get_the_runtimes_own_parts(settings: Settings) -> None:
    contexts: list[BuildContext] = []
    plugins = load_plugins()

    def backend(context: BuildContext) -> ScriptedBackend:
        contexts.append(context)
        return ScriptedBackend()

    def embedder(context: BuildContext) -> HashingEmbedder:
        contexts.append(context)
        return HashingEmbedder()

    plugins.backends.register("probe", backend)
    plugins.embedders.register("probe-embedder", embedder)
    runtime = build(settings, plugins=plugins)
    try:
        runtime.embedder()  # the embedder is built on first use
        assert len(contexts) == 2
        for context in contexts:
            assert context.settings is settings
            assert context.db is runtime.db
            assert context.models is runtime.models
            assert context.metrics is runtime.metrics
        assert runtime.plugins is plugins
    finally:
        await runtime.aclose()


async def test_a_factory_written_for_settings_still_works(settings: Settings) -> None:
    """Third-party factories written as ``factory(settings)`` read settings off the context."""
    seen: dict[str, Any] = {}

    def old_style(settings: Any) -> ScriptedBackend:
        seen["model"] = settings.model
        seen["timeout"] = settings.llm_timeout_s
        return ScriptedBackend()

    plugins = plugins_with(ScriptedBackend(), HashingEmbedder())
    plugins.backends.register("probe", old_style)
    plugins.embedders.register("probe-embedder", lambda _context: HashingEmbedder())
    with pytest.warns(DeprecationWarning, match=r"read `context\.settings\.\w+`"):
        runtime = build(settings, plugins=plugins)
    await runtime.aclose()

    assert seen == {"model": settings.model, "timeout": settings.llm_timeout_s}


@pytest.mark.parametrize("backend", ["transformers", "llamacpp", "auto"])
async def test_in_process_backends_use_the_runtimes_one_engine(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """Before, an in-process backend opened a second engine (and pool) on the database to
    read the registered models; now it reads them through the runtime's."""
    if backend != "auto" and (missing := library_missing(backend)) is not None:
        pytest.skip(missing)
    engines: list[Engine] = []
    make_engine = db_module.make_engine

    def counted(url: str, **kwargs: Any) -> Engine:
        engines.append(make_engine(url, **kwargs))
        return engines[-1]

    monkeypatch.setattr(db_module, "make_engine", counted)
    runtime = build(make_settings(llm_backend=backend))
    try:
        assert engines == [runtime.db.engine]
    finally:
        await runtime.aclose()


async def test_the_runtime_serves_what_the_edges_ask_for(make_api: Callable[..., Any]) -> None:
    """One of each, built once: the catalog and the embeddings service the OpenAI routes
    use are the runtime's (before, each request built its own)."""
    api = await make_api()
    runtime = api.runtime
    models = (await api.client.get("/v1/models", headers=api.auth())).json()
    assert [m["id"] for m in models["data"]] == [
        m.name for m in await runtime.catalog.models(runtime.owner.key_id)
    ]
    assert runtime.curation is not None and runtime.datasets is not None
    job = runtime.training_job()
    job_id = job.start({"output_dir": "x"})
    assert (await runtime.jobs.get(owner=runtime.owner.key_id, job_id=job_id)).kind == "train"


def test_file_tools_open_no_data_dir(settings: Settings) -> None:
    tools = build_file_tools(settings)

    assert "jsonl" in tools.plugins.loaders
    assert not settings.data_dir.exists()
