"""The two request middlewares together, in-process on a small app of real routes.

- The body guard's larger limit goes to the routes that take a file, found from the
  routes themselves (``UploadRoutes``): a new upload route, such as ``POST /v1/files``,
  gets it by declaring its file, whatever router and prefix it comes in with.
- Its refusals and the request context's last-resort 500 are in the shape of the path
  (Vega's, OpenAI's), carry the request id, and are counted in the metrics: the guard
  runs inside the request context.

The hostile-request tests (``test_hostile_requests.py``) pin each refusal against a real
server; this file pins the wiring.
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, File, UploadFile

from vega.api.body_guard import BodyGuardMiddleware, BodyLimits, UploadRoutes
from vega.api.compat.errors import OpenAIRoute
from vega.api.errors import install_error_handlers
from vega.api.request_context import RequestContextMiddleware
from vega.metrics import Metrics

MAX_BODY = 1_000
MAX_UPLOAD = 100_000
FILE = b"x" * 5_000  # over the body limit, under the upload limit


def small_app(metrics: Metrics) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/notes")
    async def notes(body: dict[str, Any]) -> dict[str, Any]:
        return {"keys": len(body)}

    @app.post("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    wire = APIRouter(prefix="/v1", route_class=OpenAIRoute)

    @wire.post("/files")
    async def upload(file: Annotated[UploadFile, File()]) -> dict[str, int]:
        return {"bytes": len(await file.read())}

    @wire.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    @wire.post("/boom")
    async def wire_boom() -> None:
        raise RuntimeError("a bug")

    # A file route whose prefix comes from include_router, as a later router's might.
    batches = APIRouter()

    @batches.post("/batches/{batch_id}/files")
    async def batch_file(batch_id: str, file: Annotated[UploadFile, File()]) -> dict[str, int]:
        return {"bytes": len(await file.read())}

    app.include_router(wire)
    app.include_router(batches, prefix="/jobs")
    limits = BodyLimits(
        body_bytes=MAX_BODY, upload_bytes=MAX_UPLOAD, uploads=UploadRoutes(app.routes)
    )
    app.add_middleware(BodyGuardMiddleware, limits=limits)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
async def client(metrics: Metrics) -> Any:
    transport = httpx.ASGITransport(app=small_app(metrics), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://vega.test") as client:
        yield client


def test_the_routes_that_take_a_file_are_the_upload_routes(metrics: Metrics) -> None:
    uploads = UploadRoutes(small_app(metrics).routes)
    assert "/v1/files" in uploads
    assert "/v1/files/" in uploads  # the router redirects it to the route
    assert "/jobs/batches/7/files" in uploads
    assert "/notes" not in uploads
    assert "/v1/echo" not in uploads
    assert "/v1/files/extra" not in uploads
    assert "/batches/7/files" not in uploads  # the route's path is the included one


async def test_an_upload_route_takes_a_body_over_the_json_limit(client: httpx.AsyncClient) -> None:
    for path in ("/v1/files", "/jobs/batches/7/files"):
        response = await client.post(path, files={"file": ("a.jsonl", FILE)})
        assert response.status_code == 200, response.text
        assert response.json() == {"bytes": len(FILE)}
    too_big = b"y" * (MAX_UPLOAD + 1)
    refused = await client.post("/v1/files", files={"file": ("a.jsonl", too_big)})
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "payload_too_large"


async def test_a_json_route_refuses_the_same_body_in_its_paths_shape(
    client: httpx.AsyncClient, metrics: Metrics
) -> None:
    body = b'{"text": "' + FILE + b'"}'
    headers = {"Content-Type": "application/json", "X-Request-ID": "guarded-1"}

    native = await client.post("/notes", content=body, headers=headers)
    assert native.status_code == 413
    assert native.headers["x-request-id"] == "guarded-1"
    assert native.headers["connection"] == "close"  # the body is left unread
    error = native.json()["error"]
    assert error["code"] == "payload_too_large" and error["request_id"] == "guarded-1"
    assert f"larger than {MAX_BODY} bytes" in error["message"]

    openai = await client.post("/v1/echo", content=body, headers=headers)
    assert openai.status_code == 413
    assert openai.json()["error"]["type"] == "invalid_request_error"
    assert openai.json()["error"]["code"] == "payload_too_large"

    # Counted by the request context, outside the guard (no route was reached).
    refused = metrics.registry.get_sample_value(
        "vega_http_requests_total", {"method": "POST", "route": "unmatched", "status": "413"}
    )
    assert refused == 2


async def test_a_bug_is_a_500_with_the_request_id_in_the_paths_shape(
    client: httpx.AsyncClient, metrics: Metrics
) -> None:
    native = await client.post("/boom", headers={"X-Request-ID": "bug-1"})
    assert native.status_code == 500
    assert native.headers["x-request-id"] == "bug-1"
    assert native.json() == {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong; see the server log.",
            "request_id": "bug-1",
        }
    }
    openai = await client.post("/v1/boom", headers={"X-Request-ID": "bug-2"})
    assert openai.status_code == 500
    assert openai.headers["x-request-id"] == "bug-2"
    assert openai.json() == {
        "error": {
            "message": "Something went wrong; see the server log.",
            "type": "server_error",
            "param": None,
            "code": "internal_error",
        }
    }
    counted = metrics.registry.get_sample_value(
        "vega_http_requests_total", {"method": "POST", "route": "/boom", "status": "500"}
    )
    assert counted == 1
