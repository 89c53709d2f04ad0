"""Prometheus instruments, one registry per Runtime (no module-level state).

With several server processes (``VEGA_WORKERS`` > 1) `vega serve` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the workers start: every process
writes its values there, and ``/metrics``, whichever worker answers it, adds them up
(prometheus-client's multiprocess mode). Gauges then carry each live process's value
(``pid`` label). Figures read at scrape time (the job queue's depth) come from the
database, the same for every process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "vega_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.http_latency = Histogram(
            "vega_http_request_duration_seconds",
            "Time to the response's last byte",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.llm_latency = Histogram(
            "vega_llm_request_duration_seconds",
            "Whole model request",
            ["backend", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.llm_ttft = Histogram(
            "vega_llm_time_to_first_token_seconds",
            "Model time to first token",
            ["backend"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.llm_tokens = Counter(
            "vega_llm_tokens", "Tokens through the gateway", ["backend", "kind"], registry=r
        )
        self.breaker_state = Gauge(
            "vega_breaker_state",
            "Circuit breaker: 0 closed, 1 half-open, 2 open",
            ["backend"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.cache_hits = Counter("vega_cache_hits", "Identical-request cache hits", registry=r)
        self.cache_misses = Counter(
            "vega_cache_misses", "Identical-request cache misses", registry=r
        )
        self.redis_up = Gauge(
            "vega_redis_up",
            "1 while Redis (VEGA_REDIS_URL) answers, 0 when it does not",
            registry=r,
            multiprocess_mode="liveall",
        )
        self.job_duration = Histogram(
            "vega_job_duration_seconds",
            "Background jobs, from start to outcome",
            ["kind", "status"],
            buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
            registry=r,
        )
        self.retrieval_latency = Histogram(
            "vega_retrieval_duration_seconds",
            "Document searches (embedding the query included)",
            ["mode"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.embedding_latency = Histogram(
            "vega_embedding_duration_seconds",
            "Embedding a search query",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.redis_fallbacks = Counter(
            "vega_redis_fallbacks",
            "Times a concern (limits, cache, signals) went on without Redis",
            ["what"],
            registry=r,
        )
        self.chat_turns = Counter(
            "vega_chat_turns", "Chat turns by outcome", ["source", "status"], registry=r
        )

    def render(self, extra: Iterable[Collector] = ()) -> bytes:
        """The exposition: this process's registry, or with several processes all of
        theirs; then ``extra`` (figures read at scrape time)."""
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = self.registry
        out = generate_latest(registry)
        collectors = list(extra)
        if collectors:
            scraped = CollectorRegistry()
            for collector in collectors:
                scraped.register(collector)
            out += generate_latest(scraped)
        return out


class JobQueueDepth(Collector):
    """``vega_jobs{status}``: jobs queued and running now, from the jobs table."""

    def __init__(self, counts: dict[str, int]) -> None:
        self._counts = counts

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily("vega_jobs", "Background jobs by state", labels=["status"])
        for status in ("queued", "running"):
            family.add_metric([status], self._counts.get(status, 0))
        yield family
