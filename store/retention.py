"""Retention: finished jobs become ARCHIVED, archived jobs lose their history, a job can be deleted whole.

Contract:
- Every write is one short transaction over at most `batch` rows, so a pass over a large
  history never holds the write lock (SQLite) or row locks (PostgreSQL) for long; a pass
  stopped half-way leaves the rest for the next one, and every step is idempotent.
- Archiving checks each row is still finished in the UPDATE itself (a job resumed meanwhile is
  left alone) and records an engine event per job, like any other status change.
- Purging deletes runs, deliveries and events of jobs ARCHIVED before the cutoff; the job row
  stays (it can still be listed and searched with include_archived).
- `delete_job` removes a job, its runs, deliveries and events (its search index rows go with the
  row: store/sql triggers and columns), history first in batches, the job row last, so a delete
  that stops half-way is finished by calling it again.
- `now` comes from the caller's clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Table, delete, func, select, update

from store.enums import JobStatus
from store.models import Delivery, Job, JobEvent, JobRun
from store.repository import JobRepository
from store.run_types import ENGINE_ACTOR
from store.write_lock import write_lock

JOBS: Table = Job.__table__  # type: ignore[attr-defined]
RUNS: Table = JobRun.__table__  # type: ignore[attr-defined]
DELIVERIES: Table = Delivery.__table__  # type: ignore[attr-defined]
EVENTS: Table = JobEvent.__table__  # type: ignore[attr-defined]
BATCH = 500
FINISHED = (JobStatus.COMPLETED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value)
# The history of a job, in the order it is deleted (children before the job row).
HISTORY: tuple[Table, ...] = (DELIVERIES, RUNS, EVENTS)


@dataclass
class Transactions:
    """How many write transactions a pass took and the longest one (the lock hold), in seconds."""

    count: int = 0
    longest_s: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, rows: int, seconds: float) -> None:
        self.count += 1
        self.longest_s = max(self.longest_s, seconds)
        self.rows[name] = self.rows.get(name, 0) + rows


class RetentionStore:
    def __init__(self, repo: JobRepository, batch: int = BATCH) -> None:
        self.repo = repo
        self.engine = repo.engine
        self._reads = repo.engine.execution_options(sqlite_begin="DEFERRED")  # never the writer's slot
        self.batch = batch

    def _write(self, name: str, work: Callable[[Connection], int], tx: Transactions) -> int:
        """One write transaction, timed from asking for the lock to the commit."""
        started = time.perf_counter()
        with write_lock(self.engine), self.engine.begin() as conn:
            rows = work(conn)
        tx.add(name, rows, time.perf_counter() - started)
        return rows

    # -- archive ------------------------------------------------------------------------

    def finished_before(self, cutoff: datetime, limit: int) -> list[str]:
        """Ids of finished jobs last changed before `cutoff`, oldest first."""
        stmt = (select(JOBS.c.id).where(JOBS.c.status.in_(FINISHED), JOBS.c.updated_at < cutoff)
                .order_by(JOBS.c.updated_at, JOBS.c.id).limit(limit))
        with self._reads.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def archive(self, job_ids: Sequence[str], cutoff: datetime, now: datetime, reason: str,
                tx: Transactions) -> int:
        """ARCHIVE those of `job_ids` still finished and unchanged since `cutoff`; one transaction."""
        def work(conn: Connection) -> int:
            rows = conn.execute(select(JOBS.c.id, JOBS.c.owner, JOBS.c.status).where(
                JOBS.c.id.in_(list(job_ids)), JOBS.c.status.in_(FINISHED), JOBS.c.updated_at < cutoff)).all()
            if not rows:
                return 0
            conn.execute(update(JOBS).where(JOBS.c.id.in_([r.id for r in rows]), JOBS.c.status.in_(FINISHED))
                         # SET reads the row as it was: archived_from keeps the status it ended with.
                         .values(status=JobStatus.ARCHIVED.value, archived_from=JOBS.c.status,
                                 version=JOBS.c.version + 1, updated_at=now,
                                 next_run_at=None, claimed_by=None, lease_until=None))
            conn.execute(EVENTS.insert(), [
                {"job_id": r.id, "owner": r.owner, "at": now, "from_status": r.status,
                 "to_status": JobStatus.ARCHIVED.value, "actor": ENGINE_ACTOR, "reason": reason} for r in rows])
            return len(rows)

        return self._write("archived", work, tx)

    # -- purge ----------------------------------------------------------------------------

    def purge_history(self, cutoff: datetime, tx: Transactions, *, jobs_per_step: int = 200) -> int:
        """Delete runs, deliveries and events of jobs ARCHIVED before `cutoff`, `batch` rows per transaction.
        The archived jobs are taken `jobs_per_step` at a time, so each batch is found through the job_id
        indexes rather than by joining every history row to its job."""
        archived = select(JOBS.c.id).where(JOBS.c.status == JobStatus.ARCHIVED.value, JOBS.c.updated_at < cutoff)
        total, after = 0, ""
        while True:
            with self._reads.connect() as conn:
                job_ids = list(conn.execute(archived.where(JOBS.c.id > after).order_by(JOBS.c.id)
                                            .limit(jobs_per_step)).scalars())
            if not job_ids:
                return total
            total += sum(self._drain(table, table.c.job_id.in_(job_ids), tx) for table in HISTORY)
            after = job_ids[-1]

    def _drain(self, table: Table, condition: object, tx: Transactions) -> int:
        """Delete the rows of `table` matching `condition`, `batch` at a time: each batch's ids are read
        first (no write lock), then deleted by primary key in a transaction of their own."""
        key = table.c.id
        total = 0
        while True:
            with self._reads.connect() as conn:
                ids = list(conn.execute(select(key).where(condition).limit(self.batch)).scalars())  # type: ignore[arg-type]
            if not ids:
                return total
            total += self._write(table.name, lambda conn, ids=ids: conn.execute(  # type: ignore[misc]
                delete(table).where(key.in_(ids))).rowcount, tx)
            if len(ids) < self.batch:
                return total

    # -- delete ---------------------------------------------------------------------------

    def delete_job(self, owner: str, job_id: str, statuses: Sequence[str]) -> bool:
        """Delete the owner's job and all of its history if its status is one of `statuses`.

        Returns False (nothing deleted) if the job moved to another status; history rows are
        deleted first in batches, then the job row with its status checked again."""
        tx = Transactions()
        for table in HISTORY:
            self._drain(table, (table.c.job_id == job_id) & (table.c.owner == owner), tx)

        def work(conn: Connection) -> int:
            # A run or event written between the batches and this transaction goes with the job.
            exists = conn.execute(select(func.count()).select_from(JOBS).where(
                JOBS.c.id == job_id, JOBS.c.owner == owner, JOBS.c.status.in_(list(statuses)))).scalar_one()
            if not exists:
                return 0
            for table in HISTORY:
                conn.execute(delete(table).where(table.c.job_id == job_id, table.c.owner == owner))
            return conn.execute(delete(JOBS).where(JOBS.c.id == job_id, JOBS.c.owner == owner)).rowcount

        return self._write("jobs", work, tx) == 1
