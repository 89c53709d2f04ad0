"""The ``transformers`` engine: a Hugging Face model folder, plus an optional LoRA adapter, in-process.

The only serving module that imports torch, transformers and PEFT. It is imported
by ``vega.llm.local`` on the backend's worker thread when a model first loads, so
the imports at the top cost nothing until then. Library errors become
``VegaError``s here, once.

Nothing a user supplies is loaded with pickle or remote code: safetensors weights
only (``use_safetensors=True``; adapters are checked to have
``adapter_model.safetensors``), ``trust_remote_code=False``. The chat template is
rendered in a sandbox process with a time and output budget
(``vega.llm.template_renderer``), not by ``apply_chat_template`` on this thread.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
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
from vega.llm.template_renderer import (
    DEFAULT_TEMPLATE_TIMEOUT_S,
    TemplateRenderer,
    output_budget,
)

log = logging.getLogger(__name__)

# Models that do not say how far they can read get this much context.
FALLBACK_CONTEXT = 2048


def load(
    model: LocalModel, *, template_timeout_s: float = DEFAULT_TEMPLATE_TIMEOUT_S
) -> TransformersEngine:
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
        template = tokenizer.get_chat_template() if tokenizer.chat_template else None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, ImportError) as exc:
        # The library's text names files and may quote them: the log has it, clients do not.
        log.warning("cannot load %s from %s: %s", model.name, model.path, first_line(exc))
        raise BackendUnavailable(
            f"Cannot load '{model.name}'; the server log has the details.", backend=TRANSFORMERS
        ) from exc
    net.to(device)
    net.eval()
    templates = TemplateRenderer(timeout_s=template_timeout_s, backend=TRANSFORMERS)
    if template is not None:
        templates.start()  # so the first request does not wait for the sandbox (else: no load)
    return TransformersEngine(net, tokenizer, device=device, template=template, templates=templates)


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
    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        device: str,
        template: str | None,
        templates: TemplateRenderer,
    ) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._device = device
        self._template = template
        self._templates = templates
        # What apply_chat_template gives a template besides the chat: bos_token, eos_token...
        self._special_tokens = dict(tokenizer.special_tokens_map)
        config = model.config
        self.context = int(getattr(config, "max_position_embeddings", 0) or FALLBACK_CONTEXT)
        eos = model.generation_config.eos_token_id
        if eos is None:
            eos = tokenizer.eos_token_id
        self._eos: set[int] = set(
            eos if isinstance(eos, list) else [eos] if eos is not None else []
        )

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def prompt_ids(self, messages: Sequence[Message], sink: Sink) -> list[int]:
        """The tokenizer's chat template if it has one, else the plain template."""
        tokenizer = self._tokenizer
        if self._template is None:
            return list(tokenizer(plain_prompt(messages))["input_ids"])  # with <s>, as trained
        # As apply_chat_template renders it; a template that refuses a system turn
        # (Gemma's) gets it in front of the first user turn instead.
        variants = [self._variables(messages)]
        if any(m.role == "system" for m in messages):
            variants.append(self._variables(fold_system(messages)))
        text = self._templates.render(
            self._template,
            variants,
            max_chars=output_budget(messages),
            cancelled=lambda: sink.stopped,
        )
        # The rendered template already holds the special tokens it wants.
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    def _variables(self, messages: Sequence[Message]) -> dict[str, Any]:
        return {
            **self._special_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "tools": None,
            "documents": None,
            "add_generation_prompt": True,
        }

    def generate(
        self, messages: Sequence[Message], params: GenerationParams, sink: Sink
    ) -> Outcome:
        ids = self.prompt_ids(messages, sink)
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
            # torch's text (shapes, devices, allocator state) is for the log only.
            log.warning("generating failed: %s: %s", type(exc).__name__, first_line(exc))
            raise BackendError(
                "The transformers model failed while generating; the server log has the details.",
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
        self._templates.close()
        self._model = self._tokenizer = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


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
