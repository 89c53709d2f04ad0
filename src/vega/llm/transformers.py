"""The ``transformers`` engine: a Hugging Face model folder, plus an optional LoRA adapter, in-process.

The only serving module that imports torch, transformers and PEFT. It is imported
by ``vega.llm.local`` on the backend's worker thread when a model first loads, so
the imports at the top cost nothing until then. Library errors become
``VegaError``s here, once.

Nothing a user supplies is loaded with pickle or remote code: safetensors weights
only (``use_safetensors=True``; adapters are checked to have
``adapter_model.safetensors``), ``trust_remote_code=False``.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from jinja2 import TemplateError
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    StoppingCriteria,
    StoppingCriteriaList,
)
from transformers.generation.streamers import BaseStreamer

from vega.errors import BackendError, BackendRejected, BackendUnavailable
from vega.hf import quiet_huggingface
from vega.llm.base import GenerationParams, Message
from vega.llm.local import Engine, Outcome, Sink, first_line, fold_system, plain_prompt
from vega.llm.local_models import TRANSFORMERS, LocalModel, recheck

# Models that do not say how far they can read get this much context.
FALLBACK_CONTEXT = 2048


def load(model: LocalModel) -> TransformersEngine:
    """Load the folder (and adapter) onto the GPU if there is one, else the CPU."""
    recheck(model, backend=TRANSFORMERS)
    quiet_huggingface()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        # A registered local folder: local_files_only makes sure a missing one is an error,
        # never a download from the Hub (whatever HF_HUB_OFFLINE says).
        tokenizer = AutoTokenizer.from_pretrained(  # local folder  # nosec B615
            str(model.path), trust_remote_code=False, local_files_only=True
        )
        net: Any = AutoModelForCausalLM.from_pretrained(  # local folder  # nosec B615
            str(model.path),
            local_files_only=True,
            trust_remote_code=False,
            use_safetensors=True,
            # Half precision is slow or unsupported on many CPUs; on a GPU keep the file's.
            dtype="auto" if device == "cuda" else torch.float32,
        )
        if model.adapter is not None:
            net = _with_adapter(net, model.adapter)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, ImportError) as exc:
        raise BackendUnavailable(
            f"Cannot load '{model.name}' from {model.path}: {first_line(exc)}",
            backend=TRANSFORMERS,
        ) from exc
    net.to(device)
    net.eval()
    return TransformersEngine(net, tokenizer, device=device)


def _with_adapter(net: Any, adapter: Path) -> Any:
    from peft import PeftModel

    # PEFT calls a transformers API that transformers 5 deprecated: the warning is
    # theirs to fix and would land in the server's log on every load.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        net = PeftModel.from_pretrained(net, str(adapter), is_trainable=False)
    # Folding the LoRA product into the weights once makes every token cheaper.
    return net.merge_and_unload()


class TransformersEngine(Engine):
    def __init__(self, model: Any, tokenizer: Any, *, device: str) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._device = device
        config = model.config
        self.context = int(getattr(config, "max_position_embeddings", 0) or FALLBACK_CONTEXT)
        eos = model.generation_config.eos_token_id
        if eos is None:
            eos = tokenizer.eos_token_id
        self._eos: set[int] = set(
            eos if isinstance(eos, list) else [eos] if eos is not None else []
        )

    def prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        """The tokenizer's chat template if it has one, else the plain template."""
        tokenizer = self._tokenizer
        if not getattr(tokenizer, "chat_template", None):
            return list(tokenizer(plain_prompt(messages))["input_ids"])  # with <s>, as trained
        try:
            text = _chat_text(tokenizer, messages)
        except TemplateError:  # some templates (Gemma's) refuse a system turn
            text = _chat_text(tokenizer, fold_system(messages))
        # The rendered template already holds the special tokens it wants.
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    def generate(
        self, messages: Sequence[Message], params: GenerationParams, sink: Sink
    ) -> Outcome:
        try:
            ids = self.prompt_ids(messages)
        except (TemplateError, ValueError, TypeError) as exc:
            raise BackendError(
                f"Cannot build the prompt: {first_line(exc)}", backend=TRANSFORMERS
            ) from exc
        room = self.context - len(ids)
        if room <= 0:
            raise BackendRejected(
                f"The prompt is {len(ids)} tokens; this model reads at most {self.context}.",
                backend=TRANSFORMERS,
            )
        max_new = min(params.max_tokens or room, room)
        streamer = _Streamer(self._tokenizer, sink)
        if params.seed is not None:
            torch.manual_seed(params.seed)  # one generation at a time: the global generator is ours
        input_ids = torch.tensor([ids], device=self._device)
        try:
            with torch.inference_mode():
                self._model.generate(
                    input_ids=input_ids,
                    attention_mask=torch.ones_like(input_ids),
                    generation_config=self._generation_config(params, max_new),
                    streamer=streamer,
                    stopping_criteria=StoppingCriteriaList([_StopWhenAsked(sink)]),
                )
        except (RuntimeError, ValueError, IndexError) as exc:
            raise BackendError(
                f"The transformers model failed while generating: {first_line(exc)}",
                backend=TRANSFORMERS,
            ) from exc
        ended = streamer.last_token in self._eos
        finish = "length" if streamer.count >= max_new and not ended else "stop"
        return Outcome(
            prompt_tokens=len(ids), completion_tokens=streamer.count, finish_reason=finish
        )

    def _generation_config(self, params: GenerationParams, max_new: int) -> Any:
        config = copy.deepcopy(self._model.generation_config)
        config.max_new_tokens = max_new
        config.max_length = None
        if config.pad_token_id is None:  # else every call warns about it
            config.pad_token_id = self._tokenizer.pad_token_id or next(iter(self._eos), None)
        if params.temperature == 0:
            # Greedy: the sampling knobs mean nothing, and some versions warn about them.
            config.do_sample = False
            config.temperature = config.top_p = config.top_k = None
        elif params.temperature is not None:
            config.do_sample = True
            config.temperature = params.temperature
        if params.top_p is not None and config.do_sample:
            config.top_p = params.top_p
        return config

    def close(self) -> None:
        self._model = self._tokenizer = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _chat_text(tokenizer: Any, messages: Sequence[Message]) -> str:
    chat = [{"role": m.role, "content": m.content} for m in messages]
    text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    return str(text)


class _Streamer(BaseStreamer):
    """Turns generated token ids into text pieces for the sink, as they come.

    Decodes everything generated so far at each token and sends what is new, so
    multi-byte characters split across tokens come out whole (a trailing U+FFFD
    means "wait for the next token").
    """

    def __init__(self, tokenizer: Any, sink: Sink) -> None:
        self._tokenizer = tokenizer
        self._sink = sink
        self._ids: list[int] = []
        self._sent = 0
        self._prompt_seen = False
        self.last_token: int | None = None

    @property
    def count(self) -> int:
        return len(self._ids)

    def put(self, value: Any) -> None:
        if not self._prompt_seen:  # generate() hands over the prompt first
            self._prompt_seen = True
            return
        tokens = [int(t) for t in value.reshape(-1).tolist()]
        self._ids.extend(tokens)
        if tokens:
            self.last_token = tokens[-1]
        self._push(final=False)

    def end(self) -> None:
        if not self._sink.stopped:  # text held back for a caller who has gone is dropped
            self._push(final=True)

    def _push(self, *, final: bool) -> None:
        text = self._tokenizer.decode(self._ids, skip_special_tokens=True)
        if not final and text.endswith("\ufffd"):
            return
        if len(text) > self._sent:
            self._sink.put(text[self._sent :])
            self._sent = len(text)


class _StopWhenAsked(StoppingCriteria):
    """Ends generation after the current token once the caller has gone (or a stop string hit)."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        return torch.full(
            (input_ids.shape[0],), self._sink.stopped, dtype=torch.bool, device=input_ids.device
        )
