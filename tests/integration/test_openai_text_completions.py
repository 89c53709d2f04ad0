"""OpenAI's legacy text completions (POST /v1/completions) driven by the real `openai`
SDK's `client.completions.create`, streamed and not, against a real `vega serve` in
front of the fake LLM server.

The prompt is a chat turn like any other: what the model was sent is checked in the
fake's recorded requests, what was logged in the server's SQLite file; the same
limits, cancellation on hang-up and error shapes apply. What needs the model's raw
tokens (echo, suffix, logprobs, several choices) is refused with 400. (A key revoked
mid-stream ends this stream too: tests/integration/test_auth_matrix.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.fakes.llm_server import FakeLLM
from tests.helpers import assert_streamed_in_order, db_rows, messages_of, unique, user_message
from tests.support.compat import (
    MAX_PROMPT,
    SLOW_TOKENS,
    chat_bodies,
    reply_row,
    serve_with_notes,
    wait_for,
)
from tests.support.server import VegaServer


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLM
) -> Iterator[VegaServer]:
    srv = serve_with_notes(
        tmp_path_factory.mktemp("text-completions") / "data", fake_llm_server.url
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_llm: FakeLLM) -> FakeLLM:
    return fake_llm


def client(server: VegaServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=server.key, max_retries=0, timeout=30)


def count_messages(server: VegaServer) -> int:
    return int(db_rows(server.data_dir, "SELECT count(*) AS n FROM messages")[0]["n"])


def test_the_sdk_completes_a_prompt_and_the_turn_is_logged(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = "Paris, on the Seine."
    prompt, user = unique("The capital of France is"), f"bob-{unique('u')}"

    raw = client(server).completions.with_raw_response.create(
        model="llama3.2",
        prompt=prompt,
        max_tokens=50,
        temperature=0.3,
        top_p=0.9,
        stop=["END"],
        seed=7,
        user=user,
        presence_penalty=0.5,  # ignored, as OpenAI-compatible servers do
    )
    completion = raw.parse()

    assert completion.object == "text_completion"
    assert completion.id.startswith("cmpl-")
    assert completion.model == "llama3.2"
    (choice,) = completion.choices
    assert (choice.index, choice.text, choice.finish_reason) == (0, "Paris, on the Seine.", "stop")
    assert choice.logprobs is None
    assert completion.usage is not None and completion.usage.completion_tokens == 4
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    # The model was sent the prompt as the user's message, after Vega's system prompt.
    sent = chat_bodies(fake_llm)[-1]
    assert sent["model"] == "llama3.2"
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["messages"][-1]["content"] == prompt
    assert sent["options"] == {
        "temperature": 0.3,
        "top_p": 0.9,
        "num_predict": 50,
        "stop": ["END"],
        "seed": 7,
    }
    # Logged as an OpenAI turn, in the conversation the answer names.
    session = raw.headers["x-vega-session"]
    user_message(server.data_dir, prompt, source="openai", conversation_id=session)
    rows = messages_of(server.data_dir, session)
    assert [(r["role"], r["content"], r["source"]) for r in rows] == [
        ("user", prompt, "openai"),
        ("assistant", "Paris, on the Seine.", "openai"),
    ]
    assert rows[1]["status"] == "ok" and rows[1]["model"] == "llama3.2"


def test_the_sdk_streams_a_completion_in_order_then_usage(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    tokens = ["Once", " upon", " a", " time"]
    fake_llm.state.configure(tokens=tokens, token_delay_s=0.02)
    prompt = unique("Begin a story")

    chunks = list(
        client(server).completions.create(
            model="llama3.2", prompt=prompt, stream=True, stream_options={"include_usage": True}
        )
    )

    assert all(c.object == "text_completion" for c in chunks)
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("cmpl-")
    pieces = [c.choices[0].text for c in chunks if c.choices and c.choices[0].text]
    assert_streamed_in_order(pieces, tokens, slow=True)
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finishing] == ["stop"]
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None and last.usage.completion_tokens == len(tokens)
    assert all(c.usage is None for c in chunks[:-1])
    reply = reply_row(server, prompt)
    assert reply["status"] == "ok" and reply["content"] == "".join(tokens)
    assert reply["source"] == "openai"


async def test_the_async_sdk_and_a_list_of_one_prompt(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = "one two three four five"
    sdk = openai.AsyncOpenAI(base_url=server.url + "/v1", api_key=server.key, max_retries=0)
    prompt = unique("count")

    cut = await sdk.completions.create(model="llama3.2", prompt=[prompt], max_tokens=3)
    stream = await sdk.completions.create(model="llama3.2", prompt=unique("again"), stream=True)
    text = "".join([c.choices[0].text async for c in stream if c.choices])
    await sdk.close()

    assert cut.choices[0].text == "one two three"
    assert cut.choices[0].finish_reason == "length"
    assert chat_bodies(fake_llm)[0]["options"] == {"num_predict": 3}
    assert reply_row(server, prompt)["content"] == "one two three"
    assert text == "one two three four five"


def test_a_vega_rag_model_answers_from_the_collection_with_sources(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.reply = "They dance [1]."
    prompt = unique("How do honeybees share directions?")

    completion = client(server).completions.create(model="vega-rag/notes", prompt=prompt)

    assert completion.choices[0].text == "They dance [1]."
    sources = (completion.model_extra or {})["sources"]
    assert any("waggle dance" in s["snippet"] for s in sources)
    assert "waggle dance" in chat_bodies(fake_llm)[-1]["messages"][0]["content"]


REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "echo": ({"echo": True}, "echo"),
    "suffix": ({"suffix": "}"}, "suffix"),
    "logprobs": ({"logprobs": 2}, "logprobs"),
    "best_of": ({"best_of": 2}, "best_of"),
    "n": ({"n": 2}, "n"),
    "two prompts": ({"prompt": ["a", "b"]}, "prompt"),
    "token ids": ({"prompt": [1734, 318]}, "prompt"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_needs_raw_tokens_is_refused_in_openais_shape(
    server: VegaServer, fake_llm: FakeLLM, case: str
) -> None:
    extra, param = REFUSED[case]
    ask: dict[str, Any] = {"model": "llama3.2", "prompt": unique("refused"), **extra}
    before = count_messages(server)

    with pytest.raises(openai.BadRequestError) as refused:
        client(server).completions.create(**ask)

    assert refused.value.status_code == 400
    assert refused.value.type == "invalid_request_error"
    assert refused.value.code == "bad_input"
    assert refused.value.param is not None and refused.value.param.startswith(param)
    assert chat_bodies(fake_llm) == []
    assert count_messages(server) == before


def test_the_limits_and_errors_of_a_turn_apply(server: VegaServer, fake_llm: FakeLLM) -> None:
    sdk = client(server)
    with pytest.raises(openai.APIStatusError) as too_long:
        sdk.completions.create(model="llama3.2", prompt="x" * (MAX_PROMPT + 1))
    assert too_long.value.status_code == 413 and too_long.value.code == "payload_too_large"

    bad_key = openai.OpenAI(base_url=server.url + "/v1", api_key="vega-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.completions.create(model="llama3.2", prompt="hi")

    fake_llm.state.fail_status = 503
    prompt = unique("anyone there?")
    with pytest.raises(openai.InternalServerError) as down:
        sdk.completions.create(model="llama3.2", prompt=prompt, stream=True)
    assert down.value.status_code == 503 and down.value.code == "backend_unavailable"
    assert reply_row(server, prompt)["status"] == "error"

    wrong_method = httpx.get(server.url + "/v1/completions", headers=server.headers)
    assert wrong_method.status_code == 405


def test_hanging_up_mid_stream_cancels_upstream_and_stores_cancelled(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.configure(tokens=SLOW_TOKENS, token_delay_s=0.1)
    prompt = unique("a very long story")
    received: list[str] = []

    stream = client(server).completions.create(model="llama3.2", prompt=prompt, stream=True)
    for chunk in stream:
        if chunk.choices and chunk.choices[0].text:
            received.append(chunk.choices[0].text)
        if len(received) == 2:
            break
    stream.close()

    wait_for(lambda: fake_llm.state.cancelled >= 1, 5, "the fake to see the cancellation")
    assert fake_llm.state.completed == 0
    reply = reply_row(server, prompt)
    assert reply["status"] == "cancelled"
    assert reply["content"].startswith("".join(received))
    assert len(reply["content"]) < len("".join(SLOW_TOKENS))
