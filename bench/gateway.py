"""Gateway overhead: what `vega serve` adds to a streamed reply, against the model server alone.

The fake LLM server (its own process) streams a fixed reply of ``--tokens`` tokens. The
same load runs along each *path* at each concurrency, in interleaved rounds (the path
order rotates every round, so drift in the machine's state hits every path alike):

- ``direct``: the fake's Ollama ``/api/chat`` NDJSON stream, as Vega's backend sees it;
- ``vega_sse``: ``POST /chat/sse`` on `vega serve` (Ollama backend pointed at the fake,
  no cache, no rate limit), which stores both messages of every turn;
- ``direct_openai``: the fake's OpenAI ``/v1/chat/completions`` SSE stream, the baseline
  of the two OpenAI paths below;
- ``vega_openai``: ``POST /v1/chat/completions`` (streamed) on a second `vega serve` whose
  backend is the fake's OpenAI endpoint, so Vega is an OpenAI-to-OpenAI gateway there;
- ``vega_session``: ``POST /chat/sse`` on a third `vega serve` in accounts mode, signed
  in by a browser session (cookie and CSRF token) instead of a key: what a session costs
  over a key (its baseline is ``vega_sse``);
- ``litellm``: LiteLLM's proxy (``litellm[proxy]``, installed at run time into a venv of
  its own under the system temp dir, see ``_litellm.py``) in front of the same endpoint:
  a peer doing the same job. If it cannot be installed or started, the run goes on
  without it and reports ``"litellm": {"error": ...}``.

For every request: TTFT (request sent to first token parsed) and total time (to the end
of the body). Per concurrency: p50/p99 of both per path, what each path adds over its
baseline (``direct`` for ``vega_sse``, ``direct_openai`` for ``vega_openai`` and
``litellm``), and aggregate token throughput (tokens received / wall time).

Adding a path (say `/v1/chat/completions` on Vega, or a LiteLLM proxy in front of the
fake): subclass ``StreamPath`` (or reuse ``OpenAIChatPath``), give it a URL and a body, and
register it in ``PATHS`` (with its server in ``Servers`` if it needs one).

    .venv/bin/python -m bench.gateway [--requests 600] [--tokens 64] [--concurrency 1,32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil

from bench._common import (
    FakeLLMProcess,
    cpu_seconds,
    emit,
    environment,
    log,
    run,
    scratch_dir,
    summary_ms,
    tail,
)
from bench._litellm import LiteLLMProxy, LiteLLMUnavailable
from tests.support.server import VegaServer, run_cli, start_vega

MODEL = "llama3.2"
SYSTEM = "You are Vega, a helpful assistant running on the user's own machine."
PROMPT = "Say something of a fixed length."
TARGET_ADDED_TTFT_P50_MS = 5.0  # at concurrency 1
TARGET_THROUGHPUT_RATIO = 0.5  # at concurrency 32
TARGET_SESSION_ADDED_P50_MS = 1.0  # a session over a key, at concurrency 1
BENCH_USER, BENCH_PASSWORD = "bench", "bench-password-1"
BASELINE = "direct"


# --- parsing the streams -----------------------------------------------------------


class StreamParser(ABC):
    """Feeds on raw body bytes; counts tokens as whole frames arrive.

    Tokens are counted as words of the received text (the fake's tokens are " w0",
    " w1", ...), not as frames: a gateway may send tokens that piled up together in
    one frame, and what matters is that all of them arrive.
    """

    separator = b"\n"

    def __init__(self) -> None:
        self._buffer = b""
        self.tokens = 0
        self.done = False
        self.error: str | None = None

    def feed(self, data: bytes) -> int:
        """Returns how many tokens the complete frames in ``data`` carried."""
        self._buffer += data
        *frames, self._buffer = self._buffer.split(self.separator)
        before = self.tokens
        for frame in frames:
            if frame.strip():
                self.frame(frame)
        return self.tokens - before

    @abstractmethod
    def frame(self, frame: bytes) -> None: ...


class OllamaNDJSON(StreamParser):
    def frame(self, frame: bytes) -> None:
        obj = json.loads(frame)
        if "error" in obj:
            self.error = str(obj["error"])
        self.tokens += len(str((obj.get("message") or {}).get("content") or "").split())
        if obj.get("done"):
            self.done = True


def _sse_fields(event: bytes) -> tuple[str, str]:
    name, data = "message", []
    for line in event.decode().splitlines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    return name, "\n".join(data)


class VegaSSE(StreamParser):
    separator = b"\n\n"

    def frame(self, frame: bytes) -> None:
        name, data = _sse_fields(frame)
        if name == "token":
            self.tokens += len(str(json.loads(data).get("token") or "").split())
        elif name == "done":
            self.done = True
        elif name == "error":
            self.error = data[:200]


class OpenAISSE(StreamParser):
    separator = b"\n\n"

    def frame(self, frame: bytes) -> None:
        _, data = _sse_fields(frame)
        if data == "[DONE]":
            self.done = True
            return
        obj = json.loads(data)
        if "error" in obj:
            self.error = str(obj["error"])[:200]
        for choice in obj.get("choices") or []:
            self.tokens += len(str((choice.get("delta") or {}).get("content") or "").split())


# --- paths -------------------------------------------------------------------------


class StreamPath(ABC):
    """One way of getting the same streamed reply: a URL, a body, a stream format."""

    name: str
    parser: type[StreamParser]

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.headers = {"content-type": "application/json", **(headers or {})}

    @property
    @abstractmethod
    def url(self) -> str: ...

    @abstractmethod
    def body(self) -> dict[str, Any]: ...

    def content(self) -> bytes:
        return json.dumps(self.body()).encode()


class OllamaChatPath(StreamPath):
    """What Vega's Ollama backend sends, straight to the model server."""

    name = "direct"
    parser = OllamaNDJSON

    @property
    def url(self) -> str:
        return self.base_url + "/api/chat"

    def body(self) -> dict[str, Any]:
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]
        return {"model": MODEL, "messages": messages, "stream": True, "options": {}}


class VegaSSEPath(StreamPath):
    name = "vega_sse"
    parser = VegaSSE

    @property
    def url(self) -> str:
        return self.base_url + "/chat/sse"

    def body(self) -> dict[str, Any]:
        return {"prompt": PROMPT}


class VegaSessionPath(VegaSSEPath):
    """The same route, signed in by a browser session of accounts mode."""

    name = "vega_session"


class OpenAIChatPath(StreamPath):
    """An OpenAI-compatible ``/v1/chat/completions`` stream. ``base_url`` ends before /v1.

    As is, this is the fake's own OpenAI endpoint (``direct_openai``); a subclass with
    another name and server covers Vega's ``/v1`` or a LiteLLM proxy.
    """

    name = "direct_openai"
    parser = OpenAISSE

    @property
    def url(self) -> str:
        return self.base_url + "/v1/chat/completions"

    def body(self) -> dict[str, Any]:
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]
        return {"model": MODEL, "messages": messages, "stream": True}


class VegaOpenAIPath(OpenAIChatPath):
    """Vega's own ``/v1/chat/completions``: the same body, the same stream format."""

    name = "vega_openai"


class LiteLLMPath(OpenAIChatPath):
    name = "litellm"


@dataclass
class Servers:
    """The processes a run needs; paths are built from them. A new server gets a field
    here and a branch in ``start_servers``."""

    fake: FakeLLMProcess
    vega: VegaServer | None = None  # backend: the fake's Ollama API
    vega_openai: VegaServer | None = None  # backend: the fake's OpenAI API
    vega_accounts: VegaServer | None = None  # accounts mode, backend: the fake's Ollama API
    session_headers: dict[str, str] = field(default_factory=dict)  # signed in there
    litellm: LiteLLMProxy | None = None
    litellm_error: str | None = None

    def processes(self) -> dict[str, psutil.Process]:
        procs = {"fake": psutil.Process(self.fake.proc.pid)}
        for name, pid in (
            ("vega", self.vega.proc.pid if self.vega else None),
            ("vega_openai", self.vega_openai.proc.pid if self.vega_openai else None),
            ("vega_accounts", self.vega_accounts.proc.pid if self.vega_accounts else None),
            ("litellm", self.litellm.proc.pid if self.litellm else None),
        ):
            if pid is not None:
                procs[name] = psutil.Process(pid)
        return procs


@dataclass(frozen=True)
class PathSpec:
    build: Callable[[Servers], StreamPath]
    needs: frozenset[str] = frozenset()  # servers besides the fake: "vega", ...
    baseline: str = BASELINE  # the path whose numbers this one's overhead is measured against


def _need(server: Any, what: str) -> Any:
    if server is None:
        raise RuntimeError(f"this path needs {what}")
    return server


def _vega(servers: Servers) -> VegaServer:
    server: VegaServer = _need(servers.vega, "vega serve")
    return server


def _vega_openai(servers: Servers) -> VegaServer:
    server: VegaServer = _need(servers.vega_openai, "vega serve on the OpenAI backend")
    return server


def _vega_accounts(servers: Servers) -> VegaServer:
    server: VegaServer = _need(servers.vega_accounts, "vega serve in accounts mode")
    return server


def _litellm(servers: Servers) -> LiteLLMProxy:
    proxy: LiteLLMProxy = _need(servers.litellm, "the LiteLLM proxy")
    return proxy


PATHS: dict[str, PathSpec] = {
    "direct": PathSpec(lambda s: OllamaChatPath(s.fake.url)),
    "vega_sse": PathSpec(
        lambda s: VegaSSEPath(_vega(s).url, _vega(s).headers), frozenset({"vega"})
    ),
    "vega_session": PathSpec(
        lambda s: VegaSessionPath(_vega_accounts(s).url, s.session_headers),
        frozenset({"vega_accounts"}),
        baseline="vega_sse",
    ),
    "direct_openai": PathSpec(lambda s: OpenAIChatPath(s.fake.url)),
    "vega_openai": PathSpec(
        lambda s: VegaOpenAIPath(_vega_openai(s).url, _vega_openai(s).headers),
        frozenset({"vega_openai"}),
        baseline="direct_openai",
    ),
    "litellm": PathSpec(
        lambda s: LiteLLMPath(_litellm(s).url, _litellm(s).headers),
        frozenset({"litellm"}),
        baseline="direct_openai",
    ),
}
DEFAULT_PATHS = ["direct", "vega_sse", "vega_session", "direct_openai", "vega_openai", "litellm"]


def start_servers(needs: set[str], stack: ExitStack, data: pathlib.Path) -> Servers:
    fake = FakeLLMProcess.start()
    stack.callback(fake.stop)
    servers = Servers(fake)
    if "vega" in needs:
        servers.vega = start_vega(
            data / "vega", llm_backend="ollama", ollama_url=fake.url, cache_ttl_s=0, rate_limit="0"
        )
        stack.callback(servers.vega.stop)
    if "vega_openai" in needs:
        servers.vega_openai = start_vega(
            data / "vega-openai",
            llm_backend="openai",
            openai_base_url=fake.url + "/v1",
            cache_ttl_s=0,
            rate_limit="0",
        )
        stack.callback(servers.vega_openai.stop)
    if "vega_accounts" in needs:
        servers.vega_accounts = start_vega(
            data / "vega-accounts",
            auth="accounts",
            llm_backend="ollama",
            ollama_url=fake.url,
            cache_ttl_s=0,
            rate_limit="0",
        )
        stack.callback(servers.vega_accounts.stop)
        servers.session_headers = sign_in(servers.vega_accounts)
    if "litellm" in needs:
        try:
            servers.litellm = LiteLLMProxy.start(
                upstream=fake.url + "/v1", model=MODEL, workdir=data / "litellm"
            )
            stack.callback(servers.litellm.stop)
        except (LiteLLMUnavailable, OSError) as exc:
            servers.litellm_error = str(exc)
            log(f"LiteLLM unavailable, measuring without it: {exc}")
    return servers


def sign_in(server: VegaServer) -> dict[str, str]:
    """A user made with the CLI, signed in: the headers a browser's requests carry."""
    made = run_cli(
        ["users", "create", BENCH_USER, "--password-stdin"], server.env, input=BENCH_PASSWORD
    )
    if made.returncode != 0:
        raise RuntimeError(f"vega users create failed: {made.stderr}")
    signed = httpx.post(
        server.url + "/auth/login",
        json={"username": BENCH_USER, "password": BENCH_PASSWORD},
        timeout=30,
    )
    signed.raise_for_status()
    return {
        "cookie": f"vega_session={signed.cookies['vega_session']}",
        "x-csrf-token": signed.json()["csrf_token"],
    }


def sign_in_seconds(server: VegaServer, n: int = 20) -> dict[str, Any]:
    """What one password sign-in takes (argon2id's parameters dominate), over ``n``."""
    took = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(n):
            started = time.perf_counter()
            response = client.post(
                "/auth/login", json={"username": BENCH_USER, "password": BENCH_PASSWORD}
            )
            took.append(time.perf_counter() - started)
            response.raise_for_status()
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    return {
        "argon2id": {
            "memory_kib": hasher.memory_cost,
            "time_cost": hasher.time_cost,
            "parallelism": hasher.parallelism,
        },
        "sign_in_ms": summary_ms(took),
    }


# --- load ----------------------------------------------------------------------------


@dataclass
class Sample:
    ttft: float
    total: float
    tokens: int


@dataclass
class PathStats:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds used

    def report(self, expected_tokens: int) -> dict[str, Any]:
        tokens = sum(s.tokens for s in self.samples)
        short = sum(1 for s in self.samples if s.tokens != expected_tokens)
        return {
            "requests": len(self.samples) + len(self.errors),
            "errors": len(self.errors),
            "error_examples": sorted(set(self.errors))[:3],
            "wrong_token_count": short,
            "ttft_ms": summary_ms([s.ttft for s in self.samples]),
            "total_ms": summary_ms([s.total for s in self.samples]),
            "wall_s": round(self.wall_s, 3),
            "tokens_per_s": round(tokens / self.wall_s, 1) if self.wall_s else None,
            "requests_per_s": round(len(self.samples) / self.wall_s, 1) if self.wall_s else None,
            # Cores busy with other people's work meanwhile: high means noisy numbers.
            "background_cores": (
                round(max(0.0, self.cpu_s.get("others", 0.0)) / self.wall_s, 2)
                if self.wall_s
                else None
            ),
            # CPU time each process spent per request: where the work goes.
            "cpu_ms_per_request": {
                name: round(max(0.0, seconds) * 1000 / max(1, len(self.samples)), 3)
                for name, seconds in self.cpu_s.items()
            },
        }


async def one_request(client: httpx.AsyncClient, path: StreamPath, content: bytes) -> Sample:
    parser = path.parser()
    started = time.perf_counter()
    ttft: float | None = None
    async with client.stream("POST", path.url, content=content, headers=path.headers) as resp:
        if resp.status_code != 200:
            await resp.aread()
            raise RuntimeError(f"HTTP {resp.status_code}: {resp.text[:120]}")
        async for chunk in resp.aiter_raw():
            if parser.feed(chunk) and ttft is None:
                ttft = time.perf_counter() - started
    total = time.perf_counter() - started
    if parser.error:
        raise RuntimeError(f"stream error: {parser.error}")
    if not parser.done or ttft is None:
        raise RuntimeError("stream ended early")
    return Sample(ttft, total, parser.tokens)


async def phase(
    client: httpx.AsyncClient,
    path: StreamPath,
    requests: int,
    concurrency: int,
    stats: PathStats | None,
    procs: dict[str, psutil.Process],
) -> None:
    """``requests`` requests, ``concurrency`` at a time (closed loop)."""
    content = path.content()
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            try:
                sample = await one_request(client, path, content)
            except (httpx.HTTPError, RuntimeError, ValueError) as exc:
                if stats is not None:
                    stats.errors.append(f"{type(exc).__name__}: {exc}"[:160])
                continue
            if stats is not None:
                stats.samples.append(sample)

    cpu_before = cpu_seconds(procs)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, requests))))
    if stats is not None:
        stats.wall_s += time.perf_counter() - started
        for name, seconds in cpu_seconds(procs).items():
            stats.cpu_s[name] = stats.cpu_s.get(name, 0.0) + seconds - cpu_before[name]


def compare(stats: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What each path adds over its baseline (differences of percentiles, in ms)."""
    out: dict[str, dict[str, Any]] = {}
    for name, s in stats.items():
        baseline = PATHS[name].baseline
        if name == baseline or baseline not in stats:
            continue
        base = stats[baseline]

        def diff(
            metric: str, q: str, s: dict[str, Any] = s, base: dict[str, Any] = base
        ) -> float | None:
            a, b = s[metric][q], base[metric][q]
            return None if a is None or b is None else round(a - b, 2)

        ratio = (
            round(s["tokens_per_s"] / base["tokens_per_s"], 3)
            if s["tokens_per_s"] and base["tokens_per_s"]
            else None
        )
        out[name] = {
            "baseline": baseline,
            "added_ttft_p50_ms": diff("ttft_ms", "p50"),
            "added_ttft_p99_ms": diff("ttft_ms", "p99"),
            "added_total_p50_ms": diff("total_ms", "p50"),
            "added_total_p99_ms": diff("total_ms", "p99"),
            "throughput_ratio": ratio,
        }
    return out


async def measure(
    paths: list[StreamPath], servers: Servers, args: argparse.Namespace
) -> dict[str, Any]:
    procs = {"client": psutil.Process(), **servers.processes()}
    results: dict[str, Any] = {}
    most = max(args.concurrency)
    limits = httpx.Limits(max_connections=most + 8, max_keepalive_connections=most + 8)
    clients = {p.name: httpx.AsyncClient(timeout=60, limits=limits, trust_env=False) for p in paths}
    try:
        for concurrency in args.concurrency:
            warmup = max(args.warmup, 2 * concurrency)
            for p in paths:
                await phase(clients[p.name], p, warmup, concurrency, None, procs)
            stats = {p.name: PathStats() for p in paths}
            per_round = max(1, args.requests // args.rounds)
            for r in range(args.rounds):
                order = paths[r % len(paths) :] + paths[: r % len(paths)]
                for p in order:
                    await phase(clients[p.name], p, per_round, concurrency, stats[p.name], procs)
            reports = {name: s.report(args.tokens) for name, s in stats.items()}
            results[str(concurrency)] = {"paths": reports, "vs_direct": compare(reports)}
            log(
                f"c={concurrency}: "
                + "; ".join(
                    f"{n} ttft p50 {r['ttft_ms']['p50']} ms, {r['tokens_per_s']} tok/s"
                    for n, r in reports.items()
                )
            )
    finally:
        for client in clients.values():
            await client.aclose()
    return results


def targets(results: dict[str, Any], path: str) -> dict[str, Any]:
    def value(concurrency: str, key: str) -> float | None:
        entry = results.get(concurrency, {}).get("vs_direct", {}).get(path)
        return None if entry is None else entry[key]

    ttft = value("1", "added_ttft_p50_ms")
    ratio = value("32", "throughput_ratio")
    return {
        "added_ttft_p50_ms_at_c1": {
            "path": path,
            "limit": f"<= {TARGET_ADDED_TTFT_P50_MS}",
            "value": ttft,
            "pass": None if ttft is None else ttft <= TARGET_ADDED_TTFT_P50_MS,
        },
        "throughput_ratio_at_c32": {
            "path": path,
            "limit": f">= {TARGET_THROUGHPUT_RATIO}",
            "value": ratio,
            "pass": None if ratio is None else ratio >= TARGET_THROUGHPUT_RATIO,
        },
    }


def session_targets(results: dict[str, Any]) -> dict[str, Any]:
    """A browser session adds at most TARGET_SESSION_ADDED_P50_MS over a key (c=1)."""
    entry = results.get("1", {}).get("vs_direct", {}).get("vega_session")
    added = None if entry is None else entry["added_ttft_p50_ms"]
    return {
        "vega_session_added_ttft_p50_over_key_at_c1": {
            "path": "vega_session",
            "limit": f"<= {TARGET_SESSION_ADDED_P50_MS}",
            "value": added,
            "pass": None if added is None else added <= TARGET_SESSION_ADDED_P50_MS,
        }
    }


def peer_targets(results: dict[str, Any], path: str, peer: str) -> dict[str, Any]:
    """``path`` adds less time to the first token than ``peer`` (p50 and p99, each concurrency)."""
    checks: dict[str, Any] = {}
    for concurrency, entry in results.items():
        for q in ("p50", "p99"):
            key = f"added_ttft_{q}_ms"
            ours = entry["vs_direct"].get(path, {}).get(key)
            theirs = entry["vs_direct"].get(peer, {}).get(key)
            checks[f"{path}_added_ttft_{q}_below_{peer}_at_c{concurrency}"] = {
                "path": path,
                "limit": f"< {peer}'s",
                "value": ours,
                peer: theirs,
                "pass": None if ours is None or theirs is None else ours < theirs,
            }
    return checks


def side_by_side(results: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """What each of ``names`` adds over its baseline, per concurrency, next to each other."""
    keys = ("added_ttft_p50_ms", "added_ttft_p99_ms", "added_total_p50_ms", "throughput_ratio")
    return {
        concurrency: {
            name: {k: entry["vs_direct"][name][k] for k in keys}
            for name in names
            if name in entry["vs_direct"]
        }
        for concurrency, entry in results.items()
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=600, help="measured requests per path per concurrency"
    )
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds per concurrency")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per path (min 2c)")
    parser.add_argument("--tokens", type=int, default=64, help="tokens in the streamed reply")
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(c) for c in text.split(",") if c.strip()],
        default=[1, 32],
        help="comma-separated list (default 1,32)",
    )
    parser.add_argument(
        "--paths",
        type=lambda text: [p.strip() for p in text.split(",") if p.strip()],
        default=DEFAULT_PATHS,
        help=f"comma-separated; first must be {BASELINE!r}; known: {', '.join(PATHS)}",
    )
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds between tokens")
    parser.add_argument("--first-token-delay", type=float, default=0.0, help="seconds to 1st token")
    parser.add_argument("--keep", action="store_true", help="keep the data dir (for the DB/log)")
    args = parser.parse_args(argv)
    unknown = [p for p in args.paths if p not in PATHS]
    if unknown or not args.paths or args.paths[0] != BASELINE:
        parser.error(f"--paths must start with {BASELINE!r} and name known paths ({unknown})")
    orphans = [p for p in args.paths if PATHS[p].baseline not in args.paths]
    if orphans:
        parser.error(f"--paths: {orphans} need their baselines too ({PATHS[orphans[0]].baseline})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tokens = [f" w{i}" for i in range(args.tokens)]
    with ExitStack() as stack, scratch_dir("vega-bench-gateway-", keep=args.keep) as data:
        servers = start_servers({n for p in args.paths for n in PATHS[p].needs}, stack, data)
        fake = servers.fake
        fake.control(
            reset=True,
            tokens=tokens,
            token_delay_s=args.token_delay,
            first_token_delay_s=args.first_token_delay,
        )
        names = [n for n in args.paths if not (n == "litellm" and servers.litellm is None)]
        paths = [PATHS[name].build(servers) for name in names]
        log(f"fake at {fake.url}; vega at {servers.vega.url if servers.vega else '-'}")
        try:
            results = run(lambda: measure(paths, servers, args))
        except Exception:
            for server in (servers.vega, servers.vega_openai, servers.vega_accounts):
                if server is not None:
                    log("vega serve log (tail):\n" + tail(server.log()))
            if servers.litellm is not None:
                log("litellm log (tail):\n" + tail(servers.litellm.log()))
            raise
        fake_stats = fake.stats()
        sign_ins = sign_in_seconds(servers.vega_accounts) if servers.vega_accounts else None
    checks = targets(results, "vega_sse") if "vega_sse" in names else {}
    if "vega_session" in names:
        checks |= session_targets(results)
    if "vega_openai" in names:
        checks |= {f"vega_openai_{k}": v for k, v in targets(results, "vega_openai").items()}
        if "litellm" in args.paths:
            checks |= peer_targets(results, "vega_openai", "litellm")
    verdicts = [c["pass"] for c in checks.values() if c["pass"] is not None]
    litellm: dict[str, Any] | None = None
    if "litellm" in args.paths:
        litellm = (
            {"version": servers.litellm.version, "workers": 1, "master_key": True}
            if servers.litellm is not None
            else {"error": servers.litellm_error or "not started"}
        )
    emit(
        {
            "benchmark": "gateway",
            "config": {
                "requests_per_path": args.requests,
                "rounds": args.rounds,
                "warmup": args.warmup,
                "tokens": args.tokens,
                "concurrency": args.concurrency,
                "paths": args.paths,
                "token_delay_s": args.token_delay,
                "first_token_delay_s": args.first_token_delay,
                "baseline": BASELINE,
                **environment(),
            },
            "results": results,
            "side_by_side": side_by_side(
                results, ["vega_sse", "vega_session", "vega_openai", "litellm"]
            ),
            **({"litellm": litellm} if litellm is not None else {}),
            "fake_server": fake_stats,
            **({"sign_in": sign_ins} if sign_ins is not None else {}),
            "targets": checks,
            "pass": all(verdicts) if verdicts else None,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
