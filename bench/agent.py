"""The agent loop and the web tools: the loop's own cost per step, research end to end,
and fetch-and-extract throughput.

1. **Loop overhead per step** (in-process, the real composition root on a SQLite data
   dir): a scripted model that answers at once and a tool that returns at once, so all
   that is timed is Vega's part of a step (asking the gateway, checking the arguments
   against the schema, running the call, numbering, storing the step, streaming its
   events). Per step = (an agent turn of ``--steps`` tool steps - a plain turn) / steps,
   over ``--turns`` turns each; target ≤ 5 ms p50.
2. **Research end to end** on the tests' local web: `vega serve` with a fake SearXNG
   and its pages on loopback (read through the SSRF-safe fetcher) and the fake model
   server; ``POST /research`` streamed, ``--research`` times: time to the first token
   and total.
3. **Fetch and extract**: ``SafeFetcher.read`` of a 30 KB article page (trafilatura),
   ``--pages`` reads with ``--concurrency`` at once: pages per second.

    .venv/bin/python -m bench.agent [--steps 5] [--turns 40] [--research 20] [--pages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from contextlib import aclosing
from pathlib import Path
from typing import Any

import httpx

from bench._common import FakeLLMProcess, emit, environment, log, run, scratch_dir, summary_ms
from tests.fakes.backends import ScriptedBackend, Step, plugins_with
from tests.fakes.embedders import HashingEmbedder
from tests.fakes.search_server import FakeHit, run_fake_search
from tests.support.server import start_vega
from vega.chat.service import ChatRequest
from vega.integrations.fetch import SafeFetcher
from vega.llm.base import ToolCall
from vega.runtime import build
from vega.settings import load_settings
from vega.tools.base import Tool, ToolContext, ToolOutput

TARGET_STEP_MS = 5.0
KEY = "vega-bench-agent-key-0123456789abcdef"
PARAGRAPH = (
    "The harbour master logs every boat that comes back at dusk, and the ledger, kept in "
    "pencil for forty-one years, shows not one night when all of them were late. "
)


class Instant(Tool):
    name = "instant"
    description = "Returns at once."
    parameters = {  # noqa: RUF012
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
    }

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        return ToolOutput(text=f"done {arguments['n']}")


def article(title: str) -> str:
    # Distinct paragraphs: trafilatura drops repeated ones, as boilerplate.
    words = PARAGRAPH.split()
    rng = random.Random(title)
    body = "".join(
        "<p>" + " ".join(rng.choice(words) for _ in range(55)) + ".</p>" for _ in range(80)
    )  # about 30 KB
    return (
        f"<html><head><title>{title}</title></head><body><nav>Home | About</nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Cookies</footer></body></html>"
    )


# --- 1. the loop's own overhead --------------------------------------------------------


async def loop_overhead(data_dir: Path, *, steps: int, turns: int) -> dict[str, Any]:
    backend = ScriptedBackend()
    settings = load_settings(
        data_dir=data_dir,
        api_key=KEY,
        llm_backend=backend.name,
        embedding_backend=HashingEmbedder.name,
        cache_ttl_s=0,
        agent_max_steps=steps + 1,
        _env_file=None,
    )
    runtime = build(settings, plugins=plugins_with(backend, HashingEmbedder()))
    runtime.tools.add(Instant())
    await runtime.start()
    owner = runtime.owner

    async def turn(request: ChatRequest) -> float:
        started = time.perf_counter()
        async with aclosing(runtime.chat.stream(request, owner)) as events:
            async for _ in events:
                pass
        return time.perf_counter() - started

    def agent_script() -> list[Step]:
        calls = [
            Step(tokens=[], tool_calls=[ToolCall(f"c{i}", "instant", json.dumps({"n": i}))])
            for i in range(steps)
        ]
        return [*calls, Step(tokens=["Done."])]

    try:
        for _ in range(3):  # warm: imports, the first writes, the schema validator
            backend.steps = agent_script()
            await turn(ChatRequest(prompt="warm", server_tools=("instant",)))
        per_step, plain_s, agent_s = [], [], []
        for i in range(turns):
            backend.steps = [Step(tokens=["Done."])]
            plain = await turn(ChatRequest(prompt=f"plain {i}"))
            backend.steps = agent_script()
            agent = await turn(ChatRequest(prompt=f"agent {i}", server_tools=("instant",)))
            plain_s.append(plain)
            agent_s.append(agent)
            per_step.append(max(0.0, agent - plain) / steps)
    finally:
        await runtime.aclose()
    summary = summary_ms(per_step)
    return {
        "steps_per_turn": steps,
        "turns": turns,
        "per_step_ms": summary,
        "plain_turn_ms": summary_ms(plain_s),
        "agent_turn_ms": summary_ms(agent_s),
        "target": {
            "limit": f"<= {TARGET_STEP_MS}",
            "value": summary["p50"],
            "pass": summary["p50"] is not None and summary["p50"] <= TARGET_STEP_MS,
        },
    }


# --- 2. research end to end ------------------------------------------------------------


async def research(url: str, headers: dict[str, str], *, times: int) -> dict[str, Any]:
    ttft, total = [], []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        for i in range(times + 2):
            started = time.perf_counter()
            first = None
            async with client.stream(
                "POST",
                "/research",
                json={"query": f"harbour ledger {i}", "max_sources": 3, "stream": True},
            ) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if line == "event: token" and first is None:
                        first = time.perf_counter() - started
            if i >= 2:  # the first two warm the fetcher's pool and the extractor
                ttft.append(first if first is not None else time.perf_counter() - started)
                total.append(time.perf_counter() - started)
    return {
        "runs": times,
        "pages_per_run": 3,
        "ttft_ms": summary_ms(ttft),
        "total_ms": summary_ms(total),
    }


# --- 3. fetch and extract ------------------------------------------------------------


async def fetch_rate(page_url: str, *, pages: int, concurrency: int) -> dict[str, Any]:
    settings = load_settings(
        api_key=KEY, fetch_allow_hosts="127.0.0.1", llm_backend="none", _env_file=None
    )
    async with SafeFetcher.from_settings(settings) as fetcher:
        await fetcher.read(page_url)  # warm
        gate = asyncio.Semaphore(concurrency)
        chars = 0

        async def one() -> None:
            nonlocal chars
            async with gate:
                chars += len((await fetcher.read(page_url)).text)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(pages)))
        elapsed = time.perf_counter() - started
    return {
        "pages": pages,
        "concurrency": concurrency,
        "page_kb": round(len(article("x").encode()) / 1024, 1),
        "pages_per_s": round(pages / elapsed, 1),
        "extracted_chars_per_page": chars // pages,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--research", type=int, default=20)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    with scratch_dir("vega-bench-agent-", keep=args.keep) as scratch:
        log(f"loop overhead: {args.turns} turns of {args.steps} steps")
        overhead = run(
            lambda: loop_overhead(scratch / "inproc", steps=args.steps, turns=args.turns)
        )
        with run_fake_search() as web:
            names = [f"ledger-{i}" for i in range(6)]
            for name in names:
                web.state.pages[name] = article(f"Harbour ledger {name}")
            web.state.default = [FakeHit(n, web.page_url(n), "The ledger") for n in names]
            log(f"fetch and extract: {args.pages} reads")
            fetched = run(
                lambda: fetch_rate(
                    web.page_url(names[0]), pages=args.pages, concurrency=args.concurrency
                )
            )
            fake = FakeLLMProcess.start()
            try:
                server = start_vega(
                    scratch / "serve" / "data",
                    api_key=KEY,
                    llm_backend="ollama",
                    ollama_url=fake.url,
                    cache_ttl_s=0,
                    rate_limit="0",
                    search_provider="searxng",
                    searxng_url=web.url,
                    search_cache_ttl_s=0,
                    fetch_allow_hosts="127.0.0.1",
                )
                try:
                    log(f"research: {args.research} runs")
                    researched = run(
                        lambda: research(server.url, server.headers, times=args.research)
                    )
                finally:
                    server.stop()
            finally:
                fake.stop()
    emit(
        {
            "benchmark": "agent",
            "environment": environment(),
            "loop_overhead": overhead,
            "research": researched,
            "fetch_extract": fetched,
            "targets": {"loop_overhead_per_step_p50_ms": overhead["target"]},
            "pass": overhead["target"]["pass"],
        }
    )


if __name__ == "__main__":
    main()
