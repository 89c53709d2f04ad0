from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from vega.errors import ConfigError
from vega.settings import BackendName, Settings, load_settings


def test_defaults_match_the_design(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    s = load_settings()
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.llm_backend == BackendName.AUTO
    assert s.model == "llama3.2"
    assert s.ollama_url == "http://127.0.0.1:11434"
    assert (s.llm_timeout_s, s.breaker_failures, s.breaker_reset_s, s.cache_ttl_s) == (
        120,
        5,
        30,
        300,
    )
    assert (s.history_turns, s.max_prompt_chars, s.max_response_chars, s.max_upload_mb) == (
        6,
        32000,
        64000,
        50,
    )
    assert s.rate_limit == "120/minute"
    assert s.pii_masking is False
    assert s.database_url == f"sqlite:///{Path('data') / 'vega.db'}"
    assert (s.log_format, s.log_level, s.mode.value) == ("text", "INFO", "local")


def test_environment_and_dotenv_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("VEGA_MODEL=from-dotenv\nVEGA_PORT=9000\n")
    monkeypatch.setenv("VEGA_PORT", "9100")  # the environment beats .env
    monkeypatch.setenv("VEGA_API_KEYS_EXTRA", "k1-aaaaaaaaaaaa, k2-bbbbbbbbbbbb ,")
    s = load_settings()
    assert s.model == "from-dotenv"
    assert s.port == 9100
    assert s.api_keys_extra == ["k1-aaaaaaaaaaaa", "k2-bbbbbbbbbbbb"]


def test_settings_are_not_read_at_import_time() -> None:
    import importlib

    import vega.settings

    module = importlib.reload(vega.settings)
    assert not any(isinstance(v, Settings) for v in vars(module).values())


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"VEGA_PORT": "abc"}, "VEGA_PORT"),
        ({"VEGA_RATE_LIMIT": "lots"}, "VEGA_RATE_LIMIT"),
        ({"VEGA_DATABASE_URL": "mysql://x"}, "sqlite"),
        ({"VEGA_LOG_FORMAT": "xml"}, "VEGA_LOG_FORMAT"),
        ({"VEGA_HNSW_M": "24", "VEGA_HNSW_EF_CONSTRUCTION": "32"}, "at least twice VEGA_HNSW_M"),
    ],
)
def test_invalid_settings_fail_with_one_clear_message(
    env: dict[str, str], needle: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert needle in info.value.message
    assert info.value.message.startswith("Invalid settings")


def test_prod_mode_refuses_unsafe_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="VEGA_API_KEY is not set"):
        load_settings(mode="prod", data_dir=tmp_path, _env_file=None)
    with pytest.raises(ConfigError, match="several workers"):
        load_settings(mode="prod", api_key="x" * 32, workers=4, data_dir=tmp_path, _env_file=None)
    public = "0.0.0.0"  # noqa: S104 - binding to every interface is the point of the test
    ok = load_settings(
        mode="prod", api_key="x" * 32, host=public, data_dir=tmp_path, _env_file=None
    )
    assert ok.unsafe_reasons() == []


def test_rate_limit_zero_disables(tmp_path: Path) -> None:
    from vega.security.ratelimit import RateLimiter

    s = load_settings(rate_limit="0", data_dir=tmp_path, _env_file=None)
    assert s.rate_limit == "0"
    limiter = RateLimiter(s.rate_limit)
    assert not limiter.enabled

    async def many() -> None:
        for _ in range(1000):
            await limiter.hit("k")  # never raises

    asyncio.run(many())


def test_unknown_backend_is_refused_at_start_with_the_choices(tmp_path: Path) -> None:
    from vega.runtime import build

    settings = load_settings(
        llm_backend="GPT5", data_dir=tmp_path, api_key="k" * 20, _env_file=None
    )
    with pytest.raises(
        ConfigError,
        match=r"Unknown backend 'gpt5'\. Available: auto, llamacpp, none, ollama, openai, transformers\.",
    ):
        build(settings)


def test_the_data_dir_is_created_private(tmp_path: Path) -> None:
    import stat

    from vega.runtime import build

    data = tmp_path / "fresh" / "data"
    runtime = build(
        load_settings(data_dir=data, api_key="k" * 20, llm_backend="none", _env_file=None)
    )
    runtime.db.dispose()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
