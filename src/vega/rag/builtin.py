"""Vega's own embedders and extractors, registered through the same door as third-party plugins.

Each factory gets the runtime's ``BuildContext`` (the embedders read only its
settings) and imports its embedder when called, so loading the plugins never
imports numpy, torch or sentence-transformers. Extractors are registered once per
kind they read; their parsing libraries (pypdf, python-docx) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vega.errors import ConfigError

if TYPE_CHECKING:
    from vega.plugins import BuildContext, Plugins
    from vega.rag.embed import Embedder


def local(context: BuildContext) -> Embedder:
    from vega.rag.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(context.settings.embedding_model)


def ollama(context: BuildContext) -> Embedder:
    from vega.rag.embed_http import OllamaEmbedder

    settings = context.settings
    return OllamaEmbedder(
        settings.ollama_url,
        settings.embedding_model,
        timeout_s=settings.llm_timeout_s,
        connect_timeout_s=settings.llm_connect_timeout_s,
    )


def openai(context: BuildContext) -> Embedder:
    from vega.rag.embed_http import OpenAIEmbedder

    settings = context.settings
    if not settings.openai_base_url:
        raise ConfigError(
            "VEGA_EMBEDDING_BACKEND=openai needs VEGA_OPENAI_BASE_URL (e.g. http://127.0.0.1:8080/v1)."
        )
    return OpenAIEmbedder(
        settings.openai_base_url,
        settings.embedding_model,
        api_key=settings.openai_api_key,
        timeout_s=settings.llm_timeout_s,
        connect_timeout_s=settings.llm_connect_timeout_s,
    )


def register(plugins: Plugins) -> None:
    from vega.rag.readers import BUILTIN

    for name, factory in (("local", local), ("ollama", ollama), ("openai", openai)):
        plugins.embedders.register(name, factory)
    for extractor in BUILTIN:
        for kind in extractor.kinds:
            plugins.extractors.register(kind, extractor)
