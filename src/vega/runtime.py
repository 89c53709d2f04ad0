"""The composition root: settings in, wired services out. The API and the CLI both use it.

Every service is built here, once per process: routes get them through the typed
aliases of ``vega.api.deps``, commands from ``vega.cli.context``. Nothing else
constructs a service or loads the plugins.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import anyio.to_thread

from vega.blobs import BlobStore, blob_store
from vega.chat.budget import ContextWindows
from vega.chat.conversations import ConversationService
from vega.chat.open_turns import OpenTurns
from vega.chat.preferences import Admission, PreferencesService
from vega.chat.service import ChatService
from vega.dataset.curate import CurationService
from vega.dataset.service import DatasetService
from vega.dataset.turns import TurnLog
from vega.errors import ConfigError, EmbedderUnavailable, ObjectStoreUnavailable
from vega.health import HealthService
from vega.integrations.crawl import JOB_KIND as CRAWL_JOB
from vega.integrations.crawl import Crawler
from vega.integrations.fetch import SafeFetcher
from vega.integrations.slack import SlackPoster, tell_slack
from vega.integrations.websearch import WebSearch
from vega.jobs import JobRunner, runner_for
from vega.jobs.processes import background_processes
from vega.llm.auto import AutoBackend
from vega.llm.catalog import ModelCatalog
from vega.llm.gateway import Gateway
from vega.llm.local import LocalBackend
from vega.llm.local_models import RegisteredModels
from vega.memory.service import MemoryService
from vega.memory.summaries import Summaries
from vega.metrics import Metrics
from vega.plugins import BuildContext, Plugins, load_plugins
from vega.private import private_dir
from vega.rag.documents import DocumentService
from vega.rag.embed import Embedder
from vega.rag.embeddings import EmbeddingService
from vega.rag.extract import Budget, readers_from
from vega.rag.index import CollectionIndexes, VectorIndexes
from vega.rag.ingest import JOB_KIND as INGEST_JOB
from vega.rag.ingest import IngestService
from vega.rag.reindex import Reindexer
from vega.rag.retrieve import Retriever
from vega.security.accounts import AccountService
from vega.security.audit_trail import AuditTrail
from vega.security.concurrency import KeyCaps
from vega.security.keys import KeyService, Principal
from vega.security.login_guard import LoginGuard
from vega.security.oidc import OidcSignIn
from vega.security.quotas import Quotas
from vega.security.ratelimit import RateLimiter
from vega.security.sessions import SessionService
from vega.security.sharing import SharingService
from vega.settings import Settings
from vega.store import documents as repo_documents
from vega.store.db import Database
from vega.tools.builtin import build_tools
from vega.tools.loop import AgentLimits, AgentLoop
from vega.tools.mcp_client import McpClients
from vega.tools.registry import ToolRegistry
from vega.training.jobs import TrainingJob

if TYPE_CHECKING:
    from vega.shared_state import RedisLink

log = logging.getLogger(__name__)
# Jobs the worker in each `vega serve` runs at once: ingests embed on the same cores
# that answer requests, so one at a time; `vega worker --concurrency` for more.
EMBEDDED_WORKER_CONCURRENCY = 1


class LazyEmbedder:
    """Builds the configured embedder on first use, so starting never loads a model."""

    def __init__(self, factory: Callable[[], Embedder]) -> None:
        self._factory = factory
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                try:
                    self._embedder = self._factory()
                except ConfigError as exc:
                    raise EmbedderUnavailable(exc.message) from None
            return self._embedder

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (remote embedders count once built)."""
        return self._embedder is not None and bool(getattr(self._embedder, "loaded", True))

    def close(self) -> None:
        if self._embedder is not None:
            self._embedder.close()

    def warm(self) -> None:
        """Load the model now (at start, when documents exist), in a worker thread."""
        try:
            embedder = self()
            embedder.embed_batch(["warm up"])
        except Exception as exc:  # a broken model shows in /readyz and on first use
            log.warning("embedder failed to load: %s", exc)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    metrics: Metrics
    plugins: Plugins
    gateway: Gateway
    keys: KeyService
    accounts: AccountService  # users (VEGA_AUTH=accounts)
    sessions: SessionService  # their browser sign-ins
    audit: AuditTrail  # `GET /admin/audit`, `vega audit`
    sharing: SharingService  # groups, shared collections, conversation links
    oidc: OidcSignIn | None  # sign-in with the OIDC provider, when one is set
    owner: Principal  # the primary key: whom the CLI acts as
    limiter: RateLimiter
    quotas: Quotas  # per-owner requests, tokens and megabytes
    preferences: PreferencesService  # per-owner chat defaults (`/settings/me`)
    caps: KeyCaps  # what one key may hold open at once: replies in progress, WebSockets
    chat: ChatService
    conversations: ConversationService
    memory: MemoryService  # recall from earlier conversations (`/memories`)
    windows: ContextWindows  # each model's context window, for the context budget
    summaries: Summaries  # long conversations summarised in the background (`summarize` jobs)
    embedder: LazyEmbedder
    indexes: CollectionIndexes  # FAISS files or pgvector (VEGA_VECTOR_INDEX)
    jobs: JobRunner
    retriever: Retriever
    ingest: IngestService
    documents: DocumentService
    reindexer: Reindexer
    models: RegisteredModels  # local model files for the in-process backends (`vega models`)
    catalog: ModelCatalog  # the models an OpenAI or Ollama client can pick
    embeddings: EmbeddingService  # /v1/embeddings and /api/embed
    health: HealthService  # /readyz and `vega doctor`
    curation: CurationService  # `vega curate`
    datasets: DatasetService  # `vega dataset build`, files and logged turns
    crawler: Crawler  # web pages and sites into a collection (`vega docs add URL`)
    # A new row in the jobs table for a `vega train` run, owned by the primary key.
    training_job: Callable[[], TrainingJob]
    redis: RedisLink | None = None  # VEGA_REDIS_URL: what the processes share
    blobs: BlobStore | None = None  # VEGA_STORAGE: uploads' originals (and later files)
    turns: OpenTurns = field(default_factory=OpenTurns)  # streams a cancel can stop
    tools: ToolRegistry = field(default_factory=ToolRegistry)  # what agent turns may call
    fetcher: SafeFetcher | None = None  # the one way out to a URL (vega.integrations.fetch)
    search: WebSearch | None = None  # VEGA_SEARCH_PROVIDER
    mcp: McpClients | None = None  # VEGA_MCP_CONFIG: their tools join `tools` at start
    slack: SlackPoster = field(default_factory=SlackPoster)  # VEGA_SLACK_*
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self, *, serving: bool = False) -> None:
        """Async start-up work: let ``auto`` pick its backend, start housekeeping.

        A server (``serving``) also warms the embedder and resumes interrupted
        ingests; a CLI command does neither, so it starts in a fraction of a second.
        """
        await self.gateway.backend.refresh()
        log.info("backend: %s", self.gateway.describe())
        if self.mcp is not None:
            await self.mcp.start()
            for tool in self.mcp.tools:
                self.tools.add(tool, replace=True)
        if self.redis is not None:
            if not await self.redis.ping():
                log.warning(
                    "Redis at %s does not answer: serving without it (limits per process, "
                    "no shared cache) until it does; /readyz says degraded",
                    self.redis.display,
                )
            self.redis.start()
        if self.blobs is not None and self.blobs.name != "local":
            try:
                await anyio.to_thread.run_sync(self.blobs.check)
                log.info("storage: %s", self.blobs.describe())
            except ObjectStoreUnavailable as exc:  # chat goes on; uploads answer 503
                log.warning("%s Serving without it; /readyz says degraded.", exc.message)
        if serving:
            self._housekeeping()

    def _housekeeping(self) -> None:
        """A server's background work (a CLI command starts none)."""
        self._tasks.append(asyncio.create_task(self._documents_start()))
        self._tasks.append(asyncio.create_task(self._warm_model()))
        if self.memory.enabled:  # what other processes (or a crash) left unindexed
            self._tasks.append(asyncio.create_task(self.memory.sweep_forever()))
        if not self.jobs.queued:  # SQLite: the schedules run here (Postgres: workers)
            self._tasks.append(asyncio.create_task(self.jobs.run_schedules()))
        elif self.settings.embedded_worker:
            self._tasks.append(asyncio.create_task(self._embedded_worker()))

    async def _embedded_worker(self) -> None:
        """The queue's worker inside `vega serve` (VEGA_EMBEDDED_WORKER), one per process."""
        try:
            await self.jobs.work(concurrency=EMBEDDED_WORKER_CONCURRENCY)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug (outages restart it inside): the server goes on serving
            log.exception("the embedded job worker stopped")

    async def _warm_model(self) -> None:
        """Load an in-process model now, so the first chat does not wait for it."""
        backend = self.gateway.backend
        if isinstance(backend, AutoBackend):
            backend = backend.current
        if isinstance(backend, LocalBackend):
            try:
                await backend.warm()
            except Exception:  # housekeeping must never take the server down
                log.exception("warming the model failed")

    async def _documents_start(self) -> None:
        """Warm the embedder when documents exist, then finish ingests a stop interrupted."""
        try:
            has_documents = bool(await self.db.run(lambda s: repo_documents.list_collections(s)))
            if has_documents:
                await anyio.to_thread.run_sync(self.embedder.warm)
                await self.ingest.resume()
        except Exception:  # housekeeping must never take the server down
            log.exception("document start-up work failed")

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await self.memory.aclose()
        await self.summaries.aclose()
        await self.jobs.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.tools.aclose()
        if self.mcp is not None:
            await self.mcp.aclose()
        for closing in (self.fetcher, self.search, self.slack):
            if closing is not None:
                await closing.aclose()
        await self.gateway.aclose()
        await anyio.to_thread.run_sync(self.indexes.flush)
        self.retriever.close()
        self.embedder.close()
        self.db.dispose()


@dataclass(frozen=True, slots=True)
class FileTools:
    """What works without the data dir: the plugins, and datasets built from files only.

    For the one command that must not create a data dir (`vega dataset build` without
    ``--from-logs``); everything else runs on the full runtime of ``build``.
    """

    settings: Settings
    plugins: Plugins
    datasets: DatasetService


def build_file_tools(settings: Settings, *, plugins: Plugins | None = None) -> FileTools:
    plugins = plugins or load_plugins()
    return FileTools(settings, plugins, DatasetService(loaders=plugins.loaders))


def shared_state(settings: Settings, metrics: Metrics) -> RedisLink | None:
    """Redis when VEGA_REDIS_URL is set (``vega.shared_state``), else nothing."""
    if not settings.redis_url:
        return None
    try:
        from vega.shared_state import RedisLink
    except ImportError:
        raise ConfigError(
            "VEGA_REDIS_URL is set but the redis package is not installed: "
            "pip install -e '.[redis]' (included in '.[all]')."
        ) from None
    return RedisLink(settings.redis_url, prefix=settings.redis_prefix, metrics=metrics)


def vector_indexes(settings: Settings, db: Database) -> CollectionIndexes:
    """VEGA_VECTOR_INDEX: ``auto`` is pgvector on Postgres (one index all workers share, no
    FAISS file anywhere) and FAISS on SQLite."""
    choice = settings.vector_index
    if choice == "auto":
        choice = "pgvector" if db.dialect == "postgresql" else "faiss"
    if choice == "faiss":
        return VectorIndexes(settings.data_dir / "indexes")
    if db.dialect != "postgresql":
        raise ConfigError(
            "VEGA_VECTOR_INDEX=pgvector needs Postgres (VEGA_DATABASE_URL=postgresql+psycopg://...); "
            "on SQLite set it to auto or faiss."
        )
    from vega.rag.pgvector_index import HnswParams, PgvectorIndexes

    return PgvectorIndexes(db, HnswParams.from_settings(settings))


def memory_services(
    settings: Settings,
    db: Database,
    embedder: LazyEmbedder,
    indexes: CollectionIndexes,
    windows: ContextWindows,
    jobs: JobRunner,
    metrics: Metrics,
) -> tuple[MemoryService, Summaries]:
    """Recall from earlier conversations, and summaries of long ones (docs/memory.md)."""
    memory = MemoryService(
        db=db,
        embedder=embedder,
        indexes=indexes,
        max_query_chars=settings.max_prompt_chars,
        enabled=settings.memory,
        metrics=metrics,
    )
    summaries = Summaries(
        db=db,
        gateway=windows.gateway,
        windows=windows,
        jobs=jobs,
        model=lambda: settings.model,
        recent=2 * settings.history_turns,
        enabled=settings.memory,
    )
    return memory, summaries


def build(settings: Settings, *, plugins: Plugins | None = None) -> Runtime:
    # 0700 when we create it: conversations and the key file are nobody else's business.
    private_dir(settings.data_dir)
    db = Database.for_settings(settings)
    db.migrate()
    plugins = plugins or load_plugins()
    metrics = Metrics()
    redis = shared_state(settings, metrics)
    blobs = blob_store(settings)
    models = RegisteredModels(db, blobs=blobs, cache=settings.data_dir / "cache")
    # Plugins share what is open (one engine, one table of models) instead of opening theirs.
    context = BuildContext(settings=settings, db=db, models=models, metrics=metrics)
    backend = plugins.backends.get(settings.llm_backend)(context)
    gateway = Gateway(
        backend,
        metrics=metrics,
        breaker_failures=settings.breaker_failures,
        breaker_reset_s=settings.breaker_reset_s,
        cache_ttl_s=settings.cache_ttl_s,
        cache_size=settings.cache_size,
        redis=redis,
    )
    keys = KeyService(db, settings, redis=redis)
    owner = keys.bootstrap()
    accounts = AccountService(db, keys=keys)
    sessions = SessionService(db, settings, guard=LoginGuard(settings, redis=redis), redis=redis)
    accounts.sessions = sessions
    if settings.accounts:
        accounts.adopt_keys()
    embedder_factory = plugins.embedders.get(settings.embedding_backend)  # unknown: fail at start
    embedder = LazyEmbedder(lambda: embedder_factory(context))
    indexes = vector_indexes(settings, db)
    jobs = runner_for(settings, db, metrics)
    retriever = Retriever(
        db=db,
        embedder=embedder,
        indexes=indexes,
        default_top_k=settings.top_k,
        max_query_chars=settings.max_prompt_chars,
        metrics=metrics,
    )
    max_upload = settings.max_upload_mb << 20
    ingest = IngestService(
        db=db,
        embedder=embedder,
        indexes=indexes,
        jobs=jobs,
        data_dir=settings.data_dir,
        blobs=blobs,
        budget=Budget(max_bytes=max_upload, timeout_s=settings.ingest_timeout_s),
        readers=readers_from(plugins.extractors),
    )
    jobs.handle(INGEST_JOB, ingest.run_job)
    documents = DocumentService(db=db, blobs=blobs)
    windows = ContextWindows(gateway, settings)
    memory, summaries = memory_services(settings, db, embedder, indexes, windows, jobs, metrics)
    conversations = ConversationService(db, memory=memory)
    trail = AuditTrail(db, retention_days=settings.audit_retention_days)
    jobs.schedule(background_processes(settings, db, conversations, blobs, trail))
    mask = None
    if settings.pii_masking:
        from vega.security.pii import mask_pii

        mask = mask_pii
    caps = KeyCaps.in_process(settings)
    limiter = RateLimiter(settings.rate_limit, redis=redis)
    quotas = Quotas(db, settings, limiter=limiter, redis=redis)
    preferences = PreferencesService(db, settings)
    accounts.quotas = quotas
    slack = SlackPoster.from_settings(settings)
    if slack.webhook_enabled:
        jobs.on_finished = partial(tell_slack, slack)
    fetcher = SafeFetcher.from_settings(settings)
    search = WebSearch.from_settings(settings)
    tools = build_tools(
        settings, retriever=retriever, fetcher=fetcher, search=search, memory=memory
    )
    crawler = Crawler(
        db=db,
        fetcher=fetcher,
        ingest=ingest,
        documents=documents,
        delay_s=settings.crawl_delay_s,
    )
    jobs.handle(CRAWL_JOB, crawler.run_job)
    agent = partial(
        AgentLoop,
        db=db,
        registry=tools,
        limits=AgentLimits.from_settings(settings),
        mask=mask or (lambda text: text),
    )
    return Runtime(
        settings=settings,
        db=db,
        metrics=metrics,
        plugins=plugins,
        gateway=gateway,
        keys=keys,
        accounts=accounts,
        sessions=sessions,
        audit=trail,
        sharing=SharingService(db),
        oidc=OidcSignIn(settings, db=db, accounts=accounts, sessions=sessions)
        if settings.oidc
        else None,
        owner=owner,
        limiter=limiter,
        quotas=quotas,
        preferences=preferences,
        caps=caps,
        chat=ChatService(
            db=db,
            gateway=gateway,
            settings=settings,
            metrics=metrics,
            mask=mask,
            retriever=retriever,
            replies=caps.replies,
            admission=Admission(preferences, quotas),
            agent=lambda generator: agent(generator=generator),
            memory=memory,
            windows=windows,
            summaries=summaries,
        ),
        conversations=conversations,
        memory=memory,
        windows=windows,
        summaries=summaries,
        embedder=embedder,
        indexes=indexes,
        jobs=jobs,
        retriever=retriever,
        ingest=ingest,
        documents=documents,
        reindexer=Reindexer(
            db=db, embedder=embedder, indexes=indexes, memories=memory.rebuild_sync
        ),
        models=models,
        catalog=ModelCatalog(gateway=gateway, documents=documents, default_model=settings.model),
        embeddings=EmbeddingService(embedder, max_chars=settings.max_prompt_chars),
        health=HealthService(
            settings=settings,
            db=db,
            gateway=gateway,
            embedder=embedder,
            redis=redis,
            blobs=blobs,
        ),
        curation=CurationService(db=db, conversations=conversations),
        datasets=DatasetService(loaders=plugins.loaders, turns=TurnLog(db)),
        training_job=partial(TrainingJob, db, owner=owner.owner),
        redis=redis,
        blobs=blobs,
        turns=OpenTurns(redis),
        tools=tools,
        fetcher=fetcher,
        search=search,
        slack=slack,
        crawler=crawler,
        mcp=McpClients.from_file(settings.mcp_config, default_timeout_s=settings.tool_timeout_s)
        if settings.mcp_config
        else None,
    )
