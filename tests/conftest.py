"""Shared fixtures: isolated settings, an in-process app over ASGI, and a real `vega serve`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.backends import ScriptedBackend, plugins_with
from tests.fakes.embedders import HashingEmbedder
from vega.api.app import create_app
from vega.rag.embed import Embedder
from vega.runtime import Runtime, build
from vega.settings import Settings, load_settings
from vega.store.db import Database

pytest_plugins = ["tests.fakes.fixtures", "tests.support.server", "tests.support.postgres"]

TEST_KEY = "vega-test-primary-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No VEGA_* variable from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("VEGA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "api_key": TEST_KEY,
            "llm_backend": "none",
            "rate_limit": "0",
            "cache_ttl_s": 0,
            # The in-process clients talk to http://vega.test (and Starlette's TestClient,
            # which schemathesis uses, to http://testserver): names Vega answers only when
            # allowed (vega.api.hosts).
            "allowed_hosts": ["vega.test", "testserver"],
            "_env_file": None,
        }
        values.update(overrides)
        return load_settings(**values)

    return make


@dataclass
class Api:
    client: httpx.AsyncClient
    runtime: Runtime
    key: str
    backend: ScriptedBackend

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"X-API-Key": key or self.key}

    async def new_key(self, name: str, *, admin: bool = False) -> str:
        return (await self.runtime.keys.create(name, admin=admin)).secret


@pytest.fixture
async def make_api(make_settings: Callable[..., Settings]) -> AsyncIterator[Callable[..., Any]]:
    """Build an app on a scripted in-process backend and talk to it over ASGI."""
    opened: list[Api] = []

    async def make(*, embedder: Embedder | None = None, **overrides: Any) -> Api:
        """``embedder`` (default: a fresh ``HashingEmbedder``) is registered by its name and
        used unless ``embedding_backend`` is overridden."""
        backend = ScriptedBackend()
        embedder = embedder or HashingEmbedder()
        overrides.setdefault("llm_backend", "scripted")
        overrides.setdefault("embedding_backend", embedder.name)
        settings = make_settings(**overrides)
        runtime = build(settings, plugins=plugins_with(backend, embedder))
        await runtime.start()
        app = create_app(runtime)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://vega.test"
        )
        api = Api(client, runtime, settings.api_key, backend)
        opened.append(api)
        return api

    yield make
    for api in opened:
        await api.client.aclose()
        await api.runtime.aclose()


@pytest.fixture
async def api(make_api: Callable[..., Any]) -> Api:
    result: Api = await make_api()
    return result


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Database]:
    """A migrated database: a fresh SQLite file, and a fresh Postgres database where one runs."""
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database.from_url(url)
    database.migrate()
    yield database
    database.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
