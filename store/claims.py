"""Leases on due jobs: the claim query, heartbeats, and taking expired or released leases back.

Contract:
- A claim is a lease: `claimed_by` = the worker, `lease_until` = now + lease_s.
  Only the holder renews it; nobody else touches a claimed row but the owner's
  own pause/cancel (which wins, see `store.runs`).
- PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` feeds `UPDATE … RETURNING`, so
  any number of nodes claim concurrently and never the same row. SQLite: the
  same statement inside one `BEGIN IMMEDIATE` writer.
- A lease that is not renewed in time (its node died) is taken back by
  `recover_expired`: the open run becomes `abandoned` and the job is written as
  the caller's plan says (back to the queue, counting an attempt).
- `now` comes from the caller's clock; heartbeats do not bump `version`, so a
  renewed lease never makes the run's own finish stale.
- A damaged row never stops the others (`store.row_faults`): a row that cannot be
  read, checked or planned is set FAILED with the reason (a claim), or has its
  lease taken back and, if it was running, is set FAILED (a recovery); every
  other row of the batch is claimed or recovered in the same call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, and_, bindparam, select, update
from sqlmodel import col

from store.engine import is_sqlite
from store.enums import JobAction, JobStatus, RunOutcome
from store.ids import new_run_id
from store.lifecycle import check_transition
from store.models import SLOT_JOBS, Job
from store.repository import JobRepository
from store.row_faults import (
    fault_text,
    is_row_fault,
    one_at_a_time,
    row_problem,
    set_aside,
    unreadable,
    unusable,
)
from store.run_types import (
    ENGINE_ACTOR,
    EVENTS,
    JOBS,
    RUNS,
    Claim,
    FirePlan,
    JobFinish,
    Outbox,
    event_values,
    insert_rows,
    run_values,
    write_job_finishes,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
S = JobStatus
# Statuses a claimed row can have: the run's own, or what a pause/cancel during the run left.
_HELD = [S.IN_PROGRESS.value, S.PAUSED.value, S.CANCELLED.value, S.ACTIVE.value, S.BLOCKED.value]
MISSED_SUMMARY = "missed: the fire was later than the job's misfire grace (server down or busy)"
# What a damaged row becomes when it is set aside: a due job fails; a held one keeps its status
# (a pause or cancel won), a running one fails.
_CLAIM_ASIDE = {S.ACTIVE: S.FAILED}
_HELD_ASIDE = {S(status): S(status) for status in _HELD} | {S.IN_PROGRESS: S.FAILED}


def reminder_rows() -> ColumnElement[bool]:
    """The jobs the reminder lane fires (store/reminders.py): plain reminders. A cost limit needs the
    job's spend read per run, so such a job keeps the slot path. Of the ACTIVE jobs, the others are
    `store.models.SLOT_JOBS`."""
    return and_(JOBS.c.action == JobAction.NOTIFY.value, JOBS.c.max_cost_usd.is_(None))


@dataclass(frozen=True)
class ClaimBatch:
    claims: list[Claim]
    examined: int  # due rows taken in this pass; == limit means more may be due
    missed: int  # fires recorded as `missed`


class ClaimStore:
    def __init__(self, repo: JobRepository, outbox: Outbox | None = None) -> None:
        self.repo = repo
        self.outbox = outbox
        self._sqlite = is_sqlite(repo.engine)

    def ended(self, conn: Connection, pairs: Sequence[tuple[Job, JobFinish]], now: datetime) -> bool:
        """Tell the outbox about jobs these writes ended (a missed one-off, attempts used up)."""
        ended = False
        if self.outbox is not None:
            for job, finish in pairs:
                if finish.status != S(job.status):
                    self.outbox.job_ended(conn, job, finish.status, finish.reason or finish.last_error, now)
                    ended = True
        return ended

    def claim_due(
        self, now: datetime, worker: str, limit: int, lease_s: float, plan: Callable[[Job, datetime], FirePlan],
        *, reminders_apart: bool = False,
    ) -> ClaimBatch:
        """Claim up to `limit` ACTIVE, unclaimed jobs with next_run_at <= now, oldest fire first.

        Each claimed row goes through `plan` (given the row as claimed, so `plan` must not depend on its
        status; every claimed row was ACTIVE): a job with a fire to run becomes
        IN_PROGRESS with a `running` run row and an event; a job whose fires were
        all missed goes back to waiting (or ends) without a lease. Missed fires
        are recorded as `missed` runs. One transaction; if a damaged row breaks it,
        the due rows are claimed one at a time and the damaged one is set FAILED.
        A row `plan` raises on, or that `row_problem` rejects, is set FAILED within the batch.
        `reminders_apart`: leave the reminder lane's jobs (`reminder_rows`) to the lane.
        """
        if limit <= 0:
            return ClaimBatch([], 0, 0)
        where = self.slot_due(now) if reminders_apart else self.due(now)
        if not self._any(where):
            # A read, where the claim takes the writer (SQLite) or a transaction's round trips (PostgreSQL):
            # during a burst of reminders, every pass claims for the slots first and finds nothing.
            return ClaimBatch([], 0, 0)
        try:
            return self._claim(now, worker, limit, lease_s, plan, where)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.warning("a due row broke the claim: claiming one at a time (%s)", fault_text(exc))
        ids = self.due_ids(where, limit)
        batches = one_at_a_time(ids, lambda job_id: self._claim(now, worker, 1, lease_s, plan,
                                                                where + [JOBS.c.id == job_id]),
                                lambda job_id, why: self.set_aside_due(job_id, why, now))
        return ClaimBatch([c for b in batches for c in b.claims], len(ids), sum(b.missed for b in batches))

    @staticmethod
    def due(now: datetime) -> list[ColumnElement[bool]]:
        return [JOBS.c.status == S.ACTIVE.value, JOBS.c.next_run_at <= now, JOBS.c.claimed_by.is_(None)]

    @staticmethod
    def slot_due(now: datetime) -> list[ColumnElement[bool]]:
        """Due and not the reminder lane's: read through the partial index ix_jobs_due_slots."""
        return [SLOT_JOBS, JOBS.c.next_run_at <= now, JOBS.c.claimed_by.is_(None)]

    def _any(self, where: list[ColumnElement[bool]]) -> bool:
        with self.repo.read_rows() as conn:
            return conn.execute(select(JOBS.c.id).where(*where).limit(1)).first() is not None

    def due_ids(self, where: list[ColumnElement[bool]], limit: int) -> list[str]:
        with self.repo.read() as session:
            return list(session.connection().execute(
                select(JOBS.c.id).where(*where).order_by(JOBS.c.next_run_at).limit(limit)).scalars())

    def _claim(self, now: datetime, worker: str, limit: int, lease_s: float,
               plan: Callable[[Job, datetime], FirePlan], where: list[ColumnElement[bool]]) -> ClaimBatch:
        with self.repo.write() as session:
            conn = session.connection()
            due = (
                select(JOBS.c.id)
                .where(*where)
                .order_by(JOBS.c.next_run_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
                # A CTE runs once; a plain IN-subquery may be re-run by PostgreSQL's planner and,
                # with SKIP LOCKED, hand back more than `limit` rows.
                .cte("due")
            )
            # ORM RETURNING: loading rows as Job instances skips pydantic's per-field construction,
            # which costs more than the whole claim at thousands of runs a second.
            # PostgreSQL re-checks the status of a row it locked; SQLite's single writer needs no re-check,
            # and with it SQLite's planner chose the status index and tested every ACTIVE row against
            # the id list (a claim of 8 took 0.3-0.5 s at 100,000 active jobs) instead of 8 lookups.
            recheck = [] if self._sqlite else [col(Job.status) == S.ACTIVE.value]
            claimed = session.scalars(
                update(Job)
                .where(col(Job.id).in_(select(due.c.id)), *recheck)
                .values(status=S.IN_PROGRESS.value, claimed_by=worker, lease_until=now + timedelta(seconds=lease_s),
                        version=col(Job.version) + 1, updated_at=now)
                .returning(Job)
                .execution_options(synchronize_session=False)
            ).all()
            jobs = sorted(claimed, key=lambda j: (j.next_run_at, j.id))
            batch = self._apply_plans(conn, jobs, now, worker, plan)
            if self.outbox is not None:
                self.outbox.jobs_claimed(jobs)
        if jobs and self.outbox is not None:
            # Every claimed job changed: a run started (a subscriber of jobs://jobs/{id} sees it
            # IN_PROGRESS), or its missed fires were recorded, or it ended.
            self.outbox.after_commit()
        return batch

    def _apply_plans(
        self, conn: Connection, jobs: list[Job], now: datetime, worker: str, plan: Callable[[Job, datetime], FirePlan]
    ) -> ClaimBatch:
        claims: list[Claim] = []
        runs: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        moved: list[dict[str, Any]] = []
        waits: list[tuple[Job, JobFinish]] = []
        missed = 0
        letter_checked = check_transition("-", S.ACTIVE, S.IN_PROGRESS, "claim")
        for job in jobs:
            # The claimed row (already IN_PROGRESS): a fire plan reads the schedule, never the status, and a
            # copy per claim as it was (ACTIVE) cost more than the plan itself.
            fire_plan = checked_plan(job, now, plan)
            if isinstance(fire_plan, str):
                waits.append((job.model_copy(update={"status": S.ACTIVE.value}), aside_finish(job, fire_plan)))
                continue
            for fire in fire_plan.missed:
                runs.append(run_values(job, run_id=new_run_id(), scheduled_for=fire, outcome=RunOutcome.MISSED,
                                       now=now, summary=MISSED_SUMMARY))
            missed += len(fire_plan.missed)
            if fire_plan.run_fire is None:
                waits.append((job.model_copy(update={"status": S.ACTIVE.value}), wait_finish(job, fire_plan)))
                continue
            attempt = job.attempt + 1
            if fire_plan.run_fire != job.next_run_at:
                # Older fires were missed: this is a new fire, its attempts start over.
                attempt = 1
                moved.append({"b_id": job.id, "b_next": fire_plan.run_fire})
                job = job.model_copy(update={"next_run_at": fire_plan.run_fire, "attempt": 0})
            run_id = new_run_id()
            runs.append(run_values(job, run_id=run_id, scheduled_for=fire_plan.run_fire, outcome=RunOutcome.RUNNING,
                                   now=now, attempt=attempt, worker=worker, started_at=now))
            events.append(event_values(job, S.IN_PROGRESS, now, worker, f"due ({letter_checked})",
                                       from_status=S.ACTIVE.value))
            claims.append(Claim(job=job, run_id=run_id, scheduled_for=fire_plan.run_fire, started_at=now,
                                attempt=attempt))
        if moved:
            conn.execute(update(JOBS).where(JOBS.c.id == bindparam("b_id"))
                         .values(next_run_at=bindparam("b_next", type_=JOBS.c.next_run_at.type), attempt=0), moved)
        write_job_finishes(conn, [(job, finish, now) for job, finish in waits])
        self.ended(conn, waits, now)  # their notices; every claimed job is told of after the commit anyway
        insert_rows(conn, RUNS, runs)
        insert_rows(conn, EVENTS, events)
        return ClaimBatch(claims, len(jobs), missed)

    def set_aside_due(self, job_id: str, why: str, now: datetime) -> None:
        """Set aside a due row whose claim (or reminder fire) failed on its own: the job fails."""
        self._set_aside(job_id, _CLAIM_ASIDE, why, now)

    def _set_aside(self, job_id: str, targets: dict[JobStatus, JobStatus], why: str, now: datetime, *,
                   abandon: str | None = None) -> None:
        """Set aside one row whose claim or recovery failed on its own (see `store.row_faults.set_aside`)."""
        with self.repo.write() as session:
            conn = session.connection()
            if abandon is not None:
                _abandon_runs(conn, [job_id], now, abandon)
            told = set_aside(conn, self.outbox, job_id, targets, unusable(unreadable(conn, job_id, why)), now)
        if told and self.outbox is not None:
            self.outbox.after_commit()


    def renew_leases(self, worker: str, job_ids: Sequence[str], until: datetime) -> set[str]:
        """Extend the worker's leases; returns the ids still held (IN_PROGRESS, or paused during the run).

        An id missing from the answer was cancelled or taken back: its run should stop.
        """
        if not job_ids:
            return set()
        held = [JOBS.c.id.in_(sorted(job_ids)), JOBS.c.claimed_by == worker,
                JOBS.c.status.in_([S.IN_PROGRESS.value, S.PAUSED.value])]
        with self.repo.write() as session:
            conn = session.connection()
            # PostgreSQL: lock the rows in id order first, the order finish_runs locks them in; an UPDATE
            # over an id list locks in whatever order it scans, and crossed with a finish of the same
            # runs that deadlocked under load.
            conn.execute(select(JOBS.c.id).where(*held).order_by(JOBS.c.id).with_for_update(key_share=True))
            rows = conn.execute(update(JOBS).where(*held).values(lease_until=until).returning(JOBS.c.id)).all()
        return {row.id for row in rows}

    def recover_expired(self, now: datetime, plan: Callable[[Job], JobFinish], limit: int = 500) -> list[Job]:
        """Take back leases that ended before `now`: open runs become `abandoned`, jobs are written per `plan`.

        Returns the jobs as they were found (still claimed), at most `limit` per call.
        """
        where = [col(Job.status).in_(_HELD), col(Job.lease_until) < now]
        return self._take_back(where, now, plan, "lease expired: the node running it stopped renewing it",
                               limit=limit, skip_locked=True)

    def release(
        self, now: datetime, worker: str, job_ids: Sequence[str], plan: Callable[[Job], JobFinish]
    ) -> list[Job]:
        """Give back this worker's leases at once (shutdown): open runs become `abandoned`."""
        if not job_ids:
            return []
        where = [col(Job.id).in_(list(job_ids)), col(Job.claimed_by) == worker]
        return self._take_back(where, now, plan, f"released: node {worker} shut down before the run finished")

    def recover_worker(self, now: datetime, worker: str, plan: Callable[[Job], JobFinish]) -> list[Job]:
        """Take back every lease of `worker` at once (a restarted node with a fixed id: its old runs died)."""
        where = [col(Job.claimed_by) == worker]
        return self._take_back(where, now, plan, f"abandoned: node {worker} restarted during the run",
                               skip_locked=True)

    def _take_back(self, where: list[Any], now: datetime, plan: Callable[[Job], JobFinish], error: str, *,
                   limit: int | None = None, skip_locked: bool = False) -> list[Job]:
        """One transaction for all rows; if a damaged row breaks it, one per row, the damaged one set aside."""
        stmt = select(Job).where(*where).order_by(col(Job.lease_until)).limit(limit)
        try:
            return self._take_back_rows(stmt.with_for_update(skip_locked=skip_locked), now, plan, error)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.warning("a claimed row broke the lease recovery: one at a time (%s)", fault_text(exc))
        with self.repo.read() as session:
            ids = list(session.connection().execute(stmt.with_only_columns(col(Job.id))).scalars())
        found = one_at_a_time(
            ids,
            lambda job_id: self._take_back_rows(stmt.where(col(Job.id) == job_id).with_for_update(
                skip_locked=skip_locked), now, plan, error),
            lambda job_id, why: self._set_aside(job_id, _HELD_ASIDE, why, now, abandon=error))
        return [job for jobs in found for job in jobs]

    def _take_back_rows(self, stmt: Any, now: datetime, plan: Callable[[Job], JobFinish], error: str) -> list[Job]:
        with self.repo.write() as session:
            conn = session.connection()
            jobs = list(session.scalars(stmt).all())
            if not jobs:
                return []
            _abandon_runs(conn, [job.id for job in jobs], now, error)
            pairs = [(job, _checked_recovery(job, plan)) for job in jobs]
            write_job_finishes(conn, [(job, finish, now) for job, finish in pairs])
            ended = self.ended(conn, pairs, now)
        if ended and self.outbox is not None:
            self.outbox.after_commit()
        return jobs

    def next_due(self, reminders: bool | None = None) -> datetime | None:
        """The earliest next_run_at of an ACTIVE, unclaimed job; of the reminder lane's jobs only
        (`reminders` True) or of the others only (False)."""
        where = [JOBS.c.claimed_by.is_(None), JOBS.c.next_run_at.is_not(None)]
        if reminders is False:
            where.append(SLOT_JOBS)
        else:
            where += [JOBS.c.status == S.ACTIVE.value] + ([reminder_rows()] if reminders else [])
        with self.repo.read() as session:
            # ORDER BY ... LIMIT 1 walks the (status, next_run_at) index up to the first match.
            return session.connection().execute(
                select(JOBS.c.next_run_at).where(*where).order_by(JOBS.c.next_run_at).limit(1)).scalar()


def wait_finish(job: Job, plan: FirePlan) -> JobFinish:
    return JobFinish(
        status=plan.to_status or S.ACTIVE, next_run_at=plan.next_run_at, run_count=job.run_count, attempt=0,
        last_run_at=job.last_run_at, last_error=plan.reason if plan.to_status else job.last_error,
        state=job.state, reason=plan.reason, actor=ENGINE_ACTOR,
    )


def _abandon_runs(conn: Connection, job_ids: list[str], now: datetime, error: str) -> None:
    conn.execute(
        update(RUNS)
        .where(RUNS.c.job_id.in_(job_ids), RUNS.c.outcome == RunOutcome.RUNNING.value)
        .values(outcome=RunOutcome.ABANDONED.value, finished_at=now, error=error)
    )


def checked_plan(job: Job, now: datetime, plan: Callable[[Job, datetime], T]) -> T | str:
    """The job's fire plan, or why it has none: a row value the model does not allow, or a plan that raised."""
    problem = row_problem(job)
    if problem is not None:
        return problem
    try:
        return plan(job, now)
    except Exception as exc:
        if not is_row_fault(exc):
            raise
        return f"its next fire cannot be computed ({fault_text(exc)})"


def _checked_recovery(job: Job, plan: Callable[[Job], JobFinish]) -> JobFinish:
    try:
        return plan(job)
    except Exception as exc:
        if not is_row_fault(exc):
            raise
        problem = f"its lease could not be taken back normally ({fault_text(exc)})"
        if job.status == S.IN_PROGRESS.value:
            return aside_finish(job, problem)
        return JobFinish(status=S(job.status), next_run_at=job.next_run_at if job.status == S.ACTIVE.value else None,
                         run_count=job.run_count, attempt=job.attempt, last_run_at=job.last_run_at,
                         last_error=unusable(problem), state=job.state)


def aside_finish(job: Job, problem: str) -> JobFinish:
    reason = unusable(problem)
    return JobFinish(status=S.FAILED, next_run_at=None, run_count=job.run_count, attempt=job.attempt,
                     last_run_at=job.last_run_at, last_error=reason, state=job.state, reason=reason,
                     actor=ENGINE_ACTOR)
