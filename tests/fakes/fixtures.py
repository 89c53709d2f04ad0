"""Pytest fixtures for the fake LLM server (loaded from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.llm_server import FakeLLM, run_fake_llm


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLM]:
    """One fake server for the whole session; prefer ``fake_llm`` in tests."""
    with run_fake_llm() as server:
        yield server


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLM) -> FakeLLM:
    """The session's fake server, reset to its defaults for this test."""
    fake_llm_server.reset()
    return fake_llm_server
