"""Each rendering of ``ErrorShape`` pins its exact bodies, statuses and headers.

The integration tests see these shapes through the routes (``test_api.py``,
``test_openai_compat.py``, ``test_ollama_compat.py``, ``test_openai_schemas.py``, ...);
these tests name every rendering once, through the interface, so a change to a shape
shows here first: a VegaError (``response``), a body that does not validate
(``validation``), an HTTP error (``http``), a refusal before any route (``payload``) and
a failure inside a stream (``stream_frame``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from tests.fakes.openai_schemas import errors as openai_schema_errors
from vega.api.error_shapes import (
    NATIVE,
    OLLAMA,
    OPENAI,
    STREAM_FAILED,
    WEBSOCKET,
    Refusal,
    shape_for,
)
from vega.errors import (
    BackendRejected,
    BackendUnavailable,
    BadInput,
    NotFound,
    RateLimited,
    Unauthorized,
)
from vega.logs import request_id_var

REQUEST_ID = "req-42"
# What FastAPI raises for `{"prompt": 3}` and no `stream` list: two problems, the first
# naming a field inside the body.
INVALID = RequestValidationError(
    [
        {"loc": ("body", "prompt"), "msg": "Input should be a valid string", "type": "x"},
        {"loc": ("query", "limit"), "msg": "Field required", "type": "y"},
    ]
)


@pytest.fixture(autouse=True)
def request_id() -> Iterator[None]:
    token = request_id_var.set(REQUEST_ID)
    yield
    request_id_var.reset(token)


def parts(response: JSONResponse) -> tuple[int, Any, dict[str, str]]:
    """Status, parsed body and the headers that carry meaning."""
    headers = {
        k: v for k, v in response.headers.items() if k in ("retry-after", "www-authenticate")
    }
    return response.status_code, json.loads(bytes(response.body)), headers


def test_native_shape_carries_code_message_request_id_and_details() -> None:
    assert parts(NATIVE.response(RateLimited("Slow down.", retry_after_s=7))) == (
        429,
        {
            "error": {
                "code": "rate_limited",
                "message": "Slow down.",
                "request_id": REQUEST_ID,
                "retry_after_s": 7,
            }
        },
        {"retry-after": "7"},
    )
    assert parts(NATIVE.response(Unauthorized("No key."))) == (
        401,
        {"error": {"code": "unauthorized", "message": "No key.", "request_id": REQUEST_ID}},
        {"www-authenticate": "Bearer"},
    )
    # An unknown model is the model server's refusal in Vega's own API (400).
    rejected = BackendRejected("No such model.", upstream_status=404)
    assert parts(NATIVE.response(rejected))[0] == 400
    assert parts(NATIVE.validation(INVALID)) == (
        422,
        {
            "error": {
                "code": "bad_input",
                "message": "prompt: Input should be a valid string",
                "request_id": REQUEST_ID,
                "problems": [
                    {"loc": ["body", "prompt"], "msg": "Input should be a valid string"},
                    {"loc": ["query", "limit"], "msg": "Field required"},
                ],
            }
        },
        {},
    )
    assert parts(NATIVE.http(HTTPException(405, "GET is not allowed here."))) == (
        405,
        {
            "error": {
                "code": "method_not_allowed",
                "message": "GET is not allowed here.",
                "request_id": REQUEST_ID,
            }
        },
        {},
    )
    assert json.loads(NATIVE.payload(Refusal(413, "payload_too_large", "Too big."))) == {
        "error": {"code": "payload_too_large", "message": "Too big.", "request_id": REQUEST_ID}
    }
    # In a stream: no details, and a bug says nothing of itself.
    assert NATIVE.stream_frame(RateLimited("Slow down.", retry_after_s=7)) == {
        "error": {"code": "rate_limited", "message": "Slow down.", "request_id": REQUEST_ID}
    }
    assert NATIVE.stream_frame(None) == {
        "error": {"code": "internal_error", "message": STREAM_FAILED, "request_id": REQUEST_ID}
    }


def test_openai_shape_has_types_params_and_openais_statuses() -> None:
    def body(kind: str, code: str, message: str, param: str | None = None) -> Any:
        return {"error": {"message": message, "type": kind, "param": param, "code": code}}

    assert parts(OPENAI.response(RateLimited("Slow down.", retry_after_s=7))) == (
        429,
        body("rate_limit_error", "rate_limited", "Slow down."),
        {"retry-after": "7"},
    )
    assert parts(OPENAI.response(Unauthorized("No key."))) == (
        401,
        body("authentication_error", "unauthorized", "No key."),
        {"www-authenticate": "Bearer"},
    )
    # Vega's 422 is OpenAI's 400; an unknown model is 404 model_not_found.
    assert parts(OPENAI.response(BadInput("Too long."))) == (
        400,
        body("invalid_request_error", "bad_input", "Too long."),
        {},
    )
    rejected = BackendRejected("No such model.", upstream_status=404)
    assert parts(OPENAI.response(rejected)) == (
        404,
        body("invalid_request_error", "model_not_found", "No such model."),
        {},
    )
    assert parts(OPENAI.response(BackendUnavailable("Down."))) == (
        503,
        body("server_error", "backend_unavailable", "Down."),
        {},
    )
    validation = parts(OPENAI.validation(INVALID))
    assert validation == (
        400,
        body(
            "invalid_request_error",
            "bad_input",
            "prompt: Input should be a valid string",
            param="prompt",
        ),
        {},
    )
    assert parts(OPENAI.http(HTTPException(422, "Unreadable.")))[:2] == (
        400,
        body("invalid_request_error", "bad_input", "Unreadable."),
    )
    assert json.loads(OPENAI.payload(Refusal(413, "payload_too_large", "Too big."))) == body(
        "invalid_request_error", "payload_too_large", "Too big."
    )
    assert OPENAI.stream_frame(NotFound("Gone.")) == body(
        "invalid_request_error", "not_found", "Gone."
    )
    assert OPENAI.stream_frame(None) == body("server_error", "internal_error", STREAM_FAILED)
    # Every one of them is an error body by OpenAI's own published schema.
    for each in (validation[1], OPENAI.stream_frame(None), OPENAI.stream_frame(NotFound("x"))):
        assert openai_schema_errors("ErrorResponse", each) == []


def test_ollama_shape_is_the_message_alone_with_openais_statuses() -> None:
    assert parts(OLLAMA.response(RateLimited("Slow down.", retry_after_s=7))) == (
        429,
        {"error": "Slow down."},
        {"retry-after": "7"},
    )
    rejected = BackendRejected("No such model.", upstream_status=404)
    assert parts(OLLAMA.response(rejected)) == (404, {"error": "No such model."}, {})
    assert parts(OLLAMA.validation(INVALID)) == (
        400,
        {"error": "prompt: Input should be a valid string"},
        {},
    )
    assert parts(OLLAMA.http(HTTPException(404, "Nothing here."))) == (
        404,
        {"error": "Nothing here."},
        {},
    )
    assert json.loads(OLLAMA.payload(Refusal(400, "bad_request", "Bad framing."))) == {
        "error": "Bad framing."
    }
    assert OLLAMA.stream_frame(BackendUnavailable("Down.")) == {"error": "Down."}
    assert OLLAMA.stream_frame(None) == {"error": STREAM_FAILED}


def test_websocket_shape_is_an_error_message_with_details_and_a_native_handshake_refusal() -> None:
    assert WEBSOCKET.stream_frame(RateLimited("Slow down.", retry_after_s=3), "c-1") == {
        "type": "error",
        "conversation_id": "c-1",
        "error": {
            "code": "rate_limited",
            "message": "Slow down.",
            "request_id": REQUEST_ID,
            "retry_after_s": 3,
        },
    }
    assert WEBSOCKET.stream_frame(None) == {
        "type": "error",
        "conversation_id": None,
        "error": {
            "code": "internal_error",
            "message": "The reply failed; see the server log.",
            "request_id": REQUEST_ID,
        },
    }
    # A refused handshake is an HTTP answer, the same as any native request gets.
    refused = Unauthorized("No key.")
    assert parts(WEBSOCKET.response(refused)) == parts(NATIVE.response(refused))


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/v1", OPENAI),
        ("/v1/chat/completions", OPENAI),
        ("/v1/no/such/path\n", OPENAI),
        ("/api", OLLAMA),
        ("/api/chat", OLLAMA),
        ("/v10/models", NATIVE),
        ("/api-docs/redoc.js", NATIVE),
        ("/apis", NATIVE),
        ("/chat", NATIVE),
        ("/ws", NATIVE),
        ("/", NATIVE),
    ],
)
def test_a_path_speaks_one_shape(path: str, shape: object) -> None:
    assert shape_for(path) is shape
