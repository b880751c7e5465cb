"""What one owner uses right now, counted in the database so every node sees the same numbers (quotas).

Each count reads one index: `ix_jobs_owner_status`, `ix_jobs_owner_created`,
`ix_job_runs_owner_started`, `ix_llm_spend_owner_at`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, literal, select

from store.enums import TERMINAL_STATUSES, JobStatus
from store.models import Job, JobRun, LlmSpend
from store.repository import JobRepository

JOBS = Job.__table__  # type: ignore[attr-defined]
RUNS = JobRun.__table__  # type: ignore[attr-defined]
LEDGER = LlmSpend.__table__  # type: ignore[attr-defined]
# IN over the unfinished statuses seeks the index per status; NOT IN would read every job of the owner.
_UNFINISHED = sorted(status.value for status in JobStatus if status not in TERMINAL_STATUSES)

# Built once: these run before every create and every agent run, and building the expressions cost more
# than the queries. Counting stops at :at_most, so an owner with many jobs costs no more than the limit.
_ACTIVE = select(func.count()).select_from(
    select(literal(1)).where(JOBS.c.owner == bindparam("owner"), JOBS.c.status.in_(_UNFINISHED))
    .limit(bindparam("at_most")).subquery())
_RECENT = select(func.count(), func.min(JOBS.c.created_at)).where(JOBS.c.owner == bindparam("owner"),
                                                                   JOBS.c.created_at > bindparam("since"))
_SPEND = select(func.coalesce(func.sum(RUNS.c.cost_usd), 0.0)).where(RUNS.c.owner == bindparam("owner"),
                                                                      RUNS.c.started_at >= bindparam("since"))
_SPEND_OUTSIDE_RUNS = select(func.coalesce(func.sum(LEDGER.c.usd), 0.0)).where(
    LEDGER.c.owner == bindparam("owner"), LEDGER.c.at >= bindparam("since"))


@dataclass(frozen=True)
class CreationUsage:
    active: int  # unfinished jobs (PAUSED, BLOCKED and PENDING count), counted up to the `active_at_most` asked
    created: int  # jobs created after `since`
    oldest_created: datetime | None  # the oldest of those


def creation_usage(repo: JobRepository, owner: str, *, active_at_most: int, since: datetime) -> CreationUsage:
    """What the create quotas need, in one read."""
    with repo.read_rows() as conn:  # a plain connection: an ORM session here was a quarter of the quota check
        active = conn.execute(_ACTIVE, {"owner": owner, "at_most": active_at_most}).scalar_one() if active_at_most \
            else 0
        created, oldest = conn.execute(_RECENT, {"owner": owner, "since": since}).one()
    return CreationUsage(int(active), int(created), oldest)


def spend_since(repo: JobRepository, owner: str, since: datetime) -> float:
    """USD the owner spent on the LLM since `since`: runs that started since (finished runs; a running one
    reports 0) and the calls made outside runs (`record_spend`)."""
    with repo.read() as session:
        conn, params = session.connection(), {"owner": owner, "since": since}
        return float(conn.execute(_SPEND, params).scalar_one()) + float(
            conn.execute(_SPEND_OUTSIDE_RUNS, params).scalar_one())


def record_spend(repo: JobRepository, owner: str, at: datetime, usd: float, purpose: str) -> None:
    """Add an LLM call made outside a run (chat observation, schedule reading) to the owner's spend."""
    with repo.write() as session:
        session.add(LlmSpend(owner=owner, at=at, usd=usd, purpose=purpose))
