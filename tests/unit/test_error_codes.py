"""``ErrorCode`` (the OpenAPI document's list of error codes, which clients take) holds
every code the server can send."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import vega
from vega.api.schemas.errors import ErrorCode
from vega.errors import VegaError

SOURCES = Path(vega.__file__).parent
# An error class's code: `    code = "embedding_mismatch"` (a class attribute).
CLASS_CODE = re.compile(r"^\s+code(?:: ClassVar\[str\])? = \"([a-z]+(?:_[a-z]+)*)\"", re.MULTILINE)
# A refusal written as (status, code): `Refusal(421, "misdirected_request", ...)`,
# `send_refusal(send, path, 413, "payload_too_large", ...)`.
STATUS_AND_CODE = re.compile(r"\b[45]\d\d,\s*\"([a-z]+(?:_[a-z]+)*)\"")


def _found(pattern: re.Pattern[str], root: Path) -> set[str]:
    # Read from the sources, not from imported classes: an error class may live in a
    # module that nothing imported yet (or that needs an extra), and importing all of
    # them takes seconds.
    found: set[str] = set()
    for path in root.rglob("*.py"):
        found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_error_class_code_is_listed() -> None:
    codes = _found(CLASS_CODE, SOURCES)
    assert {"internal_error", "bad_input", "embedding_mismatch"} <= codes
    # The reading above misses nothing the loaded classes know.
    stack: list[type[VegaError]] = [VegaError]
    while stack:
        cls = stack.pop()
        assert cls.code in codes, cls
        stack.extend(cls.__subclasses__())
    assert codes - set(ErrorCode) == set()


def test_every_http_refusal_code_is_listed() -> None:
    sent = _found(STATUS_AND_CODE, SOURCES / "api")
    # HTTP errors that are not a VegaError get their code from a table by status.
    for name in ("vega.api.error_shapes", "vega.api.errors"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        sent.update(getattr(module, "HTTP_CODES", {}).values())
    assert {"bad_request", "misdirected_request", "method_not_allowed"} <= sent
    assert sent - set(ErrorCode) == set()


def test_error_bodies_declare_the_codes() -> None:
    from vega.api.errors import ErrorDetail

    schema = ErrorDetail.model_json_schema()
    code = schema["properties"]["code"]
    assert code["$ref"].endswith("/ErrorCode")
    assert set(schema["$defs"]["ErrorCode"]["enum"]) == set(ErrorCode)
