"""Sustained streaming load on a real `vega serve`: a smaller `bench/load.py`.

50 SSE streams at once for 8 seconds (the benchmark: 200 for 30), through the same
machinery (``bench/_load.py``): the fake LLM server and the load client each in
their own process, the fake echoing every prompt back word by word (50 words, 20 ms
apart, so a stream lasts about a second), `/healthz` polled every 0.2 s on its own
connection, the server's RSS sampled every 0.5 s. Then the server is stopped and its
SQLite file read: every turn the client saw finish is stored as an ``ok`` reply.
"""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from bench._load import SSELoad, echo_target, run_sse_load, stored_replies

pytestmark = [pytest.mark.slow, pytest.mark.integration]

STREAMS = 50
SECONDS = 8.0
WINDOW_S = 2.5  # RSS: mean of the first 2.5 s against the last 2.5 s
WORDS = 50
TOKEN_DELAY_S = 0.02

# /healthz bounds. The benchmark's target is a max under 100 ms, for 200 streams on a
# quiet machine. Here the suite may share two cores with other jobs: the server's event
# loop then waits for a core now and then (measured on a busy 2-core VM: up to ~0.3 s in
# one go, with Vega itself running 20 ms of it), so a single probe may take up to 250 ms.
# The bulk stays tight: 40 probes, with 50 streams typically a 1-3 ms median and a
# 10-30 ms max even on that busy VM; the median and the 90th percentile only move if
# the loop is held up routinely (a blocking call or a full garbage collection per few
# turns, a CPU-heavy step per token), and then by far more than these bounds.
HEALTHZ_P50_MS = 25.0
HEALTHZ_P90_MS = 50.0
HEALTHZ_MAX_MS = 250.0
# About 300 turns happen between the two RSS windows: a leak of ~80 KB a turn (a
# reply, its request and its stream kept alive) fails this; allocator noise stays
# well under it (a few MB).
RSS_GROWTH_MB = 25.0


@pytest.fixture(scope="module")
def load(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[SSELoad, dict[str, int], Path]:
    data = tmp_path_factory.mktemp("load")
    # Every client uses the one key: its cap on replies in progress must fit them all.
    target = echo_target(data / "vega", token_delay_s=TOKEN_DELAY_S, max_streams_per_key=STREAMS)
    with target as (fake, vega):
        result = run_sse_load(
            vega,
            streams=STREAMS,
            seconds=SECONDS,
            words=WORDS,
            ramp_s=1.0,
            window_s=WINDOW_S,
            others={"fake": psutil.Process(fake.proc.pid)},
        )
        fake_stats = fake.stats()
    return result, fake_stats, data / "vega" / "vega.db"


def test_every_stream_completes_with_its_own_reply(
    load: tuple[SSELoad, dict[str, int], Path],
) -> None:
    result, fake_stats, _ = load
    report = result.report()
    assert result.errors == 0, (report["errors_by_kind"], report["error_examples"])
    # The load really ran: ~7 turns per client (a turn lasts ~1.1 s), not a handful.
    assert result.turns >= STREAMS * 4, report
    # None was cut off on the way: the fake finished every reply it started.
    assert fake_stats["cancelled"] == 0
    assert fake_stats["completed"] >= result.turns


def test_healthz_answers_quickly_under_load(load: tuple[SSELoad, dict[str, int], Path]) -> None:
    result, _, _ = load
    healthz = result.healthz_ms()
    assert healthz["failures"] == {}, healthz
    assert healthz["probes"] >= SECONDS / 0.2 * 0.8, healthz  # polled throughout
    assert healthz["p50"] < HEALTHZ_P50_MS, healthz
    assert healthz["p90"] < HEALTHZ_P90_MS, healthz
    assert healthz["max"] < HEALTHZ_MAX_MS, healthz


def test_memory_does_not_grow_under_load(load: tuple[SSELoad, dict[str, int], Path]) -> None:
    result, _, _ = load
    rss = result.rss_mb()
    assert rss["samples"] >= SECONDS / 0.5 * 0.8, rss
    assert rss["growth"] < RSS_GROWTH_MB, rss


def test_every_acknowledged_turn_is_stored(load: tuple[SSELoad, dict[str, int], Path]) -> None:
    result, _, db_path = load
    stored = stored_replies(db_path, result.message_ids)
    assert stored["found"] == stored["acknowledged"] == result.turns, stored
    assert stored["assistant_ok_rows"] >= result.turns, stored
