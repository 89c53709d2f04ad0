"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), built from Vega's own files only.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, and start Swagger UI with an
inline script. ``/docs`` is where people paste their key, so every script on it comes
from Vega itself: the two packages are pinned in ``web/package.json`` and copied, as
published and with their licences, into the built UI (``api-docs/`` of ``vega/web``, by
``web/vite.config.ts``), and Swagger UI is started by a file of its own
(``api-docs/swagger-ui-init.js``; ReDoc starts from its ``<redoc>`` element). The pages
carry the UI's frame protection and a Content-Security-Policy as strict as the UI's,
with no remote images (they show nothing from elsewhere) and, for ReDoc, workers from
``blob:`` URLs (its search index runs in one, built by its own script).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from vega.api.ui import PAGE_HEADERS, WEB_DIR

DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DOCS_HEADERS = {**PAGE_HEADERS, "Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"}
REDOC_HEADERS = {**DOCS_HEADERS, "Content-Security-Policy": DOCS_CSP + "; worker-src blob:"}

SWAGGER_UI = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} - Swagger UI</title>
<link rel="icon" type="image/svg+xml" href="{base}/favicon.svg">
<link rel="stylesheet" href="{base}/api-docs/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{base}/api-docs/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{base}/api-docs/swagger-ui-init.js"></script>
</body>
</html>
"""

REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} - ReDoc</title>
<link rel="icon" type="image/svg+xml" href="{base}/favicon.svg">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<redoc spec-url="{openapi}"></redoc>
<script src="{base}/api-docs/redoc/redoc.standalone.js"></script>
</body>
</html>
"""

NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>{title}</title>
<p>The API documentation pages are not built into this install. Run <code>make ui</code>
(needs Node.js), or read the OpenAPI document itself: <a href="{openapi}">{openapi}</a>.</p>
"""

# The file each page cannot work without.
NEEDS = {
    "swagger": Path("api-docs/swagger-ui/swagger-ui-bundle.js"),
    "redoc": Path("api-docs/redoc/redoc.standalone.js"),
}


def api_docs_router(
    *, title: str, openapi_url: str = "/openapi.json", web_dir: Path = WEB_DIR
) -> APIRouter:
    """GET ``/docs`` and ``/redoc``, left out of the OpenAPI document like FastAPI's own."""
    router = APIRouter(include_in_schema=False)

    def page(request: Request, template: str, needs: Path, headers: dict[str, str]) -> HTMLResponse:
        # Behind a proxy that mounts Vega under a prefix (uvicorn --root-path), the
        # files and the document are under it too.
        base = escape(request.scope.get("root_path", "").rstrip("/"))
        values = {"title": escape(title), "base": base, "openapi": base + escape(openapi_url)}
        if not (web_dir / needs).is_file():
            return HTMLResponse(NOT_BUILT.format(**values), status_code=404, headers=headers)
        return HTMLResponse(template.format(**values), headers=headers)

    @router.get("/docs")
    async def swagger_ui(request: Request) -> HTMLResponse:
        return page(request, SWAGGER_UI, NEEDS["swagger"], DOCS_HEADERS)

    @router.get("/redoc")
    async def redoc(request: Request) -> HTMLResponse:
        return page(request, REDOC, NEEDS["redoc"], REDOC_HEADERS)

    return router
