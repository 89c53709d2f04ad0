"""Shared fixtures: isolated settings, an in-process app over ASGI, and a real `vega serve`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.fakes.backends import ScriptedBackend, plugins_with
from tests.fakes.embedders import HashingEmbedder
from vega.api.app import create_app
from vega.rag.embed import Embedder
from vega.runtime import Runtime, build
from vega.settings import Settings, load_settings
from vega.store.db import Database

pytest_plugins = [
    "tests.fakes.fixtures",
    "tests.support.server",
    "tests.support.postgres",
    "tests.support.s3_server",
    "tests.support.stores",
    "tests.support.redis_server",
    "tests.support.oidc_provider",
]

TEST_KEY = "vega-test-primary-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No VEGA_* variable from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("VEGA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def make_settings(tmp_path: Path, store_settings: dict[str, str]) -> Callable[..., Settings]:
    """Settings for a Vega in this test, on the store under test (one Postgres database
    per test, whatever data dirs it makes)."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            **store_settings,
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

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        """``statement`` (``:name`` parameters) on the app's own database, whichever the
        store, committed; its rows, if it returns any."""
        with self.runtime.db.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    async def new_key(self, name: str, *, admin: bool = False) -> str:
        return (await self.runtime.keys.create(name, admin=admin)).secret


@pytest.fixture
async def make_api(
    make_settings: Callable[..., Settings], fresh_db: Callable[[Settings], None]
) -> AsyncIterator[Callable[..., Any]]:
    """Build an app on a scripted in-process backend and talk to it over ASGI, on the
    store under test (a copy of a migrated database: migrating each time costs more than
    most of these tests)."""
    opened: list[Api] = []
    workers: list[asyncio.Task[None]] = []

    async def make(
        *, embedder: Embedder | None = None, worker: bool = False, **overrides: Any
    ) -> Api:
        """``embedder`` (default: a fresh ``HashingEmbedder``) is registered by its name and
        used unless ``embedding_backend`` is overridden. On Postgres, queued jobs run when
        a test drains the queue (``runtime.jobs.drain()``); ``worker=True`` runs a worker
        beside the app all along, as `vega serve` does."""
        backend = ScriptedBackend()
        embedder = embedder or HashingEmbedder()
        overrides.setdefault("llm_backend", "scripted")
        overrides.setdefault("embedding_backend", embedder.name)
        settings = make_settings(**overrides)
        fresh_db(settings)
        runtime = build(settings, plugins=plugins_with(backend, embedder))
        await runtime.start()
        if worker and runtime.jobs.queued:  # Postgres: a worker runs the queue, as in serve
            workers.append(asyncio.create_task(runtime.jobs.work(concurrency=2)))
        app = create_app(runtime)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://vega.test"
        )
        api = Api(client, runtime, settings.api_key, backend)
        opened.append(api)
        return api

    yield make
    for worker in workers:
        worker.cancel()
        with suppress(asyncio.CancelledError):
            await worker
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


@pytest.fixture
def db(
    make_settings: Callable[..., Settings], fresh_db: Callable[[Settings], None]
) -> Iterator[Database]:
    """A database at head on the store under test: a fresh SQLite file, or a fresh
    Postgres database."""
    settings = make_settings()
    fresh_db(settings)
    database = Database.from_url(settings.database_url)
    database.migrate()  # at head already: checks it, in no time
    yield database
    database.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
