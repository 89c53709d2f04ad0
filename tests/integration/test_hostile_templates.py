"""A model with a hostile chat template, served by a real `vega serve` (transformers
backend, the tiny model with ``HOSTILE_CHAT_TEMPLATE``): the request that springs a
trap fails fast with a generic message and the request id, the template's text stays
in the log, the next request is answered, /readyz tells the truth, and SIGTERM (or
Ctrl-C) stops the server while a render is running.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.tiny_model import (
    FLOOD,
    HOSTILE_CHAT_TEMPLATE,
    REFUSE,
    SPIN,
    TEMPLATE_SECRET,
    with_chat_template,
)
from tests.support.processes import alive, children
from tests.support.server import VegaServer, start_vega
from vega.llm.local_models import library_missing

pytestmark = pytest.mark.skipif(
    library_missing("transformers") is not None, reason=f"{library_missing('transformers')}"
)

SLACK_S = 10.0  # margins for a loaded machine (three test processes on two cores)
SANDBOX = "vega.llm.template_sandbox"


@pytest.fixture(scope="module")
def hostile_model(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_chat_template(
        tiny_model, tmp_path_factory.mktemp("hostile-model"), HOSTILE_CHAT_TEMPLATE
    )


@pytest.fixture
def serve(tmp_path: Path, hostile_model: Path) -> Iterator[Any]:
    started: list[VegaServer] = []

    def start(**settings: Any) -> VegaServer:
        server = start_vega(
            tmp_path / f"vega-{len(started)}",
            llm_backend="transformers",
            model=str(hostile_model),  # VEGA_MODEL as a path
            system_prompt="",
            cache_ttl_s=0,
            **settings,
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL)


def chat(prompt: str) -> dict[str, Any]:
    return {"prompt": prompt, "temperature": 0, "max_tokens": 4}


async def test_a_hostile_template_fails_fast_and_the_server_keeps_serving(serve: Any) -> None:
    server = serve(template_timeout_s=2)
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=60) as c:
        first = await c.post("/chat", json=chat("hello"))  # loads the model
        assert first.status_code == 200, first.text

        refused: list[str] = []
        for trap, status, code, says in (
            (SPIN, 502, "backend_error", "did not render within 2 s"),
            (FLOOD, 502, "backend_error", "far more than any prompt needs"),
            (REFUSE, 400, "backend_rejected", "refused this conversation"),
        ):
            started = time.monotonic()
            answer = await c.post("/chat", json=chat(f"please {trap} now"))
            assert time.monotonic() - started < 2 + 1 + SLACK_S, trap  # budget, grace, slack
            assert answer.status_code == status, answer.text
            error = answer.json()["error"]
            assert error["code"] == code and says in error["message"]
            assert "server log" in error["message"]
            assert error["request_id"] == answer.headers["X-Request-ID"]
            assert TEMPLATE_SECRET not in answer.text and "range(" not in answer.text
            refused.append(error["request_id"])

        # The OpenAI route says the same, in its own shape, without the template's text.
        body = {"model": str(server.env["VEGA_MODEL"]), "messages": [{"role": "user"}]}
        body["messages"][0]["content"] = f"{REFUSE}!"
        openai = await c.post("/v1/chat/completions", json=body)
        assert openai.status_code == 400, openai.text
        assert TEMPLATE_SECRET not in openai.text

        after = await c.post("/chat", json=chat("hello again"))
        assert after.status_code == 200, after.text
        assert after.json()["response"]
        ready = await c.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["backend"]["ok"] is True

    server.stop()
    log = server.log()
    assert "Traceback" not in log
    # The template's words are in the log, on the line of the request that met them.
    refuse_line = next(line for line in log.splitlines() if TEMPLATE_SECRET in line)
    assert refused[2] in refuse_line
    assert "(time)" in log and "(output)" in log


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
async def test_a_signal_stops_the_server_in_the_middle_of_a_hostile_render(
    serve: Any, stop: signal.Signals
) -> None:
    server = serve(template_timeout_s=300)  # the render would go on for minutes
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=60) as c:
        assert (await c.post("/chat", json=chat("hello"))).status_code == 200
        sandboxes = children(server.proc.pid, running=SANDBOX)
        spinning = asyncio.create_task(c.post("/chat", json=chat(f"{SPIN} please")))
        await asyncio.sleep(1.5)  # the render is running
        assert not spinning.done()

        started = time.monotonic()
        server.proc.send_signal(stop)
        try:
            # uvicorn gives open requests 5 s, then cancels them; closing takes no longer.
            code = await asyncio.to_thread(server.proc.wait, 5 + SLACK_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"vega serve still runs {time.monotonic() - started:.0f} s after {stop!r}")
        finally:
            spinning.cancel()
            with contextlib.suppress(BaseException):
                await spinning
    # uvicorn ends by raising the signal it caught again (and logs the request it had to
    # cancel after its 5 s of grace: that is its shutdown, not a failure of ours).
    assert code in (0, -stop, 128 + stop), server.log()
    assert "Application shutdown complete" in server.log()
    assert sandboxes and not any(alive(pid) for pid in sandboxes)
