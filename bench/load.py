"""Sustained streaming load: many SSE chat streams at once, for a while, and what it costs.

`vega serve` (Ollama backend pointed at the fake LLM server, no cache, no rate limit,
the circuit breaker out of reach, the per-key cap on replies in progress raised to
``--streams`` since every client uses the one key) takes ``--streams`` concurrent
streamed turns (``POST /chat`` with ``stream: true``) for ``--seconds``. Each client
loops: open a stream, read it to its ``done`` event, check that the reply is its own
prompt (the fake echoes it back, ``--words`` words at ``--token-delay`` seconds each,
so a stream lasts about a second), open the next. Meanwhile the server's RSS is sampled every
0.5 s and ``/healthz`` is polled every 0.2 s on a connection of its own.

Targets (the issue's): zero errors (non-200, ``error`` events, missing ``done``, wrong
content, exceptions); RSS growth from the first to the last ``--window`` seconds under
50 MB; ``/healthz`` answering under 100 ms throughout (its *max*, not a percentile).
Afterwards the database is checked: every acknowledged turn is a stored ``ok`` reply.

    .venv/bin/python -m bench.load [--streams 200] [--seconds 30]
"""

from __future__ import annotations

import argparse
import signal
import sys
from contextlib import ExitStack
from typing import Any

import psutil

from bench._common import emit, environment, log, scratch_dir, tail
from bench._load import echo_target, run_sse_load, stored_replies

TARGET_RSS_GROWTH_MB = 50.0
TARGET_HEALTHZ_MAX_MS = 100.0


def targets(report: dict[str, Any], integrity: dict[str, Any]) -> dict[str, Any]:
    growth = report["rss_mb"]["growth"]
    healthz = report["healthz_ms"]
    healthz_ok = healthz["max"] is not None and not healthz["failures"]
    return {
        "errors": {"limit": "== 0", "value": report["errors"], "pass": report["errors"] == 0},
        "rss_growth_mb": {
            "limit": f"< {TARGET_RSS_GROWTH_MB}",
            "value": growth,
            "pass": growth is not None and growth < TARGET_RSS_GROWTH_MB,
        },
        "healthz_max_ms": {
            "limit": f"< {TARGET_HEALTHZ_MAX_MS} (max over every probe; a failed probe fails)",
            "value": healthz["max"],
            "pass": healthz_ok and healthz["max"] < TARGET_HEALTHZ_MAX_MS,
        },
        "stored": {
            "limit": "every acknowledged turn stored as an ok reply",
            "value": f"{integrity['found']}/{integrity['acknowledged']}",
            "pass": integrity["found"] == integrity["acknowledged"],
        },
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=200, help="concurrent SSE streams")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load lasts")
    parser.add_argument(
        "--window", type=float, default=10.0, help="RSS: mean of the first vs the last N seconds"
    )
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="seconds over which the streams open, evenly (default 0: all at once)",
    )
    parser.add_argument("--words", type=int, default=50, help="tokens per reply (the prompt)")
    parser.add_argument("--token-delay", type=float, default=0.02, help="seconds between tokens")
    parser.add_argument("--keep", action="store_true", help="keep the data dir (DB, log)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack, scratch_dir("vega-bench-load-", keep=args.keep) as data:
        # All the streams come from one key: its cap on replies in progress
        # (VEGA_MAX_STREAMS_PER_KEY, 64 by default) is raised to fit them.
        fake, vega = stack.enter_context(
            echo_target(
                data / "vega", token_delay_s=args.token_delay, max_streams_per_key=args.streams
            )
        )
        log(f"vega at {vega.url}, fake at {fake.url}; {args.streams} streams for {args.seconds} s")
        load_avg_before = psutil.getloadavg()[0]
        try:
            load = run_sse_load(
                vega,
                streams=args.streams,
                seconds=args.seconds,
                words=args.words,
                ramp_s=args.ramp,
                window_s=args.window,
                others={"fake": psutil.Process(fake.proc.pid)},
            )
        except Exception:
            log("vega serve log (tail):\n" + tail(vega.log()))
            raise
        load_avg_after = psutil.getloadavg()[0]
        fake_stats = fake.stats()
        vega.stop(signal.SIGTERM)
        integrity = stored_replies(data / "vega" / "vega.db", load.message_ids)
        if load.errors:
            log("vega serve log (tail):\n" + tail(vega.log()))
    report = load.report()
    checks = targets(report, integrity)
    log(
        f"{report['turns']} turns ({report['turns_per_s']}/s), {report['errors']} errors, "
        f"RSS growth {report['rss_mb']['growth']} MB, healthz max {report['healthz_ms']['max']} ms"
    )
    emit(
        {
            "benchmark": "load",
            "config": {
                "streams": args.streams,
                "seconds": args.seconds,
                "ramp_s": args.ramp,
                "rss_window_s": load.window_s,
                "words_per_reply": args.words,
                "token_delay_s": args.token_delay,
                "endpoint": "POST /chat (stream: true)",
                "load_average_1m": {"before": load_avg_before, "after": load_avg_after},
                **environment(),
            },
            "streams": args.streams,
            "seconds": args.seconds,
            **report,
            "stored": integrity,
            "fake_server": fake_stats,
            "targets": checks,
            "pass": all(c["pass"] for c in checks.values()),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
