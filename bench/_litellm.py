"""LiteLLM's proxy as a peer in the gateway benchmark, in an environment of its own.

LiteLLM pins versions of FastAPI, pydantic and friends that conflict with Vega's, so
it never goes into Vega's venv: it is installed with pip into
``<system temp dir>/vega-bench-litellm`` (kept between runs, so only the first run
pays for the install) and runs as its own process in front of the fake LLM server's
OpenAI endpoint, with a master key (Vega checks a key on every request too) and no
database (so, unlike Vega, it logs nothing per request).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._common import log
from tests.support.server import free_port

VENV = Path(tempfile.gettempdir()) / "vega-bench-litellm"
REQUIREMENT = "litellm[proxy]"
MASTER_KEY = "sk-vega-bench-0123456789"
INSTALL_TIMEOUT_S = 1200
START_TIMEOUT_S = 180


class LiteLLMUnavailable(RuntimeError):
    """LiteLLM could not be installed or started; the message says why."""


def _version(python: Path) -> str | None:
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return probe.stdout.strip() if probe.returncode == 0 and probe.stdout.strip() else None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def ensure_installed() -> tuple[Path, str]:
    """The ``litellm`` executable and its version, installing it on first use."""
    python, executable = VENV / "bin" / "python", VENV / "bin" / "litellm"
    if executable.exists() and (version := _version(python)):
        return executable, version
    shutil.rmtree(VENV, ignore_errors=True)
    log(f"installing {REQUIREMENT} into {VENV} (first run only; a few minutes)")
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            REQUIREMENT,
        ],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise LiteLLMUnavailable(f"{' '.join(step[:4])} timed out") from exc
        if done.returncode != 0:
            raise LiteLLMUnavailable(f"{' '.join(step[:4])} failed: {_last_line(done.stderr)}")
    version = _version(python)
    if not executable.exists() or version is None:
        raise LiteLLMUnavailable(f"{REQUIREMENT} installed, but no litellm executable in {VENV}")
    return executable, version


@dataclass
class LiteLLMProxy:
    url: str
    version: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {MASTER_KEY}"}

    @classmethod
    def start(cls, *, upstream: str, model: str, workdir: Path) -> LiteLLMProxy:
        """The proxy on a free port, serving ``model`` from the OpenAI-compatible ``upstream``
        (a URL ending in /v1)."""
        executable, version = ensure_installed()
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "litellm.yaml"
        config.write_text(
            "model_list:\n"
            f"  - model_name: {model}\n"
            "    litellm_params:\n"
            f"      model: openai/{model}\n"
            f"      api_base: {upstream}\n"
            "      api_key: sk-fake\n"
            "litellm_settings:\n"
            "  drop_params: true\n"
            "  telemetry: false\n"
            "general_settings:\n"
            f"  master_key: {MASTER_KEY}\n"
        )
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))},
            "LITELLM_LOG": "ERROR",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of the price list at start
            "LITELLM_TELEMETRY": "False",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        log_path = workdir / "litellm.log"
        with log_path.open("wb") as out:
            proc = subprocess.Popen(
                [
                    str(executable),
                    "--config",
                    str(config),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--num_workers",
                    "1",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                env=env,
                start_new_session=True,  # its own process group: stop() ends any children too
            )
        proxy = cls(f"http://127.0.0.1:{port}", version, proc, log_path)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LiteLLMUnavailable(
                    f"litellm exited with {proc.returncode}: {_last_line(proxy.log())}"
                )
            try:
                ready = httpx.get(proxy.url + "/health/liveliness", timeout=1, trust_env=False)
                if ready.status_code == 200:
                    return proxy
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        proxy.stop()
        raise LiteLLMUnavailable(f"litellm did not start in {START_TIMEOUT_S} s")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
