"""HTTP plumbing for model-server backends: the only backend module that touches aiohttp.

Backends get a ``BackendHTTP`` (a pooled session plus error translation) and see
plain dicts and ``VegaError``s, never a library type. Library exceptions are mapped
into the ``VegaError`` tree here, once (DESIGN.md section 8).

Why aiohttp here when the rest of Vega uses httpx: on a streamed reply every token
is an HTTP chunk, and httpx parses chunks in pure Python (h11). Profiling the
gateway benchmark put ~40% of the server's CPU there; aiohttp's C parser costs a
fraction of that. The choice stays inside this module.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

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


@asynccontextmanager
async def translate_errors(
    backend_name: str, *, url: str = "", hint: str = ""
) -> AsyncIterator[None]:
    """Turn aiohttp exceptions raised inside the block into ``VegaError``s.

    ``hint`` completes "is it running?" for this backend, e.g. "(ollama serve)".
    ``VegaError``s and cancellation pass through untouched.
    """
    try:
        yield
    except VegaError:
        raise
    except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
        suffix = f" {hint}" if hint else ""
        raise BackendUnavailable(
            f"Cannot reach {backend_name} at {url}: is it running?{suffix}",
            backend=backend_name,
        ) from exc
    except (aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError, TimeoutError) as exc:
        raise BackendTimeout(
            f"{backend_name} did not answer in time ({type(exc).__name__}).",
            backend=backend_name,
        ) from exc
    except (
        aiohttp.ServerDisconnectedError,
        aiohttp.ClientPayloadError,
        aiohttp.ClientOSError,
        aiohttp.ClientResponseError,
    ) as exc:
        raise BackendError(
            f"The connection to {backend_name} broke off mid-response.", backend=backend_name
        ) from exc
    except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a URL aiohttp refuses
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


async def raise_for_status(response: aiohttp.ClientResponse, backend_name: str) -> None:
    """Raise ``status_error`` for a non-2xx response, logging the backend's text."""
    if 200 <= response.status < 300:
        return
    try:
        body = (await response.read()).decode("utf-8", "replace")
    except aiohttp.ClientError:
        body = "<unreadable>"
    log.warning("%s answered HTTP %s: %s", backend_name, response.status, body[:LOGGED_ERROR_CHARS])
    raise status_error(backend_name, response.status)


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


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r\n")


async def iter_ndjson(
    response: aiohttp.ClientResponse, backend_name: str
) -> AsyncGenerator[dict[str, Any], None]:
    """One dict per non-empty line of an NDJSON body."""
    async for raw in response.content:
        line = _text(raw)
        if line.strip():
            yield parse_frame(line, backend_name)


async def iter_sse_data(response: aiohttp.ClientResponse) -> AsyncGenerator[str, None]:
    """The ``data`` payload of each Server-Sent Event (multi-line data joined by
    newlines; comments, ``event:`` and ``id:`` fields ignored)."""
    data: list[str] = []
    async for raw in response.content:
        line = _text(raw)
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
    """A pooled session for one backend, with error translation on every call.

    The session is made on first use, inside the event loop that will use it.
    """

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
        self._headers = dict(headers or {})
        # sock_read bounds each read (time to first byte, and between chunks of a
        # stream), not the whole reply: a long generation is never cut off.
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout_s, sock_read=timeout_s
        )
        self._probe_timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=connect_timeout_s,
            sock_read=min(timeout_s, PROBE_TIMEOUT_S),
        )
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_EXPIRY_S
            )
            # trust_env=False: backends are usually local, and an HTTP(S)_PROXY meant
            # for the internet must not capture requests to 127.0.0.1.
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self._headers, timeout=self._timeout, trust_env=False
            )
        return self._session

    def _errors(self) -> Any:
        return translate_errors(self.backend_name, url=self.base_url, hint=self.hint)

    async def get_json(self, path: str, *, probe: bool = False) -> Any:
        """GET a JSON document; ``probe=True`` uses the short health-check timeout."""
        return await self._json("GET", path, None, probe=probe)

    async def post_json(self, path: str, body: Any, *, probe: bool = False) -> Any:
        """POST ``body`` and read the JSON document of the reply (not a stream)."""
        return await self._json("POST", path, body, probe=probe)

    async def _json(self, method: str, path: str, body: Any, *, probe: bool) -> Any:
        timeout = self._probe_timeout if probe else self._timeout
        async with self._errors():
            async with self._client().request(
                method, self.base_url + path, json=body, timeout=timeout, allow_redirects=False
            ) as response:
                await raise_for_status(response, self.backend_name)
                raw = await response.read()
            try:
                return json.loads(raw)
            except ValueError:
                raise BackendError(
                    f"{self.backend_name} sent a malformed response.", backend=self.backend_name
                ) from None

    async def stream_ndjson(self, path: str, body: Any) -> AsyncGenerator[dict[str, Any], None]:
        """POST ``body`` and yield the NDJSON frames of the reply."""
        async with self._errors(), self._post(path, body) as response:
            await raise_for_status(response, self.backend_name)
            async for frame in iter_ndjson(response, self.backend_name):
                yield frame

    async def stream_sse(self, path: str, body: Any) -> AsyncGenerator[str, None]:
        """POST ``body`` and yield the ``data`` payload of each SSE event (raw text:
        the caller knows its sentinels, such as OpenAI's ``[DONE]``)."""
        async with self._errors(), self._post(path, body) as response:
            await raise_for_status(response, self.backend_name)
            async for payload in iter_sse_data(response):
                yield payload

    def _post(self, path: str, body: Any) -> Any:
        # Leaving the block early (the client hung up) releases the connection
        # unread, which closes it: the model server sees the disconnect and stops.
        return self._client().post(self.base_url + path, json=body, allow_redirects=False)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
            # Let the connector's transports finish closing before the loop moves on.
            await asyncio.sleep(0)
