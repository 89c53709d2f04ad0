"""The ``python`` tool runs model-written code in bubblewrap, and the code stays inside.

Each test feeds the sandbox something hostile (a loop, a 2 GB allocation, 10 MB of
output, a fork bomb, a connection, a look at the host's files and environment) and
checks that it is contained and reported. Limits are small so the file stays fast.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vega.errors import ConfigError, ToolFailed
from vega.security.keys import Principal
from vega.settings import load_settings
from vega.tools.base import ToolContext
from vega.tools.python_sandbox import SCRIPT, PythonTool, python_tool_from_settings

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None or not Path("/usr/bin/python3").exists(),
    reason="needs bubblewrap and /usr/bin/python3 (apt install bubblewrap python3)",
)

REPO = Path(__file__).resolve().parents[2]
CONTEXT = ToolContext(principal=Principal(key_id=1, name="test", admin=False))
WALL_S = 3.0
OUTPUT_CHARS = 2_000


@pytest.fixture(scope="module")
def tool() -> PythonTool:
    return PythonTool(cpu_s=1, memory_mb=128, wall_s=WALL_S, max_output_chars=OUTPUT_CHARS)


async def run(tool: PythonTool, code: str) -> tuple[str, dict[str, Any]]:
    result = await tool.run({"code": code}, CONTEXT)
    assert result.data is not None
    return result.text, result.data


def host_processes(*, namespace: str = "", marker: str = "") -> list[int]:
    """Host processes in this PID namespace (``pid:[...]``), or whose command line has
    ``marker``: what a run left behind (there should be nothing)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            found = (namespace and os.readlink(entry / "ns" / "pid") == namespace) or (
                marker and marker.encode() in (entry / "cmdline").read_bytes()
            )
        except OSError:  # gone already
            continue
        if found:
            pids.append(int(entry.name))
    return pids


# Sandboxed code that prints its PID namespace first, for host_processes.
SAY_NAMESPACE = "import os\nprint(os.readlink('/proc/self/ns/pid'), flush=True)\n"


def test_the_schema_is_what_the_model_is_shown(tool: PythonTool) -> None:
    spec = tool.spec()["function"]
    assert spec["name"] == "python"
    assert spec["parameters"]["required"] == ["code"]
    assert spec["parameters"]["additionalProperties"] is False
    assert "standard library" in spec["description"].lower()
    assert tool.timeout_s is not None and tool.timeout_s > WALL_S


async def test_prints_come_back_with_the_exit_code(tool: PythonTool) -> None:
    text, data = await run(tool, "import sys\nprint(sum(range(10)))\nprint('é', file=sys.stderr)")
    assert text == "exit code 0\n--- stdout ---\n45\n\n--- stderr ---\né\n"
    assert data["exit_code"] == 0 and data["stdout"] == "45\n" and data["stderr"] == "é\n"
    assert not data["timed_out"] and not data["truncated"] and data["stopped"] is None
    assert data["seconds"] < 2


async def test_a_traceback_is_a_result_the_model_reads(tool: PythonTool) -> None:
    text, data = await run(tool, "x = 1\nraise ValueError('boom')\n")
    assert data["exit_code"] == 1 and data["stopped"] is None
    assert text.startswith("exit code 1\n--- stderr ---\nTraceback")
    assert f'File "{SCRIPT}", line 2' in text and "raise ValueError('boom')" in text
    assert text.rstrip().endswith("ValueError: boom")
    _, data = await run(tool, "import sys; sys.exit(3)")
    assert data["exit_code"] == 3


async def test_a_crash_names_its_signal(tool: PythonTool) -> None:
    text, data = await run(tool, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    assert data["stopped"] == "signal" and data["exit_code"] == 128 + 11
    assert text.startswith("killed by signal 11 (Segmentation fault)")


async def test_an_infinite_loop_meets_the_cpu_limit(tool: PythonTool) -> None:
    started = time.monotonic()
    text, data = await run(tool, "print('start', flush=True)\nwhile True:\n    pass\n")
    assert time.monotonic() - started < WALL_S + 1
    assert data["stopped"] == "cpu" and data["exit_code"] is not None
    assert text.startswith("stopped: ran past the 1 s CPU limit")
    assert data["stdout"] == "start\n"  # what it printed before is kept


async def test_a_sleeping_program_meets_the_wall_clock(tool: PythonTool) -> None:
    started = time.monotonic()
    text, data = await run(tool, SAY_NAMESPACE + "import time\ntime.sleep(60)")
    assert WALL_S <= time.monotonic() - started < WALL_S + 2
    assert data["timed_out"] and data["stopped"] == "time" and data["exit_code"] is None
    assert text.startswith(f"stopped: ran past the {WALL_S:g} s time limit")
    namespace = data["stdout"].strip()
    assert namespace.startswith("pid:[")  # what it printed before is kept
    assert host_processes(namespace=namespace) == []


async def test_two_gigabytes_meet_the_memory_limit(tool: PythonTool) -> None:
    text, data = await run(tool, "x = bytearray(2 * 1024**3)\nprint('allocated')")
    assert data["stopped"] == "memory" and data["exit_code"] == 1
    assert "killed: memory limit (128 MB)" in text and "MemoryError" in text
    assert "allocated" not in text


async def test_ten_megabytes_of_output_are_cut_and_the_program_killed(tool: PythonTool) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    code = SAY_NAMESPACE + "import time\nprint('x' * 10_000_000)\ntime.sleep(60)"
    text, data = await run(tool, code)
    assert time.monotonic() - started < 2  # killed at the cap, not at the deadline
    assert data["truncated"] and data["stopped"] == "output" and data["exit_code"] is None
    namespace, xs = data["stdout"].split("\n")
    assert len(data["stdout"]) == OUTPUT_CHARS and xs == "x" * len(xs)
    assert host_processes(namespace=namespace) == []
    assert text.startswith(f"stopped: output cut at {OUTPUT_CHARS} characters")
    assert f"[cut at {OUTPUT_CHARS} characters]" in text and len(text) < OUTPUT_CHARS + 200
    # The parent read a few chunks, never the 10 MB (ru_maxrss is in KiB on Linux).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 8 * 1024
    # Many small lines too, and on stderr.
    _, data = await run(tool, "import sys\nfor i in range(10**7):\n    print(i, file=sys.stderr)")
    assert data["truncated"] and len(data["stderr"]) == OUTPUT_CHARS


async def test_what_the_program_leaves_behind_ends_with_it(tool: PythonTool) -> None:
    code = SAY_NAMESPACE + (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    )
    started = time.monotonic()
    _, data = await run(tool, code)
    assert time.monotonic() - started < 2 and data["exit_code"] == 0
    # Not the sleeper, and no zombie of the sandbox's PID 1 either.
    assert host_processes(namespace=data["stdout"].strip()) == []


async def test_a_fork_bomb_is_contained(tool: PythonTool) -> None:
    code = (
        SAY_NAMESPACE
        + """
import time
if os.fork() == 0:
    while True:  # every child forks as fast as it can, then sleeps
        try:
            os.fork()
        except OSError:
            time.sleep(0.05)
time.sleep(1)
print(len([p for p in os.listdir('/proc') if p.isdigit()]), flush=True)
time.sleep(60)
"""
    )
    started = time.monotonic()
    _, data = await run(tool, code)
    assert time.monotonic() - started < WALL_S + 2
    assert data["stopped"] in ("time", "cpu")
    namespace, count = data["stdout"].split()
    assert 2 < int(count) <= 16  # RLIMIT_NPROC, counted in the sandbox's own /proc
    assert host_processes(namespace=namespace) == []  # the namespace died with bwrap


@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


async def test_there_is_no_network(tool: PythonTool, listener: int) -> None:
    code = f"""
import socket
for host, port in (("127.0.0.1", {listener}), ("1.1.1.1", 53)):
    try:
        socket.create_connection((host, port), timeout=2)
        print(host, "connected")
    except OSError as exc:
        print(host, type(exc).__name__)
"""
    _, data = await run(tool, code)
    assert data["stdout"].splitlines() == [
        "127.0.0.1 ConnectionRefusedError",  # the sandbox's own empty loopback
        "1.1.1.1 OSError",  # network unreachable: no route out at all
    ]


async def test_the_host_files_are_out_of_reach(tool: PythonTool, tmp_path: Path) -> None:
    secret = tmp_path / "data" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("hunter2")
    code = f"""
import os
for path in ({str(REPO / "pyproject.toml")!r}, {str(secret)!r}, "/etc/passwd", "/root", "/home"):
    print(path, os.path.exists(path))
for path in ("/usr/evil", "/evil", "/dev/evil"):
    try:
        open(path, "w")
        print(path, "written")
    except OSError as exc:
        print(path, type(exc).__name__)
print(sorted(os.listdir("/")), os.getcwd(), os.getuid())
open("/tmp/kept.txt", "w").write("x")
open("kept.txt", "w").write("x")
"""
    _, data = await run(tool, code)
    lines = data["stdout"].splitlines()
    # /etc is not there at all: no passwd, no hosts, no resolv.conf.
    assert all(line.endswith(" False") for line in lines[:5]), lines
    assert lines[5:8] == [
        "/usr/evil OSError",  # read-only bind (EROFS)
        "/evil OSError",  # the sandbox's root, remounted read-only
        "/dev/evil OSError",  # /dev remounted read-only
    ]
    top, cwd, uid = lines[8].rsplit(" ", 2)
    links = {"'bin'", "'sbin'", "'lib'", "'lib32'", "'lib64'", "'libx32'"}  # as the host has
    assert set(top.strip("[]").split(", ")) - links == {
        "'dev'",
        "'proc'",
        "'sandbox'",
        "'tmp'",
        "'usr'",
    }
    assert (cwd, uid) == ("/sandbox", "65534")
    assert data["exit_code"] == 0
    _, data = await run(tool, "import os\nprint(os.path.exists('/tmp/kept.txt'), os.listdir('.'))")
    assert data["stdout"] == "False ['main.py']\n"


async def test_files_are_capped_in_size(tool: PythonTool) -> None:
    # The tmpfs are host memory: one file stops at 16 MB, each tmpfs at 32 MB.
    code = """
for path in ("/tmp/a", "/tmp/b", "/tmp/c"):
    try:
        with open(path, "wb") as f:
            for _ in range(20):
                f.write(bytes(1 << 20))
    except OSError as exc:
        print(path, exc.strerror)
"""
    _, data = await run(tool, code)
    assert data["stdout"].splitlines() == [
        "/tmp/a File too large",
        "/tmp/b File too large",
        "/tmp/c No space left on device",
    ]


async def test_the_servers_environment_is_not_visible(
    tool: PythonTool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEGA_SECRET", "s3cr3t-value")
    _, data = await run(tool, "import os\nprint(sorted(os.environ))")
    assert "s3cr3t" not in data["stdout"] and "VEGA" not in data["stdout"]
    assert data["stdout"] == (
        "['HOME', 'LANG', 'PATH', 'PWD', 'PYTHONDONTWRITEBYTECODE', 'PYTHONIOENCODING']\n"
    )


async def test_bad_arguments_are_tool_failures(tool: PythonTool) -> None:
    with pytest.raises(ToolFailed):
        await tool.run({"code": "x" * 100_001}, CONTEXT)
    with pytest.raises(ToolFailed):
        await tool.run({"code": 42}, CONTEXT)


def test_off_gives_no_tool_and_bwrap_gives_one(tmp_path: Path) -> None:
    assert python_tool_from_settings(load_settings(data_dir=tmp_path, code_sandbox="off")) is None
    settings = load_settings(data_dir=tmp_path, code_sandbox="bwrap", sandbox_cpu_s=3)
    tool = python_tool_from_settings(settings)
    assert tool is not None and tool.cpu_s == 3 and tool.memory_mb == 256
    assert tool.timeout_s is not None and tool.timeout_s <= settings.tool_timeout_s


def test_a_missing_bwrap_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="apt install bubblewrap"):
        PythonTool(bwrap="/nonexistent/bwrap")


def test_a_sandbox_that_cannot_start_is_a_config_error() -> None:
    # What a host without user namespaces looks like: bwrap runs, and fails.
    with pytest.raises(ConfigError, match="does not work here"):
        PythonTool(bwrap="/usr/bin/false")


async def test_a_cancelled_run_kills_the_sandbox(tool: PythonTool) -> None:
    # The agent loop's own budget cancels the call: the sandbox must not outlive it.
    marker = f"vega-test-{uuid.uuid4()}"
    code = (
        f"import os\nos.execv('/usr/bin/python3', ['python3', '-c', 'while 1: pass', {marker!r}])"
    )
    task = asyncio.create_task(tool.run({"code": code}, CONTEXT))
    for _ in range(100):
        if host_processes(marker=marker):
            break
        await asyncio.sleep(0.02)
    started = host_processes(marker=marker)
    assert started, "the sandboxed program never started"
    namespace = os.readlink(f"/proc/{started[0]}/ns/pid")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Nothing left, not even a zombie of the sandbox's PID 1.
    assert host_processes(namespace=namespace) == []
