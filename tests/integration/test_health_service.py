"""One health service: `/readyz` answers ``HealthService.readiness()`` and `vega doctor`
prints ``checkup()``, which starts from the same readiness. What one says, the other
says too."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import Api
from vega import health
from vega.health import Check
from vega.llm.base import BackendHealth
from vega.settings import Settings


def named(checks: list[Check], name: str) -> Check:
    (check,) = [c for c in checks if c.name == name]
    return check


def backend_says(api: Api, monkeypatch: pytest.MonkeyPatch, said: BackendHealth) -> None:
    async def health_now() -> BackendHealth:
        return said

    monkeypatch.setattr(api.backend, "health", health_now)


async def test_readyz_is_the_services_readiness(api: Api, store: str) -> None:
    state = await api.runtime.health.readiness()
    # The Postgres column keeps its uploads in a bucket (tests/support/stores.py).
    storage = None if store == "sqlite" else True

    keyed = await api.client.get("/readyz", headers=api.auth())
    assert keyed.status_code == 200
    assert keyed.json() == {
        "status": "ok",
        "database": True,
        "redis": None,  # no VEGA_REDIS_URL here
        "storage": storage,
        "backend": asdict(state.backend),
        "embedder": asdict(state.embedder),
    }
    assert state.backend.name == "scripted" and state.backend.breaker == "closed"
    # Without a key, the same states and nothing that names a place.
    public = (await api.client.get("/readyz")).json()
    assert public == {
        "status": "ok",
        "database": True,
        "redis": None,
        "storage": storage,
        "backend": {"ok": True, "ready": True, "breaker": "closed"},
        "embedder": {"loaded": state.embedder.loaded},
    }


async def test_a_backend_that_is_down_is_one_fact_for_readyz_and_doctor(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend_says(api, monkeypatch, BackendHealth(ok=False, detail="connection refused"))

    ready = await api.client.get("/readyz", headers=api.auth())
    checks = await api.runtime.health.checkup()

    # Down is not broken: requests get 503 and the breaker decides, no restart needed.
    assert ready.status_code == 200
    said = ready.json()["backend"]
    assert (said["ok"], said["detail"]) == (False, "connection refused")
    backend = named(checks, "backend")
    assert backend.failed and backend.detail.endswith(": connection refused")
    assert backend.fix.startswith("Start the model server")
    assert named(checks, "database").ok
    assert named(checks, "embedder").ok


async def test_a_wedged_engine_or_a_lost_database_is_503(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend_says(api, monkeypatch, BackendHealth(ok=True, ready=False, detail="stuck"))
    wedged = await api.client.get("/readyz")
    assert (wedged.status_code, wedged.json()["status"]) == (503, "unavailable")
    assert wedged.json()["backend"]["ready"] is False

    backend_says(api, monkeypatch, BackendHealth(ok=True, detail="scripted"))
    monkeypatch.setattr(api.runtime.db, "ping", lambda: False)
    lost = await api.client.get("/readyz")
    assert (lost.status_code, lost.json()["database"]) == (503, False)
    assert named(await api.runtime.health.checkup(), "database").failed


async def test_the_checkup_loads_the_embedder_and_finds_collections_it_did_not_embed(
    make_api: Callable[..., Any],
) -> None:
    api: Api = await make_api()
    upload = await api.client.post(
        "/documents", files={"file": ("a.txt", b"Vega answers from documents.")}, headers=api.auth()
    )
    assert upload.status_code == 201
    await api.runtime.db.write(
        lambda s: s.execute(text("UPDATE collections SET embedding_model = 'older-model'"))
    )

    checks = await api.runtime.health.checkup()

    assert named(checks, "embedder").detail == "hashing-64 (hashing-64, 64 dimensions)"
    stale = named(checks, "collection")
    assert stale.warn_only and "'default' was embedded with older-model" in stale.detail
    assert stale.fix.startswith("vega reindex --collection 'default'")
    assert (await api.runtime.health.readiness()).embedder.loaded


def test_preflight_checks_the_data_dir_and_the_key_file(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(api_key="")  # the key comes from the key file
    # A data dir and a key file Vega did not create keep the modes they were given.
    settings.data_dir.mkdir()
    os.chmod(settings.data_dir, 0o750)  # noqa: S103 - the open mode is what must be found
    settings.key_file.write_text("vega-" + "k" * 43)
    os.chmod(settings.key_file, 0o640)

    data_dir, key = health.preflight(settings)

    assert data_dir.warn_only and not data_dir.ok
    assert data_dir.fix == f"chmod 700 {settings.data_dir}"
    assert key.failed and key.fix == f"chmod 600 {settings.key_file}"
    os.chmod(settings.key_file, 0o600)
    os.chmod(settings.data_dir, 0o700)
    assert all(check.ok for check in health.preflight(settings))


def test_a_runtime_that_cannot_be_built_is_a_database_check() -> None:
    check = health.not_built(RuntimeError("no"))

    assert (check.name, check.failed, check.detail) == ("database", True, "RuntimeError")
