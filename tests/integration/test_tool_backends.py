"""Tool calling through both HTTP backends, over real loopback HTTP to the fake LLM server:
the tools go out in each protocol's shape, the calls come back whole (OpenAI's streamed
fragments put together), tool messages go back in each protocol's shape."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from tests.fakes.llm_server import FakeLLM
from tests.integration.test_backends import CHAT_PATH, make_backend
from vega.errors import BackendRejected
from vega.llm.base import Backend, GenerationParams, Message, ToolCall, ToolSpec
from vega.llm.gateway import Gateway
from vega.llm.none import NoneBackend
from vega.metrics import Metrics

WEATHER = ToolSpec(
    name="get_weather",
    description="The weather in a city.",
    parameters=json.dumps(
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    ),
)
PARAMS = GenerationParams(model="llama3.2", tools=(WEATHER,), tool_choice="auto")


@pytest.fixture(params=["ollama", "openai"])
async def backend(request: pytest.FixtureRequest, fake_llm: FakeLLM) -> AsyncIterator[Backend]:
    instance = make_backend(request.param, fake_llm.url)
    instance.kind = request.param  # type: ignore[attr-defined]
    yield instance
    await instance.aclose()


async def test_calls_come_back_whole(backend: Backend, fake_llm: FakeLLM) -> None:
    long_city = "Llanfairpwllgwyngyll and a long way past it"  # many argument fragments
    fake_llm.state.tool_calls = [
        {"name": "get_weather", "arguments": {"city": long_city}},
        {"name": "get_weather", "arguments": {"city": "Oslo"}},
    ]
    deltas = [d async for d in backend.stream([Message("user", "Weather?")], PARAMS)]
    calls = [c for d in deltas for c in d.tool_calls]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("get_weather", {"city": long_city}),
        ("get_weather", {"city": "Oslo"}),
    ]
    assert all(c.id for c in calls) and len({c.id for c in calls}) == 2
    assert deltas[-1].done and deltas[-1].finish_reason == "tool_calls"
    body = fake_llm.state.last_body(CHAT_PATH[backend.kind])  # type: ignore[attr-defined]
    assert body["tools"] == [WEATHER.wire()]
    if backend.kind == "openai":  # type: ignore[attr-defined]
        assert body["tool_choice"] == "auto"
    else:
        assert "tool_choice" not in body  # Ollama has no such field


async def test_tool_messages_go_back_in_the_protocols_shape(
    backend: Backend, fake_llm: FakeLLM
) -> None:
    call = ToolCall(id="call_1", name="get_weather", arguments='{"city": "Oslo"}')
    messages = [
        Message("user", "Weather in Oslo?"),
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", "12 degrees", tool_call_id="call_1", name="get_weather"),
    ]
    completion = await backend.complete(messages, PARAMS)
    assert completion.text == "Hello from the fake model."
    assert completion.tool_calls == ()
    sent = fake_llm.state.last_body(CHAT_PATH[backend.kind])["messages"]  # type: ignore[attr-defined]
    if backend.kind == "openai":  # type: ignore[attr-defined]
        assert sent[1]["tool_calls"] == [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
            }
        ]
        assert sent[2] == {"role": "tool", "content": "12 degrees", "tool_call_id": "call_1"}
    else:
        assert sent[1]["tool_calls"] == [
            {"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
        ]
        assert sent[2] == {"role": "tool", "content": "12 degrees", "tool_name": "get_weather"}


async def test_tool_choice_none_sends_no_tools_to_ollama(fake_llm: FakeLLM) -> None:
    backend = make_backend("ollama", fake_llm.url)
    try:
        params = GenerationParams(model="llama3.2", tools=(WEATHER,), tool_choice="none")
        await backend.complete([Message("user", "hi")], params)
        assert "tools" not in fake_llm.state.last_body("/api/chat")
    finally:
        await backend.aclose()


async def test_a_backend_without_tools_refuses_them_before_the_model_is_called() -> None:
    gateway = Gateway(
        NoneBackend(), metrics=Metrics(), breaker_failures=5, breaker_reset_s=30, cache_ttl_s=0
    )
    with pytest.raises(BackendRejected, match="does not support tool calling"):
        async for _ in gateway.stream([Message("user", "hi")], PARAMS):
            pass
