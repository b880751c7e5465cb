"""Search use cases behind the two retrieval tools.

Every result is the owner's own job, re-read from the store and re-checked against
the filters, so the in-memory index can only ever make a search miss, never leak.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from scheduler.search.embedder import Embedder
from scheduler.search.fusion import reciprocal_rank_fusion
from scheduler.search.model import ModelUnavailable
from store.enums import JobStatus
from store.errors import InvalidArgument
from store.limits import QUERY_MAX
from store.models import Job
from store.repository import JobRepository
from store.search_keyword import KeywordSearch, Term, keyword_terms

if TYPE_CHECKING:
    import numpy as np

Mode = Literal["hybrid", "vector", "keyword"]
# A job less similar to the query than this is no answer to it, unless it matched by identifier.
# Calibrated on bench/data/retrieval_eval.json (`bench/retrieval_quality.py --calibrate`): midway
# between the best similarity a query with no job of its own reaches (0.254-0.260: such a query must
# answer "no job matches") and the similarity that keeps 98 % of the jobs the person meant
# (0.285-0.294). Runs give 0.27 or 0.28 (the int8 encoder's vectors move slightly with the batch
# they were encoded in); the lower one keeps the meant jobs safer.
RELEVANCE_FLOOR = 0.27
CANDIDATES = 50  # per ranking fed to fusion: deep enough that fusion can lift a job both lists agree on
KEYWORD_WEIGHT = 1.0


@dataclass(frozen=True)
class SearchHit:
    job: Job
    score: float
    similarity: float | None = None
    keyword_score: float | None = None


class QueryCache:
    """LRU of query text -> vector: an agent repeats and rephrases the same few questions."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(key)
            if vector is not None:
                self._items.move_to_end(key)
            return vector

    def put(self, key: tuple[str, str], vector: np.ndarray) -> None:
        with self._lock:
            self._items[key] = vector
            if len(self._items) > self._size:
                self._items.popitem(last=False)


class SearchService:
    def __init__(self, repo: JobRepository, keyword: KeywordSearch, embedder: Embedder,
                 default_mode: Mode = "hybrid", model_wait_s: float = 120.0,
                 keyword_weight: float = KEYWORD_WEIGHT, fuse_all_words: bool = False) -> None:
        self.repo = repo
        self.keyword = keyword
        self.embedder = embedder
        self.default_mode = default_mode
        self.model_wait_s = model_wait_s
        self.keyword_weight = keyword_weight
        self.fuse_all_words = fuse_all_words  # the measured-worse variant, kept for the benchmark
        self.queries = QueryCache()

    def by_keywords(self, owner: str, keywords: str | Sequence[str], *, statuses: Sequence[str] = (),
                    job_types: Sequence[str] = (), limit: int = 10) -> list[SearchHit]:
        # The ranking query reads the hits' rows itself (a second read by id was a fifth of this call).
        hits = self.keyword.search(owner, keywords, statuses=statuses, job_types=job_types, limit=limit,
                                   with_jobs=True)
        return [SearchHit(h.job, h.score, keyword_score=h.score) for h in hits
                if h.job is not None and h.job.owner == owner]

    def semantic(self, owner: str, query: str, *, statuses: Sequence[str] = (), job_types: Sequence[str] = (),
                 limit: int = 10, mode: Mode | None = None,
                 min_similarity: float | None = None) -> tuple[list[SearchHit], Mode]:
        """Jobs by meaning; returns the hits and the mode actually used.

        With `min_similarity`, a job less similar than that is left out unless it matched by
        keyword, so an unrelated query finds nothing instead of the least bad jobs. Without a
        loaded model (it failed to load) the search degrades to keywords rather than failing:
        finding the job is what the person asked for.
        """
        text = query.strip()
        if not text or len(text) > QUERY_MAX:
            raise InvalidArgument("query", f"a description of the job, 1-{QUERY_MAX} characters", query)
        mode = mode or self.default_mode
        if mode != "keyword":
            try:
                return self._semantic(owner, text, statuses, job_types, limit, mode, min_similarity), mode
            except ModelUnavailable:
                pass
        return self.by_keywords(owner, text, statuses=statuses, job_types=job_types, limit=limit), "keyword"

    def encode_query(self, text: str) -> np.ndarray:
        encoder = self.embedder.model.get(self.model_wait_s)
        key = (encoder.name, text)
        vector = self.queries.get(key)
        if vector is None:
            vector = encoder.encode([text])[0]
            self.queries.put(key, vector)
        return vector

    def _semantic(self, owner: str, text: str, statuses: Sequence[str], job_types: Sequence[str],
                  limit: int, mode: Mode, min_similarity: float | None = None) -> list[SearchHit]:
        vector = self.encode_query(text)
        self.embedder.prepare(owner)
        depth = max(CANDIDATES, limit * 2)
        matches = self.embedder.index.search(owner, vector, statuses=statuses, job_types=job_types, count=depth)
        similarity = {m.job_id: m.similarity for m in matches}
        keyword_scores: dict[str, float] = {}
        if mode == "hybrid":
            keyword_scores = self._keyword_scores(owner, text, statuses, job_types, depth)
            ranked = reciprocal_rank_fusion([[m.job_id for m in matches], list(keyword_scores)],
                                            weights=[1.0, self.keyword_weight])
        else:
            ranked = [(m.job_id, m.similarity) for m in matches]
        if min_similarity is not None:
            ranked = [(job_id, score) for job_id, score in ranked
                      if job_id in keyword_scores or similarity.get(job_id, -1.0) >= min_similarity]
        # Up to twice `limit` candidates, as a row whose status moved on since it was indexed is dropped by
        # the re-check; the second `limit` is read only when the first lost some (reading all twenty each
        # time was a fifth of the search).
        head = ranked[: limit * 2]
        hits: list[SearchHit] = []
        for part in (head[:limit], head[limit:]):
            if len(hits) >= limit or not part:
                break
            jobs = self.repo.get_jobs(owner, [job_id for job_id, _ in part])
            hits += [SearchHit(jobs[job_id], score, similarity.get(job_id), keyword_scores.get(job_id))
                     for job_id, score in part if job_id in jobs and _passes(jobs[job_id], statuses, job_types)]
        return hits[:limit]

    def _keyword_scores(self, owner: str, text: str, statuses: Sequence[str], job_types: Sequence[str],
                        depth: int) -> dict[str, float]:
        # Only identifiers are looked up by keyword. The encoder cuts "INV-2093" into sub-word
        # pieces and ranks INV-2107 about as close, so exact codes need the keyword index; but
        # fusing ordinary words let incidental matches ("money", "company") outrank the job a
        # paraphrase means (bench/retrieval_quality.py: paraphrase nDCG@5 0.91 -> 0.76).
        identifiers = ["-".join(t) for t in keyword_terms(text) if self.fuse_all_words or is_identifier(t)]
        if not identifiers:
            return {}
        hits = self.keyword.search(owner, identifiers, statuses=statuses, job_types=job_types, limit=depth)
        return {h.job_id: h.score for h in hits}


def is_identifier(term: Term) -> bool:
    """A code rather than a word: joined parts ("db-prod-3", "alice-design.com") or any digit ("v2")."""
    return len(term) > 1 or any(ch.isdigit() for ch in term[0])


def _passes(job: Job, statuses: Sequence[str], job_types: Sequence[str]) -> bool:
    if statuses and job.status not in statuses:
        return False
    if not statuses and job.status == JobStatus.ARCHIVED.value:
        return False
    return not (job_types and job.job_type not in job_types)
