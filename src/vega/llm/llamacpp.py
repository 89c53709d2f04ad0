"""The ``llamacpp`` engine: a GGUF file run in-process by llama.cpp (``llama-cpp-python``).

The only module that imports ``llama_cpp``; ``vega.llm.local`` imports it on the
backend's worker thread when a model first loads. Library errors become
``VegaError``s here, once. Install with ``pip install 'vega[llamacpp]'`` (pip builds
llama.cpp from source: a few minutes, a C++ compiler and CMake). The GGUF's chat
template is rendered in a sandbox process with a time and output budget
(``vega.llm.template_renderer``), with what llama-cpp-python's ``Jinja2ChatFormatter``
gives it.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, cast

from gguf import GGUFReader
from llama_cpp import Llama

from vega.errors import BackendError, BackendRejected, BackendUnavailable, VegaError
from vega.llm.base import GenerationParams, Message
from vega.llm.local import Engine, Outcome, Sink, first_line, plain_prompt
from vega.llm.local_models import LLAMACPP, LocalModel, recheck
from vega.llm.template_renderer import (
    DEFAULT_TEMPLATE_TIMEOUT_S,
    TemplateRenderer,
    output_budget,
)

log = logging.getLogger(__name__)

# The KV cache grows with the context: a model trained on 128k tokens would reserve
# gigabytes for it. Vega's prompts fit in far less (VEGA_CONTEXT_CHARS is ~12k tokens).
MAX_CONTEXT = 16384
FALLBACK_CONTEXT = 4096
# What llama.cpp samples with when the caller says nothing (its own defaults, as Ollama's).
DEFAULT_TEMPERATURE = 0.8
DEFAULT_TOP_P = 0.95


def load(
    model: LocalModel, *, template_timeout_s: float = DEFAULT_TEMPLATE_TIMEOUT_S
) -> LlamaCppEngine:
    recheck(model, backend=LLAMACPP)
    try:
        context = min(_trained_context(model.path), MAX_CONTEXT)
        llm = Llama(model_path=str(model.path), n_ctx=context, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        # The library's text names files and may quote them: the log has it, clients do not.
        log.warning("cannot load %s from %s: %s", model.name, model.path, first_line(exc))
        raise BackendUnavailable(
            f"Cannot load '{model.name}'; the server log has the details.", backend=LLAMACPP
        ) from exc
    engine = LlamaCppEngine(llm, TemplateRenderer(timeout_s=template_timeout_s, backend=LLAMACPP))
    if engine.has_template:
        try:
            engine.templates.start()  # so the first request does not wait for the sandbox
        except VegaError:
            engine.close()
            raise
    return engine


def _trained_context(path: Path) -> int:
    """The context length the model was trained with, read from the GGUF header.

    Read with ``gguf`` (a memory map of the header), not a vocabulary-only llama.cpp
    load: that one knows no context length and complains about it on stderr.
    """
    fields = GGUFReader(str(path)).fields
    architecture = fields.get("general.architecture")
    name = architecture.contents() if architecture is not None else "llama"
    length = fields.get(f"{name}.context_length")
    value = length.contents() if length is not None else None
    return value if isinstance(value, int) and value > 0 else FALLBACK_CONTEXT


class LlamaCppEngine(Engine):
    def __init__(self, llm: Any, templates: TemplateRenderer) -> None:
        self._llm = llm
        self.templates = templates
        self.context = int(llm.n_ctx())
        self._template: str | None = llm.metadata.get("tokenizer.chat_template") or None
        self._eos = self._bos = ""
        if self._template is not None:
            eos, bos = llm.token_eos(), llm.token_bos()
            text = llm._model.token_get_text  # the tokens' spelling, as llama-cpp-python reads it
            self._eos = text(eos) if eos != -1 else ""
            self._bos = text(bos) if bos != -1 else ""

    @property
    def has_template(self) -> bool:
        return self._template is not None

    def prompt(self, messages: Sequence[Message], sink: Sink) -> tuple[list[int], list[str]]:
        """(prompt tokens, the template's own stop strings): the GGUF's chat template, else the plain one."""
        llm = self._llm
        if self._template is None:
            text = plain_prompt(messages).encode("utf-8")
            return list(llm.tokenize(text, add_bos=True, special=False)), []
        # The variables llama-cpp-python's Jinja2ChatFormatter renders it with.
        variables = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "eos_token": self._eos,
            "bos_token": self._bos,
            "add_generation_prompt": True,
            "functions": None,
            "function_call": None,
            "tools": None,
            "tool_choice": None,
        }
        prompt = self.templates.render(
            self._template,
            [variables],
            max_chars=output_budget(messages),
            cancelled=lambda: sink.stopped,
        )
        # The template wrote the special tokens it wants (bos included), as the formatter says.
        tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        return list(tokens), [self._eos] if self._eos else []

    def generate(
        self, messages: Sequence[Message], params: GenerationParams, sink: Sink
    ) -> Outcome:
        try:
            tokens, template_stops = self.prompt(messages, sink)
        except (ValueError, TypeError, RuntimeError) as exc:  # llama.cpp's tokenizer
            log.warning("tokenizing the prompt failed: %s: %s", type(exc).__name__, first_line(exc))
            raise BackendError(
                "Cannot build the prompt; the server log has the details.", backend=LLAMACPP
            ) from exc
        room = self.context - len(tokens)
        if room <= 0:
            raise BackendRejected(
                f"The prompt is {len(tokens)} tokens; this model reads at most {self.context}.",
                backend=LLAMACPP,
            )
        max_new = min(params.max_tokens or room, room)
        count, finish = 0, "stop"
        try:
            chunks = self._llm.create_completion(
                prompt=tokens,
                max_tokens=max_new,
                temperature=DEFAULT_TEMPERATURE
                if params.temperature is None
                else params.temperature,
                top_p=DEFAULT_TOP_P if params.top_p is None else params.top_p,
                stop=template_stops,  # the caller's stop strings are cut by vega.llm.local
                seed=params.seed,
                stream=True,
            )
            # closing: leaving the loop early (the caller left) ends llama.cpp's generator now.
            with closing(cast(Generator[dict[str, Any], None, None], chunks)) as stream:
                for chunk in stream:
                    choice = chunk["choices"][0]
                    sink.put(str(choice.get("text") or ""))
                    if choice.get("finish_reason"):  # the closing chunk: no new token
                        finish = choice["finish_reason"]
                    else:
                        count += 1
                    if sink.stopped:
                        break
        except ValueError as exc:  # llama-cpp-python says "too many tokens" with ValueError
            log.warning("llama.cpp refused the request: %s", first_line(exc))
            raise BackendRejected(
                "llama.cpp refused the request; the server log has the details.", backend=LLAMACPP
            ) from exc
        except RuntimeError as exc:
            log.warning("generating failed: %s", first_line(exc))
            raise BackendError(
                "The llama.cpp model failed while generating; the server log has the details.",
                backend=LLAMACPP,
            ) from exc
        return Outcome(
            prompt_tokens=len(tokens),
            completion_tokens=count,
            finish_reason="length" if finish == "length" else "stop",
        )

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def close(self) -> None:
        self.templates.close()
        self._llm.close()
