"""Quick reads (store/quick_reads.py): the by-id read on the calling thread answers what the pooled read
answers, only the owner's job, from the committed state while another connection writes, and gives up at
once (None: take the worker thread) where SQLite would make it wait."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from scheduler.jobs.validation import Limits
from store.bulk import insert_many
from store.engine import make_engine
from store.errors import NotFound
from store.models import JobRun
from store.quick_reads import QuickReads
from store.repository import JobRepository
from store.schema import ensure_schema
from tests.conftest import START


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "jobs.db"


@pytest.fixture
def file_repo(db_file: Path) -> Iterator[JobRepository]:
    engine = make_engine(f"sqlite:///{db_file}")
    ensure_schema(engine)
    repo = JobRepository(engine)
    yield repo
    repo.close()
    engine.dispose()


def new_job(repo: JobRepository, clock: FakeClock, owner: str = "ann", title: str = "Water the plants") -> str:
    service = JobService(repo, clock, Limits())
    return service.create(owner, JobInput(title=title, instructions="x", cron="0 9 * * *")).job.id


def add_runs(repo: JobRepository, job_id: str, count: int) -> None:
    runs = [JobRun(id=f"r-{n}", job_id=job_id, owner="ann", outcome="success", scheduled_for=START + timedelta(hours=n),
                   started_at=START + timedelta(hours=n, seconds=1), finished_at=START + timedelta(hours=n, seconds=9),
                   summary=f"run {n}", cost_usd=0.5 * n, trace=[{"kind": "turn", "n": n}]).model_dump()
            for n in range(count)]
    with repo.engine.begin() as conn:
        insert_many(conn, JobRun.__table__, runs)  # type: ignore[attr-defined]


def test_quick_read_answers_what_the_pooled_read_answers(file_repo: JobRepository, clock: FakeClock) -> None:
    job_id = new_job(file_repo, clock)
    add_runs(file_repo, job_id, 7)
    quick = file_repo.job_with_runs_now("ann", job_id, 5)
    assert quick is not None
    job, runs = quick
    pooled, pooled_runs = file_repo.get_job_with_runs("ann", job_id, 5)
    assert job.model_dump() == pooled.model_dump()
    assert [r.model_dump() for r in runs] == [r.model_dump() for r in pooled_runs]
    assert [r.id for r in runs] == ["r-6", "r-5", "r-4", "r-3", "r-2"]  # newest first
    assert runs[0].finished_at == START + timedelta(hours=6, seconds=9) and runs[0].trace == [{"kind": "turn", "n": 6}]
    assert job.title == "Water the plants" and job.next_run_at is not None and job.next_run_at.tzinfo is not None
    assert job.state == {} and job.depends_on == []


def test_quick_read_never_shows_another_owners_job(file_repo: JobRepository, clock: FakeClock) -> None:
    job_id = new_job(file_repo, clock, owner="ann")
    with pytest.raises(NotFound):
        file_repo.job_with_runs_now("bob", job_id, 5)


def test_quick_read_answers_the_committed_job_while_another_connection_holds_the_write_lock(
        file_repo: JobRepository, clock: FakeClock, db_file: Path) -> None:
    job_id = new_job(file_repo, clock)
    writer = sqlite3.connect(db_file, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE jobs SET title = 'Not yet' WHERE id = ?", (job_id,))
        found = file_repo.job_with_runs_now("ann", job_id, 5)
        assert found is not None, "a WAL reader does not wait for the writer"
        assert found[0].title == "Water the plants"
        writer.execute("COMMIT")
        assert file_repo.job_with_runs_now("ann", job_id, 5)[0].title == "Not yet"  # type: ignore[index]
    finally:
        writer.close()


def test_quick_read_gives_up_where_sqlite_would_make_it_wait(file_repo: JobRepository, clock: FakeClock,
                                                             db_file: Path) -> None:
    job_id = new_job(file_repo, clock)
    file_repo.engine.dispose()  # the pool's idle connections would keep the hog below from its lock
    # An exclusive-mode connection that has written keeps every other connection out, readers too.
    hog = sqlite3.connect(db_file, isolation_level=None)
    try:
        hog.execute("PRAGMA locking_mode=EXCLUSIVE")
        hog.execute("BEGIN IMMEDIATE")
        hog.execute("UPDATE jobs SET title = 'Mine' WHERE id = ?", (job_id,))
        hog.execute("COMMIT")
        assert file_repo.job_with_runs_now("ann", job_id, 5) is None
    finally:
        hog.close()
    assert file_repo.job_with_runs_now("ann", job_id, 5) is not None  # the same connection, usable again


def test_quick_connection_is_read_only_and_has_no_busy_wait(file_repo: JobRepository, clock: FakeClock) -> None:
    new_job(file_repo, clock)
    quick = QuickReads.open(file_repo.engine)
    assert quick is not None
    try:
        with quick.transaction() as conn:
            assert conn.execute("PRAGMA busy_timeout").fetchone() == (0,)
            assert conn.execute("PRAGMA query_only").fetchone() == (1,)
    finally:
        quick.close()


def test_quick_reads_apply_only_to_a_sqlite_file(file_repo: JobRepository) -> None:
    memory = make_engine("sqlite://")
    try:
        assert QuickReads.open(memory) is None
        assert JobRepository(memory).job_with_runs_now("ann", "j-1", 5) is None
    finally:
        memory.dispose()
    assert QuickReads.open(make_engine("postgresql://u:p@localhost/none")) is None
    assert QuickReads.open(create_engine("sqlite:///file:quick.db?mode=ro&uri=true", poolclass=NullPool)) is None


def test_quick_read_is_bounded(file_repo: JobRepository, clock: FakeClock) -> None:
    job_id = new_job(file_repo, clock)
    assert file_repo.job_with_runs_now("ann", job_id, 20) is not None
    assert file_repo.job_with_runs_now("ann", job_id, 21) is None  # more runs: a worker thread's read
