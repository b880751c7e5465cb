"""Dependencies (docs/design.md §3 c, d): a PENDING job becomes ACTIVE when every dependency
COMPLETED, and BLOCKED, with the reason, as soon as one FAILED, was CANCELLED or is
itself BLOCKED (so a failure blocks the whole chain below it)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from functools import partial

from sqlalchemy import Connection

from scheduler.jobs.dependencies import DependencyState, dependency_state
from scheduler.schedules.job_schedule import resume_fire
from store.enums import JobStatus
from store.errors import Conflict, StaleVersion
from store.models import Job
from store.repository import JobRepository, Transition
from store.run_types import ENGINE_ACTOR, Outbox
from store.runs import RunStore

log = logging.getLogger(__name__)


def engine_dependency_state(deps: Mapping[str, Job]) -> tuple[DependencyState, str | None]:
    for dep in deps.values():
        if dep.status == JobStatus.BLOCKED:
            return DependencyState.BLOCKED, f"dependency {dep.id} is BLOCKED"
    return dependency_state(deps)


def _tell_blocked(outbox: Outbox, reason: str | None, now: datetime, conn: Connection, before: Job) -> None:
    outbox.job_ended(conn, before, JobStatus.BLOCKED, reason, now)


def settle_dependencies(repo: JobRepository, runs: RunStore, now: datetime) -> list[Job]:
    """Move PENDING jobs whose dependencies decided; returns the jobs as written."""
    settled: list[Job] = []
    outbox = runs.outbox
    for job in runs.pending_jobs():
        deps = repo.get_jobs(job.owner, job.depends_on)
        missing = [d for d in job.depends_on if d not in deps]
        state, why = engine_dependency_state(deps)
        if missing:
            state, why = DependencyState.BLOCKED, f"dependency {missing[0]} no longer exists"
        if state == DependencyState.WAITING:
            continue
        if state == DependencyState.READY:
            changes = {"next_run_at": resume_fire(job, now), "last_error": None}
            transition = Transition(JobStatus.ACTIVE, ENGINE_ACTOR, "all dependencies completed", "settle")
            if changes["next_run_at"] is None:
                changes = {"last_error": "the schedule has no fire left"}
                transition = Transition(JobStatus.BLOCKED, ENGINE_ACTOR, changes["last_error"], "settle")
        else:
            changes = {"next_run_at": None, "last_error": why}
            transition = Transition(JobStatus.BLOCKED, ENGINE_ACTOR, why, "settle")
        also = None
        if transition.to_status == JobStatus.BLOCKED and outbox is not None:
            also = partial(_tell_blocked, outbox, transition.reason, now)
        try:
            settled.append(repo.update_job(job, changes, now=now, transition=transition, also=also))
        except (StaleVersion, Conflict):
            # Changed by its owner meanwhile; the next tick looks again.
            log.debug("dependency settle lost a race", extra={"job_id": job.id})
            continue
        if also is not None and outbox is not None:
            outbox.after_commit()
    return settled
