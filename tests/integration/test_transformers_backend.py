"""The ``transformers`` backend on the tiny model built by the tests, with a LoRA adapter.

In-process first (streaming, parameters, adapter, merge, cancellation, errors), then
the real thing: `vega models add` + `vega serve` with VEGA_LLM_BACKEND=transformers,
answering through /chat and /v1/chat/completions over HTTP.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.fakes.backends import build_context
from tests.fakes.engines import Recording
from tests.fakes.tiny_adapter import make_adapter
from tests.fakes.tiny_model import TINY_CHAT_TEMPLATE, with_chat_template
from tests.support.s3_server import S3Server
from tests.support.server import free_port, run_cli, start_vega, vega_env
from vega.errors import BackendError, BackendRejected, BackendUnavailable
from vega.llm.auto import AutoBackend
from vega.llm.base import Delta, GenerationParams, Message
from vega.llm.builtin import auto
from vega.llm.local import Engine, LocalBackend, StopScanner
from vega.llm.local_models import LocalModel, RegisteredModels, library_missing
from vega.settings import load_settings
from vega.store.db import Database
from vega.training.export import merge

pytestmark = pytest.mark.skipif(
    library_missing("transformers") is not None,
    reason=f"{library_missing('transformers')}",
)

PROMPT = [Message("user", "hello there")]


def greedy(model: str, max_tokens: int = 12, **extra: Any) -> GenerationParams:
    return GenerationParams(model=model, temperature=0, max_tokens=max_tokens, **extra)


async def collect(backend: LocalBackend, params: GenerationParams) -> list[Delta]:
    return [d async for d in backend.stream(PROMPT, params)]


def text_of(deltas: Sequence[Delta]) -> str:
    return "".join(d.text for d in deltas)


@pytest.fixture(scope="module")
def adapter(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_adapter(tiny_model, tmp_path_factory.mktemp("adapter"))


@pytest.fixture(scope="module")
def trained_adapter(
    tiny_model: Path, tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """An adapter `vega train` made (a short run): what people actually serve."""
    from vega.training.config import load_config
    from vega.training.service import train

    tmp = tmp_path_factory.mktemp("trained")
    config = tmp / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "base_model": str(tiny_model),
                "dataset": str(tiny_dataset),
                "output_dir": str(tmp / "out"),
                "lora": {"r": 8, "alpha": 16, "target_modules": ["q_proj", "v_proj"]},
                "max_steps": 30,
                "learning_rate": 1.0e-2,
                "batch_size": 8,
                "max_seq_len": 64,
                "val_split": 0.2,
                "seed": 0,
            }
        )
    )
    outcome = train(load_config(config))
    return Path(outcome.output_dir)


@pytest.fixture
def registry(tmp_path: Path) -> RegisteredModels:
    db = Database.from_url(f"sqlite:///{tmp_path / 'models.db'}")
    db.migrate()
    return RegisteredModels(db, owns_db=True)


@pytest.fixture
async def backend(
    registry: RegisteredModels, tiny_model: Path, adapter: Path
) -> AsyncIterator[LocalBackend]:
    from vega.llm.transformers import load

    await registry.add("base", tiny_model)
    await registry.add("tuned", tiny_model, adapter=adapter)
    engines: list[Recording] = []

    def recording_load(model: LocalModel) -> Engine:
        engines.append(Recording(load(model)))
        return engines[-1]

    backend = LocalBackend(
        kind="transformers",
        registry=registry,
        default_model="base",
        timeout_s=60,
        loaders={"transformers": recording_load},
    )
    backend.engines = engines  # type: ignore[attr-defined]
    yield backend
    await backend.aclose()


# --- in-process -------------------------------------------------------------------------


async def test_streams_a_reply_token_by_token_with_usage(backend: LocalBackend) -> None:
    deltas = await collect(backend, greedy("tuned", max_tokens=12))
    pieces = [d for d in deltas if d.text]
    assert len(pieces) > 1  # streamed, not one block at the end
    final = deltas[-1]
    assert final.done and final.usage is not None
    assert final.usage.completion_tokens == 12 and final.usage.prompt_tokens > 3
    assert final.finish_reason == "length"
    assert all(not d.done for d in deltas[:-1])


async def test_greedy_is_repeatable_and_a_seed_repeats_sampling(backend: LocalBackend) -> None:
    assert text_of(await collect(backend, greedy("tuned"))) == text_of(
        await collect(backend, greedy("tuned"))
    )
    sampled = GenerationParams(model="tuned", temperature=1.5, top_p=0.95, max_tokens=12, seed=7)
    assert text_of(await collect(backend, sampled)) == text_of(await collect(backend, sampled))


async def test_the_adapter_is_applied(backend: LocalBackend) -> None:
    base = text_of(await collect(backend, greedy("base")))
    tuned = text_of(await collect(backend, greedy("tuned")))
    assert base and tuned
    assert base != tuned


async def test_the_merged_folder_answers_like_base_plus_adapter(
    backend: LocalBackend,
    registry: RegisteredModels,
    tiny_model: Path,
    adapter: Path,
    tmp_path: Path,
) -> None:
    folder = merge(tiny_model, adapter, tmp_path / "merged")
    assert list(folder.glob("*.safetensors")) and not list(folder.glob("*.bin"))
    assert not (folder / "adapter_config.json").exists()
    await registry.add("merged", folder)
    merged = text_of(await collect(backend, greedy("merged", max_tokens=16)))
    assert merged == text_of(await collect(backend, greedy("tuned", max_tokens=16)))
    # Served as a plain path too (VEGA_MODEL=<folder>), with no registration.
    by_path = LocalBackend(
        kind="transformers", registry=registry, default_model=str(folder), timeout_s=60
    )
    try:
        assert text_of(await collect(by_path, greedy(str(folder), max_tokens=16))) == merged
    finally:
        await by_path.aclose()


async def test_a_stop_string_ends_the_reply_before_it(backend: LocalBackend) -> None:
    full = text_of(await collect(backend, greedy("tuned", max_tokens=16)))
    stop = full[len(full) // 2 : len(full) // 2 + 2]
    assert stop
    deltas = await collect(backend, greedy("tuned", max_tokens=16, stop=("zzz-never", stop)))
    assert text_of(deltas) == full[: full.find(stop)]
    assert deltas[-1].finish_reason == "stop"


async def test_a_closed_stream_stops_generating(backend: LocalBackend) -> None:
    stream = backend.stream(PROMPT, greedy("tuned", max_tokens=200))
    async with aclosing(stream):
        seen = 0
        async for delta in stream:
            seen += bool(delta.text)
            if seen == 2:
                break  # the client hung up
    # The worker runs one generation at a time: this one waits until the first stopped.
    await collect(backend, greedy("tuned", max_tokens=1))
    engine = backend.engines[0]  # type: ignore[attr-defined]
    assert engine.outcomes[0].completion_tokens < 200
    assert engine.after_stop[0] <= 1  # at most the token in flight when the caller left


async def test_unknown_models_and_paths_from_requests_are_rejected(
    backend: LocalBackend, tiny_model: Path
) -> None:
    with pytest.raises(BackendRejected, match="not registered"):
        await collect(backend, greedy("nope"))
    # Only VEGA_MODEL may be a path: a client must not choose files on the server's disk.
    with pytest.raises(BackendRejected):
        await collect(backend, greedy(str(tiny_model)))


async def test_a_prompt_longer_than_the_context_is_rejected(backend: LocalBackend) -> None:
    long = [Message("user", "word " * 400)]
    with pytest.raises(BackendRejected, match="reads at most"):
        [d async for d in backend.stream(long, greedy("base"))]


async def test_broken_model_files_are_a_503_that_keeps_paths_and_library_text_in_the_log(
    registry: RegisteredModels, tiny_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    folder = with_chat_template(tiny_model, tmp_path / "broken", TINY_CHAT_TEMPLATE)
    await registry.add("broken", folder)
    backend = LocalBackend(
        kind="transformers", registry=registry, default_model="broken", timeout_s=60
    )
    try:
        # Weights that are not safetensors: the library's own words about them...
        (folder / "model.safetensors").write_bytes(b"\x00" * 64)
        with pytest.raises(BackendUnavailable) as weights:
            await collect(backend, greedy("broken"))
        # ...and a config.json that changed since it was registered: the parser's.
        (folder / "config.json").write_text("{not json")
        with pytest.raises(BackendUnavailable) as config:
            await collect(backend, greedy("broken"))
    finally:
        await backend.aclose()
    for error in (weights.value, config.value):
        assert "Cannot load 'broken'" in error.message and "server log" in error.message
        assert str(folder) not in error.message and str(tmp_path) not in error.message
    assert "Expecting property name" not in config.value.message
    assert str(folder) in caplog.text and "Expecting property name" in caplog.text


async def test_a_library_error_while_generating_is_a_502_with_its_text_in_the_log(
    backend: LocalBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    # The API refuses such a temperature; here it reaches transformers, which objects.
    with pytest.raises(BackendError) as caught:
        await collect(backend, GenerationParams(model="base", temperature=-1.0, max_tokens=2))
    assert caught.value.message == (
        "The transformers model failed while generating; the server log has the details."
    )
    assert "temperature" in caplog.text  # what transformers said


async def test_health_and_models(backend: LocalBackend, registry: RegisteredModels) -> None:
    health = await backend.health()
    assert health.ok and "loads on first use" in health.detail
    listed = {m.name: m for m in await backend.models()}
    assert set(listed) == {"base", "tuned"}
    assert listed["tuned"].details["adapter"] is True
    assert listed["base"].details["format"] == "safetensors"
    assert "path" not in json.dumps(listed["tuned"].details, default=str)
    await collect(backend, greedy("base", max_tokens=1))
    assert "(loaded)" in (await backend.health()).detail

    missing = LocalBackend(
        kind="transformers", registry=registry, default_model="/no/such/model", timeout_s=5
    )
    assert not (await missing.health()).ok
    with pytest.raises(BackendUnavailable, match="VEGA_MODEL"):
        await collect(missing, greedy("/no/such/model"))
    await missing.aclose()


async def test_auto_uses_a_registered_model_when_no_server_answers(
    tmp_path: Path, tiny_model: Path, fake_llm: Any
) -> None:
    data = tmp_path / "auto"
    closed = f"http://127.0.0.1:{free_port()}"
    settings = load_settings(
        data_dir=data, ollama_url=closed, model="llama3.2", llm_connect_timeout_s=1, _env_file=None
    )
    db = Database.from_url(settings.database_url)
    db.migrate()
    await RegisteredModels(db, owns_db=True).add("mine", tiny_model)

    chosen = auto(build_context(settings, db))
    assert isinstance(chosen, AutoBackend)
    await chosen.refresh()
    assert chosen.name == "transformers"
    assert [m.name for m in await chosen.models()] == ["mine"]
    await chosen.aclose()

    # Ollama answers, so it wins: unless VEGA_MODEL names the registered model.
    for model, expected in (("llama3.2", "ollama"), ("mine", "transformers")):
        moved = settings.model_copy(update={"ollama_url": fake_llm.url, "model": model})
        chosen = auto(build_context(moved, db))
        await chosen.refresh()
        assert chosen.name == expected, model
        await chosen.aclose()
    db.dispose()


def test_stop_scanner_holds_back_a_possible_stop_until_it_knows() -> None:
    scanner = StopScanner(["</end>"])
    assert scanner.feed("Hello </") == ("Hello ", False)
    assert scanner.feed("en") == ("", False)
    assert scanner.feed("d> more") == ("", True)
    scanner = StopScanner(["</end>"])
    assert scanner.feed("a </e") == ("a ", False)
    assert scanner.feed("x") == ("</ex", False)
    assert scanner.feed("<") == ("", False)
    assert scanner.flush() == "<"
    assert StopScanner([]).feed("as is") == ("as is", False)


# --- `vega models add` + `vega serve` ------------------------------------------------------


async def test_vega_serve_answers_with_the_registered_adapter(
    tmp_path: Path, tiny_model: Path, trained_adapter: Path, registry: RegisteredModels
) -> None:
    adapter = trained_adapter
    QUESTION = "Capital of Arden?"
    data_dir = tmp_path / "vega"
    data_dir.mkdir()
    env = vega_env(data_dir)
    added = run_cli(
        ["models", "add", "tuned", str(tiny_model), "--adapter", str(adapter)], env, timeout=60
    )
    assert added.returncode == 0, added.stderr

    # What the model says to this exact conversation, computed here in-process.
    await registry.add("tuned", tiny_model, adapter=adapter)
    here = LocalBackend(kind="transformers", registry=registry, default_model="tuned", timeout_s=60)
    expected = text_of(
        [d async for d in here.stream([Message("user", QUESTION)], greedy("tuned", max_tokens=8))]
    )
    await here.aclose()
    assert expected

    server = start_vega(
        data_dir, llm_backend="transformers", model="tuned", system_prompt="", cache_ttl_s=0
    )
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=60) as c:
            chat = await c.post(
                "/chat", json={"prompt": QUESTION, "temperature": 0, "max_tokens": 8}
            )
            assert chat.status_code == 200, chat.text
            assert chat.json()["response"] == expected
            assert chat.json()["model"] == "tuned"

            body = {
                "model": "tuned",
                "messages": [{"role": "user", "content": QUESTION}],
                "temperature": 0,
                "max_tokens": 8,
            }
            completion = await c.post("/v1/chat/completions", json=body)
            assert completion.status_code == 200, completion.text
            assert completion.json()["choices"][0]["message"]["content"] == expected

            streamed = ""
            async with c.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
                assert r.status_code == 200
                async for line in r.aiter_lines():
                    if line.startswith("data: {"):
                        for choice in json.loads(line[6:]).get("choices") or []:
                            streamed += choice.get("delta", {}).get("content") or ""
            assert streamed == expected

            v1 = (await c.get("/v1/models")).json()
            assert "tuned" in [m["id"] for m in v1["data"]]
            tags = (await c.get("/api/tags")).json()
            assert "tuned" in [m["name"] for m in tags["models"]]
            listed = (await c.get("/models")).json()
            assert "tuned" in [m["name"] for m in listed["models"]]
            ready = (await c.get("/readyz")).json()
            assert "transformers" in json.dumps(ready)
    finally:
        server.stop()
    assert "Traceback" not in server.log()


@pytest.mark.postgres
async def test_an_adapter_registered_on_one_host_is_served_by_another_through_the_bucket(
    tmp_path: Path,
    tiny_model: Path,
    trained_adapter: Path,
    registry: RegisteredModels,
    migrated_postgres_url: str,
    s3_server: S3Server,
) -> None:
    """Training's output travels through object storage: host A registers the adapter
    (its files go into the bucket), host B, with its own data dir and no copy of the
    adapter folder, serves the model, fetching the adapter once into its cache."""
    question = "Capital of Arden?"
    bucket = s3_server.new_bucket()
    shared = {"database_url": migrated_postgres_url, **s3_server.settings(bucket)}
    carried = tmp_path / "usb-stick"
    shutil.copytree(trained_adapter, carried)
    host_a = tmp_path / "host-a"
    host_a.mkdir()
    added = run_cli(
        ["models", "add", "tuned", str(tiny_model), "--adapter", str(carried)],
        vega_env(host_a, **shared),
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    shutil.rmtree(carried)  # gone from host A: only the bucket has it now
    objects = sorted(
        o["Key"] for o in s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]
    )
    prefix = objects[0].rsplit("/", 1)[0] + "/"
    assert objects == [prefix + "adapter_config.json", prefix + "adapter_model.safetensors"]
    listed = run_cli(["models", "list", "--json"], vega_env(host_a, **shared))
    (row,) = [m for m in json.loads(listed.stdout) if m["name"] == "tuned"]
    assert row["adapter"] == prefix

    await registry.add("tuned", tiny_model, adapter=trained_adapter)
    here = LocalBackend(kind="transformers", registry=registry, default_model="tuned", timeout_s=60)
    expected = text_of(
        [d async for d in here.stream([Message("user", question)], greedy("tuned", max_tokens=8))]
    )
    await here.aclose()

    host_b = tmp_path / "host-b"
    server = start_vega(
        host_b,
        llm_backend="transformers",
        model="tuned",
        system_prompt="",
        cache_ttl_s=0,
        **shared,
    )
    try:
        chat = httpx.post(
            f"{server.url}/chat",
            json={"prompt": question, "temperature": 0, "max_tokens": 8},
            headers=server.headers,
            timeout=120,
        )
        assert chat.status_code == 200, chat.text
        assert chat.json()["response"] == expected
    finally:
        server.stop()
    cached = host_b / "cache" / "adapters" / prefix.split("/")[1]
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        assert (cached / name).read_bytes() == (trained_adapter / name).read_bytes()

    removed = run_cli(["models", "rm", "tuned"], vega_env(host_a, **shared))
    assert removed.returncode == 0, removed.stderr
    assert "Contents" not in s3_server.client().list_objects_v2(Bucket=bucket)
