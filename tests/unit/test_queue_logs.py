"""A database that went away while the job worker ran is an outage: procrastinate's (and
asyncio's) error records about it become one warning line, not a traceback; other
errors keep theirs."""

from __future__ import annotations

import logging
import sys

from procrastinate.exceptions import ConnectorException

from vega.jobs.queue import _DatabaseErrorsInOneLine


def record(name: str, exc: BaseException, msg: str) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        info = sys.exc_info()
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, None, info)


def connector_error() -> ConnectorException:
    try:
        try:
            raise OSError("connection refused: the database system is shutting down")
        except OSError as cause:
            raise ConnectorException("\n    Database error.\n    ") from cause
    except ConnectorException as exc:
        return exc


def test_a_lost_database_is_one_warning_line() -> None:
    for name, msg in [
        ("procrastinate.utils", "listener error: ConnectorException(...)"),
        ("asyncio", "Task exception was never retrieved\nfuture: <Task finished ...>"),
    ]:
        rec = record(name, connector_error(), msg)
        assert _DatabaseErrorsInOneLine().filter(rec)
        assert rec.exc_info is None and rec.levelname == "WARNING"
        text = logging.Formatter().format(rec)
        assert "Traceback" not in text and "\n" not in text
        assert "shutting down" in text


def test_other_errors_keep_their_traceback() -> None:
    rec = record("procrastinate.worker", ValueError("a bug"), "job failed")
    assert _DatabaseErrorsInOneLine().filter(rec)
    assert rec.exc_info is not None and rec.levelname == "ERROR"
    assert "Traceback" in logging.Formatter().format(rec)
