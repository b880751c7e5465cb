"""What the engine's store calls take and return, and the batched job write they share.

The store decides nothing about schedules: the scheduler computes a `FirePlan`
(which fire to run, which were missed) or a `JobFinish` (the job row after a
run) and the store writes it atomically, checking the lifecycle and the
row's version. Every write here is plain SQL Core in batches, because the
engine moves thousands of runs a second through these few statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Row, bindparam, update

from store.bulk import execute_many, insert_many
from store.enums import JobStatus, RunOutcome, Verdict
from store.errors import StaleVersion
from store.lifecycle import check_transition
from store.models import Job, JobEvent, JobRun

JOBS = Job.__table__  # type: ignore[attr-defined]
RUNS = JobRun.__table__  # type: ignore[attr-defined]
EVENTS = JobEvent.__table__  # type: ignore[attr-defined]
ENGINE_ACTOR = "engine"


@dataclass(frozen=True)
class FirePlan:
    """What to do with a due job: run `run_fire` now, or wait for `next_run_at`.

    `missed` fires are recorded as `missed` runs either way. `to_status` ends the
    job when nothing is left to run (a one-off missed beyond its grace).
    """

    run_fire: datetime | None
    missed: list[datetime] = field(default_factory=list)
    next_run_at: datetime | None = None
    to_status: JobStatus | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Claim:
    """A job this worker holds a lease on, and the run row opened for it."""

    job: Job  # the row after the claim: IN_PROGRESS, claimed_by = worker, version bumped
    run_id: str
    scheduled_for: datetime
    started_at: datetime
    attempt: int  # 1 for the first attempt at this fire


@dataclass(frozen=True)
class JobFinish:
    """The job row after a run, a lost lease or a release; every field is written as given.

    `status` equal to the current status means no transition (a pause or cancel
    that won keeps its status); otherwise the change is checked and recorded.
    The claim (`claimed_by`, `lease_until`) is always cleared.
    """

    status: JobStatus
    next_run_at: datetime | None
    run_count: int
    attempt: int
    last_run_at: datetime | None
    last_error: str | None
    state: dict[str, Any]
    reason: str | None = None
    actor: str = ENGINE_ACTOR


@dataclass(frozen=True)
class ReminderPlan:
    """A due reminder fired by the reminder lane: its fire plan and, if a fire runs, the finish of that
    run, planned as started and finished at the lane's `now` (`finish.row`: the job as running it,
    IN_PROGRESS at the version read). `finish` is None when every fire was missed."""

    fire: FirePlan
    finish: Finish | None = None
    attempt: int = 1


@dataclass(frozen=True)
class RunRecord:
    """The run row's final fields. `message`/`notify` feed the outbox seam; they are not columns."""

    outcome: RunOutcome
    finished_at: datetime
    verdict: Verdict | None = None
    summary: str | None = None
    output: str | None = None
    error: str | None = None
    message: str | None = None
    notify: bool = False
    tokens_in: int = 0
    tokens_out: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    trace: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Finish:
    """One run's result, to be written only if the job row still has `version`.

    `run.finished_at` is the finish's one instant: the run row's finished_at, the job row's
    updated_at, the event's time, the skipped runs' and the outbox rows' are all this value.
    """

    job_id: str
    version: int
    run_id: str
    run: RunRecord
    job: JobFinish
    skipped: list[datetime] = field(default_factory=list)  # fires that came while the run ran
    # The job row the finish was planned against (same version): what the event and the outbox hook see.
    row: Job | None = None


@dataclass(frozen=True)
class FinishResult:
    """applied: everything was written. Otherwise nothing was: `current` is the job row now
    and `run_outcome` the run row's outcome now (not `running`: the lease was lost), or
    `fault` says why this finish alone could not be written (a value the database refused)."""

    applied: bool
    current: Job | None = None
    run_outcome: str | None = None
    fault: str | None = None


def job_from_row(row: Row[Any]) -> Job:
    return Job(**row._mapping)


def run_values(job: Job, *, run_id: str, scheduled_for: datetime | None, outcome: RunOutcome, now: datetime,
               attempt: int = 1, worker: str | None = None, summary: str | None = None,
               started_at: datetime | None = None) -> dict[str, Any]:
    """A full job_runs row as a dict (executemany needs the same keys in every row)."""
    finished = None if outcome == RunOutcome.RUNNING else now
    return {"id": run_id, "job_id": job.id, "owner": job.owner, "attempt": attempt, "scheduled_for": scheduled_for,
            "started_at": started_at, "finished_at": finished, "outcome": outcome.value, "verdict": None,
            "summary": summary, "output": None, "error": None, "worker": worker, "tokens_in": 0, "tokens_out": 0,
            "cache_read_tokens": 0, "cache_write_tokens": 0, "cost_usd": 0.0, "trace": []}


def event_values(job: Job, to_status: JobStatus, now: datetime, actor: str, reason: str | None, *,
                 from_status: str | None = None) -> dict[str, Any]:
    """A job_events row; `from_status` when the row in hand already carries the new status (a claim)."""
    return {"job_id": job.id, "owner": job.owner, "at": now, "from_status": from_status or job.status,
            "to_status": to_status.value, "actor": actor, "reason": reason}


def insert_rows(conn: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    insert_many(conn, table, rows)


_FINISH_COLUMNS = ("status", "next_run_at", "run_count", "attempt", "last_run_at", "last_error", "state",
                   "claimed_by", "lease_until", "version", "updated_at")
_WRITE_FINISH = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("b_id"), JOBS.c.version == bindparam("b_read_version"))
    .values({name: bindparam(f"b_{name}", type_=JOBS.c[name].type) for name in _FINISH_COLUMNS})
)


def write_job_finishes(conn: Connection, items: Sequence[tuple[Job, JobFinish, datetime]]) -> None:
    """Write each JobFinish over the row it was planned against (same version), with its event, both
    stamped with the item's instant (the `now` of the pass or of the run's finish: one value per write).

    Raises Conflict for an illegal transition and StaleVersion if a row moved on;
    the caller's transaction then rolls back as a whole. Callers hold the rows
    (FOR UPDATE, or SQLite's single writer), so StaleVersion here is a bug guard.
    """
    params: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for job, finish, at in items:
        current = JobStatus(job.status)
        if finish.status != current:
            check_transition(job.id, current, finish.status, "finish")
            events.append(event_values(job, finish.status, at, finish.actor, finish.reason))
        params.append({"b_id": job.id, "b_read_version": job.version, "b_version": job.version + 1,
                       "b_status": finish.status.value, "b_next_run_at": finish.next_run_at,
                       "b_run_count": finish.run_count, "b_attempt": finish.attempt,
                       "b_last_run_at": finish.last_run_at, "b_last_error": finish.last_error,
                       "b_state": finish.state, "b_claimed_by": None, "b_lease_until": None, "b_updated_at": at})
    if not params:
        return
    if execute_many(conn, _WRITE_FINISH, params) != len(params):
        raise StaleVersion(str(params[0]["b_id"]) if len(params) == 1 else "(batch)")
    insert_rows(conn, EVENTS, events)


class Outbox(Protocol):
    """Where the engine's writes leave messages for the chat (store/outbox.py implements it).

    `runs_finished` (one call per batch of applied finishes, each with the row it was
    planned against) and `job_ended` run inside the writing transaction, so a message
    exists exactly when its cause was committed; `jobs_claimed` names the jobs a claim
    changed (a run started, or missed fires recorded), which the chat hears of but gets no
    message for; `after_commit` runs after it.
    """

    def runs_finished(self, conn: Connection, items: Sequence[tuple[Job, Finish]]) -> None: ...

    def job_ended(self, conn: Connection, job: Job, to_status: JobStatus, reason: str | None,
                  now: datetime) -> None: ...

    def jobs_claimed(self, jobs: Sequence[Job]) -> None: ...

    def after_commit(self) -> None: ...
