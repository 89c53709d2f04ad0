"""Run one function in a fresh, fenced child process and bring its answer back.

Document parsers (pypdf, lxml through python-docx, zipfile, html.parser) can spin
for minutes or balloon to gigabytes on a crafted file. A thread cannot be stopped
and a signal-based timeout only works on the main thread, so the parser runs in a
child process that the parent can kill: one fresh process per call, with an
address-space cap (``RLIMIT_AS``) and a wall-clock deadline.

The child is started from the ``forkserver`` context: unlike ``fork`` it does not
copy the caller's threads and locks (the caller is often an asyncio server's worker
thread), and unlike ``spawn`` it does not start a new interpreter every time.

The answer travels back as JSON, never pickle: the child has just parsed hostile
input, so the parent treats what it sends as data to validate, not objects to
rebuild (DESIGN.md section 6: no pickle for anything a user can supply).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from vega import errors
from vega.errors import VegaError

# How long a child that has answered gets to exit on its own before it is killed.
_EXIT_GRACE_S = 2.0


class IsolationTimeout(Exception):
    """The child did not answer within the deadline and was killed."""


class IsolationCrashed(Exception):
    """The child died without answering (out of memory, killed, a crash in C code)."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"child exited with code {exitcode}")
        self.exitcode = exitcode


def call_isolated(
    fn: Callable[..., Any],
    kwargs: Mapping[str, Any],
    *,
    timeout_s: float,
    memory_mb: int,
    max_reply_bytes: int,
    preload: Sequence[str] = (),
) -> Any:
    """Call ``fn(**kwargs)`` in a child process and return its JSON-able result.

    ``fn`` must be a module-level function (the child imports it by name) and return
    something ``json.dumps`` accepts. A ``VegaError`` raised in the child is raised here
    again as the same class with the same message. Raises ``IsolationTimeout`` past
    ``timeout_s`` and ``IsolationCrashed`` when the child dies or sends garbage.

    The ``preload`` modules are imported before the memory cap applies: the cap is
    for parsing the input, not for loading libraries.
    """
    ctx = multiprocessing.get_context("forkserver")
    receiver, sender = ctx.Pipe(duplex=False)
    # daemon: if the caller exits while a parser is still running, the parser goes too.
    child = ctx.Process(
        target=_child_main,
        args=(sender, fn, dict(kwargs), memory_mb, tuple(preload)),
        daemon=True,
    )
    try:
        child.start()
        # Only the child writes; closing our copy lets recv see EOF if the child dies.
        sender.close()
        reply = _await_reply(receiver, child, timeout_s, max_reply_bytes)
    finally:
        sender.close()
        receiver.close()
        exitcode = _reap(child)
    return _unpack(reply, exitcode)


def _await_reply(
    receiver: Connection, child: BaseProcess, timeout_s: float, max_reply_bytes: int
) -> bytes | None:
    """The child's reply, or None when it died first; raises on the deadline."""
    try:
        if not receiver.poll(timeout_s):
            if child.is_alive():
                child.kill()  # now, not after the exit grace: it is stuck, not finishing
                raise IsolationTimeout(f"no answer within {timeout_s:g} s")
            return None
        return receiver.recv_bytes(max_reply_bytes)
    except (EOFError, OSError):
        # EOF: the child exited without writing. OSError: the reply was over
        # max_reply_bytes, which the child never sends on purpose.
        return None


def _reap(child: BaseProcess) -> int | None:
    """Make sure the child is gone and its resources released; its exit code."""
    if child.pid is None:  # start() failed
        return None
    child.join(_EXIT_GRACE_S)
    if child.is_alive():
        child.kill()
        child.join()
    exitcode = child.exitcode
    child.close()
    return exitcode


def _unpack(reply: bytes | None, exitcode: int | None) -> Any:
    if reply is None:
        raise IsolationCrashed(exitcode)
    try:
        message = json.loads(reply)
        status = message["status"]
    except (ValueError, TypeError, KeyError) as exc:
        raise IsolationCrashed(exitcode) from exc
    if status == "ok":
        return message.get("result")
    if status == "error":
        raise _rebuild_error(message.get("error"), message.get("message"))
    raise IsolationCrashed(exitcode)


def _rebuild_error(name: object, message: object) -> VegaError:
    """The parent-side twin of an error raised in the child, looked up by name only."""
    text = message if isinstance(message, str) else "the document reader failed"
    cls = getattr(errors, name, None) if isinstance(name, str) else None
    if isinstance(cls, type) and issubclass(cls, VegaError):
        try:
            return cls(text)
        except TypeError:  # an error class that needs more than a message
            pass
    return VegaError(text)


# --- in the child ------------------------------------------------------------


def _child_main(
    sender: Connection,
    fn: Callable[..., Any],
    kwargs: dict[str, Any],
    memory_mb: int,
    preload: tuple[str, ...],
) -> None:
    for module in preload:
        with contextlib.suppress(ImportError):  # the call itself reports what is missing
            importlib.import_module(module)
    _limit_memory(memory_mb)
    try:
        reply: dict[str, Any] = {"status": "ok", "result": fn(**kwargs)}
    except VegaError as exc:
        reply = {"status": "error", "error": type(exc).__name__, "message": exc.message}
    except BaseException as exc:  # report anything else as a crash, without details
        reply = {"status": "crashed", "error": type(exc).__name__}
    try:
        sender.send_bytes(json.dumps(reply, ensure_ascii=False).encode())
    except (MemoryError, ValueError):
        # Serialising a large result can be what runs out, and text with a lone
        # surrogate cannot be encoded; exiting without a reply reads as a crash.
        pass
    finally:
        sender.close()


def _limit_memory(memory_mb: int) -> None:
    """Cap the child's address space and turn off core dumps; best effort.

    Not every platform has these limits (macOS ignores RLIMIT_AS, Windows has no
    ``resource``), and an administrator's hard limit may already be lower.
    """
    try:
        import resource
    except ImportError:
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory_mb << 20
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
