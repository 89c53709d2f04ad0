"""The composition root: settings in, wired services out. The API and the CLI both use it."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, field

from vega.chat.history import ConversationService
from vega.chat.service import ChatService
from vega.llm.gateway import Gateway
from vega.metrics import Metrics
from vega.plugins import Plugins, load_plugins
from vega.security.keys import KeyService, Principal
from vega.security.ratelimit import RateLimiter
from vega.settings import Settings
from vega.store.db import Database

log = logging.getLogger(__name__)
RETENTION_EVERY_S = 6 * 3600


@dataclass
class Runtime:
    settings: Settings
    db: Database
    metrics: Metrics
    plugins: Plugins
    gateway: Gateway
    keys: KeyService
    owner: Principal  # the primary key: whom the CLI acts as
    limiter: RateLimiter
    chat: ChatService
    conversations: ConversationService
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        """Async start-up work: let ``auto`` pick its backend, start housekeeping."""
        await self.gateway.backend.refresh()
        log.info("backend: %s", self.gateway.describe())
        if self.settings.retention_days > 0:
            self._tasks.append(asyncio.create_task(self._retention_loop()))

    async def _retention_loop(self) -> None:
        while True:
            try:
                purged = await self.conversations.purge(retention_days=self.settings.retention_days)
                if purged:
                    log.info("retention: purged %d conversations", purged)
            except Exception:  # housekeeping must never take the server down
                log.exception("retention purge failed")
            await asyncio.sleep(RETENTION_EVERY_S)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await self.gateway.aclose()
        self.db.dispose()


def build(settings: Settings, *, plugins: Plugins | None = None) -> Runtime:
    # 0700 when we create it: conversations and the key file are nobody else's business.
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = Database.from_url(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    db.migrate()
    plugins = plugins or load_plugins()
    metrics = Metrics()
    backend = plugins.backends.get(settings.llm_backend)(settings)
    gateway = Gateway(
        backend,
        metrics=metrics,
        breaker_failures=settings.breaker_failures,
        breaker_reset_s=settings.breaker_reset_s,
        cache_ttl_s=settings.cache_ttl_s,
        cache_size=settings.cache_size,
    )
    keys = KeyService(db, settings)
    owner = keys.bootstrap()
    mask = None
    if settings.pii_masking:
        from vega.security.pii import mask_pii

        mask = mask_pii
    return Runtime(
        settings=settings,
        db=db,
        metrics=metrics,
        plugins=plugins,
        gateway=gateway,
        keys=keys,
        owner=owner,
        limiter=RateLimiter(settings.rate_limit),
        chat=ChatService(db=db, gateway=gateway, settings=settings, metrics=metrics, mask=mask),
        conversations=ConversationService(db),
    )
