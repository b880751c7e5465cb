"""The schedule of a stored job: its spec, its next fires, its description."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, time
from functools import lru_cache
from typing import Any

from scheduler.schedules.schedule_math import describe, next_fire
from scheduler.schedules.spec import ScheduleSpec
from store.enums import JobType
from store.models import Job


def spec_of(job: Job) -> ScheduleSpec:
    return ScheduleSpec(
        job_type=JobType(job.job_type), timezone=job.timezone, run_at=job.run_at, cron=job.cron,
        interval_seconds=job.interval_seconds, interval_days=job.interval_days, anchor_at=job.anchor_at,
        wall_time=time.fromisoformat(job.wall_time) if job.wall_time else None,
        start_at=job.start_at, end_at=job.end_at, max_runs=job.max_runs,
    )


def spec_columns(spec: ScheduleSpec) -> dict[str, Any]:
    """The job row's schedule columns for `spec`: the inverse of spec_of (the names are the same)."""
    columns = {f.name: getattr(spec, f.name) for f in fields(spec)}
    columns["job_type"] = spec.job_type.value
    columns["wall_time"] = spec.wall_time.isoformat() if spec.wall_time else None
    return columns


SCHEDULE_COLUMNS = frozenset(f.name for f in fields(ScheduleSpec))


def summary_of(job: Job) -> str:
    return _described(spec_of(job))


def listed_summary(job: Job) -> str:
    """The summary an operator's listing shows (dashboard, command line): a damaged row still lists, with
    its schedule as stored; the tools report the fault."""
    try:
        return summary_of(job)
    except Exception:  # noqa: BLE001  (any fault of the row's own data)
        return job.cron or job.schedule_text or "?"


# Every answer that shows a job carries its summary, and people share a few schedules: the words of
# a spec (frozen, and `describe` reads nothing else) are worked out once.
_described = lru_cache(maxsize=4096)(describe)


def next_fires_of(job: Job, now: datetime, count: int = 3, spec: ScheduleSpec | None = None) -> list[datetime]:
    """The job's coming fires: its stored next_run_at first, then the schedule's (`spec` if the caller has it)."""
    if job.next_run_at is None:
        return []
    fires = [job.next_run_at]
    if job.job_type != JobType.ONE_OFF:
        spec = spec or spec_of(job)
        after = job.next_run_at
        while len(fires) < count:
            nxt = next_fire(spec, after, job.run_count + len(fires))
            if nxt is None:
                break
            fires.append(nxt)
            after = nxt
    return fires


def resume_fire(job: Job, now: datetime) -> datetime | None:
    """Where a resumed job picks up: the next fire from now, never a burst of missed ones."""
    spec = spec_of(job)
    if spec.job_type == JobType.ONE_OFF:
        return max(spec.run_at or now, now)
    return next_fire(spec, now, job.run_count)


__all__ = ["SCHEDULE_COLUMNS", "spec_of", "spec_columns", "summary_of", "next_fires_of", "resume_fire"]
