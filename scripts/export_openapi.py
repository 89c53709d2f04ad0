"""Export the server's OpenAPI document to ``docs/openapi.json``.

The browser UI (``web/``) and the VS Code extension (``extensions/vscode/``) generate
their TypeScript types from this file (``npm run gen:api`` in ``web/``), so it is
committed, and it must be the document a running server serves: the app is built as
``vega serve`` builds it (``runtime.build`` + ``create_app``), with the default
settings in a throw-away data directory. Nothing is started, nothing is fetched and no
model is loaded: only the routes and their schemas are read.

The output is deterministic (sorted keys, two-space indent, a final newline, no path
or value that depends on the machine), so a stale copy is a real difference.

Usage::

    python scripts/export_openapi.py            # rewrite docs/openapi.json
    python scripts/export_openapi.py --check    # exit 1 if docs/openapi.json is stale
    python scripts/export_openapi.py -o FILE    # write elsewhere (``-`` for stdout)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"
ENV_PREFIX = "VEGA_"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of an app built with the default settings."""
    sys.path.insert(0, str(ROOT / "src"))  # works from a source checkout without install
    from vega.api.app import create_app
    from vega.runtime import build
    from vega.settings import load_settings

    # The defaults, not this machine's environment or .env: the document must be the
    # same wherever it is exported.
    for name in [n for n in os.environ if n.upper().startswith(ENV_PREFIX)]:
        del os.environ[name]
    with tempfile.TemporaryDirectory(prefix="vega-openapi-") as tmp:
        settings = load_settings(data_dir=Path(tmp), _env_file=None)
        runtime = build(settings)
        try:
            return create_app(runtime).openapi()
        finally:
            runtime.db.dispose()


def render(document: dict[str, Any]) -> str:
    # ensure_ascii=False: text as people write it ("données"), the same bytes everywhere.
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check(path: Path = DOCUMENT) -> bool:
    """True when ``path`` holds exactly the document the code describes."""
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return current == render(openapi_document())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument(
        "-o", "--output", type=Path, default=DOCUMENT, help="where to write (- for stdout)"
    )
    args = parser.parse_args(argv)
    if args.check:
        if check(args.output):
            return 0
        print(
            f"{args.output} is stale: run `python scripts/export_openapi.py` "
            "(then `npm run gen:api` in web/) and commit both.",
            file=sys.stderr,
        )
        return 1
    text = render(openapi_document())
    if str(args.output) == "-":
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
