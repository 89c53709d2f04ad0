"""`GET /models`: what the browser UI offers to pick."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from vega.api.schemas.base import Fact
from vega.chat.budget import Window
from vega.llm.base import ModelInfo

T = TypeVar("T")


def _or_unknown(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # A model server's odd value for a fact is no reason to fail the whole list.
    try:
        return handler(value)
    except ValidationError:
        return None


Told = Annotated[Fact[T], WrapValidator(_or_unknown)]


class ModelDetails(BaseModel):
    """What the backend tells about a model, as it told it; what it does not tell is absent.
    Ollama's list carries its details (format, family, sizes) and `digest`, `size`,
    `modified_at`; an OpenAI-compatible server `owned_by`, `created` and the context
    length; a registered local model its format, family, size and `adapter`."""

    # Strict: a value is passed on as the server sent it, or left out, never converted.
    model_config = ConfigDict(extra="allow", strict=True)  # extra: whatever else it lists

    format: Told[str] = None
    family: Told[str] = None
    families: Told[list[str]] = None
    parameter_size: Told[str] = None
    quantization_level: Told[str] = None
    parent_model: Told[str] = None
    size: Told[int] = Field(None, description="Bytes.")
    digest: Told[str] = None
    modified_at: Told[str] = None
    owned_by: Told[str] = None
    created: Told[int | datetime] = Field(
        None, description="Unix seconds (OpenAI-compatible servers), or when it was registered."
    )
    context_length: Told[int] = Field(None, description="Tokens, prompt and reply together.")
    adapter: Told[bool] = Field(None, description="A fine-tuned adapter over a base model.")


class ContextWindowOut(BaseModel):
    """The window a turn's context budget uses (docs/memory.md#the-context-budget)."""

    tokens: int = Field(description="Prompt and reply together.")
    source: Literal["model", "setting", "default"] = Field(
        description="`model`: the model server said; `setting`: VEGA_CONTEXT_LENGTHS; "
        "`default`: nobody said, so VEGA_DEFAULT_CONTEXT_TOKENS."
    )

    @classmethod
    def of(cls, window: Window) -> ContextWindowOut:
        return cls(tokens=window.tokens, source=window.source)


class ModelOut(BaseModel):
    name: str
    details: ModelDetails = Field(default_factory=ModelDetails)
    context_window: ContextWindowOut | None = Field(
        None, description="The window a turn with this model is fitted to."
    )

    @classmethod
    def of(cls, info: ModelInfo) -> ModelOut:
        return cls(name=info.name, details=ModelDetails.model_validate(info.details))


class ModelsOut(BaseModel):
    backend: str
    default: str = Field(description="The model used when a request names none.")
    ok: bool = Field(description="False while the backend cannot be reached.")
    models: list[ModelOut] = Field(default_factory=list)
    context: ContextWindowOut | None = Field(None, description="The default model's window.")
