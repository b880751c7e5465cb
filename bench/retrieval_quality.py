"""Retrieval quality on the labelled set (bench/data/retrieval_eval.json): nDCG@5 and recall@5.

Compares keyword-only, embedding-only and hybrid (reciprocal rank fusion) per query kind.
With --calibrate it also prints, per relevance floor, what job_retrieval_semantic would keep, and the
floor the rule picks (scheduler/search/service.py RELEVANCE_FLOOR; the rule is in `choose_floor`).
Usage: .venv/bin/python bench/retrieval_quality.py [--database-url URL] [--backend onnx|torch] [--calibrate]
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
from scheduler.search.service import Mode, SearchHit, SearchService  # noqa: E402
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


FLOORS = [0.0, 0.15, 0.2, 0.22, 0.24, 0.25, 0.26, 0.27, 0.28, 0.3, 0.32, 0.35]
MEANT_KEPT = 0.98  # the share of meant jobs (grade 2) a floor must keep


def candidates(search: SearchService, data: dict) -> list[tuple[dict, list[SearchHit]]]:
    """Every query with its hybrid candidates (no floor), best first."""
    return [(q, search.semantic(q["owner"], q["query"], limit=50, mode="hybrid")[0]) for q in data["queries"]]


def choose_floor(runs: list[tuple[dict, list[SearchHit]]], ids: dict[str, str]) -> tuple[float, float, float]:
    """The rule: midway between the best similarity a query with no job of its own reaches (it must
    answer "no job matches") and the similarity that keeps MEANT_KEPT of the jobs the person meant."""
    no_job = max(h.similarity or -1.0 for q, hits in runs if not q["relevant"] for h in hits)
    meant = sorted(h.similarity or -1.0 for q, hits in runs for h in hits if q["relevant"].get(ids[h.job.id]) == 2)
    keep = meant[int((1 - MEANT_KEPT) * len(meant))]
    return round((no_job + keep) / 2, 2), no_job, keep


def report_floors(runs: list[tuple[dict, list[SearchHit]]], ids: dict[str, str], k: int = 10) -> None:
    print(f"\nRelevance floor (hybrid, top {k}; a hit matched by identifier is kept whatever its similarity)\n")
    print("| floor | meant jobs kept | related jobs kept | unrelated hits | no-job queries answered empty "
          "| hits per query |")
    print("|---|---|---|---|---|---|")
    meant_total = sum(1 for q, _ in runs for g in q["relevant"].values() if g == 2)
    related_total = sum(1 for q, _ in runs for g in q["relevant"].values() if g == 1)
    no_job = [q for q, _ in runs if not q["relevant"]]
    floor, best_no_job, keep = choose_floor(runs, ids)
    for f in sorted({*FLOORS, floor}):
        meant = related = unrelated = empty = shown = 0
        for q, hits in runs:
            kept = [h for h in hits if h.keyword_score is not None or (h.similarity or -1.0) >= f][:k]
            grades = [q["relevant"].get(ids[h.job.id], 0) for h in kept]
            meant, related = meant + grades.count(2), related + grades.count(1)
            unrelated, shown = unrelated + grades.count(0), shown + len(kept)
            empty += not q["relevant"] and not kept
        mark = " (chosen)" if f == floor else ""
        print(f"| {f:.2f}{mark} | {meant / meant_total:.3f} | {related / related_total:.3f} | {unrelated} "
              f"| {empty}/{len(no_job)} | {shown / len(runs):.1f} |")
    print(f"\nbest similarity of a query with no job: {best_no_job:.3f}; similarity keeping {MEANT_KEPT:.0%} of "
          f"the meant jobs: {keep:.3f}; floor = midway, rounded: {floor:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    parser.add_argument("--calibrate", action="store_true",
                        help="also print the relevance floor table and the floor the rule picks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/eval.db"
        search, ids, data = load(url, args.backend)
        check_paraphrases(data)
        print(f"encoder: {search.embedder.model.get().name}; database: {url.split(':')[0]}")
        report(evaluate(search, ids, data), data)
        if args.calibrate:
            report_floors(candidates(search, data), ids)


if __name__ == "__main__":
    main()
