"""What model names mean, in one place: the tag clients add, and the collections' names.

Ollama clients add the default tag ``:latest`` to any name they send, so a name with
and without it is the same model. Each collection appears to OpenAI and Ollama clients
as a model named ``vega-rag/<collection>``: no registered model may take such a name.
"""

from __future__ import annotations

from vega.errors import BadInput

LATEST = ":latest"
RAG_PREFIX = "vega-rag/"


def same_model(a: str, b: str) -> bool:
    return a.removesuffix(LATEST) == b.removesuffix(LATEST)


def collection_of(model: str) -> str | None:
    """The collection a ``vega-rag/<collection>`` model asks for; None for a backend model."""
    if not model.startswith(RAG_PREFIX):
        return None
    name = model[len(RAG_PREFIX) :].removesuffix(LATEST)
    if not name:
        raise BadInput(f"Name a collection after '{RAG_PREFIX}', e.g. '{RAG_PREFIX}default'.")
    return name


def rag_model(collection: str) -> str:
    return RAG_PREFIX + collection
