"""Prometheus instruments, one registry per Runtime (no module-level state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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
        )
        self.cache_hits = Counter("vega_cache_hits", "Identical-request cache hits", registry=r)
        self.cache_misses = Counter(
            "vega_cache_misses", "Identical-request cache misses", registry=r
        )
        self.redis_up = Gauge(
            "vega_redis_up",
            "1 while Redis (VEGA_REDIS_URL) answers, 0 when it does not",
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

    def render(self) -> bytes:
        return generate_latest(self.registry)
