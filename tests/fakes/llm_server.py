"""A fake LLM server that speaks the real Ollama and OpenAI wire protocols.

Tests drive Vega's backends against it over real HTTP on loopback, so the bytes on
the wire (NDJSON lines, SSE events, error bodies, cut connections) are the ones a
real server would send. It is scripted through a plain ``FakeLLMState`` shared with
the test, or through ``POST /_control`` when it runs in another process::

    with run_fake_llm() as fake:
        fake.state.reply = "Hi there"
        fake.state.script.append({"fail_status": 500})   # next model request only
        ...
        assert fake.state.requests[-1].body["model"] == "llama3.2"

Standalone (for benchmarks): ``python -m tests.fakes.llm_server --port 11435``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

DEFAULT_REPLY = "Hello from the fake model."
DEFAULT_MODELS = ("llama3.2", "fake-model")
OLLAMA_VERSION = "0.5.7"
MAX_RECORDED = 10_000  # keeps a long benchmark run from growing memory without bound

Messages = list[dict[str, Any]]


# --- state ------------------------------------------------------------------


@dataclass
class Behaviour:
    """What the server does for a request. Every field can be set on the state, in a
    ``script`` entry (next request only) or through ``POST /_control``."""

    reply: str = DEFAULT_REPLY
    reply_fn: Callable[[Messages], str] | None = None  # Python only; wins over reply
    echo: bool = False  # reply with the last message's content (reply_fn for /_control)
    tokens: list[str] | None = None  # explicit tokens; wins over reply and reply_fn
    # Tool calls instead of text: [{"name": ..., "arguments": {...}}] (arguments may be a
    # string: sent as is, for malformed-JSON tests). tool_calls_fn (Python only) decides
    # per request from the messages; returning None or [] means: answer with text.
    tool_calls: list[dict[str, Any]] | None = None
    tool_calls_fn: Callable[[Messages], list[dict[str, Any]] | None] | None = None
    token_delay_s: float = 0.0
    first_token_delay_s: float = 0.0
    fail_status: int | None = None  # answer this error status before streaming
    hang: bool = False  # accept, never answer (until the client leaves or we shut down)
    malformed_after: int | None = None  # N token frames, then a garbage frame
    error_after: int | None = None  # N token frames, then the protocol's own error frame
    error_message: str | None = None  # text of error statuses and error frames
    drop_after: int | None = None  # N token frames, then cut the connection
    usage_mode: str = "chunk"  # OpenAI stream usage: "chunk" (choices: []), "last", "none"
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    strict_models: bool = False  # unknown model -> 404 in the protocol's error shape
    embedding_dim: int = 16
    embed_body: str | None = None  # embedding routes answer 200 with this body, verbatim
    embed_delay_s: float = 0.0  # each embedding request takes this long (a slow ingest)
    # What the servers say about their models: the trained context (Ollama's model_info,
    # llama.cpp's meta.n_ctx_train, vLLM's max_model_len), Ollama's Modelfile num_ctx, and
    # which OpenAI-compatible server /v1/models imitates ("openai", "llamacpp", "vllm").
    context_length: int = 131_072
    num_ctx: int | None = None
    models_style: str = "openai"


BEHAVIOUR_FIELDS = frozenset(f.name for f in fields(Behaviour))


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: Any  # parsed JSON, or None
    headers: dict[str, str]


@dataclass
class FakeLLMState(Behaviour):
    """Behaviour plus what tests observe. Written by the server thread, read by tests."""

    # One-shot overrides: an entry applies to the next model request (chat, generate,
    # completions, embeddings), or to the next request to its "path" if it has one.
    script: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    active_streams: int = 0  # generation responses in flight
    cancelled: int = 0  # clients that left before the response was complete
    completed: int = 0  # generation responses sent to the end
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closing: threading.Event = field(default_factory=threading.Event, repr=False)

    def reset(self) -> None:
        """Defaults back, history cleared. ``active_streams`` is live, so it stays."""
        defaults = Behaviour()
        with self._lock:
            for f in fields(Behaviour):
                setattr(self, f.name, getattr(defaults, f.name))
            self.script.clear()
            self.requests.clear()
            self.cancelled = 0
            self.completed = 0

    def configure(self, **changes: Any) -> None:
        unknown = set(changes) - BEHAVIOUR_FIELDS
        if unknown:
            raise ValueError(f"Unknown fake LLM setting(s): {sorted(unknown)}")
        for name, value in changes.items():
            setattr(self, name, value)

    def last_body(self, path: str | None = None) -> Any:
        """Body of the latest request (to ``path`` if given)."""
        for recorded in reversed(self.requests):
            if path is None or recorded.path == path:
                return recorded.body
        raise LookupError(f"No request to {path or 'any path'} recorded")

    def snapshot(self) -> dict[str, Any]:
        """JSON view for ``GET /_control``."""
        behaviour = {
            f.name: getattr(self, f.name) for f in fields(Behaviour) if f.name != "reply_fn"
        }
        return {
            **behaviour,
            "script": list(self.script),
            "active_streams": self.active_streams,
            "cancelled": self.cancelled,
            "completed": self.completed,
            "requests": [asdict(r) for r in self.requests],
        }

    # -- used by the server -------------------------------------------------

    def _record(self, request: Request, body: Any) -> None:
        with self._lock:
            if len(self.requests) >= MAX_RECORDED:
                del self.requests[: MAX_RECORDED // 10]
            self.requests.append(
                RecordedRequest(request.method, request.url.path, body, dict(request.headers))
            )

    def _behaviour_for(self, path: str, *, model_request: bool) -> Behaviour:
        with self._lock:
            base = Behaviour(**{name: getattr(self, name) for name in BEHAVIOUR_FIELDS})
            for i, entry in enumerate(self.script):
                target = entry.get("path")
                if target == path or (target is None and model_request):
                    del self.script[i]
                    overrides = {k: v for k, v in entry.items() if k != "path"}
                    unknown = set(overrides) - BEHAVIOUR_FIELDS
                    if unknown:
                        raise ValueError(f"Unknown fake LLM setting(s) in script: {unknown}")
                    return replace(base, **overrides)
            return base

    def _stream_started(self) -> None:
        with self._lock:
            self.active_streams += 1

    def _stream_ended(self, *, cancelled: bool, completed: bool) -> None:
        with self._lock:
            self.active_streams -= 1
            self.cancelled += int(cancelled)
            self.completed += int(completed)


# --- tokens, usage, embeddings ----------------------------------------------

_TOKEN = re.compile(r"\s*\S+|\s+")


def split_tokens(text: str) -> list[str]:
    """Word tokens keeping their leading spaces: "Hello", " from", " the", ..."""
    return _TOKEN.findall(text)


def word_count(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def fake_embedding(text: str, dim: int = 16) -> list[float]:
    """Deterministic unit vector from a hash of the text (same in every process)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    vector = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / norm for v in vector]


@dataclass
class Plan:
    """The reply a generation request gets, after stop and max-token limits."""

    tokens: list[str]
    finish_reason: str
    prompt_tokens: int
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def _apply_stop(tokens: list[str], stops: list[str]) -> tuple[list[str], bool]:
    text = ""
    for i, token in enumerate(tokens):
        text += token
        hits = [text.find(s) for s in stops if s and s in text]
        if hits:
            cut = min(hits)
            sent = "".join(tokens[:i])
            rest = text[len(sent) : cut]
            return tokens[:i] + ([rest] if rest else []), True
    return tokens, False


def make_plan(b: Behaviour, messages: Messages, *, max_tokens: Any, stop: Any) -> Plan:
    calls = b.tool_calls_fn(messages) if b.tool_calls_fn is not None else b.tool_calls
    if calls:
        prompt = word_count([_content_text(m.get("content")) for m in messages])
        named = [{"id": c.get("id") or f"call_{uuid.uuid4().hex[:12]}", **c} for c in calls]
        return Plan(tokens=[], finish_reason="tool_calls", prompt_tokens=prompt, tool_calls=named)
    if b.tokens is not None:
        tokens = list(b.tokens)
    else:
        if b.reply_fn is not None:
            reply = b.reply_fn(messages)
        elif b.echo:
            reply = _content_text(messages[-1].get("content")) if messages else ""
        else:
            reply = b.reply
        tokens = split_tokens(reply)
    stops = [stop] if isinstance(stop, str) else [str(s) for s in (stop or [])]
    tokens, _ = _apply_stop(tokens, stops)
    finish = "stop"
    if isinstance(max_tokens, int) and max_tokens >= 0 and len(tokens) > max_tokens:
        tokens, finish = tokens[:max_tokens], "length"
    prompt = word_count([_content_text(m.get("content")) for m in messages])
    return Plan(tokens=tokens, finish_reason=finish, prompt_tokens=prompt)


# --- the generation response: delays, hangs, garbage, drops, disconnects ---------


class DeliberateDrop(Exception):
    """Raised to make uvicorn close the socket mid-response (no final chunk)."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DeliberateDrop)


def _quiet_deliberate_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in logger.filters):
        logger.addFilter(_QuietDrops())


@dataclass
class Wire:
    """What a generation response puts on the wire, frame by frame."""

    media_type: str
    frames: list[bytes]  # token frames; malformed_after/drop_after count these
    tail: bytes  # final frame(s): done chunk, usage, [DONE]
    garbage: bytes
    delays: list[float]  # wait before each frame
    error: bytes = b""  # a mid-stream error in the protocol's shape (error_after)


class GenerationResponse(Response):
    """Plays a ``Wire`` while watching for the client leaving.

    Starlette's StreamingResponse only notices a disconnect on the next write (and
    may never close our generator), so tests could not count cancellations; this
    watches ``http.disconnect`` in parallel and stops at once.
    """

    def __init__(self, state: FakeLLMState, behaviour: Behaviour, wire: Wire) -> None:
        super().__init__(b"", 200, media_type=wire.media_type)
        self.state, self.b, self.wire = state, behaviour, wire
        self._started = False
        self._finishing = False  # the final frame is going out: a disconnect now is normal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        disconnected = dropped = False
        self.state._stream_started()
        try:
            async with anyio.create_task_group() as tg:

                async def watch() -> None:
                    nonlocal disconnected
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    if not self._finishing:
                        disconnected = True
                        tg.cancel_scope.cancel()

                tg.start_soon(watch)
                try:
                    await self._play(send)
                except DeliberateDrop:
                    dropped = True
                tg.cancel_scope.cancel()
        finally:
            self.state._stream_ended(
                cancelled=disconnected, completed=self._finishing and not disconnected
            )
        if dropped:  # outside the task group, so uvicorn sees it bare and cuts the socket
            raise DeliberateDrop

    async def _start(self, send: Send, status: int = 200) -> None:
        if not self._started:
            self._started = True
            headers = [(b"content-type", self.wire.media_type.encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})

    async def _play(self, send: Send) -> None:
        b, wire = self.b, self.wire
        if b.hang:
            await self._sleep(float("inf"))
            # Shutting down: answer rather than leave uvicorn waiting on us.
            await self._start(send, 503)
            self._finishing = True
            await send({"type": "http.response.body", "body": b""})
            return
        for i, frame in enumerate(wire.frames):
            if await self._sabotage(send, i):
                return
            if not await self._sleep(wire.delays[i]):
                await self._start(send)
                raise DeliberateDrop  # shutting down mid-stream: cut it short
            await self._start(send)
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        if await self._sabotage(send, len(wire.frames)):
            return
        await self._start(send)
        self._finishing = True
        await send({"type": "http.response.body", "body": wire.tail})

    async def _sleep(self, seconds: float) -> bool:
        """Sleep in short slices so that server shutdown is never held up by a
        hang or a slow stream; False if shutdown began."""
        deadline = anyio.current_time() + seconds
        while not self.state._closing.is_set():
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                return True
            await anyio.sleep(min(remaining, 0.05))
        return False

    async def _sabotage(self, send: Send, index: int) -> bool:
        """Garbage or a cut connection once ``index`` token frames have gone out."""
        b = self.b
        if b.drop_after is not None and index >= min(b.drop_after, len(self.wire.frames)):
            await self._start(send)
            raise DeliberateDrop
        for after, body in (
            (b.malformed_after, self.wire.garbage),
            (b.error_after, self.wire.error),
        ):
            if after is not None and index >= min(after, len(self.wire.frames)):
                await self._start(send)
                self._finishing = True
                await send({"type": "http.response.body", "body": body})
                return True
        return False


def _arguments_text(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments or {})


def _delays(b: Behaviour, count: int) -> list[float]:
    return [b.first_token_delay_s if i == 0 else b.token_delay_s for i in range(count)]


def _whole_body_wire(b: Behaviour, plan: Plan, body: dict[str, Any]) -> Wire:
    """A non-streamed reply: one JSON body after the whole generation time.

    Split in two frames so that ``drop_after`` can cut it half way.
    """
    data = json.dumps(body).encode()
    delay = sum(_delays(b, len(plan.tokens)))
    half = len(data) // 2
    return Wire("application/json", [data[:half]], data[half:], b'{"model": "fa', [delay])


# --- Ollama -------------------------------------------------------------------


def _now_rfc3339() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _ollama_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _ollama_stats(b: Behaviour, plan: Plan) -> dict[str, Any]:
    eval_ns = int(len(plan.tokens) * max(b.token_delay_s, 0.001) * 1e9)
    prompt_ns = int(max(b.first_token_delay_s, 0.001) * 1e9)
    load_ns = 1_000_000
    return {
        "total_duration": load_ns + prompt_ns + eval_ns,
        "load_duration": load_ns,
        "prompt_eval_count": plan.prompt_tokens,
        "prompt_eval_duration": prompt_ns,
        "eval_count": len(plan.tokens),
        "eval_duration": eval_ns,
    }


def _ollama_wire(b: Behaviour, plan: Plan, model: str, *, stream: bool, chat: bool) -> Wire:
    def piece(text: str) -> dict[str, Any]:
        if chat:
            return {"message": {"role": "assistant", "content": text}}
        return {"response": text}

    frames = [
        json.dumps(
            {"model": model, "created_at": _now_rfc3339(), **piece(t), "done": False}
        ).encode()
        + b"\n"
        for t in plan.tokens
    ]
    # Ollama sends tool calls whole, arguments as an object, in a frame of their own.
    calls = [
        {"function": {"name": c["name"], "arguments": c.get("arguments", {})}}
        for c in plan.tool_calls
    ]
    if calls and stream:
        message = {"role": "assistant", "content": "", "tool_calls": calls}
        frame = {"model": model, "created_at": _now_rfc3339(), "message": message, "done": False}
        frames.append(json.dumps(frame).encode() + b"\n")
    whole = piece("" if stream else plan.text)
    if calls and not stream:
        whole["message"]["tool_calls"] = calls
    final: dict[str, Any] = {
        "model": model,
        "created_at": _now_rfc3339(),
        **whole,
        "done": True,
        # Ollama says "stop" after tool calls too.
        "done_reason": "stop" if plan.tool_calls else plan.finish_reason,
        **({} if chat else {"context": list(range(plan.prompt_tokens + len(plan.tokens)))}),
        **_ollama_stats(b, plan),
    }
    if not stream:
        return _whole_body_wire(b, plan, final)
    garbage = b'{"model": "' + model.encode() + b'", "message": {"role": "assis\n'
    return Wire(
        "application/x-ndjson",
        frames,
        json.dumps(final).encode() + b"\n",
        garbage,
        _delays(b, len(frames)),
        # Ollama reports a failure after streaming began as one {"error": ...} line.
        json.dumps({"error": b.error_message or "fake failure"}).encode() + b"\n",
    )


def _known_model(b: Behaviour, model: str) -> bool:
    base = model.removesuffix(":latest")
    return any(m.removesuffix(":latest") == base for m in b.models)


async def _ollama_generation(request: Request, state: FakeLLMState, *, chat: bool) -> Response:
    body = await _read_json(request, state)
    if not isinstance(body, dict):
        return _ollama_error(400, "invalid request body")
    b = state._behaviour_for(request.url.path, model_request=True)
    if b.fail_status:
        message = b.error_message or f"fake failure (status {b.fail_status})"
        return _ollama_error(b.fail_status, message)
    model = body.get("model")
    if not model:
        return _ollama_error(400, "model is required")
    if b.strict_models and not _known_model(b, str(model)):
        return _ollama_error(404, f"model '{model}' not found, try pulling it first")
    if chat:
        messages: Messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    else:
        system = [{"role": "system", "content": body["system"]}] if body.get("system") else []
        messages = [*system, {"role": "user", "content": str(body.get("prompt", ""))}]
    options = body.get("options") or {}
    plan = make_plan(b, messages, max_tokens=options.get("num_predict"), stop=options.get("stop"))
    stream = body.get("stream", True) is not False
    return GenerationResponse(state, b, _ollama_wire(b, plan, str(model), stream=stream, chat=chat))


async def ollama_chat(request: Request) -> Response:
    return await _ollama_generation(request, request.app.state.fake, chat=True)


async def ollama_generate(request: Request) -> Response:
    return await _ollama_generation(request, request.app.state.fake, chat=False)


@dataclass(frozen=True)
class OllamaModelFacts:
    """What a real Ollama says about a pulled model: llama3.2's own numbers for the
    llama3.2 names, a small qwen2 model's for any other name."""

    name: str

    @property
    def _llama(self) -> bool:
        return self.name.removesuffix(":latest") == "llama3.2"

    @property
    def family(self) -> str:
        return "llama" if self._llama else "qwen2"

    @property
    def digest(self) -> str:
        if self._llama:
            return "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72"
        return hashlib.sha256(f"blob:{self.name}".encode()).hexdigest()

    @property
    def modified_at(self) -> str:  # Ollama writes local time with nanoseconds
        return (
            "2025-05-04T17:37:44.706015396-07:00"
            if self._llama
            else "2025-03-18T09:12:05.123456789+01:00"
        )

    @property
    def size(self) -> int:
        return 2_019_393_189 if self._llama else 397_821_319

    @property
    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": "3.2B" if self._llama else "494.03M",
            "quantization_level": "Q4_K_M" if self._llama else "Q8_0",
        }

    def tag(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.name,
            "modified_at": self.modified_at,
            "size": self.size,
            "digest": self.digest,
            "details": self.details,
        }

    def show(self, b: Behaviour) -> dict[str, Any]:
        template = (
            "<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>"
        )
        parameters = [("stop", '"<|start_header_id|>"'), ("stop", '"<|eot_id|>"')]
        if b.num_ctx is not None:
            parameters.append(("num_ctx", str(b.num_ctx)))
        modelfile = (
            '# Modelfile generated by "ollama show"\n'
            "# To build a new Modelfile based on this one, replace the FROM line with:\n"
            f"# FROM {self.name}\n\n"
            f"FROM /usr/share/ollama/.ollama/models/blobs/sha256-{self.digest}\n"
            f'TEMPLATE """{template}"""\n'
            + "".join(f"PARAMETER {name} {value}\n" for name, value in parameters)
        )
        return {
            "license": "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT",
            "modelfile": modelfile,
            # Ollama aligns the values in a column
            "parameters": "\n".join(f"{name:<30} {value}" for name, value in parameters),
            "template": template,
            "details": self.details,
            "model_info": {
                "general.architecture": self.family,
                "general.parameter_count": 3_212_749_888 if self._llama else 494_032_768,
                f"{self.family}.context_length": b.context_length,
                f"{self.family}.embedding_length": 3072 if self._llama else 896,
                "tokenizer.ggml.model": "gpt2",
            },
            "capabilities": ["completion", "tools"],
            "modified_at": self.modified_at,
        }


async def ollama_tags(request: Request) -> Response:
    state: FakeLLMState = request.app.state.fake
    state._record(request, None)
    b = state._behaviour_for(request.url.path, model_request=False)
    if early := _listing_early_answer(state, b, openai=False):
        return early
    return JSONResponse({"models": [OllamaModelFacts(name).tag() for name in b.models]})


async def ollama_show(request: Request) -> Response:
    state: FakeLLMState = request.app.state.fake
    body = await _read_json(request, state)
    b = state._behaviour_for(request.url.path, model_request=False)
    if early := _listing_early_answer(state, b, openai=False):
        return early
    name = str((body or {}).get("model") or (body or {}).get("name") or "")
    if not _known_model(b, name):
        return _ollama_error(404, f"model '{name}' not found")
    return JSONResponse(OllamaModelFacts(name).show(b))


async def ollama_version(request: Request) -> Response:
    state: FakeLLMState = request.app.state.fake
    state._record(request, None)
    b = state._behaviour_for(request.url.path, model_request=False)
    return _listing_early_answer(state, b, openai=False) or JSONResponse(
        {"version": OLLAMA_VERSION}
    )


async def ollama_embed(request: Request) -> Response:
    state: FakeLLMState = request.app.state.fake
    body = await _read_json(request, state)
    if not isinstance(body, dict):
        return _ollama_error(400, "invalid request body")
    b = state._behaviour_for(request.url.path, model_request=True)
    if early := _listing_early_answer(state, b, openai=False):
        return early
    model = str(body.get("model") or "")
    if not model:
        return _ollama_error(400, "model is required")
    if b.strict_models and not _known_model(b, model):
        return _ollama_error(404, f"model '{model}' not found, try pulling it first")
    if b.embed_body is not None:
        return Response(b.embed_body, media_type="application/json")
    if b.embed_delay_s > 0:
        await anyio.sleep(b.embed_delay_s)
    raw = body.get("input", "")
    texts = [raw] if isinstance(raw, str) else [str(t) for t in raw]
    dim = int(body.get("dimensions") or b.embedding_dim)
    return JSONResponse(
        {
            "model": model,
            "embeddings": [fake_embedding(t, dim) for t in texts],
            "total_duration": 14_143_917,
            "load_duration": 1_019_500,
            "prompt_eval_count": word_count(texts),
        }
    )


async def ollama_root(request: Request) -> Response:
    return PlainTextResponse("Ollama is running")


# --- OpenAI -------------------------------------------------------------------


def _openai_error(
    status: int, message: str, *, code: str | None = None, param: str | None = None
) -> JSONResponse:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    error = {"message": message, "type": kind, "param": param, "code": code}
    return JSONResponse({"error": error}, status_code=status)


def _openai_wire(
    b: Behaviour, plan: Plan, model: str, *, stream: bool, include_usage: bool
) -> Wire:
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    usage = {
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": len(plan.tokens),
        "total_tokens": plan.prompt_tokens + len(plan.tokens),
    }
    wire_calls = [
        {
            "id": c["id"],
            "type": "function",
            "function": {"name": c["name"], "arguments": _arguments_text(c.get("arguments"))},
        }
        for c in plan.tool_calls
    ]
    if not stream:
        message: dict[str, Any] = {"role": "assistant", "content": plan.text or None}
        if wire_calls:
            message["tool_calls"] = wire_calls
        else:
            message["content"] = plan.text
        return _whole_body_wire(
            b,
            plan,
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": plan.finish_reason,
                    }
                ],
                "usage": usage,
            },
        )

    def event(choices: list[dict[str, Any]], chunk_usage: Any = None) -> bytes:
        chunk: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": choices,
        }
        if include_usage and b.usage_mode != "none":  # OpenAI sends usage: null until the end
            chunk["usage"] = chunk_usage
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    def choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    # OpenAI opens with an empty role-only delta; it rides with the first token frame.
    head = event(choice({"role": "assistant", "content": ""}))
    frames = [event(choice({"content": t})) for t in plan.tokens]
    # Tool calls as OpenAI streams them: per call, a first fragment with the id, type,
    # name and empty arguments, then the arguments text in pieces, all keyed by index.
    for index, call in enumerate(wire_calls):
        opening = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        frames.append(event(choice({"tool_calls": [opening]})))
        text = call["function"]["arguments"]
        for start in range(0, len(text), 8):
            piece = {"index": index, "function": {"arguments": text[start : start + 8]}}
            frames.append(event(choice({"tool_calls": [piece]})))
    if wire_calls:
        head = event(choice({"role": "assistant", "content": None}))
    last_usage = usage if include_usage and b.usage_mode == "last" else None
    tail = event(choice({}, plan.finish_reason), last_usage)
    if include_usage and b.usage_mode == "chunk":
        tail += event([], usage)
    tail += b"data: [DONE]\n\n"
    if frames:
        frames[0] = head + frames[0]
    else:
        tail = head + tail
    garbage = b'data: {"id": "' + cid.encode() + b'", "choices": [{"delta": \n\n'
    # vLLM and llama.cpp's server report a failure mid-stream as an error event.
    error = {"error": {"message": b.error_message or "fake failure", "type": "server_error"}}
    error_frame = b"data: " + json.dumps(error).encode() + b"\n\n"
    return Wire("text/event-stream", frames, tail, garbage, _delays(b, len(frames)), error_frame)


async def openai_chat(request: Request) -> Response:
    state: FakeLLMState = request.app.state.fake
    body = await _read_json(request, state)
    if not isinstance(body, dict):
        return _openai_error(400, "We could not parse the JSON body of your request.")
    b = state._behaviour_for(request.url.path, model_request=True)
    if b.fail_status:
        message = b.error_message or "The server had an error processing your request."
        return _openai_error(b.fail_status, message)
    model = body.get("model")
    if not model:
        return _openai_error(400, "You must provide a model parameter.", param="model")
    if b.strict_models and not _known_model(b, str(model)):
        return _openai_error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    messages: Messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    plan = make_plan(b, messages, max_tokens=max_tokens, stop=body.get("stop"))
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    wire = _openai_wire(
        b, plan, str(model), stream=bool(body.get("stream")), include_usage=include_usage
    )
    return GenerationResponse(state, b, wire)


async def openai_models(request: Request) -> Response:
    state: FakeLLMState = request.app.state.fake
    state._record(request, None)
    b = state._behaviour_for(request.url.path, model_request=False)
    if early := _listing_early_answer(state, b, openai=True):
        return early
    data: list[dict[str, Any]] = []
    for name in b.models:
        entry: dict[str, Any] = {
            "id": name,
            "object": "model",
            "created": 1_730_000_000,
            "owned_by": "fake",
        }
        if b.models_style == "llamacpp":  # llama.cpp's server
            entry["owned_by"] = "llamacpp"
            entry["meta"] = {
                "vocab_type": 2,
                "n_vocab": 128_256,
                "n_ctx_train": b.context_length,
                "n_embd": 3072,
                "n_params": 3_212_749_888,
                "size": 2_019_393_189,
            }
        elif b.models_style == "vllm":
            entry.update(owned_by="vllm", root=name, parent=None, max_model_len=b.context_length)
        data.append(entry)
    return JSONResponse({"object": "list", "data": data})


async def openai_embeddings(request: Request) -> Response:
    state: FakeLLMState = request.app.state.fake
    body = await _read_json(request, state)
    if not isinstance(body, dict):
        return _openai_error(400, "We could not parse the JSON body of your request.")
    b = state._behaviour_for(request.url.path, model_request=True)
    if early := _listing_early_answer(state, b, openai=True):
        return early
    model = str(body.get("model") or "")
    if b.strict_models and not _known_model(b, model):
        return _openai_error(404, f"The model `{model}` does not exist.", code="model_not_found")
    if b.embed_body is not None:
        return Response(b.embed_body, media_type="application/json")
    if b.embed_delay_s > 0:
        await anyio.sleep(b.embed_delay_s)
    raw = body.get("input", "")
    texts = [raw] if isinstance(raw, str) else [str(t) for t in raw]
    dim = int(body.get("dimensions") or b.embedding_dim)
    data = [
        {"object": "embedding", "index": i, "embedding": fake_embedding(t, dim)}
        for i, t in enumerate(texts)
    ]
    tokens = word_count(texts)
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


# --- shared plumbing ------------------------------------------------------------


async def _read_json(request: Request, state: FakeLLMState) -> Any:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        body = None
    state._record(request, body)
    return body


def _listing_early_answer(state: FakeLLMState, b: Behaviour, *, openai: bool) -> Response | None:
    """fail_status and hang apply to every endpoint, so health checks can see them."""
    if b.hang:
        return GenerationResponse(state, b, Wire("application/json", [], b"{}", b"", []))
    if b.fail_status:
        if openai:
            return _openai_error(b.fail_status, "The server had an error processing your request.")
        return _ollama_error(b.fail_status, f"fake failure (status {b.fail_status})")
    return None


async def control(request: Request) -> Response:
    """Script the server from another process: same fields as ``FakeLLMState``.

    POST {"reset": true, "reply": "...", "script": [{...}]}; GET returns the state.
    """
    state: FakeLLMState = request.app.state.fake
    if request.method == "GET":
        return JSONResponse(state.snapshot())
    try:
        changes = json.loads(await request.body() or b"{}")
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        if changes.pop("reset", False):
            state.reset()
        script = changes.pop("script", [])
        if "reply_fn" in changes or "tool_calls_fn" in changes:
            raise ValueError("reply_fn and tool_calls_fn are Python only; use echo or reply")
        state.configure(**changes)
        with state._lock:
            state.script.extend(script)
    except (ValueError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(state.snapshot())


def create_app(state: FakeLLMState | None = None) -> Starlette:
    _quiet_deliberate_drops()
    app = Starlette(
        routes=[
            Route("/", ollama_root, methods=["GET", "HEAD"]),
            Route("/api/chat", ollama_chat, methods=["POST"]),
            Route("/api/generate", ollama_generate, methods=["POST"]),
            Route("/api/tags", ollama_tags, methods=["GET"]),
            Route("/api/show", ollama_show, methods=["POST"]),
            Route("/api/embed", ollama_embed, methods=["POST"]),
            Route("/api/version", ollama_version, methods=["GET"]),
            Route("/v1/chat/completions", openai_chat, methods=["POST"]),
            Route("/v1/models", openai_models, methods=["GET"]),
            Route("/v1/embeddings", openai_embeddings, methods=["POST"]),
            Route("/_control", control, methods=["GET", "POST"]),
        ]
    )
    app.state.fake = state or FakeLLMState()
    return app


# --- running it -----------------------------------------------------------------


@dataclass
class FakeLLM:
    """A running fake server: ``url`` for Ollama, ``openai_url`` for OpenAI clients."""

    url: str
    state: FakeLLMState

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def reset(self) -> None:
        self.state.reset()

    def ollama_settings(self) -> dict[str, Any]:
        """Settings for a Vega that chats and embeds through this server's Ollama API,
        with no answer cache (so every turn reaches the server)."""
        return {
            "llm_backend": "ollama",
            "ollama_url": self.url,
            "embedding_backend": "ollama",
            "embedding_model": "fake-embed",
            "cache_ttl_s": 0,
        }


class _FakeServer(uvicorn.Server):
    """Tells hanging and slow responses to finish as soon as shutdown starts, since
    uvicorn waits for every open response before it stops."""

    def __init__(self, state: FakeLLMState, **config: Any) -> None:
        # timeout_graceful_shutdown is a backstop should a response still hold on.
        app = create_app(state)
        super().__init__(
            uvicorn.Config(app, lifespan="off", ws="none", timeout_graceful_shutdown=1, **config)
        )
        self.fake_state = state

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.fake_state._closing.set()
        await super().shutdown(sockets)


@contextmanager
def run_fake_llm(
    host: str = "127.0.0.1", port: int = 0, *, state: FakeLLMState | None = None
) -> Iterator[FakeLLM]:
    """Serve the fake on a background thread; port 0 picks a free one."""
    state = state or FakeLLMState()
    state._closing.clear()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    # log_config=None: do not let uvicorn reconfigure the test session's logging.
    server = _FakeServer(state, log_config=None, access_log=False, loop="asyncio")
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-llm", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("The fake LLM server did not start")
        time.sleep(0.01)
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    try:
        yield FakeLLM(url=f"http://{url_host}:{bound_port}", state=state)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Fake Ollama/OpenAI server for tests and benchmarks"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11435)
    parser.add_argument("--reply", default=DEFAULT_REPLY)
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds between tokens")
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    state = FakeLLMState(
        reply=args.reply, token_delay_s=args.token_delay, first_token_delay_s=args.first_token_delay
    )
    print(f"Fake LLM on http://{args.host}:{args.port} (OpenAI: /v1)", flush=True)
    _FakeServer(state, host=args.host, port=args.port, log_level="warning", access_log=False).run()


if __name__ == "__main__":
    main()
