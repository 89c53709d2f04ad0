"""The ``llamacpp`` engine: a GGUF file run in-process by llama.cpp (``llama-cpp-python``).

The only module that imports ``llama_cpp``; ``vega.llm.local`` imports it on the
backend's worker thread when a model first loads. Library errors become
``VegaError``s here, once. Install with ``pip install 'vega[llamacpp]'`` (pip builds
llama.cpp from source: a few minutes, a C++ compiler and CMake).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, cast

from gguf import GGUFReader
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from vega.errors import BackendError, BackendRejected, BackendUnavailable
from vega.llm.base import GenerationParams, Message
from vega.llm.local import Engine, Outcome, Sink, first_line, plain_prompt
from vega.llm.local_models import LLAMACPP, LocalModel, recheck

# The KV cache grows with the context: a model trained on 128k tokens would reserve
# gigabytes for it. Vega's prompts fit in far less (VEGA_CONTEXT_CHARS is ~12k tokens).
MAX_CONTEXT = 16384
FALLBACK_CONTEXT = 4096
# What llama.cpp samples with when the caller says nothing (its own defaults, as Ollama's).
DEFAULT_TEMPERATURE = 0.8
DEFAULT_TOP_P = 0.95


def load(model: LocalModel) -> LlamaCppEngine:
    recheck(model, backend=LLAMACPP)
    try:
        context = min(_trained_context(model.path), MAX_CONTEXT)
        llm = Llama(model_path=str(model.path), n_ctx=context, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise BackendUnavailable(
            f"Cannot load '{model.name}' from {model.path}: {first_line(exc)}", backend=LLAMACPP
        ) from exc
    return LlamaCppEngine(llm)


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
    def __init__(self, llm: Any) -> None:
        self._llm = llm
        self.context = int(llm.n_ctx())
        template = llm.metadata.get("tokenizer.chat_template")
        self._formatter = self._chat_formatter(template) if template else None

    def _chat_formatter(self, template: str) -> Jinja2ChatFormatter:
        llm = self._llm
        eos, bos = llm.token_eos(), llm.token_bos()
        text = (
            llm._model.token_get_text
        )  # the tokens' spelling, as llama-cpp-python's own handler reads it
        return Jinja2ChatFormatter(
            template=template,
            eos_token=text(eos) if eos != -1 else "",
            bos_token=text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )

    def prompt(self, messages: Sequence[Message]) -> tuple[list[int], list[str]]:
        """(prompt tokens, the template's own stop strings): the GGUF's chat template, else the plain one."""
        llm = self._llm
        if self._formatter is None:
            text = plain_prompt(messages).encode("utf-8")
            return list(llm.tokenize(text, add_bos=True, special=False)), []
        chat = [{"role": m.role, "content": m.content} for m in messages]
        result = self._formatter(messages=cast(Any, chat))
        tokens = llm.tokenize(
            result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
        )
        stops = (
            result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        )
        return list(tokens), [s for s in stops if s]

    def generate(
        self, messages: Sequence[Message], params: GenerationParams, sink: Sink
    ) -> Outcome:
        try:
            tokens, template_stops = self.prompt(messages)
        except (ValueError, TypeError, RuntimeError) as exc:  # jinja2's errors are ValueErrors too
            raise BackendError(
                f"Cannot build the prompt: {first_line(exc)}", backend=LLAMACPP
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
            raise BackendRejected(
                f"llama.cpp refused the request: {first_line(exc)}", backend=LLAMACPP
            ) from exc
        except RuntimeError as exc:
            raise BackendError(
                f"The llama.cpp model failed while generating: {first_line(exc)}", backend=LLAMACPP
            ) from exc
        return Outcome(
            prompt_tokens=len(tokens),
            completion_tokens=count,
            finish_reason="length" if finish == "length" else "stop",
        )

    def close(self) -> None:
        self._llm.close()
