"""The reminder lane's writes: due plain reminders fired in batches, one transaction per batch.

A `notify` job needs no LLM, no run slot and no lease: its run copies the instructions into a
message. So the lane takes due reminders by the hundred and writes, per batch and in one
transaction, one statement per table: the run rows (missed fires and the run itself, started
and finished at the batch's `now`), the job rows (next fire, or completed), the events (the
claim's and the finish's, exactly as a run in a slot leaves them) and the outbox rows, through
`Outbox.runs_finished` with the whole batch (so every kind of delivery joins the transaction).

Contract:
- Which jobs: ACTIVE, unclaimed, next_run_at <= now, `store.claims.reminder_rows`; oldest fire
  first. PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so nodes share a burst and never fire
  the same row; SQLite: inside the single writer.
- Exactly once: a batch is committed whole or not at all. A node killed mid-batch leaves every
  job of the batch due and untouched (no lease to wait out): the next pass, on any node, fires
  it. After the commit, each fire of the batch has its one run row and its messages.
- What each job becomes is the caller's `plan` (the scheduler's fire and verdict rules); the
  store only writes it, version-checked.
- Fault isolation (`store.row_faults`): a row `plan` raises on, or that `row_problem` rejects,
  is set FAILED within the batch; a batch that fails on a row fault is fired again one job at a
  time and the job that fails alone is set FAILED; anything else fails the pass, and the next
  one retries (nothing was written).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import defer
from sqlmodel import col

from store.claims import MISSED_SUMMARY, ClaimStore, aside_finish, checked_plan, reminder_rows, wait_finish
from store.engine import is_sqlite
from store.enums import JobStatus, RunOutcome
from store.ids import new_run_id
from store.lifecycle import check_transition
from store.models import Job
from store.row_faults import fault_text, is_row_fault, one_at_a_time
from store.run_types import (
    EVENTS,
    JOBS,
    RUNS,
    Finish,
    JobFinish,
    ReminderPlan,
    event_values,
    insert_rows,
    run_values,
    write_job_finishes,
)
from store.runs import SKIPPED_SUMMARY

log = logging.getLogger(__name__)
S = JobStatus
# The claim's event, as the slot path writes it (diagram letter of ACTIVE -> IN_PROGRESS).
_DUE = f"due ({check_transition('-', S.ACTIVE, S.IN_PROGRESS, 'claim')})"


@dataclass(frozen=True)
class ReminderBatch:
    ran: int  # reminders that ran (one succeeded run each)
    examined: int  # due rows taken; == limit means more may be due
    missed: int  # fires recorded as `missed`
    fired: tuple[tuple[Job, str, datetime], ...] = ()  # (job, run id, fire) of each reminder that ran


class ReminderStore:
    def __init__(self, claims: ClaimStore) -> None:
        self.claims = claims
        self.repo = claims.repo
        self.outbox = claims.outbox
        self._sqlite = is_sqlite(self.repo.engine)

    def fire_due(self, now: datetime, worker: str, limit: int,
                 plan: Callable[[Job, datetime], ReminderPlan]) -> ReminderBatch:
        """Fire up to `limit` due reminders as `plan` says, in one transaction (see the module's contract).

        `plan` gets each row detached from the session; it may change it (into the running row its
        `finish.row` is), never anything else."""
        if limit <= 0:
            return ReminderBatch(0, 0, 0)
        where = self.claims.due(now) + [reminder_rows()]
        try:
            return self._fire(now, worker, limit, plan, where)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.warning("a due reminder broke its batch: firing one at a time (%s)", fault_text(exc))
        ids = self.claims.due_ids(where, limit)
        batches = one_at_a_time(ids, lambda job_id: self._fire(now, worker, 1, plan, where + [JOBS.c.id == job_id]),
                                lambda job_id, why: self.claims.set_aside_due(job_id, why, now))
        return ReminderBatch(sum(b.ran for b in batches), len(ids), sum(b.missed for b in batches),
                             tuple(one for b in batches for one in b.fired))

    def _fire(self, now: datetime, worker: str, limit: int, plan: Callable[[Job, datetime], ReminderPlan],
              where: list[ColumnElement[bool]]) -> ReminderBatch:
        # Without the search vector: a reminder's run never reads it, and it is most of a row's bytes.
        stmt = select(Job).options(defer(Job.embedding)).where(*where).order_by(col(Job.next_run_at)).limit(limit)
        if not self._sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        with self.repo.write() as session:
            conn = session.connection()
            jobs = list(session.scalars(stmt).all())
            session.expunge_all()  # `plan` may turn a row into its running copy in place: never flushed
            runs: list[dict[str, Any]] = []
            claimed: list[dict[str, Any]] = []
            ran: list[tuple[Job, Finish]] = []
            waits: list[tuple[Job, JobFinish]] = []
            fired: list[tuple[Job, str, datetime]] = []
            missed = 0
            for job in jobs:
                planned = checked_plan(job, now, plan)
                if isinstance(planned, str):
                    waits.append((job, aside_finish(job, planned)))
                    continue
                for fire in planned.fire.missed:
                    runs.append(run_values(job, run_id=new_run_id(), scheduled_for=fire, outcome=RunOutcome.MISSED,
                                           now=now, summary=MISSED_SUMMARY))
                missed += len(planned.fire.missed)
                finish = planned.finish
                if finish is None or finish.row is None:
                    waits.append((job, wait_finish(job, planned.fire)))
                    continue
                runs.append(_run_row(finish, planned, now, worker))
                runs.extend(run_values(job, run_id=new_run_id(), scheduled_for=fire, outcome=RunOutcome.SKIPPED,
                                       now=now, summary=SKIPPED_SUMMARY) for fire in finish.skipped)
                claimed.append(event_values(job, S.IN_PROGRESS, now, worker, _DUE, from_status=S.ACTIVE.value))
                ran.append((finish.row, finish))
                fired.append((job, finish.run_id, planned.fire.run_fire))
            self.write_batch(conn, now, runs, claimed, ran, waits)
            told = self.claims.ended(conn, waits, now)
        if (ran or told) and self.outbox is not None:
            self.outbox.after_commit()
        return ReminderBatch(len(ran), len(jobs), missed, tuple(fired))

    def write_batch(self, conn: Any, now: datetime, runs: list[dict[str, Any]], claimed: list[dict[str, Any]],
                    ran: list[tuple[Job, Finish]], waits: list[tuple[Job, JobFinish]]) -> None:
        """The batch's statements, one per table (a seam: the crash test holds a batch here, uncommitted)."""
        insert_rows(conn, RUNS, runs)
        insert_rows(conn, EVENTS, claimed)  # before the finishes' events: same instant, in order
        write_job_finishes(conn, [(job, finish, now) for job, finish in waits]
                           + [(row, finish.job, now) for row, finish in ran])
        if self.outbox is not None:
            self.outbox.runs_finished(conn, ran)


def _run_row(finish: Finish, planned: ReminderPlan, now: datetime, worker: str) -> dict[str, Any]:
    """The run's one row, already finished: a reminder's run starts and ends at the batch's instant."""
    row, run = finish.row, finish.run
    assert row is not None and planned.fire.run_fire is not None
    values = run_values(row, run_id=finish.run_id, scheduled_for=planned.fire.run_fire, outcome=run.outcome,
                        now=run.finished_at, attempt=planned.attempt, worker=worker, summary=run.summary,
                        started_at=now)
    values.update(verdict=run.verdict.value if run.verdict else None, output=run.output, error=run.error,
                  trace=run.trace)
    return values
