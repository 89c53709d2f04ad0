from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import Api
from vega.logs import JsonFormatter, TextFormatter, request_id_var, setup_logging


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "vega.access", logging.INFO, __file__, 1, "GET %s", ("/healthz",), None
    )
    record.__dict__.update(extra)
    record.request_id = "rid-1"
    return record


def test_json_lines_carry_the_request_id_and_fields() -> None:
    line = JsonFormatter().format(_record(route="/healthz", status=200, latency_ms=1.5))
    data = json.loads(line)
    assert data["message"] == "GET /healthz"
    assert data["request_id"] == "rid-1"
    assert (data["route"], data["status"], data["latency_ms"]) == ("/healthz", 200, 1.5)
    assert data["level"] == "info"


def test_text_lines_are_one_line_with_fields() -> None:
    line = TextFormatter().format(_record(route="/chat", status=401))
    assert "\n" not in line
    assert "[rid-1]" in line and "route=/chat status=401" in line


async def test_requests_are_logged_once_with_id_and_never_with_the_prompt(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    setup_logging(fmt="json", level="DEBUG")
    root = logging.getLogger()
    root.addHandler(caplog.handler)
    try:
        secret = "my-very-private-question-7781"
        r = await api.client.post("/chat", json={"prompt": secret}, headers=api.auth())
        assert r.status_code == 200
    finally:
        root.removeHandler(caplog.handler)
        setup_logging(fmt="text", level="WARNING")
    access = [rec for rec in caplog.records if rec.name == "vega.access"]
    assert len(access) == 1
    assert access[0].request_id == r.headers["x-request-id"]  # type: ignore[attr-defined]
    assert access[0].status == 200  # type: ignore[attr-defined]
    for rec in caplog.records:
        assert secret not in rec.getMessage()
        assert secret not in json.dumps(rec.__dict__, default=str)
    assert request_id_var.get() is None
