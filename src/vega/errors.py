"""One exception tree for the whole server.

Adapters translate library exceptions into these once (see ``vega.llm.http``);
the API maps them to status codes in one handler (``vega.api.errors``) and the CLI
maps them to exit codes in one place (``vega.cli.main``). Each class carries both,
so adding an error never means touching two tables.
"""

from __future__ import annotations

from typing import Any, ClassVar


class VegaError(Exception):
    """Base of every error Vega raises on purpose."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 2

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


# --- the caller's fault: exit code 1 ----------------------------------------


class UserError(VegaError):
    """Something the caller can fix by changing what they send."""

    exit_code = 1


class BadInput(UserError):
    code = "bad_input"
    status = 422


class ConfigError(UserError):
    """Settings that cannot work; raised at start, before anything is served."""

    code = "config_error"
    status = 500


class NotFound(UserError):
    code = "not_found"
    status = 404


class Unauthorized(UserError):
    code = "unauthorized"
    status = 401


class Forbidden(UserError):
    code = "forbidden"
    status = 403


class CsrfRefused(Forbidden):
    """A request signed in by the session cookie without its CSRF token, or from another site."""

    code = "csrf_failed"


class SignInFailed(UserError):
    """An OIDC sign-in that cannot be trusted: wrong state, a code the provider refused, a
    token from another issuer or for another client, a user outside the allowed ones."""

    code = "sign_in_failed"
    status = 400


class Conflict(UserError):
    code = "conflict"
    status = 409


class UnreadableDocument(BadInput):
    """A file that holds no text we can read, or that breaks the extraction budgets."""

    code = "unreadable_document"


class UnsupportedType(UserError):
    code = "unsupported_media_type"
    status = 415


class PayloadTooLarge(UserError):
    code = "payload_too_large"
    status = 413


class RangeNotSatisfiable(UserError):
    code = "range_not_satisfiable"
    status = 416


class TurnCancelled(UserError):
    """A cancel of the conversation (POST /conversations/{id}/cancel) stopped the reply."""

    code = "cancelled"
    status = 409


class RateLimited(UserError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class QuotaExceeded(RateLimited):
    """A user's quota (tokens per day, stored megabytes) is used up; the message says
    which, and when it resets."""

    code = "quota_exceeded"


# --- the service's fault: exit code 2 ---------------------------------------


class ServiceError(VegaError):
    exit_code = 2


class BackendUnavailable(ServiceError):
    """The model server cannot be reached, or the circuit breaker is open."""

    code = "backend_unavailable"
    status = 503


class BackendTimeout(ServiceError):
    code = "backend_timeout"
    status = 504


class BackendError(ServiceError):
    """The model server answered with an error or a malformed stream."""

    code = "backend_error"
    status = 502


class BackendBusy(ServiceError):
    """An in-process model is still busy with earlier requests (or stuck on one).

    Not a ``BackendUnavailable``: the gateway neither retries it (the wait already took
    VEGA_ENGINE_WAIT_S) nor counts it against the circuit breaker (the model works).
    """

    code = "backend_busy"
    status = 503


class BackendRejected(UserError):
    """The model server refused this request (unknown model, bad parameters).

    Not a failure of the backend, so it never trips the circuit breaker.
    """

    code = "backend_rejected"
    status = 400


class EmbedderUnavailable(ServiceError):
    """The embedding model cannot be loaded or reached: documents cannot be searched."""

    code = "embedder_unavailable"
    status = 503


class StorageError(ServiceError):
    code = "storage_error"
    status = 503


class DatabaseUnavailable(StorageError):
    """The database server cannot be reached (stopped, restarting, unreachable): Vega
    reconnects by itself once it answers again."""

    code = "database_unavailable"


class ObjectStoreUnavailable(StorageError):
    """The object store (VEGA_STORAGE=s3) cannot be reached, or its bucket is gone or
    refuses Vega's credentials: nothing was recorded for the request that met it."""

    code = "object_storage_unavailable"


class DatabaseTimeout(StorageError):
    """A statement ran past VEGA_DB_STATEMENT_TIMEOUT_S and the database cancelled it."""

    code = "database_timeout"


# --- tools and the web ----------------------------------------------------------


class FetchRefused(Forbidden):
    """A URL the fetcher will not open: a forbidden address (loopback, private, link-local,
    metadata, ...), before or after DNS or on a redirect, or a scheme other than http(s)."""

    code = "fetch_refused"


class FetchFailed(ServiceError):
    """A URL that could not be read: unreachable, too slow, too big, an error status, or a
    content type that is not text."""

    code = "fetch_failed"
    status = 502


class SearchUnavailable(ServiceError):
    """The web search provider is not configured, down, or refused the request."""

    code = "search_unavailable"
    status = 503


class ToolFailed(ServiceError):
    """A tool that raised, timed out, or was given arguments its schema refuses. Inside an
    agent turn it becomes the tool's result (the model reads the error); it never ends
    the turn by itself."""

    code = "tool_failed"
    status = 502


class SlackSignatureInvalid(Unauthorized):
    """A Slack request whose signature or timestamp does not check out."""

    code = "slack_signature_invalid"


class AgentLimit(ServiceError):
    """An agent turn that ran out of its time budget, or whose model kept calling tools
    past the step cap (VEGA_AGENT_TIME_BUDGET_S, VEGA_AGENT_MAX_STEPS)."""

    code = "agent_limit"
    status = 504
