"""The retention pass over a large history: how long it takes and how long it holds the writer.

1,000 jobs archived 200 days ago with 100 runs, one inbox message per run and three events each (100,000
runs in all), and 1,000 jobs completed 40 days ago: one pass archives the latter (30 days) and purges
the former's history (180 days after archiving).
Printed: the pass's duration, its write transactions and the longest one (the time another writer
could have to wait), and, measured beside it, the worst wait of a writer that tries to commit a
small write every 10 ms during the pass (what a tool call or a run's finish would feel).

    .venv/bin/python bench/retention.py [--runs 100000] [--jobs 1000] [--batch 500]
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import UTC, datetime, timedelta

from engine_common import database, have_postgres, open_store
from sqlalchemy import text

from scheduler.clock import FakeClock
from scheduler.engine.retention import RetentionPass, RetentionPolicy
from store.models import Delivery, Job, JobEvent, JobRun
from store.repository import JobRepository
from store.retention import RetentionStore

CHUNK = 5_000


def _jobs(first: int, count: int, status: str, when: datetime, runs: int) -> list[dict[str, object]]:
    return [{"id": f"job_{n:012x}", "owner": f"owner-{n % 50}", "title": f"job {n}", "instructions": "x" * 200,
             "job_type": "RECURRING", "action": "notify", "interval_seconds": 3600, "timezone": "UTC",
             "status": status, "depends_on": [], "state": {}, "guidance": [], "created_at": when,
             "updated_at": when, "version": 1, "run_count": runs} for n in range(first, first + count)]


def seed(repo: JobRepository, jobs: int, runs: int, now: datetime) -> None:
    per_job = runs // jobs
    finished = now - timedelta(days=200)
    job_rows = _jobs(0, jobs, "ARCHIVED", finished, per_job)
    with repo.engine.begin() as conn:
        conn.execute(Job.__table__.insert(), job_rows)  # type: ignore[attr-defined]
        conn.execute(Job.__table__.insert(), _jobs(jobs, jobs, "COMPLETED", now - timedelta(days=40), 0))  # type: ignore[attr-defined]
        conn.execute(JobEvent.__table__.insert(), [  # type: ignore[attr-defined]
            {"job_id": j["id"], "owner": j["owner"], "at": finished, "from_status": s, "to_status": t,
             "actor": "engine"}
            for j in job_rows
            for s, t in ((None, "ACTIVE"), ("ACTIVE", "COMPLETED"), ("COMPLETED", "ARCHIVED"))])
    batch_runs: list[dict[str, object]] = []
    batch_deliveries: list[dict[str, object]] = []
    for n in range(jobs * per_job):
        job = job_rows[n % jobs]
        when = finished - timedelta(hours=n // jobs)
        run_id = f"run_{n:016x}"
        batch_runs.append({"id": run_id, "job_id": job["id"], "owner": job["owner"], "outcome": "succeeded",
                           "scheduled_for": when, "started_at": when, "finished_at": when, "summary": "done",
                           "output": "y" * 300, "trace": []})
        batch_deliveries.append({"id": f"dlv_{n:016x}", "owner": job["owner"], "job_id": job["id"], "run_id": run_id,
                                 "kind": "inbox", "event": "run.finished", "status": "ready", "title": job["title"],
                                 "message": "done", "payload": {}, "created_at": when, "delivered_at": when})
        if len(batch_runs) == CHUNK:
            _flush(repo, batch_runs, batch_deliveries)
    _flush(repo, batch_runs, batch_deliveries)


def _flush(repo: JobRepository, runs: list[dict[str, object]], deliveries: list[dict[str, object]]) -> None:
    if runs:
        with repo.engine.begin() as conn:
            conn.execute(JobRun.__table__.insert(), runs)  # type: ignore[attr-defined]
            conn.execute(Delivery.__table__.insert(), deliveries)  # type: ignore[attr-defined]
    runs.clear()
    deliveries.clear()


class WriterProbe(threading.Thread):
    """A small write every 10 ms through the repository's write path; the worst wait is what it reports."""

    def __init__(self, repo: JobRepository, job_id: str) -> None:
        super().__init__(daemon=True)
        self.repo, self.job_id = repo, job_id
        self.stop = threading.Event()
        self.worst_ms = 0.0
        self.writes = 0

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            with self.repo.write() as session:
                session.connection().execute(text("UPDATE jobs SET version = version WHERE id = :id"),
                                             {"id": self.job_id})
            self.worst_ms = max(self.worst_ms, (time.perf_counter() - started) * 1000)
            self.writes += 1
            time.sleep(0.01)


def measure(kind: str, jobs: int, runs: int, batch: int) -> None:
    with database(kind) as url:
        _engine, repo = open_store(url)
        now = datetime.now(UTC)
        started = time.perf_counter()
        seed(repo, jobs, runs, now)
        seeded_s = time.perf_counter() - started
        with repo.engine.begin() as conn:  # an unrelated active job for the probe to write
            conn.execute(Job.__table__.insert(), _jobs(2 * jobs, 1, "ACTIVE", now, 0))  # type: ignore[attr-defined]
        probe = WriterProbe(repo, f"job_{2 * jobs:012x}")
        probe.start()
        time.sleep(0.2)
        retention = RetentionPass(RetentionStore(repo, batch=batch), FakeClock(now),
                                  RetentionPolicy(archive_after_days=30, purge_after_days=180))
        started = time.perf_counter()
        report = retention.run()
        took = time.perf_counter() - started
        probe.stop.set()
        probe.join()
        tx = report.transactions
        print(f"{kind:>8}: seeded {runs:,} runs + {runs:,} messages in {seeded_s:.1f} s; pass {took:.2f} s: "
              f"{report.archived:,} jobs archived, {sum(report.purged.values()):,} rows deleted "
              f"({', '.join(f'{k} {v:,}' for k, v in report.purged.items())}) in {tx.count} transactions of "
              f"<= {batch} rows; longest transaction {tx.longest_s * 1000:.1f} ms; a writer every 10 ms beside "
              f"it: {probe.writes} writes, worst wait {probe.worst_ms:.1f} ms", flush=True)
        repo.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    measure("sqlite", args.jobs, args.runs, args.batch)
    if have_postgres():
        measure("postgres", args.jobs, args.runs, args.batch)


if __name__ == "__main__":
    main()
