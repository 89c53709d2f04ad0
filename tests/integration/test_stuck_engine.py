"""An in-process engine that is busy or stuck: a bounded wait in the queue, a fast 503
once it is known stuck, /readyz saying so, and a process that still exits.

The engine is ``tests.fakes.engines.Wedged`` (stuck where no stop flag is checked, as a
hung native kernel would be) behind the real ``LocalBackend``, its worker thread, the
gateway, the app and the interpreter's exit.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_KEY
from tests.fakes.backends import plugins_with
from tests.fakes.engines import Wedged
from vega.api.app import create_app
from vega.errors import BackendTimeout, VegaError
from vega.llm.base import GenerationParams, Message
from vega.llm.gateway import Gateway
from vega.llm.local import LocalBackend
from vega.llm.local_models import RegisteredModels, library_missing
from vega.metrics import Metrics
from vega.runtime import build
from vega.settings import Settings
from vega.store.db import Database

pytestmark = pytest.mark.skipif(
    library_missing("transformers") is not None, reason=f"{library_missing('transformers')}"
)

PROMPT = [Message("user", "hello")]
SLACK_S = 5.0  # margins for a loaded machine
ROOT = Path(__file__).resolve().parents[2]


def params(model: str) -> GenerationParams:
    return GenerationParams(model=model, max_tokens=4)


async def reply(backend: Any, model: str) -> str:
    return "".join([d.text async for d in backend.stream(PROMPT, params(model))])


async def until(check: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


@pytest.fixture
def registry(tmp_path: Path) -> RegisteredModels:
    db = Database.from_url(f"sqlite:///{tmp_path / 'models.db'}")
    db.migrate()
    return RegisteredModels(db, owns_db=True)


@pytest.fixture
def wedged() -> Wedged:
    return Wedged()


@pytest.fixture
def make_backend(
    registry: RegisteredModels, tiny_model: Path, wedged: Wedged
) -> Callable[..., LocalBackend]:
    """The real backend on the tiny model's folder (VEGA_MODEL as a path), with a
    ``Wedged`` engine in place of the one the folder would load."""

    def make(**options: Any) -> LocalBackend:
        return LocalBackend(
            kind="transformers",
            registry=registry,
            default_model=str(tiny_model),
            loaders={"transformers": lambda _model: wedged},
            **options,
        )

    return make


async def test_a_stuck_generation_makes_later_requests_fail_fast_until_it_ends(
    make_backend: Callable[..., LocalBackend], tiny_model: Path, wedged: Wedged
) -> None:
    backend = make_backend(timeout_s=1, engine_wait_s=120, stop_grace_s=0.5)
    model = str(tiny_model)
    try:
        first = asyncio.create_task(reply(backend, model))
        await asyncio.to_thread(wedged.entered.wait, 10)
        queued = asyncio.create_task(reply(backend, model))
        with pytest.raises(BackendTimeout):  # nothing after "thinking" for 1 s
            await first
        # The caller left; the engine did not stop. The request queued behind it gets a
        # 503 once that is clear, not after VEGA_ENGINE_WAIT_S (120 s).
        started = time.monotonic()
        with pytest.raises(VegaError) as queued_error:
            await queued
        assert time.monotonic() - started < 0.5 + SLACK_S
        assert (queued_error.value.status, queued_error.value.code) == (503, "backend_busy")
        assert "stuck" in queued_error.value.message

        health = await backend.health()
        assert not health.ok and not health.ready and "stuck" in health.detail
        started = time.monotonic()
        with pytest.raises(VegaError) as later:  # no queueing behind a stuck engine at all
            await reply(backend, model)
        assert later.value.status == 503 and time.monotonic() - started < 1

        wedged.release()  # it recovers: the stuck generation ends, the next one answers
        await until(lambda: _ready(backend))
        assert await reply(backend, model) == "ok"
    finally:
        wedged.release()
        await backend.aclose()


async def _ready(backend: LocalBackend) -> bool:
    return (await backend.health()).ready


async def test_a_busy_engine_bounds_the_wait_and_the_gateway_neither_retries_nor_trips(
    make_backend: Callable[..., LocalBackend], tiny_model: Path, wedged: Wedged
) -> None:
    # The first caller keeps waiting (busy, not stuck): the second waits VEGA_ENGINE_WAIT_S.
    backend = make_backend(timeout_s=60, engine_wait_s=1)
    gateway = Gateway(
        backend, metrics=Metrics(), breaker_failures=1, breaker_reset_s=60, cache_ttl_s=0
    )
    model = str(tiny_model)
    try:
        first = asyncio.create_task(reply(gateway, model))
        await asyncio.to_thread(wedged.entered.wait, 10)
        started = time.monotonic()
        with pytest.raises(VegaError) as busy:
            await reply(gateway, model)
        waited = time.monotonic() - started
        assert (busy.value.status, busy.value.code) == (503, "backend_busy")
        assert "VEGA_ENGINE_WAIT_S" in busy.value.message
        assert 1 <= waited < 1 + SLACK_S  # once, not once per connect retry
        assert gateway.breaker.state.name == "CLOSED"  # a busy model is not a broken one
        assert (await backend.health()).ready
        wedged.release()
        assert await first == "thinkingok"
    finally:
        wedged.release()
        await backend.aclose()


async def test_readyz_answers_503_while_the_engine_is_stuck(
    make_backend: Callable[..., LocalBackend],
    make_settings: Callable[..., Settings],
    tiny_model: Path,
    wedged: Wedged,
) -> None:
    backend = make_backend(timeout_s=1, stop_grace_s=0.5)
    settings = make_settings(llm_backend=backend.name, model=str(tiny_model))
    runtime = build(settings, plugins=plugins_with(backend))
    await runtime.start()
    app = create_app(runtime)
    headers = {"X-API-Key": TEST_KEY}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            assert (await client.get("/readyz")).status_code == 200
            chat = await client.post("/chat", json={"prompt": "hello"}, headers=headers)
            assert chat.status_code == 504, chat.text

            async def not_ready() -> bool:
                return (await client.get("/readyz")).status_code == 503

            await until(not_ready)
            body = (await client.get("/readyz", headers=headers)).json()
            assert body["backend"]["ok"] is False and "stuck" in body["backend"]["detail"]
            assert body["backend"]["ready"] is False and body["status"] == "unavailable"
            public = (await client.get("/readyz")).json()  # the state, without the detail
            assert public["backend"] == {"ok": False, "ready": False, "breaker": "closed"}
            busy = await client.post("/chat", json={"prompt": "again"}, headers=headers)
            assert busy.status_code == 503 and busy.json()["error"]["code"] == "backend_busy"

            wedged.release()

            async def ready() -> bool:
                return (await client.get("/readyz")).status_code == 200

            await until(ready)
    finally:
        wedged.release()
        await runtime.aclose()


def test_the_process_exits_although_the_engine_never_stops(
    tiny_model: Path, tmp_path: Path
) -> None:
    """What SIGTERM comes down to once the server has stopped serving: closing the
    backend, then the interpreter's exit. A thread pool's worker would be joined there
    forever."""
    script = textwrap.dedent(
        f"""
        import asyncio, time
        from tests.fakes.engines import Wedged
        from vega.errors import BackendTimeout
        from vega.llm.base import GenerationParams, Message
        from vega.llm.local import LocalBackend
        from vega.llm.local_models import RegisteredModels
        from vega.store.db import Database

        async def main():
            db = Database.from_url("sqlite:///{tmp_path / "models.db"}")
            db.migrate()
            wedged = Wedged()  # never released
            backend = LocalBackend(
                kind="transformers", registry=RegisteredModels(db, owns_db=True),
                default_model={str(tiny_model)!r}, timeout_s=0.5,
                loaders={{"transformers": lambda _model: wedged}},
            )
            try:
                async for _ in backend.stream([Message("user", "hi")], GenerationParams(model="")):
                    pass
            except BackendTimeout:
                pass
            started = time.monotonic()
            await backend.aclose()
            print(round(time.monotonic() - started, 1), flush=True)

        asyncio.run(main())
        """
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    closing = float(done.stdout.split()[0])
    assert closing < 5 + SLACK_S  # CLOSE_TIMEOUT_S at most
    assert time.monotonic() - started < 30  # imports included; a hang would be forever
