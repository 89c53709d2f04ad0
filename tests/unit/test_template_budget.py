"""The chat template budget, on its own: the sandboxed environment and its checks
(``vega.llm.template_sandbox``, in this process), and the child process the server
renders in and kills (``vega.llm.template_renderer``)."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import alive
from vega.errors import BackendError, BackendRejected, BackendUnavailable
from vega.llm.template_renderer import TemplateRenderer
from vega.llm.template_sandbox import BudgetedSandbox, handle, render

# Two nested loops over range(100000): 10^10 turns, hours of rendering.
SPIN = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
# The same loops, writing: 10^11 characters.
FLOOD = "{% for a in range(100000) %}{% for b in range(100000) %}0123456789{% endfor %}{% endfor %}"
# One step in C (a number of 370 million digits): no Python-level check can stop it.
C_STEP = "{{ 9 ** (9 ** 9) }}"
# 4 GB in one allocation.
HOARD = "{% set x = 'x' * 4000000000 %}{{ x | length }}"
SECRET = "TEMPLATE-SECRET-41d7"
CHAT = [{"role": "user", "content": "hi"}]
# Margins for a loaded machine: a budget of 1 s is checked against several.
SLACK_S = 5.0


def request(template: str, *, timeout_s: float = 30.0, max_chars: int = 100_000) -> dict[str, Any]:
    variants = [{"messages": CHAT, "add_generation_prompt": True}]
    return {
        "template": template,
        "variants": variants,
        "max_chars": max_chars,
        "timeout_s": timeout_s,
    }


@pytest.fixture
def renderer() -> Any:
    made = TemplateRenderer(timeout_s=1.0, backend="transformers")
    yield made
    made.close()


# --- the environment, in this process ---------------------------------------------------


def test_a_loop_that_writes_nothing_stops_at_the_deadline() -> None:
    env = BudgetedSandbox()
    started = time.monotonic()
    reply = handle(env, {}, request(SPIN, timeout_s=0.5))
    assert reply["error"] == "time"
    assert time.monotonic() - started < 0.5 + SLACK_S
    # The budget was this render's: the next one has its own.
    assert handle(env, {}, request("{{ messages[0].content }}"))["text"] == "hi"


def test_output_stops_at_the_cap_long_before_the_deadline() -> None:
    started = time.monotonic()
    reply = handle(BudgetedSandbox(), {}, request(FLOOD, timeout_s=60, max_chars=50_000))
    assert reply["error"] == "output"
    assert time.monotonic() - started < SLACK_S


def test_templates_render_as_transformers_renders_them(tiny_model: Path) -> None:
    """The sandbox is a stand-in for apply_chat_template: same text, same variables."""
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tiny_model))
    chatml = (  # the constructs real templates use: namespace, loop controls, tojson, generation
        "{% set ns = namespace(system='') %}"
        "{% for m in messages %}{% if m.role == 'system' %}{% set ns.system = m.content %}"
        "{% continue %}{% endif %}"
        "<|im_start|>{{ m.role }}\n{% if m.role == 'assistant' %}{% generation %}"
        "{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}<|im_end|>\n"
        "{% endfor %}{{ {'system': ns.system, 'bos': bos_token} | tojson }}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    chat = [
        {"role": "system", "content": "Be <brief> & kind."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": 'What is "2"+2?'},
    ]
    env = BudgetedSandbox()
    for template in (tokenizer.chat_template, chatml):
        expected = tokenizer.apply_chat_template(
            chat, chat_template=template, tokenize=False, add_generation_prompt=True
        )
        variables = {
            **tokenizer.special_tokens_map,
            "messages": chat,
            "tools": None,
            "documents": None,
            "add_generation_prompt": True,
        }
        assert render(env, env.from_string(template), [variables], max_chars=10**6) == expected


def test_a_template_that_refuses_a_variant_gets_the_next() -> None:
    no_system = (
        "{% if messages[0].role == 'system' %}{{ raise_exception('no system turn') }}{% endif %}"
        "{% for m in messages %}[{{ m.role }}] {{ m.content }}{% endfor %}"
    )
    env = BudgetedSandbox()
    with_system = {"messages": [{"role": "system", "content": "S"}, *CHAT]}
    folded = {"messages": [{"role": "user", "content": "S\n\nhi"}]}
    assert render(env, env.from_string(no_system), [with_system, folded], max_chars=100) == (
        "[user] S\n\nhi"
    )


# --- the sandbox process -------------------------------------------------------------------


def test_a_loop_is_stopped_inside_the_sandbox(renderer: TemplateRenderer) -> None:
    renderer.start()
    pid = renderer.pid
    started = time.monotonic()
    with pytest.raises(BackendError, match="did not render within 1 s") as caught:
        renderer.render(SPIN, [{}], max_chars=1000)
    assert time.monotonic() - started < 1 + SLACK_S
    assert "range" not in caught.value.message
    assert renderer.pid == pid  # stopped by its own check: no kill, no restart


def test_a_step_in_c_is_killed_and_the_next_render_gets_a_new_sandbox(
    renderer: TemplateRenderer,
) -> None:
    renderer.start()
    first = renderer.pid
    assert first is not None
    started = time.monotonic()
    with pytest.raises(BackendError, match="did not render within"):
        renderer.render(C_STEP, [{}], max_chars=1000)
    assert time.monotonic() - started < 1 + 1 + SLACK_S  # the budget, the grace, slack
    assert not alive(first)
    assert renderer.render("{{ messages[0].content }}!", [{"messages": CHAT}], max_chars=99) == (
        "hi!"
    )
    assert renderer.pid not in (None, first)


def test_output_and_memory_are_capped(renderer: TemplateRenderer) -> None:
    renderer.start()
    pid = renderer.pid
    for template in (FLOOD, HOARD):
        started = time.monotonic()
        with pytest.raises(BackendError, match="far more than any prompt needs"):
            renderer.render(template, [{}], max_chars=100_000)
        assert time.monotonic() - started < SLACK_S
    assert renderer.pid == pid  # a MemoryError in the sandbox, not the server killed


def test_the_template_s_text_goes_to_the_log_never_to_the_caller(
    renderer: TemplateRenderer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="vega.llm.template_renderer")
    for template, error in (
        ("{{ raise_exception('" + SECRET + "') }}", BackendRejected),
        ("{% for x in '" + SECRET + "' %}", BackendError),  # does not compile
    ):
        with pytest.raises(error) as caught:
            renderer.render(template, [{}], max_chars=1000)
        assert SECRET not in caught.value.message
        assert "server log" in caught.value.message
    assert SECRET in caplog.text


def test_a_caller_that_leaves_ends_the_render_at_once() -> None:
    renderer = TemplateRenderer(timeout_s=60, backend="llamacpp")
    gone = threading.Event()
    threading.Timer(0.3, gone.set).start()
    try:
        renderer.start()
        pid = renderer.pid
        assert pid is not None
        started = time.monotonic()
        with pytest.raises(BackendError, match="cancelled"):
            renderer.render(C_STEP, [{}], max_chars=1000, cancelled=gone.is_set)
        assert time.monotonic() - started < SLACK_S  # not the 60 s budget
        assert not alive(pid)
    finally:
        renderer.close()


def test_close_ends_the_sandbox_and_refuses_more(renderer: TemplateRenderer) -> None:
    renderer.start()
    pid = renderer.pid
    assert pid is not None and alive(pid)
    renderer.close()
    assert not alive(pid)
    with pytest.raises(BackendUnavailable, match="shutting down"):
        renderer.render("x", [{}], max_chars=10)


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal is Linux's")
def test_the_sandbox_dies_with_the_server_even_mid_render(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, threading, time
        from vega.llm.template_renderer import TemplateRenderer

        renderer = TemplateRenderer(timeout_s=600, backend="transformers")
        renderer.start()
        print(renderer.pid, flush=True)
        threading.Thread(
            target=renderer.render, args=({C_STEP!r}, [{{}}]), kwargs={{"max_chars": 10}},
            daemon=True,
        ).start()
        time.sleep(1)
        os._exit(0)  # the server dies: no close(), no cleanup
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + SLACK_S
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
