"""Vega's own backends, registered through the same door as third-party plugins.

Each factory gets the runtime's ``BuildContext``: the in-process backends serve the
models of the runtime's one ``RegisteredModels``, on the runtime's database engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vega.errors import ConfigError
from vega.llm.base import Backend

if TYPE_CHECKING:
    from vega.llm.local import LocalBackend
    from vega.plugins import BuildContext, Plugins
    from vega.settings import Settings


def ollama(context: BuildContext) -> Backend:
    return _ollama(context.settings)


def _ollama(settings: Settings) -> Backend:
    from vega.llm.ollama import OllamaBackend

    return OllamaBackend(
        settings.ollama_url,
        timeout_s=settings.llm_timeout_s,
        connect_timeout_s=settings.llm_connect_timeout_s,
    )


def openai(context: BuildContext) -> Backend:
    return _openai(context.settings)


def _openai(settings: Settings) -> Backend:
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


def none(context: BuildContext) -> Backend:
    from vega.llm.none import NoneBackend

    return NoneBackend()


def _local(context: BuildContext, kind: str | None) -> LocalBackend:
    from vega.llm.local import LocalBackend

    settings = context.settings
    return LocalBackend(
        kind=kind,
        registry=context.models,
        default_model=settings.model,
        timeout_s=settings.llm_timeout_s,
        template_timeout_s=settings.template_timeout_s,
        engine_wait_s=settings.engine_wait_s,
    )


def _in_process(kind: str) -> Callable[[BuildContext], Backend]:
    def factory(context: BuildContext) -> Backend:
        from vega.llm.local_models import library_missing

        # Checked by name only (no import): starting stays fast, and a missing
        # library is a clear error at start instead of a 503 on the first chat.
        if (missing := library_missing(kind)) is not None:
            raise ConfigError(f"VEGA_LLM_BACKEND={kind}: {missing}.")
        return _local(context, kind)

    return factory


def auto(context: BuildContext) -> Backend:
    from vega.llm.auto import AutoBackend, Candidate

    settings = context.settings
    local = _local(context, None)
    candidates = [Candidate(_ollama(settings), probe=True)]
    if settings.openai_base_url:
        candidates.append(Candidate(_openai(settings), probe=False))
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
