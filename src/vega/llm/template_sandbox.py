"""Chat templates rendered under a time and an output budget: the child process's side.

A model's chat template is Jinja code from the model's files, written by whoever made
the model. Jinja's sandbox keeps it away from Python's internals, but not from running
long or writing a lot: two nested loops over ``range(100000)`` run for hours, and a loop
that prints builds gigabytes. So templates are rendered here, in a process of their own
that ``vega.llm.template_renderer`` starts and may kill, under three budgets:

- **time**: every call, attribute and item lookup, and every piece of output, checks
  the deadline, so a loop ends as soon as its time is up. One long step in C
  (``9 ** 9 ** 9``) cannot be interrupted from Python: that is why this is a process,
  which the parent kills when the deadline (plus a grace) has passed;
- **output**: the template is rendered as a stream (``Template.generate``), which stops
  once it has written more than ``max_chars``;
- **memory**: the process's address space is capped (``RLIMIT_AS``), so building a huge
  value is a ``MemoryError`` here instead of the server being killed for memory.

The environment is the one Hugging Face chat templates are written for (transformers'
``apply_chat_template``): trimmed blocks, ``loopcontrols``, the ``{% generation %}`` tag,
``raise_exception``, ``strftime_now``, a ``tojson`` that does not escape HTML, and the
safe ``dict`` and ``namespace`` transformers gives templates.

The protocol is one JSON line per render on stdin, one JSON line back on stdout (see
``main``). Only the standard library and jinja2 are imported: the process starts fast.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any, BinaryIO

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

# How many compiled templates the child keeps: one backend serves one model at a time.
COMPILED_KEPT = 4


class OverBudget(Exception):
    """The render ran out of time or output; ``kind`` says which."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, checking a deadline at every call and lookup."""

    def __init__(self) -> None:
        super().__init__(
            trim_blocks=True, lstrip_blocks=True, extensions=[_GenerationTag, loopcontrols]
        )
        self.filters["tojson"] = _tojson
        self.globals.update(
            raise_exception=_raise_exception,
            strftime_now=_strftime_now,
            dict=_dict,
            namespace=_SafeNamespace,
        )
        # One render at a time in this process: the deadline of the current one.
        self.deadline = math.inf

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise OverBudget("time", "the template ran out of time")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.check_time()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.check_time()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: str | Any) -> Any:
        self.check_time()
        return super().getitem(obj, argument)


def render(
    env: BudgetedSandbox,
    template: jinja2.Template,
    variants: Sequence[Mapping[str, Any]],
    *,
    max_chars: int,
) -> str:
    """The first of ``variants`` (the template's variables) the template accepts.

    A template that raises a ``TemplateError`` (``raise_exception``: Gemma's refuses a
    system turn) gets the next variant; any other error, or a blown budget, ends it.
    """
    for index, variables in enumerate(variants):
        try:
            return _render_one(env, template, variables, max_chars=max_chars)
        except jinja2.TemplateError:
            if index == len(variants) - 1:
                raise
    raise ValueError("no variables to render the template with")


def _render_one(
    env: BudgetedSandbox, template: jinja2.Template, variables: Mapping[str, Any], *, max_chars: int
) -> str:
    parts: list[str] = []
    size = 0
    for piece in template.generate(**variables):
        size += len(piece)
        if size > max_chars:
            raise OverBudget("output", f"the template wrote more than {max_chars} characters")
        env.check_time()
        parts.append(piece)
    return "".join(parts)


# --- what templates may use (as transformers gives them) ----------------------------------


class _GenerationTag(Extension):
    """``{% generation %}...{% endgeneration %}`` marks the assistant's text for training
    masks; a prompt needs only what is inside."""

    tags = {"generation"}  # noqa: RUF012 - Jinja reads it from the class

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.Scope(body).set_lineno(lineno)


def _raise_exception(message: str) -> None:
    raise jinja2.TemplateError(message)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    # Jinja's own tojson escapes HTML characters, which a prompt must not have.
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _strftime_now(format: str) -> str:
    return datetime.now().strftime(format)


def _dict(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    # A function, not the ``dict`` type: no class attributes for a template to reach.
    return dict(*args, **kwargs)


class _SafeNamespace(Namespace):
    """``namespace()`` that refuses underscore names, as transformers' does."""

    def __init__(*args: Any, **kwargs: Any) -> None:
        self, args = args[0], args[1:]
        attrs = dict(*args, **kwargs)
        for name in attrs:
            _check_name(name)
        Namespace.__init__(self, attrs)

    def __setitem__(self, name: str, value: Any) -> None:
        _check_name(name)
        Namespace.__setitem__(self, name, value)


def _check_name(name: object) -> None:
    if isinstance(name, str) and name.startswith("_"):
        raise jinja2.exceptions.SecurityError(f"namespace attribute {name!r} starts with '_'")


# --- the child process --------------------------------------------------------------------


def handle(
    env: BudgetedSandbox, compiled: dict[str, jinja2.Template], request: Mapping[str, Any]
) -> dict[str, Any]:
    """One render request → ``{"text"}``, or ``{"error": kind, "detail"}`` with kind
    ``time``, ``output``, ``memory``, ``syntax`` (it does not compile) or ``template``
    (it failed on these variables)."""
    env.deadline = time.monotonic() + float(request["timeout_s"])
    try:
        source = str(request["template"])
        template = compiled.get(source)
        if template is None:
            try:
                template = env.from_string(source)
            except jinja2.TemplateSyntaxError as exc:
                return {"error": "syntax", "detail": f"{type(exc).__name__}: {exc}"}
            while len(compiled) >= COMPILED_KEPT:
                compiled.pop(next(iter(compiled)))
            compiled[source] = template
        text = render(env, template, request["variants"], max_chars=int(request["max_chars"]))
    except OverBudget as exc:
        return {"error": exc.kind, "detail": str(exc)}
    except MemoryError:
        return {"error": "memory", "detail": "the template used more memory than allowed"}
    except RecursionError:
        return {"error": "template", "detail": "RecursionError: the template recursed too deep"}
    except Exception as exc:  # the template's own errors (TemplateError, TypeError, ...)
        return {"error": "template", "detail": f"{type(exc).__name__}: {exc}"}
    finally:
        env.deadline = math.inf
    return {"text": text}


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m vega.llm.template_sandbox PARENT_PID MEMORY_BYTES``: serve renders."""
    parent, memory = (int(a) for a in (argv if argv is not None else sys.argv[1:]))
    _die_with(parent)
    _cap_memory(memory)
    # Ctrl-C in a terminal reaches the whole process group: the server decides when this ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    env = BudgetedSandbox()
    compiled: dict[str, jinja2.Template] = {}
    sys.stdout.buffer.write(b"ready\n")  # the parent's render budget starts now
    sys.stdout.buffer.flush()
    serve(sys.stdin.buffer, sys.stdout.buffer, lambda request: handle(env, compiled, request))


def serve(requests: BinaryIO, replies: BinaryIO, answer: Callable[[Any], dict[str, Any]]) -> None:
    for line in requests:  # until the parent closes the pipe
        try:
            reply = answer(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            reply = {"error": "template", "detail": f"bad request: {type(exc).__name__}"}
        try:
            # ASCII: text with lone surrogates (which JSON allows) still travels intact.
            data = json.dumps(reply).encode("ascii")
        except MemoryError:
            data = json.dumps({"error": "memory", "detail": "the reply did not fit"}).encode()
        replies.write(data + b"\n")
        replies.flush()


def _die_with(parent: int) -> None:
    """End this process when the server does, even mid-render (Linux: the kernel sends
    SIGKILL; elsewhere the closed pipe ends it between renders)."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the server died before the line above took effect
        os._exit(0)


def _cap_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the time budget still holds
        return
    with suppress(ValueError, OSError):  # a lower hard limit is already set: keep it
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


if __name__ == "__main__":
    main()
