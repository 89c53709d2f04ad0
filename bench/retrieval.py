"""Retrieval benchmark: ingest a BEIR folder, then measure quality and latency.

Each corpus entry becomes one `.txt` file (title, blank line, text) and goes in
through the same pipeline as `vega docs add` (extract, chunk, embed, store,
index). Reported:

- ingest seconds, chunks/s, and the ratio to embedding the same chunk texts
  with the model directly (the pipeline's overhead over the model's own work);
- nDCG@10 and Recall@100 for dense, lexical and hybrid retrieval (chunks are
  folded into documents by their best rank);
- POST /search p50/p95 through a real `vega serve` (query embedding included),
  on this collection and on a synthetic 100,000-chunk one.

    .venv/bin/python -m bench.retrieval --data ../shared/data/scifact
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import math
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench._common import emit, environment, log, percentile, scratch_dir, summary_ms, tail
from tests.support.server import PRIMARY_KEY, start_vega

TARGET_NDCG = 0.70
TARGET_RATIO = 1.2
TARGET_P95_MS = 50.0
TARGET_P95_BIG_MS = 100.0
MODES = ("dense", "lexical", "hybrid")
DEPTH = 100
WARM_QUERIES = 20


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
    with rt.db.session() as s:
        texts = [t for (t,) in s.execute(__import__("sqlalchemy").text("SELECT text FROM chunks"))]
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


def synthetic_collection(rt: Any, n_chunks: int, words: list[str]) -> None:
    """A collection of ``n_chunks`` chunks with random unit vectors and word-salad text.

    Only latency is measured on it, so the vectors need not mean anything; they go
    through the same tables (and FTS triggers) as real ones.
    """
    from vega.rag import lexical
    from vega.store import documents as repo

    rng = np.random.default_rng(0)
    per_doc = 100
    with rt.db.session() as s:
        embedder = rt.embedder()
        coll = repo.create_collection(
            s,
            owner=rt.owner.key_id,
            name="synthetic",
            embedding_model=embedder.name,
            dim=embedder.dim,
        )
        lexical.create(s, collection_id=coll.id)
        for d in range(n_chunks // per_doc):
            doc = repo.add_document(
                s,
                collection_id=coll.id,
                title=f"synthetic {d}",
                source_name=f"s{d}.txt",
                content_type="text",
                sha256=f"{d:064d}",
                size=0,
                stored_path=f"uploads/none/{d}",
                status="ready",
            )
            vectors = rng.standard_normal((per_doc, embedder.dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            chunks = [
                repo.NewChunk(
                    text=" ".join(random.choices(words, k=120)),
                    char_start=0,
                    char_end=0,
                    location=None,
                    embedding=vectors[i].tobytes(),
                )
                for i in range(per_doc)
            ]
            repo.replace_chunks(s, document=doc, chunks=chunks)
            if d % 100 == 99:
                s.commit()
        s.commit()


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
    return {**summary_ms(times), "p95": round(percentile(times, 95) * 1000, 2)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="only this many corpus documents (quick runs)"
    )
    parser.add_argument(
        "--big", type=int, default=100_000, help="chunks in the synthetic collection (0 skips)"
    )
    parser.add_argument("--rounds", type=int, default=300, help="timed searches per collection")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from vega.runtime import build
    from vega.settings import load_settings

    corpus, queries, qrels = load_beir(args.data, args.limit)
    log(f"{len(corpus)} documents, {len(queries)} queries")
    with scratch_dir("vega-bench-retrieval-", keep=args.keep) as scratch:
        files = []
        (scratch / "corpus").mkdir()
        for doc_id, doc in corpus.items():
            path = scratch / "corpus" / f"{doc_id}.txt"
            path.write_text(f"{doc['title']}\n\n{doc['text']}".strip() + "\n")
            files.append(path)
        data = scratch / "vega"
        settings = load_settings(
            data_dir=data, api_key=PRIMARY_KEY, llm_backend="none", _env_file=None
        )
        rt = build(settings)
        rt.retriever._max_top_k = 3 * DEPTH  # the benchmark reads deeper than the API allows
        rt.embedder().embed_batch(["warm up"])  # model load is not per-chunk work
        log("ingesting")
        ingest_s = asyncio.run(ingest(rt, files))
        raw_s, n_chunks = raw_embedding_seconds(rt)
        ratio = ingest_s / raw_s
        log(
            f"ingest {ingest_s:.1f} s, raw embedding {raw_s:.1f} s, ratio {ratio:.3f}, {n_chunks} chunks"
        )
        log("quality")
        scores = quality(rt, queries, qrels)
        if args.big:
            log(f"building a {args.big}-chunk synthetic collection")
            vocabulary = sorted(
                {w for d in list(corpus.values())[:2000] for w in d["text"].split() if w.isalpha()}
            )
            synthetic_collection(rt, args.big, vocabulary)
        asyncio.run(rt.aclose())
        vega = start_vega(data, api_key=PRIMARY_KEY, llm_backend="none")
        try:
            texts = list(queries.values())
            log("latency (scifact)")
            small = asyncio.run(search_latency(vega.url, texts, "default", args.rounds))
            big = None
            if args.big:
                log("latency (synthetic)")
                big = asyncio.run(search_latency(vega.url, texts, "synthetic", args.rounds))
        except Exception:
            log("vega serve log (tail):\n" + tail(vega.log()))
            raise
        finally:
            vega.stop()
    hybrid = scores["hybrid"]["ndcg@10"]
    targets = {
        "hybrid_ndcg@10": {
            "limit": f">= {TARGET_NDCG}",
            "value": hybrid,
            "pass": hybrid >= TARGET_NDCG,
        },
        "ingest_vs_raw_embedding": {
            "limit": f"<= {TARGET_RATIO}",
            "value": round(ratio, 3),
            "pass": ratio <= TARGET_RATIO,
        },
        "search_p95_ms": {
            "limit": f"<= {TARGET_P95_MS}",
            "value": small["p95"],
            "pass": (small["p95"] or 1e9) <= TARGET_P95_MS,
        },
    }
    if big is not None:
        targets["search_p95_ms_100k"] = {
            "limit": f"<= {TARGET_P95_BIG_MS}",
            "value": big["p95"],
            "pass": (big["p95"] or 1e9) <= TARGET_P95_BIG_MS,
        }
    emit(
        {
            "benchmark": "retrieval",
            "config": {
                "data": str(args.data),
                "documents": len(corpus),
                "queries": len(queries),
                "big_chunks": args.big,
                "rounds": args.rounds,
                **environment(),
            },
            "ingest": {
                "seconds": round(ingest_s, 2),
                "chunks": n_chunks,
                "chunks_per_s": round(n_chunks / ingest_s, 1),
                "raw_embedding_s": round(raw_s, 2),
                "ratio_to_raw_embedding": round(ratio, 3),
            },
            "quality": scores,
            "search_ms": {"scifact": small, "synthetic_100k": big},
            "targets": targets,
            "pass": all(t["pass"] for t in targets.values()),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
