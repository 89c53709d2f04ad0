"""The agent loop's rules on the scripted backend, with tools made for the test: calls
run (at once), results go back to the model, every step is stored and streamed, and
every way a tool or a model can misbehave ends in a refused step or a clear error."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import aclosing
from typing import Any

import pytest

from tests.fakes.backends import Step
from tests.unit.conftest import MakeServices, Services
from vega.chat.service import ChatEvent, ChatRequest, TurnDone
from vega.chat.turn import ToolAnswered, ToolCalled
from vega.errors import AgentLimit, BadInput, ToolFailed
from vega.llm.base import ToolCall
from vega.store import tool_steps
from vega.tools.base import Tool, ToolContext, ToolOutput


class Echo(Tool):
    name = "echo"
    description = "Says the text back."
    parameters = {  # noqa: RUF012
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
        "additionalProperties": False,
    }

    def __init__(self) -> None:
        self.seen: list[tuple[dict[str, Any], int]] = []

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        self.seen.append((arguments, context.principal.owner))
        return ToolOutput(text=f"echo: {arguments['text']}")


class Sleepy(Tool):
    name = "sleepy"
    description = "Sleeps."
    parameters = {"type": "object", "properties": {"s": {"type": "number"}}}  # noqa: RUF012

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        await asyncio.sleep(float(arguments.get("s", 3600)))
        return ToolOutput(text="awake")


class Broken(Tool):
    name = "broken"
    description = "Fails."
    parameters = {"type": "object"}  # noqa: RUF012

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        raise self.error


class Huge(Tool):
    name = "huge"
    description = "Returns 10 MB."
    parameters = {"type": "object"}  # noqa: RUF012

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        return ToolOutput(text="x" * 10_000_000)


class Cited(Tool):
    name = "cited"
    description = "Finds a web page."
    parameters = {"type": "object"}  # noqa: RUF012

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        page = {"title": "Glaciers", "url": "https://example.org/ice", "snippet": "Ice moves."}
        return ToolOutput(text="", sources=(page,))


def call(name: str, arguments: Any = None, call_id: str | None = None) -> ToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return ToolCall(id=call_id or f"call_{name}", name=name, arguments=text)


async def with_tools(make_services: MakeServices, *tools: Tool, **settings: Any) -> Services:
    services = await make_services(**settings)
    for tool in tools:
        services.runtime.tools.add(tool, replace=True)
    return services


async def events_of(services: Services, request: ChatRequest) -> list[ChatEvent]:
    events: list[ChatEvent] = []
    async with aclosing(services.chat.stream(request, services.owner)) as stream:
        async for event in stream:
            events.append(event)
    return events


def agent(prompt: str, *names: str, **fields: Any) -> ChatRequest:
    return ChatRequest(prompt=prompt, server_tools=names, **fields)


async def test_a_call_runs_and_the_model_answers_from_its_result(
    make_services: MakeServices,
) -> None:
    echo = Echo()
    services = await with_tools(make_services, echo)
    services.backend.steps = [
        Step(tokens=["Let me check."], tool_calls=[call("echo", {"text": "hi"})]),
        Step(tokens=["It said hi."]),
    ]
    events = await events_of(services, agent("Echo hi", "echo", session_id="a1"))

    called = [e for e in events if isinstance(e, ToolCalled)]
    answered = [e for e in events if isinstance(e, ToolAnswered)]
    done = events[-1]
    assert isinstance(done, TurnDone)
    assert [(c.step, c.call.name) for c in called] == [(1, "echo")]
    assert [(a.status, a.result) for a in answered] == [("ok", "echo: hi")]
    assert done.response == "Let me check.It said hi."
    assert done.finish_reason == "stop"
    assert done.tool_calls == ()  # server calls are not the client's to run
    assert echo.seen == [({"text": "hi"}, services.owner.owner)]
    # The second model call saw the call and its result, and was offered the tool.
    second, params = services.backend.calls[1]
    assert [m.role for m in second][-2:] == ["assistant", "tool"]
    assert second[-1].content == "echo: hi" and second[-1].tool_call_id == "call_echo"
    assert [t.name for t in params.tools] == ["echo"]
    # Stored under the answer.
    detail = await services.stored("a1")
    reply = detail.messages[-1]
    assert reply.role == "assistant" and reply.id == done.message_id
    assert [(s["name"], s["status"], s["result"]) for s in reply.steps] == [
        ("echo", "ok", "echo: hi")
    ]


async def test_independent_calls_run_at_once(make_services: MakeServices) -> None:
    services = await with_tools(make_services, Sleepy())
    services.backend.steps = [
        Step(
            tokens=[],
            tool_calls=[call("sleepy", {"s": 0.5}, f"call_{i}") for i in range(4)],
        ),
        Step(tokens=["Rested."]),
    ]
    started = time.perf_counter()
    events = await events_of(services, agent("Sleep four times", "sleepy"))
    elapsed = time.perf_counter() - started
    assert sum(isinstance(e, ToolAnswered) for e in events) == 4
    assert elapsed < 1.5  # four half-second calls, together


@pytest.mark.parametrize(
    ("bad_call", "expected"),
    [
        (call("nowhere", {}), "Unknown tool 'nowhere'"),
        (call("echo", "{not json"), "not valid JSON"),
        (call("echo", {"text": 5}), "text: 5 is not of type 'string'"),
        (call("echo", {"text": "a", "extra": 1}), "Additional properties"),
        (call("echo", "[1, 2]"), "must be a JSON object"),
    ],
)
async def test_bad_calls_are_refused_steps_the_model_reads(
    make_services: MakeServices, bad_call: ToolCall, expected: str
) -> None:
    services = await with_tools(make_services, Echo())
    services.backend.steps = [Step(tokens=[], tool_calls=[bad_call]), Step(tokens=["Sorry."])]
    events = await events_of(services, agent("Try it", "echo"))
    answered = [e for e in events if isinstance(e, ToolAnswered)]
    assert answered[0].status == "refused" and expected in answered[0].result
    assert isinstance(events[-1], TurnDone) and events[-1].response == "Sorry."
    assert services.backend.calls[1][0][-1].content == answered[0].result


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        (Sleepy(), "did not finish within 0.3 s"),
        (Broken(ToolFailed("the upstream said no")), "tool_failed: the upstream said no"),
        (Broken(RuntimeError("a bug")), "failed (RuntimeError)"),
    ],
)
async def test_a_tool_that_hangs_or_raises_is_an_error_step(
    make_services: MakeServices, tool: Tool, expected: str
) -> None:
    services = await with_tools(make_services, tool, tool_timeout_s=0.3)
    services.backend.steps = [Step(tokens=[], tool_calls=[call(tool.name)]), Step(tokens=["Ok."])]
    events = await events_of(services, agent("Go", tool.name, session_id="t1"))
    answered = [e for e in events if isinstance(e, ToolAnswered)]
    assert answered[0].status == "error" and expected in answered[0].result
    assert isinstance(events[-1], TurnDone)
    steps = (await services.stored("t1")).messages[-1].steps
    assert steps[0]["status"] == "error" and expected in (steps[0]["error"] or "")


async def test_a_10_mb_result_is_cut_before_the_model_reads_it(
    make_services: MakeServices,
) -> None:
    services = await with_tools(make_services, Huge(), tool_max_output_chars=1000)
    services.backend.steps = [Step(tokens=[], tool_calls=[call("huge")]), Step(tokens=["Big."])]
    await events_of(services, agent("Go", "huge"))
    sent = services.backend.calls[1][0][-1].content
    assert len(sent) < 1100 and "cut: 9999000 more characters" in sent


async def test_a_model_that_calls_tools_forever_is_stopped(make_services: MakeServices) -> None:
    services = await with_tools(make_services, Echo(), agent_max_steps=3)
    services.backend.default = Step(tokens=[], tool_calls=[call("echo", {"text": "again"})])
    with pytest.raises(AgentLimit, match="kept calling tools after 3 steps"):
        await events_of(services, agent("Loop", "echo", session_id="f1"))
    # The last call was offered no tools; the steps made are stored, and so is the turn.
    assert [len(p.tools) for _, p in services.backend.calls] == [1, 1, 0]
    detail = await services.stored("f1")
    assert detail.messages[-1].status == "error"
    rows = await services.runtime.db.run(
        lambda s: tool_steps.of_replies(
            s, owner=services.owner.owner, reply_ids=[detail.messages[-1].id]
        )
    )
    assert [r.step for r in rows] == [1, 2]


async def test_the_time_budget_stops_the_turn(make_services: MakeServices) -> None:
    services = await with_tools(make_services, Sleepy(), agent_time_budget_s=0.5)
    services.backend.default = Step(tokens=[], tool_calls=[call("sleepy", {"s": 0.2})])
    with pytest.raises(AgentLimit, match=r"0\.5 s budget"):
        await events_of(services, agent("Loop", "sleepy"))


async def test_sources_from_tools_are_numbered_after_the_turns_own(
    make_services: MakeServices,
) -> None:
    services = await with_tools(make_services, Cited())
    await services.add_document("Glaciers carve valleys.", filename="ice.md", collection="geo")
    services.backend.steps = [Step(tokens=[], tool_calls=[call("cited")]), Step(tokens=["[2]"])]
    events = await events_of(services, agent("Ice?", "cited", collection="geo", session_id="c1"))
    done = events[-1]
    assert isinstance(done, TurnDone)
    assert [s["rank"] for s in done.sources] == [1, 2]
    assert done.sources[1]["url"] == "https://example.org/ice"
    assert "[2] Glaciers (https://example.org/ice)" in services.backend.calls[1][0][-1].content
    stored = (await services.stored("c1")).messages[-1].sources
    assert [s.get("url") for s in stored] == [None, "https://example.org/ice"]


async def test_unknown_tools_and_no_tools_are_refused_before_anything_is_stored(
    services: Services,
) -> None:
    with pytest.raises(BadInput, match="Unknown tool 'nope'"):
        await events_of(services, agent("Hi", "nope", session_id="n1"))
    for tool in list(services.runtime.tools):
        services.runtime.tools.remove(tool.name)
    with pytest.raises(BadInput, match="needs tools"):
        await events_of(services, ChatRequest(prompt="Hi", agent=True, session_id="n1"))
    with pytest.raises(Exception, match="No conversation"):
        await services.stored("n1")


async def test_agent_mode_offers_every_enabled_tool(make_services: MakeServices) -> None:
    services = await with_tools(make_services, Echo())
    await events_of(services, ChatRequest(prompt="Hi", agent=True))
    offered = {t.name for t in services.backend.calls[0][1].tools}
    assert {"echo", "search_documents"} <= offered
