"""The job store: the only code that reads or writes job rows.

Contract, for every method:
- Every query is filtered by `owner`; another owner's job is reported exactly
  like a missing one (`NotFound`), so ids leak nothing.
- `now` is passed in by the caller (the injected clock) and bound as a value,
  never taken from the database, so a frozen clock controls every backend.
- A write to a job row checks the `version` the caller read and bumps it; a
  mismatch raises `StaleVersion` and changes nothing.
- A status change is checked against `store.lifecycle` and recorded as a
  `JobEvent` in the same transaction.
- Returned objects are detached snapshots; mutating them changes nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, col, select

from store.bulk import insert_many
from store.enums import JobStatus
from store.errors import InvalidArgument, NotFound, StaleVersion
from store.lifecycle import check_transition
from store.models import JOB_COLUMNS_WITHOUT_VECTOR, Job, JobEvent, JobRun
from store.quick_reads import Prepared, QuickReads, WouldWait
from store.unavailable import translated
from store.write_lock import write_lock


@dataclass(frozen=True)
class Transition:
    """A status change requested together with a job write."""

    to_status: JobStatus
    actor: str
    reason: str | None = None
    operation: str = "change"


@dataclass(frozen=True)
class JobPage:
    jobs: list[Job]
    next_cursor: str | None


class JobRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read_engine = engine.execution_options(sqlite_begin="DEFERRED")
        self._quick: QuickReads | None | bool = False  # opened on first use; None where none apply
        self._quick_job: Prepared
        self._quick_runs: Prepared

    def close(self) -> None:
        """Release the quick-read connections (the engine is its owner's to dispose)."""
        if isinstance(self._quick, QuickReads):
            self._quick.close()
        self._quick = False

    # -- sessions -------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction (SQLite: BEGIN IMMEDIATE), committed on success."""
        with translated(), write_lock(self.engine), Session(self.engine, expire_on_commit=False) as session, \
                session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with translated(), Session(self._read_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read_rows(self) -> Iterator[Connection]:
        """A plain read connection (Core rows, no ORM session): for the small reads of a hot path."""
        with translated(), self._read_engine.connect() as conn:
            yield conn

    def scalar(self, stmt: Any, params: dict[str, Any]) -> Any:
        """One value, read on a plain connection."""
        with self.read_rows() as conn:
            return conn.execute(stmt, params).scalar()

    # -- jobs -----------------------------------------------------------------

    def create_job(self, job: Job, *, actor: str, reason: str | None = None,
                   before_commit: Callable[[Job], None] | None = None) -> tuple[Job, bool]:
        """Insert `job` and its creation event in one transaction. Returns (job, created).

        The caller looked the idempotency key up already; if a concurrent create with the same
        key won the race, nothing is written and (that job, False) is returned.
        `before_commit(job)` runs inside the transaction: if it raises, nothing is written.
        """
        event = {"job_id": job.id, "owner": job.owner, "at": job.created_at, "from_status": None,
                 "to_status": job.status, "actor": actor, "reason": reason or "created"}
        # Core inserts of the row as built, not the ORM's unit of work (flush, identity map, instance
        # events): that was half of job_create in cProfile. `job` already holds every column's value.
        try:
            with translated(), write_lock(self.engine), self.engine.begin() as conn:
                insert_many(conn, _JOBS, [job.model_dump()])
                insert_many(conn, _EVENTS, [event])
                if before_commit is not None:
                    before_commit(job)
        except IntegrityError:
            if job.idempotency_key:
                existing = self.find_by_idempotency_key(job.owner, job.idempotency_key)
                if existing is not None:
                    return existing, False
            raise
        return job, True

    def find_by_idempotency_key(self, owner: str, key: str) -> Job | None:
        with self.read() as session:
            stmt = select(Job).where(Job.owner == owner, Job.idempotency_key == key)
            return session.exec(stmt).first()

    def get_job(self, owner: str, job_id: str) -> Job:
        """The owner's job, or NotFound."""
        return self.get_job_with_runs(owner, job_id, 0)[0]

    def get_job_with_runs(self, owner: str, job_id: str, runs: int) -> tuple[Job, list[JobRun]]:
        """The owner's job and its `runs` newest runs, read together; NotFound if not the owner's.

        This is the hottest read (every retrieval tool), so it uses Core rows
        instead of ORM sessions: a third of the time on SQLite.
        """
        with self.read_rows() as conn:
            return _job_with_runs(conn, owner, job_id, runs)

    def job_with_runs_now(self, owner: str, job_id: str, runs: int) -> tuple[Job, list[JobRun]] | None:
        """get_job_with_runs on the calling thread without waiting for any lock (store/quick_reads.py), for
        the event loop; None where that cannot be done (PostgreSQL, in-memory SQLite, SQLite busy or
        failing): then call get_job_with_runs in a worker thread. NotFound as there."""
        if self._quick is False:
            self._quick = QuickReads.open(self.engine)
            if self._quick is not None:  # compiled once, with this engine's column conversions
                self._quick_job = Prepared(_JOB_BY_ID, self.engine)
                self._quick_runs = Prepared(_RECENT_RUNS, self.engine)
        if not isinstance(self._quick, QuickReads) or runs > _QUICK_RUNS_MAX:
            return None
        params = {"job_id": job_id, "owner": owner, "limit": runs}
        try:
            with self._quick.transaction() as conn:
                rows = self._quick_job.rows(conn, params)
                if not rows:
                    raise NotFound("job", job_id)
                run_rows = self._quick_runs.rows(conn, params) if runs > 0 else []
        except WouldWait:
            return None
        return Job.model_construct(**rows[0]), [JobRun.model_construct(**r) for r in run_rows]

    def get_jobs(self, owner: str, job_ids: Sequence[str]) -> dict[str, Job]:
        """The owner's jobs among `job_ids`, by id; missing or foreign ids are absent."""
        if not job_ids:
            return {}
        # Looked up by primary key, owner checked here: with `owner = ?` in SQL, SQLite picks the
        # owner index and scans all of a large owner's rows (11 ms at 10,000 jobs instead of 0.3).
        # Core rows, not ORM: search re-reads its hits through here on every query.
        with self.read_rows() as conn:
            rows = conn.execute(_JOBS_BY_IDS, {"job_ids": list(job_ids)}).mappings().all()
        return {row["id"]: Job.model_construct(**row) for row in rows if row["owner"] == owner}

    def dependency_edges(self, owner: str) -> dict[str, list[str]]:
        """job id -> the ids it depends on, for every job of the owner that has dependencies."""
        with self.read() as session:
            rows = session.exec(select(Job.id, Job.depends_on).where(Job.owner == owner)).all()
        return {job_id: list(deps) for job_id, deps in rows if deps}

    def list_jobs(
        self,
        owner: str,
        *,
        statuses: Sequence[str] | None = None,
        job_types: Sequence[str] | None = None,
        limit: int = 50,
        cursor: str | None = None,
        include_archived: bool = False,
    ) -> JobPage:
        """The owner's jobs, newest first, `limit` at a time; `next_cursor` resumes after the last.
        ARCHIVED jobs only when `statuses` names them or `include_archived`."""
        stmt = select(Job).where(Job.owner == owner)
        if statuses:
            stmt = stmt.where(col(Job.status).in_(list(statuses)))
        elif not include_archived:
            stmt = stmt.where(col(Job.status) != JobStatus.ARCHIVED.value)
        if job_types:
            stmt = stmt.where(col(Job.job_type).in_(list(job_types)))
        if cursor:
            created_at, last_id = decode_cursor(cursor)
            stmt = stmt.where(
                or_(
                    col(Job.created_at) < created_at,
                    and_(col(Job.created_at) == created_at, col(Job.id) < last_id),
                )
            )
        stmt = stmt.order_by(col(Job.created_at).desc(), col(Job.id).desc()).limit(limit + 1)
        with self.read() as session:
            rows = list(session.exec(stmt).all())
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
        return JobPage(jobs=rows, next_cursor=next_cursor)

    def update_job(
        self,
        job: Job,
        changes: dict[str, Any],
        *,
        now: datetime,
        transition: Transition | None = None,
        also: Callable[[Connection, Job], None] | None = None,
        before_commit: Callable[[Job], None] | None = None,
    ) -> Job:
        """Apply `changes` to `job` if its row still has `job.version`.

        With `transition`, the status change is checked against the lifecycle
        table and recorded as an event in the same transaction; `also(conn, job)`
        adds rows to that transaction (the outbox). `before_commit(updated)` runs
        last inside it: if it raises, nothing is written. Raises StaleVersion if
        the row moved on since `job` was read.
        """
        values = dict(changes)
        if transition is not None:
            check_transition(job.id, JobStatus(job.status), transition.to_status, transition.operation)
            values["status"] = transition.to_status.value
        values["version"] = job.version + 1
        values["updated_at"] = now
        with self.write() as session:
            result = session.execute(
                update(Job)
                .where(col(Job.id) == job.id, col(Job.owner) == job.owner, col(Job.version) == job.version)
                .values(**values)
            )
            if result.rowcount != 1:
                raise StaleVersion(job.id)
            if transition is not None:
                session.add(
                    JobEvent(
                        job_id=job.id, owner=job.owner, at=now, from_status=job.status,
                        to_status=transition.to_status.value, actor=transition.actor, reason=transition.reason,
                    )
                )
            if also is not None:
                session.flush()
                also(session.connection(), job)
            updated = job.model_copy(update=values)
            if before_commit is not None:
                before_commit(updated)
        return updated

    # -- runs and events ------------------------------------------------------

    def list_runs(self, owner: str, job_id: str, limit: int = 20) -> list[JobRun]:
        """The job's runs, newest first (by scheduled time, then start); NotFound if not the owner's job."""
        return self.get_job_with_runs(owner, job_id, limit)[1]

    def list_events(self, owner: str, job_id: str) -> list[JobEvent]:
        """The job's transitions, oldest first."""
        stmt = (
            select(JobEvent)
            .where(JobEvent.job_id == job_id, JobEvent.owner == owner)
            .order_by(col(JobEvent.id))
        )
        with self.read() as session:
            return list(session.exec(stmt).all())


# Core rows are turned into model instances with model_construct, which skips
# SQLAlchemy's lazy mapper set-up: configure the mappers once, up front.
configure_mappers()
_JOBS = Job.__table__  # type: ignore[attr-defined]
_EVENTS = JobEvent.__table__  # type: ignore[attr-defined]
_RUNS = JobRun.__table__  # type: ignore[attr-defined]
# A quick read (on the event loop) reads at most this many runs: it must stay small and bounded.
_QUICK_RUNS_MAX = 20
# Built once: the hot reads skip statement construction on every call.
_JOB_BY_ID = sa_select(_JOBS).where(_JOBS.c.id == bindparam("job_id"), _JOBS.c.owner == bindparam("owner"))
# Without the search vector: these rows answer searches and dependency checks, which never use it, and
# are never written back (a Job read so has embedding None).
_JOBS_BY_IDS = (sa_select(*JOB_COLUMNS_WITHOUT_VECTOR)
                .where(_JOBS.c.id.in_(bindparam("job_ids", expanding=True))))
_RECENT_RUNS = (
    sa_select(_RUNS)
    .where(_RUNS.c.job_id == bindparam("job_id"), _RUNS.c.owner == bindparam("owner"))
    .order_by(_RUNS.c.scheduled_for.desc(), _RUNS.c.started_at.desc(), _RUNS.c.id.desc())
    .limit(bindparam("limit"))
)


def _job_with_runs(conn: Connection, owner: str, job_id: str, runs: int) -> tuple[Job, list[JobRun]]:
    row = conn.execute(_JOB_BY_ID, {"job_id": job_id, "owner": owner}).mappings().first()
    if row is None:
        raise NotFound("job", job_id)
    params = {"job_id": job_id, "owner": owner, "limit": runs}
    run_rows = conn.execute(_RECENT_RUNS, params).mappings().all() if runs > 0 else []
    return Job.model_construct(**row), [JobRun.model_construct(**r) for r in run_rows]


def encode_cursor(created_at: datetime, job_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), job_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, job_id = json.loads(base64.urlsafe_b64decode(padded))
        when = datetime.fromisoformat(created_at)
        # A forged cursor must not reach SQL with what a database refuses (a naive time, NUL, a huge id).
        if when.tzinfo is None or not isinstance(job_id, str) or len(job_id) > 64 or "\x00" in job_id:
            raise ValueError("not a cursor of ours")
        job_id.encode("utf-8")  # UnicodeEncodeError (a ValueError) on a lone surrogate
        return when, job_id
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidArgument("cursor", "a cursor returned by a previous job_list call", cursor) from exc
