"""The name of a collection, as every request that names one spells it.

``CollectionName`` is a named component of the OpenAPI document, with the rule as its
``pattern``: clients take the rule from there (the browser UI checks a name before
uploading) instead of copying it. The server checks names in the services
(``vega.rag.retrieve.check_collection_name``, which gives the clearer message), for the
CLI as for the API, so the pattern here documents the check rather than adding one.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from vega.rag.retrieve import COLLECTION_NAME_PATTERN, COLLECTION_REF_PATTERN


class NamedSchema:
    """Annotation that makes a plain type a named schema component (``$ref``), with
    ``keywords`` added to its JSON Schema (pydantic names only models and enums)."""

    def __init__(self, name: str, **keywords: Any) -> None:
        self.name = name
        self.keywords = keywords

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        # A core schema with a `ref` becomes a definition of the JSON Schema, by that name.
        return {**handler(source), "ref": self.name}

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        value = handler(schema)
        handler.resolve_ref_schema(value).update(self.keywords)
        return value


CollectionName = Annotated[
    str,
    Field(max_length=100),
    NamedSchema(
        "CollectionName",
        pattern=COLLECTION_NAME_PATTERN,
        description="1-100 letters (of any script), digits, spaces, `_`, `.`, `:` or `-`, "
        "starting with a letter, digit or `_`.",
    ),
]

# Where a collection is read (search, chat): yours, or `OWNER/NAME` shared with you.
CollectionRef = Annotated[
    str,
    Field(max_length=165),
    NamedSchema(
        "CollectionRef",
        pattern=COLLECTION_REF_PATTERN,
        description="A collection of yours (`CollectionName`), or `OWNER/NAME`: one another "
        "user shared with you (accounts mode; read-only).",
    ),
]
