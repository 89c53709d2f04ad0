"""Files only the user running Vega can read: the data dir, the database, keys, uploads,
indexes, backups and exports hold conversations and secrets.

Two layers, so that the mode never depends on the umask a shell or a service manager
happened to leave:

- every ``vega`` process starts with the umask ``077`` (``use_private_umask``), so
  whatever it or a library creates (SQLite's WAL and shared-memory files, FAISS index
  files, an adapter saved by a trainer) is private from the first byte;
- the places that create Vega's own folders and files also ask for 0700/0600
  explicitly (``private_dir``, ``private_file``), so code that builds a runtime
  without the CLI (tests, an embedding application) gets the same modes.

A folder or file that already exists keeps its mode: Vega does not fight a mode
someone chose (`vega doctor` warns about a readable key file).
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def use_private_umask() -> None:
    """Make everything this process creates from now on private to its user."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` as a folder, created (with its missing parents) with mode 0700."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for created in missing:
        # mkdir's mode passes through the umask, and parents get the default mode.
        created.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist (its folder too)."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.close(fd)
    path.chmod(FILE_MODE)  # os.open's mode passes through the umask too
    return path
