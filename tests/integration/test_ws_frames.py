"""The WebSocket's frames as the OpenAPI document describes them, and one turn rendered
the same way by all four of its edges.

- Every frame the server sends (``auth_ok``, ``pong``, ``sources``, ``token``,
  ``response_end``, ``error``, ``cancelled``) validates against ``WsServerFrame`` and
  against its own component; every frame a client sends here against ``WsClientFrame``.
- The components that the frames share with HTTP routes (``TurnOut``, ``SourceOut``,
  ...) are exactly what FastAPI generates for those routes: one schema, never two.
- One finished turn carries the same fields with the same values in ``POST /chat``, the
  SSE ``done`` event, the WebSocket ``response_end`` metadata and ``vega chat --json``.

In-process (Starlette's TestClient speaks WebSocket over ASGI), against the scripted
backend and the hashing embedder; the real server's WebSocket is driven in
``test_serve_chat.py``, ``test_ws_limits.py`` and ``test_serve_faults.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.openapi.utils import get_openapi
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from tests.conftest import TEST_KEY
from tests.fakes.backends import ScriptedBackend, Step, plugins_with
from tests.fakes.embedders import HashingEmbedder
from tests.helpers import parse_sse
from tests.support.cli import in_process_vega
from vega.api.app import create_app
from vega.api.schemas.chat import TurnOut
from vega.api.schemas.ws import frame_schemas
from vega.llm.base import ToolCall
from vega.runtime import build
from vega.settings import Settings

AUTH = {"X-API-Key": TEST_KEY}
NOTES = "Volcanoes erupt when magma rises through the crust.\n\n" * 4


@dataclass
class WsApp:
    client: TestClient
    backend: ScriptedBackend
    document: dict[str, Any]  # the app's OpenAPI document

    def validator(self, component: str) -> Any:
        """A validator for one component, its references resolved in the document."""
        schema = {**self.document, "$ref": f"#/components/schemas/{component}"}
        return jsonschema_rs.Draft202012Validator(schema)


@pytest.fixture
def ws_app(make_settings: Callable[..., Settings]) -> Iterator[WsApp]:
    backend, embedder = ScriptedBackend(), HashingEmbedder()
    settings = make_settings(
        llm_backend="scripted", embedding_backend=embedder.name, memory_min_similarity=-1.0
    )
    app = create_app(build(settings, plugins=plugins_with(backend, embedder)))
    with TestClient(app, base_url="http://vega.test") as client:  # runs the lifespan
        yield WsApp(client, backend, app.openapi())


class Recorder:
    """A socket whose frames, both ways, are kept to be checked against the schema."""

    def __init__(self, ws: WebSocketTestSession) -> None:
        self.ws = ws
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []

    def send(self, frame: dict[str, Any]) -> None:
        self.sent.append(frame)
        self.ws.send_json(frame)

    def until(self, kind: str) -> list[dict[str, Any]]:
        """The frames received up to and including the next one of type ``kind``."""
        frames: list[dict[str, Any]] = []
        while not frames or frames[-1]["type"] != kind:
            frames.append(self.ws.receive_json())
        self.received += frames
        return frames


def test_every_frame_the_server_sends_matches_its_schema_component(ws_app: WsApp) -> None:
    client = ws_app.client
    uploaded = client.post(
        "/documents",
        files={"file": ("notes.md", NOTES.encode(), "application/octet-stream")},
        data={"collection": "notes"},
        headers=AUTH,
    )
    assert uploaded.status_code == 201, uploaded.text

    with client.websocket_connect("/ws") as ws:
        socket = Recorder(ws)
        socket.send({"type": "auth", "api_key": TEST_KEY})
        assert socket.until("auth_ok")[-1]["key"] == "primary"
        socket.send({"type": "ping"})
        socket.until("pong")
        socket.send(
            {"type": "message", "content": "Why do volcanoes erupt?", "collection": "notes"}
        )
        turn = socket.until("response_end")
        assert [f["type"] for f in turn[:2]] == ["sources", "token"]
        assert turn[0]["sources"] and turn[-1]["metadata"]["sources"] == turn[0]["sources"]
        # Once the first turn is remembered, a new conversation recalls it.
        deadline = time.monotonic() + 30
        while not client.get("/memories", params={"q": "volcanoes"}, headers=AUTH).json()[
            "memories"
        ]:
            assert time.monotonic() < deadline, "the first turn was not indexed"
            time.sleep(0.05)
        socket.send({"type": "message", "content": "And volcanoes again?"})
        recalled = socket.until("response_end")
        assert [f["type"] for f in recalled[:2]] == ["memories", "token"]
        assert recalled[-1]["metadata"]["memories"] == recalled[0]["memories"]
        socket.send({"type": "message", "content": "", "conversation_id": "c-1"})
        assert socket.until("error")[-1]["error"]["code"] == "bad_input"  # the prompt is empty
        lookup = ToolCall(
            "call-1", "search_documents", '{"query": "volcano", "collection": "notes"}'
        )
        ws_app.backend.steps = [Step(tokens=[], tool_calls=[lookup]), Step(tokens=["Magma [1]."])]
        socket.send(
            {
                "type": "message",
                "content": "Look it up.",
                "tools": ["search_documents"],
                "memory": False,
            }
        )
        agent = socket.until("response_end")
        assert [f["type"] for f in agent[:2]] == ["tool_call", "tool_result"]
        assert agent[1]["result"]["status"] == "ok" and agent[1]["result"]["sources"]
        ws_app.backend.steps = [Step(tokens=[" t"] * 200, delay_s=0.05)]  # 10 s unless cut
        socket.send(
            {
                "type": "message",
                "content": "Count slowly.",
                "conversation_id": "c-2",
                "memory": False,
            }
        )
        socket.until("token")
        socket.send({"type": "cancel"})
        assert socket.until("cancelled")[-1]["conversation_id"] == "c-2"

    # The document says where the frames are, and each direction's frames validate.
    ends = ws_app.document["x-websockets"]["/ws"]
    client_frames = ws_app.validator(ends["client"]["$ref"].rsplit("/", 1)[1])
    server_frames = ws_app.validator(ends["server"]["$ref"].rsplit("/", 1)[1])
    for frame in socket.sent:
        client_frames.validate(frame)
    for frame in socket.received:
        server_frames.validate(frame)
    # Each frame also matches the one component its type names, and every kind was seen.
    mapping = ws_app.document["components"]["schemas"]["WsServerFrame"]["discriminator"]["mapping"]
    for frame in socket.received:
        ws_app.validator(mapping[frame["type"]].rsplit("/", 1)[1]).validate(frame)
    assert {frame["type"] for frame in socket.received} == set(mapping)


def test_frames_share_the_http_routes_schemas_exactly(ws_app: WsApp) -> None:
    """A frame refers to TurnOut, SourceOut, UsageOut and ErrorDetail, which HTTP routes
    put in the document too: the frames' copy must be the same schema, or one of the two
    would silently describe the wrong thing."""
    app = ws_app.client.app
    fastapi_only = get_openapi(title="t", version="0", routes=app.routes)["components"]["schemas"]  # type: ignore[attr-defined]
    frames = frame_schemas()
    shared = set(frames) & set(fastapi_only)
    assert {"TurnOut", "SourceOut", "UsageOut", "ErrorDetail"} <= shared
    for name in shared:
        assert frames[name] == fastapi_only[name], name
    schemas = ws_app.document["components"]["schemas"]
    for name in ("WsMessage", "WsAuth", "WsCancel", "WsPing", "WsClientFrame", "WsServerFrame"):
        assert name in schemas, name
    assert set(schemas["WsClientFrame"]["discriminator"]["mapping"]) == {
        "auth",
        "message",
        "cancel",
        "ping",
    }


def test_one_turn_is_rendered_alike_by_json_sse_websocket_and_the_cli(
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The same question four ways, with no model connected (so the reply, model and
    usage are the same each time): the same fields, and the same values but for the ids
    and the latency."""
    prompt = "What is a circuit breaker?"
    settings = make_settings(llm_backend="none")
    with TestClient(create_app(build(settings)), base_url="http://vega.test") as client:
        answered = client.post("/chat", json={"prompt": prompt}, headers=AUTH)
        assert answered.status_code == 200, answered.text
        streamed = client.post("/chat/sse", json={"prompt": prompt}, headers=AUTH)
        (done,) = [data for name, data in parse_sse(streamed.text) if name == "done"]
        with client.websocket_connect("/ws", headers=AUTH) as ws:
            ws.send_json({"type": "message", "content": prompt})
            while (frame := ws.receive_json())["type"] != "response_end":
                assert frame["type"] == "token", frame
        vega = in_process_vega(monkeypatch, capsys, tmp_path, TEST_KEY)
        printed = vega("chat", prompt, "--json").json()

    assert frame["metadata"]["session_id"] == frame["conversation_id"]
    renderings = {
        "POST /chat": answered.json(),
        "SSE done": done,
        "WebSocket response_end": frame["metadata"],
        "vega chat --json": printed,
    }
    fields = set(TurnOut.model_fields)
    per_turn = {"session_id", "message_id", "latency_ms"}
    first = renderings["POST /chat"]
    for where, rendering in renderings.items():
        assert set(rendering) == fields, where
        assert {k: v for k, v in rendering.items() if k not in per_turn} == {
            k: v for k, v in first.items() if k not in per_turn
        }, where
    assert first["backend"] == "none" and first["usage"]["total_tokens"] > 0
