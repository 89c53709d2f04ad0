"""Background processes on a schedule: retention purge, removal of uploads nothing refers
to, database maintenance and, when asked for, backups.

Each is a cron expression in settings (``VEGA_*_SCHEDULE``; empty turns it off) and a
handler. Every run is a row of the ``jobs`` table (kind = the process's name) whose id
is the process's name and the scheduled minute, so a run is recorded once however many
processes reach that minute: the second to try finds the row and leaves. On Postgres
the schedules are procrastinate periodic tasks (deferred once per slot across every
worker); on SQLite, `vega serve` runs them from a loop. `vega jobs schedule` lists them
with their next run and their last.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from croniter import croniter

from vega.blobs import BlobStore
from vega.jobs.types import Handler

log = logging.getLogger(__name__)

# An upload folder younger than this is left alone: ingest moves the file in before it
# commits the document's row, so a fresh folder without a row may be one being ingested.
ORPHAN_AFTER = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Scheduled:
    name: str  # also the kind of its runs in the jobs table
    cron: str  # empty: off
    what: str
    handler: Handler
    off_because: str | None = None  # off for a reason other than an empty schedule

    @property
    def enabled(self) -> bool:
        return bool(self.cron) and self.off_because is None

    def next_after(self, when: datetime) -> datetime:
        nxt: datetime = croniter(self.cron, when).get_next(datetime)
        return nxt


def slot_id(name: str, slot: datetime) -> str:
    """The id of the run of ``name`` due at ``slot`` (whole minutes, UTC): one row per slot."""
    return f"{name}@{int(slot.replace(second=0, microsecond=0).timestamp())}"


def check_cron(value: str, setting: str) -> str:
    """A settings validator's check: empty or a five-field cron expression."""
    value = value.strip()
    if value and (len(value.split()) != 5 or not croniter.is_valid(value)):
        raise ValueError(
            f"{setting} is not a cron expression (five fields, e.g. '30 3 * * *' for 03:30 "
            "UTC every day); leave it empty to turn it off"
        )
    return value


# -- the handlers' work, kept free of the runner -----------------------------------------


def remove_orphan_uploads(
    blobs: BlobStore, staging: Path, referenced: set[str], *, now: float | None = None
) -> dict[str, Any]:
    """Delete originals under ``uploads/<id>/`` that no document row names, and files a
    stopped upload left in ``staging``, once older than ``ORPHAN_AFTER`` (an upload in
    flight stores its original a moment before its row commits). ``referenced``: the
    folder names (document ids) rows still point at."""
    cutoff = (now if now is not None else time.time()) - ORPHAN_AFTER.total_seconds()
    removed = freed = 0
    for info in list(blobs.listing("uploads/")):
        folder = info.key.split("/")[1]
        if folder in referenced or info.modified.timestamp() > cutoff:
            continue
        blobs.delete(info.key)
        removed, freed = removed + 1, freed + info.size
    if staging.is_dir():
        for entry in staging.iterdir():
            if entry.is_file() and _older(entry, cutoff):
                freed += entry.stat().st_size
                entry.unlink(missing_ok=True)
                removed += 1
    if removed:
        log.info("uploads: removed %d unreferenced (%d bytes)", removed, freed)
    return {"removed": removed, "bytes": freed}


def _older(path: Path, cutoff: float) -> bool:
    try:
        return not path.is_symlink() and path.stat().st_mtime <= cutoff
    except FileNotFoundError:
        return False


def prune_backups(folder: Path, keep: int, is_backup: Callable[[Path], bool]) -> list[str]:
    """Delete all but the ``keep`` newest backups in ``folder`` (only folders that are
    Vega backups: whatever else lives there is not ours)."""
    backups = sorted(
        (p for p in folder.iterdir() if p.is_dir() and is_backup(p)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    gone = backups[keep:]
    for old in gone:
        shutil.rmtree(old, ignore_errors=True)
    return [p.name for p in gone]


def now_utc() -> datetime:
    return datetime.now(UTC)
