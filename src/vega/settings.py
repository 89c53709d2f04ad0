"""Settings: environment variables with the ``VEGA_`` prefix, and ``.env``.

Loaded once by ``load_settings()`` (never at import time) and passed down. Every
field here is documented in ``.env.example`` and ``docs/configuration.md``; a test
checks that both list exactly these fields.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from vega.errors import ConfigError

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class BackendName(StrEnum):
    AUTO = "auto"
    OLLAMA = "ollama"
    OPENAI = "openai"
    LLAMACPP = "llamacpp"
    TRANSFORMERS = "transformers"
    NONE = "none"


class StorageName(StrEnum):
    LOCAL = "local"
    S3 = "s3"


class AuthMode(StrEnum):
    KEYS = "keys"
    ACCOUNTS = "accounts"


class Mode(StrEnum):
    LOCAL = "local"
    PROD = "prod"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEGA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    data_dir: Path = Field(
        Path("./data"), description="Database, uploads/, indexes/ and the generated key file."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means sqlite:///<data_dir>/vega.db. Postgres: postgresql+psycopg://user@host/db",
    )
    host: str = Field(
        "127.0.0.1",
        description="Bind address. Anything but loopback exposes the server to your network.",
    )
    port: int = Field(8000, ge=1, le=65535, description="Bind port.")
    workers: int = Field(
        1, ge=1, le=64, description="Server worker processes (several need Postgres)."
    )
    api_key: str = Field(
        "",
        description="The primary (admin) key. Empty: generated on first start into <data_dir>/api_key (mode 0600).",
    )
    api_keys_extra: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="More (non-admin) keys, comma-separated."
    )

    # A plain string, checked against the backend registry at start, so that a
    # plugin's backend can be chosen by name like a built-in one.
    llm_backend: str = Field(
        "auto",
        min_length=1,
        description="auto, ollama, openai, llamacpp, transformers, none (retrieval-only), or a plugin's backend name.",
    )
    model: str = Field(
        "llama3.2", description="Default model name (or path for in-process backends)."
    )
    ollama_url: str = Field("http://127.0.0.1:11434", description="Ollama server.")
    openai_base_url: str = Field(
        "",
        description="Any OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 (llama.cpp server, vLLM, LM Studio).",
    )
    openai_api_key: str = Field(
        "", description="Key for the OpenAI-compatible server, if it needs one."
    )
    llm_timeout_s: float = Field(
        120.0,
        gt=0,
        le=3600,
        description="Longest wait for the model server, per request and per read.",
    )
    llm_connect_timeout_s: float = Field(
        5.0, gt=0, le=120, description="Longest wait to connect to the model server."
    )
    breaker_failures: int = Field(
        5, ge=1, le=1000, description="Consecutive backend failures that open the circuit breaker."
    )
    breaker_reset_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds the breaker stays open before one probe request is let through.",
    )
    cache_ttl_s: float = Field(
        300.0,
        ge=0,
        description="Identical-request cache lifetime in seconds; 0 disables. Per key, and only for answers asking again would reproduce (temperature 0 or a seed).",
    )
    cache_size: int = Field(
        512, ge=1, description="Most responses the identical-request cache holds."
    )

    history_turns: int = Field(
        6, ge=0, le=200, description="Earlier turns (user + assistant) sent with each prompt."
    )
    context_chars: int = Field(
        48000,
        ge=1000,
        description="Most characters in one prompt, whatever the model's window (docs/memory.md: the context budget).",
    )
    context_lengths: dict[str, int] = Field(
        default_factory=dict,
        description='Context windows in tokens by model name, over what the model server says (JSON: {"gpt-4o-mini": 128000}).',
    )
    default_context_tokens: int = Field(
        8192,
        ge=512,
        description="The window assumed for a model whose server does not tell its context length.",
    )
    reply_tokens: int = Field(
        1024,
        ge=16,
        description="Room kept in the window for the reply when a request sets no max_tokens.",
    )
    system_prompt: str = Field(
        "You are Vega, a helpful assistant running on the user's own machine. Answer clearly and concisely.",
        description="System prompt for chat.",
    )
    max_prompt_chars: int = Field(32000, ge=1, description="Longest prompt accepted (413 beyond).")
    max_response_chars: int = Field(
        64000, ge=1, description="Longest response kept; generation stops there."
    )
    max_upload_mb: int = Field(50, ge=1, description="Largest upload accepted (413 beyond).")
    rate_limit: str = Field(
        "120/minute",
        description="Requests per key, in the 'limits' notation (e.g. 120/minute, 10/second); 0 disables.",
    )
    pii_masking: bool = Field(
        False,
        description="Mask emails, phone numbers, card numbers and secrets in stored messages.",
    )
    redis_url: str = Field(
        "",
        description="Redis shared by every process (redis://HOST:6379/0): rate limits counted "
        "once, the reply cache shared, revocations told at once; empty: each process alone.",
    )
    redis_prefix: str = Field(
        "vega:",
        min_length=1,
        max_length=64,
        description="Prefix of every Redis key and channel Vega uses (several Vegas can share "
        "one Redis).",
    )
    storage: StorageName = Field(
        StorageName.LOCAL,
        description="Where uploads (and later batch files and adapters) live: local (the data "
        "dir) or s3 (an S3-compatible bucket every host shares).",
    )
    s3_endpoint: str = Field(
        "",
        description="The S3 server's URL (e.g. http://minio:9000); empty: AWS's own endpoint "
        "for VEGA_S3_REGION.",
    )
    s3_region: str = Field("us-east-1", description="The bucket's region.")
    s3_bucket: str = Field(
        "",
        max_length=63,
        description="The bucket Vega keeps its objects in (created beforehand; Vega never "
        "creates or deletes buckets).",
    )
    s3_prefix: str = Field(
        "",
        max_length=200,
        pattern=r"^([A-Za-z0-9._-]+/)*$",
        description="Key prefix of every object Vega writes (e.g. vega/), so several Vegas "
        "can share a bucket; empty or ending in '/'.",
    )
    s3_access_key: str = Field("", description="S3 access key id (empty: boto3's own lookup).")
    s3_secret_key: str = Field("", description="S3 secret access key.")
    embedded_worker: bool = Field(
        True,
        description="On Postgres, `vega serve` also runs queued jobs (a `vega worker` in each "
        "server process); false: only `vega worker` processes do.",
    )
    job_heartbeat_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="On Postgres, how often a worker says it is alive; a job whose worker "
        "was silent three times as long is queued again (or failed after 3 runs).",
    )
    retention_schedule: str = Field(
        "17 * * * *",
        description="When the retention purge runs (cron, UTC; with VEGA_RETENTION_DAYS > 0); "
        "empty: never.",
    )
    uploads_cleanup_schedule: str = Field(
        "30 3 * * *",
        description="When uploads no document refers to (older than an hour) are removed "
        "(cron, UTC); empty: never.",
    )
    maintenance_schedule: str = Field(
        "45 3 * * *",
        description="When the database is maintained (SQLite: PRAGMA optimize and a WAL "
        "checkpoint; Postgres: ANALYZE) (cron, UTC); empty: never.",
    )
    backup_schedule: str = Field(
        "",
        description="When `vega backup` runs by itself (cron, UTC, e.g. '0 2 * * *'); empty: "
        "never.",
    )
    backup_dir: Path | None = Field(
        None, description="Where scheduled backups go; empty: <data_dir>/backups."
    )
    backup_keep: int = Field(
        7, ge=1, le=1000, description="Scheduled backups kept (the newest); older ones are removed."
    )
    retention_days: int = Field(
        0,
        ge=0,
        description="Purge soft-deleted and older conversations after this many days; 0 keeps all.",
    )
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Embedding model. With the local backend: a bundled model (all-MiniLM-L6-v2, offline) or a local sentence-transformers folder. With ollama or openai: the server's model name, e.g. nomic-embed-text.",
    )
    # A plain string, checked against the embedder registry where the embedder is
    # built (as llm_backend is), so that a plugin's embedder can be chosen by name.
    embedding_backend: str = Field(
        "local",
        min_length=1,
        description="Who computes embeddings: local (in-process, offline), ollama (VEGA_OLLAMA_URL), openai (VEGA_OPENAI_BASE_URL), or a plugin's embedder name.",
    )
    top_k: int = Field(5, ge=1, le=100, description="Retrieval depth.")
    ingest_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Longest time reading one file (PDF, DOCX, HTML, archive) may take before it is marked failed.",
    )
    # Postgres (docs/operations.md, "Running on Postgres").
    vector_index: str = Field(
        "auto",
        pattern="^(auto|faiss|pgvector)$",
        description="Where vector search runs: auto (pgvector on Postgres, FAISS on SQLite), faiss (index files derived from the database, per process), pgvector (in Postgres, shared by every worker).",
    )
    hnsw_m: int = Field(
        16,
        ge=2,
        le=100,
        description="pgvector HNSW: links per node (more: better recall, a bigger, slower-to-build index).",
    )
    hnsw_ef_construction: int = Field(
        64,
        ge=4,
        le=1000,
        description="pgvector HNSW: candidates kept while building, at least twice VEGA_HNSW_M (more: better recall, slower builds).",
    )
    hnsw_ef_search: int = Field(
        100,
        ge=1,
        le=1000,
        description="pgvector HNSW: candidates kept while searching (more: better recall, slower searches).",
    )
    pg_bin_dir: str = Field(
        "",
        description="Folder with pg_dump and pg_restore of the server's major version, for `vega backup` on Postgres; empty: PATH, then the ones the pgserver package ships.",
    )
    db_connect_timeout_s: float = Field(
        5.0, gt=0, le=300, description="Longest wait to connect to Postgres."
    )
    db_statement_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Longest one Postgres statement may run before it is cancelled.",
    )

    # Connection limits (docs/security.md, "Hostile requests").
    head_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Longest a request's line and headers may take to arrive, from their first byte; a slower head is cut off (slowloris).",
    )
    idle_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Longest a new connection may stay silent before it sends its first byte.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names the server answers to besides localhost names and the bound address, comma-separated (e.g. vega.example.org behind a proxy; * answers any, which DNS rebinding can abuse).",
    )
    metrics_public: bool | None = Field(
        None,
        description="Whether /metrics answers without a key. Unset: yes when VEGA_HOST is loopback, otherwise it needs an admin key.",
    )
    max_sockets_per_key: int = Field(
        16, ge=1, le=10_000, description="Open WebSockets per key; more are refused."
    )
    max_streams_per_key: int = Field(
        64,
        ge=1,
        le=100_000,
        description="Replies one key may have in progress at once, on every route; more get 429.",
    )
    template_timeout_s: float = Field(
        5.0,
        gt=0,
        le=600,
        description="Longest an in-process model's chat template may take to render one prompt.",
    )
    engine_wait_s: float = Field(
        300.0,
        gt=0,
        le=3600,
        description="Longest a request waits for a busy in-process model before it gets 503.",
    )
    sqlite_synchronous: str = Field(
        "NORMAL",
        pattern="^(NORMAL|FULL)$",
        description="SQLite synchronous pragma: NORMAL survives process crashes; FULL also survives power loss, slower.",
    )

    auth: AuthMode = Field(
        AuthMode.KEYS,
        description="keys: every caller is an API key (one person, or programs). accounts: people sign in (password or OIDC); each user owns their data and their own keys.",
    )
    session_days: float = Field(
        7.0, gt=0, le=365, description="How long a browser sign-in lasts (accounts mode)."
    )
    login_limit: str = Field(
        "5/15minutes",
        description="Failed sign-ins allowed per account from one address; more are refused until the window passes.",
    )
    login_address_limit: str = Field(
        "30/15minutes",
        description="Failed sign-ins allowed from one address, whatever the account.",
    )
    login_account_limit: str = Field(
        "100/hour",
        description="Failed sign-ins allowed per account from all addresses; beyond it only addresses the user signed in from before may try.",
    )
    oidc_issuer: str = Field(
        "",
        description="OpenID Connect issuer URL (accounts mode): adds 'Sign in with ...' to the sign-in page.",
    )
    oidc_client_id: str = Field(
        "", description="The client id Vega is registered with at the issuer."
    )
    oidc_client_secret: str = Field("", description="The client's secret at the issuer.")
    oidc_name: str = Field("SSO", description="The provider's name on the sign-in button.")
    oidc_scopes: str = Field("openid email profile", description="Scopes asked for at sign-in.")
    oidc_allowed_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Email domains whose users may sign in with OIDC, comma-separated; empty allows any.",
    )
    oidc_groups_claim: str = Field(
        "groups", description="The ID token claim that lists the user's groups."
    )
    oidc_required_group: str = Field(
        "", description="Only users in this group (of the groups claim) may sign in; empty: anyone."
    )
    oidc_admin_group: str = Field(
        "",
        description="Users in this group (of the groups claim) are admins; empty: none by claim.",
    )
    public_url: str = Field(
        "",
        description="The URL people reach Vega at (e.g. https://vega.example.org), for OIDC redirects; empty: taken from each request.",
    )
    quota_tokens_per_day: int = Field(
        0, ge=0, description="Tokens (prompt + completion) a user may use per UTC day; 0: no limit."
    )
    quota_storage_mb: int = Field(
        0, ge=0, description="Megabytes of documents a user may store; 0: no limit."
    )
    audit_retention_days: int = Field(
        0, ge=0, description="Delete audit rows older than this many days; 0 keeps them all."
    )

    # -- memory (docs/memory.md) ----------------------------------------------
    memory: bool = Field(
        True,
        description="Index every exchange for recall and recall earlier conversations into turns (each owner can turn it off).",
    )
    memory_top_k: int = Field(
        5, ge=0, le=50, description="Most earlier exchanges recalled into one turn."
    )
    memory_max_chars: int = Field(
        4000, ge=0, description="Budget for recalled exchanges in one prompt (characters)."
    )
    memory_min_similarity: float = Field(
        0.3,
        ge=-1,
        le=1,
        description="A recalled exchange enters a turn's prompt only when its meaning is at least this close to the question (cosine).",
    )

    # -- tools, agents and the web (docs/tools.md) ---------------------------
    agent_max_steps: int = Field(
        8, ge=1, le=50, description="Most model calls in one agent turn (each may call tools)."
    )
    agent_time_budget_s: float = Field(
        120.0, gt=0, le=3600, description="Longest an agent turn may run, tools included."
    )
    tool_timeout_s: float = Field(
        30.0, gt=0, le=600, description="Longest one tool call may run before it is stopped."
    )
    tool_max_output_chars: int = Field(
        20_000, ge=100, description="A tool's result is cut to this many characters for the model."
    )
    code_sandbox: str = Field(
        "off",
        pattern="^(off|bwrap)$",
        description="off: no python tool. bwrap: run model-written Python in bubblewrap (no network, throwaway files, CPU/memory/time caps).",
    )
    sandbox_memory_mb: int = Field(
        256, ge=16, le=16384, description="Memory cap of one sandboxed run (address space)."
    )
    sandbox_cpu_s: int = Field(10, ge=1, le=600, description="CPU seconds of one sandboxed run.")
    mcp_config: Path | None = Field(
        None,
        description='JSON file of MCP servers whose tools join the registry: {"mcpServers": {"name": {"command", "args", "env"} or {"url", "headers"}}}.',
    )
    search_provider: str = Field(
        "none",
        pattern="^(none|searxng|duckduckgo|brave|tavily)$",
        description="Web search for the web_search tool and research: none, searxng, duckduckgo, brave or tavily.",
    )
    searxng_url: str = Field("", description="Your SearXNG instance (its JSON API must be on).")
    search_api_key: str = Field("", description="API key of Brave or Tavily search.")
    search_base_url: str = Field(
        "", description="Another endpoint for the Brave or Tavily API (a proxy); empty: theirs."
    )
    search_cache_ttl_s: float = Field(
        300.0, ge=0, description="How long search results are reused; 0 disables."
    )
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names exempt from the fetch address rules (tests, intranets), comma-separated; empty by default.",
    )
    fetch_dns_servers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="DNS servers (host or host:port) the fetcher resolves names with, comma-separated; empty: the system's.",
    )
    fetch_max_mb: float = Field(5.0, gt=0, le=200, description="Largest page the fetcher reads.")
    fetch_timeout_s: float = Field(15.0, gt=0, le=300, description="Longest one fetch may take.")
    fetch_max_redirects: int = Field(5, ge=0, le=20, description="Redirects one fetch follows.")
    crawl_delay_s: float = Field(
        1.0, ge=0, description="Pause between two pages of a crawl (robots.txt may ask for more)."
    )
    crawl_max_pages: int = Field(50, ge=1, le=10_000, description="Default page cap of a crawl.")
    crawl_max_depth: int = Field(2, ge=0, le=20, description="Default link depth of a crawl.")
    research_max_sources: int = Field(
        5, ge=1, le=20, description="Pages research reads by default."
    )
    slack_webhook_url: str = Field(
        "", description="Slack incoming webhook: finished jobs and research answers posted there."
    )
    slack_signing_secret: str = Field(
        "", description="Slack app signing secret: turns on the /slack/command endpoint."
    )

    log_format: str = Field(
        "text", pattern="^(text|json)$", description="text for people, json for log collectors."
    )
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="Log level.")
    mode: Mode = Field(Mode.LOCAL, description="prod refuses to start on unsafe settings.")
    debug: bool = Field(False, description="Print tracebacks in the CLI.")

    @field_validator(
        "api_keys_extra",
        "allowed_hosts",
        "oidc_allowed_domains",
        "fetch_allow_hosts",
        "fetch_dns_servers",
        mode="before",
    )
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("metrics_public", "backup_dir", "mcp_config", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # `VEGA_METRICS_PUBLIC=` (as .env.example has it) means "decide by VEGA_HOST";
        # `VEGA_BACKUP_DIR=`, the default folder.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("llm_backend", "embedding_backend", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", "sqlite_synchronous", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "retention_schedule", "uploads_cleanup_schedule", "maintenance_schedule", "backup_schedule"
    )
    @classmethod
    def _check_schedule(cls, value: str, info: Any) -> str:
        from vega.jobs.schedule import check_cron

        return check_cron(value, f"VEGA_{str(info.field_name).upper()}")

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError("a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379/0)")
        return value

    @field_validator("rate_limit", "login_limit", "login_address_limit", "login_account_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from limits import parse_many  # small, pure-python; keeps the error next to the setting

        if value.strip() in {"", "0"}:
            return "0"
        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate like '120/minute' ({exc})") from exc
        return value

    @model_validator(mode="after")
    def _defaults_from_data_dir(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'vega.db'}"
        if not (
            self.database_url.startswith("sqlite") or self.database_url.startswith("postgresql")
        ):
            raise ValueError("database_url must be a sqlite:/// or postgresql+psycopg:// URL")
        if self.storage == StorageName.S3 and not self.s3_bucket:
            raise ValueError("VEGA_STORAGE=s3 needs VEGA_S3_BUCKET (the bucket to keep objects in)")
        oidc = {
            "ISSUER": self.oidc_issuer,
            "CLIENT_ID": self.oidc_client_id,
            "CLIENT_SECRET": self.oidc_client_secret,
        }
        if any(oidc.values()) and not all(oidc.values()):
            missing = ", ".join(f"VEGA_OIDC_{name}" for name, value in oidc.items() if not value)
            raise ValueError(
                f"OIDC sign-in needs VEGA_OIDC_ISSUER, VEGA_OIDC_CLIENT_ID and "
                f"VEGA_OIDC_CLIENT_SECRET together; missing: {missing}"
            )
        if self.oidc_issuer and not self.oidc_issuer.startswith(("https://", "http://")):
            raise ValueError("VEGA_OIDC_ISSUER must be the issuer's URL (https://...)")
        if self.hnsw_ef_construction < 2 * self.hnsw_m:
            # pgvector refuses such an index, and the collection would be left without one.
            raise ValueError(
                f"VEGA_HNSW_EF_CONSTRUCTION ({self.hnsw_ef_construction}) must be at least "
                f"twice VEGA_HNSW_M ({self.hnsw_m}): pgvector builds no index otherwise"
            )
        return self

    # -- derived ------------------------------------------------------------

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def accounts(self) -> bool:
        return self.auth is AuthMode.ACCOUNTS

    @property
    def oidc(self) -> bool:
        """Whether OIDC sign-in is configured (accounts mode only)."""
        return bool(self.accounts and self.oidc_issuer and self.oidc_client_id)

    @property
    def key_file(self) -> Path:
        return self.data_dir / "api_key"

    @property
    def secrets(self) -> list[str]:
        """The configured credentials: never logged (``vega.logs`` redacts them)."""
        values = (
            self.api_key,
            *self.api_keys_extra,
            self.openai_api_key,
            self.s3_secret_key,
            self.oidc_client_secret,
            self.search_api_key,
            self.slack_signing_secret,
            self.slack_webhook_url,
        )
        return [s for s in values if s]

    def unsafe_reasons(self) -> list[str]:
        """What makes these settings unsafe for a shared or public deployment."""
        reasons = []
        if not self.api_key:
            reasons.append(
                "VEGA_API_KEY is not set (prod needs an explicit key, not a generated one)"
            )
        if self.host not in LOCAL_HOSTS and not self.api_key:
            reasons.append(f"VEGA_HOST={self.host} exposes the server without an explicit key")
        if self.is_sqlite and self.workers > 1:
            reasons.append(
                "SQLite with several workers: use Postgres (VEGA_DATABASE_URL) or VEGA_WORKERS=1"
            )
        if self.debug:
            reasons.append("VEGA_DEBUG is on")
        return reasons


def load_settings(**overrides: Any) -> Settings:
    """Read the environment and ``.env`` once; turn validation errors into one clear message."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            name = f"VEGA_{field.upper()}" if err["loc"] else field
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("Invalid settings: " + "; ".join(problems)) from None
    if settings.mode is Mode.PROD and (reasons := settings.unsafe_reasons()):
        raise ConfigError("VEGA_MODE=prod refuses to start: " + "; ".join(reasons))
    return settings
