"""Text that arrives together goes on together; text that trickles in flows token by token."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vega.llm.base import Backend, GenerationParams, Message
from vega.llm.ollama import OllamaBackend
from vega.llm.openai import OpenAIBackend

MSGS = [Message("user", "hi")]
PARAMS = GenerationParams(model="llama3.2")
TOKENS = [f" w{i}" for i in range(200)]


def backends(url: str) -> list[Backend]:
    return [
        OllamaBackend(url, timeout_s=10, connect_timeout_s=2),
        OpenAIBackend(url + "/v1", timeout_s=10, connect_timeout_s=2),
    ]


@pytest.mark.parametrize("which", [0, 1], ids=["ollama", "openai"])
async def test_a_slow_model_streams_one_delta_per_token(fake_llm: Any, which: int) -> None:
    fake_llm.state.tokens = TOKENS[:10]
    fake_llm.state.token_delay_s = 0.02
    backend = backends(fake_llm.url)[which]
    texts = [d.text async for d in backend.stream(MSGS, PARAMS) if d.text]
    assert texts == TOKENS[:10]
    await backend.aclose()


@pytest.mark.parametrize("which", [0, 1], ids=["ollama", "openai"])
async def test_tokens_that_piled_up_come_as_fewer_deltas_with_the_same_text(
    fake_llm: Any, which: int
) -> None:
    fake_llm.state.tokens = TOKENS
    backend = backends(fake_llm.url)[which]
    deltas = []
    async for delta in backend.stream(MSGS, PARAMS):
        deltas.append(delta)
        if len(deltas) == 1:
            await asyncio.sleep(0.3)  # a busy consumer: the rest of the reply piles up
    texts = [d.text for d in deltas if d.text]
    assert "".join(texts) == "".join(TOKENS)
    assert len(texts) < len(TOKENS) / 4
    assert deltas[-1].done
    assert deltas[-1].usage is not None and deltas[-1].usage.completion_tokens == len(TOKENS)
    await backend.aclose()
