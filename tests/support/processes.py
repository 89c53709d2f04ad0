"""Which processes run, read from ``/proc`` (Linux): to check that a child process the
server started is gone when it should be."""

from __future__ import annotations

from pathlib import Path


def alive(pid: int) -> bool:
    """Running: a zombie (dead, not yet reaped by its parent) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(parent: int, *, running: str) -> list[int]:
    """The live children of ``parent`` whose command line contains ``running``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and running in command:
            found.append(int(entry.name))
    return [pid for pid in found if alive(pid)]
