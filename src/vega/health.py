"""The server's health, worked out in one place for `/readyz` and `vega doctor`.

``HealthService.readiness()`` is what `/readyz` answers: cheap, because it is polled
(a database ping, the backend's own health, the breaker, whether the embedder is in
memory; no model is loaded and nothing is generated). ``checkup()`` is what `vega
doctor` prints: it starts from the same readiness and goes further (the backend's
models, the embedder loaded for real, collections embedded with another model), with
the fix for each problem. ``preflight()`` and ``safety()`` need no runtime: a data dir
or database that keeps the runtime from being built is often why doctor is run.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import anyio.to_thread

from vega.errors import ConfigError, ObjectStoreUnavailable, VegaError
from vega.llm.gateway import Gateway
from vega.private import private_dir
from vega.rag.embed import Embedder
from vega.settings import BackendName, Settings
from vega.store import documents as repo_documents
from vega.store.db import Database

if TYPE_CHECKING:
    from vega.blobs import BlobStore
    from vega.shared_state import RedisLink


@dataclass(frozen=True, slots=True)
class BackendState:
    name: str
    ok: bool  # the model server answers (False while the breaker is open)
    ready: bool  # False only for an in-process engine stuck on a generation
    detail: str
    model: str
    breaker: str  # "closed", "half_open" or "open"


@dataclass(frozen=True, slots=True)
class EmbedderState:
    name: str
    backend: str
    loaded: bool


@dataclass(frozen=True, slots=True)
class Readiness:
    database: bool
    backend: BackendState
    embedder: EmbedderState
    redis: bool | None = None  # None: no VEGA_REDIS_URL; never a reason to be unready
    storage: bool | None = None  # None: local files; an S3 bucket that does not answer
    # degrades (uploads answer 503) but is no reason to restart Vega

    @property
    def ready(self) -> bool:
        # A model server that is down is not a reason to restart Vega (requests get 503
        # and the breaker decides); a wedged in-process engine is (backend.ready False).
        return self.database and self.backend.ready


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `vega doctor`: ``warn_only`` problems are shown but do not fail it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn_only: bool = False
    # The person running Vega fixes it in the settings (exit 1), not a service that is
    # down (exit 2).
    users_to_fix: bool = False

    @property
    def failed(self) -> bool:
        return not self.ok and not self.warn_only


class EmbedderSlot(Protocol):
    """The runtime's embedder, built on first use (``vega.runtime.LazyEmbedder``)."""

    @property
    def loaded(self) -> bool: ...

    def __call__(self) -> Embedder: ...


EMBEDDER_FIX = "pip install -e '.[rag]' (make install does), or set VEGA_EMBEDDING_BACKEND."


class HealthService:
    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        gateway: Gateway,
        embedder: EmbedderSlot,
        redis: RedisLink | None = None,
        blobs: BlobStore | None = None,
    ) -> None:
        self._settings = settings
        self._blobs = blobs if blobs is not None and blobs.name != "local" else None
        self._db = db
        self._gateway = gateway
        self._embedder = embedder
        self._redis = redis

    async def readiness(self) -> Readiness:
        database = await anyio.to_thread.run_sync(self._db.ping)
        health = await self._gateway.health()
        redis = await self._redis.ping() if self._redis is not None else None
        storage = None
        if self._blobs is not None:
            storage = await anyio.to_thread.run_sync(self._storage_answers)
        settings = self._settings
        return Readiness(
            database=database,
            backend=BackendState(
                name=self._gateway.backend_name,
                ok=health.ok,
                ready=health.ready,
                detail=health.detail,
                model=settings.model,
                breaker=self._gateway.breaker.state.name.lower(),
            ),
            embedder=EmbedderState(
                name=settings.embedding_model,
                backend=settings.embedding_backend,
                loaded=self._embedder.loaded,
            ),
            redis=redis,
            storage=storage,
        )

    def _storage_answers(self) -> bool:
        assert self._blobs is not None
        try:
            self._blobs.probe()
        except ObjectStoreUnavailable:
            return False
        return True

    async def checkup(self) -> list[Check]:
        """Readiness, then what a person setting Vega up needs to know (slow: it loads the
        embedder and asks the backend for its models)."""
        state = await self.readiness()
        checks = [Check("database", state.database, f"{self._db.dialect}, schema up to date")]
        if self._redis is not None:
            checks.append(self._redis_check(state.redis))
        if self._blobs is not None:
            checks.append(await anyio.to_thread.run_sync(self._storage_check))
        checks += await self._backend(state.backend)
        checks += await anyio.to_thread.run_sync(self._embedder_checks)
        return checks

    def _redis_check(self, up: bool | None) -> Check:
        assert self._redis is not None
        where = self._redis.display
        if up:
            return Check("redis", True, f"{where}: limits and the reply cache are shared")
        # Safe to run without (each process on its own), so a warning, not a failure.
        return Check(
            "redis",
            False,
            f"{where} does not answer: limits and the reply cache are per process",
            fix="start Redis, or correct VEGA_REDIS_URL (empty: run without it)",
            warn_only=True,
        )

    def _storage_check(self) -> Check:
        assert self._blobs is not None
        try:
            self._blobs.check()
        except ObjectStoreUnavailable as exc:
            # Chat goes on without it, but no upload can be stored or read: a failure.
            return Check("storage", False, exc.message)
        return Check("storage", True, f"{self._blobs.describe()}: the bucket answers")

    async def _backend(self, state: BackendState) -> list[Check]:
        settings = self._settings
        gateway = self._gateway
        if state.name == "none":
            return [
                Check(
                    "backend",
                    settings.llm_backend == BackendName.NONE,
                    "none: retrieval-only, no model connected",
                    "Start Ollama (ollama serve) or set VEGA_OPENAI_BASE_URL.",
                    warn_only=settings.llm_backend == BackendName.AUTO,
                )
            ]
        if not state.ok:
            return [
                Check(
                    "backend",
                    False,
                    f"{gateway.describe()}: {state.detail}",
                    "Start the model server, or check VEGA_OLLAMA_URL / VEGA_OPENAI_BASE_URL.",
                )
            ]
        names = [m.name for m in await gateway.models()]
        model = settings.model
        has_model = any(n == model or n.split(":")[0] == model for n in names)
        return [
            Check("backend", True, f"{gateway.describe()}: {len(names)} models"),
            Check(
                "model",
                has_model,
                f"{model} {'is' if has_model else 'is not'} on the backend",
                f"ollama pull {model}, or set VEGA_MODEL to one of: {', '.join(names[:8])}",
                warn_only=True,
            ),
        ]

    def _embedder_checks(self) -> list[Check]:
        """Load the embedder for real (a few seconds for the local model) and check that
        every collection was embedded with it. In a worker thread."""
        try:
            embedder = self._embedder()
            embedder.embed_batch(["probe"])
        except VegaError as exc:
            return [Check("embedder", False, exc.message, EMBEDDER_FIX)]
        backend = self._settings.embedding_backend
        checks = [
            Check("embedder", True, f"{embedder.name} ({backend}, {embedder.dim} dimensions)")
        ]
        for coll in self._db.read_sync(repo_documents.list_collections):
            if coll.embedding_model != embedder.name or coll.dim != embedder.dim:
                checks.append(
                    Check(
                        "collection",
                        False,
                        f"'{coll.name}' was embedded with {coll.embedding_model}",
                        f"vega reindex --collection '{coll.name}' (re-embeds it with {embedder.name})",
                        warn_only=True,
                    )
                )
        return checks


# --- without a runtime ------------------------------------------------------------


def preflight(settings: Settings) -> list[Check]:
    """The data dir and the key file, checked before anything is opened."""
    return [_data_dir(settings), _key_file(settings)]


def not_built(exc: Exception) -> Check:
    """The runtime could not be built: nearly always the database. A ``ConfigError``
    already says what to do (``vega.store.postgres``): no second, vaguer fix under it."""
    if isinstance(exc, ConfigError):
        return Check("database", False, exc.message, users_to_fix=True)
    message = exc.message if isinstance(exc, VegaError) else exc.__class__.__name__
    return Check(
        "database", False, message, "Check VEGA_DATABASE_URL and that the database server runs."
    )


def safety(settings: Settings) -> list[Check]:
    return [
        Check(
            "safety",
            False,
            reason,
            "Fine on your own machine; fix before sharing it.",
            warn_only=True,
        )
        for reason in settings.unsafe_reasons()
    ]


def _data_dir(settings: Settings) -> Check:
    data_dir = settings.data_dir
    try:
        private_dir(data_dir)
        probe = data_dir / ".doctor"
        probe.write_text("ok")
        probe.unlink()
        mode = stat.S_IMODE(data_dir.stat().st_mode)
    except OSError as exc:
        return Check(
            "data dir",
            False,
            f"{data_dir}: {exc.strerror}",
            "Set VEGA_DATA_DIR to a writable folder.",
        )
    if mode & 0o077:  # a folder Vega did not create keeps its mode: say so
        return Check(
            "data dir",
            False,
            f"{data_dir} is open to other users (mode {mode:o})",
            f"chmod 700 {data_dir}",
            warn_only=True,
        )
    return Check("data dir", True, str(data_dir.resolve()))


def _key_file(settings: Settings) -> Check:
    if settings.api_key:
        return Check("api key", True, "from VEGA_API_KEY")
    path = settings.key_file
    if not path.exists():
        return Check("api key", True, f"will be generated on first start into {path}")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        return Check(
            "api key", False, f"{path} is readable by others (mode {mode:o})", f"chmod 600 {path}"
        )
    return Check("api key", True, f"{path} (mode 600)")
