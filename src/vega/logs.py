"""Logging: one line per event, text for people or JSON for machines, with the request id.

Prompts and document bodies are never passed to a logger: log what happened, not what was said.

Every record, whoever logs it (Vega, uvicorn, a library), passes one filter on the way
out (``_Scrub``), so two rules hold for every line in both formats:

- **No secret reaches a log line.** Credentials in URL queries (the WebSocket takes
  ``?api_key=``, and uvicorn logs the path with its query), bearer tokens, anything
  shaped like a Vega key, and the configured secrets themselves are replaced by
  ``[REDACTED]``.
- **One event, one line.** Control, line-separator and bidi/format characters in the
  message and its fields (a path with ``%0d%0a``, a client's name, a user agent) are
  written as escapes (``\\r``, ``\\x1b``, ``\\u202e``), so a request cannot forge or hide
  lines. Tracebacks stay multi-line: they are Vega's own text, only redacted.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("vega_request_id", default=None)
# The client's address (the peer, as the server sees it): what the audit log records.
client_address_var: ContextVar[str | None] = ContextVar("vega_client_address", default=None)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured duplicate of the message
}


REDACTED = "[REDACTED]"
# A credential in a URL query: ?api_key=..., &token=..., ?key=..., password=...
_QUERY_SECRET = re.compile(
    r"(?i)(?<![A-Za-z0-9_])((?:api[_-]?key|access[_-]?token|token|key|secret|password|passwd|auth)=)"
    r"[^&#\s\"']+"
)
_BEARER = re.compile(r"(?i)(\bbearer\s+)[^\s\"',;]+")
# Generated keys are "vega-" and 43 URL-safe characters; the display prefix ("vega-" and
# four more) is not a secret and stays readable.
_VEGA_KEY = re.compile(r"vega-[A-Za-z0-9_\-]{16,}")
# C0 and C1 controls, DEL, line and paragraph separators, and the format characters
# that reorder or hide text (bidi overrides and isolates, zero-width characters, BOM).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every character that could break or disguise a log line escaped."""
    return _UNSAFE.sub(_escape_char, text) if _UNSAFE.search(text) else text


class Redactor:
    """Replaces secrets in text: credential-shaped values, and these exact ``secrets``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if "=" in text:
            text = _QUERY_SECRET.sub(rf"\g<1>{REDACTED}", text)
        if "vega-" in text:
            text = _VEGA_KEY.sub(REDACTED, text)
        if "earer" in text or "EARER" in text:
            text = _BEARER.sub(rf"\g<1>{REDACTED}", text)
        return text


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class _Scrub(logging.Filter):
    """Redacts and escapes a record's message and fields in place (see the module doc)."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def _clean(self, text: str) -> str:
        return escape_controls(self._redact(text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._clean(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and isinstance(value, str):
                record.__dict__[key] = self._clean(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {
            k: v
            for k, v in record.__dict__.items()
            if k not in _STANDARD and k != "request_id" and not k.startswith("_")
        }
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return line


def setup_logging(*, fmt: str = "text", level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Send every logger's records (uvicorn's too) through one handler on stderr.

    ``secrets`` (the configured keys) are redacted wherever they appear, on top of
    what is redacted by its shape.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(_Scrub(Redactor(secrets)))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Our access log replaces uvicorn's (it has the request id, route and latency).
    logging.getLogger("uvicorn.access").disabled = True
    # uvicorn's own loggers carry handlers of their own when a log config gave them
    # some: they must write through ours, filters included.
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers[:] = []
        uvicorn_logger.propagate = True
    for noisy in ("aiohttp", "httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
