"""Vega's own backends, registered through the same door as third-party plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vega.errors import ConfigError
from vega.llm.base import Backend

if TYPE_CHECKING:
    from vega.plugins import Plugins
    from vega.settings import Settings


def ollama(settings: Settings) -> Backend:
    from vega.llm.ollama import OllamaBackend

    return OllamaBackend(
        settings.ollama_url,
        timeout_s=settings.llm_timeout_s,
        connect_timeout_s=settings.llm_connect_timeout_s,
    )


def openai(settings: Settings) -> Backend:
    from vega.llm.openai import OpenAIBackend

    if not settings.openai_base_url:
        raise ConfigError(
            "VEGA_LLM_BACKEND=openai needs VEGA_OPENAI_BASE_URL (e.g. http://127.0.0.1:8080/v1)."
        )
    return OpenAIBackend(
        settings.openai_base_url,
        api_key=settings.openai_api_key,
        timeout_s=settings.llm_timeout_s,
        connect_timeout_s=settings.llm_connect_timeout_s,
    )


def none(settings: Settings) -> Backend:
    from vega.llm.none import NoneBackend

    return NoneBackend()


def auto(settings: Settings) -> Backend:
    from vega.llm.auto import AutoBackend, Candidate

    candidates = [Candidate(ollama(settings), probe=True)]
    if settings.openai_base_url:
        candidates.append(Candidate(openai(settings), probe=False))
    return AutoBackend(candidates, recheck_s=settings.breaker_reset_s)


def register(plugins: Plugins) -> None:
    for name, factory in (("auto", auto), ("ollama", ollama), ("openai", openai), ("none", none)):
        plugins.backends.register(name, factory)
