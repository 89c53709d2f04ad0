"""OpenAI's wire format: request bodies, and completions, chunks, models and embeddings out.

Field names follow the ``openai`` SDK's types (``ChatCompletion``,
``ChatCompletionChunk``, ``Model``, ``CreateEmbeddingResponse``). Vega adds one
field: ``sources`` on answers from a ``vega-rag/<collection>`` model, at the top
level of the completion, and in a last chunk (with ``choices: []``) before the
usage chunk and ``[DONE]`` when streaming. ``system_fingerprint`` is left out: the
schema makes it an optional string, and Vega has no fingerprint of the model
server's configuration to give (``null`` broke clients that check the type).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import ConfigDict, Field

from vega.api.compat.stream import WireEncoder
from vega.api.compat.tools import ToolCallIn, ToolIn, calls_of, tool_choice, tool_specs
from vega.api.compat.turns import ClientMessage, Sampling, Tooling, chat_request
from vega.api.error_shapes import OPENAI
from vega.api.schemas.base import Integer, RequestBody, Seed
from vega.api.schemas.tools import MAX_TURN_TOOLS, ToolName
from vega.chat.service import ChatRequest, TurnDone
from vega.errors import BadInput, VegaError
from vega.llm.base import ToolCall, Usage
from vega.llm.catalog import CatalogModel
from vega.rag.embeddings import Embedded

# Streamed tool-call arguments go out in pieces of this many characters, as a model's do.
ARGUMENT_PIECE = 256

# --- requests ------------------------------------------------------------------------


class ContentPart(RequestBody):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class OpenAIMessageIn(RequestBody):
    model_config = ConfigDict(extra="allow")

    role: str = Field(max_length=32)
    content: str | list[ContentPart] | None = None
    tool_calls: list[ToolCallIn] | None = Field(None, max_length=64)
    tool_call_id: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=64)

    def client_message(self) -> ClientMessage:
        return ClientMessage(
            self.role,
            self._text(),
            tool_calls=calls_of(self.tool_calls),
            tool_call_id=self.tool_call_id,
            name=self.name,
        )

    def _text(self) -> str:
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        if any(part.type != "text" for part in self.content):
            raise BadInput("Only text content is supported (no images, audio or files).")
        return "".join(part.text or "" for part in self.content)


class StreamOptions(RequestBody):
    include_usage: bool = False


class ChatCompletionIn(RequestBody):
    """``POST /v1/chat/completions``. Unknown fields are ignored, as OpenAI-compatible
    servers do; the ones that would change the answer's shape are refused."""

    model: str = Field(min_length=1, max_length=300)
    messages: list[OpenAIMessageIn] = Field(min_length=1, max_length=10_000)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: Integer | None = Field(None, ge=1)
    max_completion_tokens: Integer | None = Field(None, ge=1)
    stop: str | list[str] | None = Field(None)
    seed: Seed | None = None
    user: str | None = Field(None, max_length=256)
    n: Integer | None = Field(None, ge=1, le=1, description="Vega gives one choice.")
    tools: list[ToolIn] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None  # the model server decides; Vega runs them all
    # Vega's extension (the SDKs' extra_body): Vega's own tools, which Vega runs in a loop
    # until the model answers; only the answer comes back (with its sources).
    vega_tools: list[ToolName] | None = Field(None, max_length=MAX_TURN_TOOLS)
    vega_mode: Literal["chat", "agent"] | None = None
    functions: list[Any] | None = None
    response_format: dict[str, Any] | None = None

    def to_request(self, *, session_id: str | None) -> ChatRequest:
        if self.functions:
            raise BadInput("functions: deprecated by OpenAI; send tools instead.")
        specs = tool_specs(self.tools)
        if self.response_format and self.response_format.get("type") not in (None, "text"):
            raise BadInput("response_format: only 'text' is supported.")
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return chat_request(
            model=self.model,
            messages=[m.client_message() for m in self.messages],
            sampling=Sampling(
                temperature=self.temperature,
                top_p=self.top_p,
                max_tokens=self.max_completion_tokens or self.max_tokens,
                stop=stop,
                seed=self.seed,
            ),
            session_id=session_id,
            source="openai",
            tooling=Tooling(
                specs,
                tool_choice(self.tool_choice, specs),
                server=tuple(self.vega_tools or ()),
                agent=self.vega_mode == "agent",
            ),
        )

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class EmbeddingsIn(RequestBody):
    model: str = Field(min_length=1, max_length=300)
    input: str | list[str]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Integer | None = Field(None, ge=1)
    user: str | None = Field(None, max_length=256)

    @property
    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else self.input


# --- responses -----------------------------------------------------------------------


def finish_reason(reason: str | None) -> str:
    """OpenAI's vocabulary: ``length`` when the reply was cut, ``tool_calls`` when it
    ends with calls for the client to run, else ``stop``."""
    return reason if reason in ("length", "tool_calls") else "stop"


def wire_calls(calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in calls
    ]


def usage_body(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def model_body(model: CatalogModel) -> dict[str, Any]:
    return {
        "id": model.name,
        "object": "model",
        "created": model.created_s,
        "owned_by": model.owned_by,
    }


def models_body(models: list[CatalogModel]) -> dict[str, Any]:
    return {"object": "list", "data": [model_body(m) for m in models]}


def completion_id(prefix: str = "chatcmpl") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def finished_body(
    done: TurnDone, *, kind: str, id_prefix: str, choice: dict[str, Any], model: str, rag: bool
) -> dict[str, Any]:
    """A whole completion object (``chat.completion``, ``text_completion``): ``choice`` is
    the answer in that object's shape, the rest is common to both."""
    body: dict[str, Any] = {
        "id": completion_id(id_prefix),
        "object": kind,
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                **choice,
                "index": 0,
                "logprobs": None,
                "finish_reason": finish_reason(done.finish_reason),
            }
        ],
        "usage": usage_body(done.usage),
    }
    if rag:
        body["sources"] = done.sources
    return body


def completion_body(done: TurnDone, *, model: str, rag: bool) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": done.response, "refusal": None}
    if done.tool_calls:
        message["content"] = done.response or None
        message["tool_calls"] = wire_calls(done.tool_calls)
    return finished_body(
        done,
        kind="chat.completion",
        id_prefix="chatcmpl",
        choice={"message": message},
        model=model,
        rag=rag,
    )


def embeddings_body(embedded: Embedded) -> dict[str, Any]:
    data = [
        {"object": "embedding", "index": i, "embedding": vector}
        for i, vector in enumerate(embedded.vectors)
    ]
    tokens = embedded.prompt_tokens
    return {
        "object": "list",
        "data": data,
        "model": embedded.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class OpenAIStream(WireEncoder):
    """``chat.completion.chunk`` events: a role delta with the first token, one delta per
    piece of text, a finishing chunk, then ``sources`` (vega-rag models) and usage
    (``stream_options.include_usage``) chunks with ``choices: []``, then ``[DONE]``."""

    errors = OPENAI
    media_type = "text/event-stream; charset=utf-8"
    object_type = "chat.completion.chunk"
    id_prefix = "chatcmpl"
    # With include_usage, OpenAI puts "usage": null on every chat chunk but the last.
    null_usage = True

    def __init__(self, *, model: str, include_usage: bool) -> None:
        super().__init__()
        head = {
            "id": completion_id(self.id_prefix),
            "object": self.object_type,
            "created": int(time.time()),
            "model": model,
        }
        # Every chunk starts the same: encode that once, not per token.
        self._head = "data: " + dumps(head)[:-1] + ', "choices": '
        self._include_usage = include_usage

    def _chunk(self, choices: str, *, more: str = "", usage: str = "null") -> bytes:
        shown = self._include_usage and (self.null_usage or usage != "null")
        tail = f', "usage": {usage}' if shown else ""
        return f"{self._head}{choices}{more}{tail}}}\n\n".encode()

    @staticmethod
    def _choice(delta: str, finish: str | None = None) -> str:
        reason = "null" if finish is None else dumps(finish)
        return f'[{{"index": 0, "delta": {delta}, "logprobs": null, "finish_reason": {reason}}}]'

    def opening(self) -> bytes:
        return self._chunk(self._choice('{"role": "assistant", "content": ""}'))

    def token(self, text: str) -> bytes:
        return self._chunk(self._choice('{"content": ' + dumps(text) + "}"))

    def finishing(self, reason: str) -> str:
        """The choices of the chunk that says why the reply ended."""
        return self._choice("{}", reason)

    def calls(self, calls: tuple[ToolCall, ...]) -> list[bytes]:
        """Tool calls as OpenAI streams them: per call, a fragment with its id, type, name
        and empty arguments, then the arguments text in pieces, keyed by ``index``."""
        chunks = []
        for index, call in enumerate(calls):
            opening = {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            chunks.append(self._chunk(self._choice(dumps({"tool_calls": [opening]}))))
            text = call.arguments
            for start in range(0, len(text), ARGUMENT_PIECE):
                piece = {
                    "index": index,
                    "function": {"arguments": text[start : start + ARGUMENT_PIECE]},
                }
                chunks.append(self._chunk(self._choice(dumps({"tool_calls": [piece]}))))
        return chunks

    def done(self, event: TurnDone) -> bytes:
        parts = self.calls(event.tool_calls)
        parts.append(self._chunk(self.finishing(finish_reason(event.finish_reason))))
        # A vega-rag model's passages, or what Vega's tools found (an agent turn).
        sources = self.sources if self.sources is not None else (event.sources or None)
        if sources is not None:
            parts.append(self._chunk("[]", more=', "sources": ' + dumps(sources)))
        if self._include_usage:
            parts.append(self._chunk("[]", usage=dumps(usage_body(event.usage))))
        parts.append(b"data: [DONE]\n\n")
        return b"".join(parts)

    def error(self, exc: VegaError | None) -> bytes:
        return f"data: {dumps(self.errors.stream_frame(exc))}\n\n".encode()
