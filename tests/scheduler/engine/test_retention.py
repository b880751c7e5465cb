"""The retention pass on a fake clock, on SQLite and PostgreSQL: archive after N days, purge history after M,
batched, leaves unfinished and recent jobs alone, survives a damaged row."""

from __future__ import annotations

from datetime import timedelta

import anyio
from sqlalchemy import func, select, text

from scheduler.clock import FakeClock
from scheduler.engine.retention import RetentionPass, RetentionPolicy
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from store.models import Delivery, JobEvent, JobRun
from store.repository import JobRepository
from store.retention import RetentionStore
from tests.support.damage import DUE_JOB_DAMAGE, damage


def _count(repo: JobRepository, model: type, job_id: str) -> int:
    table = model.__table__  # type: ignore[attr-defined]
    with repo.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(table.c.job_id == job_id)).scalar_one()


def _job(service: JobService, title: str) -> str:
    return service.create("alice", JobInput(title=title, instructions=title, cron="0 9 * * *",
                                            action="notify")).job.id


def test_finished_jobs_are_archived_then_their_history_purged(service: JobService, repo: JobRepository,
                                                              clock: FakeClock) -> None:
    done = _job(service, "done")
    service.cancel("alice", done, "finished")
    active = _job(service, "still running")
    with repo.engine.begin() as conn:  # some history for the finished job
        conn.execute(JobRun.__table__.insert(), [  # type: ignore[attr-defined]
            {"id": f"run_{i:016x}", "job_id": done, "owner": "alice", "outcome": "succeeded",
             "started_at": clock.now(), "trace": []} for i in range(7)])
    retention = RetentionPass(RetentionStore(repo, batch=3), clock, RetentionPolicy(archive_after_days=30,
                                                                                   purge_after_days=180))
    clock.advance(days=29)
    assert retention.run().archived == 0
    clock.advance(days=2)
    report = retention.run()
    assert report.archived == 1
    assert service.get("alice", done).status == "ARCHIVED" and service.get("alice", active).status == "ACTIVE"
    assert service.events("alice", done)[-1].actor == "engine"
    clock.advance(days=179)
    assert retention.run().purged == {} and _count(repo, JobRun, done) == 7
    clock.advance(days=2)
    report = retention.run()
    assert report.purged == {"job_runs": 7, "job_events": 3}  # created, cancelled, archived
    assert report.transactions.count >= 3  # 7 runs in batches of 3
    assert _count(repo, JobRun, done) == _count(repo, JobEvent, done) == _count(repo, Delivery, done) == 0
    assert service.get("alice", done).status == "ARCHIVED"  # the job row stays
    assert service.get("alice", done).archived_from == "CANCELLED"  # and what it ended as, for its dependents
    assert _count(repo, JobEvent, active) == 1


def test_a_job_resumed_meanwhile_is_not_archived(service: JobService, repo: JobRepository, clock: FakeClock) -> None:
    job_id = _job(service, "a")
    service.pause("alice", job_id)
    service.cancel("alice", job_id)
    clock.advance(days=31)
    store = RetentionStore(repo)
    ids = store.finished_before(clock.now() - timedelta(days=30), 10)
    assert ids == [job_id]
    with repo.engine.begin() as conn:  # another node changed it after the listing
        conn.execute(text("UPDATE jobs SET status = 'ACTIVE' WHERE id = :id"), {"id": job_id})
    from store.retention import Transactions

    assert store.archive(ids, clock.now() - timedelta(days=30), clock.now(), "r", Transactions()) == 0


def test_a_damaged_row_is_skipped_and_the_others_archived(service: JobService, repo: JobRepository,
                                                          clock: FakeClock) -> None:
    ids = [_job(service, f"job {i}") for i in range(3)]
    for job_id in ids:
        service.cancel("alice", job_id)
    clock.advance(days=31)
    store = RetentionStore(repo)
    real = store.archive

    def archive(job_ids: list[str], *args: object) -> int:
        if ids[1] in job_ids:
            raise ValueError("a value that cannot be read")
        return real(job_ids, *args)  # type: ignore[arg-type]

    store.archive = archive  # type: ignore[method-assign]
    report = RetentionPass(store, clock).run()
    assert report.archived == 2 and report.skipped == [ids[1]]
    assert [service.get("alice", i).status for i in ids] == ["ARCHIVED", "CANCELLED", "ARCHIVED"]


def test_the_engine_loop_runs_retention(service: JobService, repo: JobRepository, clock: FakeClock) -> None:
    from jobs_mcp.app import build_app
    from jobs_mcp.config import Settings
    from jobs_mcp.engine_wiring import EngineMode

    app = build_app(Settings(database_url=str(repo.engine.url.render_as_string(hide_password=False)),
                             archive_after_days=1), clock, engine=EngineMode.MANUAL, search=False, repo=repo)
    job_id = app.service.create("alice", JobInput(title="x", instructions="x", cron="0 9 * * *",
                                                  action="notify")).job.id
    app.service.cancel("alice", job_id)
    clock.advance(days=2)
    assert app.engine is not None and app.engine.retention.policy.archive_after_days == 1
    assert anyio.run(lambda: anyio.to_thread.run_sync(app.engine.retention.run)).archived == 1  # type: ignore[union-attr]


def test_a_finished_job_with_damaged_columns_is_archived_all_the_same(service: JobService, repo: JobRepository,
                                                                      clock: FakeClock) -> None:
    """Archiving reads only id, owner and status: damage the engine would trip over elsewhere does not stop it."""
    job_id = _job(service, "damaged")
    service.cancel("alice", job_id)
    for item in DUE_JOB_DAMAGE:
        values = item.values(repo.engine)
        if values and "updated_at" not in values:
            damage(repo.engine, "jobs", job_id, values)
    clock.advance(days=31)
    report = RetentionPass(RetentionStore(repo), clock).run()
    assert report.archived == 1 and report.skipped == []
    with repo.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM jobs WHERE id = :id"), {"id": job_id}).scalar_one() == "ARCHIVED"
