"""The ``python`` tool: model-written Python run in bubblewrap (DESIGN.md section 12).

Off by default; with ``VEGA_CODE_SANDBOX=bwrap`` each call runs in a fresh sandbox:
Debian's ``/usr/bin/python3 -I -S`` (standard library only, not the server's venv) as
``nobody``, seeing a read-only ``/usr`` (and the ``/bin``, ``/lib*`` links into it), its
own ``/proc`` and a minimal ``/dev``, and nothing else of the host: no ``/etc``, home,
``/work`` or data dir, and an emptied environment. Only ``/tmp`` and the working dir
``/sandbox`` are writable, size-capped tmpfs thrown away afterwards. Network, PID, IPC
and UTS namespaces of its own (the network has only an empty loopback), no capabilities,
no nested user namespaces, a new session. A launcher, the sandbox's PID 1, starts the code
under rlimits (CPU, address space, file size, processes, open files): set from here they
would need ``preexec_fn``, unsafe with threads. The wall clock and the output caps are
enforced here: past ``max_output_chars`` on a stream the sandbox is killed, so gigabytes
of output cost a few kilobytes.

Run as root, the server starts bwrap as ``nobody``: the kernel never applies
``RLIMIT_NPROC`` to processes whose real uid is root, and the sandbox's uid maps to its
caller's, so a fork bomb started by root would not be contained.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import os
import shutil
import signal
import subprocess  # bwrap with a fixed command line; the code travels in a memfd  # nosec B404
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vega.errors import ConfigError, ToolFailed
from vega.tools.base import Tool, ToolContext, ToolOutput

if TYPE_CHECKING:
    from vega.settings import Settings

PYTHON = "/usr/bin/python3"  # Debian's, whose libraries live under /usr
MAX_CODE_CHARS = 100_000
NOBODY = 65534
WORKDIR = "/sandbox"
TMP = "/tmp"  # noqa: S108  # nosec B108 - the sandbox's own tmpfs, not the host's /tmp
SCRIPT = f"{WORKDIR}/main.py"  # a real file, so tracebacks quote the failing line
TMPFS_BYTES = 32 << 20  # each of /tmp and /sandbox: tmpfs is host memory, not RLIMIT_AS
FILE_BYTES = 16 << 20
MAX_PROCESSES = 16  # threads count too; the launcher and the code are two of them
MAX_OPEN_FILES = 256
# Time to start the sandbox and reap it after a kill: the loop's budget (``timeout_s``)
# is the code's wall time plus this, so our own deadline always fires first.
GRACE_S = 2.0
PROBE_TIMEOUT_S = 15.0
CHUNK = 1 << 16

# PID 1 of the sandbox (bwrap --as-pid-1): start the code with the limits set, reap
# whatever ends up orphaned, and exit with the code's status (128 + n for signal n); the
# kernel then kills what is left. bwrap's own PID 1 would outlive bwrap instead, and end
# as a zombie of the host's init: forever where that is Vega itself (a container).
_LAUNCHER = """import os,resource as r,sys
p=os.fork()
if p==0:
 for i in sys.argv[1].split(','):
  n,s,h=i.split(':');r.setrlimit(getattr(r,'RLIMIT_'+n),(int(s),int(h)))
 os.execv(sys.argv[2],sys.argv[2:])
while (w:=os.wait())[0]!=p:pass
c=os.waitstatus_to_exitcode(w[1]);os._exit(128-c if c<0 else c)
"""
_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": TMP,
    "LANG": "C.UTF-8",
    # -I ignores these; they matter to Pythons the code starts itself (subprocess).
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONIOENCODING": "utf-8",
}


@dataclass(slots=True)
class _Stream:
    """One of stdout/stderr, decoded as it arrives and cut at ``limit`` characters."""

    limit: int
    text: str = ""
    cut: bool = False
    decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace")
    )

    async def drain(self, reader: asyncio.StreamReader, on_cut: Callable[[], None]) -> None:
        """Read to the end; past the limit, call ``on_cut`` (which kills the sandbox) and
        discard the rest, so that the pipe still reaches its end and closes."""
        while chunk := await reader.read(CHUNK):
            self._add(self.decoder.decode(chunk), on_cut)
        self._add(self.decoder.decode(b"", final=True), on_cut)

    def _add(self, piece: str, on_cut: Callable[[], None]) -> None:
        if not self.cut:
            room = self.limit - len(self.text)
            self.text += piece[:room]
            if len(piece) > room:
                self.cut = True
                on_cut()


@dataclass(slots=True)
class _Sandbox:
    """A running bwrap, and the pipe (``--info-fd``) where it names the sandbox's PID 1."""

    proc: asyncio.subprocess.Process
    info: int
    stopping: bool = False

    def stop(self) -> None:
        """Kill the sandbox from the bottom: its PID 1, the launcher (the kernel then kills
        the rest of the namespace), which bwrap reaps before it exits by itself. Killing
        bwrap first would orphan the launcher to the host's init (see ``_LAUNCHER``).
        bwrap itself only if the launcher cannot be found."""
        if self.stopping:
            return
        self.stopping = True
        try:
            pid = int(json.loads(os.read(self.info, 4096))["child-pid"])
            pidfd = os.pidfd_open(pid)
        except (OSError, ValueError, KeyError, TypeError):  # not started yet, or gone
            _kill(self.proc)
            return
        try:
            # The pidfd pins the process; its parent being our bwrap proves it is the
            # sandbox, not an unrelated process that got a recycled pid.
            stat = Path(f"/proc/{pid}/stat").read_bytes()
            if int(stat.rpartition(b")")[2].split()[1]) != self.proc.pid:
                raise ValueError("not our sandbox")
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            _kill(self.proc)
        finally:
            os.close(pidfd)


class PythonTool(Tool):
    name = "python"
    description = (
        "Run a Python 3 program and see what it prints. Standard library only; no "
        "network; no files are kept between calls (write to /tmp if you need scratch "
        "space). print() whatever you want to see: only stdout and stderr come back."
    )  # __init__ adds the limits
    parameters = {  # noqa: RUF012 - read by the agent loop, never changed
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "The whole program, as a .py file."}
        },
        "required": ["code"],
        "additionalProperties": False,
    }

    def __init__(
        self,
        *,
        cpu_s: int = 10,
        memory_mb: int = 256,
        wall_s: float = 28.0,
        max_output_chars: int = 20_000,
        bwrap: str | None = None,
        python: str = PYTHON,
    ) -> None:
        found = bwrap or shutil.which("bwrap")
        if not found or not os.access(found, os.X_OK):
            raise ConfigError(
                f"VEGA_CODE_SANDBOX=bwrap needs bubblewrap, and {found or 'bwrap'} is not "
                "there: install it (apt install bubblewrap) or set VEGA_CODE_SANDBOX=off."
            )
        if not python.startswith("/usr/") or not os.access(python, os.X_OK):
            raise ConfigError(f"The python sandbox needs an interpreter under /usr: {python}.")
        self._bwrap = found
        self._python = python
        self.cpu_s = cpu_s
        self.memory_mb = memory_mb
        self.wall_s = wall_s
        self.max_output_chars = max_output_chars
        self.timeout_s = wall_s + GRACE_S
        self.description = (
            f"{PythonTool.description} Limits: {cpu_s} s of CPU, {wall_s:g} s in all, "
            f"{memory_mb} MB of memory, {max_output_chars} characters of output."
        )
        # Run as root, bwrap itself becomes nobody (see the module docstring).
        self._as: dict[str, Any] = (
            {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}
        )
        self._probe()

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolOutput:
        code = arguments.get("code")
        if not isinstance(code, str) or not code.strip():
            raise ToolFailed("python needs 'code': the program to run, as a string.")
        if len(code) > MAX_CODE_CHARS:
            raise ToolFailed(f"The program is over {MAX_CODE_CHARS} characters; send less.")
        out, err = _Stream(self.max_output_chars), _Stream(self.max_output_chars)
        stopped: str | None = None
        started = time.monotonic()
        box = await self._start(code)
        proc = box.proc
        assert proc.stdout is not None and proc.stderr is not None

        def cut() -> None:
            nonlocal stopped
            stopped = stopped or "output"
            box.stop()

        try:
            async with asyncio.timeout(self.wall_s):
                await asyncio.gather(out.drain(proc.stdout, cut), err.drain(proc.stderr, cut))
                await proc.wait()
        except TimeoutError:
            stopped = stopped or "time"
        finally:
            if proc.returncode is None:  # the deadline, or the agent loop cancelled us
                box.stop()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(GRACE_S):  # the pipes end once the sandbox is gone
                    await asyncio.gather(out.drain(proc.stdout, cut), err.drain(proc.stderr, cut))
                    await proc.wait()
            _kill(proc)  # bwrap did not end by itself: not expected, but never leave it
            await proc.wait()
            os.close(box.info)
        returncode = proc.returncode
        assert returncode is not None
        seconds = round(time.monotonic() - started, 3)
        # bwrap's own failures (before the code ran) exit 1 with "bwrap: ..." on stderr.
        if stopped is None and returncode == 1 and not out.text and err.text.startswith("bwrap: "):
            raise ToolFailed(f"The python sandbox did not start: {err.text.strip()[:300]}")
        exit_code = None if stopped else returncode
        if stopped == "time":
            status = f"stopped: ran past the {self.wall_s:g} s time limit"
        elif stopped == "output":
            status = f"stopped: output cut at {self.max_output_chars} characters"
        else:
            stopped, status = self._verdict(returncode, err.text)
        return ToolOutput(
            text=_report(status, out, err),
            data={
                "exit_code": exit_code,
                "stdout": out.text,
                "stderr": err.text,
                "timed_out": stopped == "time",
                "truncated": out.cut or err.cut,
                "stopped": stopped,
                "seconds": seconds,
            },
        )

    async def _start(self, code: str) -> _Sandbox:
        """bwrap running ``code``, and the pipe where it says the sandbox's host pid."""
        fd = _memfd(code.encode("utf-8", "replace"))
        info, info_w = os.pipe()
        os.set_blocking(info, False)
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._command(fd, info_w),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                **self._how(fd, info_w),
            )
        except OSError as exc:
            os.close(info)
            raise ToolFailed(f"The python sandbox did not start: {exc}") from None
        finally:
            os.close(fd)  # bwrap has its own copies
            os.close(info_w)
        return _Sandbox(proc, info)

    def _verdict(self, returncode: int, stderr: str) -> tuple[str | None, str]:
        """Which limit, if any, ended a program that exited by itself, and the status line."""
        if returncode == 128 + signal.SIGXCPU:
            return "cpu", f"stopped: ran past the {self.cpu_s} s CPU limit"
        if returncode > 128:  # bwrap reports a signal as 128 + its number
            number = returncode - 128
            what = signal.strsignal(number) or "unknown"
            return "signal", f"killed by signal {number} ({what}): a limit, or a crash"
        if returncode == 1 and stderr.rstrip().rpartition("\n")[2].startswith("MemoryError"):
            return "memory", f"exit code 1\nkilled: memory limit ({self.memory_mb} MB)"
        return None, f"exit code {returncode}"

    def _how(self, *fds: int) -> dict[str, Any]:
        """How bwrap is started, for runs and the probe alike."""
        return {
            "stdin": subprocess.DEVNULL,
            "pass_fds": fds,
            "env": {"PATH": _ENV["PATH"]},  # nothing of the server's environment
            "start_new_session": True,  # our kill reaches bwrap's whole process group
            **self._as,
        }

    def _command(self, code_fd: int, info_fd: int | None = None) -> list[str]:
        mem = self.memory_mb << 20
        limits = ",".join(
            [
                # SIGXCPU at the soft limit, SIGKILL a second later if that is caught.
                f"CPU:{self.cpu_s}:{self.cpu_s + 1}",
                f"AS:{mem}:{mem}",
                f"FSIZE:{FILE_BYTES}:{FILE_BYTES}",
                f"NPROC:{MAX_PROCESSES}:{MAX_PROCESSES}",
                f"NOFILE:{MAX_OPEN_FILES}:{MAX_OPEN_FILES}",
                "CORE:0:0",
            ]
        )
        env = [arg for name, value in _ENV.items() for arg in ("--setenv", name, value)]
        size = str(TMPFS_BYTES)
        return [
            self._bwrap,
            # net, pid, ipc, uts, cgroup; the user namespace is required, not "try".
            *("--unshare-all", "--unshare-user", "--disable-userns", "--as-pid-1"),
            *("--uid", str(NOBODY), "--gid", str(NOBODY), "--hostname", "sandbox"),
            *("--die-with-parent", "--new-session", "--cap-drop", "ALL"),
            *(("--info-fd", str(info_fd)) if info_fd is not None else ()),
            *("--clearenv", *env),
            *("--ro-bind", "/usr", "/usr", *_root_links()),
            # /dev's own tmpfs has no size cap: read-only (the devices stay usable).
            *("--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"),
            *("--size", size, "--tmpfs", TMP, "--size", size, "--tmpfs", WORKDIR),
            *("--ro-bind-data", str(code_fd), SCRIPT, "--chdir", WORKDIR),
            # bwrap's root is a tmpfs without a size cap too: read-only once built.
            *("--remount-ro", "/"),
            *("--", self._python, "-I", "-S", "-B", "-c", _LAUNCHER, limits),
            *(self._python, "-I", "-S", "-B", "-X", "utf8", SCRIPT),
        ]

    def _probe(self) -> None:
        """Run a one-line program the way ``run`` does: the sandbox works, or no tool."""
        fd = _memfd(b"print('ok')\n")
        try:
            done = subprocess.run(  # noqa: S603  # nosec B603 - fixed command line
                self._command(fd), capture_output=True, timeout=PROBE_TIMEOUT_S, **self._how(fd)
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConfigError(f"The python sandbox (bubblewrap) cannot start: {exc}") from None
        finally:
            os.close(fd)
        if done.returncode != 0 or done.stdout != b"ok\n":
            said = done.stderr.decode("utf-8", "replace").strip()[-500:] or "no message"
            raise ConfigError(
                f"The python sandbox (bubblewrap) does not work here (exit {done.returncode}:"
                f" {said}). It needs unprivileged user namespaces and bubblewrap 0.8 or later;"
                " fix that or set VEGA_CODE_SANDBOX=off."
            )


def python_tool_from_settings(settings: Settings) -> PythonTool | None:
    """The ``python`` tool as configured, or None when ``VEGA_CODE_SANDBOX=off``."""
    if settings.code_sandbox == "off":
        return None
    return PythonTool(
        cpu_s=settings.sandbox_cpu_s,
        memory_mb=settings.sandbox_memory_mb,
        wall_s=max(1.0, min(settings.tool_timeout_s, 30.0) - GRACE_S),
        max_output_chars=settings.tool_max_output_chars,
    )


def _memfd(data: bytes) -> int:
    """An anonymous in-memory file holding ``data``: bwrap copies it into the sandbox."""
    fd = os.memfd_create("vega-python", os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _root_links() -> list[str]:
    """/bin, /lib, ... as the host has them: links into /usr (merged /usr), or binds."""
    args: list[str] = []
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    return args


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:  # not yet reaped, so the pid is still ours
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _report(status: str, out: _Stream, err: _Stream) -> str:
    parts = [status]
    for label, stream in (("stdout", out), ("stderr", err)):
        if stream.text or stream.cut:
            note = f"\n[cut at {stream.limit} characters]" if stream.cut else ""
            parts.append(f"--- {label} ---\n{stream.text}{note}")
    if not (out.text or err.text):
        parts.append("(no output)")
    return "\n".join(parts)
