"""VEGA_LLM_BACKEND=auto against the fake Ollama over real HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.server import free_port
from vega.llm.auto import AutoBackend, Candidate
from vega.llm.base import GenerationParams, Message
from vega.llm.ollama import OllamaBackend
from vega.llm.openai import OpenAIBackend


def ollama(url: str) -> OllamaBackend:
    return OllamaBackend(url, timeout_s=5, connect_timeout_s=1)


async def test_picks_ollama_when_it_answers(fake_llm: Any) -> None:
    auto = AutoBackend([Candidate(ollama(fake_llm.url), probe=True)], recheck_s=30)
    await auto.refresh()
    assert auto.name == "ollama"
    text = "".join(
        [
            d.text
            async for d in auto.stream([Message("user", "hi")], GenerationParams(model="llama3.2"))
        ]
    )
    assert text == "Hello from the fake model."
    await auto.aclose()


async def test_falls_back_to_openai_then_none(fake_llm: Any) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    openai = OpenAIBackend(fake_llm.url + "/v1", timeout_s=5, connect_timeout_s=1)
    auto = AutoBackend(
        [Candidate(ollama(closed), probe=True), Candidate(openai, probe=False)], recheck_s=30
    )
    await auto.refresh()
    assert auto.name == "openai"
    nothing = AutoBackend([Candidate(ollama(closed), probe=True)], recheck_s=30)
    await nothing.refresh()
    assert nothing.name == "none"
    assert "auto → none" in nothing.describe()
    await auto.aclose()
    await nothing.aclose()


async def test_ollama_started_later_is_picked_up_without_restart(fake_llm: Any) -> None:
    fake_llm.state.fail_status = 500  # "not there yet": health checks fail
    auto = AutoBackend([Candidate(ollama(fake_llm.url), probe=True)], recheck_s=0.2)
    await auto.refresh()
    assert auto.name == "none"
    fake_llm.state.fail_status = None
    await asyncio.sleep(0.25)
    text = "".join(
        [
            d.text
            async for d in auto.stream([Message("user", "hi")], GenerationParams(model="llama3.2"))
        ]
    )
    assert auto.name == "ollama"
    assert text == "Hello from the fake model."
    await auto.aclose()
