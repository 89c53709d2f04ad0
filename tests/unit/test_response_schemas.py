"""The typed response parts that used to be free-form dicts, and the WebSocket's frames:
what a caller is not told is absent (not null), a model server's odd value fails
nothing, a turn's events become the frames docs/api.md lists, and a client's frame is
read as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vega.api.schemas.health import BackendState, EmbedderState, Readiness
from vega.api.schemas.models import ModelDetails, ModelOut
from vega.api.schemas.ws import WsCancel, WsMessage, WsPing
from vega.api.ws.channel import SEND_JSON
from vega.api.ws.encoder import TurnEncoder
from vega.api.ws.session import read_frame
from vega.chat.service import SourcesFound, Token, TurnDone, TurnStarted
from vega.errors import BadInput, RateLimited
from vega.llm.base import ModelInfo, Usage

SOURCE = {
    "rank": 1,
    "document_id": "d-1",
    "chunk_id": 7,
    "title": "breakers",
    "source_name": "breakers.md",
    "location": None,
    "start": 0,
    "end": 42,
    "score": 0.032787,
    "snippet": "A circuit breaker stops calling a failing service.",
    "url": None,
}


def readiness() -> Readiness:
    return Readiness(
        status="ok",
        database=True,
        backend=BackendState(
            name="ollama", ok=True, ready=True, detail="ollama at x", model="m", breaker="closed"
        ),
        embedder=EmbedderState(name="all-MiniLM-L6-v2", backend="local", loaded=False),
    )


def test_readiness_without_a_key_leaves_the_names_out_rather_than_null() -> None:
    assert readiness().states_only().model_dump() == {
        "status": "ok",
        "database": True,
        "redis": None,  # a state, not a name: null says Vega runs without Redis
        "storage": None,  # and without an object store
        "backend": {"ok": True, "ready": True, "breaker": "closed"},
        "embedder": {"loaded": False},
    }
    keyed = readiness().model_dump()
    assert keyed["backend"]["detail"] == "ollama at x" and keyed["embedder"]["name"]


def test_model_details_pass_facts_on_as_told_and_drop_what_does_not_fit() -> None:
    registered = datetime(2025, 1, 2, tzinfo=UTC)
    info = ModelInfo(
        "llama3.2",
        "ollama",
        details={
            "size": 2019393189,
            "families": ["llama"],
            "created": registered,
            "digest": 12,  # not text: left out, the list still answers
            "context_length": "8k",  # not converted to anything
            "license_url": "https://example.test",  # unknown to Vega: passed on
        },
    )
    assert ModelOut.of(info).model_dump(mode="json") == {
        "name": "llama3.2",
        "details": {
            "size": 2019393189,
            "families": ["llama"],
            "created": "2025-01-02T00:00:00Z",
            "license_url": "https://example.test",
        },
        "context_window": None,
    }
    assert ModelDetails().model_dump() == {}


def test_a_turns_events_become_its_frames() -> None:
    encoder = TurnEncoder(None)  # a new conversation: its id is known once started
    usage = Usage(prompt_tokens=3, completion_tokens=2)
    done = TurnDone("m-1", "c-1", "Hi there", "llama3.2", "ollama", usage, 12, "stop", [SOURCE])
    frames = [
        encoder.encode(event)
        for event in (TurnStarted("c-1", "u-1"), SourcesFound([SOURCE]), Token("Hi"), done)
    ]
    assert frames[0] is None
    dumped = [frame.model_dump(mode="json") for frame in frames if frame is not None]
    assert dumped[0] == {"type": "sources", "conversation_id": "c-1", "sources": [SOURCE]}
    assert dumped[1] == {"type": "token", "conversation_id": "c-1", "token": "Hi"}
    assert dumped[2]["type"] == "response_end" and dumped[2]["conversation_id"] == "c-1"
    assert dumped[2]["metadata"] == {
        "response": "Hi there",
        "session_id": "c-1",
        "message_id": "m-1",
        "model": "llama3.2",
        "backend": "ollama",
        "sources": [SOURCE],
        "memories": [],
        "summary": None,
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        "latency_ms": 12,
        "finish_reason": "stop",
    }
    assert encoder.cancelled().model_dump() == {"type": "cancelled", "conversation_id": "c-1"}


def test_a_failed_turn_is_an_error_frame_with_its_details_and_a_bug_says_nothing() -> None:
    encoder = TurnEncoder("c-9")
    limited = encoder.failed(RateLimited("Slow down.", retry_after_s=3)).model_dump()
    assert limited["type"] == "error" and limited["conversation_id"] == "c-9"
    assert limited["error"]["code"] == "rate_limited"
    assert limited["error"]["retry_after_s"] == 3
    assert set(limited["error"]) == {"code", "message", "request_id", "retry_after_s"}
    bug = encoder.failed(None).model_dump()["error"]
    assert bug["code"] == "internal_error" and "server log" in bug["message"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"content": "hi"}, WsMessage),  # no type: a message
        ({"type": "message", "content": "hi", "api_key": "k"}, WsMessage),
        ({"type": "cancel"}, WsCancel),
        ({"type": "ping"}, WsPing),
    ],
)
def test_a_clients_frame_is_read_by_its_type(data: object, expected: type) -> None:
    assert isinstance(read_frame(data), expected)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], SEND_JSON),
        (None, SEND_JSON),
        ({"type": 5}, SEND_JSON),
        ({"type": "message", "top_k": 0}, SEND_JSON),
        ({"type": "auth", "api_key": "k"}, "Unknown message type 'auth'."),  # only first
        ({"type": "shout"}, "Unknown message type 'shout'."),
    ],
)
def test_a_frame_that_cannot_be_answered_says_what_to_send(data: object, message: str) -> None:
    with pytest.raises(BadInput) as refused:
        read_frame(data)
    assert refused.value.message == message
