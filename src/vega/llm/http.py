"""HTTP plumbing for model-server backends: the only backend module that touches httpx.

Backends get a ``BackendHTTP`` (a pooled client plus error translation) and see
plain dicts and ``VegaError``s, never an httpx type. Library exceptions are mapped
into the ``VegaError`` tree here, once (DESIGN.md section 8).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from typing import Any

import httpx

from vega.errors import (
    BackendError,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
    VegaError,
)

log = logging.getLogger(__name__)

# Sized for ~64 concurrent streams, plus headroom so health checks and model
# listings do not queue behind them.
MAX_STREAMS = 64
MAX_CONNECTIONS = MAX_STREAMS + 8
KEEPALIVE_EXPIRY_S = 30.0
# Health probes answer "is it up?": they must not wait as long as a generation.
PROBE_TIMEOUT_S = 10.0
# How much of a backend's error body goes to the log (it can be large or binary).
LOGGED_ERROR_CHARS = 500


def make_client(
    base_url: str,
    *,
    timeout_s: float,
    connect_timeout_s: float,
    headers: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """A pooled client. ``timeout_s`` bounds each read (time to first byte, and
    between chunks of a stream); ``connect_timeout_s`` bounds connecting.

    ``trust_env=False``: backends are usually local, and an HTTP(S)_PROXY meant for
    the internet must not capture requests to 127.0.0.1.
    """
    return httpx.AsyncClient(
        base_url=base_url,
        headers=dict(headers or {}),
        timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
        limits=httpx.Limits(
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_STREAMS,
            keepalive_expiry=KEEPALIVE_EXPIRY_S,
        ),
        trust_env=False,
        follow_redirects=False,
    )


def _where(exc: httpx.HTTPError, fallback: str) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # raised when the exception carries no request
        return fallback
    return f"{url.scheme}://{url.netloc.decode()}" if url.netloc else fallback


@asynccontextmanager
async def translate_errors(
    backend_name: str, *, url: str = "", hint: str = ""
) -> AsyncIterator[None]:
    """Turn httpx exceptions raised inside the block into ``VegaError``s.

    ``hint`` completes "is it running?" for this backend, e.g. "(ollama serve)".
    ``VegaError``s and cancellation pass through untouched.
    """
    try:
        yield
    except VegaError:
        raise
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        where = _where(exc, url)
        suffix = f" {hint}" if hint else ""
        raise BackendUnavailable(
            f"Cannot reach {backend_name} at {where}: is it running?{suffix}",
            backend=backend_name,
        ) from exc
    except httpx.TimeoutException as exc:  # read, write and pool timeouts
        raise BackendTimeout(
            f"{backend_name} did not answer in time ({type(exc).__name__}).",
            backend=backend_name,
        ) from exc
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        raise BackendError(
            f"The connection to {backend_name} broke off mid-response.", backend=backend_name
        ) from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise BackendError(
            f"Talking to {backend_name} failed ({type(exc).__name__}).", backend=backend_name
        ) from exc


def status_error(backend_name: str, status: int) -> VegaError:
    """Our own error for an error status. The backend's text is never included:
    it can leak internals, so callers log it instead."""
    details = {"backend": backend_name, "upstream_status": status}
    if status in (401, 403):  # our configured key is wrong: not the client's fault
        return BackendError(
            f"{backend_name} refused our credentials (HTTP {status}): check its API key setting.",
            **details,
        )
    if status == 404:
        return BackendRejected(
            f"{backend_name} does not know the requested model (HTTP 404): check the model name.",
            **details,
        )
    if status == 408:
        return BackendTimeout(f"{backend_name} timed out the request (HTTP 408).", **details)
    if status in (429, 503):  # busy or overloaded: retry later
        return BackendUnavailable(
            f"{backend_name} is busy (HTTP {status}): try again shortly.", **details
        )
    if 400 <= status < 500:
        return BackendRejected(
            f"{backend_name} refused the request (HTTP {status}): check the model and parameters.",
            **details,
        )
    return BackendError(f"{backend_name} failed (HTTP {status}).", **details)


async def raise_for_status(response: httpx.Response, backend_name: str) -> None:
    """Raise ``status_error`` for a non-2xx response, logging the backend's text."""
    if response.is_success:
        return
    try:
        body = (await response.aread()).decode("utf-8", "replace")
    except httpx.HTTPError:
        body = "<unreadable>"
    log.warning(
        "%s answered HTTP %s: %s",
        backend_name,
        response.status_code,
        body[:LOGGED_ERROR_CHARS],
    )
    raise status_error(backend_name, response.status_code)


def parse_frame(payload: str, backend_name: str) -> dict[str, Any]:
    """A stream frame as a JSON object, or ``BackendError``."""
    try:
        frame = json.loads(payload)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        # The payload may hold generated text, so it is not logged.
        raise BackendError(f"{backend_name} sent a malformed stream frame.", backend=backend_name)
    return frame


async def iter_ndjson(
    response: httpx.Response, backend_name: str
) -> AsyncGenerator[dict[str, Any], None]:
    """One dict per non-empty line of an NDJSON body."""
    async for line in response.aiter_lines():
        if line.strip():
            yield parse_frame(line, backend_name)


async def iter_sse_data(response: httpx.Response) -> AsyncGenerator[str, None]:
    """The ``data`` payload of each Server-Sent Event (multi-line data joined by
    newlines; comments, ``event:`` and ``id:`` fields ignored)."""
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:  # a blank line ends the event
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
    if data:  # tolerate a last event without its blank line
        yield "\n".join(data)


class BackendHTTP:
    """A pooled client for one backend, with error translation on every call."""

    def __init__(
        self,
        backend_name: str,
        base_url: str,
        *,
        timeout_s: float,
        connect_timeout_s: float,
        headers: Mapping[str, str] | None = None,
        hint: str = "",
    ) -> None:
        self.backend_name = backend_name
        self.base_url = base_url.rstrip("/")
        self.hint = hint
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._client = make_client(
            self.base_url,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            headers=headers,
        )

    def _errors(self) -> AbstractAsyncContextManager[None]:
        return translate_errors(self.backend_name, url=self.base_url, hint=self.hint)

    async def get_json(self, path: str, *, probe: bool = False) -> Any:
        """GET a JSON document; ``probe=True`` uses the short health-check timeout."""
        timeout = (
            httpx.Timeout(min(self._timeout_s, PROBE_TIMEOUT_S), connect=self._connect_timeout_s)
            if probe
            else httpx.USE_CLIENT_DEFAULT
        )
        async with self._errors():
            response = await self._client.get(path, timeout=timeout)
            await raise_for_status(response, self.backend_name)
            try:
                return response.json()
            except ValueError:
                raise BackendError(
                    f"{self.backend_name} sent a malformed response.", backend=self.backend_name
                ) from None

    async def stream_ndjson(self, path: str, body: Any) -> AsyncGenerator[dict[str, Any], None]:
        """POST ``body`` and yield the NDJSON frames of the reply."""
        async with self._errors(), self._client.stream("POST", path, json=body) as resp:
            await raise_for_status(resp, self.backend_name)
            async with aclosing(iter_ndjson(resp, self.backend_name)) as frames:
                async for frame in frames:
                    yield frame

    async def stream_sse(self, path: str, body: Any) -> AsyncGenerator[str, None]:
        """POST ``body`` and yield the ``data`` payload of each SSE event (raw text:
        the caller knows its sentinels, such as OpenAI's ``[DONE]``)."""
        async with self._errors(), self._client.stream("POST", path, json=body) as resp:
            await raise_for_status(resp, self.backend_name)
            async with aclosing(iter_sse_data(resp)) as payloads:
                async for payload in payloads:
                    yield payload

    async def aclose(self) -> None:
        await self._client.aclose()
