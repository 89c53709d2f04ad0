"""OpenAI's legacy text completions, ``POST /v1/completions``, over the same chat turn.

Many tools still call it (editors' inline completion, older LangChain ``OpenAI``,
evaluation harnesses). The prompt becomes the user's message of an ordinary turn:
Vega drives model servers through their chat endpoints, so the model answers the
prompt as it would a chat message rather than continuing raw text. The turn is
logged with source ``openai`` and has every limit, cancellation and key check of a
chat completion.

What would need the model's raw token stream is refused with 400: ``echo``,
``suffix``, ``logprobs``, and more than one choice (``n``, ``best_of``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from vega.api.compat.openai_wire import (
    OpenAIStream,
    StreamOptions,
    dumps,
    finished_body,
)
from vega.api.compat.turns import ClientMessage, Sampling, chat_request
from vega.api.schemas.base import Integer, RequestBody, Seed
from vega.chat.service import ChatRequest, TurnDone

ONE_CHOICE = "Vega gives one choice."


class CompletionIn(RequestBody):
    """``POST /v1/completions``. Unknown fields (``presence_penalty``, ``logit_bias``, ...)
    are ignored, as OpenAI-compatible servers do."""

    model: str = Field(min_length=1, max_length=300)
    prompt: str | list[str] = Field(description="The prompt: a string, or a list of one string.")
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: Integer | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    stop: str | list[str] | None = None
    seed: Seed | None = None
    user: str | None = Field(None, max_length=256)
    n: Integer | None = Field(None, ge=1, le=1, description=ONE_CHOICE)
    best_of: Integer | None = Field(None, ge=1, le=1, description=ONE_CHOICE)
    echo: bool = Field(False, description="Refused: Vega does not send the prompt back.")
    suffix: str | None = Field(None, description="Refused: Vega does not fill in text.")
    logprobs: Integer | None = Field(None, description="Refused: Vega has no token logprobs.")

    @field_validator("prompt")
    @classmethod
    def _one_prompt(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and len(value) != 1:
            raise ValueError("give one prompt (a string, or a list of one string)")
        return value

    @field_validator("echo")
    @classmethod
    def _no_echo(cls, value: bool) -> bool:
        if value:
            raise ValueError("Vega does not send the prompt back")
        return value

    @field_validator("suffix")
    @classmethod
    def _no_suffix(cls, value: str | None) -> str | None:
        if value:
            raise ValueError("Vega does not fill in text before a suffix")
        return value

    @field_validator("logprobs")
    @classmethod
    def _no_logprobs(cls, value: int | None) -> int | None:
        if value is not None:
            raise ValueError("Vega does not return token logprobs")
        return value

    @property
    def text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def to_request(self, *, session_id: str | None) -> ChatRequest:
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return chat_request(
            model=self.model,
            messages=[ClientMessage("user", self.text)],
            sampling=Sampling(
                temperature=self.temperature,
                top_p=self.top_p,
                max_tokens=self.max_tokens,
                stop=stop,
                seed=self.seed,
            ),
            session_id=session_id,
            source="openai",
        )


def text_completion_body(done: TurnDone, *, model: str, rag: bool) -> dict[str, Any]:
    return finished_body(
        done,
        kind="text_completion",
        id_prefix=TextCompletionStream.id_prefix,
        choice={"text": done.response},
        model=model,
        rag=rag,
    )


class TextCompletionStream(OpenAIStream):
    """``text_completion`` events, as OpenAI streams them: one per piece of text (no role
    chunk), a finishing one with ``text: ""``, then sources and usage as for chat."""

    object_type = "text_completion"
    id_prefix = "cmpl"
    # The schema's text completion has no null usage: only the usage chunk carries one.
    null_usage = False

    @staticmethod
    def _text_choice(text: str, finish: str | None = None) -> str:
        reason = "null" if finish is None else dumps(finish)
        return (
            f'[{{"text": {dumps(text)}, "index": 0, "logprobs": null, "finish_reason": {reason}}}]'
        )

    def opening(self) -> bytes:
        return b""

    def token(self, text: str) -> bytes:
        return self._chunk(self._text_choice(text))

    def finishing(self, reason: str) -> str:
        return self._text_choice("", reason)
