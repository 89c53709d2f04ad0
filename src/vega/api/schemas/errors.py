"""The codes of Vega's errors, as the OpenAPI component ``ErrorCode``.

Every error body names one (``{"error": {"code", ...}}``, the WebSocket's ``error``
frame, the ``code`` of the OpenAI-shaped errors under ``/v1``). Clients branch on them
and take the list from the document (the browser UI does), so it is closed and whole:
``tests/unit/test_error_codes.py`` fails when an error class or an HTTP refusal sends a
code that is not here.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # The caller's: change the request.
    BAD_INPUT = "bad_input"  # a request that does not validate, or a value a rule refuses
    BAD_REQUEST = "bad_request"  # malformed HTTP: framing, Host, a body that is not UTF-8
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    SIGN_IN_FAILED = "sign_in_failed"  # an OIDC callback that cannot be trusted
    CSRF_FAILED = "csrf_failed"  # a cookie-signed request without X-CSRF-Token, or cross-site
    NOT_FOUND = "not_found"
    MODEL_NOT_FOUND = "model_not_found"  # /v1 only, where OpenAI's SDKs expect it
    METHOD_NOT_ALLOWED = "method_not_allowed"
    REQUEST_TIMEOUT = "request_timeout"
    CONFLICT = "conflict"
    CANCELLED = "cancelled"  # a cancel of the conversation stopped the reply
    EMBEDDING_MISMATCH = "embedding_mismatch"
    MISDIRECTED_REQUEST = "misdirected_request"  # a Host this server does not answer to
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNREADABLE_DOCUMENT = "unreadable_document"
    RATE_LIMITED = "rate_limited"
    QUOTA_EXCEEDED = "quota_exceeded"  # a user's tokens per day or stored megabytes
    RANGE_NOT_SATISFIABLE = "range_not_satisfiable"
    BACKEND_REJECTED = "backend_rejected"
    FETCH_REFUSED = "fetch_refused"  # a URL the SSRF-safe fetcher will not open
    SLACK_SIGNATURE_INVALID = "slack_signature_invalid"
    CONFIG_ERROR = "config_error"
    # The service's: try again, or fix the server.
    INTERNAL_ERROR = "internal_error"
    BACKEND_UNAVAILABLE = "backend_unavailable"
    BACKEND_BUSY = "backend_busy"
    BACKEND_TIMEOUT = "backend_timeout"
    BACKEND_ERROR = "backend_error"
    EMBEDDER_UNAVAILABLE = "embedder_unavailable"
    STORAGE_ERROR = "storage_error"
    DATABASE_UNAVAILABLE = "database_unavailable"  # the database server cannot be reached
    DATABASE_TIMEOUT = "database_timeout"  # a statement ran past VEGA_DB_STATEMENT_TIMEOUT_S
    OBJECT_STORAGE_UNAVAILABLE = "object_storage_unavailable"  # the S3 bucket does not answer
    FETCH_FAILED = "fetch_failed"  # a URL that could not be read
    SEARCH_UNAVAILABLE = "search_unavailable"  # web search off, or its provider failed
    TOOL_FAILED = "tool_failed"
    AGENT_LIMIT = "agent_limit"  # an agent turn past its time budget or step cap
    ERROR = "error"  # an HTTP error with no code of its own
