"""Reads for the person who runs the server (the `jobs-mcp` command line): across owners, read-only.

The tools never call these: every tool read is owner-scoped (store/repository.py). Here the
operator sees all owners; a job is found by its id alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, or_, select

from store.enums import JobStatus
from store.errors import NotFound
from store.models import Delivery, Job, JobRun
from store.repository import JobRepository

JOBS = Job.__table__  # type: ignore[attr-defined]
RUNS = JobRun.__table__  # type: ignore[attr-defined]
DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]


def _reads(repo: JobRepository) -> Engine:
    """Read transactions that never take SQLite's writer slot from the server (DEFERRED)."""
    return repo.engine.execution_options(sqlite_begin="DEFERRED")


def owner_of(repo: JobRepository, job_id: str) -> str:
    """The owner of job `job_id`, or NotFound."""
    with _reads(repo).connect() as conn:
        owner = conn.execute(select(JOBS.c.owner).where(JOBS.c.id == job_id)).scalar()
    if owner is None:
        raise NotFound("job", job_id)
    return str(owner)


def owner_exists(repo: JobRepository, owner: str) -> bool:
    with _reads(repo).connect() as conn:
        return conn.execute(select(JOBS.c.id).where(JOBS.c.owner == owner).limit(1)).first() is not None


def list_jobs(repo: JobRepository, *, owner: str | None = None, statuses: Sequence[str] = (),
              job_types: Sequence[str] = (), limit: int = 100) -> list[Job]:
    """Jobs of every owner (or one), newest first; ARCHIVED only when named in `statuses`."""
    stmt = select(JOBS)
    if owner is not None:
        stmt = stmt.where(JOBS.c.owner == owner)
    stmt = stmt.where(JOBS.c.status.in_(list(statuses)) if statuses else JOBS.c.status != JobStatus.ARCHIVED.value)
    if job_types:
        stmt = stmt.where(JOBS.c.job_type.in_(list(job_types)))
    stmt = stmt.order_by(JOBS.c.created_at.desc(), JOBS.c.id.desc()).limit(limit)
    with _reads(repo).connect() as conn:
        return [Job.model_construct(**row) for row in conn.execute(stmt).mappings()]


@dataclass
class DayFigures:
    day: str  # YYYY-MM-DD, UTC
    runs: int = 0
    failed: int = 0
    cost_usd: float = 0.0


@dataclass
class Stats:
    jobs_by_status: dict[str, int]
    days: list[DayFigures]
    deliveries: dict[str, int] = field(default_factory=dict)  # pending, sending, failed (dead), inbox_unread


_FAILED_OUTCOMES = frozenset({"failed", "timed_out", "abandoned"})


def stats(repo: JobRepository, now: datetime, days: int, owner: str | None = None) -> Stats:
    """Counts by status, runs and cost per UTC day for the last `days` days, deliveries waiting or dead."""
    first = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    job_filter = [JOBS.c.owner == owner] if owner else []
    run_filter = [RUNS.c.owner == owner] if owner else []
    delivery_filter = [DELIVERIES.c.owner == owner] if owner else []
    with _reads(repo).connect() as conn:
        by_status = dict(conn.execute(select(JOBS.c.status, func.count()).where(*job_filter)
                                      .group_by(JOBS.c.status)).all())
        # Grouped here rather than in SQL: day arithmetic differs between SQLite and PostgreSQL.
        rows = conn.execute(select(RUNS.c.started_at, RUNS.c.outcome, RUNS.c.cost_usd).where(
            RUNS.c.started_at >= first, *run_filter)).all()
        webhooks = dict(conn.execute(select(DELIVERIES.c.status, func.count()).where(
            DELIVERIES.c.kind == "webhook", *delivery_filter).group_by(DELIVERIES.c.status)).all())
        unread = conn.execute(select(func.count()).where(
            DELIVERIES.c.kind == "inbox", DELIVERIES.c.read_at.is_(None), *delivery_filter)).scalar_one()
    per_day = {(first + timedelta(days=i)).date().isoformat(): DayFigures((first + timedelta(days=i)).date()
                                                                          .isoformat()) for i in range(days)}
    for started_at, outcome, cost in rows:
        figures = per_day.get(started_at.date().isoformat())
        if figures is None:
            continue
        figures.runs += 1
        figures.failed += outcome in _FAILED_OUTCOMES
        figures.cost_usd += float(cost or 0.0)
    count = {str(k): int(v) for k, v in webhooks.items()}
    deliveries = {"webhook_pending": count.get("pending", 0) + count.get("sending", 0),
                  "webhook_dead": count.get("failed", 0), "webhook_delivered": count.get("delivered", 0),
                  "inbox_unread": int(unread)}
    return Stats({str(k): int(v) for k, v in by_status.items()}, list(per_day.values()), deliveries)


@dataclass(frozen=True)
class Activity:
    """One thing that happened: a run started or finished, a message written or delivered."""

    at: datetime
    kind: str  # run.started | run.finished | delivery.created | delivery.delivered
    key: str  # unique per happening, for de-duplication across polls
    row: dict[str, Any]


_ORDER = {"run.started": 0, "run.finished": 1, "delivery.created": 2, "delivery.delivered": 3}


def activity_since(repo: JobRepository, since: datetime, limit: int = 500) -> tuple[list[Activity], bool]:
    """What happened after `since` on every node, oldest first, and whether that is all of it (else
    ask again from the last one: at most `limit` rows of each table are read)."""
    with _reads(repo).connect() as conn:
        runs = conn.execute(select(RUNS).where(or_(RUNS.c.started_at > since, RUNS.c.finished_at > since))
                            .order_by(func.coalesce(RUNS.c.finished_at, RUNS.c.started_at)).limit(limit)).mappings()
        runs = [dict(r) for r in runs]
        deliveries = [dict(r) for r in conn.execute(
            select(DELIVERIES).where(or_(DELIVERIES.c.created_at > since, DELIVERIES.c.delivered_at > since))
            .order_by(DELIVERIES.c.created_at).limit(limit)).mappings()]
    items: list[Activity] = []
    for run in runs:
        run.pop("trace", None)  # can be large; the tail never shows it
        if run["started_at"] is not None and run["started_at"] > since:
            items.append(Activity(run["started_at"], "run.started", f"{run['id']}:s", run))
        if run["finished_at"] is not None and run["finished_at"] > since:
            items.append(Activity(run["finished_at"], "run.finished", f"{run['id']}:f", run))
    for row in deliveries:
        if row["created_at"] > since:
            items.append(Activity(row["created_at"], "delivery.created", f"{row['id']}:c", row))
        if row["kind"] == "webhook" and row["delivered_at"] is not None and row["delivered_at"] > since:
            items.append(Activity(row["delivered_at"], "delivery.delivered", f"{row['id']}:d", row))
    cuts = []
    if len(runs) == limit:
        cuts.append(max(t for t in (runs[-1]["finished_at"], runs[-1]["started_at"]) if t is not None))
    if len(deliveries) == limit:
        cuts.append(deliveries[-1]["created_at"])
    if cuts:
        items = [item for item in items if item.at <= min(cuts)]
    return sorted(items, key=lambda a: (a.at, _ORDER[a.kind], a.key)), not cuts


def database_now(repo: JobRepository) -> datetime | None:
    """The database server's clock (PostgreSQL), or None on SQLite (it has no clock of its own)."""
    if repo.engine.dialect.name == "sqlite":
        return None
    with _reads(repo).connect() as conn:
        return conn.exec_driver_sql("SELECT now()").scalar_one()


def lease_holders(repo: JobRepository) -> dict[str, datetime]:
    """worker -> the latest lease it holds (nodes that are running something)."""
    with _reads(repo).connect() as conn:
        rows = conn.execute(select(JOBS.c.claimed_by, func.max(JOBS.c.lease_until)).where(
            JOBS.c.claimed_by.is_not(None)).group_by(JOBS.c.claimed_by)).all()
    return {str(worker): until for worker, until in rows if until is not None}
