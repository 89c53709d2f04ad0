"""The browser UI: the built app in ``vega/web`` served at ``/``, public like the health routes.

It is a single-page app, so any GET that no API route answers and that a browser
asks for as a page (``/c/<id>``, ...) gets ``index.html``; files of the build are
served by name. API clients asking for JSON still get the JSON 404, except at ``/``,
which is the UI whatever the request accepts: ``curl http://127.0.0.1:8000/`` shows
what is there, and a client's connection check (``HEAD /``, as Open WebUI makes)
gets 200 without a key (the page holds nothing but the app).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

# The UI never needs inline script, plugins, frames or foreign origins; if a model's
# output ever slipped past its sanitiser, this is the second wall. Remote images
# (http: and https:) are allowed because the UI loads one when the person clicks it.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https: http:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Vite names every asset by its content hash: a name never changes meaning.
IMMUTABLE = "public, max-age=31536000, immutable"

NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Vega</title>
<p>The browser UI is not built into this install. Run <code>make ui</code> (needs Node.js),
or use the API: see <a href="/docs">/docs</a>.</p>"""


class Pages:
    """Answers the GETs no API route matched, from the built UI folder."""

    def __init__(self, web_dir: Path = WEB_DIR) -> None:
        self._root = web_dir.resolve()

    def __call__(self, request: Request) -> Response | None:
        if request.method not in ("GET", "HEAD"):
            return None
        file = self._file(request.url.path)
        if file is not None:
            cache = IMMUTABLE if file.parent.name == "assets" else "no-cache"
            return FileResponse(file, headers={**PAGE_HEADERS, "Cache-Control": cache})
        if request.url.path != "/" and "text/html" not in request.headers.get("accept", ""):
            return None
        index = self._root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=404, headers=PAGE_HEADERS)
        return FileResponse(index, headers={**PAGE_HEADERS, "Cache-Control": "no-cache"})

    def _file(self, url_path: str) -> Path | None:
        """A file of the build named by the URL path; never anything outside the folder."""
        relative = url_path.lstrip("/")
        if not relative or "\\" in relative or "\x00" in relative:
            return None
        candidate = (self._root / relative).resolve()
        if not candidate.is_relative_to(self._root) or not candidate.is_file():
            return None
        return candidate
