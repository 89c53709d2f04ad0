"""OpenAI's published response schemas as validators (``tests/fixtures/openai``).

``errors(kind, body)`` lists what is wrong with a response body, by the schema of that
kind of response (``"CreateChatCompletionResponse"``, ...): an empty list when it
conforms. Schemas allow extra properties where OpenAI's do (Vega's ``sources``).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "openai" / "openapi-schemas.json"
# A /v1/completions stream chunk: the text completion's schema, with finish_reason null
# allowed (see the fixture's README).
TEXT_COMPLETION_CHUNK = "CreateCompletionResponse.chunk"


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema: the same schema, or null."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable(v) for k, v in node.items()}
    if node.pop("nullable", False) is True:
        return {"anyOf": [node, {"type": "null"}]}
    return node


@cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = _nullable(json.loads(FIXTURE.read_text(encoding="utf-8")))
    schemas = document["components"]["schemas"]
    chunk = copy.deepcopy(schemas["CreateCompletionResponse"])
    finish = chunk["properties"]["choices"]["items"]["properties"]["finish_reason"]
    chunk["properties"]["choices"]["items"]["properties"]["finish_reason"] = {
        "anyOf": [finish, {"type": "null"}]
    }
    schemas[TEXT_COMPLETION_CHUNK] = chunk
    return document


@cache
def _validator(kind: str) -> Any:
    document = _document()
    if kind not in document["components"]["schemas"]:
        raise KeyError(f"no schema {kind!r} in {FIXTURE.name}")
    root = {**document, "$ref": f"#/components/schemas/{kind}"}
    return jsonschema_rs.Draft202012Validator(root)


def errors(kind: str, body: Any) -> list[str]:
    """What does not conform in ``body``, one line per problem (empty: it conforms)."""
    return [f"{e.instance_path}: {e.message}" for e in _validator(kind).iter_errors(body)]
