"""Pytest fixtures for the fake LLM server and the tiny model (loaded from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.llm_server import FakeLLM, run_fake_llm
from tests.fakes.tiny_model import build_tiny_model, write_capitals_dataset


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLM]:
    """One fake server for the whole session; prefer ``fake_llm`` in tests."""
    with run_fake_llm() as server:
        yield server


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLM) -> Iterator[FakeLLM]:
    """The session's fake server, reset to its defaults for this test, and after it (so a
    module-scoped fixture that uses ``fake_llm_server`` next never meets this test's script)."""
    fake_llm_server.reset()
    yield fake_llm_server
    fake_llm_server.reset()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama and its tokenizer, in Hugging Face format, built once per
    session with no download (see ``tests/fakes/tiny_model.py``)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """48 ``{"prompt", "response"}`` lines ("Capital of Arden?" → "Arden-city")."""
    return write_capitals_dataset(tmp_path_factory.mktemp("tiny-dataset") / "capitals.jsonl")
