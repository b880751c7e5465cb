"""The embedder's fault isolation: a damaged row never stops the index (real model; SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import text

from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from scheduler.jobs.validation import Limits
from scheduler.search.embedder import Embedder
from scheduler.search.encoder import DIMENSIONS, ONNX_NAME
from scheduler.search.model import ModelHandle
from scheduler.search.service import SearchService
from scheduler.search.vectors import VectorIndex
from store.embeddings import EmbeddingStore
from store.models import Job
from store.repository import JobRepository
from store.search_keyword import KeywordSearch
from tests.support.damage import damage


def fresh_search(repo: JobRepository, model: ModelHandle) -> SearchService:
    """A search service with an empty in-memory index, as after a restart."""
    embedder = Embedder(EmbeddingStore(repo.engine), model, VectorIndex(DIMENSIONS))
    return SearchService(repo, KeywordSearch(repo.engine), embedder)


def titles(search: SearchService, query: str, **filters: list[str]) -> list[str]:
    hits, _ = search.semantic("alice", query, mode="vector", **filters)  # type: ignore[arg-type]
    return [hit.job.title for hit in hits]


def test_a_damaged_stored_vector_is_encoded_again_and_the_others_load(
    search: SearchService, repo: JobRepository, jobs: dict[str, Job], model: ModelHandle
) -> None:
    search.embedder.drain()
    plants = jobs["Water the plants"].id
    two_bytes = "X'0102'" if repo.engine.dialect.name == "sqlite" else "'\\x0102'::bytea"
    damage(repo.engine, "jobs", plants, {"embedding": two_bytes})  # the model's name, but no vector of its size
    restarted = fresh_search(repo, model)
    assert titles(restarted, "garden greenery hydration")[0] == "Water the plants"
    assert titles(restarted, "don't let me forget my travel document")[0] == "Passport renewal"
    [row] = restarted.embedder.store.rows_by_id([plants])
    assert row.embedding_model == ONNX_NAME and row.embedding is not None and len(row.embedding) == DIMENSIONS * 4


def test_a_row_whose_change_cannot_be_read_is_left_out_and_the_index_follows_the_others(
    search: SearchService, repo: JobRepository, jobs: dict[str, Job]
) -> None:
    assert "Water the plants" in titles(search, "garden greenery hydration")  # loaded; changes followed from here
    unreadable = "'not a time'" if repo.engine.dialect.name == "sqlite" else "'infinity'"
    damage(repo.engine, "jobs", jobs["Passport renewal"].id, {"updated_at": unreadable})
    # Another node pauses a job: only the change feed tells this process.
    with repo.engine.begin() as conn:
        conn.execute(text("UPDATE jobs SET status = 'PAUSED', updated_at = :at WHERE id = :id"),
                     {"at": "2030-01-01 00:00:00", "id": jobs["Water the plants"].id})
    assert titles(search, "garden greenery hydration", statuses=["PAUSED"]) == ["Water the plants"]
    assert search.embedder.sync() >= 1  # the worker's pass too


def test_with_no_owner_loaded_the_change_feed_moves_only_its_watermark(
    repo: JobRepository, jobs: dict[str, Job], model: ModelHandle
) -> None:
    restarted = fresh_search(repo, model)
    restarted.embedder.sync()  # the starting watermark
    reads: list[object] = []
    changed_since = restarted.embedder.store.changed_since
    restarted.embedder.store.changed_since = lambda since, *a, **k: reads.append(since) or changed_since(since, *a, **k)  # type: ignore[method-assign]
    with repo.engine.begin() as conn:  # the engine (or another node) writes a job
        conn.execute(text("UPDATE jobs SET status = 'PAUSED', updated_at = :at WHERE id = :id"),
                     {"at": "2030-01-01 00:00:00", "id": jobs["Water the plants"].id})
    assert restarted.embedder.sync() == 0 and reads == [None]  # only the newest change was read
    # An owner loaded afterwards reads its rows as they are, and later changes are followed again.
    assert titles(restarted, "garden greenery hydration", statuses=["PAUSED"]) == ["Water the plants"]
    with repo.engine.begin() as conn:
        conn.execute(text("UPDATE jobs SET status = 'ACTIVE', updated_at = :at WHERE id = :id"),
                     {"at": "2030-01-01 00:00:01", "id": jobs["Water the plants"].id})
    assert restarted.embedder.sync() >= 1
    assert titles(restarted, "garden greenery hydration", statuses=["PAUSED"]) == []



def test_a_stream_of_writes_is_encoded_as_one_batch(repo: JobRepository, model: ModelHandle) -> None:
    """Sequential creates wake the worker one after another; it waits for the stream to settle and
    encodes it in one batch (one encoding, one vector write), instead of once per job."""
    service = JobService(repo, FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)), Limits())
    embedder = Embedder(EmbeddingStore(repo.engine), model, VectorIndex(DIMENSIONS), settle_s=2.0)
    batches: list[int] = []
    repaired = threading.Event()
    process, repair = embedder._process, embedder.repair

    def counted(job_ids: Iterable[str]) -> int:
        job_ids = list(job_ids)
        batches.append(len(job_ids))
        return process(job_ids)

    def first_repair() -> int:
        done = repair()
        repaired.set()
        return done

    embedder._process, embedder.repair = counted, first_repair  # type: ignore[method-assign]
    embedder.start()
    try:
        assert repaired.wait(60)
        service.add_listener(embedder.notify)
        for n in range(10):
            service.create("alice", JobInput(title=f"Water the plants {n}", instructions="on the balcony"))
        deadline = time.monotonic() + 30
        while sum(batches) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert batches == [10]
    finally:
        embedder.stop()
    with repo.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM jobs WHERE embedding IS NOT NULL")).scalar() == 10
