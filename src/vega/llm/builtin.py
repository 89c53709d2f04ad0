"""Vega's own backends, registered through the same door as third-party plugins."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vega.errors import ConfigError
from vega.llm.base import Backend

if TYPE_CHECKING:
    from vega.llm.local import LocalBackend
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


def _local(settings: Settings, kind: str | None) -> LocalBackend:
    from vega.llm.local import LocalBackend
    from vega.llm.local_models import RegisteredModels

    return LocalBackend(
        kind=kind,
        registry=RegisteredModels.connect(
            settings.database_url, sqlite_synchronous=settings.sqlite_synchronous
        ),
        default_model=settings.model,
        timeout_s=settings.llm_timeout_s,
        template_timeout_s=settings.template_timeout_s,
        engine_wait_s=settings.engine_wait_s,
    )


def _in_process(kind: str) -> Callable[[Settings], Backend]:
    def factory(settings: Settings) -> Backend:
        from vega.llm.local_models import library_missing

        # Checked by name only (no import): starting stays fast, and a missing
        # library is a clear error at start instead of a 503 on the first chat.
        if (missing := library_missing(kind)) is not None:
            raise ConfigError(f"VEGA_LLM_BACKEND={kind}: {missing}.")
        return _local(settings, kind)

    return factory


def auto(settings: Settings) -> Backend:
    from vega.llm.auto import AutoBackend, Candidate

    local = _local(settings, None)
    candidates = [Candidate(ollama(settings), probe=True)]
    if settings.openai_base_url:
        candidates.append(Candidate(openai(settings), probe=False))
    candidates.append(Candidate(local, check=local.has_models))
    # VEGA_MODEL naming a registered model is an explicit choice: no server's model
    # has that name, so asking Ollama for it would only fail.
    candidates.insert(0, Candidate(local, check=local.default_is_registered))
    return AutoBackend(candidates, recheck_s=settings.breaker_reset_s)


def register(plugins: Plugins) -> None:
    for name, factory in (
        ("auto", auto),
        ("ollama", ollama),
        ("openai", openai),
        ("transformers", _in_process("transformers")),
        ("llamacpp", _in_process("llamacpp")),
        ("none", none),
    ):
        plugins.backends.register(name, factory)
