"""Retrieval benchmark: ingest a BEIR folder, then measure quality and latency, per store.

Each corpus entry becomes one `.txt` file (title, blank line, text) and goes in
through the same pipeline as `vega docs add` (extract, chunk, embed, store,
index), once per store (`--store sqlite|postgres|both`; Postgres is a `pgserver`
started by the benchmark in a temporary folder). Reported, per store:

- ingest seconds, chunks/s, and the ratio to embedding the same chunk texts
  with the model directly (the pipeline's overhead over the model's own work);
- nDCG@10 and Recall@100 for dense, lexical and hybrid retrieval (chunks are
  folded into documents by their best rank);
- POST /search p50/p95 through a real `vega serve` (query embedding included),
  on this collection and on a synthetic 100,000-chunk one;
- on Postgres, HNSW recall@10 against an exact scan of the same collection: SciFact's
  queries in SciFact, in a 500-chunk collection (SciFact's first 500 chunks) beside
  the 100,000-chunk one (a filtered search), and in the 100,000 (random vectors), with
  the plan Postgres chose; and the HNSW build times.

`--store postgres` runs SQLite's ingest and quality too: its nDCG@10 target is the
SQLite/FAISS figure of the same run. `--sweep` adds a sweep of the HNSW parameters
(recall@10 against p95 of the vector query alone, per m / ef_construction / ef_search).

    .venv/bin/python -m bench.retrieval --data ../shared/data/scifact --store both
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import math
import multiprocessing
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench._common import emit, environment, log, percentile, scratch_dir, summary_ms, tail
from tests.support.server import PRIMARY_KEY, start_vega

TARGET_NDCG = 0.70
TARGET_NDCG_DELTA = 0.01  # Postgres within this of SQLite/FAISS, same run
TARGET_RATIO = {"sqlite": 1.2, "postgres": 1.3}
TARGET_P95_MS = 50.0
TARGET_P95_BIG_MS = 100.0
TARGET_RECALL = 0.95
MODES = ("dense", "lexical", "hybrid")
DEPTH = 100
WARM_QUERIES = 20
SMALL_CHUNKS = 500
SWEEP_M = (8, 16, 24)
SWEEP_EF_CONSTRUCTION = (32, 64, 128)
SWEEP_EF_SEARCH = (20, 40, 64, 100, 200)


def load_beir(
    folder: Path, limit: int | None
) -> tuple[dict[str, dict[str, str]], dict[str, str], dict[str, dict[str, int]]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with (folder / "qrels" / "test.tsv").open() as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels[row["query-id"]][row["corpus-id"]] = int(row["score"])
    queries = {}
    for line in (folder / "queries.jsonl").open():
        q = json.loads(line)
        if q["_id"] in qrels:
            queries[q["_id"]] = q["text"]
    corpus = {}
    for line in (folder / "corpus.jsonl").open():
        d = json.loads(line)
        corpus[d["_id"]] = {"title": d.get("title", ""), "text": d.get("text", "")}
    if limit:
        keep = {doc for rel in qrels.values() for doc in rel}
        ids = [i for i in corpus if i in keep] + [i for i in corpus if i not in keep]
        corpus = {i: corpus[i] for i in ids[:limit]}
        queries = {q: t for q, t in queries.items() if any(d in corpus for d in qrels[q])}
    return corpus, queries, dict(qrels)


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    hits = sum(1 for d in ranked[:k] if relevant.get(d, 0) > 0)
    wanted = sum(1 for g in relevant.values() if g > 0)
    return hits / wanted if wanted else 0.0


def as_documents(hits: list[Any]) -> list[str]:
    """Chunk hits folded into document ids, each at its best rank (the title is the BEIR id)."""
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(hit.title, None)
    return list(seen)


# --- Postgres, for the length of the run ----------------------------------------------


@contextmanager
def postgres_database() -> Iterator[str]:
    """A pgserver Postgres (16, pgvector) in a temporary folder, and a database on it."""
    from tests.support.own_postgres import OwnPostgres

    server = OwnPostgres()
    try:
        yield server.url(server.create_database("vega_bench"))
    finally:
        server.close()


# --- ingest and quality -------------------------------------------------------------


async def ingest(rt: Any, files: list[Path]) -> float:
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            log(f"  ingested {done}/{len(files)} files")

    outcomes = await rt.ingest.add_files(owner=rt.owner.key_id, paths=files, progress=progress)
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        log(f"  {len(failed)} files failed, e.g. {failed[0].path}: {failed[0].error}")
    return time.perf_counter() - started


def quality(rt: Any, queries: dict[str, str], qrels: dict[str, dict[str, int]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode in MODES:
        ndcgs, recalls = [], []
        for qid, text in queries.items():
            result = rt.retriever.search_sync(
                owner=rt.owner.key_id, query=text, top_k=3 * DEPTH, mode=mode
            )
            docs = as_documents(result.hits)
            ndcgs.append(ndcg_at(docs, qrels[qid]))
            recalls.append(recall_at(docs, qrels[qid], DEPTH))
        out[mode] = {
            "ndcg@10": round(float(np.mean(ndcgs)), 4),
            "recall@100": round(float(np.mean(recalls)), 4),
        }
        log(f"  {mode}: {out[mode]}")
    return out


def raw_embedding_seconds(rt: Any) -> tuple[float, int]:
    """The model alone on the same chunk texts, batched as sentence-transformers does by default."""
    from sqlalchemy import text

    with rt.db.session() as s:
        texts = [t for (t,) in s.execute(text("SELECT text FROM chunks"))]
    model = rt.embedder()._loaded()
    started = time.perf_counter()
    model.encode(
        texts,
        batch_size=64,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return time.perf_counter() - started, len(texts)


def new_collection(rt: Any, session: Any, name: str) -> Any:
    from vega.rag import lexical
    from vega.store import documents as repo

    embedder = rt.embedder()
    coll = repo.create_collection(
        session,
        owner=rt.owner.key_id,
        name=name,
        embedding_model=embedder.name,
        dim=embedder.dim,
    )
    lexical.create(session, collection_id=coll.id)
    return coll


def add_chunks(session: Any, coll: Any, n: int, texts: list[str], vectors: np.ndarray) -> None:
    from vega.store import documents as repo

    doc = repo.add_document(
        session,
        collection_id=coll.id,
        title=f"{coll.name} {n}",
        source_name=f"s{n}.txt",
        content_type="text",
        sha256=f"{n:064d}",
        size=0,
        stored_path=f"uploads/none/{n}",
        status="ready",
    )
    chunks = [
        repo.NewChunk(text=t, char_start=0, char_end=0, location=None, embedding=v.tobytes())
        for t, v in zip(texts, vectors, strict=True)
    ]
    repo.replace_chunks(session, document=doc, chunks=chunks)


def synthetic_collection(rt: Any, n_chunks: int, words: list[str]) -> None:
    """A collection of ``n_chunks`` chunks with random unit vectors and word-salad text.

    Only latency is measured on it (and HNSW's recall on data with no structure, the
    hardest case), so the vectors need not mean anything; they go through the same
    tables (and lexical indexes) as real ones.
    """
    rng = np.random.default_rng(0)
    per_doc = 100
    with rt.db.session() as s:
        coll = new_collection(rt, s, "synthetic")
        dim = coll.dim
        for d in range(n_chunks // per_doc):
            vectors = rng.standard_normal((per_doc, dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            texts = [" ".join(random.choices(words, k=120)) for _ in range(per_doc)]
            add_chunks(s, coll, d, texts, vectors)
            if d % 100 == 99:
                s.commit()
        s.commit()


def small_collection(rt: Any) -> None:
    """SciFact's first ``SMALL_CHUNKS`` chunks again, as their own collection ("small")."""
    from sqlalchemy import select

    from vega.store.tables import Chunk, Collection

    query = (
        select(Chunk.text, Chunk.embedding)  # through the column's type: bytes on both stores
        .join(Collection, Collection.id == Chunk.collection_id)
        .where(Collection.name == "default")
        .order_by(Chunk.id)
        .limit(SMALL_CHUNKS)
    )
    with rt.db.session() as s:
        rows = s.execute(query).all()
        vectors = np.frombuffer(b"".join(e for _, e in rows), dtype=np.float32)
        coll = new_collection(rt, s, "small")
        add_chunks(s, coll, 0, [t for t, _ in rows], vectors.reshape(len(rows), -1))
        s.commit()


# --- HNSW: recall against exact search, plans, builds, the sweep ------------------------


def collection_index(rt: Any, name: str) -> Any:
    from vega.rag.retrieve import owned_collection, state_of

    def current(session: Any) -> Any:
        coll = owned_collection(session, owner=rt.owner.key_id, name=name)
        return rt.indexes.current(session, state_of(coll))

    return rt.db.read_sync(current)


def query_vectors(rt: Any, queries: dict[str, str]) -> np.ndarray:
    return rt.embedder().embed_batch(list(queries.values()))


def hnsw_recall(index: Any, vectors: np.ndarray, k: int = 10) -> float:
    exact = index.exact()
    found = 0
    for vector in vectors:
        truth = {i for i, _ in exact.search(vector, k)}
        found += len(truth & {i for i, _ in index.search(vector, k)})
    return round(found / (k * len(vectors)), 4)


def vector_query_ms(index: Any, vectors: np.ndarray, k: int = 10) -> dict[str, Any]:
    times = []
    for vector in vectors:
        started = time.perf_counter()
        index.search(vector, k)
        times.append(time.perf_counter() - started)
    return {
        "p50": round(percentile(times, 50) * 1000, 2),
        "p95": round(percentile(times, 95) * 1000, 2),
    }


def plan_of(rt: Any, name: str, vector: np.ndarray) -> str:
    """The first lines of Postgres's plan for the collection's vector query."""
    from sqlalchemy import text

    from vega.rag.pgvector_index import search_sql
    from vega.store.vector_column import to_text

    index = collection_index(rt, name)
    query = search_sql(index._state.id, index._state.dim)
    with rt.db.session() as s:
        rows = s.execute(
            text("EXPLAIN " + query.text), {"query": to_text(vector.tobytes()), "k": 10}
        ).all()
    return " / ".join(r[0].strip().split("  (")[0] for r in rows[:2])


def timed_rebuild(rt: Any, name: str) -> float:
    index = collection_index(rt, name)
    started = time.perf_counter()
    rt.indexes.rebuild(rt.db, index._state.id)
    return round(time.perf_counter() - started, 2)


def hnsw_report(rt: Any, vectors: np.ndarray, big: bool) -> dict[str, Any]:
    names = ["default", "small"] + (["synthetic"] if big else [])
    out: dict[str, Any] = {"ef_search": rt.indexes.params.ef_search}
    for name in names:
        index = collection_index(rt, name)
        out[name] = {
            "chunks": index.count(),
            "recall@10": hnsw_recall(index, vectors),
            "vector_query_ms": vector_query_ms(index, vectors),
            "plan": plan_of(rt, name, vectors[0]),
        }
        log(f"  hnsw {name}: {out[name]}")
    return out


def sweep(rt: Any, vectors: np.ndarray, names: list[str]) -> list[dict[str, Any]]:
    """Recall@10 and the vector query's p95 per (m, ef_construction, ef_search)."""
    from vega.rag.pgvector_index import HnswParams, PgvectorIndex

    original = rt.indexes.params
    rows = []
    try:
        for name in names:
            for m in SWEEP_M:
                for ef_construction in SWEEP_EF_CONSTRUCTION:
                    if ef_construction < 2 * m:
                        continue  # pgvector builds no such index (nor do Vega's settings)
                    rt.indexes.params = HnswParams(m, ef_construction, original.ef_search)
                    build_s = timed_rebuild(rt, name)
                    base = collection_index(rt, name)
                    for ef_search in SWEEP_EF_SEARCH:
                        index = PgvectorIndex(
                            rt.db, base._state, HnswParams(m, ef_construction, ef_search)
                        )
                        row = {
                            "collection": name,
                            "m": m,
                            "ef_construction": ef_construction,
                            "ef_search": ef_search,
                            "build_s": build_s,
                            "recall@10": hnsw_recall(index, vectors),
                            **{
                                f"query_{k}_ms": v
                                for k, v in vector_query_ms(index, vectors).items()
                            },
                        }
                        log(f"  sweep {row}")
                        rows.append(row)
    finally:
        rt.indexes.params = original
        for name in names:
            timed_rebuild(rt, name)
    return rows


# --- latency through vega serve -----------------------------------------------------


async def search_latency(
    url: str, queries: list[str], collection: str, rounds: int
) -> dict[str, Any]:
    headers = {"X-API-Key": PRIMARY_KEY}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        # Warm: model load, index catch-up, the index and FTS pages into memory.
        for q in queries[-WARM_QUERIES:]:
            r = await client.post("/search", json={"query": q, "collection": collection})
            r.raise_for_status()
        # This process holds the corpus and every result so far: a garbage collection
        # pass over them inside a timed request would be charged to the server.
        gc.collect()
        gc.freeze()
        times = []
        for i in range(rounds):
            q = queries[i % len(queries)]
            started = time.perf_counter()
            r = await client.post(
                "/search", json={"query": q, "collection": collection, "top_k": 5}
            )
            times.append(time.perf_counter() - started)
            r.raise_for_status()
        gc.unfreeze()
    return {**summary_ms(times), "p95": round(percentile(times, 95) * 1000, 2)}


def latency(
    data: Path, store_settings: dict[str, str], texts: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    vega = start_vega(data, api_key=PRIMARY_KEY, llm_backend="none", **store_settings)
    try:
        log("  latency (scifact)")
        out: dict[str, Any] = {
            "scifact": asyncio.run(search_latency(vega.url, texts, "default", args.rounds))
        }
        out["synthetic_100k"] = None
        if args.big:
            log("  latency (synthetic)")
            out["synthetic_100k"] = asyncio.run(
                search_latency(vega.url, texts, "synthetic", args.rounds)
            )
        return out
    except Exception:
        log("vega serve log (tail):\n" + tail(vega.log()))
        raise
    finally:
        vega.stop()


# --- one store ------------------------------------------------------------------------


def run_store(
    store: str,
    scratch: Path,
    files: list[Path],
    corpus: dict[str, dict[str, str]],
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    args: argparse.Namespace,
    database_url: str | None,
    measure_latency: bool,
) -> dict[str, Any]:
    from vega.runtime import build
    from vega.settings import load_settings

    log(f"store: {store}")
    data = scratch / f"vega-{store}"
    store_settings = {"database_url": database_url} if database_url else {}
    settings = load_settings(
        data_dir=data, api_key=PRIMARY_KEY, llm_backend="none", _env_file=None, **store_settings
    )
    rt = build(settings)
    rt.retriever._max_top_k = 3 * DEPTH  # the benchmark reads deeper than the API allows
    rt.embedder().embed_batch(["warm up"])  # model load is not per-chunk work
    log("  ingesting")
    ingest_s = asyncio.run(ingest(rt, files))
    out: dict[str, Any] = {"ingest": {"seconds": round(ingest_s, 2)}}
    if store == "sqlite" or args.raw_s is None:
        args.raw_s, args.n_chunks = raw_embedding_seconds(rt)
    ratio = ingest_s / args.raw_s
    out["ingest"] |= {
        "chunks": args.n_chunks,
        "chunks_per_s": round(args.n_chunks / ingest_s, 1),
        "raw_embedding_s": round(args.raw_s, 2),
        "ratio_to_raw_embedding": round(ratio, 3),
    }
    log(f"  ingest {ingest_s:.1f} s, ratio {ratio:.3f}")
    log("  quality")
    out["quality"] = quality(rt, queries, qrels)
    if (store == "postgres" or measure_latency) and args.big:
        log(f"  building a {args.big}-chunk synthetic collection")
        vocabulary = sorted(
            {w for d in list(corpus.values())[:2000] for w in d["text"].split() if w.isalpha()}
        )
        started = time.perf_counter()
        synthetic_collection(rt, args.big, vocabulary)
        out["synthetic_write_s"] = round(time.perf_counter() - started, 1)
    if store == "postgres":
        small_collection(rt)
        out["hnsw_build_s"] = {
            name: timed_rebuild(rt, name)
            for name in ["default", "small"] + (["synthetic"] if args.big else [])
        }
        log(f"  hnsw builds: {out['hnsw_build_s']}")
        vectors = query_vectors(rt, queries)
        out["hnsw"] = hnsw_report(rt, vectors, bool(args.big))
        if args.sweep:
            # On SciFact's own vectors: the 100,000 random ones are no guide to real text,
            # and nine builds of them would take most of an hour.
            out["sweep"] = sweep(rt, vectors, ["default"])
    asyncio.run(rt.aclose())
    if measure_latency:
        out["search_ms"] = latency(data, store_settings, list(queries.values()), args)
    return out


def in_own_process(store: str, *arguments: Any) -> dict[str, Any]:
    """``run_store`` in a fresh interpreter: measured in one process after the other, the
    second store's ingest took 1.9x the model's time where it took 1.1x alone (the first
    run's leftovers, its threads and memory, weigh on the model); a server runs one store."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_store, store, *arguments).result()


# --- targets --------------------------------------------------------------------------


def target(limit: str, value: Any, ok: bool) -> dict[str, Any]:
    return {"limit": limit, "value": value, "pass": bool(ok)}


def targets_of(stores: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, result in stores.items():
        hybrid = result["quality"]["hybrid"]["ndcg@10"]
        ratio = result["ingest"]["ratio_to_raw_embedding"]
        if name == "sqlite":
            out["sqlite.hybrid_ndcg@10"] = target(
                f">= {TARGET_NDCG}", hybrid, hybrid >= TARGET_NDCG
            )
        else:
            reference = stores["sqlite"]["quality"]["hybrid"]["ndcg@10"]
            delta = round(hybrid - reference, 4)
            out["postgres.hybrid_ndcg@10_minus_sqlite"] = target(
                f">= -{TARGET_NDCG_DELTA} (sqlite: {reference}, postgres: {hybrid})",
                delta,
                delta >= -TARGET_NDCG_DELTA,
            )
            for coll in ("default", "small"):
                recall = result["hnsw"][coll]["recall@10"]
                out[f"postgres.hnsw_recall@10.{coll}"] = target(
                    f">= {TARGET_RECALL}", recall, recall >= TARGET_RECALL
                )
        out[f"{name}.ingest_vs_raw_embedding"] = target(
            f"<= {TARGET_RATIO[name]}", ratio, ratio <= TARGET_RATIO[name]
        )
        search = result.get("search_ms")
        if search:
            p95 = search["scifact"]["p95"]
            out[f"{name}.search_p95_ms"] = target(f"<= {TARGET_P95_MS}", p95, p95 <= TARGET_P95_MS)
            if search["synthetic_100k"]:
                p95 = search["synthetic_100k"]["p95"]
                out[f"{name}.search_p95_ms_100k"] = target(
                    f"<= {TARGET_P95_BIG_MS}", p95, p95 <= TARGET_P95_BIG_MS
                )
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact",
    )
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgres", "both"),
        default="sqlite",
        help="postgres also ingests into SQLite, for its nDCG reference",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="only this many corpus documents (quick runs)"
    )
    parser.add_argument(
        "--big", type=int, default=100_000, help="chunks in the synthetic collection (0 skips)"
    )
    parser.add_argument("--rounds", type=int, default=300, help="timed searches per collection")
    parser.add_argument("--sweep", action="store_true", help="sweep the HNSW parameters")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    args = parser.parse_args(argv)
    args.raw_s, args.n_chunks = None, 0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus, queries, qrels = load_beir(args.data, args.limit)
    log(f"{len(corpus)} documents, {len(queries)} queries, store {args.store}")
    latency_on = {"sqlite": args.store in ("sqlite", "both"), "postgres": args.store != "sqlite"}
    stores: dict[str, Any] = {}
    with scratch_dir("vega-bench-retrieval-", keep=args.keep) as scratch:
        files = []
        (scratch / "corpus").mkdir()
        for doc_id, doc in corpus.items():
            path = scratch / "corpus" / f"{doc_id}.txt"
            path.write_text(f"{doc['title']}\n\n{doc['text']}".strip() + "\n")
            files.append(path)
        common = (scratch, files, corpus, queries, qrels, args)
        stores["sqlite"] = in_own_process("sqlite", *common, None, latency_on["sqlite"])
        if args.store != "sqlite":
            ingest = stores["sqlite"]["ingest"]  # the model's own time, measured once
            args.raw_s, args.n_chunks = ingest["raw_embedding_s"], ingest["chunks"]
            with postgres_database() as url:
                stores["postgres"] = in_own_process("postgres", *common, url, True)
    targets = targets_of(stores, args)
    emit(
        {
            "benchmark": "retrieval",
            "config": {
                "data": str(args.data),
                "store": args.store,
                "documents": len(corpus),
                "queries": len(queries),
                "big_chunks": args.big,
                "rounds": args.rounds,
                **environment(),
            },
            "stores": stores,
            "targets": targets,
            "pass": all(t["pass"] for t in targets.values()),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
