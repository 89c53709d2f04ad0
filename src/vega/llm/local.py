"""In-process backends (``transformers``, ``llamacpp``): the model runs inside Vega.

What both share lives here: which model a request means (a registered name, or
``VEGA_MODEL``), loading it once and keeping one model in memory, running one
generation at a time on a dedicated worker thread, handing its text to the event
loop through a queue, stop strings, and stopping promptly when the caller goes
away. The libraries live in the engines (``vega.llm.transformers``,
``vega.llm.llamacpp``), imported on the worker thread the first time a model loads,
so importing Vega or starting the server never imports torch.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from vega.errors import (
    BackendBusy,
    BackendError,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
    BadInput,
    VegaError,
)
from vega.llm.base import (
    Backend,
    BackendHealth,
    Delta,
    GenerationParams,
    Message,
    ModelInfo,
    Usage,
    generous_tokens,
)
from vega.llm.engine_worker import EngineWorker
from vega.llm.local_models import (
    Files,
    LocalModel,
    RegisteredModels,
    configured_context,
    inspect_model,
    library_missing,
)
from vega.llm.template_renderer import DEFAULT_TEMPLATE_TIMEOUT_S

log = logging.getLogger(__name__)
T = TypeVar("T")

# How long closing waits for a running generation to notice it must stop (and the
# model to unload); past that the server exits without it (the worker is a daemon).
CLOSE_TIMEOUT_S = 5.0
# An engine checks its stop flag after every token: one still running this long after
# its caller left (or timed out) is stuck, in native code or an endless template.
STOP_GRACE_S = 10.0
# How often a request waiting for its turn looks whether the engine got stuck meanwhile.
STUCK_POLL_S = 0.5
# The engine module of each kind: ``load(model: LocalModel) -> Engine``.
ENGINE_MODULES = {"transformers": "vega.llm.transformers", "llamacpp": "vega.llm.llamacpp"}


# --- what an engine is ----------------------------------------------------------------


class Sink(ABC):
    """Where an engine puts generated text, and how it learns to stop."""

    @abstractmethod
    def put(self, text: str) -> None:
        """Hand over the next piece of the reply."""

    @property
    @abstractmethod
    def stopped(self) -> bool:
        """True once nobody wants more: check it after every token."""


@dataclass(frozen=True, slots=True)
class Outcome:
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (end of turn or stop string) or "length"


class Engine(ABC):
    """One loaded model. Only the backend's worker thread calls it, one call at a time."""

    @abstractmethod
    def generate(
        self, messages: Sequence[Message], params: GenerationParams, sink: Sink
    ) -> Outcome:
        """Generate a reply into ``sink``; raise ``VegaError``s only."""

    def close(self) -> None:  # noqa: B027 - optional hook: dropping the references frees most engines
        """Release the weights."""

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's tokenizer (no special tokens)."""
        raise NotImplementedError


EngineLoader = Callable[[LocalModel], Engine]


def import_loader(kind: str, *, template_timeout_s: float) -> EngineLoader:
    module = importlib.import_module(ENGINE_MODULES[kind])
    loader: EngineLoader = partial(module.load, template_timeout_s=template_timeout_s)
    return loader


# --- prompts without a chat template ----------------------------------------------------


def plain_prompt(messages: Sequence[Message]) -> str:
    """The prompt for a model without a chat template: the trainer's plain template.

    ``vega train`` renders training examples this way when the tokenizer has no chat
    template, so a model fine-tuned by Vega is asked in the shape it learned.
    """
    from vega.training.config import DEFAULT_PROMPT_TEMPLATE
    from vega.training.data import Example
    from vega.training.data import plain_prompt as render

    example = Example(context=tuple((m.role, m.content) for m in messages), response="")
    return DEFAULT_PROMPT_TEMPLATE.replace("{prompt}", render(example))


def first_line(exc: BaseException) -> str:
    """A library error as one line, for the log: library text never goes into a VegaError's
    message (it may hold paths, or whatever a model's files put there)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def fold_system(messages: Sequence[Message]) -> list[Message]:
    """For chat templates that refuse a system turn: put it in front of the first user turn."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    rest = [m for m in messages if m.role != "system"]
    if not system:
        return rest
    for i, message in enumerate(rest):
        if message.role == "user":
            rest[i] = Message("user", f"{system}\n\n{message.content}")
            return rest
    return [Message("user", system), *rest]


# --- stop strings ---------------------------------------------------------------------


class StopScanner:
    """Cuts the reply at the first stop string, which may arrive split across pieces.

    Text that could be the start of a stop string is held back until the next piece
    shows whether it is; ``flush`` releases it at the end.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._held = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """(text safe to send now, whether a stop string was reached)."""
        if not self._stops:
            return text, False
        buffer = self._held + text
        hits = [i for i in (buffer.find(s) for s in self._stops) if i >= 0]
        if hits:
            self._held = ""
            return buffer[: min(hits)], True
        keep = self._partial_stop_length(buffer)
        self._held = buffer[len(buffer) - keep :]
        return buffer[: len(buffer) - keep], False

    def _partial_stop_length(self, buffer: str) -> int:
        for length in range(min(len(buffer), max(len(s) for s in self._stops) - 1), 0, -1):
            tail = buffer[-length:]
            if any(s.startswith(tail) for s in self._stops):
                return length
        return 0

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held


# --- from the worker thread to the event loop -------------------------------------------

_STARTED = object()  # the worker took the job: the timeout starts counting
_FINISHED = object()  # the worker is done (its result or error is on the future)


class _Channel(Sink):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        self._stop = threading.Event()
        self.stopped_at: float | None = None  # time.monotonic() of the first stop()

    def put(self, text: str) -> None:
        if text:
            self._loop.call_soon_threadsafe(self.queue.put_nowait, text)

    def started(self) -> None:
        self._loop.call_soon_threadsafe(self.queue.put_nowait, _STARTED)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()
        self._stop.set()

    def finished(self, job: asyncio.Future[Outcome | None]) -> None:
        # Runs on the loop. Reading the exception marks it seen, so a job whose
        # caller already left does not log "exception was never retrieved".
        if not job.cancelled():
            job.exception()
        self.queue.put_nowait(_FINISHED)


# --- the backend ------------------------------------------------------------------------


class LocalBackend(Backend):
    """A model loaded in this process. ``kind`` None serves any installed kind (``auto``)."""

    def __init__(
        self,
        *,
        kind: str | None,
        registry: RegisteredModels,
        default_model: str,
        timeout_s: float,
        template_timeout_s: float = DEFAULT_TEMPLATE_TIMEOUT_S,
        engine_wait_s: float = 300.0,
        stop_grace_s: float = STOP_GRACE_S,
        loaders: Mapping[str, EngineLoader] | None = None,
    ) -> None:
        self._kind = kind
        self.name = kind or "transformers"  # auto: the kind of the model it picks
        self._registry = registry
        self._default = default_model
        self._timeout_s = timeout_s
        self._template_timeout_s = template_timeout_s
        self._engine_wait_s = engine_wait_s
        self._stop_grace_s = stop_grace_s
        self._loaders = dict(loaders or {})
        # One thread runs every load and generation: one model call at a time, and
        # torch keeps one OpenMP team instead of one per calling thread.
        self._worker = EngineWorker(f"vega-{self.name}")
        # The generation on the worker now: set and cleared there, read on the loop.
        self._running: _Channel | None = None
        self._engine: Engine | None = None  # touched on the worker thread only
        self._engine_files: Files | None = None
        self._asked: dict[str, Files] = {}  # model names as turns asked for them
        self._load_errors: dict[Files, str] = {}
        # The context each loaded model ran with: written on the worker thread, read on the
        # loop (a dict's get and set are atomic), so asking never waits for a generation.
        self._contexts: dict[Files, int] = {}
        self._closed = False

    # -- which model ---------------------------------------------------------------------

    def _serves(self, model: LocalModel) -> bool:
        if self._kind is not None:
            return model.backend == self._kind
        return library_missing(model.backend) is None

    async def resolve(self, requested: str) -> LocalModel:
        """The model a request's ``model`` means: the default, or a registered name.

        Paths are accepted only from the settings (``VEGA_MODEL``), never from a
        request: a client must not make the server load files of its choosing.
        """
        name = requested.strip()
        if not name or name == self._default:
            return await self.default_model()
        found = await self._registry.get(name)
        if found is None or not self._serves(found):
            raise BackendRejected(
                f"Model '{name}' is not registered for the {self._kind or 'in-process'} backend; "
                "`vega models list` shows the registered models.",
                backend=self.name,
            )
        return found

    async def default_model(self) -> LocalModel:
        """``VEGA_MODEL`` as a registered name or a path; for ``auto``, else the newest registered."""
        found = await self._registry.get(self._default)
        if found is not None and self._serves(found):
            return self._using(found)
        at_path = self._model_at_path()
        if at_path is not None:
            return self._using(at_path)
        if self._kind is None:
            for model in await self._registry.list_models():
                if self._serves(model):
                    return self._using(model)
        raise BackendUnavailable(
            f"VEGA_MODEL={self._default!r} is neither a registered "
            f"{self._kind or 'in-process'} model nor a path to one: register it with "
            "`vega models add NAME PATH`, or set VEGA_MODEL to a model folder or .gguf file.",
            backend=self.name,
        )

    def _model_at_path(self) -> LocalModel | None:
        """VEGA_MODEL as a folder or .gguf file; None when it names no existing path."""
        path = Path(self._default).expanduser() if self._default else None
        if path is None or not path.exists():
            return None
        try:
            kind, details = inspect_model(path.resolve(), adapter=None, backend=self._kind)
        except BadInput as exc:
            raise BackendUnavailable(f"VEGA_MODEL: {exc.message}", backend=self.name) from None
        return LocalModel(name=self._default, backend=kind, path=path.resolve(), details=details)

    def _using(self, model: LocalModel) -> LocalModel:
        if self._kind is None:
            self.name = model.backend
        return model

    async def has_models(self) -> bool:
        """For ``auto``: is there a registered model (or a VEGA_MODEL path) this process can load?"""
        try:
            await self.default_model()
        except VegaError:
            return False
        return True

    async def default_is_registered(self) -> bool:
        """For ``auto``: VEGA_MODEL names a registered model, an explicit wish to use it."""
        found = await self._registry.get(self._default)
        return found is not None and self._serves(found)

    # -- loading, on the worker thread ---------------------------------------------------

    def _engine_for(self, model: LocalModel) -> Engine:
        if self._engine is not None and self._engine_files == model.files:
            return self._engine
        self._unload()  # one model in memory at a time
        missing = library_missing(model.backend)
        if missing is not None:
            raise BackendUnavailable(
                f"Cannot load '{model.name}': {missing}.", backend=model.backend
            )
        try:
            loader = self._loaders.get(model.backend) or import_loader(
                model.backend, template_timeout_s=self._template_timeout_s
            )
            log.info("loading %s model %s from %s", model.backend, model.name, model.path)
            self._engine = loader(model)
        except VegaError as exc:
            self._load_errors[model.files] = exc.message
            raise
        except Exception as exc:  # e.g. a library whose native part fails to import
            log.exception("loading %s model %s failed", model.backend, model.name)
            message = f"Cannot load '{model.name}'; the server log has the details."
            self._load_errors[model.files] = message
            raise BackendUnavailable(message, backend=model.backend) from exc
        self._engine_files = model.files
        self._load_errors.pop(model.files, None)
        context = getattr(self._engine, "context", None)  # both engines know it once loaded
        if isinstance(context, int) and context > 0:
            self._contexts[model.files] = context
        return self._engine

    def _unload(self) -> None:
        if self._engine is not None:
            engine, self._engine, self._engine_files = self._engine, None, None
            engine.close()

    def _run(
        self,
        model: LocalModel,
        messages: Sequence[Message],
        params: GenerationParams,
        channel: _Channel,
    ) -> Outcome | None:
        if channel.stopped:  # the caller left while this job waited its turn
            return None
        self._running = channel
        channel.started()
        try:
            return self._engine_for(model).generate(messages, params, channel)
        except VegaError:
            raise
        except Exception as exc:  # an engine bug must still reach the caller as a VegaError
            log.exception("%s model %s failed", model.backend, model.name)
            raise BackendError(
                f"The {model.backend} model failed while generating.", backend=model.backend
            ) from exc
        finally:
            self._running = None

    def _stuck_for(self) -> float | None:
        """Seconds the running generation has ignored its stop flag, past the grace; None
        while the engine is idle or responsive."""
        running = self._running
        stopped_at = running.stopped_at if running is not None else None
        if stopped_at is None:
            return None
        late = time.monotonic() - stopped_at
        return late if late > self._stop_grace_s else None

    def _stuck_error(self, late: float) -> BackendBusy:
        return BackendBusy(
            f"The {self.name} model is stuck: a generation has ignored being stopped for "
            f"{late:.0f} s. It answers again if that ends; /readyz reports it until then "
            "(restart the server if it does not recover).",
            backend=self.name,
        )

    # -- the contract --------------------------------------------------------------------

    async def stream(
        self, messages: Sequence[Message], params: GenerationParams
    ) -> AsyncGenerator[Delta, None]:
        if self._closed:  # shutting down: the worker takes no more jobs
            raise BackendUnavailable("The server is shutting down.", backend=self.name)
        model = await self.resolve(params.model)
        self._asked[params.model] = model.files  # for token_counter: which name is which weights
        if (late := self._stuck_for()) is not None:  # fail now rather than queue behind it
            raise self._stuck_error(late)
        channel = _Channel(asyncio.get_running_loop())
        job = self._worker.submit(partial(self._run, model, list(messages), params, channel))
        job.add_done_callback(channel.finished)
        stops = StopScanner(params.stop)
        stopped_by_string = False
        try:
            await self._wait_for_turn(channel, model)
            # Once the job runs (loading included), each piece must come in time.
            while (
                piece := await self._in_time(channel.queue.get(), model, "produced nothing for")
            ) is not _FINISHED:
                text, stopped_by_string = stops.feed(str(piece))
                if text:
                    yield Delta(text=text)
                if stopped_by_string:
                    channel.stop()
                    break
            # The worker's error, if any, is raised here. Done already, unless a stop
            # string ended the reply: then within a token.
            outcome = await self._in_time(job, model, "did not stop within")
            if not stopped_by_string and (tail := stops.flush()):
                yield Delta(text=tail)
        finally:
            # Also on a client hang-up (the consumer closes us): the engine checks this
            # flag after every token, so generation ends within one token.
            channel.stop()
        if outcome is None:
            raise BackendError("The generation ended before it started.", backend=model.backend)
        yield Delta(
            done=True,
            usage=Usage(outcome.prompt_tokens, outcome.completion_tokens),
            finish_reason="stop" if stopped_by_string else outcome.finish_reason,
        )

    async def _in_time(self, waiting: Awaitable[T], model: LocalModel, failure: str) -> T:
        """What ``waiting`` gives within VEGA_LLM_TIMEOUT_S, or a timeout saying what the
        model did not do in that time (``failure``: "produced nothing for", ...)."""
        try:
            return await asyncio.wait_for(waiting, self._timeout_s)
        except TimeoutError:
            raise BackendTimeout(
                f"The {model.backend} model {failure} {self._timeout_s:g} s.",
                backend=model.backend,
            ) from None

    async def _wait_for_turn(self, channel: _Channel, model: LocalModel) -> None:
        """Until the worker takes this job: at most VEGA_ENGINE_WAIT_S, and no longer once
        the generation ahead of it is known to be stuck."""
        deadline = time.monotonic() + self._engine_wait_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                piece = await asyncio.wait_for(channel.queue.get(), min(left, STUCK_POLL_S))
            except TimeoutError:
                if (late := self._stuck_for()) is not None:
                    raise self._stuck_error(late) from None
                continue
            if piece is not _STARTED:  # finished without starting: let the caller see it
                channel.queue.put_nowait(piece)
            return
        raise BackendBusy(
            f"The {model.backend} model is busy with other requests: this one waited "
            f"{self._engine_wait_s:g} s (VEGA_ENGINE_WAIT_S) for its turn. Try again later.",
            backend=model.backend,
        )

    async def models(self) -> list[ModelInfo]:
        listed = [m for m in await self._registry.list_models() if self._serves(m)]
        if all(m.name != self._default for m in listed):
            with suppress(VegaError):  # VEGA_MODEL given as a path is a model too
                at_path = self._model_at_path()
                if at_path is not None and self._serves(at_path):
                    listed.insert(0, at_path)
        return [m.info() for m in listed]

    async def context_length(self, model: str) -> int | None:
        """What the loaded engine reads; before a load, what the model's files declare."""
        try:
            found = await self.resolve(model)
        except VegaError:
            return None
        return self._contexts.get(found.files) or configured_context(found)

    def token_counter(self, model: str) -> Callable[[str], int] | None:
        """The loaded engine's tokenizer, for the model it serves (None before a load)."""
        engine = self._engine
        if engine is None or self._asked.get(model) != self._engine_files:
            return None

        def count(text: str) -> int:
            try:
                return engine.count_tokens(text)
            except Exception:  # busy (a tokenizer in use by the generating thread), or none
                return generous_tokens(text)

        return count

    async def health(self) -> BackendHealth:
        if (late := self._stuck_for()) is not None:  # /readyz answers 503 while this lasts
            return BackendHealth(ok=False, detail=self._stuck_error(late).message, ready=False)
        try:
            model = await self.default_model()
        except VegaError as exc:
            return BackendHealth(ok=False, detail=exc.message)
        missing = library_missing(model.backend)
        if missing is not None:
            return BackendHealth(ok=False, detail=missing)
        if not model.path.exists():
            return BackendHealth(ok=False, detail=f"{model.path}: no such file or folder (moved?)")
        if (error := self._load_errors.get(model.files)) is not None:
            return BackendHealth(ok=False, detail=error)
        state = "loaded" if self._engine_files == model.files else "loads on first use"
        return BackendHealth(ok=True, detail=f"{model.backend} model {model.name} ({state})")

    async def warm(self) -> None:
        """Load the default model now (a server does this at start, in the background)."""
        try:
            model = await self.default_model()
            await self._worker.submit(partial(self._engine_for, model))
        except VegaError as exc:
            log.warning("model not loaded: %s", exc.message)

    def describe(self) -> str:
        return f"{self._kind or 'in-process'} (in-process, VEGA_MODEL={self._default})"

    async def aclose(self) -> None:
        if self._closed:  # auto may list this backend twice
            return
        self._closed = True
        if (running := self._running) is not None:
            running.stop()  # a generation ends after its current token
        try:
            if (late := self._stuck_for()) is not None:
                log.warning("leaving the stuck %s model behind (%.0f s)", self.name, late)
                return
            # Free the weights before returning: a library may not like one model being
            # freed while another (a new backend's, in the same process) runs on another thread.
            await asyncio.wait_for(self._worker.submit(self._unload), CLOSE_TIMEOUT_S)
        except TimeoutError:
            log.warning("the %s model did not unload within %g s", self.name, CLOSE_TIMEOUT_S)
        finally:
            self._worker.shutdown()  # a daemon thread: a stuck one does not keep us alive
            self._registry.close()
