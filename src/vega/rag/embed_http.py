"""Embedders that call a model server: Ollama (``/api/embed``) or any OpenAI-compatible
server (``/v1/embeddings``: llama.cpp server, vLLM, LM Studio, OpenAI itself).

The ``Embedder`` contract is synchronous (ingestion and retrieval call it from worker
threads, like the local model), so this uses a sync ``httpx.Client``: callers on an
event loop must run it in a thread. No httpx type leaves this module; failures are
translated into the ``VegaError`` tree here, once (DESIGN.md section 8).

Vectors are normalised to unit length here: some models (nomic-embed-text, for one)
do not, and every index downstream assumes cosine similarity is a dot product.
"""

from __future__ import annotations

import logging
import threading
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from vega.errors import (
    BackendError,
    BackendRejected,
    BackendTimeout,
    BackendUnavailable,
    VegaError,
)
from vega.llm.http import LOGGED_ERROR_CHARS, status_error
from vega.llm.openai import normalise_base_url
from vega.rag.embed import Embedder

if TYPE_CHECKING:
    from vega.rag.embed import Vectors

log = logging.getLogger(__name__)

# Texts per request: large enough to amortise the round trip, small enough that one
# request stays well inside a server's body limit and timeout.
REQUEST_BATCH = 64
# Embedded once to learn the model's width when ``dim`` is asked before any batch.
PROBE_TEXT = "dimension probe"
DEFAULT_CONNECT_TIMEOUT_S = 5.0
SWITCH_HINT = "or set VEGA_EMBEDDING_BACKEND=local"


class HTTPEmbedder(Embedder):
    """The request, batching, error and normalisation plumbing both protocols share.

    A subclass names its ``path`` and turns a response body into one row per text.
    """

    backend: ClassVar[str]  # the name errors and logs use
    path: ClassVar[str]  # the embeddings endpoint, below ``base_url``
    start_hint: ClassVar[str]  # how to bring the server up

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        timeout_s: float,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = model
        self.base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s))
        self._headers = dict(headers or {})
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self._dim: int | None = None

    # -- the Embedder contract ------------------------------------------------

    @property
    def dim(self) -> int:  # type: ignore[override]
        if self._dim is None:
            self.embed_batch([PROBE_TEXT])  # sets _dim
        assert self._dim is not None
        return self._dim

    @property
    def max_tokens(self) -> int:
        # We cannot run a remote model's tokenizer, so chunks are sized with the ABC's
        # estimate (count_tokens/token_spans). 512 fits every common embedding model's
        # window (MiniLM and BGE read 512, nomic-embed-text 2048 or more), leaving room
        # for the estimate to undercount; the server truncates anything beyond.
        return 512

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._embed_request(list(texts[start : start + REQUEST_BATCH]))
            for start in range(0, len(texts), REQUEST_BATCH)
        ]
        return _unit_rows(np.vstack(parts))

    def close(self) -> None:
        """Release the connection pool; the next call opens a new one."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- what a protocol provides ---------------------------------------------

    @abstractmethod
    def _rows(self, payload: Any, count: int) -> list[Any]:
        """The response body as one vector (a list of numbers) per input, in input order."""

    # -- plumbing --------------------------------------------------------------

    def _embed_request(self, texts: list[str]) -> Vectors:
        payload = self._post({"model": self.name, "input": texts})
        rows = self._rows(payload, len(texts))
        if len(rows) != len(texts):
            raise self._malformed(f"{len(rows)} vectors for {len(texts)} texts")
        vectors = _as_matrix(rows)
        if vectors is None:
            raise self._malformed("vectors that are not lists of numbers of one length")
        self._check_width(vectors.shape[1])
        return vectors

    def _check_width(self, width: int) -> None:
        if self._dim is None:
            self._dim = width
        elif width != self._dim:
            # The model behind the name changed: mixing widths would corrupt the index.
            raise BackendError(
                f"{self.backend} embedding model '{self.name}' changed width "
                f"from {self._dim} to {width}; reindex after changing models.",
                backend=self.backend,
            )

    def _post(self, body: dict[str, Any]) -> Any:
        url = self.base_url + self.path
        with self._translate_errors(url):
            response = self._http().post(url, json=body)
        if not response.is_success:
            log.warning(
                "%s embeddings answered HTTP %s: %s",
                self.backend,
                response.status_code,
                response.text[:LOGGED_ERROR_CHARS],
            )
            raise self._status_error(response.status_code)
        try:
            return response.json()
        except ValueError:
            raise self._malformed("a body that is not JSON") from None

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                # trust_env=False: model servers are usually local, and a proxy meant
                # for the internet must not capture requests to 127.0.0.1.
                self._client = httpx.Client(
                    timeout=self._timeout,
                    headers=self._headers,
                    trust_env=False,
                    follow_redirects=False,
                )
            return self._client

    @contextmanager
    def _translate_errors(self, url: str) -> Iterator[None]:
        try:
            yield
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise BackendUnavailable(
                f"Cannot reach {self.backend} at {url} to embed text: "
                f"{self.start_hint}, {SWITCH_HINT}.",
                backend=self.backend,
            ) from exc
        except httpx.TimeoutException as exc:
            raise BackendTimeout(
                f"{self.backend} at {url} did not answer an embedding request in time: "
                f"raise VEGA_LLM_TIMEOUT_S, use a smaller model, {SWITCH_HINT}.",
                backend=self.backend,
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise BackendError(
                f"Embedding through {self.backend} at {url} failed ({type(exc).__name__}).",
                backend=self.backend,
            ) from exc

    def _status_error(self, status: int) -> VegaError:
        if status == 404:
            return BackendRejected(
                f"{self.backend} does not serve the embedding model '{self.name}' (HTTP 404): "
                f"{self.missing_model_hint()}",
                backend=self.backend,
                upstream_status=status,
            )
        # Everything else means what it means for chat: one mapping for both.
        return status_error(f"{self.backend} embeddings", status)

    def missing_model_hint(self) -> str:
        return "check VEGA_EMBEDDING_MODEL."

    def _malformed(self, what: str) -> BackendError:
        # The body is not logged: it may hold the user's text.
        return BackendError(
            f"{self.backend} sent a malformed embeddings response ({what}).",
            backend=self.backend,
        )


class OllamaEmbedder(HTTPEmbedder):
    """``POST /api/embed`` with ``{"model", "input": [...]}`` -> ``{"embeddings": [...]}``."""

    backend = "ollama"
    path = "/api/embed"
    start_hint = "start Ollama (ollama serve)"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        timeout_s: float,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
    ) -> None:
        super().__init__(base_url, model, timeout_s=timeout_s, connect_timeout_s=connect_timeout_s)

    def missing_model_hint(self) -> str:
        return f"pull it (ollama pull {self.name}) or change VEGA_EMBEDDING_MODEL."

    def _rows(self, payload: Any, count: int) -> list[Any]:
        rows = payload.get("embeddings") if isinstance(payload, dict) else None
        if not isinstance(rows, list):
            raise self._malformed("no 'embeddings' list")
        return rows


class OpenAIEmbedder(HTTPEmbedder):
    """``POST {base}/embeddings`` -> ``{"data": [{"index", "embedding"}]}``, sorted by index.

    ``base_url`` is read as the chat backend reads it: ``http://host:8080`` and
    ``http://host:8080/v1`` both mean ``.../v1``, so one VEGA_OPENAI_BASE_URL serves both.
    """

    backend = "openai"
    path = "/embeddings"
    start_hint = "start the OpenAI-compatible server (llama.cpp needs --embeddings)"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        timeout_s: float,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        super().__init__(
            normalise_base_url(base_url),
            model,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            headers=headers,
        )

    def missing_model_hint(self) -> str:
        return "check VEGA_EMBEDDING_MODEL, and that VEGA_OPENAI_BASE_URL is the server's /v1 API."

    def _rows(self, payload: Any, count: int) -> list[Any]:
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise self._malformed("no 'data' list of objects")
        by_index = {item.get("index"): item.get("embedding") for item in data}
        # The spec does not promise order, so rows are placed by index; every index
        # 0..count-1 exactly once, or the answer cannot be matched to our texts.
        if len(data) != count or set(by_index) != set(range(count)):
            raise self._malformed(f"indexes that do not cover the {count} texts sent")
        return [by_index[i] for i in range(count)]


def _as_matrix(rows: list[Any]) -> Vectors | None:
    """The rows as a finite float32 ``(n, dim)`` array, or None if they are not one."""
    import numpy as np

    if not all(isinstance(row, list) and row for row in rows):
        return None
    try:
        matrix = np.asarray(rows, dtype=np.float32)
    except (ValueError, TypeError):  # ragged rows, strings, nulls
        return None
    if matrix.ndim != 2 or not np.isfinite(matrix).all():
        return None
    return matrix


def _unit_rows(vectors: Vectors) -> Vectors:
    """Each row scaled to length 1 (an all-zero row stays zero rather than NaN)."""
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(vectors / norms, dtype=np.float32)
