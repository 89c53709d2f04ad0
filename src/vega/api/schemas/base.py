"""What every request body shares: strict types, text that must be valid Unicode at every
depth, integers as JSON has them, paging."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated, Any, Self, TypeVar

from fastapi import Path, Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    model_validator,
)
from pydantic_core import PydanticCustomError

from vega.chat.service import is_utf8

# Every piece of text in a body (RequestBody checks them all, at every depth): JSON can
# carry lone surrogates ("\ud800") that no database stores, no UTF-8 encoder writes and
# no model server accepts, so they are refused with the body, before any field is used.
Text = str


def invalid_text_at(value: Any) -> str | None:
    """Where in a decoded JSON value a string (or an object key) is not valid Unicode:
    a dotted path (``messages.0.content``, ``""`` for the value itself), or None.

    Iterative: a body may nest as deep as the JSON parser allowed.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and not is_utf8(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not key.isascii() and not is_utf8(key):
                    return path or "(a field name)"
                stack.append((child, where))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}.{i}" if path else str(i)) for i, child in enumerate(item))
    return None


# Set while a body's outermost model validates, so nested models do not walk it again.
_checked_body: ContextVar[bool] = ContextVar("vega_checked_body", default=False)

# Paging: SQL's OFFSET takes a 64-bit integer, so an unbounded one turns a huge number
# into a database error (a 500) instead of a 422.
MAX_OFFSET = 1_000_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
# A row's integer id (users, keys): a 32-bit column on Postgres, so a larger number in a
# path or query is a 422, not a database error.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
RowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]


def _integral(value: Any) -> Any:
    # JSON has one kind of number: 3.0 is the integer 3 (JSON Schema agrees), true is not.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer in a request body (see RequestBody).
Integer = Annotated[int, BeforeValidator(_integral)]
# A sampling seed: what the backends take (a 64-bit integer; torch raises beyond it).
Seed = Annotated[Integer, Field(ge=-(2**63), le=2**63 - 1)]


class RequestBody(BaseModel):
    """A JSON request body. Strict: values must have the JSON type the OpenAPI document
    declares (no ``false``, ``"1"`` or ``1.5`` for an integer, no ``"1"`` for a number,
    no ``1`` for a boolean), where lax coercion accepted what the schema says is invalid.
    Integer fields are ``Integer``, which takes ``3.0`` as ``3``."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="wrap")
    @classmethod
    def _unicode_text(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Refuse text that is not valid Unicode anywhere in the body, once, at the top."""
        if _checked_body.get():
            return handler(data)
        where = invalid_text_at(data)
        if where is not None:
            # The path goes in the message: an error here has no location of its own.
            raise PydanticCustomError(
                "invalid_unicode",
                "{where}: not valid Unicode text (unpaired surrogates)",
                {"where": where or "body"},
            )
        token = _checked_body.set(True)
        try:
            return handler(data)
        finally:
            _checked_body.reset(token)


T = TypeVar("T")


def _unknown(value: Any) -> bool:
    return value is None


# A fact a response part may not carry (what a backend does not report, what a caller
# without a key is not told): left out of the JSON when None, rather than sent as null.
Fact = Annotated[T | None, Field(exclude_if=_unknown)]
