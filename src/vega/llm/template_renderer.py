"""Chat templates rendered in a child process the server can kill: the server's side.

A thread cannot be stopped from outside, and a template stuck in one long step in C
holds the interpreter lock, so the whole server would stop with it. So an in-process
engine renders its model's chat template in a child process (``vega.llm.template_sandbox``,
which also holds the budgets' details): the engine's worker waits for the reply at most
``VEGA_TEMPLATE_TIMEOUT_S`` (plus a grace), and no longer than its caller wants it, then
kills the child; the next render starts a new one. A blown budget or a template error is
one request's ``VegaError`` with a generic message: the template's own text (which may
hold anything its author wrote) goes to the log, with the request id, never to a client.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess  # the template sandbox process; its command line is fixed  # nosec B404
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any

from vega.errors import BackendError, BackendRejected, BackendUnavailable, VegaError
from vega.llm.base import Message

log = logging.getLogger(__name__)

# VEGA_TEMPLATE_TIMEOUT_S's default, for engines loaded without settings (tests, tools).
DEFAULT_TEMPLATE_TIMEOUT_S = 5.0
# The child stops a Python-level loop by itself at the deadline; this much later it is
# killed (a step in C, such as 9 ** 9 ** 9, cannot be interrupted any other way).
KILL_GRACE_S = 1.0
# Starting the child (a Python interpreter and jinja2) is not the template's time.
START_TIMEOUT_S = 30.0
# How often a render in progress checks whether its caller has gone.
POLL_S = 0.05
# The child's address space: ample for any real template, far below the machine's memory.
MEMORY_BYTES = 1 << 30
# A prompt is the messages plus the template's markup; a template may repeat a message
# (a system copy, a summary line), but nothing needs more than this.
BASE_OUTPUT_CHARS = 256 * 1024
OUTPUT_PER_INPUT_CHAR = 4
# Of a template's error, this much reaches the log.
DETAIL_CHARS = 300
READY = b"ready\n"


def output_budget(messages: Sequence[Message]) -> int:
    """The most a chat template may write for these messages."""
    return BASE_OUTPUT_CHARS + OUTPUT_PER_INPUT_CHAR * sum(len(m.content) for m in messages)


def _never() -> bool:
    return False


class _Abandoned(Exception):
    """The child did not answer: ``kind`` is ``time``, ``cancelled`` or ``crashed``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class TemplateRenderer:
    """Renders one engine's chat template in a child process, within a time budget.

    Thread-safe, one render at a time; the child starts on first use (or ``start``) and
    again after it was killed. ``close`` ends it.
    """

    def __init__(self, *, timeout_s: float, backend: str, memory_bytes: int = MEMORY_BYTES) -> None:
        self._timeout_s = timeout_s
        self._backend = backend
        self._memory_bytes = memory_bytes
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs (tests check it is replaced after a kill)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        """Start the child now, so that the first request does not wait for it."""
        with self._lock:
            self._child()

    def render(
        self,
        template: str,
        variants: Sequence[Mapping[str, Any]],
        *,
        max_chars: int,
        cancelled: Callable[[], bool] = _never,
    ) -> str:
        """The template rendered with the first of ``variants`` it accepts (see
        ``vega.llm.template_sandbox.render``); ``cancelled`` returning True abandons it."""
        request = {
            "template": template,
            "variants": list(variants),
            "max_chars": max_chars,
            "timeout_s": self._timeout_s,
        }
        line = json.dumps(request).encode("ascii") + b"\n"
        with self._lock:
            reply = self._exchange(line, cancelled)
        if "text" in reply:
            return str(reply["text"])
        raise self._failure(str(reply.get("error")), str(reply.get("detail", "")))

    def close(self) -> None:
        """Kill the child (after a render in progress, which its budget bounds)."""
        with self._lock:
            self._closed = True
            self._kill()

    # -- the child ---------------------------------------------------------------------

    def _exchange(self, line: bytes, cancelled: Callable[[], bool]) -> dict[str, Any]:
        proc = self._child()
        assert proc.stdin is not None and proc.stdout is not None
        deadline = time.monotonic() + self._timeout_s + KILL_GRACE_S
        try:
            _send(proc.stdin.fileno(), line, deadline, cancelled)
            answer = _receive(proc.stdout.fileno(), deadline, cancelled)
            reply = json.loads(answer)
        except _Abandoned as exc:
            self._kill()
            if exc.kind == "cancelled":  # nobody waits for this error
                raise BackendError("The reply was cancelled.", backend=self._backend) from None
            raise self._failure(exc.kind, str(exc)) from None
        except (OSError, ValueError) as exc:  # a broken pipe, a garbled line
            self._kill()
            raise self._failure("crashed", f"{type(exc).__name__}: {exc}") from None
        if not isinstance(reply, dict):
            self._kill()
            raise self._failure("crashed", "the reply was not a JSON object")
        return reply

    def _child(self) -> subprocess.Popen[bytes]:
        if self._closed:
            raise BackendUnavailable("The server is shutting down.", backend=self._backend)
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._kill()
        command = [
            sys.executable,
            "-P",  # not the working directory on sys.path: no module there is imported
            "-m",
            "vega.llm.template_sandbox",
            str(os.getpid()),
            str(self._memory_bytes),
        ]
        try:
            # Our own interpreter and module, no shell, nothing from a request in the command.
            self._proc = subprocess.Popen(  # noqa: S603  # nosec B603
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            assert self._proc.stdout is not None
            deadline = time.monotonic() + START_TIMEOUT_S
            if (ready := _receive(self._proc.stdout.fileno(), deadline, _never)) != READY:
                raise _Abandoned("crashed", f"it said {ready[:80]!r}")
        except (_Abandoned, OSError) as exc:
            self._kill()
            log.error("the chat template sandbox did not start: %s", exc)
            raise BackendError(
                "The chat template sandbox did not start; the server log has the details.",
                backend=self._backend,
            ) from None
        return self._proc

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.kill()
        with suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with suppress(OSError):
                    pipe.close()

    # -- what the caller sees ------------------------------------------------------------

    def _failure(self, kind: str, detail: str) -> VegaError:
        """The client's error for a failed render; the template's text goes to the log only."""
        log.warning("%s chat template failed (%s): %s", self._backend, kind, detail[:DETAIL_CHARS])
        if kind == "template":  # the template refused this conversation (raise_exception)
            return BackendRejected(
                "The model's chat template refused this conversation; "
                "the server log has the details.",
                backend=self._backend,
            )
        if kind == "time":
            return BackendError(
                f"The model's chat template did not render within {self._timeout_s:g} s "
                "(VEGA_TEMPLATE_TIMEOUT_S); the server log has the details.",
                backend=self._backend,
            )
        if kind in ("output", "memory"):
            return BackendError(
                "The model's chat template produced far more than any prompt needs; "
                "the server log has the details.",
                backend=self._backend,
            )
        return BackendError(
            "The model's chat template could not be rendered; the server log has the details.",
            backend=self._backend,
        )


def _send(fd: int, data: bytes, deadline: float, cancelled: Callable[[], bool]) -> None:
    view = memoryview(data)
    while view:
        _wait_for(fd, deadline, cancelled, write=True)
        written = os.write(fd, view[: 1 << 16])
        view = view[written:]


def _receive(fd: int, deadline: float, cancelled: Callable[[], bool]) -> bytes:
    """One line from the child, or ``_Abandoned``."""
    buffer = bytearray()
    while not buffer.endswith(b"\n"):
        _wait_for(fd, deadline, cancelled, write=False)
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise _Abandoned("crashed", "the sandbox process exited")
        buffer += chunk
    return bytes(buffer)


def _wait_for(fd: int, deadline: float, cancelled: Callable[[], bool], *, write: bool) -> None:
    while True:
        if cancelled():
            raise _Abandoned("cancelled", "the caller left")
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Abandoned("time", "the template ran past its time budget and was killed")
        watched = ([], [fd]) if write else ([fd], [])
        readable, writable, _ = select.select(*watched, [], min(left, POLL_S))
        if readable or writable:
            return
