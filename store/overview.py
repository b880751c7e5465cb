"""Operator reads across owners: the counts behind /metrics and the dashboard's lists.

Every function takes `owner=None` to mean every owner (the operator's view); an owner
token's view passes its owner. Reads only, each one statement on an indexed column
where the table can grow (runs by job, deliveries by job, jobs by status).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select

from store.enums import JobStatus
from store.models import Delivery, Job, JobRun
from store.repository import JobRepository

JOBS = Job.__table__  # type: ignore[attr-defined]
RUNS = JobRun.__table__  # type: ignore[attr-defined]
DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Gauges:
    jobs_by_status: dict[str, int] = field(default_factory=dict)
    due_not_started: int = 0  # ACTIVE, unclaimed, next fire at or before now
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, status) -> rows
    embedded_jobs: int = 0  # jobs with a stored search vector


def gauges(repo: JobRepository, now: datetime) -> Gauges:
    with repo.read() as session:
        conn = session.connection()
        by_status = {str(s): int(n) for s, n in conn.execute(
            select(JOBS.c.status, func.count()).group_by(JOBS.c.status)).all()}
        due = conn.execute(select(func.count()).where(
            JOBS.c.status == JobStatus.ACTIVE.value, JOBS.c.claimed_by.is_(None),
            JOBS.c.next_run_at <= now)).scalar_one()
        deliveries = {(str(k), str(s)): int(n) for k, s, n in conn.execute(
            select(DELIVERIES.c.kind, DELIVERIES.c.status, func.count())
            .group_by(DELIVERIES.c.kind, DELIVERIES.c.status)).all()}
        embedded = conn.execute(select(func.count()).where(JOBS.c.embedding.is_not(None))).scalar_one()
    return Gauges(by_status, int(due), deliveries, int(embedded))


def ping(repo: JobRepository) -> None:
    """One round trip; raises if the database cannot be reached."""
    with repo.read() as session:
        session.connection().execute(select(1)).scalar_one()


def _job_filter(stmt: Select[Any], owner: str | None, statuses: Sequence[str], job_types: Sequence[str],
                text: str) -> Select[Any]:
    if owner is not None:
        stmt = stmt.where(JOBS.c.owner == owner)
    if statuses:
        stmt = stmt.where(JOBS.c.status.in_(list(statuses)))
    if job_types:
        stmt = stmt.where(JOBS.c.job_type.in_(list(job_types)))
    if text.strip():
        pattern = "%" + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(func.lower(JOBS.c.title).like(pattern, escape="\\"),
                              func.lower(JOBS.c.instructions).like(pattern, escape="\\"),
                              JOBS.c.id == text.strip()))
    return stmt


def find_jobs(repo: JobRepository, owner: str | None, *, statuses: Sequence[str] = (),
              job_types: Sequence[str] = (), text: str = "", before: str = "", limit: int = 200) -> list[Job]:
    """Jobs newest first; `text` matches the title, instructions or id (case-insensitive).

    `before` is a job id: only jobs older than it, in the same order (a page that stays put while
    new jobs arrive, where an offset would shift). An id that is not there gives no jobs.
    """
    stmt = _job_filter(select(Job), owner, statuses, job_types, text)
    if before:
        mark_of = select(JOBS.c.created_at).where(JOBS.c.id == before)
        mark = (mark_of if owner is None else mark_of.where(JOBS.c.owner == owner)).scalar_subquery()
        stmt = stmt.where(or_(JOBS.c.created_at < mark, (JOBS.c.created_at == mark) & (JOBS.c.id < before)))
    stmt = stmt.order_by(JOBS.c.created_at.desc(), JOBS.c.id.desc()).limit(limit)
    with repo.read() as session:
        return list(session.scalars(stmt).all())


def count_jobs(repo: JobRepository, owner: str | None, *, statuses: Sequence[str] = (),
               job_types: Sequence[str] = (), text: str = "") -> int:
    """How many jobs `find_jobs` would page through with the same filters."""
    stmt = _job_filter(select(func.count()).select_from(JOBS), owner, statuses, job_types, text)
    with repo.read() as session:
        return int(session.connection().execute(stmt).scalar_one())


def find_job(repo: JobRepository, owner: str | None, job_id: str) -> Job | None:
    stmt = select(Job).where(Job.id == job_id)
    if owner is not None:
        stmt = stmt.where(Job.owner == owner)
    with repo.read() as session:
        return session.scalars(stmt).first()


def job_runs(repo: JobRepository, job_id: str, limit: int = 100) -> list[JobRun]:
    """The job's runs, newest first."""
    stmt = (select(JobRun).where(JobRun.job_id == job_id)
            .order_by(RUNS.c.scheduled_for.desc(), RUNS.c.started_at.desc()).limit(limit))
    with repo.read() as session:
        return list(session.scalars(stmt).all())


def job_deliveries(repo: JobRepository, job_id: str, limit: int = 200) -> list[Delivery]:
    """The job's deliveries, newest first."""
    stmt = (select(Delivery).where(Delivery.job_id == job_id)
            .order_by(DELIVERIES.c.created_at.desc()).limit(limit))
    with repo.read() as session:
        return list(session.scalars(stmt).all())


def cost_per_day(repo: JobRepository, owner: str | None, since: datetime,
                 job_id: str | None = None) -> dict[date, tuple[float, int]]:
    """UTC day -> (USD, runs) of the runs started at or after `since`."""
    day = func.date(RUNS.c.started_at)
    stmt = select(day, func.coalesce(func.sum(RUNS.c.cost_usd), 0.0), func.count()).where(
        RUNS.c.started_at >= since)
    if owner is not None:
        stmt = stmt.where(RUNS.c.owner == owner)
    if job_id is not None:
        stmt = stmt.where(RUNS.c.job_id == job_id)
    with repo.read() as session:
        rows = session.connection().execute(stmt.group_by(day)).all()
    return {_as_date(d): (float(cost), int(n)) for d, cost, n in rows if d is not None}


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
