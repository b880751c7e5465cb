"""Dependencies (docs/design.md §3 c, d): a PENDING job becomes ACTIVE when every dependency
COMPLETED, and BLOCKED, with the reason, as soon as one FAILED, was CANCELLED, is itself
BLOCKED (so a failure blocks the whole chain below it) or no longer exists. The rule is
`scheduler.jobs.dependencies.dependency_state`, the one the service applies too.

A job whose settling fails on its own data (a dependency row that cannot be read, a next fire
that cannot be computed) is set BLOCKED with the reason; the other pending jobs settle as usual."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from sqlalchemy import Connection

from scheduler.jobs.dependencies import DependencyState, dependency_state
from scheduler.schedules.job_schedule import resume_fire
from store.enums import JobStatus
from store.errors import Conflict, StaleVersion
from store.models import Job
from store.repository import JobRepository, Transition
from store.row_faults import fault_text, is_row_fault, row_problem
from store.run_types import ENGINE_ACTOR, Outbox
from store.runs import RunStore

log = logging.getLogger(__name__)


def _tell_blocked(outbox: Outbox, reason: str | None, now: datetime, conn: Connection, before: Job) -> None:
    outbox.job_ended(conn, before, JobStatus.BLOCKED, reason, now)


def settle_dependencies(repo: JobRepository, runs: RunStore, now: datetime) -> list[Job]:
    """Move PENDING jobs whose dependencies decided; returns the jobs as written."""
    settled: list[Job] = []
    for job in runs.pending_jobs(now):
        problem = row_problem(job)
        try:
            written = _settle(repo, runs.outbox, job, now) if problem is None else None
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            problem = f"its dependencies cannot be settled ({fault_text(exc)})"
        if problem is not None:
            if runs.set_aside(job.id, JobStatus.PENDING, JobStatus.BLOCKED, problem, now):
                settled.append(job)
        elif written is not None:
            settled.append(written)
    return settled


def _settle(repo: JobRepository, outbox: Outbox | None, job: Job, now: datetime) -> Job | None:
    """The job as written if its dependencies decided, else None."""
    state, why = dependency_state(repo.get_jobs(job.owner, job.depends_on), job.depends_on)
    if state == DependencyState.WAITING:
        return None
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
        written = repo.update_job(job, changes, now=now, transition=transition, also=also)
    except (StaleVersion, Conflict):
        # Changed by its owner meanwhile; the next tick looks again.
        log.debug("dependency settle lost a race", extra={"job_id": job.id})
        return None
    if also is not None and outbox is not None:
        outbox.after_commit()
    return written
