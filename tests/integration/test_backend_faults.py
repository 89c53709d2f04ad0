"""Model-server faults through a real `vega serve`, for both backend protocols.

The fake LLM server speaks Ollama's NDJSON and OpenAI's SSE; each fault is played on
both, and seen through every way a client can ask (JSON, SSE, the OpenAI and Ollama
routes, the WebSocket): the right status, streams that end with an error in their
own protocol, every user message stored (and the reply stored with the right
status), the backend's own error text kept in the log and never sent to a client,
and the breaker opening, answering fast while open, and half-opening after its
reset time.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.fakes.llm_server import FakeLLM
from tests.helpers import db_rows, parse_sse, unique, user_message, ws_url
from tests.support.server import VegaServer, start_vega

PROTOCOLS = ("ollama", "openai")
# What a model server might put in an error: it must reach the log, never a client.
SECRET = "upstream-secret: db password hunter2 at 10.1.2.3"
TOKENS = ["One", " two", " three", " four", " five"]
CLIENTS = ("json", "sse", "openai", "ollama")


def backend_settings(protocol: str, fake: FakeLLM) -> dict[str, Any]:
    if protocol == "ollama":
        return {"llm_backend": "ollama", "ollama_url": fake.url}
    return {"llm_backend": "openai", "openai_base_url": fake.openai_url}


@pytest.fixture(scope="module", params=PROTOCOLS)
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fake_llm_server: FakeLLM,
) -> Iterator[VegaServer]:
    """One server per backend protocol, its breaker out of reach (tested on its own)."""
    srv = start_vega(
        tmp_path_factory.mktemp(f"faults-{request.param}") / "data",
        **backend_settings(request.param, fake_llm_server),
        cache_ttl_s=0,
        llm_timeout_s=1,
        breaker_failures=1000,
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _settle(fake_llm: FakeLLM) -> Iterator[None]:
    yield
    fake_llm.state.reset()
    deadline = time.monotonic() + 5
    while fake_llm.state.active_streams and time.monotonic() < deadline:
        time.sleep(0.02)


# --- one turn, through each kind of client ------------------------------------------------


def ask(server: VegaServer, client: str, prompt: str) -> tuple[int, str]:
    """(status, body) of one turn; streams are read to their end."""
    messages = [{"role": "user", "content": prompt}]
    path, body = {
        "json": ("/chat", {"prompt": prompt}),
        "sse": ("/chat/sse", {"prompt": prompt}),
        "openai": ("/v1/chat/completions", {"model": "m", "messages": messages, "stream": True}),
        "ollama": ("/api/chat", {"model": "m", "messages": messages}),
    }[client]
    with httpx.stream(
        "POST", server.url + path, json=body, headers=server.headers, timeout=15
    ) as response:
        return response.status_code, response.read().decode()


def stream_error(client: str, body: str) -> str:
    """The error code a stream ended with, in its protocol's shape."""
    if client == "sse":
        name, data = parse_sse(body)[-1]
        assert name == "error", body
        return str(data["error"]["code"])
    if client == "openai":
        last = [line for line in body.splitlines() if line.startswith("data: ")][-1]
        assert last != "data: [DONE]", body
        return str(json.loads(last[len("data: ") :])["error"]["code"])
    last_line = json.loads(body.strip().splitlines()[-1])
    assert isinstance(last_line["error"], str) and last_line["error"]
    return "error"


def reply_to(server: VegaServer, prompt: str) -> dict[str, Any]:
    user = user_message(server.data_dir, prompt)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rows = db_rows(
            server.data_dir,
            "SELECT * FROM messages WHERE role = 'assistant' AND conversation_id = ?",
            user["conversation_id"],
        )
        if rows:
            (row,) = rows
            return row
        time.sleep(0.02)
    raise AssertionError(f"no reply stored for {prompt!r}")


def assert_secret_kept(server: VegaServer, *bodies: str) -> None:
    for body in bodies:
        assert SECRET not in body and "hunter2" not in body
    assert not db_rows(server.data_dir, "SELECT 1 FROM messages WHERE error LIKE ?", "%hunter2%"), (
        "the backend's text was stored where the API shows it"
    )


# --- faults before the first token --------------------------------------------------------

ERROR_STATUS = {500: (502, "backend_error"), 503: (503, "backend_unavailable")}


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("upstream", sorted(ERROR_STATUS))
def test_error_status_is_mapped_and_its_text_stays_in_the_log(
    server: VegaServer, fake_llm: FakeLLM, client: str, upstream: int
) -> None:
    fake_llm.state.configure(fail_status=upstream, error_message=SECRET)
    prompt = unique(f"fail {upstream} via {client}")

    status, body = ask(server, client, prompt)

    expected_status, code = ERROR_STATUS[upstream]
    assert status == expected_status, body
    error = json.loads(body)["error"]
    if client != "ollama":
        assert error["code"] == code
    assert_secret_kept(server, body)
    assert SECRET in server.log()  # logged for the operator
    reply = reply_to(server, prompt)
    assert reply["status"] == "error" and reply["error"].startswith(code)


@pytest.mark.parametrize("client", CLIENTS)
def test_hang_is_504_after_the_timeout_and_the_upstream_request_is_dropped(
    server: VegaServer, fake_llm: FakeLLM, client: str
) -> None:
    fake_llm.state.hang = True
    prompt = unique(f"hang via {client}")

    started = time.monotonic()
    status, body = ask(server, client, prompt)
    elapsed = time.monotonic() - started

    assert status == 504, body
    assert 0.9 <= elapsed < 3.0, elapsed  # VEGA_LLM_TIMEOUT_S=1
    deadline = time.monotonic() + 3
    while fake_llm.state.active_streams and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake_llm.state.active_streams == 0
    assert reply_to(server, prompt)["status"] == "error"


# --- faults after some tokens --------------------------------------------------------------

MID_STREAM = {
    "malformed_after": "a malformed frame",
    "drop_after": "the connection cut",
    "error_after": "an error frame from the model server",
}


@pytest.mark.parametrize("client", [c for c in CLIENTS if c != "json"])
@pytest.mark.parametrize("fault", MID_STREAM)
def test_stream_broken_after_tokens_ends_with_an_error_in_its_protocol(
    server: VegaServer, fake_llm: FakeLLM, fault: str, client: str
) -> None:
    fake_llm.state.configure(tokens=TOKENS, error_message=SECRET, **{fault: 2})
    prompt = unique(f"{fault} via {client}")

    status, body = ask(server, client, prompt)

    assert status == 200  # the first token had gone out with the headers
    assert "One" in body and " two" in body and " three" not in body
    code = stream_error(client, body)
    assert code in ("backend_error", "error")
    assert_secret_kept(server, body)
    reply = reply_to(server, prompt)
    assert reply["status"] == "error"
    assert reply["content"] == "One two"  # what the client saw is what is stored


@pytest.mark.parametrize("fault", MID_STREAM)
def test_json_turn_broken_mid_stream_is_502_and_keeps_the_partial_reply(
    server: VegaServer, fake_llm: FakeLLM, fault: str
) -> None:
    fake_llm.state.configure(tokens=TOKENS, error_message=SECRET, **{fault: 2})
    prompt = unique(f"{fault} via json")

    status, body = ask(server, "json", prompt)

    assert status == 502, body
    assert json.loads(body)["error"]["code"] == "backend_error"
    assert_secret_kept(server, body)
    reply = reply_to(server, prompt)
    assert (reply["status"], reply["content"]) == ("error", "One two")


async def test_websocket_turn_broken_mid_stream_ends_with_an_error_frame(
    server: VegaServer, fake_llm: FakeLLM
) -> None:
    fake_llm.state.configure(tokens=TOKENS, error_message=SECRET, error_after=2)
    prompt = unique("error_after via ws")
    frames: list[dict[str, Any]] = []
    async with websockets.connect(
        ws_url(server), additional_headers=server.headers, open_timeout=10
    ) as ws:
        await ws.send(json.dumps({"type": "message", "content": prompt}))
        async with asyncio.timeout(10):
            while not frames or frames[-1]["type"] == "token":
                frames.append(json.loads(await ws.recv()))
        # The socket stays usable after a failed turn.
        fake_llm.state.reset()
        await ws.send(json.dumps({"type": "message", "content": unique("again")}))
        async with asyncio.timeout(10):
            while (frame := json.loads(await ws.recv()))["type"] != "response_end":
                pass
    assert frames[-1]["type"] == "error"
    assert frames[-1]["error"]["code"] == "backend_error"
    assert "".join(f["token"] for f in frames if f["type"] == "token") == "One two"
    assert_secret_kept(server, json.dumps(frames))
    assert frame["metadata"]["message_id"]
    assert reply_to(server, prompt)["status"] == "error"


@pytest.mark.parametrize("client", CLIENTS)
def test_slow_tokens_within_the_timeout_each_make_a_whole_reply(
    server: VegaServer, fake_llm: FakeLLM, client: str
) -> None:
    """Each token comes 0.3 s after the last, the whole reply takes longer than the 1 s
    timeout: the timeout is for a silent model, not for a slow one."""
    fake_llm.state.configure(tokens=TOKENS, token_delay_s=0.3)
    prompt = unique(f"slow via {client}")

    status, body = ask(server, client, prompt)

    assert status == 200, body
    assert "error" not in body
    reply = reply_to(server, prompt)
    assert (reply["status"], reply["content"]) == ("ok", "".join(TOKENS))


# --- the circuit breaker ----------------------------------------------------------------------


def timed(call: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_breaker_opens_answers_fast_and_half_opens_after_the_reset(
    vega_server_factory: Callable[..., VegaServer], fake_llm: FakeLLM, protocol: str
) -> None:
    server = vega_server_factory(
        **backend_settings(protocol, fake_llm),
        cache_ttl_s=0,
        breaker_failures=3,
        breaker_reset_s=1,
    )
    model_path = "/api/chat" if protocol == "ollama" else "/v1/chat/completions"

    def model_calls() -> int:
        return sum(1 for r in fake_llm.state.requests if r.path == model_path)

    fake_llm.state.configure(fail_status=500, error_message=SECRET)
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as client:

        def chat(prompt: str) -> httpx.Response:
            return client.post("/chat", json={"prompt": prompt})

        for i in range(3):  # VEGA_BREAKER_FAILURES=3
            assert chat(f"fail {i}").status_code == 502
        tried = model_calls()

        # Open: refused at once, without asking the model server.
        fast = [timed(lambda i=i: chat(f"while open {i}")) for i in range(10)]
        for _, response in fast:
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "backend_unavailable"
            assert 1 <= int(response.headers["retry-after"]) <= 1
        assert statistics.median(s for s, _ in fast) < 0.05, [s for s, _ in fast]
        assert model_calls() == tried
        sse = client.post("/chat/sse", json={"prompt": "sse while open"})
        assert sse.status_code == 503
        assert client.get("/readyz").json()["backend"]["breaker"] == "open"

        # After the reset time one probe goes through; it fails, so the breaker opens again.
        time.sleep(1.1)
        assert chat("failed probe").status_code == 502
        assert model_calls() == tried + 1
        assert chat("open again").status_code == 503
        assert model_calls() == tried + 1

        # The model server recovers: the next probe closes the breaker.
        fake_llm.state.reset()
        time.sleep(1.1)
        assert chat("good probe").status_code == 200
        assert chat("closed").status_code == 200
        assert client.get("/readyz").json()["backend"]["breaker"] == "closed"
        metrics = client.get("/metrics").text
        assert f'vega_breaker_state{{backend="{protocol}"}} 0.0' in metrics

    for i in range(10):
        assert reply_to(server, f"while open {i}")["status"] == "error"
    assert reply_to(server, "failed probe")["status"] == "error"
    assert reply_to(server, "good probe")["status"] == "ok"
    user_message(server.data_dir, "sse while open")
    assert_secret_kept(server)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_refused_connections_are_503_and_say_where_and_what_to_do(
    vega_server_factory: Callable[..., VegaServer], protocol: str
) -> None:
    from tests.support.server import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    settings = (
        {"llm_backend": "ollama", "ollama_url": closed}
        if protocol == "ollama"
        else {"llm_backend": "openai", "openai_base_url": closed + "/v1"}
    )
    server = vega_server_factory(**settings, breaker_failures=1000)
    prompt = unique("anyone there")

    response = httpx.post(
        server.url + "/chat", json={"prompt": prompt}, headers=server.headers, timeout=10
    )

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "backend_unavailable"
    assert closed in error["message"]
    reply = reply_to(server, prompt)
    assert reply["status"] == "error" and reply["content"] == ""
