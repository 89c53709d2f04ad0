"""Tool calling on the wire: the openai SDK's and the ollama client's own tool examples,
unmodified, through a real `vega serve`, on both model-server protocols.

The fake model server calls the tool when the last message is the user's and answers
from the tool's result once it has one, as a real model does. Each test then checks
what the model was sent and what the conversation stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import ollama
import openai
import pytest

from tests.fakes.llm_server import FakeLLM, Messages
from tests.helpers import db_rows, unique
from tests.support.server import VegaServer, start_vega

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get current temperature for provided coordinates in celsius.",
        "parameters": {
            "type": "object",
            "properties": {"latitude": {"type": "number"}, "longitude": {"type": "number"}},
            "required": ["latitude", "longitude"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
PARIS = {"latitude": 48.8566, "longitude": 2.3522}


def calls_weather_then_answers(fake: FakeLLM, name: str, arguments: dict[str, Any]) -> None:
    def tool_calls(messages: Messages) -> list[dict[str, Any]] | None:
        if messages and messages[-1].get("role") == "tool":
            return None
        return [{"name": name, "arguments": arguments}]

    def reply(messages: Messages) -> str:
        return f"It is {messages[-1].get('content')} there."

    fake.state.tool_calls_fn = tool_calls
    fake.state.reply_fn = reply


@pytest.fixture(scope="module", params=["ollama", "openai"])
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
    module_store_settings: dict[str, str],
) -> Iterator[VegaServer]:
    """`vega serve` in front of the fake, speaking its Ollama or its OpenAI protocol."""
    backend = {"llm_backend": request.param, "cache_ttl_s": 0}
    if request.param == "ollama":
        backend["ollama_url"] = fake_llm_server.url
    else:
        backend["openai_base_url"] = fake_llm_server.openai_url
    srv = start_vega(
        tmp_path_factory.mktemp("tools-wire") / "data", **backend, **module_store_settings
    )
    srv.protocol = request.param  # type: ignore[attr-defined]
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_llm: FakeLLM) -> FakeLLM:
    return fake_llm


def sent_to_model(server: VegaServer, fake: FakeLLM) -> dict[str, Any]:
    path = "/api/chat" if server.protocol == "ollama" else "/v1/chat/completions"  # type: ignore[attr-defined]
    body: dict[str, Any] = fake.state.last_body(path)
    return body


def stored(server: VegaServer, conversation_id: str) -> list[dict[str, Any]]:
    return db_rows(
        server.data_dir,
        "SELECT role, content, tool_calls, tool_call_id, tool_name FROM messages "
        "WHERE conversation_id = ? ORDER BY created, rowid",
        conversation_id,
    )


def openai_client(server: VegaServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=server.key, max_retries=0, timeout=30)


def test_openai_sdk_function_calling_example(server: VegaServer, fake_llm: FakeLLM) -> None:
    """OpenAI's guide, as written: call, run the function, send the result back."""
    calls_weather_then_answers(fake_llm, "get_weather", PARIS)
    client = openai_client(server)
    question = unique("What is the weather like in Paris today?")
    messages: list[Any] = [{"role": "user", "content": question}]
    completion = client.chat.completions.create(
        model="llama3.2", messages=messages, tools=[WEATHER_TOOL]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    tool_call = choice.message.tool_calls[0]
    assert tool_call.function.name == "get_weather"
    args = json.loads(tool_call.function.arguments)
    assert args == PARIS
    sent = sent_to_model(server, fake_llm)
    assert sent["tools"][0]["function"]["name"] == "get_weather"
    assert sent["tools"][0]["function"]["parameters"] == WEATHER_TOOL["function"]["parameters"]

    messages.append(choice.message)  # the SDK's own message object, as the guide does
    messages.append({"role": "tool", "tool_call_id": tool_call.id, "content": "14°C"})
    completion_2 = client.chat.completions.create(
        model="llama3.2", messages=messages, tools=[WEATHER_TOOL]
    )
    assert completion_2.choices[0].message.content == "It is 14°C there."
    assert completion_2.choices[0].finish_reason == "stop"
    sent = sent_to_model(server, fake_llm)["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert sent[-1]["content"] == "14°C"

    # One conversation: the question, the call, the tool's answer, the reply.
    session = completion_2.model_extra or {}
    rows = db_rows(
        server.data_dir,
        "SELECT conversation_id FROM messages WHERE content = ?",
        question,
    )
    history = stored(server, rows[0]["conversation_id"])
    assert [r["role"] for r in history] == ["user", "assistant", "tool", "assistant"]
    calls = history[1]["tool_calls"]
    calls = json.loads(calls) if isinstance(calls, str) else calls
    assert calls[0]["name"] == "get_weather" and json.loads(calls[0]["arguments"]) == PARIS
    assert history[2]["content"] == "14°C"
    assert history[2]["tool_call_id"] == tool_call.id
    assert history[3]["content"] == "It is 14°C there."
    assert session is not None


def test_openai_sdk_streamed_tool_calls(server: VegaServer, fake_llm: FakeLLM) -> None:
    """The streaming guide: argument fragments gathered by index."""
    long_arguments = {"latitude": 48.8566, "longitude": 2.3522, "note": "x" * 700}
    calls_weather_then_answers(fake_llm, "get_weather", long_arguments)
    client = openai_client(server)
    stream = client.chat.completions.create(
        model="llama3.2",
        messages=[{"role": "user", "content": unique("Weather in Paris?")}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    final_tool_calls: dict[int, Any] = {}
    fragments = 0
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        for tool_call in chunk.choices[0].delta.tool_calls or []:
            fragments += 1
            index = tool_call.index
            if index not in final_tool_calls:
                final_tool_calls[index] = tool_call
            else:
                final_tool_calls[index].function.arguments += tool_call.function.arguments
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert fragments > 2  # the arguments came in pieces
    call = final_tool_calls[0]
    assert call.id and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == long_arguments


def test_ollama_client_tools_example(server: VegaServer, fake_llm: FakeLLM) -> None:
    """ollama-python's examples/tools.py: Python functions as tools, arguments as a dict."""

    def add_two_numbers(a: int, b: int) -> int:
        """
        Add two numbers

        Args:
          a (int): The first number
          b (int): The second number

        Returns:
          int: The sum of the two numbers
        """
        return int(a) + int(b)

    calls_weather_then_answers(fake_llm, "add_two_numbers", {"a": 3, "b": 10})
    client = ollama.Client(host=server.url, headers={"X-API-Key": server.key})
    messages: list[Any] = [{"role": "user", "content": unique("What is three plus ten?")}]
    available_functions = {"add_two_numbers": add_two_numbers}
    response = client.chat("llama3.2", messages=messages, tools=[add_two_numbers])
    assert response.message.tool_calls
    output = None
    for tool in response.message.tool_calls:
        if function_to_call := available_functions.get(tool.function.name):
            output = function_to_call(**tool.function.arguments)
    assert output == 13
    sent = sent_to_model(server, fake_llm)
    assert sent["tools"][0]["function"]["name"] == "add_two_numbers"
    assert set(sent["tools"][0]["function"]["parameters"]["properties"]) == {"a", "b"}

    messages.append(response.message)
    messages.append({"role": "tool", "content": str(output), "tool_name": tool.function.name})
    final_response = client.chat("llama3.2", messages=messages)
    assert final_response.message.content == "It is 13 there."


def test_ollama_client_streamed_tool_calls(server: VegaServer, fake_llm: FakeLLM) -> None:
    calls_weather_then_answers(fake_llm, "add_two_numbers", {"a": 1, "b": 2})
    client = ollama.Client(host=server.url, headers={"X-API-Key": server.key})
    calls = []
    for part in client.chat(
        "llama3.2",
        messages=[{"role": "user", "content": unique("1 + 2?")}],
        tools=[WEATHER_TOOL],
        stream=True,
    ):
        calls.extend(part.message.tool_calls or [])
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
        ("add_two_numbers", {"a": 1, "b": 2})
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tools": [{"type": "function", "function": {"name": "bad name!"}}]}, "tools"),
        ({"tools": [WEATHER_TOOL, WEATHER_TOOL]}, "defined twice"),
        (
            {
                "tools": [WEATHER_TOOL],
                "tool_choice": {"type": "function", "function": {"name": "other"}},
            },
            "tool_choice",
        ),
        ({"tool_choice": "sometimes"}, "tool_choice"),
        ({"functions": [{"name": "f"}]}, "functions"),
    ],
)
def test_bad_tools_are_refused(server: VegaServer, body: dict[str, Any], message: str) -> None:
    response = httpx.post(
        server.url + "/v1/chat/completions",
        json={"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], **body},
        headers=server.headers,
        timeout=10,
    )
    assert response.status_code in (400, 422), response.text
    assert message in response.text


def test_a_tool_message_with_no_call_before_it_is_refused(server: VegaServer) -> None:
    response = httpx.post(
        server.url + "/v1/chat/completions",
        json={
            "model": "llama3.2",
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "call_x", "content": "42"},
            ],
        },
        headers=server.headers,
        timeout=10,
    )
    assert response.status_code in (400, 422), response.text
    assert "tool_calls" in response.json()["error"]["message"]
