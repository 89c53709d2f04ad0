"""`vega docs add|list|rm`, `vega search` and `vega reindex`: the primary key's documents.

The CLI works on the data dir directly; a server running on the same data dir
sees what it adds on its next search (its indexes catch up from the database).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, cast

import anyio.to_thread
import typer
from rich.table import Table

from vega.cli import context
from vega.errors import BadInput
from vega.rag.ingest import FileOutcome
from vega.rag.retrieve import SearchMode
from vega.runtime import Runtime

app = typer.Typer(help="Add, list and remove documents.", no_args_is_help=True)

CollectionOpt = Annotated[
    str | None, typer.Option("--collection", "-c", help="Collection (default: default).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _files(paths: list[Path]) -> Iterator[tuple[Path, bool]]:
    """Each file to add, and whether it was named (named files report unsupported types)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(
                    p.startswith(".") for p in child.parts[len(path.parts) :]
                ):
                    yield child, False
        elif path.is_file():
            yield path, True
        else:
            raise BadInput(f"{path}: no such file or folder.")  # one line, exit 1


async def _add(
    rt: Runtime, files: list[tuple[Path, bool]], collection: str | None, quiet: bool
) -> list[dict[str, Any]]:
    skipped = [path for path, named in files if not named and not rt.ingest.reads(path.name)]
    wanted = [path for path, named in files if named or rt.ingest.reads(path.name)]
    # A bar only on a terminal: piped or logged, it would be a stray blank line on stderr.
    disable = quiet or not context.err.is_terminal
    with context.progress_bar(disable=disable) as bar:
        task = bar.add_task("documents", total=len(wanted))
        outcomes = await rt.ingest.add_files(
            owner=rt.owner.owner,
            paths=wanted,
            collection=collection,
            progress=lambda done: bar.update(task, completed=done),
        )
    results = [_entry(o) for o in outcomes]
    results += [{"path": str(p), "status": "skipped", "error": "unsupported type"} for p in skipped]
    return results


def _entry(result: FileOutcome) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": str(result.path)}
    if result.error is not None or result.outcome is None:
        message = result.error.message if result.error is not None else "failed"
        return entry | {"status": "failed", "error": message}
    doc = result.outcome.document
    return entry | {
        "status": "duplicate" if result.outcome.duplicate else doc.status,
        "document_id": doc.id,
        "chunks": doc.chunks,
        "collection": doc.collection,
    }


@app.command()
def add(
    paths: Annotated[
        list[str], typer.Argument(help="Files or folders (recursive), or http(s) URLs.")
    ],
    collection: CollectionOpt = None,
    crawl: Annotated[
        bool, typer.Option("--crawl", help="Follow a URL's links on the same site.")
    ] = False,
    depth: Annotated[int | None, typer.Option(min=0, max=20, help="Link depth of a crawl.")] = None,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", min=1, max=10_000, help="Page cap of a crawl.")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Ingest files and folders into a collection, or web pages (a site with --crawl)."""
    urls = [p for p in paths if p.startswith(("http://", "https://"))]
    if urls:
        if len(urls) != len(paths):
            raise BadInput("Give files or URLs, not both.")
        _add_urls(
            urls, collection, crawl=crawl, depth=depth, max_pages=max_pages, json_out=json_out
        )
        return
    if crawl:
        raise BadInput("--crawl follows the links of a URL (http:// or https://).")
    files = list(_files([Path(p) for p in paths]))
    results = context.run(lambda rt: _add(rt, files, collection, quiet=json_out), start=False)
    failed = [r for r in results if r["status"] == "failed"]
    if json_out:
        context.print_json(results)
    else:
        table = Table("file", "status", "chunks", "document")
        for r in results:
            note = r.get("error") or ""
            table.add_row(
                r["path"],
                f"{r['status']} {note}".strip(),
                str(r.get("chunks", "")),
                r.get("document_id", ""),
            )
        context.out.print(table)
    for r in failed:  # the error contract: one line on stderr per file that failed
        message = r.get("error") or "failed"
        if not message.startswith(Path(r["path"]).name):
            message = f"{r['path']}: {message}"
        context.err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def _add_urls(
    urls: list[str],
    collection: str | None,
    *,
    crawl: bool,
    depth: int | None,
    max_pages: int | None,
    json_out: bool,
) -> None:
    """Each URL as a page (or, with ``--crawl``, its site) through the safe fetcher."""

    async def run(rt: Runtime) -> list[dict[str, Any]]:
        settings = rt.settings
        reports = []
        for url in urls:
            report = await rt.crawler.crawl(
                owner=rt.owner.owner,
                url=url,
                collection=collection or "default",
                depth=(depth if depth is not None else settings.crawl_max_depth) if crawl else 0,
                max_pages=(max_pages or settings.crawl_max_pages) if crawl else 1,
            )
            reports.append(report.as_dict())
        return reports

    reports = context.run(run, start=False)
    if json_out:
        context.print_json(reports)
    else:
        table = Table("url", "status")
        for report in reports:
            for kind in ("added", "updated", "unchanged", "skipped"):
                for url in report[kind]:
                    table.add_row(url, "skipped (robots.txt)" if kind == "skipped" else kind)
            for failure in report["failed"]:
                table.add_row(failure["url"], f"failed: {failure['error']}")
        context.out.print(table)
    failed = [f for r in reports for f in r["failed"]]
    for failure in failed:
        context.err.print(
            f"error: {failure['url']}: {failure['error']}", markup=False, highlight=False
        )
    if failed and not any(r["pages"] for r in reports):
        raise typer.Exit(1)


@app.command("list")
def list_documents(collection: CollectionOpt = None, json_out: JsonOpt = False) -> None:
    """List documents, newest first."""
    docs = context.run(
        lambda rt: rt.documents.list_documents(
            owner=rt.owner.owner, collection=collection, limit=1000
        ),
        start=False,
    )
    if json_out:
        context.print_json([_plain(d) for d in docs])
        return
    table = Table("id", "collection", "title", "status", "chunks", "added")
    for d in docs:
        status = d.status if not d.error else f"{d.status}: {d.error}"
        table.add_row(
            d.id, d.collection, d.title, status, str(d.chunks), d.created.strftime("%Y-%m-%d %H:%M")
        )
    context.out.print(table)


@app.command("rm")
def remove(document_id: Annotated[str, typer.Argument(help="The document's id.")]) -> None:
    """Delete a document: it leaves every search at once."""
    doc = context.run(
        lambda rt: rt.documents.delete(owner=rt.owner.owner, document_id=document_id), start=False
    )
    context.err.print(f"Deleted {doc.title} ({doc.id}).", markup=False)


def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int | None, typer.Option("-k", "--top-k", help="How many passages.")] = None,
    collection: CollectionOpt = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or lexical.")] = "hybrid",
    json_out: JsonOpt = False,
) -> None:
    """Search your documents (no model needed)."""
    result = context.run(
        lambda rt: rt.retriever.search(
            owner=rt.owner.owner,
            query=query,
            collection=collection,
            top_k=k,
            mode=cast(SearchMode, mode),
        ),
        start=False,
    )
    if json_out:
        context.print_json(
            {
                "query": result.query,
                "collection": result.collection,
                "mode": result.mode,
                "results": [_plain(h) for h in result.hits],
            }
        )
        return
    if not result.hits:
        context.err.print("No passages match.", markup=False)
        return
    for hit in result.hits:
        where = f" · {hit.location}" if hit.location else ""
        context.out.print(
            f"[{hit.rank}] {hit.title}{where} · chars {hit.start}-{hit.end} · score {hit.score:.4f}",
            style="bold",
            markup=False,
        )
        context.out.print(hit.text, markup=False)
        context.out.print()


def reindex(collection: CollectionOpt = None, json_out: JsonOpt = False) -> None:
    """Rebuild search indexes from the database (re-embeds if the model changed)."""

    async def run(rt: Runtime) -> Any:
        return await anyio.to_thread.run_sync(
            lambda: rt.reindexer.run(owner=rt.owner.owner, collection=collection)
        )

    reports = context.run(run, start=False)
    if json_out:
        context.print_json([_plain(r) for r in reports])
        return
    for r in reports:
        note = ", re-embedded" if r.reembedded else ""
        context.err.print(
            f"{r.collection}: {r.chunks} chunks indexed in {r.seconds:.2f} s{note}", markup=False
        )
    if not reports:
        context.err.print("No collections yet.", markup=False)


def _plain(view: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(view)


__all__ = ["app", "reindex", "search"]
