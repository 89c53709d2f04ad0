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


# --- no secret and no forged line reaches the log (issue 13: findings 1 and 7) ------


def _emit(fmt: str, logger: str, msg: str, *args: object, secrets: tuple[str, ...] = ()) -> str:
    """What one record becomes on stderr through Vega's handler."""
    import io

    setup_logging(fmt=fmt, level="INFO", secrets=secrets)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        logging.getLogger(logger).info(msg, *args)
    finally:
        setup_logging(fmt="text", level="WARNING")
    return stream.getvalue()


KEY = "vega-Zx9_pQ2-rT5uVw8yA1bC3dE6fG7hJ0kL4mN5oP6qR"


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize(
    ("msg", "args", "secret"),
    [
        # uvicorn's own line for an accepted or refused WebSocket (its "uvicorn.error" logger)
        ('%s - "WebSocket %s" [accepted]', ("127.0.0.1:5", f"/ws?api_key={KEY}"), KEY),
        (
            '%s - "WebSocket %s" 401',
            ("127.0.0.1:5", "/ws?x=1&api_key=wrong-guess-123"),
            "wrong-guess-123",
        ),
        ("%s", ("/ws?token=abcdefgh12345&mode=qa",), "abcdefgh12345"),
        ("%s", ("Authorization: Bearer s3cr3t-t0ken-value",), "s3cr3t-t0ken-value"),
        ("%s", (f"a generated key {KEY} in some library's text",), KEY),
    ],
)
def test_credentials_are_redacted_from_every_logger(
    fmt: str, msg: str, args: tuple[object, ...], secret: str
) -> None:
    out = _emit(fmt, "uvicorn.error", msg, *args)
    assert out.strip(), "nothing was logged"
    assert secret not in out
    assert "[REDACTED]" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_configured_secrets_are_redacted_whatever_their_shape(fmt: str) -> None:
    chosen = "correct-horse-battery-staple"
    out = _emit(fmt, "vega.test", "connecting with %s", chosen, secrets=(chosen,))
    assert chosen not in out and "[REDACTED]" in out


def test_the_display_prefix_of_a_key_stays_readable() -> None:
    out = _emit("text", "vega.keys", "revoked key %s (%s)", "team-b", "vega-Zx9_")
    assert "vega-Zx9_" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize(
    "evil",
    [
        "/a\r\n2026-01-01 00:00:00,000 INFO    vega.access [-] GET /admin 200",
        "/a\n",
        "/a\x1b[2J\x1b[31mred",
        "/a\u2028forged",
        "/a\x85NEL",
        "/report\u202etxt.exe",
        "/a\u200bhidden",
    ],
)
def test_control_characters_in_any_field_cannot_forge_or_hide_a_line(fmt: str, evil: str) -> None:
    import io

    setup_logging(fmt=fmt, level="INFO")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        logging.getLogger("vega.access").info(
            "%s %s %s", "GET", evil, 404, extra={"route": "unmatched", "agent": evil}
        )
    finally:
        setup_logging(fmt="text", level="WARNING")
    out = stream.getvalue()
    assert out.count("\n") == 1 and out.endswith("\n"), out
    body = out[:-1]
    for char in "\r\x1b\u2028\x85\u202e\u200b":
        assert char not in body
    if fmt == "json":
        data = json.loads(body)
        assert data["message"].startswith("GET /a") or data["message"].startswith("GET /report")
        assert "\n" not in data["message"] and "\n" not in data["agent"]


def test_tracebacks_stay_multiline_but_redacted() -> None:
    import io

    setup_logging(fmt="text", level="INFO")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        try:
            raise RuntimeError(f"upstream said: bad key {KEY}")
        except RuntimeError:
            logging.getLogger("vega.test").exception("it failed")
    finally:
        setup_logging(fmt="text", level="WARNING")
    out = stream.getvalue()
    assert "Traceback (most recent call last)" in out and out.count("\n") > 2
    assert KEY not in out
