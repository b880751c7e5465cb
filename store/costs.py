"""What jobs have spent: the sum of their runs' cost_usd and tokens (docs/design.md §4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from store.models import JobRun
from store.repository import JobRepository

RUNS = JobRun.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class JobCost:
    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


def job_costs(repo: JobRepository, owner: str, job_ids: Sequence[str]) -> dict[str, JobCost]:
    """Totals over all runs of each of the owner's `job_ids` (a job without runs is absent)."""
    if not job_ids:
        return {}
    stmt = (
        select(RUNS.c.job_id, func.sum(RUNS.c.cost_usd), func.sum(RUNS.c.tokens_in), func.sum(RUNS.c.tokens_out),
               func.sum(RUNS.c.cache_read_tokens), func.sum(RUNS.c.cache_write_tokens))
        .where(RUNS.c.owner == owner, RUNS.c.job_id.in_(list(job_ids)))
        .group_by(RUNS.c.job_id)
    )
    with repo.read() as session:
        rows = session.connection().execute(stmt).all()
    return {row[0]: JobCost(float(row[1] or 0.0), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0),
                            int(row[5] or 0)) for row in rows}
