"""The reminder lane's writes: due plain reminders fired in batches, one transaction per batch.

A `notify` job needs no LLM, no run slot and no lease: its run copies the instructions into a
message. So the lane takes due reminders by the thousand and writes, per batch and in one
transaction, a few statements per table: the run rows (missed fires and the run itself, started
and finished at the batch's `now`; one executemany), the job rows (next fire, or completed; one
UPDATE per distinct finish), the events (the claim's and the finish's, exactly as a run in a slot
leaves them; INSERT … SELECT from the job rows) and the outbox rows, through
`Outbox.runs_finished` with the whole batch (so every kind of delivery joins the transaction).
The rows are read with Core as plain rows (`DueRow`): ORM instances cost a quarter of the lane.

Contract:
- Which jobs: ACTIVE, unclaimed, next_run_at <= now, `store.claims.reminder_rows`; oldest fire
  first. PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so nodes share a burst and never fire
  the same row; SQLite: inside the single writer.
- Exactly once: a batch is committed whole or not at all. A node killed mid-batch leaves every
  job of the batch due and untouched (no lease to wait out): the next pass, on any node, fires
  it. After the commit, each fire of the batch has its one run row and its messages.
- What each job becomes is the caller's `plan` (the scheduler's fire and verdict rules); the
  store only writes it, guarded: every row it updates must still be there, unclaimed (it was
  read, and is held, in the same transaction).
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

from sqlalchemy import ColumnElement, Connection, bindparam, insert, select, update

from store.claims import MISSED_SUMMARY, ClaimStore, aside_finish, checked_plan, reminder_rows, wait_finish
from store.engine import is_sqlite
from store.enums import JobStatus, RunOutcome
from store.errors import StaleVersion
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
    insert_rows,
    run_values,
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
        stmt = select(*_READ).where(*where).order_by(JOBS.c.next_run_at).limit(limit)
        if not self._sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        with self.repo.write() as session:
            conn = session.connection()
            result = conn.execute(stmt)
            keys = tuple(result.keys())
            jobs = [due_row(dict(zip(keys, row, strict=True))) for row in result.all()]  # one fetchall
            runs: list[dict[str, Any]] = []
            claimed: list[str] = []  # ids of the jobs whose fire runs: each gets the claim's event
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
                claimed.append(job.id)
                ran.append((finish.row, finish))
                fired.append((job, finish.run_id, planned.fire.run_fire))
            self.write_batch(conn, now, worker, runs, claimed, ran, waits)
            told = self.claims.ended(conn, waits, now)
        if (ran or told) and self.outbox is not None:
            self.outbox.after_commit()
        return ReminderBatch(len(ran), len(jobs), missed, tuple(fired))

    def write_batch(self, conn: Connection, now: datetime, worker: str, runs: list[dict[str, Any]],
                    claimed: list[str], ran: list[tuple[Job, Finish]], waits: list[tuple[Job, JobFinish]]) -> None:
        """The batch's statements, a few per table (a seam: the crash test holds a batch here, uncommitted)."""
        insert_rows(conn, RUNS, runs)
        # The claim's events before the finishes': same instant, in order.
        _insert_events(conn, {(S.ACTIVE.value, S.IN_PROGRESS.value, worker, _DUE): claimed}, now)
        self._write_jobs(conn, [(job, finish) for job, finish in waits] + [(row, finish.job) for row, finish in ran],
                         now)
        if self.outbox is not None:
            self.outbox.runs_finished(conn, ran)

    def _write_jobs(self, conn: Connection, items: list[tuple[Job, JobFinish]], now: datetime) -> None:
        """The job rows as their finishes say, set-based: one UPDATE per distinct finish (a burst of
        one-offs all complete alike; thousands of "every weekday at 9" reminders share one next fire),
        then the finishes' events, one INSERT … SELECT per distinct transition and reason. The run count
        moves by the group's step; a plain reminder's run leaves its job's saved state as it was (a
        finish that changes it has it written apart).

        Each row was read in this transaction and is held (FOR UPDATE, or SQLite's single writer),
        so its version cannot have moved; the guard is that every id still matches, unclaimed
        (StaleVersion otherwise: the transaction rolls back whole)."""
        groups: dict[tuple[Any, ...], list[str]] = {}
        events: dict[tuple[str, str, str, str | None], list[str]] = {}
        states: list[dict[str, Any]] = []
        for job, finish in items:
            to_status = finish.status.value  # an enum's `.value` is a property call: read once per row
            if to_status != job.status:
                events.setdefault((job.status, to_status, finish.actor, finish.reason), []).append(job.id)
            if finish.state is not job.state and finish.state != job.state:
                states.append({"b_id": job.id, "b_state": finish.state})  # not a plain reminder's: written apart
            # A row set aside keeps its run count as read (damaged, perhaps: never computed with).
            step = 0 if finish.run_count is job.run_count else finish.run_count - job.run_count
            key = (to_status, finish.next_run_at, step, finish.attempt, finish.last_run_at, finish.last_error)
            groups.setdefault(key, []).append(job.id)
        for (from_status, to_status, _actor, _reason), ids in events.items():
            check_transition(ids[0], S(from_status), S(to_status), "finish")
        for (status, next_run_at, step, attempt, last_run_at, last_error), ids in groups.items():
            values = {"status": status, "next_run_at": next_run_at, "attempt": attempt, "last_run_at": last_run_at,
                      "last_error": last_error, "claimed_by": None, "lease_until": None,
                      "version": JOBS.c.version + 1, "updated_at": now}
            if step:
                values["run_count"] = JOBS.c.run_count + step
            for chunk in _chunks(ids):
                written = conn.execute(update(JOBS).where(JOBS.c.id.in_(chunk), JOBS.c.claimed_by.is_(None))
                                       .values(values)).rowcount
                if written != len(chunk):
                    raise StaleVersion(chunk[0] if len(chunk) == 1 else "(batch)")
        if states:
            conn.execute(_WRITE_STATE, states)
        _insert_events(conn, events, now)


def _insert_events(conn: Connection, groups: dict[tuple[str, str, str, str | None], list[str]],
                   now: datetime) -> None:
    """job_events rows at `now`, one per id, as (from status, to status, actor, reason) -> ids: the job's
    id and owner come from its row (INSERT … SELECT), so nothing per job is bound but its id."""
    for (from_status, to_status, actor, reason), ids in groups.items():
        for chunk in _chunks(ids):
            conn.execute(_EVENTS_FROM_JOBS, {"ids": chunk, "at": now, "from_status": from_status,
                                             "to_status": to_status, "actor": actor, "reason": reason})


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[start:start + _IDS_PER_STATEMENT] for start in range(0, len(ids), _IDS_PER_STATEMENT)]


# What the lane reads of a due row: every column but the search vector (most of a row's bytes, never
# used by a reminder's run) and its model's name.
_READ = [column for column in JOBS.c if column.name not in ("embedding", "embedding_model")]
_IDS_PER_STATEMENT = 2_000  # well under every database's limit of bound values per statement
_EVENT_COLUMNS = ("job_id", "owner", "at", "from_status", "to_status", "actor", "reason")
_EVENTS_FROM_JOBS = insert(EVENTS).from_select(
    list(_EVENT_COLUMNS),
    select(JOBS.c.id, JOBS.c.owner, bindparam("at", type_=EVENTS.c.at.type),
           *(bindparam(name, type_=EVENTS.c[name].type) for name in _EVENT_COLUMNS[3:]))
    .where(JOBS.c.id.in_(bindparam("ids", expanding=True))))
_WRITE_STATE = update(JOBS).where(JOBS.c.id == bindparam("b_id")).values(
    state=bindparam("b_state", type_=JOBS.c.state.type))


class DueRow:
    """A due job row as plain attributes, read with Core: it has every attribute a `Job` read by the lane
    has, and every reader of a job row (the plan, the row check, the outbox) reads attributes. Loading
    the rows as ORM instances and reading their instrumented attributes cost a quarter of the lane."""

    def __repr__(self) -> str:
        return f"DueRow({self.__dict__.get('id')!r})"


def due_row(values: dict[str, Any]) -> Job:
    row = DueRow()
    row.__dict__ = values
    return row  # type: ignore[return-value]  # duck-typed as the Job it was read from


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
