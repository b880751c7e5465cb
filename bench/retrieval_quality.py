"""Retrieval quality on the labelled set (bench/data/retrieval_eval.json): nDCG@5 and recall@5.

Compares keyword-only, embedding-only and hybrid (reciprocal rank fusion) per query kind.
Usage: .venv/bin/python bench/retrieval_quality.py [--database-url URL] [--backend onnx|torch]
Default database: a fresh SQLite file in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from jobs_mcp.app import build_app  # noqa: E402
from jobs_mcp.config import Settings  # noqa: E402
from jobs_mcp.engine_wiring import EngineMode  # noqa: E402
from jobs_mcp.search_setup import shared_model  # noqa: E402
from scheduler.jobs.job_input import JobInput  # noqa: E402
from scheduler.search.service import Mode, SearchService  # noqa: E402
from store.search_keyword import STOPWORDS  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "retrieval_eval.json"
K = 5
MODES: list[str] = ["keyword", "vector", "hybrid-all-words", "hybrid"]


def ndcg(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    gains = [(2 ** relevant.get(j, 0) - 1) / math.log2(i + 2) for i, j in enumerate(ranked[:k])]
    ideal = [(2**g - 1) / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:k])]
    return sum(gains) / sum(ideal) if ideal else 0.0


def recall(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def content_words(text: str) -> set[str]:
    # A crude stem (first 5 letters) so "invoices" and "invoice" count as the same word.
    return {w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 2}


def load(search_url: str, backend: str) -> tuple[SearchService, dict[str, str], dict]:
    data = json.loads(DATA.read_text())
    # Quotas off: the labelled set is created in one go by one owner.
    settings = Settings(database_url=search_url, max_active_jobs=0, max_creates_per_minute=0)
    app = build_app(settings, engine=EngineMode.OFF, model=shared_model(backend))
    assert app.search is not None
    ids: dict[str, str] = {}
    for key, job in data["jobs"].items():
        made = app.service.create(job["owner"], JobInput(title=job["title"], instructions=job["instructions"]))
        ids[made.job.id] = key
    app.search.embedder.repair()
    return app.search, ids, data


def check_paraphrases(data: dict) -> None:
    for query in data["queries"]:
        if query["kind"] != "paraphrase":
            continue
        target = max(query["relevant"], key=query["relevant"].get)
        shared = content_words(query["query"]) & content_words(data["jobs"][target]["title"])
        if shared:
            raise SystemExit(f"paraphrase {query['query']!r} shares {shared} with its target's title")


def evaluate(search: SearchService, ids: dict[str, str], data: dict) -> dict[tuple[str, str], list[float]]:
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for query in data["queries"]:
        for mode in MODES:
            search.fuse_all_words = mode == "hybrid-all-words"
            actual: Mode = "hybrid" if mode.startswith("hybrid") else mode  # type: ignore[assignment]
            hits, _ = search.semantic(query["owner"], query["query"], limit=K, mode=actual)
            foreign = sum(1 for h in hits if h.job.owner != query["owner"])
            ranked = [ids[h.job.id] for h in hits]
            scores[(query["kind"], mode + ":foreign")].append(foreign)
            if query["relevant"]:
                scores[(query["kind"], mode + ":ndcg")].append(ndcg(ranked, query["relevant"]))
                scores[(query["kind"], mode + ":recall")].append(recall(ranked, query["relevant"]))
                scores[("all", mode + ":ndcg")].append(ndcg(ranked, query["relevant"]))
                scores[("all", mode + ":recall")].append(recall(ranked, query["relevant"]))
    return scores


def report(scores: dict[tuple[str, str], list[float]], data: dict) -> None:
    kinds = sorted({q["kind"] for q in data["queries"]}) + ["all"]
    counts = {k: sum(1 for q in data["queries"] if q["kind"] == k or k == "all") for k in kinds}
    print(f"{len(data['jobs'])} jobs, {len(data['queries'])} queries; nDCG@{K} / recall@{K}\n")
    print("| query kind | n | keyword only | embedding only | hybrid, RRF with all words "
          "| hybrid, RRF with identifiers (default) |")
    print("|---|---|---|---|---|---|")
    for kind in kinds:
        cells = []
        for mode in MODES:
            n, r = scores.get((kind, mode + ":ndcg")), scores.get((kind, mode + ":recall"))
            if n:
                cells.append(f"{sum(n) / len(n):.3f} / {sum(r or [0]) / len(r or [1]):.3f}")
            else:
                leaks = sum(scores.get((kind, mode + ":foreign"), [0]))
                cells.append(f"foreign jobs in top {K}: {int(leaks)}")
        print(f"| {kind} | {counts[kind]} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/eval.db"
        search, ids, data = load(url, args.backend)
        check_paraphrases(data)
        print(f"encoder: {search.embedder.model.get().name}; database: {url.split(':')[0]}")
        report(evaluate(search, ids, data), data)


if __name__ == "__main__":
    main()
