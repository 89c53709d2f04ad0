"""The background processes Vega schedules (``vega.jobs.schedule``): what each does, and
its schedule from settings. Built by the composition root; run by the job runner."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from vega.blobs import BlobStore
from vega.jobs.schedule import Scheduled, prune_backups, remove_orphan_uploads
from vega.jobs.types import Progress
from vega.rag.staging import staging_dir
from vega.store import documents as documents_repo
from vega.store.db import Database
from vega.store.maintenance import maintain

if TYPE_CHECKING:
    from vega.chat.conversations import ConversationService
    from vega.security.audit_trail import AuditTrail
    from vega.settings import Settings

MANIFEST = "manifest.json"


def background_processes(
    settings: Settings,
    db: Database,
    conversations: ConversationService,
    blobs: BlobStore,
    trail: AuditTrail,
) -> list[Scheduled]:
    """Every background process, on or off as the settings say."""

    async def retention(_params: dict[str, Any], _report: Progress) -> dict[str, Any]:
        return {"purged": await conversations.purge(retention_days=settings.retention_days)}

    async def audit_retention(_params: dict[str, Any], _report: Progress) -> dict[str, Any]:
        return {"purged": await anyio.to_thread.run_sync(trail.purge)}

    async def uploads(_params: dict[str, Any], _report: Progress) -> dict[str, Any]:
        referenced = await db.run(documents_repo.upload_folders_in_use)
        return await anyio.to_thread.run_sync(
            lambda: remove_orphan_uploads(blobs, staging_dir(settings.data_dir), referenced)
        )

    async def maintenance(_params: dict[str, Any], _report: Progress) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(maintain, db)

    async def backup(_params: dict[str, Any], _report: Progress) -> dict[str, Any]:
        return await anyio.to_thread.run_sync(scheduled_backup, settings)

    return [
        Scheduled(
            "retention",
            settings.retention_schedule,
            f"purge conversations idle or deleted for {settings.retention_days} days",
            retention,
            off_because=None if settings.retention_days > 0 else "VEGA_RETENTION_DAYS is 0",
        ),
        Scheduled(
            "audit-retention",
            settings.retention_schedule,
            f"delete audit rows older than {settings.audit_retention_days} days",
            audit_retention,
            off_because=None
            if settings.audit_retention_days > 0
            else "VEGA_AUDIT_RETENTION_DAYS is 0",
        ),
        Scheduled(
            "uploads-cleanup",
            settings.uploads_cleanup_schedule,
            "remove uploads no document refers to",
            uploads,
        ),
        Scheduled(
            "maintenance",
            settings.maintenance_schedule,
            "SQLite: PRAGMA optimize, WAL checkpoint; Postgres: ANALYZE",
            maintenance,
        ),
        Scheduled(
            "backup",
            settings.backup_schedule,
            f"vega backup into {backup_dir(settings)}, keeping {settings.backup_keep}",
            backup,
        ),
    ]


def backup_dir(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


def scheduled_backup(settings: Settings) -> dict[str, Any]:
    """`vega backup` into VEGA_BACKUP_DIR, then only the VEGA_BACKUP_KEEP newest kept."""
    from vega.private import private_dir
    from vega.store.backup import create_backup
    from vega.store.backup_format import unused, utc_stamp

    folder = backup_dir(settings)
    private_dir(folder)
    report = create_backup(settings, unused(folder, f"vega-{utc_stamp()}"))
    removed = prune_backups(folder, settings.backup_keep, _is_backup)
    return {
        "path": str(report.path),
        "seconds": round(report.seconds, 1),
        "bytes": report.manifest.total_bytes,
        "removed": removed,
    }


def _is_backup(path: Path) -> bool:
    return path.name.startswith("vega-") and (path / MANIFEST).is_file()
